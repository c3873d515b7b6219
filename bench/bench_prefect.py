"""Benchmark: Prefect's own cost per refresh, without any data work.

    .venv/bin/python bench/bench_prefect.py [--tasks 54]

A flow shaped like the refresh (one task per stage and per partition, the partitions
submitted to the same thread task runner, results persisted like the stages') whose tasks
do nothing, run in a fresh process with a fresh PREFECT_HOME, twice: the first pays the
temporary server's database migrations, the second is a normal run. Prints wall times.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_refresh import machine  # noqa: E402

CHILD = """
import sys, time
from prefect import flow, task
from prefect.task_runners import ThreadPoolTaskRunner

@task(persist_result=True)
def stage(i: int) -> dict:
    return {"i": i}

@flow(task_runner=ThreadPoolTaskRunner(max_workers=2))
def shaped_like_refresh(n: int) -> float:
    t = time.perf_counter()
    stage(0)
    futures = [stage.submit(i) for i in range(1, n - 10)]
    [f.result() for f in futures]
    for i in range(n - 10, n):
        stage(i)
    return time.perf_counter() - t

t = time.perf_counter()
inside = shaped_like_refresh(int(sys.argv[1]))
print(f"{time.perf_counter() - t:.2f} {inside:.2f}")
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=54, help="the 1M refresh runs 54 tasks (43 partitions)")
    a = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="dtsen-bench-prefect-"))
    env = os.environ | {"PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    print(f"### Prefect's overhead per run ({time.strftime('%Y-%m-%d')})\n")
    print(f"Machine: {machine()}. A flow of {a.tasks} no-op tasks shaped like the refresh, fresh process each.\n")
    print("| run | process wall | flow call | inside the flow (tasks) |\n|---|---|---|---|")
    for label in ("first (fresh PREFECT_HOME: migrations)", "second"):
        t = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(a.tasks)], env=env, capture_output=True, text=True, check=True
        ).stdout.split()
        wall = time.perf_counter() - t
        print(f"| {label} | {wall:.1f} s | {float(out[0]):.1f} s | {float(out[1]):.2f} s |")


if __name__ == "__main__":
    main()
