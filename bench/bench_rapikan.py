"""Benchmark: housekeeping (`dtsen cleanup`) on a home with published snapshots, and what the
warehouse grows by each month.

    .venv/bin/python bench/bench_rapikan.py --home HOME sizes
    .venv/bin/python bench/bench_rapikan.py --home HOME leftovers --run HOME/runs/<run_id>

`sizes`: per published snapshot, its persons and the bytes of its data files (what the tag
reads), the warehouse's data and metadata bytes, the home's landed copies and run folders,
and the national projection: bytes per person per snapshot times PERSONS (286 million).

`leftovers`: leaves in the home what a bad month leaves, to be cleaned up: a publish of `--run`
killed after committing `keluarga` and staging `individu` (the largest table), before
registering; a landed copy of a delivery that failed (a copy of the run's landed delivery,
under another fingerprint); an analyst copy made with a key no longer in use. Everything is
dated a month back, past the grace period. Time the command itself from outside
(`/usr/bin/time -v .venv/bin/dtsen cleanup [--terapkan]`).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PERSONS = 286_000_000
MONTH = 30 * 24 * 3600


def tree_bytes(path: Path) -> int:
    return sum(p.lstat().st_size for p in path.rglob("*") if not p.is_dir()) if path.exists() else 0


def sizes(settings) -> dict:
    from warehouse import open_catalog, snapshots
    from warehouse.catalog import warehouse_dir
    from warehouse.read import data_files

    catalog = open_catalog(settings)
    per_snapshot = []
    for s in snapshots(catalog):
        files = {f for t in s.snapshot_tabel for f in data_files(catalog, t, s)[0]}
        per_snapshot.append(
            {"tag": s.tag, "persons": s.jumlah_baris["individu"], "bytes": sum(Path(f).stat().st_size for f in files)}
        )
    warehouse = warehouse_dir(settings)
    tables = warehouse / "dtsen"
    data = sum(tree_bytes(t / "data") for t in tables.iterdir())
    metadata = sum(tree_bytes(t / "metadata") for t in tables.iterdir())
    per_person = sum(s["bytes"] for s in per_snapshot) / sum(s["persons"] for s in per_snapshot)
    runs = [p for p in settings.runs_dir.iterdir() if p.is_dir()]
    landed = [p for p in settings.landed_dir.glob("*/*") if p.is_dir()]
    return {
        "snapshots": per_snapshot,
        "warehouse_data_bytes": data,
        "warehouse_metadata_bytes": metadata,
        "catalog_db_bytes": (warehouse / "catalog.db").stat().st_size if (warehouse / "catalog.db").exists() else 0,
        "bytes_per_person_per_snapshot": round(per_person, 1),
        "national_snapshot_gb": round(per_person * PERSONS / 1e9, 1),
        "metadata_per_snapshot_kb": round(metadata / max(1, len(per_snapshot)) / 1e3, 1),
        "landed_per_delivery_mb": round(sum(map(tree_bytes, landed)) / max(1, len(landed)) / 1e6, 1),
        "run_folder_per_run_mb": round(sum(map(tree_bytes, runs)) / max(1, len(runs)) / 1e6, 1),
    }


def leftovers(settings, run: Path) -> None:
    from pydantic import SecretStr

    from warehouse import open_catalog, open_snapshot, snapshots
    from warehouse.access import Akses

    catalog = open_catalog(settings)
    P = importlib.import_module("warehouse.publish")
    commit, calls = P.commit, []

    def commit_or_die(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt("killed after staging the second table")
        return commit(*args, **kwargs)

    # The registry seen empty: a publish of a delivery not published yet (a published one is
    # recognised and not staged again).
    registered = P.registry.snapshots
    P.commit, P.registry.snapshots = commit_or_die, lambda catalog: []
    try:
        P.publish(catalog, run)
    except KeyboardInterrupt as e:
        print(f"publish of {run.name}: {e}")
    finally:
        P.commit, P.registry.snapshots = commit, registered
    manifest = json.loads((run / "manifest.json").read_text())
    landed = Path(manifest["landed"]["path"])
    failed = landed.with_name("f" * 16)
    shutil.copytree(landed, failed)
    checksums = failed / "checksums.json"
    checksums.chmod(0o644)
    checksums.write_text(json.dumps(json.loads(checksums.read_text()) | {"fingerprint": "f" * 64}))
    retired = settings.model_copy(update={"pseudonym_key": SecretStr("a key no longer in use")})
    open_snapshot(catalog, snapshots(catalog)[-1], Akses.analis, retired).close()
    old = time.time() - MONTH
    for root in (settings.home_dir / "warehouse" / "dtsen", failed, settings.home_dir / "analis"):
        for p in [*root.rglob("*"), root]:
            os.utime(p, (old, old), follow_symlinks=False)
    print(f"left: a killed publish, a failed delivery's landed copy ({tree_bytes(failed) / 1e6:.0f} MB), "
          "an analyst copy of a retired key; every warehouse file dated a month back")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("what", choices=("sizes", "leftovers"))
    ap.add_argument("--run", type=Path, help="with leftovers: the run folder a killed publish publishes")
    a = ap.parse_args()
    os.environ["DTSEN_HOME"] = str(a.home)
    from dtsen.settings import get_settings

    settings = get_settings()
    if a.what == "sizes":
        print(json.dumps(sizes(settings), indent=1))
    else:
        if a.run is None:
            ap.error("leftovers needs --run")
        leftovers(settings, a.run)


if __name__ == "__main__":
    main()
