"""The runner: a suite (expectations as code) applied to Arrow batches, partition by partition.

GX cannot validate DuckDB through SQLAlchemy (metric queries come back empty), so DuckDB
builds each batch (the columns a suite looks at, plus any fact that needs a join, such as
"this region code is in the reference") and hands it over as a pandas frame of at most
`ROWS_PER_BATCH` rows: memory stays bounded whatever the table's size. Every row an
expectation rejects is written to the quarantine under the expectation's rule name
(`meta.aturan`): the rule is named once, in its suite. Results are stored in the run's GX
project, and Data Docs are built from them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import great_expectations as gx
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from great_expectations import exceptions as gx_exceptions
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.expectations.metadata_types import FailureSeverity

from dtsen.privacy import mask_date, mask_name, mask_nik

ROWS_PER_BATCH = 1_000_000
Batches = Callable[[duckdb.DuckDBPyConnection], Iterator[tuple[str, pd.DataFrame]]]

# How a rejected value is shown in the quarantine: personal data masked.
MASK = {
    "nik": mask_nik,
    "no_kk": mask_nik,
    "nik_kepala_keluarga": mask_nik,
    "nama": mask_name,
    "tgl_lahir": lambda v: mask_date(str(v)),
}
QUARANTINE = pa.schema(
    [
        ("sumber", pa.string()),
        ("berkas", pa.string()),
        ("baris", pa.int64()),
        ("id_sumber", pa.string()),
        ("aturan", pa.string()),
        ("kolom", pa.string()),
        ("nilai", pa.string()),
    ]
)


@dataclass
class Rangkaian:
    """One suite and where its batches come from."""

    name: str  # e.g. "baku.orang": stage, then what it checks
    expectations: list  # GX expectations, each with meta {"aturan": RULE_NAME}
    batches: Batches  # (table or partition label, frame)
    id_column: str = "id_sumber"  # names a rejected row in the quarantine


@dataclass
class Hasil:
    """The outcome of one suite over all its batches."""

    name: str
    per_aturan: dict[str, dict] = field(default_factory=dict)
    quarantined: int = 0

    @property
    def critical_failures(self) -> list[str]:
        return [a for a, r in self.per_aturan.items() if not r["sukses"] and r["tingkat"] == "critical"]

    @property
    def warnings(self) -> list[str]:
        return [a for a, r in self.per_aturan.items() if not r["sukses"] and r["tingkat"] != "critical"]


def fact_holds(column: str, rule: str, value: bool = True, severity=FailureSeverity.CRITICAL):
    """The expectation that a fact DuckDB computed per row (a boolean column: "the village is
    in the reference", "the registry records a death") has `value` on every row."""
    return gx.expectations.ExpectColumnValuesToBeInSet(
        column=column, value_set=[value], severity=severity, meta={"aturan": rule}
    )


def batches_from(
    con: duckdb.DuckDBPyConnection, label: str, sql: str, params: dict | None = None
) -> Iterator[tuple[str, pd.DataFrame]]:
    """A DuckDB query streamed as frames of at most ROWS_PER_BATCH rows."""
    # DuckDB hands over vectors of ~120k rows; GX costs a fixed overhead per batch, so the
    # vectors are gathered into frames of ROWS_PER_BATCH.
    pending, rows = [], 0
    # A relation, not a DB-API result: DuckDB warns that the latter copies the rows once more.
    reader = con.sql(sql, params=params).to_arrow_reader(ROWS_PER_BATCH)
    for batch in reader:
        pending.append(batch)
        rows += batch.num_rows
        if rows >= ROWS_PER_BATCH:
            yield label, pa.Table.from_batches(pending).to_pandas()
            pending, rows = [], 0
    if pending:
        yield label, pa.Table.from_batches(pending).to_pandas()


def _skip_batch_fingerprint() -> None:
    """GX hashes every pandas batch under 1 GB to label it with a fingerprint (a batch
    marker, used for nothing else): half of the validation time at 1M persons. Our batches
    are named by table and partition already, so the hashing is switched off."""
    from great_expectations.execution_engine import pandas_execution_engine

    pandas_execution_engine.HASH_THRESHOLD = 0


def context(project: Path):
    """The run's GX project (file mode): suites, results and Data Docs live with the run."""
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    _skip_batch_fingerprint()
    project.mkdir(parents=True, exist_ok=True)
    try:
        ctx = gx.get_context(mode="file", project_root_dir=str(project))
    except (gx_exceptions.InvalidConfigurationYamlError, gx_exceptions.InvalidDataContextConfigError):
        # GX rewrites its config in place: a run killed at that moment leaves it cut short.
        # It holds settings only (the suites are code, the results lie beside it): start anew.
        (project / "gx" / "great_expectations.yml").unlink(missing_ok=True)
        ctx = gx.get_context(mode="file", project_root_dir=str(project))
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    ctx.variables.save()
    return ctx


def shown_id(column: str, value) -> str | None:
    """A rejected row's id as the quarantine shows it (a NIK or KK masked)."""
    return None if value is None else MASK.get(column, str)(str(value))


def rule(expectation) -> str:
    return expectation.meta["aturan"]


def run(ctx, rangkaian: Rangkaian, con: duckdb.DuckDBPyConnection, quarantine: Path) -> Hasil:
    """Validate every batch; quarantine rejected rows; return the per-rule summary."""
    suite = ctx.suites.add_or_update(gx.ExpectationSuite(name=rangkaian.name, expectations=rangkaian.expectations))
    source = ctx.data_sources.add_or_update_pandas("dtsen")
    asset = (
        source.add_dataframe_asset(rangkaian.name)
        if rangkaian.name not in source.get_asset_names()
        else source.get_asset(rangkaian.name)
    )
    batch_definition = (
        asset.add_batch_definition_whole_dataframe(f"{rangkaian.name}-bagian")
        if not asset.batch_definitions
        else asset.batch_definitions[0]
    )
    validation = ctx.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=rangkaian.name, data=batch_definition, suite=suite)
    )
    hasil = Hasil(rangkaian.name)
    for e in suite.expectations:
        hasil.per_aturan[rule(e)] = {
            "tingkat": FailureSeverity(e.severity).value,
            "sukses": True,
            "diperiksa": 0,
            "gagal": 0,
        }
    rejected: list[dict] = []
    for label, frame in rangkaian.batches(con):
        if frame.empty:
            continue
        result = validation.run(
            batch_parameters={"dataframe": frame},
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [rangkaian.id_column]},
        )
        for r in result.results:
            config = r.expectation_config
            summary = hasil.per_aturan[config.meta["aturan"]]
            summary["sukses"] = summary["sukses"] and bool(r.success)
            summary["diperiksa"] += len(frame)
            summary["gagal"] += int(r.result.get("unexpected_count") or (0 if r.success else 1))
            column = config.kwargs.get("column")
            for row in r.result.get("unexpected_index_list") or []:
                value = row.get(column)
                shown = MASK.get(column, str)(value) if value is not None else None
                rejected.append(
                    {
                        "sumber": label,
                        "berkas": rangkaian.name,
                        "baris": None,
                        "id_sumber": shown_id(rangkaian.id_column, row.get(rangkaian.id_column)),
                        "aturan": config.meta["aturan"],
                        "kolom": column,
                        "nilai": shown,
                    }
                )
    if rejected:
        quarantine.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rejected, schema=QUARANTINE), quarantine)
    hasil.quarantined = len(rejected)
    return hasil
