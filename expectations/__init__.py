"""Data quality with Great Expectations: suites as code per stage, the runner, the gate.

    mentah   raw extracts: columns present, row counts within bounds of the last delivery
    baku     standardized sources: NIK/KK format, dates, codes in their sets, villages exist
    terpadu  the unified register: one row per NIK, one family per KK, heads, no dead listed
    terbit   the snapshot to publish: every family ranked, deciles near 10%, counts reconcile

Each expectation carries a severity and a rule name (`meta.aturan`). A critical failure
stops the run before publishing (the previous snapshot stays current); a warning is
reported. Rejected rows go to `karantina/mutu/<suite>.parquet` under the rule's name.
Results and Data Docs are kept in the run folder (`mutu/`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb

from expectations import data_docs
from expectations.runner import Hasil, Rangkaian, context, run


class QualityError(RuntimeError):
    """A critical expectation failed: the run is not published."""

    def __init__(self, failures: list[str], docs: Path):
        self.failures, self.docs = failures, docs
        super().__init__(
            f"critical quality checks failed: {', '.join(failures)}; nothing was published "
            f"(the previous snapshot stays current). Rejected rows are in the run's "
            f"karantina/mutu/, the full results in {docs}"
        )


def project(run_dir: Path) -> Path:
    return Path(run_dir) / "mutu"


def docs_index(run_dir: Path) -> Path:
    return project(run_dir) / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"


def validate(
    run_dir: Path, suites: list[Rangkaian], con: duckdb.DuckDBPyConnection | None = None, docs: bool = True
) -> dict:
    """Apply the suites; return their summary for the manifest. With `docs`, Data Docs are
    built; a run of several stages builds them once instead, when it stops or ends
    (`build_docs`): each build renders every result stored so far."""
    started = time.perf_counter()
    ctx = context(project(run_dir))
    con = con or duckdb.connect()
    labels = data_docs.Labels(data_docs.store_dir(project(run_dir)))
    results: list[Hasil] = [
        run(
            ctx,
            replace(s, batches=labels.wrap(s.batches)),
            con,
            Path(run_dir) / "karantina" / "mutu" / f"{s.name}.parquet",
        )
        for s in suites
    ]
    scrub_stored_results(project(run_dir))
    if docs:
        build_data_docs(ctx, project(run_dir), labels)
    else:
        data_docs.apply_labels(labels)  # the labels are noted while the suites run, or never
    return {
        "rangkaian": {h.name: {"per_aturan": h.per_aturan, "dikarantina": h.quarantined} for h in results},
        "kritis_gagal": [f"{h.name}:{a}" for h in results for a in h.critical_failures],
        "peringatan": [f"{h.name}:{a}" for h in results for a in h.warnings],
        "detik": round(time.perf_counter() - started, 2),
    }


# What GX keeps of the rejected rows in a stored result: their values and identifiers,
# personal data (NIKs, KKs). The quarantine holds those rows, masked; the stored results,
# and so the Data Docs, keep only the counts.
ROW_KEYS = (
    "unexpected_list",
    "partial_unexpected_list",
    "unexpected_index_list",
    "partial_unexpected_index_list",
    "partial_unexpected_counts",
    "unexpected_index_query",
    "unexpected_rows",
)


def scrub_stored_results(gx_project: Path) -> None:
    import json

    for stored in (gx_project / "gx" / "uncommitted" / "validations").rglob("*.json"):
        result = json.loads(stored.read_text())
        for r in result.get("results", []):
            for key in ROW_KEYS:
                r.get("result", {}).pop(key, None)
        stored.write_text(json.dumps(result))


def build_docs(run_dir: Path) -> Path:
    """The run's Data Docs from every result its stages stored; the index path."""
    return build_data_docs(context(project(run_dir)), project(run_dir))


def build_data_docs(ctx, gx_project: Path, labels: data_docs.Labels | None = None) -> Path:
    """GX's Data Docs, readable offline, each result labelled by the batch it checked and
    opening with its rules and severities (`expectations/data_docs.py`); the index path."""
    if labels is not None:
        data_docs.apply_labels(labels)
    data_docs.without_how_to(ctx)
    ctx.build_data_docs()
    data_docs.finish_site(
        data_docs.site_dir(gx_project), data_docs.store_dir(gx_project), title=f", run {Path(gx_project).parent.name}"
    )
    return data_docs.site_dir(gx_project) / "index.html"


def merge(parts: Sequence[tuple[str, dict]], run_dir: Path) -> dict:
    """One summary for the manifest from the stages' summaries (stage, summary), with the overall status."""
    summary: dict[str, Any] = {"rangkaian": {}, "kritis_gagal": [], "peringatan": [], "detik": {}}
    for stage, part in parts:
        summary["rangkaian"] |= part["rangkaian"]
        summary["kritis_gagal"] += part["kritis_gagal"]
        summary["peringatan"] += part["peringatan"]
        summary["detik"][stage] = part["detik"]
    summary["status"] = "GAGAL" if summary["kritis_gagal"] else "PERINGATAN" if summary["peringatan"] else "LULUS"
    summary["data_docs"] = str(docs_index(run_dir))
    return summary


def landed_columns(landed_dir: Path) -> dict[str, list[str]]:
    """Each extract's header as landed (the union over a per-province extract's files)."""
    import pyarrow.parquet as pq

    from transforms.ingest.extracts import EXTRACTS
    from transforms.ingest.readers import contract_names, header

    columns: dict[str, list[str]] = {}
    for e in EXTRACTS:
        for f in sorted(Path(landed_dir).glob(e.pattern)):
            if e.format == "parquet":
                names = contract_names(e, f, pq.read_schema(f).names)
            elif e.format == "csv":
                names = header(e, f)
            else:  # JSON lines carry no header: their fields are checked row by row when standardized
                names = list(e.columns)
            columns[e.name] = sorted(set(columns.get(e.name, [])) | set(names))
    return columns


def check_raw_and_standardized(
    run_dir: Path,
    landed_dir: Path,
    cutoff,
    counts: list[dict],
    previous: list[dict],
    min_share: float,
    con: duckdb.DuckDBPyConnection | None = None,
    docs: bool = True,
) -> dict:
    """`counts`: rows read and kept per file (the run's); `previous`: the same of the
    current snapshot's run; `min_share`: the least share of those an extract may bring."""
    from expectations import baku, mentah

    return validate(
        run_dir,
        mentah.rangkaian(landed_columns(landed_dir), counts, previous, min_share)
        + baku.rangkaian(Path(run_dir), cutoff),
        con,
        docs,
    )


def check_unified(run_dir: Path, con: duckdb.DuckDBPyConnection | None = None, docs: bool = True) -> dict:
    from expectations import terpadu

    return validate(run_dir, terpadu.rangkaian(Path(run_dir)), con, docs)


def check_snapshot(
    run_dir: Path, manifest: dict, con: duckdb.DuckDBPyConnection | None = None, docs: bool = True
) -> dict:
    from expectations import terbit

    return validate(run_dir, terbit.rangkaian(Path(run_dir), manifest), con, docs)


__all__ = [
    "QualityError",
    "check_raw_and_standardized",
    "check_snapshot",
    "check_unified",
    "docs_index",
    "merge",
    "validate",
]
