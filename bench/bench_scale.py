"""Benchmark: the refresh at several sizes, and the plot of time and memory against size.

    .venv/bin/python bench/bench_scale.py --sizes 100000 1000000 10000000 [--seed 1]

For each size: a synthetic delivery (`dtsen synth`, timed), then the whole refresh in a
fresh process (`bench/bench_refresh.py`, wall time, peak RSS, stage times). Figures are
appended to bench/scale.jsonl; the table and bench/scale.png are made from that file
(`--plot-only` remakes them without running anything).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "bench" / "scale.jsonl"
PLOT = ROOT / "bench" / "scale.png"


def run(size: int, seed: int, work: Path) -> None:
    out = work / f"d{size}"
    t = time.perf_counter()
    subprocess.run(
        [
            str(ROOT / ".venv/bin/dtsen"),
            "synth",
            "--out",
            str(out),
            "--persons",
            str(size),
            "--seed",
            str(seed),
            "--overwrite",
        ],
        check=True,
        capture_output=True,
    )
    print(f"synth {size:,}: {time.perf_counter() - t:.1f} s", flush=True)
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench/bench_refresh.py"),
            "--delivery",
            str(out / "2026-11-17"),
            "--home",
            str(work / f"h{size}"),
            "--record",
            str(RECORDS),
        ],
        check=True,
    )


def table(records: list[dict]) -> str:
    stages = sorted(
        {k for r in records for k in r["stages"]},
        key=lambda k: list(records[-1]["stages"]).index(k) if k in records[-1]["stages"] else 99,
    )
    lines = ["| persons | wall | peak RSS | rows/s | " + " | ".join(stages) + " |", "|---" * (4 + len(stages)) + "|"]
    for r in sorted(records, key=lambda r: r["persons"]):
        total = sum(r["stages"].values())
        lines.append(
            f"| {r['persons']:,} | {r['wall']:.0f} s | {r['rss_mib'] / 1024:.1f} GiB | "
            f"{r['rows_read'] / total:,.0f} | " + " | ".join(f"{r['stages'].get(s, 0):.1f}" for s in stages) + " |"
        )
    return "\n".join(lines)


def plot(records: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rs = sorted(records, key=lambda r: r["persons"])
    persons = [r["persons"] for r in rs]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    left.loglog(persons, [r["wall"] for r in rs], "o-", label="refresh, wall")
    left.loglog(persons, [sum(r["stages"].values()) for r in rs], "s--", label="stages")
    ideal = [rs[-1]["wall"] * p / persons[-1] for p in persons]
    left.loglog(persons, ideal, ":", color="grey", label="linear through the largest")
    left.set_xlabel("registry persons")
    left.set_ylabel("seconds")
    left.legend(fontsize=8)
    right.semilogx(persons, [r["rss_mib"] / 1024 for r in rs], "o-", color="#a5673b")
    right.axhline(24, color="grey", linestyle=":", label="machine memory (24 GiB)")
    right.set_xlabel("registry persons")
    right.set_ylabel("peak RSS, GiB")
    right.legend(fontsize=8)
    fig.suptitle("DTSEN refresh on 2 cores: time and memory against size", fontsize=10)
    fig.savefig(PLOT, dpi=90, bbox_inches="tight")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--plot-only", action="store_true")
    a = ap.parse_args()
    if not a.plot_only:
        work = Path(tempfile.mkdtemp(prefix="dtsen-scale-"))
        for size in a.sizes:
            run(size, a.seed, work)
    records = [json.loads(line) for line in RECORDS.read_text().splitlines() if line.strip()]
    latest = {r["persons"]: r for r in records}  # the newest record per size
    print(table(list(latest.values())))
    plot(list(latest.values()))
    print(f"\nplot: {PLOT}")


if __name__ == "__main__":
    main()
