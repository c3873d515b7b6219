"""The rank stage's tasks: the model once, scores and ranks per partition, the national
deciles from the partitions' summaries, the split provinces' ranks, one gather.

Thin: the data logic is transforms/rank/per_partisi.py; here only which task runs when, on
which partition. Each task has its own DuckDB with its share of the memory and passes paths;
`rank_partitioned` is called from inside the refresh flow and submits to its task runner
(threads, or Dask: the tasks are module-level and their arguments plain values).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from prefect import task

from flows.tugas import each, run_connection, stage_task, together
from transforms.partisi import plan_file
from transforms.rank import per_partisi
from transforms.standardize import RunPaths


@task(name="rank-previous")
def previous_task(run_dir: str, cutoff: dt.date) -> str | None:
    """The previous snapshot the stability figures compare with, under the run's
    `ranked/lalu/`; its tag. Not cached: what is published moves between attempts."""
    from dtsen.settings import get_settings
    from warehouse import open_catalog, previous

    settings = get_settings()
    folder = per_partisi.previous_dir(RunPaths(Path(run_dir)))
    return previous.export(open_catalog(settings), cutoff, settings.runs_dir, folder)


@stage_task(name="rank-model")
def model_task(run_dir: str, cutoff: dt.date, model_pmt: str | None, kunci: str) -> dict:
    """The one model every partition scores with. `kunci` (every task has it): what the
    stage reads, so that changed inputs are a new task, not a cached one (resume)."""
    with run_connection(run_dir, alone=True) as (paths, con):  # nothing else of the stage runs meanwhile
        return per_partisi.fit_model(con, paths, cutoff, Path(model_pmt) if model_pmt else None)


@stage_task(name="rank-score", task_run_name="rank-score-{part}")
def score_task(run_dir: str, part: str, cutoff: dt.date, kunci: str) -> dict:
    with run_connection(run_dir) as (paths, con):
        return per_partisi.score_partition(con, paths, plan_file(Path(run_dir)), part, cutoff)


@stage_task(name="rank-bins")
def bins_task(run_dir: str, parts: list[str], kunci: str) -> list[dict]:
    """The deciles' boundary bins; returns the provinces that lie in several partitions."""
    with run_connection(run_dir) as (paths, con):
        per_partisi.national_bins(con, paths, parts)
        return per_partisi.split_provinces(con, paths, parts)


@stage_task(name="rank-boundary", task_run_name="rank-boundary-{part}")
def boundary_task(run_dir: str, part: str, kunci: str) -> str:
    with run_connection(run_dir) as (paths, con):
        return str(per_partisi.partition_boundary(con, paths, part))


@stage_task(name="rank-province", task_run_name="rank-province-{kode_prov}")
def province_task(run_dir: str, kode_prov: str | None, parts: list[str], kunci: str) -> dict:
    with run_connection(run_dir) as (paths, con):
        return per_partisi.rank_province(con, paths, kode_prov, parts)


@stage_task(name="rank-cutoffs")
def cutoffs_task(run_dir: str, parts: list[str], kunci: str) -> str:
    with run_connection(run_dir) as (paths, con):
        return str(per_partisi.national_cutoffs(con, paths, parts))


@stage_task(name="rank-publish", task_run_name="rank-publish-{part}")
def publish_task(run_dir: str, part: str, provinces: list[str | None], kunci: str) -> dict:
    with run_connection(run_dir) as (paths, con):
        return per_partisi.publish_partition(con, paths, part, provinces)


@stage_task(name="rank-gather")
def gather_task(run_dir: str, parts: list[str], cara: str, kunci: str) -> dict:
    with run_connection(run_dir) as (paths, con):  # the partitions' files one after another: no sort
        return per_partisi.gather(con, paths, parts, cara)


def inputs_key(run_dir: Path, model_pmt: str | None) -> str:
    """What the stage reads, cheaply: the plan's bytes, and each national input file's size
    and time of writing (every stage writes a new file, so a stage run again changes them;
    one reused from its cache leaves them)."""
    digest = hashlib.sha256(plan_file(run_dir).read_bytes())
    paths = RunPaths(run_dir)
    inputs = [
        run_dir / "unified" / "keluarga.parquet",
        run_dir / "unified" / "individu.parquet",
        run_dir / "matched" / "tautan_sumber.parquet",
        *(paths.standardized(t) for t in ("susenas", "regsosek_anggota", "p3ke_anggota")),
        *([Path(model_pmt)] if model_pmt else []),
        per_partisi.previous_dir(paths) / "sumber.json",  # the snapshot the stability compares with
    ]
    for f in inputs:
        if not f.exists():  # the step that reads it names it
            continue
        stat = f.stat()
        digest.update(f"{f.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def rank_partitioned(
    run_dir: str, cutoff: dt.date, model_pmt: str | None, parts: list[str], reused: set[str] | None = None
) -> dict:
    """The rank stage over the partitions `parts` of the run's plan (`<run>/partisi.parquet`);
    returns the counts `rank_task` returns (for the manifest). `reused`, when given, gets the
    names of the tasks an earlier attempt had finished. LAIN is ranked too (`with_lain`)."""
    parts = per_partisi.with_lain(parts)
    kunci = inputs_key(Path(run_dir), model_pmt)
    model = each(model_task, [(run_dir, cutoff, model_pmt, kunci)], reused)[0]
    kunci = f"{kunci}:{model['id']}"  # a new model scores every partition again
    each(score_task, [(run_dir, p, cutoff, kunci) for p in parts], reused)
    split = each(bins_task, [(run_dir, parts, kunci)], reused)[0]
    together(
        reused,
        (boundary_task, [(run_dir, p, kunci) for p in parts]),
        (province_task, [(run_dir, s["kode_prov"], s["partisi"], kunci) for s in split]),
    )
    each(cutoffs_task, [(run_dir, parts, kunci)], reused)
    each(publish_task, [(run_dir, p, per_partisi.provinces_of(split, p), kunci) for p in parts], reused)
    return each(gather_task, [(run_dir, parts, model["cara"], kunci)], reused)[0]
