"""The match stage's tasks: the NIK steps per bucket, Splink on what they leave, nationally.

Thin: the data logic is transforms/match/ember.py; here only which task runs when, on which
bucket. Each task has its own DuckDB with its share of the memory and passes paths.
"""

from __future__ import annotations

from flows.tugas import each, one, run_connection, stage_task
from transforms.match import ember
from transforms.match import prepare as prepare_match


@stage_task(name="match-shuffle")
def shuffle_task(run_dir: str, buckets: int) -> int:
    with run_connection(run_dir) as (paths, con):
        return ember.shuffle(con, paths, buckets)


@stage_task(name="match-nik", task_run_name="match-nik-{b}")
def exact_task(run_dir: str, b: int, buckets: int, records: int) -> int:
    """`records`: the shuffle's count, so that a new shuffle is a new input (resume)."""
    with run_connection(run_dir) as (paths, con):
        prepare_match(con)
        return ember.exact_bucket(con, paths, b, buckets)


@stage_task(name="match-family", task_run_name="match-family-{k}")
def family_task(run_dir: str, k: int, buckets: int, weak: int) -> int:
    """`weak`: all buckets' records of weak evidence, so that it re-runs when any NIK bucket
    did (resume)."""
    with run_connection(run_dir) as (paths, con):
        prepare_match(con)
        return ember.family_bucket(con, paths, k, buckets)


@stage_task(name="match-leftover", task_run_name="match-leftover-{b}")
def leftover_task(run_dir: str, b: int, buckets: int, every: int, rivals: int) -> dict:
    with run_connection(run_dir) as (paths, con):
        prepare_match(con)
        return ember.leftover_bucket(con, paths, b, buckets, every)


@stage_task(name="match-national")
def national_task(run_dir: str, buckets: int, records: int, linked: int) -> dict:
    """The repair step and Splink on the records left, with all the memory: it runs alone."""
    with run_connection(run_dir, alone=True) as (paths, con):
        prepare_match(con)
        return ember.national(con, paths, buckets, records)


def match_partitioned(run_dir: str, buckets: int, reused: set[str] | None = None) -> dict:
    """Every person-level record linked to the registry or not, in `buckets` NIK buckets;
    the counts for the manifest. `reused` gets the tasks an earlier attempt had finished."""
    records = one(shuffle_task, (run_dir, buckets), reused)
    weak = sum(each(exact_task, [(run_dir, b, buckets, records) for b in range(buckets)], reused))
    rivals = sum(each(family_task, [(run_dir, k, buckets, weak) for k in range(buckets)], reused))
    every = ember.every_kth(records)
    linked = each(leftover_task, [(run_dir, b, buckets, every, rivals) for b in range(buckets)], reused)
    return one(national_task, (run_dir, buckets, records, sum(n["tautan_nik"] for n in linked)), reused)
