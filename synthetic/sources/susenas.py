"""susenas/sampel.parquet: a household survey sample with true spending, to estimate the
welfare (PMT) model on. A simple random sample of ~2% of families with living members;
housing and composition fields are the true ones (no error model: the survey is careful).

The household's family card number (`no_kk`, optional in the contract) is what the
respondent showed or said: some had no card at hand, some numbers were copied wrong (a
digit, one too few or too many), some were written in the card's groups of digits. It is
what links a survey household to the sources, so the pipeline can score it a second time
with the sources' inputs (the input error, transforms/rank/galat.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthetic import errors, writers
from synthetic.context import Konteks
from synthetic.sources import Hasil
from synthetic.sources.regsosek import rumah_columns

FILE = "susenas/sampel.parquet"
SHARE = 0.02
KOMPOSISI = (
    "jumlah_balita",
    "jumlah_anak",
    "jumlah_lansia",
    "jumlah_disabilitas",
    "jumlah_sakit_kronis",
    "jumlah_bekerja",
    "umur_kepala",
    "jenis_kelamin_kepala",
    "r413_kepala",
    "r416_kepala",
    "r417_kepala",
)


# The card number as the interview recorded it.
KK_NOT_AT_HAND = 0.06
KK_MISCOPIED = 0.04  # errors.ketik_kk: a digit, a wrong length, or left blank
KK_GROUPED = 0.05  # "3201 0123 4567 0001", "32.01.01.230421.0001", blanks around


def kk_column(ctx: Konteks, fam: np.ndarray) -> pa.Array:
    """The families' KK as the interviewer wrote it down (its own stream: the other
    columns do not move)."""
    rng = ctx.rng("susenas_kk")
    text, _ = errors.ketik_kk(ctx.pop.kk[fam], KK_MISCOPIED, False, rng)
    grouped = pa.array(rng.random(len(fam)) < KK_GROUPED)
    text = pc.if_else(grouped, errors.formatted(text, rng), text)
    at_hand = pa.array(rng.random(len(fam)) >= KK_NOT_AT_HAND)
    return pc.if_else(at_hand, text, pa.nulls(len(fam), pa.string()))


def sampel(ctx: Konteks) -> np.ndarray:
    """The sampled families: a simple random sample of those with living members."""
    rng = ctx.rng("susenas")
    return np.flatnonzero((ctx.wel.komposisi["jumlah_art"] > 0) & (rng.random(ctx.pop.n_keluarga) < SHARE))


def table(ctx: Konteks, fam: np.ndarray | None = None) -> pa.Table:
    """The sample's rows: `fam` (a series' panel at a later month), else `sampel`."""
    k = ctx.wel.komposisi
    fam = sampel(ctx) if fam is None else fam
    cols = {
        **rumah_columns(ctx.wel.rumah, fam),
        "kode_wilayah": ctx.regions.kode10(ctx.pop.desa[fam]),
        "jumlah_art": pa.array(k["jumlah_art"][fam].astype(np.int32)),
        "pengeluaran_per_kapita": pa.array(ctx.wel.pengeluaran[fam]),
        "no_kk": kk_column(ctx, fam),
    }
    for name in KOMPOSISI:
        v = k[name][fam].astype(np.int32)
        cols[name] = pa.array(v, mask=(v == 0) if name == "r417_kepala" else None)
    return pa.table(cols)


def generate(ctx: Konteks, out: Path, fam: np.ndarray | None = None) -> Hasil:
    return Hasil(rows={FILE: writers.parquet(table(ctx, fam), out / FILE)})
