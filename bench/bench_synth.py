"""Benchmark of the synthetic delivery generator: wall time, peak memory, rows per file.

    .venv/bin/python bench/bench_synth.py --persons 1000000
    .venv/bin/python bench/bench_synth.py --persons 1000000 --regions kemendagri

The generator runs as the whole command (`dtsen synth`, or `python -m synthetic` with
--via module) in a subprocess under /usr/bin/time -v, so imports and start-up count.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CUTOFF = "2026-11-17"


def command(via: str, out: Path, a: argparse.Namespace) -> list[str]:
    args = [
        "--out",
        str(out),
        "--persons",
        str(a.persons),
        "--seed",
        str(a.seed),
        "--cutoff",
        CUTOFF,
        "--error-scale",
        str(a.error_scale),
        "--overwrite",
    ]
    if a.regions:
        args += ["--regions", str(Path(a.regions).resolve())]
    dtsen = Path(sys.executable).parent / "dtsen"
    if via == "cli" and dtsen.exists():
        return [str(dtsen), "synth", *args]
    return [sys.executable, "-m", "synthetic", *args]


def run(cmd: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (KiB) of the command, its stderr."""
    timer = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    full = [timer, "-v", *cmd] if timer else cmd
    t = time.perf_counter()
    proc = subprocess.run(full, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"generator failed with exit code {proc.returncode}")
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    peak = int(m.group(1)) if m else resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, peak, proc.stderr


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--regions", default=None, help="Kemendagri region list (kode,nama)")
    ap.add_argument("--error-scale", type=float, default=1.0)
    ap.add_argument(
        "--via",
        choices=("cli", "module"),
        default="cli",
        help="cli: `dtsen synth` (the whole command); module: `python -m synthetic`",
    )
    ap.add_argument("--out", type=Path, default=None, help="root folder (default: a temporary one, removed)")
    ap.add_argument("--json", type=Path, default=None, help="append the result as one JSON line to this file")
    a = ap.parse_args()

    out = a.out or Path(tempfile.mkdtemp(prefix="bench_synth_"))
    try:
        cmd = command(a.via, out, a)
        wall, peak_kib, _ = run(cmd)
        meta = json.loads((out / CUTOFF / "truth" / "metadata.json").read_text())
        size = sum(f.stat().st_size for f in (out / CUTOFF).rglob("*") if f.is_file())
    finally:
        if a.out is None:
            shutil.rmtree(out, ignore_errors=True)

    result = {
        "persons": a.persons,
        "regions": meta["regions"],
        "villages": meta["villages"],
        "error_scale": a.error_scale,
        "command": " ".join(Path(cmd[0]).name if i == 0 else c for i, c in enumerate(cmd)),
        "wall_s": round(wall, 2),
        "peak_rss_mib": round(peak_kib / 1024, 1),
        "delivery_mib": round(size / 2**20, 1),
        "cpus": os.cpu_count(),
        "welfare_r2_achieved": meta["welfare_r2_achieved"],
        "rows": meta["rows"],
    }
    print(f"command: {result['command']}")
    print(f"persons {a.persons:,}  villages {meta['villages']:,}  regions {meta['regions'][:40]}")
    print(f"wall {wall:.1f} s   peak RSS {peak_kib / 1024:,.0f} MiB   delivery {size / 2**20:,.0f} MiB")
    width = max(len(k) for k in meta["rows"])
    dtks = {k: v for k, v in meta["rows"].items() if k.startswith("dtks/")}
    for name, n in meta["rows"].items():
        if not name.startswith("dtks/"):
            print(f"  {name:<{width}}  {n:>12,}")
    print(f"  {'dtks/dtks_*.csv (' + str(len(dtks)) + ' files)':<{width}}  {sum(dtks.values()):>12,}")
    if a.json:
        with a.json.open("a") as f:
            f.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
