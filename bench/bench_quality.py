"""Benchmark: the quality suites alone on a finished run, in a fresh process.

    .venv/bin/python bench/bench_quality.py --run var/runs/<run_id> --landed var/landed/<cutoff>/<fp>

Runs the three validation stages (raw and standardized, unified, snapshot) as the refresh
does, under /usr/bin/time -v: wall time per stage and the process's peak RSS. Set against
the run's own stage times (from its manifest) it gives what validation adds to a refresh.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_refresh import machine  # noqa: E402

CHILD = """
import datetime as dt, json, sys, time
from pathlib import Path
import expectations
run, landed = Path(sys.argv[1]), Path(sys.argv[2])
manifest = json.loads((run / "manifest.json").read_text())
counts = manifest["counts"]
cutoff = dt.date.fromisoformat(manifest["cutoff"])
seconds = {}
baku = lambda: expectations.check_raw_and_standardized(run, landed, cutoff, counts, counts, 0.5)  # noqa: E731
for stage, check in (("baku", baku),
                     ("terpadu", lambda: expectations.check_unified(run)),
                     ("terbit", lambda: expectations.check_snapshot(run, manifest))):
    t = time.perf_counter()
    result = check()
    seconds[stage] = round(time.perf_counter() - t, 2)
    assert not result["kritis_gagal"], result["kritis_gagal"]
print(json.dumps(seconds))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", type=Path, required=True)
    ap.add_argument("--landed", type=Path, required=True)
    a = ap.parse_args()
    # A copy of the run's outputs is not needed: validation writes only mutu/ and
    # karantina/mutu/, which a refresh writes too.
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        ["/usr/bin/time", "-v", sys.executable, "-c", CHILD, str(a.run), str(a.landed)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tempfile.gettempdir(),
    )
    if proc.returncode != 0:
        sys.exit(proc.stderr[-3000:])
    seconds = json.loads(proc.stdout.strip().splitlines()[-1])
    rss = int(next(line.split(":")[1] for line in proc.stderr.splitlines() if "Maximum resident" in line)) // 1024
    manifest = json.loads((a.run / "manifest.json").read_text())
    stages = manifest["seconds"]
    work = sum(v for k, v in stages.items() if not k.startswith("validate") and k != "publish")
    total = sum(seconds.values())
    print(f"### quality suites: {manifest['run_id']} ({dt.date.today()})\n")
    print(f"- command: `.venv/bin/python bench/bench_quality.py --run {a.run} --landed {a.landed}`")
    print(f"- machine: {machine()}")
    print(
        f"- validation: {total:.1f} s ("
        + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items())
        + f"), peak RSS of the validating process {rss:,} MiB"
    )
    print(
        f"- the refresh's other stages (land to rank, from its manifest): {work:.1f} s; "
        f"validation adds **{total / work:.0%}**"
    )


if __name__ == "__main__":
    main()
