"""What every stage's task shares: its DuckDB, its cache key (resume), its errors.

Kept apart from the flows so that the modules of a stage's partition tasks (flows/padan.py,
flows/satukan.py, flows/peringkat.py) and the refresh flow build their tasks the same way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from functools import lru_cache, wraps
from pathlib import Path

import duckdb
import pyarrow as pa
from prefect import task

import flows  # noqa: F401  (PREFECT_HOME before Prefect)
from dtsen.privacy import scrub_engine_message
from dtsen.settings import Settings
from flows.manifest import code_fingerprint
from transforms.engine import connect
from transforms.errors import DeliveryError, EngineError


def connection(settings: Settings, run_dir: Path, alone: bool = False):
    """A task's DuckDB: its share of the memory limit, or all of it for a stage that runs alone."""
    memory = settings.duckdb_memory_limit if alone else settings.memory_per_partition()
    return connect(memory, settings.duckdb_threads, settings.tmp_dir / run_dir.name)


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
