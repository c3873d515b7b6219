"""dukcapil/penduduk.parquet: the civil registry, error-free (it is the authority)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthetic import tanggal, writers
from synthetic.context import Konteks
from synthetic.sources import Hasil

FILE = "dukcapil/penduduk.parquet"


def table(ctx: Konteks) -> pa.Table:
    pop, reg = ctx.pop, ctx.regions
    desa = pop.desa[pop.fam]
    fam = pa.array(pop.fam)
    kk_text = pc.cast(pa.array(pop.kk), pa.string())

    def i32(a):
        return pa.array(np.asarray(a, np.int32))

    return pa.table(
        {
            "NIK": pc.cast(pa.array(pop.nik), pa.string()),
            "NO_KK": kk_text.take(fam),
            "NAMA_LGKP": pop.nama,
            "TMPT_LHR": pop.tempat,
            "TGL_LHR": tanggal.to_arrow(pop.lahir),
            "JENIS_KLMIN": i32(np.where(pop.female, 2, 1)),
            "STAT_HBKEL": i32(pop.stat),
            "STATUS_KAWIN": i32(pop.kawin),
            "NAMA_LGKP_IBU": pop.nama_ibu,
            "NO_PROP": i32(reg.prov[desa]),
            "NO_KAB": i32(reg.kab[desa]),
            "NO_KEC": i32(reg.kec[desa]),
            "NO_KEL": i32(reg.kel[desa]),
            "ALAMAT": pop.alamat.take(fam),
            "NO_RT": pop.rt.take(fam),
            "NO_RW": pop.rw.take(fam),
            "TGL_MATI": tanggal.to_arrow(
                np.where(pop.mati == tanggal.NEVER, 0, pop.mati), null=pop.mati == tanggal.NEVER
            ),
        }
    )


def generate(ctx: Konteks, out: Path) -> Hasil:
    return Hasil(rows={FILE: writers.parquet(table(ctx), out / FILE)})
