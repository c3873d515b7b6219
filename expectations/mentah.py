"""Suite for the raw extracts: every column docs/contract.md names is there, and the row count is
within bounds of the previous published delivery's (a delivery half the size of last
month's is more likely a broken export than a change in the population)."""

from __future__ import annotations

import duckdb
import great_expectations as gx
import pandas as pd
from great_expectations.expectations.metadata_types import FailureSeverity

from expectations.runner import Rangkaian
from transforms.ingest.extracts import EXTRACTS

# A month's delivery may differ from the last by this factor before it is reported.
RATIO_BOUNDS = (0.8, 1.25)


def rangkaian(landed_columns: dict[str, list[str]], rows: dict[str, int], previous: dict[str, int]) -> list[Rangkaian]:
    """`landed_columns`: each extract's header as landed; `rows`: rows read per extract in this
    run; `previous`: the same in the current snapshot's manifest (empty for the first)."""

    def batches(con: duckdb.DuckDBPyConnection):
        frame = pd.DataFrame(
            [
                {
                    "id_sumber": e.name,
                    "kolom_hilang": len(set(e.columns) - set(landed_columns.get(e.name, []))),
                    "rasio_terhadap_sebelumnya": (rows.get(e.name, 0) / previous[e.name])
                    if previous.get(e.name)
                    else None,
                }
                for e in EXTRACTS
                if e.name in landed_columns
            ]
        )
        yield "ekstrak", frame

    return [
        Rangkaian(
            "mentah.ekstrak",
            [
                gx.expectations.ExpectColumnValuesToBeBetween(
                    column="kolom_hilang",
                    min_value=0,
                    max_value=0,
                    severity=FailureSeverity.CRITICAL,
                    meta={"aturan": "KOLOM_EKSTRAK_LENGKAP"},
                ),
                gx.expectations.ExpectColumnValuesToBeBetween(
                    column="rasio_terhadap_sebelumnya",
                    min_value=RATIO_BOUNDS[0],
                    max_value=RATIO_BOUNDS[1],
                    severity=FailureSeverity.WARNING,
                    meta={"aturan": "JUMLAH_BARIS_WAJAR"},
                ),
            ],
            batches,
        )
    ]
