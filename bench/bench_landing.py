"""Benchmark: the checks a delivery gets before any stage starts (`flows/preflight.py`):
every file present and named as the contract says, every CSV header and Parquet schema
read for its columns and types. They must be cheap: a scan of headers, not a second read.

    .venv/bin/python bench/bench_landing.py --delivery DIR/<YYYY-MM-DD> [--runs 5]

Prints the median of the runs (after one warm-up, in process) and the bytes the delivery
holds, as one Markdown row for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows import preflight


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delivery", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    preflight.delivery(args.delivery, [])  # warm-up: imports, file system cache
    seconds = []
    for _ in range(args.runs):
        t = time.perf_counter()
        preflight.delivery(args.delivery, [])
        seconds.append(time.perf_counter() - t)
    files = [f for f in args.delivery.rglob("*") if f.is_file() and "truth" not in f.parts]
    size = sum(f.stat().st_size for f in files)
    print(f"| delivery | files | bytes | checks before the run (median of {args.runs}) |")
    print("|---|---|---|---|")
    print(f"| {args.delivery} | {len(files)} | {size / 2**20:,.0f} MiB | {statistics.median(seconds):.3f} s |")


if __name__ == "__main__":
    main()
