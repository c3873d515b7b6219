"""susenas/sampel.parquet: a household survey sample with true spending, to estimate the
welfare (PMT) model on. A simple random sample of ~2% of families with living members;
housing and composition fields are the true ones (no error model: the survey is careful)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from synthetic import writers
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
    }
    for name in KOMPOSISI:
        v = k[name][fam].astype(np.int32)
        cols[name] = pa.array(v, mask=(v == 0) if name == "r417_kepala" else None)
    return pa.table(cols)


def generate(ctx: Konteks, out: Path, fam: np.ndarray | None = None) -> Hasil:
    return Hasil(rows={FILE: writers.parquet(table(ctx, fam), out / FILE)})
