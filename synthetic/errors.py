"""The error model: how a person's identity gets typed into a source.

Every function takes the true values and a rate and returns what the source holds.
NIK errors are exclusive (one per record at most) and drawn in the order of NIK_KINDS;
names, dates and KK numbers get their errors independently.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthetic import bentuk_nama, identifiers, names, tanggal
from synthetic.config import NAME_KINDS, NIK_KINDS
from synthetic.population import Penduduk
from synthetic.regions import Regions

E = 10 ** np.arange(18, dtype=np.int64)  # E[k] = 10**k
_NULL = pa.scalar(None, pa.string())
TANPA = len(NIK_KINDS)  # the "no NIK error" kind
TANPA_NAMA = len(NAME_KINDS)  # the name as the registry has it


@dataclass
class Identitas:
    """Who each record describes: true values, before any typing."""

    nik: np.ndarray  # int64; a fabricated number for ghosts
    benar: np.ndarray  # int64 registry NIK, -1 for records of nobody in the registry
    nama: pa.Array  # upper case
    lahir: np.ndarray  # days
    female: np.ndarray
    ayah: pa.Array  # the father's name where the registry shows him, else null
    serumah: np.ndarray  # int64 NIK of the member on the next KK row (other birth date), -1 if none

    def __len__(self) -> int:
        return len(self.nik)

    @staticmethod
    def of(pop: Penduduk, orang: np.ndarray) -> Identitas:
        father = pop.ayah[orang]
        # The row below, or above for every other person (and for the last row).
        other = pop.serumah(orang, bawah=orang % 2 == 0)
        known = other >= 0
        serumah = np.where(known, pop.nik[np.maximum(other, 0)], -1)
        serumah[known & (pop.lahir[np.maximum(other, 0)] == pop.lahir[orang])] = -1  # twins look alike
        return Identitas(
            nik=pop.nik[orang],
            benar=pop.nik[orang],
            nama=pop.nama.take(pa.array(orang)),
            lahir=pop.lahir[orang],
            female=pop.female[orang],
            ayah=pop.nama.take(pa.array(np.maximum(father, 0), mask=father < 0)),
            serumah=serumah,
        )

    @staticmethod
    def concat(parts: list[Identitas]) -> Identitas:
        return Identitas(
            nik=np.concatenate([p.nik for p in parts]),
            benar=np.concatenate([p.benar for p in parts]),
            nama=pa.concat_arrays([p.nama for p in parts]),
            lahir=np.concatenate([p.lahir for p in parts]),
            female=np.concatenate([p.female for p in parts]),
            ayah=pa.concat_arrays([p.ayah for p in parts]),
            serumah=np.concatenate([p.serumah for p in parts]),
        )

    def take(self, idx: np.ndarray) -> Identitas:
        i = pa.array(idx)
        return Identitas(
            nik=self.nik[idx],
            benar=self.benar[idx],
            nama=self.nama.take(i),
            lahir=self.lahir[idx],
            female=self.female[idx],
            ayah=self.ayah.take(i),
            serumah=self.serumah[idx],
        )


def ghosts(
    n: int, pop: Penduduk, regions: Regions, cutoff: int, rng: np.random.Generator, registry_sorted: np.ndarray
) -> Identitas:
    """Fabricated people: a plausible name, date of birth and a well-formed NIK of nobody."""
    female = rng.random(n) < 0.5
    age = np.where(rng.random(n) < 0.75, rng.uniform(18, 75, n), rng.uniform(0, 18, n))
    lahir = (cutoff - np.floor(age * 365.25)).astype(np.int32)
    kec = rng.choice(len(regions.kec_kode), n, p=regions.kec_bobot / regions.kec_bobot.sum())
    nik = identifiers.nik(regions.kec_kode[kec], lahir, female, rng, taken=registry_sorted)
    return Identitas(
        nik=nik,
        benar=np.full(n, -1, np.int64),
        nama=names.person_names(female, rng),
        lahir=lahir,
        female=female,
        ayah=pa.nulls(n, pa.string()),
        serumah=np.full(n, -1, np.int64),
    )


# ---------------------------------------------------------------------------- digits


def _typo(v: np.ndarray, rng: np.random.Generator, width: int = 16) -> np.ndarray:
    """One digit replaced by another."""
    pos = rng.integers(0, width, len(v))  # from the right
    old = (v // E[pos]) % 10
    new = (old + rng.integers(1, 10, len(v))) % 10
    # The leading digit never becomes 0: the number would silently lose a digit.
    lead = pos == width - 1
    new[lead] = 1 + (old[lead] - 1 + rng.integers(1, 9, int(lead.sum()))) % 9
    return v + (new - old) * E[pos]


def _transpose(v: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Two adjacent, different digits swapped."""
    if len(v) == 0:
        return v
    d = identifiers.digits(v)
    differ = d[:, :-1] != d[:, 1:]
    keys = np.where(differ, rng.random(differ.shape), -1.0)
    k = np.argmax(keys, axis=1)  # left digit of the pair, from the left
    rows = np.arange(len(v))
    a, b = d[rows, k].copy(), d[rows, k + 1].copy()
    d[rows, k], d[rows, k + 1] = b, a
    return identifiers.from_digits(d)


def _wrong_length(v: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A digit dropped (15 digits) or one added (17)."""
    n = len(v)
    pos = rng.integers(0, 16, n)  # digits to the right of the change
    shorter = rng.random(n) < 0.5
    high, low = v // E[pos + 1], v % E[pos]
    dropped = high * E[pos] + low
    inserted = (v // E[pos]) * E[pos + 1] + rng.integers(0, 10, n) * E[pos] + low
    return np.where(shorter, dropped, inserted)


def _spoiled(v: np.ndarray, rng: np.random.Generator) -> pa.Array:
    """What a spreadsheet shows for a 16-digit number: 3.27123E+15 or 3.27E+15."""
    keep = np.where(rng.random(len(v)) < 0.6, 6, 3)
    mant = (v + E[16 - keep] // 2) // E[16 - keep]
    s = pc.cast(pa.array(mant), pa.string())
    rest = pc.replace_substring_regex(pc.utf8_slice_codeunits(s, 1), "0+$", "")
    dotted = pc.if_else(
        pc.equal(rest, ""),
        pc.utf8_slice_codeunits(s, 0, 1),
        pc.binary_join_element_wise(pc.utf8_slice_codeunits(s, 0, 1), rest, "."),
    )
    return pc.binary_join_element_wise(dotted, pa.scalar("E+15"), "")


_LAYOUTS = (
    (r"^(\d{4})(\d{4})(\d{4})(\d{4})$", r"\1 \2 \3 \4"),
    (r"^(\d{2})(\d{2})(\d{2})(\d{6})(\d{4})$", r"\1.\2.\3.\4.\5"),
    (r"^(.*)$", r" \1 "),
    (r"^(.*)$", r"'\1"),
)


def formatted(s: pa.Array, rng: np.random.Generator) -> pa.Array:
    """Typed with spaces or dots, blanks around, or the spreadsheet's text apostrophe."""
    funcs = [lambda a, p=p, r=r: pc.replace_substring_regex(a, p, r) for p, r in _LAYOUTS]
    return names.by_choice(s, rng.integers(0, len(_LAYOUTS), len(s)), funcs)


# ---------------------------------------------------------------------------- NIK and KK


def _exclusive(kinds: tuple[str, ...], rates: dict[str, float], n: int, rng: np.random.Generator) -> np.ndarray:
    """One of `kinds` (its index) or none (len(kinds)) per record, kind k with rates[k]."""
    edges = np.cumsum([rates[k] for k in kinds])
    return np.searchsorted(edges, rng.random(n), side="right")


def nik_kinds(
    female: np.ndarray, rates: dict[str, float], rng: np.random.Generator, serumah: np.ndarray | None = None
) -> np.ndarray:
    """Which NIK error each record gets: an index into NIK_KINDS, or TANPA. A kind that does
    not fit the record (women's day for a man, a family member's NIK for someone alone in
    the KK, `serumah` -1) leaves it typed right."""
    kind = _exclusive(NIK_KINDS, rates, len(female), rng)
    women_day = NIK_KINDS.index("nik_women_day_missing")
    kind = np.where((kind == women_day) & ~female, TANPA, kind)
    alone = np.ones(len(female), bool) if serumah is None else serumah < 0
    kind = np.where((kind == NIK_KINDS.index("nik_keluarga")) & alone, TANPA, kind)
    return kind.astype(np.int8)


def ketik_nik(
    nik: np.ndarray, kind: np.ndarray, rng: np.random.Generator, serumah: np.ndarray | None = None
) -> pa.Array:
    """NIK text as the source holds it, given the error kind of each record (`serumah`: the
    NIK of the family member on the next KK row, for nik_keluarga)."""
    v = nik.copy()
    k = {name: kind == i for i, name in enumerate(NIK_KINDS)}
    if k["nik_keluarga"].any():
        if serumah is None or (serumah[k["nik_keluarga"]] < 0).any():
            raise ValueError("nik_keluarga needs the NIK of another member of the family (serumah)")
        v[k["nik_keluarga"]] = serumah[k["nik_keluarga"]]
    v[k["nik_typo"]] = _typo(v[k["nik_typo"]], rng)
    v[k["nik_transposition"]] = _transpose(v[k["nik_transposition"]], rng)
    v[k["nik_women_day_missing"]] -= 40 * E[8]
    v[k["nik_wrong_length"]] = _wrong_length(v[k["nik_wrong_length"]], rng)
    text = pc.cast(pa.array(v), pa.string())
    choice = np.select([k["nik_missing"], k["nik_spoiled"], k["nik_formatting"]], [1, 2, 3], 0)
    return names.by_choice(
        text,
        choice,
        [
            lambda a: a,
            lambda a: pa.nulls(len(a), pa.string()),
            lambda a: _spoiled(v[k["nik_spoiled"]], rng),
            lambda a: formatted(a, rng),
        ],
    )


KK_KINDS = ("missing", "typo", "wrong_length", "spoiled")


def ketik_kk(kk: np.ndarray, rate: float, spreadsheet: bool, rng: np.random.Generator) -> tuple[pa.Array, np.ndarray]:
    """KK text with typos, gaps, wrong lengths and (DTKS) spreadsheet notation.
    Returns the text and whether each value is wrong."""
    n = len(kk)
    wrong = rng.random(n) < rate
    shares = [0.35, 0.35, 0.15, 0.15] if spreadsheet else [0.4, 0.45, 0.15, 0.0]
    kind = np.where(wrong, rng.choice(4, n, p=np.array(shares) / sum(shares)), -1)
    v = kk.copy()
    v[kind == 1] = _typo(v[kind == 1], rng)
    v[kind == 2] = _wrong_length(v[kind == 2], rng)
    text = pc.cast(pa.array(v), pa.string())
    text = names.by_choice(
        text,
        np.where(kind == 0, 1, np.where(kind == 3, 2, 0)),
        [
            lambda a: a,
            lambda a: pa.nulls(len(a), pa.string()),
            lambda a: _spoiled(v[kind == 3], rng),
        ],
    )
    return text, wrong


# ---------------------------------------------------------------------------- names and dates


def ketik_nama(ident: Identitas, rates: dict[str, float], rng: np.random.Generator) -> tuple[pa.Array, np.ndarray]:
    """Names as the source writes them: at most one form of NAME_KINDS per record (rates of
    the records whose name allows the form). Returns the names and each record's form, an
    index into NAME_KINDS or TANPA_NAMA; a form that would not change the name is none."""
    kind = _exclusive(NAME_KINDS, rates, len(ident), rng).astype(np.int8)
    pieces, rows = [ident.nama], [np.arange(len(ident))]
    for j, name in enumerate(NAME_KINDS):
        idx = np.flatnonzero(kind == j)
        if len(idx) == 0:
            continue
        before = ident.nama.take(pa.array(idx))
        after = bentuk_nama.FORMS[name](before, ident.female[idx], ident.ayah.take(pa.array(idx)), rng)
        changed = pc.fill_null(pc.not_equal(after, before), False).to_numpy(zero_copy_only=False)
        kind[idx[~changed]] = TANPA_NAMA
        pieces.append(after.filter(pa.array(changed)).cast(pa.string()))
        rows.append(idx[changed])
    source = np.arange(len(ident))
    for r, start in zip(rows[1:], np.cumsum([len(r) for r in rows])[:-1]):
        source[r] = start + np.arange(len(r))
    return pa.concat_arrays(pieces).take(pa.array(source)), kind


def ketik_tanggal(
    lahir: np.ndarray, swap: float, typo: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Dates of birth with day and month swapped (where both are <= 12) or the year off by one."""
    y, m, d = tanggal.ymd(lahir)
    n = len(lahir)
    swapped = (d <= 12) & (m <= 12) & (d != m) & (rng.random(n) < swap)
    off = ~swapped & (rng.random(n) < typo)
    out = lahir.copy()
    out[swapped] = tanggal.from_ymd(y[swapped], d[swapped], m[swapped])
    out[off] = tanggal.add_years(lahir[off], np.where(rng.random(int(off.sum())) < 0.5, -1, 1))
    return out, swapped | off


@dataclass
class Ketikan:
    """A person's identity as one source typed it."""

    nik: pa.Array
    nama: pa.Array
    lahir: np.ndarray
    nik_kind: np.ndarray  # index into NIK_KINDS, TANPA when typed right
    nama_kind: np.ndarray  # index into NAME_KINDS, TANPA_NAMA when written as the registry has it
    lahir_beda: np.ndarray

    @property
    def nama_beda(self) -> np.ndarray:
        return self.nama_kind != TANPA_NAMA

    @property
    def nik_benar_diketik(self) -> np.ndarray:
        """The NIK reads as the 16 right digits (possibly after removing blanks and dots)."""
        return (self.nik_kind == TANPA) | (self.nik_kind == NIK_KINDS.index("nik_formatting"))


def ketik(ident: Identitas, rates: dict[str, float], rng: np.random.Generator) -> Ketikan:
    kind = nik_kinds(ident.female, rates, rng, ident.serumah)
    nama, nama_kind = ketik_nama(ident, rates, rng)
    lahir, lahir_beda = ketik_tanggal(ident.lahir, rates["date_swap"], rates["date_typo"], rng)
    return Ketikan(
        nik=ketik_nik(ident.nik, kind, rng, ident.serumah),
        nama=nama,
        lahir=lahir,
        nik_kind=kind,
        nama_kind=nama_kind,
        lahir_beda=lahir_beda,
    )


def counts(k: Ketikan) -> dict[str, int]:
    """How many records got each error (for the metadata): every NIK error and name form by
    its kind, `name_variant` all name forms together, `date_error` dates swapped or off."""
    return kind_counts(k.nik_kind, k.nama_kind, k.lahir_beda)


def kinds_per_record(k: Ketikan) -> dict[str, pa.Array]:
    """Each record's NIK error and name form by name, null where there is none (for the truth)."""
    return kind_names(k.nik_kind, k.nama_kind)


def kind_names(nik_kind: np.ndarray, nama_kind: np.ndarray) -> dict[str, pa.Array]:
    """NIK error and name form indices (TANPA, TANPA_NAMA: none) as the truth's names."""
    nik = pa.array([*NIK_KINDS, None], pa.string()).take(pa.array(nik_kind.astype(np.int64)))
    nama = pa.array([*NAME_KINDS, None], pa.string()).take(pa.array(nama_kind.astype(np.int64)))
    return {"galat_nik": nik, "galat_nama": nama}


def kind_counts(nik_kind: np.ndarray, nama_kind: np.ndarray, lahir_beda: np.ndarray) -> dict[str, int]:
    """`counts` of records whose kinds are known (a series' carried DTKS rows)."""
    out = {name: int(np.sum(nik_kind == i)) for i, name in enumerate(NIK_KINDS)}
    out |= {name: int(np.sum(nama_kind == i)) for i, name in enumerate(NAME_KINDS)}
    out["name_variant"] = int(np.sum(nama_kind != TANPA_NAMA))
    out["date_error"] = int(np.sum(lahir_beda))
    return out
