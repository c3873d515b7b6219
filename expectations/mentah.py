"""Suites for the raw extracts as landed and read: every column docs/contract.md names is
there, no extract is empty or lost all its rows to quarantine, none shrank below a share of
the current snapshot's delivery, and every province's DTKS file that came last time came
again with rows. A delivery half the size of last month's is more likely a broken export
than a change in the population, and "current" must not become worse without someone
deciding so: these are critical. A smaller drift (outside 0.8-1.25) is a warning."""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import great_expectations as gx
import pandas as pd
from great_expectations.expectations.metadata_types import FailureSeverity

from expectations.runner import Rangkaian
from transforms.ingest.extracts import EXTRACTS

# A month's delivery may differ from the last by this factor before it is reported.
RATIO_BOUNDS = (0.8, 1.25)
# Extracts that may rightly be empty, or a tenth of last month's: proposals come as they come.
MAY_BE_EMPTY = frozenset({"usulan", "usulan_anggota"})
DTKS = "dtks"


def _totals(counts: Iterable[dict], key: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for c in counts:
        out[c["sumber"]] = out.get(c["sumber"], 0) + c[key]
    return out


def _dtks_files(counts: Iterable[dict]) -> dict[str, int]:
    """Rows per DTKS province file; a national pull from SQL is one extract, not provinces."""
    return {c["berkas"]: c["dibaca"] for c in counts if c["sumber"] == DTKS and c["berkas"].endswith(".csv")}


def rangkaian(
    landed_columns: dict[str, list[str]], counts: list[dict], previous: list[dict], min_share: float
) -> list[Rangkaian]:
    """`landed_columns`: each extract's header as landed; `counts`: rows read and kept per
    file in this run; `previous`: the same of the current snapshot's run (empty before the
    first); `min_share`: an extract must keep more than this share of the previous rows."""
    # Compared as rows kept: a registry delivered with every row twice keeps the same
    # persons, and must not make next month's sound delivery look like a halving.
    read, kept, before = _totals(counts, "dibaca"), _totals(counts, "diterima"), _totals(previous, "diterima")

    def extracts(con: duckdb.DuckDBPyConnection):
        rows = []
        for e in EXTRACTS:
            if e.name not in landed_columns:
                continue
            checked = e.name not in MAY_BE_EMPTY
            rows.append(
                {
                    "id_sumber": e.name,
                    "kolom_hilang": len(set(e.columns) - set(landed_columns[e.name])),
                    "baris_dibaca": read.get(e.name, 0) if checked else None,
                    "baris_diterima": kept.get(e.name, 0) if checked else None,
                    "rasio_terhadap_sebelumnya": kept.get(e.name, 0) / before[e.name]
                    if checked and before.get(e.name)
                    else None,
                }
            )
        yield "ekstrak", pd.DataFrame(rows)

    files_now, files_before = _dtks_files(counts), _dtks_files(previous)

    def dtks_files(con: duckdb.DuckDBPyConnection):
        # A file delivered last time and missing now counts as a file with no rows.
        names = sorted(set(files_now) | (set(files_before) if files_now else set()))
        yield "berkas_dtks", pd.DataFrame({"id_sumber": names, "baris_dibaca": [files_now.get(n, 0) for n in names]})

    def between(
        column: str, rule: str, low: float | None, high: float | None = None, critical: bool = True, strict=False
    ):
        return gx.expectations.ExpectColumnValuesToBeBetween(
            column=column,
            min_value=low,
            max_value=high,
            strict_min=strict,
            severity=FailureSeverity.CRITICAL if critical else FailureSeverity.WARNING,
            meta={"aturan": rule},
        )

    return [
        Rangkaian(
            "mentah.ekstrak",
            [
                between("kolom_hilang", "KOLOM_EKSTRAK_LENGKAP", 0, 0),
                between("baris_dibaca", "EKSTRAK_TIDAK_KOSONG", 1),
                between("baris_diterima", "EKSTRAK_DITERIMA_ADA", 1),
                # Half of last month's rows is already a broken export: more than the share.
                between("rasio_terhadap_sebelumnya", "BARIS_TIDAK_MENYUSUT", min_share, strict=True),
                between("rasio_terhadap_sebelumnya", "JUMLAH_BARIS_WAJAR", *RATIO_BOUNDS, critical=False),
            ],
            extracts,
        ),
        Rangkaian("mentah.dtks", [between("baris_dibaca", "PROVINSI_DTKS_LENGKAP", 1)], dtks_files),
    ]
