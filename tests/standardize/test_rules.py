"""Each standardization rule, on a DuckDB connection with the macros, and as properties."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dtsen import privacy
from transforms.engine import run_sql_file
from transforms.standardize import SQL

CUTOFF = dt.date(2026, 11, 17)
KECAMATAN = ["320105", "517101", "110101"]


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    c.execute("CREATE TABLE ref_kecamatan AS SELECT unnest($k) AS kode", {"k": KECAMATAN})
    run_sql_file(c, SQL / "macros.sql")
    return c


def one(con, sql: str, *params):
    return con.execute(f"SELECT {sql}", list(params)).fetchone()[0]


def make_nik(kec: str, born: dt.date, female: bool, serial: int) -> str:
    day = born.day + (40 if female else 0)
    return f"{kec}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"


@pytest.mark.parametrize(
    "raw, sex, rule",
    [
        ("3201054507900001", 2, None),
        (" 3201 0545 0790 0001 ", 2, None),  # typed with spaces: recoverable
        ("3201.0545.0790.0001", 2, None),  # typed with dots
        ("", 2, "NIK_KOSONG"),
        (None, 2, "NIK_KOSONG"),
        ("3.20105E+15", 2, "NIK_NOTASI_ILMIAH"),  # spoiled by a spreadsheet
        ("3,2E+15", 2, "NIK_NOTASI_ILMIAH"),
        ("32010545079O0001", 2, "NIK_BUKAN_ANGKA"),  # letter O for zero
        ("320105450790001", 2, "NIK_PANJANG_SALAH"),  # 15 digits
        ("32010545079000011", 2, "NIK_PANJANG_SALAH"),  # 17 digits
        ("9901054507900001", 2, "NIK_WILAYAH_TIDAK_ADA"),
        ("3201053202900001", 1, "NIK_TANGGAL_TIDAK_VALID"),  # 32 Feb
        ("3201057113900001", 2, "NIK_TANGGAL_TIDAK_VALID"),  # month 13
        ("3201050507900001", 2, "NIK_JENIS_KELAMIN_TIDAK_COCOK"),  # woman without the +40
        ("3201054507900001", 1, "NIK_JENIS_KELAMIN_TIDAK_COCOK"),
        ("3201054507900001", None, None),  # no stated sex: nothing to disagree with
    ],
)
def test_nik_rules(con, raw, sex, rule):
    assert one(con, "nik_cacat(?, id_bersih(?), ?, ?)", raw, raw, sex, CUTOFF) == rule


def test_kk_rules(con):
    assert one(con, "id_cacat(?, id_bersih(?), 'KK')", "3201050202100001", "3201050202100001") is None
    assert one(con, "id_cacat(?, id_bersih(?), 'KK')", "320105020210001", "320105020210001") == "KK_PANJANG_SALAH"
    assert one(con, "id_cacat(?, id_bersih(?), 'KK')", "3.2E+15", "3.2E+15") == "KK_NOTASI_ILMIAH"
    assert one(con, "id_cacat(?, id_bersih(?), 'KK')", "1234560202100001", "1234560202100001") == "KK_WILAYAH_TIDAK_ADA"


@given(
    kec=st.sampled_from(KECAMATAN),
    born=st.dates(dt.date(1927, 1, 1), CUTOFF),
    female=st.booleans(),
    serial=st.integers(1, 9999),
    noise=st.lists(st.sampled_from([" ", ".", "-"]), max_size=4),
)
@settings(max_examples=300, deadline=None)
def test_valid_nik_parses_back_to_its_date_and_sex(con, kec, born, female, serial, noise):
    nik = make_nik(kec, born, female, serial)
    typed = nik
    for i, ch in enumerate(noise):  # typing noise inside the number is cleaned away
        pos = 4 * (i + 1)
        typed = typed[:pos] + ch + typed[pos:]
    assert one(con, "nik_cacat(?, id_bersih(?), ?, ?)", typed, typed, 2 if female else 1, CUTOFF) is None
    assert one(con, "id_angka(?, id_bersih(?))", typed, typed) == nik
    born_back = one(con, "nik_tanggal_lahir(?, ?)", nik, CUTOFF)
    # Two-digit years: the century is the one that does not put the birth after the cut-off.
    assert (born_back.day, born_back.month, born_back.year % 100) == (born.day, born.month, born.year % 100)
    assert one(con, "nik_jenis_kelamin(?)", nik) == (2 if female else 1)


@given(digits=st.text("0123456789", min_size=1, max_size=24))
@settings(max_examples=300, deadline=None)
def test_any_digit_string_of_wrong_length_is_rejected_by_length(con, digits):
    rule = one(con, "nik_cacat(?, id_bersih(?), NULL, ?)", digits, digits, CUTOFF)
    if len(digits) != 16:
        assert rule == "NIK_PANJANG_SALAH"
    else:
        assert rule != "NIK_PANJANG_SALAH"


@pytest.mark.parametrize(
    "a, b",
    [
        ("MUHAMMAD RIZKY", "Muhamad Rizky"),
        ("MUHAMMAD RIZKY", "MOHAMMAD RIZKY"),
        ("MUHAMMAD RIZKY", "Mochammad Rizky"),
        ("MUHAMMAD RIZKY", "M. RIZKY"),
        ("SITI AMINAH", "SITTI AMINAH"),
        ("SITI AMINAH", "HJ. SITI AMINAH"),
        ("SITI AMINAH", "Siti Aminah, S.Pd"),
        ("AHMAD SUBAGJA", "DRS. H. ACHMAD SUBAGJA"),
        ("SUKARNO", "SOEKARNO"),
        ("JOKO CAHYONO", "DJOKO TJAHYONO"),
        ("NURAINI", "NUR'AINI"),
        ("NANA", "NANNA"),
        ("IR. BAMBANG", "bambang"),
    ],
)
def test_spelling_variants_normalise_alike(con, a, b):
    assert one(con, "nama_baku(?)", a) == one(con, "nama_baku(?)", b)


def test_different_names_stay_different(con):
    assert one(con, "nama_baku(?)", "SITI AMINAH") != one(con, "nama_baku(?)", "SITI AMINAR")
    assert one(con, "nama_baku(?)", "") is None
    assert one(con, "nama_baku(?)", "H.") is None


name_words = st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'."), min_size=1, max_size=12)


@given(
    words=st.lists(name_words, min_size=1, max_size=4),
    title=st.sampled_from(["H.", "HJ.", "DRS.", "IR.", "S.PD", "S.E."]),
)
@settings(max_examples=300, deadline=None)
def test_name_normalisation_properties(con, words, title):
    name = " ".join(words)
    norm = one(con, "nama_baku(?)", name)
    if norm is None:
        return
    assert set(norm) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ ")  # letters and single spaces only
    assert "  " not in norm and norm == norm.strip()
    assert one(con, "nama_baku(?)", norm) == norm  # idempotent
    assert one(con, "nama_baku(?)", name.lower()) == norm  # case does not matter
    assert one(con, "nama_baku(?)", f"{title} {name}") == norm  # a title adds nothing
    assert one(con, "nama_baku(?)", f"  {name}  ") == norm


@pytest.mark.parametrize(
    "text, expected",
    [
        ("05-02-1985", dt.date(1985, 2, 5)),
        ("05/02/1985", dt.date(1985, 2, 5)),
        ("1985-02-05", dt.date(1985, 2, 5)),
        ("31-02-1985", None),
        ("5 Feb 1985", None),
        ("", None),
    ],
)
def test_dates_in_every_allowed_format(con, text, expected):
    assert one(con, "tanggal_teks(?)", text) == expected


def test_birth_date_plausibility(con):
    assert (
        one(con, "tgl_lahir_cacat(?, tanggal_teks(?), ?)", "01-01-2030", "01-01-2030", CUTOFF)
        == "TGL_LAHIR_TIDAK_WAJAR"
    )
    assert one(con, "tgl_lahir_cacat(?, tanggal_teks(?), ?)", "xx", "xx", CUTOFF) == "TGL_LAHIR_TIDAK_TERBACA"
    assert one(con, "tgl_lahir_cacat(?, tanggal_teks(?), ?)", "01-01-1990", "01-01-1990", CUTOFF) is None


@given(st.text(st.characters(codec="latin-1"), max_size=30))
@settings(max_examples=200, deadline=None)
def test_sql_and_python_masks_agree(con, value):
    assert one(con, "samar_nik(?)", value) == privacy.mask_nik(value)
    assert one(con, "samar_tanggal(?)", value) == privacy.mask_date(value)


def test_masks_hide_personal_data(con):
    assert one(con, "samar_nik(?)", "3201054507900001") == "320105**********"
    assert one(con, "samar_nama(?)", "SITI AMINAH") == "S*** A***"
    assert privacy.mask_name("SITI AMINAH") == "S*** A***"
