"""The match stage's tasks: the NIK steps per bucket, Splink on what they leave, nationally.

Thin: the data logic is transforms/match/ember.py; here only which task runs when, on which
bucket. Each task has its own DuckDB with its share of the memory and passes paths.
"""

from __future__ import annotations

from pathlib import Path

from prefect.futures import wait

from dtsen.settings import get_settings
from flows.tugas import connection, stage_task
from transforms.match import ember
from transforms.match import prepare as prepare_match
from transforms.standardize import RunPaths


def _run(run_dir: str, alone: bool = False):
    settings = get_settings()
    return RunPaths(Path(run_dir)), connection(settings, Path(run_dir), alone=alone)


@stage_task(name="match-shuffle")
def shuffle_task(run_dir: str, buckets: int) -> int:
    paths, con = _run(run_dir)
    try:
        return ember.shuffle(con, paths, buckets)
    finally:
        con.close()


@stage_task(name="match-nik", task_run_name="match-nik-{b}")
def exact_task(run_dir: str, b: int, buckets: int, records: int) -> int:
    """`records`: the shuffle's count, so that a new shuffle is a new input (resume)."""
    paths, con = _run(run_dir)
    try:
        prepare_match(con)
        return ember.exact_bucket(con, paths, b, buckets)
    finally:
        con.close()


@stage_task(name="match-family", task_run_name="match-family-{k}")
def family_task(run_dir: str, k: int, buckets: int, pairs: int) -> int:
    """`pairs`: all buckets' pairs, so that it re-runs when any NIK bucket did (resume)."""
    paths, con = _run(run_dir)
    try:
        prepare_match(con)
        return ember.family_bucket(con, paths, k, buckets)
    finally:
        con.close()


@stage_task(name="match-leftover", task_run_name="match-leftover-{b}")
def leftover_task(run_dir: str, b: int, buckets: int, every: int, linked: int) -> dict:
    paths, con = _run(run_dir)
    try:
        prepare_match(con)
        return ember.leftover_bucket(con, paths, b, buckets, every)
    finally:
        con.close()


@stage_task(name="match-national")
def national_task(run_dir: str, buckets: int, records: int, linked: int) -> dict:
    """The repair step and Splink on the records left, with all the memory: it runs alone."""
    paths, con = _run(run_dir, alone=True)
    try:
        prepare_match(con)
        return ember.national(con, paths, buckets, records)
    finally:
        con.close()


class Stage:
    """One stage's tasks as the flow submits them, and which of them an earlier attempt had
    finished (reused from the cache: resume per partition)."""

    def __init__(self) -> None:
        self.reused: set[str] = set()

    def one(self, task, *args):
        state = task(*args, return_state=True)
        if state.name == "Cached":
            self.reused.add(task.name)
        return state.result()

    def each(self, task, argsets: list[tuple]) -> list:
        futures = [task.submit(*args) for args in argsets]
        wait(futures)
        if any(f.state.name == "Cached" for f in futures):
            self.reused.add(task.name)
        return [f.result() for f in futures]


def match_partitioned(run_dir: str, buckets: int, stage: Stage) -> dict:
    """Every person-level record linked to the registry or not, in `buckets` NIK buckets;
    the counts for the manifest."""
    records = stage.one(shuffle_task, run_dir, buckets)
    pairs = sum(stage.each(exact_task, [(run_dir, b, buckets, records) for b in range(buckets)]))
    linked = sum(stage.each(family_task, [(run_dir, k, buckets, pairs) for k in range(buckets)]))
    every = ember.every_kth(linked)
    stage.each(leftover_task, [(run_dir, b, buckets, every, linked) for b in range(buckets)])
    return stage.one(national_task, run_dir, buckets, records, linked)
