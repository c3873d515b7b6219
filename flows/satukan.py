"""Unification's tasks by partition: one national narrow routing task, one task per
partition (the wide work), one gathering task (transforms/unify/terbagi.py says what each
does and why the result is the national one's whatever the split).

Each task is cached on its inputs (flows/tugas.py): the plan's hash and the carried
decisions' hash are parameters, so a re-run with the same split reuses the partitions that
finished, and another split starts again in a folder of its own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import flows  # noqa: F401  (PREFECT_HOME before Prefect)
from flows.tugas import each, one, run_connection, stage_task
from transforms.partisi import plan_file

CARRIED = "bawaan/keputusan.parquet"  # where the refresh flow's carry task exports the decisions


def _work(run_dir: str, carried: str | None) -> Path:
    from transforms.unify import terbagi

    return terbagi.work_dir(Path(run_dir), plan_file(Path(run_dir)), carried)


@stage_task(name="unify-route")
def route_task(run_dir: str, cutoff: dt.date, carried: str | None, rencana: str) -> dict:
    """The national narrow step; `rencana`: the plan's hash (the cache key)."""
    from transforms.unify import terbagi

    with run_connection(run_dir, alone=True) as (paths, con):
        bawaan = paths.run_dir / CARRIED if carried else None
        return terbagi.route(con, paths, cutoff, bawaan, plan_file(paths.run_dir), _work(run_dir, carried))


@stage_task(name="unify-partition", task_run_name="unify-{part}")
def unify_part_task(run_dir: str, cutoff: dt.date, part: str, carried: str | None, rencana: str) -> dict:
    """One partition's families, members and proposals."""
    from transforms.unify import terbagi

    with run_connection(run_dir) as (_, con):
        return terbagi.unify_partition(con, _work(run_dir, carried), cutoff, part)


@stage_task(name="unify-gather")
def gather_task(run_dir: str, carried: str | None, rencana: str, parts: list[str]) -> dict:
    """The unified tables and the manifest's counts."""
    from transforms.unify import terbagi

    with run_connection(run_dir) as (paths, con):  # the large tables as they come: no national sort
        return terbagi.gather(con, paths, _work(run_dir, carried), parts)


def plan_digest(run_dir: str) -> str:
    """The plan's content hash: partitions of the same name under another split differ."""
    return hashlib.sha256(plan_file(Path(run_dir)).read_bytes()).hexdigest()


def unify_partitioned(
    run_dir: str, cutoff: dt.date, carried: str | None, parts: list[str], reused: set[str] | None = None
) -> dict:
    """Unify by partition inside a flow; returns the counts `unify_task` returns. `carried`:
    the content hash of the carried decisions (None without them); `parts`: the plan's
    partitions (a partition routing finds rows for, such as LAIN, runs too). `reused` gets
    the tasks an earlier attempt had finished."""
    rencana = plan_digest(run_dir)
    routed = one(route_task, (run_dir, cutoff, carried, rencana), reused)
    todo = sorted(set(parts) | set(routed["partisi"]))
    each(unify_part_task, [(run_dir, cutoff, part, carried, rencana) for part in todo], reused)
    return one(gather_task, (run_dir, carried, rencana, todo), reused)
