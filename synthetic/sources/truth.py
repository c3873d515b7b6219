"""truth/: what the pipeline should find. Never read by the pipeline; tests and benchmarks
score it against this."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthetic import welfare, writers
from synthetic.context import Konteks
from synthetic.population import Penduduk

TAUTAN, KELUARGA, METADATA = "truth/tautan.parquet", "truth/keluarga.parquet", "truth/metadata.json"


def write_tautan(parts: list[pa.Table], out: Path) -> int:
    return writers.parquet(pa.concat_tables(parts), out / TAUTAN)


def write_keluarga(ctx: Konteks, out: Path) -> int:
    t = pa.table(
        {
            "no_kk": pc.cast(pa.array(ctx.pop.kk), pa.string()),
            "pengeluaran_per_kapita_benar": pa.array(ctx.wel.pengeluaran),
            "pengeluaran_per_kapita_ideal": pa.array(ideal_spending(ctx)),
        }
    )
    return writers.parquet(t, out / KELUARGA)


def ideal_spending(ctx: Konteks) -> np.ndarray:
    """What the generator's own model predicts from each family's true features, without the
    noise: the ceiling of any PMT on error-free inputs (issue 20's benchmark). Whole rupiah,
    like the true spending: the last bit of `exp` differs between CPUs' vector units, and the
    truth must not."""
    from synthetic.drift import nilai_model

    urban, prov = ctx.regions.perkotaan[ctx.pop.desa], ctx.regions.prov[ctx.pop.desa]
    x = welfare.design(ctx.wel.rumah, ctx.wel.komposisi, urban)
    return np.round(np.exp(ctx.wel.model["konstanta"] + nilai_model(x, prov, ctx.wel.model))).astype(np.int64)


def write_metadata(meta: dict, out: Path) -> None:
    (out / METADATA).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------------- a month of a series

PERUBAHAN, TERDAFTAR, USULAN = "truth/perubahan.parquet", "truth/terdaftar.parquet", "truth/usulan.parquet"


def write_table(table: pa.Table, name: str, out: Path) -> int:
    return writers.parquet(table, out / name)


def terdaftar(pop: Penduduk, at: int, catatan: pa.Table) -> pa.Table:
    """The families a correct pipeline publishes at the cut-off `at`: every registry KK with
    a living member whom a source record describes. `catatan`: one row per such record
    (`sumber`, `nik_benar` int64, `id_usulan`: the verified new-family proposal it is a
    member of, else null). One row per KK: its sources, and the proposals among them."""
    order = np.argsort(pop.nik)
    nik = catatan["nik_benar"].to_numpy()
    at_row = order[np.minimum(np.searchsorted(pop.nik[order], nik), pop.n - 1)]
    found = (nik >= 0) & (pop.nik[at_row] == nik)
    alive = found & (pop.lahir[at_row] <= at) & (pop.mati[at_row] > at)
    kk = pop.kk[pop.fam[at_row]]
    rows = catatan.filter(pa.array(alive)).append_column("no_kk", pc.cast(pa.array(kk[alive]), pa.string()))
    con = duckdb.connect()
    try:
        con.register("catatan", rows)
        return con.sql("""
            SELECT no_kk, list_sort(list_distinct(list(sumber))) AS sumber,
                coalesce(list_sort(list_distinct(list(id_usulan) FILTER (WHERE id_usulan IS NOT NULL))),
                    []::VARCHAR[]) AS id_usulan
            FROM catatan GROUP BY no_kk ORDER BY no_kk
        """).to_arrow_table()
    finally:
        con.close()
