"""truth/: what the pipeline should find. Never read by the pipeline; tests and benchmarks
score it against this."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from synthetic import writers
from synthetic.context import Konteks

TAUTAN, KELUARGA, METADATA = "truth/tautan.parquet", "truth/keluarga.parquet", "truth/metadata.json"


def write_tautan(parts: list[pa.Table], out: Path) -> int:
    return writers.parquet(pa.concat_tables(parts), out / TAUTAN)


def write_keluarga(ctx: Konteks, out: Path) -> int:
    t = pa.table(
        {
            "no_kk": pc.cast(pa.array(ctx.pop.kk), pa.string()),
            "pengeluaran_per_kapita_benar": pa.array(ctx.wel.pengeluaran),
        }
    )
    return writers.parquet(t, out / KELUARGA)


def write_metadata(meta: dict, out: Path) -> None:
    (out / METADATA).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
