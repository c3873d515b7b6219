"""One module per source extract: each builds its tables from the registry and the truth,
applies the error model, and writes its files exactly as docs/contract.md describes them."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthetic.errors import Ketikan, kinds_per_record


@dataclass
class Hasil:
    """What writing one source leaves behind for the truth files and the metadata."""

    rows: dict[str, int]  # file (relative to the delivery) -> data rows
    tautan: pa.Table | None = None  # sumber, id_sumber, nik_benar, galat_* for person-level records
    info: dict = field(default_factory=dict)
    keluarga: np.ndarray | None = None  # registry families the source lists (bool mask)
    ganda: np.ndarray | None = None  # registry families with a person listed twice
    detail: object | None = None  # what the next month of a series starts from (synthetic/series.py)


def tautan(sumber: str, id_sumber: pa.Array, nik_benar: np.ndarray, typed: Ketikan) -> pa.Table:
    """Who each record really is, and which NIK error and name form it got (null: none)."""
    return pa.table(
        {
            "sumber": pa.repeat(pa.scalar(sumber), len(id_sumber)).cast(pa.string()),
            "id_sumber": id_sumber.cast(pa.string()),
            "nik_benar": pc.cast(pa.array(nik_benar, mask=nik_benar < 0), pa.string()),
            **kinds_per_record(typed),
        }
    )
