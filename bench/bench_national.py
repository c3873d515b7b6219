"""Benchmark: one national step of a finished run again, alone, in a given memory.

    .venv/bin/python bench/bench_national.py --run <a finished run> --step match-national --memory 6GB

Runs `match-national` (the repair step and Splink on the records the NIK buckets left) or
`unify-route` (unification's narrow national routing) of the run once more, on one DuckDB
of 2 threads limited to `--memory`, reading the run's own inputs and writing into a scratch
copy of its folder (the run is left as it is). Prints the seconds, the process's peak RSS and
the largest spill folder seen (sampled every 0.5 s), and for match-national the counts, which
must equal the run's manifest. To compare two commits, run it from each with
PYTHONPATH=<worktree of the commit>.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_standardize import largest_spill  # noqa: E402
from transforms.standardize import RunPaths  # noqa: E402


def scratch_run(run: Path, into: Path) -> Path:
    """A run folder whose inputs are the run's (links) and whose outputs are new."""
    copy = into / run.name
    copy.mkdir(parents=True)
    for name in ("standardized", "partisi.parquet", "bawaan"):
        if (run / name).exists():
            (copy / name).symlink_to(run / name)
    (copy / "matched").mkdir()
    for f in (run / "matched").iterdir():
        if f.name == "kerja" or f.suffix == ".parquet":  # the buckets' files; the links for unify
            (copy / "matched" / f.name).symlink_to(f)
    return copy


def match_national(con: duckdb.DuckDBPyConnection, run: Path, manifest: dict) -> dict:
    from transforms.match import ember
    from transforms.match import prepare as prepare_match

    # its outputs are written anew: the links must not point at the run's own files
    for name in ("tautan_sumber.parquet", "verifikasi.parquet", "model_splink.json"):
        (run / "matched" / name).unlink(missing_ok=True)
    prepare_match(con)
    padan = manifest["padan"]
    counts = ember.national(con, RunPaths(run), padan["ember_nik"], padan["catatan"])
    return {k: counts[k] for k in ("per_metode", "verifikasi_per_alasan", "seimbang")}


def unify_route(con: duckdb.DuckDBPyConnection, run: Path, manifest: dict) -> dict:
    from transforms.partisi import plan_file
    from transforms.unify import terbagi

    bawaan = run / "bawaan" / "keputusan.parquet"
    paths = RunPaths(run)
    work = run / "unified" / "kerja" / "bench"
    cutoff = dt.date.fromisoformat(manifest["cutoff"])
    summary = terbagi.route(con, paths, cutoff, bawaan if bawaan.exists() else None, plan_file(run), work)
    return {k: summary[k] for k in ("catatan", "rumah_tangga", "usulan")}


STEPS = {"match-national": match_national, "unify-route": unify_route}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", type=Path, required=True, help="a finished run folder")
    ap.add_argument("--step", choices=sorted(STEPS), default="match-national")
    ap.add_argument("--memory", default="6GB")
    args = ap.parse_args()
    manifest = json.loads((args.run / "manifest.json").read_text())
    scratch = Path(tempfile.mkdtemp(prefix="dtsen-national-", dir=args.run.parent.parent))
    run = scratch_run(args.run.resolve(), scratch / "runs")
    spill = scratch / "tmp"
    spill.mkdir()

    from transforms.engine import connect

    con = connect(args.memory, 2, spill)
    try:
        with largest_spill(spill) as most:
            t = time.perf_counter()
            counts = STEPS[args.step](con, run, manifest)
            seconds = time.perf_counter() - t
    finally:
        con.close()
        shutil.rmtree(scratch, ignore_errors=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.step} of {args.run.name} in {args.memory}: {seconds:.1f} s, peak RSS {peak:,.0f} MiB, ", end="")
    print(f"largest spill {most[0]:,} MB")
    if args.step == "match-national":
        same = all(counts[k] == manifest["padan"][k] for k in ("per_metode", "verifikasi_per_alasan"))
        print(f"counts equal to the run's manifest: {same}")
    else:
        print(json.dumps(counts))


if __name__ == "__main__":
    main()
