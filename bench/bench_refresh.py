"""Benchmark: one delivery through a whole `dtsen refresh` process (every stage).

    .venv/bin/python bench/bench_refresh.py --delivery var/bench/deliveries/2026-11-17

Runs the refresh in a fresh process under /usr/bin/time -v (wall time, peak RSS of the
whole process tree's largest process), reads the stage times and row counts from the
run's manifest, and prints one Markdown block to paste into bench/RESULTS.md. Stage times
exclude Prefect's temporary server start; the wall time includes it. Every 2 s it samples
the summed RSS of the process tree and DuckDB's spill folder, and names the tasks that ran
while something was spilled (from the run's Prefect database).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)) // (1 << 20)
    return f"{os.cpu_count()} cores ({cpu}), {mem} GiB, Python {platform.python_version()}"


class Sampler(threading.Thread):
    """Every `every` seconds while a command runs: the summed RSS of its process tree (the
    flow, Dask's workers) and the size of DuckDB's spill folder (`$DTSEN_HOME/tmp`)."""

    def __init__(self, pid: int, spill: Path, every: float = 2.0) -> None:
        super().__init__(daemon=True)
        self.pid, self.spill, self.every = pid, spill, every
        self.samples: list[tuple[float, int, int]] = []  # (time, RSS bytes, spill bytes)
        self.done = threading.Event()

    def run(self) -> None:
        import psutil

        while not self.done.wait(self.every):
            try:
                root = psutil.Process(self.pid)
                procs = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            rss = 0
            for proc in procs:
                try:
                    rss += proc.memory_info().rss
                except psutil.NoSuchProcess:
                    pass
            size = sum(f.stat().st_size for f in self.spill.rglob("*") if f.is_file()) if self.spill.exists() else 0
            self.samples.append((time.time(), rss, size))


def spill_per_task(
    home: Path, samples: list[tuple[float, int, int]], least: int = 1 << 20
) -> list[tuple[str, float, int]]:
    """(task, seconds, largest spill while it ran) of the tasks that ran while DuckDB had
    spilled at least `least` bytes, largest first, from the run's Prefect database."""
    import datetime as dt
    import sqlite3

    db = home / "prefect" / "prefect.db"
    if not db.exists():
        return []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = con.execute(
        "SELECT name, start_time, end_time FROM task_run WHERE start_time IS NOT NULL AND end_time IS NOT NULL"
    ).fetchall()
    out = []
    for name, start, end in rows:
        a, b = (dt.datetime.fromisoformat(x).replace(tzinfo=dt.UTC).timestamp() for x in (start, end))
        during = [spill for t, _, spill in samples if a <= t <= b]
        if during and max(during) >= least:
            out.append((name, b - a, max(during)))
    return sorted(out, key=lambda r: -r[2])


def timed(cmd: list[str], env: dict, sampler: Sampler | None = None) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MiB, stdout) of one command; `sampler`, if given, watches it."""
    popen = subprocess.Popen(
        ["/usr/bin/time", "-v", *cmd], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    if sampler is not None:
        sampler.pid = popen.pid
        sampler.start()
    stdout, stderr = popen.communicate()
    if sampler is not None:
        sampler.done.set()
        sampler.join()
    proc = subprocess.CompletedProcess(popen.args, popen.returncode, stdout, stderr)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"command failed: {' '.join(cmd)}")
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", proc.stderr)
    h, m, s = (float(x) if x else 0.0 for x in wall.groups())
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1)) / 1024
    return h * 3600 + m * 60 + s, rss, proc.stdout


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--delivery", type=Path, required=True)
    ap.add_argument("--home", type=Path, default=None, help="DTSEN_HOME for the run (default: a temp folder)")
    ap.add_argument("--record", type=Path, default=None, help="append the figures as one JSON line (bench_scale.py)")
    args = ap.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="dtsen-bench-"))
    env = os.environ | {"DTSEN_HOME": str(home), "COLUMNS": "200"}
    cmd = [str(ROOT / ".venv/bin/dtsen"), "refresh", "--delivery", str(args.delivery.resolve())]
    sampler = Sampler(0, home / "tmp")
    wall, rss, out = timed(cmd, env, sampler)
    manifest_path = Path(
        re.search(r"manifest \(counts per rule, checksums, versions\): (\S+manifest\.json)", out).group(1)
    )
    manifest = json.loads(manifest_path.read_text())
    read = sum(r["dibaca"] for r in manifest["rekonsiliasi"].values())
    stage = sum(manifest["seconds"].values())
    size = sum(m["bytes"] for m in manifest["landed"]["files"].values()) / (1 << 20)
    print(f"### refresh: {args.delivery.name} ({read:,} rows read, {size:,.0f} MiB delivered)\n")
    print(f"- command: `{' '.join(['DTSEN_HOME=' + str(home)] + cmd)}`")
    print(f"- machine: {machine()}")
    print(f"- whole process: {wall:.1f} s wall, peak RSS {rss:,.0f} MiB")
    print(
        f"- stages (excluding Prefect's temporary server): {stage:.1f} s = "
        + ", ".join(f"{k} {v:.1f} s" for k, v in manifest["seconds"].items())
    )
    print(f"- throughput: {read / stage:,.0f} rows/s over the stages")
    if sampler.samples:
        most_rss = max(r for _, r, _ in sampler.samples) / (1 << 20)
        most_spill = max(sp for _, _, sp in sampler.samples) / 1e6
        print(
            f"- sampled every 2 s: summed RSS of the process tree at most {most_rss:,.0f} MiB; "
            f"spill at most {most_spill:,.0f} MB"
        )
        for name, seconds, spill in spill_per_task(home, sampler.samples)[:12]:
            print(f"  - spill {spill / 1e6:,.0f} MB while `{name}` ran ({seconds:.1f} s)")
    print(f"- reconciled: {manifest['seimbang']}")
    if args.record:
        persons = (
            json.loads((args.delivery / "truth" / "metadata.json").read_text()).get("persons")
            if (args.delivery / "truth" / "metadata.json").exists()
            else None
        )
        with args.record.open("a") as f:
            f.write(
                json.dumps(
                    {
                        "persons": persons,
                        "rows_read": read,
                        "wall": round(wall, 1),
                        "rss_mib": round(rss),
                        "stages": manifest["seconds"],
                        "run": str(manifest_path.parent),
                        "date": time.strftime("%Y-%m-%d"),
                    }
                )
                + "\n"
            )
    if args.home is None:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
