"""Benchmark: one national standardize step alone, in a given memory, and its names.

    .venv/bin/python bench/bench_standardize.py --run <a finished run> --delivery <delivery> \
        --step dukcapil --memory 3GB

Standardizes the registry (or Regsosek) of the delivery into a scratch folder with the run's
reference tables, on one DuckDB of 2 threads limited to `--memory` (a 6 GB limit shared by
two tasks is 3 GB each), and prints the seconds, the process's peak RSS and the largest spill
folder seen (sampled every 0.5 s). `--names` also times the registry's name normalization per
row against once per distinct name. To compare two commits, run it from each with
PYTHONPATH=<worktree of the commit>.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from transforms.engine import run_sql_file
from transforms.standardize import SQL, RunPaths, extract_file, prepare, standardize_dukcapil, standardize_regsosek

STEPS = {"dukcapil": standardize_dukcapil, "regsosek": standardize_regsosek}


def folder_mb(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) >> 20 if path.exists() else 0


@contextmanager
def largest_spill(spill: Path, every: float = 0.5) -> Iterator[list[int]]:
    """The largest size in MB of DuckDB's spill folder while the block runs, sampled every
    `every` seconds: in the list's one item once the block has ended."""
    largest, done = [0], threading.Event()

    def watch() -> None:
        while not done.wait(every):
            largest[0] = max(largest[0], folder_mb(spill))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield largest
    finally:
        done.set()
        watcher.join()


def names(delivery: Path) -> None:
    con = duckdb.connect()
    con.execute("SET threads = 2")
    run_sql_file(con, SQL / "macros.sql")
    file = extract_file(delivery, "dukcapil_penduduk")
    con.execute(f"CREATE VIEW raw AS SELECT * FROM read_parquet('{file}')")
    for what, sql in (
        ("per row", "SELECT nama_baku(NAMA_LGKP) FROM raw"),
        ("per distinct name", "SELECT NAMA_LGKP, nama_baku(NAMA_LGKP) FROM (SELECT DISTINCT NAMA_LGKP FROM raw)"),
    ):
        t = time.perf_counter()
        con.execute(f"CREATE OR REPLACE TABLE x AS {sql}")
        print(f"names {what}: {time.perf_counter() - t:.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", type=Path, required=True, help="a finished run (for its reference tables)")
    ap.add_argument("--delivery", type=Path, required=True)
    ap.add_argument("--step", choices=sorted(STEPS), default="dukcapil")
    ap.add_argument("--memory", default="3GB")
    ap.add_argument("--names", action="store_true")
    args = ap.parse_args()
    if args.names:
        names(args.delivery)
    scratch = Path(tempfile.mkdtemp(prefix="dtsen-std-"))
    spill = scratch / "spill"
    for table in ("ref_wilayah", "ref_bps"):
        (scratch / "standardized" / table).mkdir(parents=True)
        shutil.copy(args.run / "standardized" / table / "nasional.parquet", scratch / "standardized" / table)
    paths = RunPaths(scratch)
    con = duckdb.connect()
    con.execute(f"SET threads = 2; SET memory_limit = '{args.memory}'; SET temp_directory = '{spill}'")
    prepare(con, paths)
    with largest_spill(spill) as largest:
        t = time.perf_counter()
        STEPS[args.step](con, args.delivery, paths, dt.date(2026, 11, 17))
        seconds = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10
    print(f"{args.step} in {args.memory}: {seconds:.1f} s, peak RSS {rss:,} MiB, largest spill {largest[0]:,} MB")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
