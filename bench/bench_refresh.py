"""Benchmark: one delivery through a whole `dtsen refresh` process (every stage).

    .venv/bin/python bench/bench_refresh.py --delivery var/bench/deliveries/2026-11-17

Runs the refresh in a fresh process under /usr/bin/time -v (wall time, peak RSS of the
whole process tree's largest process), reads the stage times and row counts from the
run's manifest, and prints one Markdown block to paste into bench/RESULTS.md. Stage times
exclude Prefect's temporary server start; the wall time includes it.
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


def timed(cmd: list[str], env: dict) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MiB, stdout) of one command."""
    proc = subprocess.run(["/usr/bin/time", "-v", *cmd], env=env, capture_output=True, text=True)
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
    wall, rss, out = timed(cmd, env)
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
