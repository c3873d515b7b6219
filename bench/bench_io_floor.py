"""Benchmark: the I/O floor. What DuckDB needs just to read every extract of a delivery
and to write the published tables, with no standardizing, matching or ranking at all.

    .venv/bin/python bench/bench_io_floor.py --delivery D --run RUN [--refresh-seconds S]

Read: every extract, every column, into DuckDB tables (in a scratch database), with the
cheapest reader for each format: Parquet as is, UTF-8 CSV by DuckDB, JSON lines as lines,
and the Windows-1252 DTKS CSVs by pyarrow (DuckDB reads no Windows-1252 without an
extension this machine cannot download; decoding it is a cost the pipeline pays too). Write: the run's
published tables (keluarga, individu, tautan_sumber, verifikasi, karantina, usulan),
partitioned by province as publishing writes them. With --refresh-seconds (the run's
stage total) it also states the pipeline as a multiple of the floor.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_refresh import machine  # noqa: E402
from transforms.ingest.extracts import EXTRACTS  # noqa: E402
from warehouse.publish import sources  # noqa: E402


def reader(extract, files: list[Path]) -> str:
    names = "[" + ", ".join(repr(str(f)) for f in files) + "]"
    if extract.format == "parquet":
        return f"read_parquet({names})"
    if extract.format == "csv":
        return f"read_csv({names}, delim = '{extract.delimiter}', header = true, all_varchar = true)"
    return f"read_csv({names}, columns = {{'json': 'VARCHAR'}}, delim = '\\x01', header = false, quote = '')"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--delivery", type=Path, required=True)
    ap.add_argument("--run", type=Path, required=True)
    ap.add_argument("--refresh-seconds", type=float, default=None)
    a = ap.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="dtsen-io-floor-"))
    con = duckdb.connect(str(scratch / "floor.duckdb"))
    con.execute(f"SET temp_directory = '{scratch}'")
    t = time.perf_counter()
    rows = 0
    for e in EXTRACTS:
        files = sorted(a.delivery.glob(e.pattern))
        if files and e.encoding == "cp1252":
            import pyarrow as pa
            import pyarrow.csv as pacsv

            tables = [
                pacsv.read_csv(
                    f,
                    read_options=pacsv.ReadOptions(encoding="cp1252"),
                    parse_options=pacsv.ParseOptions(delimiter=e.delimiter),
                    convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in e.columns}),
                )
                for f in files
            ]
            con.register("cp1252", pa.concat_tables(tables, promote_options="permissive"))
            con.execute(f"CREATE TABLE {e.name} AS SELECT * FROM cp1252")
            con.unregister("cp1252")
        elif files:
            con.execute(f"CREATE TABLE {e.name} AS SELECT * FROM {reader(e, files)}")
            rows += con.execute(f"SELECT count(*) FROM {e.name}").fetchall()[0][0]
    read = time.perf_counter() - t
    t = time.perf_counter()
    written = 0
    for name, query in sources(a.run).items():
        con.execute(
            f"COPY ({query}) TO '{scratch / name}' (FORMAT parquet, COMPRESSION zstd, "
            "PARTITION_BY (kode_prov), WRITE_PARTITION_COLUMNS true)"
        )
        written += con.execute(f"SELECT count(*) FROM ({query})").fetchall()[0][0]
    write = time.perf_counter() - t
    con.close()
    shutil.rmtree(scratch, ignore_errors=True)
    floor = read + write
    print(f"### I/O floor: {a.delivery} ({time.strftime('%Y-%m-%d')})\n")
    print(f"- command: `.venv/bin/python bench/bench_io_floor.py --delivery {a.delivery} --run {a.run}`")
    print(f"- machine: {machine()}")
    print(
        f"- read {rows:,} extract rows in {read:.1f} s; wrote {written:,} published rows in {write:.1f} s; "
        f"**floor {floor:.1f} s**"
    )
    if a.refresh_seconds:
        print(
            f"- the refresh's stages took {a.refresh_seconds:.1f} s: "
            f"**{a.refresh_seconds / floor:.1f} times the floor**"
        )
    print(json.dumps({"read": round(read, 2), "write": round(write, 2), "floor": round(floor, 2)}))


if __name__ == "__main__":
    main()
