"""dtks/dtks_<PP>.csv: the Ministry of Social Affairs' legacy welfare list, the messiest source.

Covers the poorer ~45% (by a noisy welfare ranking) as of each family's last update since
2019, with stale entries (dead people, old KK after a split, families that moved), typed
NIKs in every state a spreadsheet leaves them, housing as text labels.
Semicolon-separated, Windows-1252, CRLF, dates DD-MM-YYYY (some DD/MM/YYYY).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthetic import errors, names, tanggal, vocab, writers
from synthetic.context import Konteks, ids
from synthetic.sources import Hasil, tautan
from synthetic.sources.daftar import Daftar, susun

SHARE = 0.45
FIRST_UPDATE = dt.date(2019, 1, 1)
COLUMNS = (
    "ID_DTKS",
    "ID_KELUARGA",
    "NIK",
    "NO_KK",
    "NAMA",
    "TGL_LAHIR",
    "JNS_KEL",
    "HUB_KRT",
    "KODE_WILAYAH",
    "ALAMAT",
    "STATUS_PADAN",
    "PKH",
    "BPNT",
    "PBI",
    "LANTAI",
    "DINDING",
    "ATAP",
    "AIR_MINUM",
    "PENERANGAN",
    "JAMBAN",
    "TGL_UPDATE",
)


def _labels(codes: np.ndarray, mapping: dict, rng: np.random.Generator, wrong: float = 0.03) -> pa.Array:
    """Text labels of codes; a few recorded wrong (another label of the list)."""
    keys = list(mapping)
    labels = pa.array([mapping[k] for k in keys])
    idx = np.searchsorted(np.array(keys), codes)
    other = rng.random(len(codes)) < wrong
    idx[other] = rng.integers(0, len(keys), int(other.sum()))
    return labels.take(pa.array(idx))


def _messy_case(a: pa.Array, rng: np.random.Generator, share: float = 0.02) -> pa.Array:
    """Typed by hand: lower or mixed case, a trailing blank, a doubled space."""
    choice = np.where(rng.random(len(a)) < share, rng.integers(1, 5, len(a)), 0)
    return names.by_choice(
        a,
        choice,
        [
            lambda x: x,
            pc.utf8_lower,
            pc.utf8_title,
            lambda x: pc.binary_join_element_wise(x, pa.scalar(" "), ""),
            lambda x: pc.replace_substring(x, " ", "  ", max_replacements=1),
        ],
    )


def _penerangan(r307a: np.ndarray, r307b: np.ndarray, rng: np.random.Generator) -> pa.Array:
    keys = list(vocab.PENERANGAN)
    idx = np.where(r307a == 1, r307b - 1, r307a + 3)  # order of vocab.PENERANGAN
    other = rng.random(len(idx)) < 0.03
    idx[other] = rng.integers(0, len(keys), int(other.sum()))
    return pa.array([vocab.PENERANGAN[k] for k in keys]).take(pa.array(idx))


def _alamat(ctx: Konteks, fam: np.ndarray, first_of_file: np.ndarray, rng: np.random.Generator) -> pa.Array:
    """Registry address with RT/RW written several ways; a few carry Windows-1252 punctuation
    (en dash, curly quotes) as typed in Word/Excel, at least one per file."""
    pop = ctx.pop
    fidx = pa.array(fam)
    base, rt, rw = pop.alamat.take(fidx), pop.rt.take(fidx), pop.rw.take(fidx)
    rt2, rw2 = pc.utf8_slice_codeunits(rt, 1), pc.utf8_slice_codeunits(rw, 1)
    n = len(fam)

    def joined(*parts):
        """Row-wise concatenation of columns (taken at the rows asked for) and literals. A
        column of more than 2 GB of text (20M persons) comes chunked."""
        return lambda rows: pc.binary_join_element_wise(
            *[p.take(rows) if isinstance(p, pa.Array | pa.ChunkedArray) else pa.scalar(p) for p in parts], ""
        )

    forms = [
        joined(base, " RT ", rt, " RW ", rw),
        joined(base, " RT ", rt2, "/", rw2),
        joined(base, ", RT. ", rt2, " RW. ", rw2),
        joined(base),
        joined(base, " \u2013 RT ", rt2, "/", rw2),  # en dash
        joined("\u201c", base, "\u201d RT ", rt2),  # curly quotes
    ]
    choice = rng.choice(4, n, p=[0.4, 0.3, 0.2, 0.1])
    special = (rng.random(n) < 0.003) | first_of_file
    choice[special] = rng.integers(4, 6, int(special.sum()))
    return names.by_choice(pa.array(np.arange(n)), choice, forms)


def _dates(d: np.ndarray, rng: np.random.Generator, slash: float) -> pa.Array:
    dash = tanggal.to_text(d, "%d-%m-%Y")
    return pc.if_else(pa.array(rng.random(len(d)) < slash), tanggal.to_text(d, "%d/%m/%Y"), dash)


def _programmes(ctx: Konteks, fam: np.ndarray, pct: np.ndarray, rng: np.random.Generator):
    """PKH (families with children, elderly or disabled), BPNT, PBI: mostly the poorest."""
    k = ctx.wel.komposisi
    eligible = (k["jumlah_balita"] + k["jumlah_anak"] + k["jumlah_lansia"] + k["jumlah_disabilitas"])[fam] > 0
    p = pct[fam]
    u = rng.random((3, len(fam)))
    pkh = eligible & (u[0] < np.where(p < 0.2, 0.7, 0.15))
    bpnt = u[1] < np.where(p < 0.3, 0.7, 0.2)
    pbi = u[2] < np.where(p < 0.45, 0.8, 0.3)
    return pkh, bpnt, pbi


def build(
    ctx: Konteks,
    rng: np.random.Generator | None = None,
    selected: np.ndarray | None = None,
    tgl: np.ndarray | None = None,
) -> tuple[Daftar, pa.Table, dict, errors.Ketikan]:
    """The list as of each family's last update. A month of a series passes its own stream,
    the families it re-verifies (`selected`) and their update dates (`tgl`)."""
    rng = ctx.rng("dtks") if rng is None else rng
    rates = ctx.rates("DTKS")
    pop = ctx.pop
    pct = ctx.peringkat(0.35, rng)
    whole_list = selected is None or tgl is None
    if selected is None or tgl is None:
        selected = pct < SHARE
        first = np.where(pop.induk >= 0, pop.pisah, tanggal.days(FIRST_UPDATE))
        tgl = tanggal.uniform(rng, first, ctx.cutoff, pop.n_keluarga)
    d = susun(
        ctx,
        rng,
        selected,
        tgl,
        rates,
        rates["dead_still_listed"],
        ghost_households=True,
        duplicates=rates["dtks_duplicate"],
    )
    cat, ident = d.cat, d.ident
    typed = errors.ketik(ident, rates, rng)

    unit = d.units  # in file order
    fam = d.unit_fam[unit]
    kk_text, kk_wrong = errors.ketik_kk(d.unit_kk[unit], rates["kk_error"], True, rng)
    prov = ctx.regions.prov[d.unit_desa[unit]]
    # The whole list puts Word's punctuation in at least one address per file; households
    # verified again (a series) get it only at the address rate.
    first_of_file = np.r_[True, prov[1:] != prov[:-1]] if len(prov) and whole_list else np.zeros(len(prov), bool)
    h = ctx.wel.rumah
    pkh, bpnt, pbi = _programmes(ctx, fam, pct, rng)
    yn = pa.array(["N", "Y"])

    def per_unit(a: pa.Array) -> pa.Array:
        return a.take(pa.array(d.unit_pos))

    def yes_no(b: np.ndarray) -> pa.Array:
        return per_unit(yn.take(pa.array(b.astype(np.int8))))

    right = typed.nik_benar_diketik & (ident.benar >= 0)
    padan = rng.random(len(cat)) < np.where(right, 0.9, 0.15)  # the ministry's flag is unreliable
    hub = np.array([0] + [vocab.HUB_KRT[s] for s in range(1, 12)])[cat.stat]
    table = pa.table(
        {
            "ID_DTKS": ids("D", len(cat), 10, rng),
            "ID_KELUARGA": per_unit(ids("K", len(unit), 9, rng)),
            "NIK": typed.nik,
            "NO_KK": per_unit(kk_text),
            "NAMA": typed.nama,
            "TGL_LAHIR": _dates(typed.lahir, rng, 0.10),
            "JNS_KEL": pa.array(np.where(ident.female, "P", "L")),
            "HUB_KRT": pc.cast(pa.array(hub), pa.string()),
            "KODE_WILAYAH": per_unit(ctx.regions.kode10(d.unit_desa[unit])),
            "ALAMAT": per_unit(_alamat(ctx, fam, first_of_file, rng)),
            "STATUS_PADAN": pa.array(np.where(padan, "PADAN", "TIDAK PADAN")),
            "PKH": yes_no(pkh),
            "BPNT": yes_no(bpnt),
            "PBI": yes_no(pbi),
            "LANTAI": per_unit(_messy_case(_labels(h["r303"][fam], vocab.LANTAI, rng), rng)),
            "DINDING": per_unit(_messy_case(_labels(h["r304"][fam], vocab.DINDING, rng), rng)),
            "ATAP": per_unit(_messy_case(_labels(h["r305"][fam], vocab.ATAP, rng), rng)),
            "AIR_MINUM": per_unit(_messy_case(_labels(h["r306a"][fam], vocab.AIR_MINUM, rng), rng)),
            "PENERANGAN": per_unit(_messy_case(_penerangan(h["r307a"][fam], h["r307b"][fam], rng), rng)),
            "JAMBAN": per_unit(_messy_case(_labels(h["r309a"][fam], vocab.JAMBAN, rng), rng)),
            "TGL_UPDATE": per_unit(tanggal.to_text(d.unit_tgl[unit], "%d-%m-%Y")),
        }
    )
    info = d.info | errors.counts(typed) | {"kk_error_units": int(kk_wrong.sum())}
    return d, table, info, typed


def write(table: pa.Table, prov: np.ndarray, out: Path) -> dict[str, int]:
    """One file per province; `prov` (per row, in file order) is the province of the row's
    KODE_WILAYAH, sorted."""
    rows = {}
    for p in np.unique(prov):
        lo, hi = np.searchsorted(prov, p, "left"), np.searchsorted(prov, p, "right")
        name = f"dtks/dtks_{int(p):02d}.csv"
        rows[name] = writers.csv_plain(table.slice(lo, hi - lo), out / name, ";", "cp1252", crlf=True)
    return rows


def generate(ctx: Konteks, out: Path) -> Hasil:
    d, table, info, typed = build(ctx)
    rows = write(table, ctx.regions.prov[d.unit_desa[d.units]][d.unit_pos], out)
    listed = np.zeros(ctx.pop.n_keluarga, bool)
    listed[d.cat.unit[d.cat.unit < ctx.pop.n_keluarga]] = True
    # Families with someone listed twice: what a GANDA objection is about.
    times = np.bincount(d.cat.orang[d.cat.orang >= 0], minlength=ctx.pop.n)
    ganda = np.zeros(ctx.pop.n_keluarga, bool)
    ganda[ctx.pop.fam[times > 1]] = True
    return Hasil(
        rows=rows,
        tautan=tautan("DTKS", table["ID_DTKS"].combine_chunks(), d.ident.benar, typed),
        info=info,
        keluarga=listed,
        ganda=ganda,
        detail=(d, table, typed),
    )
