"""The `refresh` flow: one delivery landed, standardized, matched, unified, ranked and
published, every row accounted for.

Standardize runs one task per extract file; matching, unification and ranking one task per
NIK bucket or partition of the run's plan (flows/padan.py, satukan.py, peringkat.py;
docs/partisi.md), on the flow's task runner: threads, or Dask. Tasks pass paths, never data.
Runnable on its own: `python -m flows.refresh DELIVERY`.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import time
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.futures import as_completed
from prefect.task_runners import ThreadPoolTaskRunner

import flows  # noqa: F401  (PREFECT_HOME before Prefect)
from dtsen.settings import Settings, get_settings
from flows.manifest import (
    attempt_dir,
    code_version,
    config_versions,
    next_attempt,
    reconcile,
    write_manifest,
)
from flows.padan import match_partitioned
from flows.peringkat import previous_task, rank_partitioned
from flows.satukan import CARRIED, unify_partitioned
from flows.tugas import connection, stage_task
from transforms import partisi
from transforms import standardize as std
from transforms.errors import DeliveryError, SourceUnavailable
from transforms.ingest.extracts import BY_NAME
from transforms.ingest.land import land_delivery
from transforms.ingest.sql_source import SqlSource, pull_sql_table

SINGLE_STEPS = {
    "dukcapil": std.standardize_dukcapil,
    "regsosek": std.standardize_regsosek,
    "p3ke": std.standardize_p3ke,
    "usulan": std.standardize_usulan,
}


def worth_retrying(exc: BaseException) -> bool:
    """A database that is briefly away, yes; a missing table or column, no."""
    return not isinstance(exc, DeliveryError) or isinstance(exc, SourceUnavailable)


def _retry_condition(task, task_run, state) -> bool:
    try:
        state.result()
    except Exception as exc:
        return worth_retrying(exc)
    return False


@task(name="pull-sql", retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=_retry_condition)
def pull_sql_task(source: SqlSource, out: str) -> str:
    """Retries with back-off: a database that is briefly away should not fail the month."""
    pull_sql_table(source, BY_NAME[source.extract], Path(out))
    return out


@task(name="land")
def land_task(delivery: str, pulled: dict[str, str], skip: list[str]) -> dict:
    settings = get_settings()
    landed = land_delivery(
        Path(delivery), settings.landed_dir, extra={rel: Path(p) for rel, p in pulled.items()}, skip=frozenset(skip)
    )
    logger = get_run_logger()
    logger.info(
        "%s delivery %s (%d files) at %s",
        "Recognised" if landed.reused else "Landed",
        landed.fingerprint[:12],
        len(landed.files),
        landed.path,
    )
    return landed.to_json()


@stage_task(name="standardize-reference")
def reference_task(landed_dir: str, run_dir: str) -> list[dict]:
    paths = std.RunPaths(Path(run_dir))
    con = connection(get_settings(), paths.run_dir)
    std.prepare(con, paths)
    return [vars(c) for c in std.standardize_reference(con, Path(landed_dir), paths)]


@stage_task(name="standardize", task_run_name="standardize-{step}-{part}")
def standardize_task(
    step: str, part: str, landed_dir: str, run_dir: str, cutoff: dt.date, files: tuple[str, ...] = ()
) -> list[dict]:
    """One step of standardize; for DTKS, `files` (a group, `std.dtks_groups`) one after another."""
    paths = std.RunPaths(Path(run_dir))
    con = connection(get_settings(), paths.run_dir)
    std.prepare(con, paths)
    landed = Path(landed_dir)
    if step == "dtks":
        counts = [c for f in files for c in std.standardize_dtks(con, landed / f, landed, paths, cutoff)]
    elif step == "susenas":
        counts = std.standardize_susenas(con, landed, paths)
    else:
        counts = SINGLE_STEPS[step](con, landed, paths, cutoff)
    con.close()
    return [vars(c) for c in counts]


@stage_task(name="plan-partitions")
def plan_task(run_dir: str, partitions: str, max_persons: int, min_persons: int) -> list[dict]:
    """The run's partitions, from the registry (transforms/partisi.py); the settings are
    parameters, so that a changed split is planned again."""
    paths = std.RunPaths(Path(run_dir))
    con = connection(get_settings(), paths.run_dir)
    try:
        registry = paths.standardized("dukcapil_penduduk")
        single = partitions == "one"
        return partisi.plan(con, registry, partisi.plan_file(paths.run_dir), max_persons, single, min_persons)
    finally:
        con.close()


@task(name="carry-decisions")
def carry_task(run_dir: str, cutoff: dt.date) -> dict:
    """The decisions in force after the snapshot before this cut-off, into the run folder
    (read from the warehouse each time: what unification is keyed on is their hash)."""
    from warehouse import open_catalog
    from warehouse.keputusan import export_in_force

    settings = get_settings()
    return export_in_force(open_catalog(settings), settings, cutoff, Path(run_dir) / CARRIED)


@stage_task(name="laju-padan")
def laju_task(run_dir: str, cutoff: dt.date, per_metode: dict[str, dict[str, int]]) -> dict:
    """Link rates per source by province, age band and decile: after ranking, which gives
    the deciles. Counts per group only; they reconcile with the match stage's `per_metode`."""
    from transforms.match.laju import link_rates

    paths = std.RunPaths(Path(run_dir))
    con = connection(get_settings(), paths.run_dir, alone=True)
    counts = link_rates(con, paths, cutoff, per_metode)
    con.close()
    return counts


@stage_task(name="validate", task_run_name="validate-{stage}")
def quality_task(
    run_dir: str,
    landed_dir: str | None = None,
    cutoff: dt.date | None = None,
    counts: list[dict] | None = None,
    previous: list[dict] | None = None,
    manifest: dict | None = None,
    stage: str = "baku",
    min_share: float = 0.5,
) -> dict:
    """One stage's expectation suites (Great Expectations) over the run's outputs."""
    import expectations

    # DuckDB builds the batches (joins included) within the run's memory limit.
    con = connection(get_settings(), Path(run_dir), alone=True)
    try:
        if stage == "baku":
            if landed_dir is None or counts is None or previous is None:
                raise ValueError("validate-baku needs landed_dir, counts and previous")
            return expectations.check_raw_and_standardized(
                Path(run_dir), Path(landed_dir), cutoff, counts, previous, min_share, con=con, docs=False
            )
        if stage == "terpadu":
            return expectations.check_unified(Path(run_dir), con=con, docs=False)
        if manifest is None:
            raise ValueError(f"validate-{stage} needs the manifest")
        return expectations.check_snapshot(Path(run_dir), manifest, con=con, docs=False)
    finally:
        con.close()


@task(name="publish")
def publish_task(run_dir: str, quality: str, republish: bool = False) -> dict:
    """One atomic publish of the run as a tagged snapshot (the same delivery only once)."""
    from prefect.concurrency.sync import concurrency

    from warehouse import open_catalog, publish
    from warehouse.kunci import warehouse_lock

    settings = get_settings()
    # The warehouse lock first (the flow holds it already: this re-enters), then the global
    # limit `dtsen-warehouse` that serialises deployments on a server (created there; without
    # it, this does not wait). Always in that order, so two holders never wait on each other.
    with warehouse_lock(settings, f"publish of {run_dir}"), concurrency("dtsen-warehouse", occupy=1):
        done = publish(open_catalog(settings), Path(run_dir), quality=quality, force=republish)
    return {
        "tag": done.snapshot.tag,
        "baru": done.created,
        "detik": round(done.seconds, 2),
        "jumlah_baris": done.snapshot.jumlah_baris,
    }


def _pull_sql_sources(sources: list[SqlSource], staging: Path) -> tuple[dict[str, str], list[str]]:
    """Pull each SQL source; return {landed relative path: pulled file} and the extracts replaced."""
    pulled, futures = {}, []
    for s in sources:
        extract = BY_NAME[s.extract]
        rel = f"dtks/{s.table}.parquet" if extract.per_province else str(Path(extract.pattern).with_suffix(".parquet"))
        futures.append((rel, pull_sql_task.submit(s, str(staging / rel))))
    for rel, fut in futures:
        pulled[rel] = fut.result()
    return pulled, sorted({s.extract for s in sources})


def task_runner(settings: Settings):
    """Where the partition tasks run: threads here, or Dask (a local cluster of processes,
    or the cluster at DTSEN_DASK_ADDRESS). Tasks pass paths, so any worker that sees the
    same file system can take a partition."""
    if settings.task_runner == "dask":
        from prefect_dask import DaskTaskRunner

        if settings.dask_address:
            return DaskTaskRunner(address=settings.dask_address)
        return DaskTaskRunner(
            cluster_kwargs={
                "n_workers": settings.dask_workers,
                "threads_per_worker": 1,
                "processes": True,
                "dashboard_address": None,
                # Each task's DuckDB keeps to its own limit, and a national step has the whole
                # DTSEN_DUCKDB_MEMORY_LIMIT: Dask's default (the machine's memory divided by
                # the workers) killed the worker running it at 10M persons, and Dask then ran
                # again every task whose result that worker held.
                "memory_limit": 0,
            }
        )
    if settings.task_runner != "thread":
        raise ValueError(f"DTSEN_TASK_RUNNER={settings.task_runner!r}: use thread or dask")
    return ThreadPoolTaskRunner(max_workers=settings.partition_workers)


@flow(name="refresh", task_runner=task_runner(get_settings()), timeout_seconds=get_settings().run_timeout_seconds)
def refresh(
    delivery: str, sql_sources: list[str] | None = None, model_pmt: str | None = None, republish: bool = False
) -> str:
    """Land, standardize, match, unify, rank, validate and publish one delivery; return the
    path of the run manifest. A stage finished by an earlier attempt at the same delivery
    with the same code is reused (resume); the manifest lists those in `dipakai_ulang`.

    `model_pmt`: a fitted welfare model file to reuse; without it the model is fitted on
    the delivery's survey sample. `republish`: publish again although this delivery is."""
    from prefect.runtime import flow_run

    from warehouse.kunci import warehouse_lock

    # One refresh or publish at a time per warehouse, from before landing to the end, however
    # the flow was started (warehouse/kunci.py); under `dtsen refresh`, which took it before
    # Prefect started, this re-enters its hold.
    purpose = f"refresh of {delivery} (flow run {flow_run.name})"
    with warehouse_lock(get_settings(), purpose, on_wait=get_run_logger().info):
        return _refresh(delivery, sql_sources, model_pmt, republish)


def _refresh(delivery: str, sql_sources: list[str] | None, model_pmt: str | None, republish: bool) -> str:
    """The refresh flow's stages, inside the warehouse lock."""
    logger = get_run_logger()
    settings = get_settings()
    started, seconds = dt.datetime.now(dt.UTC), {}

    t = time.perf_counter()
    sources = [SqlSource.parse(s) for s in (sql_sources or [])]
    staging = settings.tmp_dir / f"pull-{os.getpid()}"
    pulled, skip = _pull_sql_sources(sources, staging)
    landed = land_task(delivery, pulled, skip)
    shutil.rmtree(staging, ignore_errors=True)
    seconds["land"] = round(time.perf_counter() - t, 2)

    run_id = f"{landed['cutoff']}_{landed['fingerprint'][:12]}"
    run_dir = settings.runs_dir / run_id
    # Each attempt at the run keeps its manifest and report under percobaan/<n>/ (the lock is
    # held, so no other attempt takes the same number).
    attempt = next_attempt(run_dir)
    attempt_dir(run_dir, attempt).mkdir(parents=True)
    cutoff = dt.date.fromisoformat(landed["cutoff"])

    t = time.perf_counter()
    reused: list[str] = []  # stages a re-run took from the previous attempt

    def stage(task, *args, **kwargs):
        state = task(*args, return_state=True, **kwargs)
        if state.name == "Cached":
            reused.append(task.name if "stage" not in kwargs else f"{task.name}-{kwargs['stage']}")
        return state.result()

    counts = stage(reference_task, landed["path"], str(run_dir))
    seconds["standardize_reference"] = round(time.perf_counter() - t, 2)

    t = time.perf_counter()
    groups = std.dtks_groups(std.dtks_files(Path(landed["path"])), settings.dtks_min_bytes)
    partitions = [
        ("dtks", std.group_label(g), tuple(f.relative_to(landed["path"]).as_posix() for f in g)) for g in groups
    ]
    partitions += [(step, std.NASIONAL, ()) for step in (*SINGLE_STEPS, "susenas")]
    futures = [
        standardize_task.submit(step, part, landed["path"], str(run_dir), cutoff, files)
        for step, part, files in partitions
    ]
    for done, future in enumerate(as_completed(futures), start=1):
        counts.extend(future.result())
        if future.state.name == "Cached":
            reused.append("standardize")
        logger.info("standardized %d/%d partitions", done, len(futures))
    seconds["standardize"] = round(time.perf_counter() - t, 2)

    rekonsiliasi = reconcile(counts)
    manifest = {
        "run_id": run_id,
        "percobaan": attempt,
        "cutoff": landed["cutoff"],
        "delivery": str(Path(delivery).resolve()),
        "sql_sources": [{"extract": s.extract, "url": s.display_url(), "table": s.table} for s in sources],
        "landed": {k: landed[k] for k in ("path", "fingerprint", "reused", "files")},
        "code_version": code_version(),
        "config_versions": config_versions(),
        "started": started.isoformat(timespec="seconds"),
        "seconds": seconds,
        "rekonsiliasi": rekonsiliasi,
    }
    mutu: list[tuple[str, dict]] = []

    t = time.perf_counter()
    mutu.append(
        (
            "baku",
            stage(
                quality_task,
                str(run_dir),
                landed["path"],
                cutoff,
                counts,
                _previous_counts(settings),
                stage="baku",
                min_share=settings.min_share_of_previous,  # a parameter: a changed setting re-validates
            ),
        )
    )
    seconds["validate_standardized"] = round(time.perf_counter() - t, 2)
    _gate(run_dir, manifest, mutu)

    manifest["partisi"] = parts = stage(
        plan_task, str(run_dir), settings.partitions, settings.partition_max_persons, settings.partition_min_persons
    )
    logger.info("%d partitions: %s", len(parts), ", ".join(p["partisi"] for p in parts))

    names = [p["partisi"] for p in parts]
    fanned: set[str] = set()  # the partition tasks an earlier attempt had finished

    t = time.perf_counter()
    buckets = partisi.nik_buckets(parts, settings.nik_bucket_persons)
    manifest["padan"] = padan = match_partitioned(str(run_dir), buckets, fanned) | {"ember_nik": buckets}
    seconds["match"] = round(time.perf_counter() - t, 2)

    t = time.perf_counter()
    manifest["keputusan_bawaan"] = carried = carry_task(str(run_dir), cutoff)
    manifest["satukan"] = satu = unify_partitioned(str(run_dir), cutoff, carried["sidik"], names, fanned)
    seconds["unify"] = round(time.perf_counter() - t, 2)

    t = time.perf_counter()
    mutu.append(("terpadu", stage(quality_task, str(run_dir), stage="terpadu")))
    seconds["validate_unified"] = round(time.perf_counter() - t, 2)
    _gate(run_dir, manifest, mutu)

    t = time.perf_counter()
    previous_task(str(run_dir), cutoff)
    manifest["peringkat"] = rank_partitioned(str(run_dir), cutoff, model_pmt, names, fanned)
    seconds["rank"] = round(time.perf_counter() - t, 2)

    t = time.perf_counter()
    manifest["laju_padan"] = laju = stage(laju_task, str(run_dir), cutoff, padan["per_metode"])
    seconds["laju_padan"] = round(time.perf_counter() - t, 2)

    manifest["seimbang"] = (
        all(r["seimbang"] for r in rekonsiliasi.values())
        and padan["seimbang"]
        and satu["seimbang"]
        and laju["seimbang"]
    )
    manifest["counts"] = sorted(counts, key=lambda c: (c["sumber"], c["berkas"]))
    if not manifest["seimbang"]:
        _gate(run_dir, manifest, mutu, last=True)  # the Data Docs of the stages so far
        path = write_manifest(run_dir, manifest | {"finished": _now()})
        raise RuntimeError(f"row counts do not reconcile, see {path}; nothing was published")

    t = time.perf_counter()
    # Only what the suite reads: the whole manifest holds the seconds, and a re-run would
    # never find this stage's result again.
    counted = {k: manifest[k] for k in ("satukan", "seimbang")}
    mutu.append(("terbit", stage(quality_task, str(run_dir), manifest=counted, stage="terbit")))
    _gate(run_dir, manifest, mutu, last=True)
    seconds["validate_snapshot"] = round(time.perf_counter() - t, 2)

    manifest["isi"] = stage(content_task, str(run_dir))
    manifest["dipakai_ulang"] = sorted(set(reused) | fanned)
    manifest["finished"] = _now()
    path = write_manifest(run_dir, manifest)
    t = time.perf_counter()
    manifest["terbit"] = publish_task(str(run_dir), manifest["mutu"]["status"], republish)
    seconds["publish"] = round(time.perf_counter() - t, 2)
    path = write_manifest(run_dir, manifest)
    _report(run_dir, manifest)
    logger.info("run %s: manifest at %s; report at %s", run_id, path, run_dir / REPORT)
    return str(path)


@stage_task(name="content")
def content_task(run_dir: str) -> dict:
    """Rows and an order-independent hash per table to publish: a re-run is checked by it."""
    from warehouse.publish import content

    return content(Path(run_dir))


def _report(run_dir: Path, manifest: dict) -> None:
    """The run report: Prefect artifacts and `laporan.html` beside the manifest."""
    from flows import report

    content = report.gather(run_dir, manifest)
    report.write_html(content, run_dir / REPORT)
    shutil.copyfile(run_dir / REPORT, attempt_dir(run_dir, manifest["percobaan"]) / REPORT)
    report.publish_artifacts(content)


REPORT = "laporan.html"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _previous_counts(settings: Settings) -> list[dict]:
    """Rows read and kept per file in the current published snapshot (empty before the first)."""
    from warehouse import current, open_catalog

    snapshot = current(open_catalog(settings))
    return [] if snapshot is None else snapshot.manifest.get("counts", [])


def _gate(run_dir: Path, manifest: dict, mutu: list[tuple[str, dict]], last: bool = False) -> None:
    """Record the quality results so far; stop the run on a critical failure. The Data Docs
    are built when the run stops here or passes its last gate: once, not per stage."""
    from expectations import QualityError, build_docs, docs_index, merge

    manifest["mutu"] = merge(mutu, run_dir)
    if manifest["mutu"]["kritis_gagal"] or last:
        build_docs(run_dir)
    if manifest["mutu"]["kritis_gagal"]:
        write_manifest(run_dir, manifest | {"finished": _now()})
        _report(run_dir, manifest)
        raise QualityError(manifest["mutu"]["kritis_gagal"], docs_index(run_dir))


if __name__ == "__main__":
    print(refresh(sys.argv[1]))
