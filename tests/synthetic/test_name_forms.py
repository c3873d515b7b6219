"""Name forms (config.NAME_KINDS): each form on hand-made names, then on a delivery: every
record of a kind shows what the kind claims, and the rates hold."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from synthetic import ErrorRates, bentuk_nama, errors, generate_delivery, suku_kata
from synthetic.config import NAME_KINDS
from synthetic.names import MALE_FIRST, MALE_LAST
from tests.synthetic.conftest import CUTOFF, metadata, read_dtks


def _form(kind: str, names: list[str], female=None, ayah=None, seed: int = 0) -> list[str | None]:
    n = len(names)
    fem = np.zeros(n, bool) if female is None else np.asarray(female)
    father = pa.nulls(n, pa.string()) if ayah is None else pa.array(ayah, pa.string())
    f = bentuk_nama.FORMS[kind]
    return f(pa.array(names, pa.string()), fem, father, np.random.default_rng(seed)).to_pylist()


def _many(kind: str, name: str, times: int = 400, **kw) -> set:
    """Every form one name takes over many draws."""
    out = set()
    for seed in range(times // 40):
        out |= set(_form(kind, [name] * 40, seed=seed, **kw))
    return out


# ---------------------------------------------------------------------------- syllables


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("HENDRAWAN", ("HEN", "DRA", "WAN")),
        ("RAHMAWATI", ("RAH", "MA", "WA", "TI")),
        ("SLAMET", ("SLA", "MET")),
        ("AGUSTINA", ("A", "GUS", "TI", "NA")),
        ("NYOMAN", ("NYO", "MAN")),  # NY is one consonant
        ("MANGGA", ("MANG", "GA")),  # NG is one consonant
        ("SYARIFAH", ("SYA", "RI", "FAH")),
        ("KHAIRUL", ("KHAI", "RUL")),  # KH one consonant, AI one vowel before a syllable
        ("ISMAIL", ("IS", "MA", "IL")),  # a final AI+consonant is two vowels
        ("SOEKARNO", ("SOE", "KAR", "NO")),  # old OE is one vowel
        ("SRI", ("SRI",)),
    ],
)
def test_syllables(word, expected):
    assert suku_kata.syllables(word) == expected


@pytest.mark.parametrize(
    ("word", "tail", "doubled", "head"),
    [
        ("RAHMAWATI", "WATI", "TITI", "RAHMA"),
        ("SUPRIYADI", "YADI", "DIDI", "SUPRI"),
        ("SUSANTI", "SANTI", "TITI", "SUSAN"),
        ("HARYANTO", "YANTO", "TOTO", "HARYAN"),
        ("SLAMET", None, "MEMET", None),
        ("KURNIAWAN", "AWAN", "WAWAN", "KURNI"),
        ("HENDRAWAN", "DRAWAN", "WAWAN", "HENDRA"),
        ("AGUSTINA", "TINA", "NANA", "AGUS"),
        ("HENDRA", None, None, "HEN"),  # DRA opens with two consonants: not doubled
        ("BUDI", None, "DIDI", None),  # BU is too short
        ("DAUD", None, None, None),  # UD opens with no consonant
        ("SRI", None, None, None),
        ("NUR'AINI", "AINI", "NINI", None),  # no apostrophe at the edge of a nickname
    ],
)
def test_nicknames_of_a_word(word, tail, doubled, head):
    assert suku_kata.tail_nickname(word) == tail
    assert suku_kata.doubled_nickname(word) == doubled
    assert suku_kata.head_nickname(word) == head


# ---------------------------------------------------------------------------- each form by hand


def test_nickname_end():
    assert _many("name_nickname_end", "SLAMET") == {"MEMET"}
    assert _many("name_nickname_end", "RAHMAWATI") == {"WATI", "TITI"}
    # The prefix is not the name people are called by; the nickname stands alone or in place.
    assert _many("name_nickname_end", "MUHAMMAD SLAMET") == {"MEMET", "MUHAMMAD MEMET"}
    assert _many("name_nickname_end", "SUSANTI DEWI") == {"SANTI", "TITI", "SANTI DEWI", "TITI DEWI"}
    assert _form("name_nickname_end", ["SRI", "DAUD"]) == [None, None]


def test_nickname_start():
    assert _many("name_nickname_start", "HENDRAWAN") == {"HENDRA"}
    assert _many("name_nickname_start", "AGUSTINA RAHAYU") == {"AGUS", "AGUS RAHAYU"}
    assert _form("name_nickname_start", ["BUDI", "SLAMET"]) == [None, None]


def test_title_forms():
    assert {"S.Pd.", "S.Pd", "S.PD.", "S. Pd.", "SPd", "SPD"} <= set(bentuk_nama.writings("S.Pd."))
    names = ["BUDI SANTOSO"] * 300 + ["SITI AMINAH"] * 300
    female = np.r_[np.zeros(300, bool), np.ones(300, bool)]
    out = _form("name_title", names, female=female)
    assert all(o is not None and n in o and o != n for o, n in zip(out, names))
    men = {o.split(" ")[0].upper().rstrip(".") for o in out[:300] if not o.startswith("BUDI")}
    women = {o.split(" ")[0].upper().rstrip(".") for o in out[300:] if not o.startswith("SITI")}
    assert {"H", "HAJI", "DRS", "IR"} <= men and {"HJ", "HAJJAH", "DRA"} <= women
    assert not men & {"HJ", "HAJJAH", "DRA"} and not women & {"H", "HAJI", "DRS", "K.H"}
    after = {o[len(n) :] for o, n in zip(out, names) if o.startswith(n)}
    assert {a for a in after if a.startswith(",")} and {a for a in after if a.startswith(" ")}
    assert any(re.search(r"S\. ?P[Dd]\.?$|SP[Dd]$", a) for a in after)


def test_arabic_forms():
    first = _many("name_arabic_form", "MUHAMMAD RIZKY")
    assert {"M. RIZKY", "MOCH. RIZKY", "MUHAMAD RIZKY", "MOHAMMAD RIZKY"} <= first
    assert not any(f.startswith("MUHAMMAD ") for f in first)
    later = _many("name_arabic_form", "RIZKY MUHAMMAD")
    assert "RIZKY M." not in later and "RIZKY MOCHAMAD" in later  # M. only as the first word
    assert _many("name_arabic_form", "ABDUL ROHMAN") == {"ABD. ROHMAN", "ABDOEL ROHMAN"}
    assert _many("name_arabic_form", "SITI NUR") == {"SITTI NOOR", "SITTI NOER"}
    assert _many("name_arabic_form", "AHMAD") == {"ACHMAD", "AKHMAD"}
    assert _form("name_arabic_form", ["NUR'AINI", "BUDI", "NURHAYATI"]) == [None, None, None]


def test_old_spelling():
    assert _many("name_old_spelling", "SYARIFAH") == {"SJARIFAH"}  # SY was SJ
    assert "JUSUF" in _many("name_old_spelling", "YUSUF")  # Y was J
    assert "CHAIRUL" in _many("name_old_spelling", "KHAIRUL")  # KH was CH
    assert "SUKARNO" in _many("name_old_spelling", "SOEKARNO")
    assert "DJOKO" in _many("name_old_spelling", "JOKO")
    assert "RENDJ" not in _many("name_old_spelling", "RENDY")  # a final Y is a vowel
    assert _form("name_old_spelling", ["BAMBANG"]) == [None]


def test_first_only():
    out = _form("name_first_only", ["BUDI SANTOSO", "SITI AMINAH RAHAYU", "SITI AMINAH", "BUDI", "MUHAMMAD RIZKY"])
    assert out == ["BUDI", "SITI AMINAH", None, None, None]


def test_word_order():
    assert _many("name_word_order", "BUDI SANTOSO") == {"SANTOSO BUDI"}
    three = _many("name_word_order", "SITI AMINAH RAHAYU")
    assert len(three) == 5 and "SITI AMINAH RAHAYU" not in three
    assert all(sorted(t.split()) == ["AMINAH", "RAHAYU", "SITI"] for t in three)
    assert _form("name_word_order", ["BUDI", "A B C D"]) == [None, None]


def test_bin_binti():
    out = _form(
        "name_bin",
        ["BUDI", "SITI AMINAH", "RIZKY", "JOKO"],
        female=[False, True, False, False],
        ayah=["SLAMET RIYADI", "SLAMET RIYADI", "MUHAMMAD YUSUF HIDAYAT", None],
    )
    assert out[:3] == ["BUDI BIN SLAMET", "SITI AMINAH BINTI SLAMET", "RIZKY BIN MUHAMMAD YUSUF"]
    assert out[3].startswith("JOKO BIN ") and out[3].removeprefix("JOKO BIN ").split()[0] in MALE_FIRST


def test_mononym():
    out = _form(
        "name_mononym",
        ["SUPARMAN", "SUPARMAN", "SUPARMAN", "SITI AMINAH", "BUDI SANTOSO"],
        ayah=["HADI SUSANTO", "MUHAMMAD YUSUF", None, None, "HADI"],
    )
    assert out[:2] == ["SUPARMAN HADI", "SUPARMAN YUSUF"]
    assert out[2].startswith("SUPARMAN ") and out[2].split()[1] in MALE_LAST
    assert out[3:] == ["AMINAH", None]


def test_outside_the_rule_tables():
    assert _many("name_double_letter", "HASANUDDIN") == {"HASANUDIN", "HASSANUDDIN"}
    assert _many("name_double_letter", "SITI AMINAH") == {"SITI AMMINAH"}  # never SITTI: a listed form
    assert _form("name_double_letter", ["MUHAMMAD", "SITI"]) == [None, None]
    assert _form("name_final_t", ["AHMAD YANI", "MAHMUD", "BUDI"]) == ["AHMAT YANI", "MAHMUT", None]


def test_every_kind_has_a_form_and_a_rate():
    assert set(bentuk_nama.FORMS) == set(NAME_KINDS)
    fields = ErrorRates.model_fields
    assert all(k in fields and fields[k].description for k in NAME_KINDS)


# ---------------------------------------------------------------------------- the draw


def _ident(names: list[str]) -> errors.Identitas:
    n = len(names)
    return errors.Identitas(
        nik=np.arange(n, dtype=np.int64),
        benar=np.arange(n, dtype=np.int64),
        nama=pa.array(names),
        lahir=np.zeros(n, np.int32),
        female=np.zeros(n, bool),
        ayah=pa.nulls(n, pa.string()),
        serumah=np.full(n, -1, np.int64),
    )


def test_a_kind_that_does_not_fit_leaves_the_name():
    rates = {k: 0.0 for k in NAME_KINDS} | {"name_word_order": 1.0}
    ident = _ident(["BUDI SANTOSO", "BUDI", "SITI AMINAH RAHAYU"])
    out, kind = errors.ketik_nama(ident, rates, np.random.default_rng(1))
    got = out.to_pylist()
    assert got[0] == "SANTOSO BUDI" and got[1] == "BUDI" and got[2] != "SITI AMINAH RAHAYU"
    assert list(kind) == [NAME_KINDS.index("name_word_order"), errors.TANPA_NAMA, NAME_KINDS.index("name_word_order")]


def test_rates_of_the_draw():
    names = ["BUDI SANTOSO"] * 20_000
    rates = {k: 0.0 for k in NAME_KINDS} | {"name_title": 0.05, "name_bin": 0.02, "name_first_only": 0.03}
    out, kind = errors.ketik_nama(_ident(names), rates, np.random.default_rng(2))
    share = {k: np.mean(kind == i) for i, k in enumerate(NAME_KINDS)}
    assert abs(share["name_title"] - 0.05) < 0.006 and abs(share["name_bin"] - 0.02) < 0.004
    assert abs(share["name_first_only"] - 0.03) < 0.005 and share["name_nickname_end"] == 0
    assert np.mean(np.array(out.to_pylist()) != "BUDI SANTOSO") == pytest.approx(np.mean(kind != errors.TANPA_NAMA))


# ---------------------------------------------------------------------------- on a delivery


@pytest.fixture(scope="module")
def dtks_named(delivery_20k) -> pd.DataFrame:
    """DTKS records of real people: the typed name, the registry's, the kind, the family."""
    dtks = read_dtks(delivery_20k).select(["ID_DTKS", "NAMA", "NIK"]).to_pandas()
    truth = pq.read_table(delivery_20k / "truth/tautan.parquet").to_pandas().query("sumber == 'DTKS'")
    reg = pq.read_table(delivery_20k / "dukcapil/penduduk.parquet").to_pandas()
    df = dtks.merge(truth, left_on="ID_DTKS", right_on="id_sumber").dropna(subset=["nik_benar"])
    return df.merge(reg, left_on="nik_benar", right_on="NIK", suffixes=("", "_reg"))


def _of(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    got = df[df["galat_nama"] == kind]
    assert len(got) >= 10, f"{kind}: too few records to check ({len(got)})"
    return got


def test_each_kind_in_a_delivery_is_what_it_claims(dtks_named):
    df = dtks_named
    assert (df.loc[df["galat_nama"].isna(), "NAMA"] == df.loc[df["galat_nama"].isna(), "NAMA_LGKP"]).mean() > 0.99
    t = _of(df, "name_title")
    assert all(r in n and r != n for n, r in zip(t["NAMA"], t["NAMA_LGKP"]))
    w = _of(df, "name_word_order")
    assert all(sorted(n.split()) == sorted(r.split()) and n != r for n, r in zip(w["NAMA"], w["NAMA_LGKP"]))
    f = _of(df, "name_first_only")
    assert all(r.startswith(n + " ") for n, r in zip(f["NAMA"], f["NAMA_LGKP"]))
    b = _of(df, "name_bin")
    assert all(re.fullmatch(re.escape(r) + r" BIN(?:TI)? [A-Z' ]+", n) for n, r in zip(b["NAMA"], b["NAMA_LGKP"]))
    assert all((" BINTI " in n) == (s == 2) for n, s in zip(b["NAMA"], b["JENIS_KLMIN"]))
    e = _of(df, "name_nickname_end")
    # The nickname is a word's ending, or its last syllable doubled (SLAMET -> MEMET).
    for n, r in zip(e["NAMA"], e["NAMA_LGKP"]):
        new = [x for x in n.split() if x not in r.split()] or [x for x in n.split() if len(r.split()) > 1]
        assert len(new) == 1 and any(
            (w.endswith(new[0]) and len(new[0]) < len(w)) or w.endswith(new[0][len(new[0]) // 2 :]) for w in r.split()
        ), (n, r)
    s = _of(df, "name_nickname_start")
    for n, r in zip(s["NAMA"], s["NAMA_LGKP"]):
        new = [x for x in n.split() if x not in r.split()] or [x for x in n.split() if len(r.split()) > 1]
        assert len(new) == 1 and any(w.startswith(new[0]) and len(new[0]) >= 3 for w in r.split()), (n, r)
    ft = _of(df, "name_final_t")
    for n, r in zip(ft["NAMA"], ft["NAMA_LGKP"]):  # one letter differs: a word's final D is a T
        diff = [i for i, (x, y) in enumerate(zip(n, r)) if x != y]
        assert len(n) == len(r) and len(diff) == 1 and (n[diff[0]], r[diff[0]]) == ("T", "D"), (n, r)
        assert diff[0] + 1 == len(n) or n[diff[0] + 1] == " "


def test_bin_names_the_real_father(dtks_named, delivery_20k):
    """A child's bin phrase carries the first word of its father: the KK's male head."""
    reg = pq.read_table(delivery_20k / "dukcapil/penduduk.parquet").to_pandas()
    heads = reg[(reg["STAT_HBKEL"] == 1) & (reg["JENIS_KLMIN"] == 1)].set_index("NO_KK")["NAMA_LGKP"]
    b = dtks_named[(dtks_named["galat_nama"] == "name_bin") & (dtks_named["STAT_HBKEL"] == 4)]
    b = b[b["NO_KK"].isin(heads.index)]
    assert len(b) >= 5
    for n, r, kk in zip(b["NAMA"], b["NAMA_LGKP"], b["NO_KK"]):
        phrase = re.sub(r"^ BIN(?:TI)? ", "", n[len(r) :])
        assert phrase.split()[0] == heads[kk].split()[0], (n, heads[kk])


def test_name_rates_on_a_delivery(tmp_path):
    """Each rate is of the records whose name allows the form; tested at raised rates so the
    counts are large, with the applicability computed here from the registry names."""
    rates = ErrorRates(
        name_title=0.06,
        name_bin=0.04,
        name_word_order=0.05,
        name_first_only=0.05,
        name_final_t=0.2,
        name_arabic_form=0.2,
        name_mononym=0.1,
    )
    path = generate_delivery(tmp_path, 20_000, 9, CUTOFF, rates=rates)
    dtks = read_dtks(path).select(["ID_DTKS"]).to_pandas()
    truth = pq.read_table(path / "truth/tautan.parquet").to_pandas().query("sumber == 'DTKS'")
    reg = pq.read_table(path / "dukcapil/penduduk.parquet").select(["NIK", "NAMA_LGKP"]).to_pandas()
    df = dtks.merge(truth, left_on="ID_DTKS", right_on="id_sumber").merge(
        reg, left_on="nik_benar", right_on="NIK", how="left"
    )
    df = df.dropna(subset=["NAMA_LGKP"])  # ghosts have names too, but no registry name to read here
    words = df["NAMA_LGKP"].str.split()
    prefix = words.str[0].isin(bentuk_nama.PREFIX_WORDS)
    allows = {
        "name_title": pd.Series(True, index=df.index),
        "name_bin": pd.Series(True, index=df.index),
        "name_word_order": words.str.len().isin([2, 3]),
        "name_first_only": (words.str.len() > 1) & ~(prefix & (words.str.len() == 2)),
        "name_final_t": df["NAMA_LGKP"].str.contains(r"D(?: |$)"),
        "name_arabic_form": df["NAMA_LGKP"].str.contains(r"(?:^| )(?:MUHAMMAD|AHMAD|ABDUL|NUR|SITI|MOH)(?: |$)"),
        "name_mononym": (words.str.len() == 1) | (prefix & (words.str.len() == 2)),
    }
    for kind, ok in allows.items():
        rate = getattr(rates, kind)
        n = int(ok.sum())
        got = int((df.loc[ok, "galat_nama"] == kind).sum())
        assert (df.loc[~ok, "galat_nama"] != kind).all(), f"{kind} on a name it does not fit"
        sd = np.sqrt(n * rate * (1 - rate))
        assert abs(got - n * rate) < 4 * sd + 3, f"{kind}: {got} of {n}, expected {n * rate:.0f}"
    applied = metadata(path)["errors_applied"]["DTKS"]
    assert all(applied[k] == int((truth["galat_nama"] == k).sum()) for k in NAME_KINDS)


def test_total_name_forms_stay_about_ten_percent(delivery_20k):
    applied = metadata(delivery_20k)["errors_applied"]["DTKS"]
    records = applied["records_observed"] + applied["ghost_records"] + applied["duplicates"]
    assert 0.07 < sum(applied[k] for k in NAME_KINDS) / records < 0.13
    assert applied["name_variant"] == sum(applied[k] for k in NAME_KINDS)
    assert all(applied[k] > 0 for k in NAME_KINDS)
