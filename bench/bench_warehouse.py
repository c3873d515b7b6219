"""Benchmark: publishing a run as a snapshot, and the ministries' two typical queries on it.

    .venv/bin/python bench/bench_warehouse.py --run var/runs/<run_id> [--catalog-url URL]

Publishes the run into a fresh warehouse (a temporary project folder), builds the analyst
copy (pseudonymised, once per snapshot), then times, in process and after one warm-up,
the median of 5 runs of each query at both access levels: a desil 1-4 list for one regency,
and a national count by desil. Also times the whole `dtsen query` command (process start,
catalog, query) for the regency list. Prints one
Markdown block for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_refresh import machine  # noqa: E402

REGENCY_LIST = (
    "SELECT * FROM keluarga WHERE kode_prov = '{prov}' AND kode_desa LIKE '{kab}%' "
    "AND desil_nasional <= 4 ORDER BY desil_nasional, skor_kesejahteraan"
)
COUNT_BY_DESIL = (
    "SELECT desil_nasional, count(*) AS keluarga, sum(jumlah_anggota) AS orang FROM keluarga GROUP BY 1 ORDER BY 1"
)


def median_seconds(fn, repeat: int = 5) -> float:
    fn()  # warm-up: file system cache, catalog connection
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", type=Path, required=True)
    ap.add_argument("--catalog-url", default=None, help="default: a SQLite catalog in the temporary folder")
    a = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="dtsen-bench-wh-"))
    os.environ.update(DTSEN_HOME=str(home), DTSEN_PSEUDONYM_KEY="bench-key", DTSEN_CATALOG_NAME=f"bench_{os.getpid()}")
    if a.catalog_url:
        os.environ["DTSEN_CATALOG_URL"] = a.catalog_url
    from dtsen.settings import get_settings
    from warehouse import Akses, open_catalog, open_snapshot, publish, resolve

    settings = get_settings()
    catalog = open_catalog(settings)
    done = publish(catalog, a.run.resolve())
    snap = resolve(catalog)
    con = open_snapshot(catalog, snap, Akses.penuh)
    prov, kab = con.execute(
        "SELECT kode_prov, substr(kode_desa, 1, 4) FROM keluarga GROUP BY ALL ORDER BY count(*) DESC LIMIT 1"
    ).fetchall()[0]
    regency = REGENCY_LIST.format(prov=prov, kab=kab)
    listed = len(con.execute(regency).fetchall())

    def run(sql: str, akses: Akses):
        def once():
            c = open_snapshot(catalog, snap, akses, tables=["keluarga"])
            return c.execute(sql).fetchall()

        return once

    from warehouse.read import analyst_copy

    t = time.perf_counter()
    analyst_copy(catalog, snap, settings)
    copy_seconds = time.perf_counter() - t
    figures = {
        f"{name}, {akses.value}": median_seconds(run(sql, akses))
        for name, sql in (("desil 1-4 list, one regency", regency), ("national count by desil", COUNT_BY_DESIL))
        for akses in (Akses.penuh, Akses.analis)
    }
    cli = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run(
            [
                str(ROOT / ".venv/bin/dtsen"),
                "query",
                regency,
                "--akses",
                "penuh",
                "--format",
                "parquet",
                "--out",
                str(home / "list.parquet"),
            ],
            check=True,
            capture_output=True,
            env=os.environ,
        )
        cli.append(time.perf_counter() - t)
    print(f"### Warehouse: publish and query ({time.strftime('%Y-%m-%d')})\n")
    print(
        f"Machine: {machine()}. Catalog: {'PostgreSQL' if a.catalog_url else 'SQLite'}. Run {a.run.name}: "
        + ", ".join(f"{t} {n:,}" for t, n in done.snapshot.jumlah_baris.items())
        + ".\n"
    )
    print("| step | seconds |\n|---|---|")
    print(f"| publish (stage 5 tables with DuckDB, 5 Iceberg commits, registry row, tags) | {done.seconds:.2f} |")
    print(
        f"| analyst copy: tokens for every NIK, KK and record id of the 5 tables (once per snapshot and key) | "
        f"{copy_seconds:.2f} |"
    )
    for name, s in figures.items():
        print(f"| query: {name} (open snapshot + query, median of 5) | {s:.3f} |")
    print(
        f"| `dtsen query` whole command, regency list ({listed:,} families) to Parquet (median of 3) | "
        f"{statistics.median(cli):.2f} |"
    )


if __name__ == "__main__":
    main()
