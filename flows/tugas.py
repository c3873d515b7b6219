"""What every stage's task shares: its DuckDB, its cache key (resume), its errors.

Kept apart from the flows so that the modules of a stage's partition tasks (flows/padan.py,
flows/satukan.py, flows/peringkat.py) and the refresh flow build their tasks the same way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache, wraps
from pathlib import Path

import duckdb
import pyarrow as pa
from prefect import task
from prefect.futures import wait

import flows  # noqa: F401  (PREFECT_HOME before Prefect)
from dtsen.privacy import scrub_engine_message
from dtsen.settings import Settings, get_settings
from flows.manifest import code_fingerprint
from transforms.engine import connect
from transforms.errors import DeliveryError, EngineError
from transforms.standardize import RunPaths


def connection(settings: Settings, run_dir: Path, alone: bool = False):
    """A task's DuckDB: its share of the memory limit, or all of it for a stage that runs alone."""
    memory = settings.duckdb_memory_limit if alone else settings.memory_per_partition()
    return connect(memory, settings.duckdb_threads, settings.tmp_dir / run_dir.name)


@contextmanager
def run_connection(run_dir: str, alone: bool = False) -> Iterator[tuple[RunPaths, duckdb.DuckDBPyConnection]]:
    """A task's run folder and its own DuckDB (`connection`), closed when the task ends."""
    con = connection(get_settings(), Path(run_dir), alone=alone)
    try:
        yield RunPaths(Path(run_dir)), con
    finally:
        con.close()


@lru_cache
def _code() -> str:
    return code_fingerprint()


def stage_key(context, parameters: dict) -> str:
    """A finished stage is reused when the same task runs on the same inputs with the same
    code (every source, SQL and configuration file): a failed run re-run with the same
    delivery resumes where it stopped instead of starting again. Run folders are named by
    the delivery's fingerprint and never rewritten, so the outputs a key stands for stay."""
    material = json.dumps([context.task.name, {k: str(v) for k, v in sorted(parameters.items())}, _code()])
    return hashlib.sha256(material.encode()).hexdigest()


def plain_delivery_errors(fn):
    """A delivery's fault is named by its file, row and column; where in the code it was
    found helps nobody. Its traceback would keep the stage's frames (its DuckDB connection,
    the rows being read) for as long as Prefect keeps the exception, to the end of the
    process, where DuckDB's bindings print them as leaked; and an engine error it replaced
    may quote a row's personal data. Both are dropped: the error travels as its message.
    An engine's own error (DuckDB, pyarrow) quotes the value it stopped on, which may be a
    NIK or a name: it leaves as an EngineError with that value blanked, and nothing else."""

    @wraps(fn)
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except DeliveryError as e:
            if e.__suppress_context__:  # raised `from None`: the engine's error is not wanted
                e.__context__ = None
            raise e.with_traceback(None) from e.__cause__
        except (duckdb.Error, pa.ArrowException) as e:
            failure = EngineError(f"{fn.__name__}: {type(e).__name__}: {scrub_engine_message(str(e))}")
        raise failure  # outside the handler: the engine's error, and its frames, go with it

    return run


# One stage: reused on a re-run (resume). Results are small dicts of counts. Time is bounded
# for the whole run (the flow's timeout): a timeout on a task in a worker thread cannot
# interrupt it, and Prefect says so on every task.
def stage_task(**options):
    """A stage's task: cached for resume; a delivery error leaves it as its message."""
    return lambda fn: task(
        cache_key_fn=stage_key, persist_result=True, cache_expiration=dt.timedelta(days=31), **options
    )(plain_delivery_errors(fn))


def together(reused: set[str] | None, *groups: tuple) -> list[list]:
    """Each (task, argument sets): one task per set, all at once on the flow's task runner;
    each group's results in order. A failed task fails the stage here. `reused` gets the
    names of the tasks an earlier attempt had finished (resume per partition)."""
    submitted = [(t, [t.submit(*args) for args in argsets]) for t, argsets in groups]
    wait([f for _, futures in submitted for f in futures])
    for t, futures in submitted:
        if reused is not None and any(f.state.name == "Cached" for f in futures):
            reused.add(t.name)
    return [[f.result() for f in futures] for _, futures in submitted]


def each(task, argsets: list[tuple], reused: set[str] | None) -> list:
    """One task per argument set, all at once; their results in order."""
    return together(reused, (task, argsets))[0]


def one(task, args: tuple, reused: set[str] | None):
    """One task, run here; its result."""
    return each(task, [args], reused)[0]
