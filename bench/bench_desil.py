"""Benchmark: the national deciles by one window over every family (the rank stage before the
summaries) against the deciles from per-partition summaries, on a refreshed run's families.

    .venv/bin/python bench/bench_desil.py siapkan --run HOME/runs/<run_id> --dir DIR
    .venv/bin/python bench/bench_desil.py jendela --dir DIR
    .venv/bin/python bench/bench_desil.py ringkasan --dir DIR
    .venv/bin/python bench/bench_desil.py banding --dir DIR

`siapkan`: the run's families as the score table (DIR/skor.parquet: no_kk, kode_prov,
jumlah_anggota, skor_kesejahteraan) and split by province (DIR/prov/<kode_prov>.parquet).
`jendela`: the window over DIR/skor.parquet, each family's decile to DIR/jendela.parquet.
`ringkasan`: the five steps of transforms/rank/desil.py over the province files, one after
another in one process, under DIR/kerja/. Time these two from outside, as whole processes.
`banding`: both give every family the same decile; the bytes the national steps read (the
summaries, the boundary bins and the boundary families) against the score table's.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from transforms.engine import copy_atomic  # noqa: E402
from transforms.rank import desil  # noqa: E402

WINDOW = """
    SELECT no_kk, least(10, 1 + floor(10 * coalesce(sum(jumlah_anggota) OVER (
                   ORDER BY skor_kesejahteraan, no_kk ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
               / sum(jumlah_anggota) OVER ()))::INTEGER AS desil_nasional
    FROM read_parquet($skor)
"""


def prepare(run: Path, out: Path) -> None:
    con = duckdb.connect()
    skor = out / "skor.parquet"
    copy_atomic(
        con,
        "SELECT no_kk, kode_prov, jumlah_anggota, skor_kesejahteraan FROM read_parquet($k)",
        skor,
        {"k": str(run / "ranked" / "keluarga.parquet")},
    )
    for (prov,) in con.execute(
        "SELECT DISTINCT kode_prov FROM read_parquet($s) ORDER BY 1", {"s": str(skor)}
    ).fetchall():
        copy_atomic(
            con,
            "SELECT no_kk, jumlah_anggota, skor_kesejahteraan FROM read_parquet($s) WHERE kode_prov = $p",
            out / "prov" / f"{prov}.parquet",
            {"s": str(skor), "p": prov},
        )


def partitions(folder: Path) -> list[Path]:
    return sorted((folder / "prov").glob("*.parquet"))


def size(paths) -> int:
    return sum(Path(p).stat().st_size for p in paths)


def compare(folder: Path) -> dict:
    con = duckdb.connect()
    work = folder / "kerja"
    parts = partitions(folder)
    names = [f"{i:04d}.parquet" for i in range(len(parts))]
    differ = con.execute(
        "SELECT count(*) FROM read_parquet($j) j FULL JOIN read_parquet($r) r USING (no_kk) "
        "WHERE j.desil_nasional IS DISTINCT FROM r.desil_nasional",
        {"j": str(folder / "jendela.parquet"), "r": [str(work / "desil" / n) for n in names]},
    ).fetchall()[0][0]
    summaries = [work / "ringkasan" / n for n in names]
    boundary = [work / "keluarga_batas" / n for n in names]
    rows = con.execute(
        "SELECT (SELECT count(*) FROM read_parquet($s)), (SELECT count(*) FROM read_parquet($b)), "
        "(SELECT count(*) FROM read_parquet($k))",
        {"s": [str(p) for p in summaries], "b": [str(p) for p in boundary], "k": str(folder / "skor.parquet")},
    ).fetchall()[0]
    national = size(summaries) + size([work / "bin_batas.parquet"]) + size(boundary)
    return {
        "keluarga": rows[2],
        "partisi": len(parts),
        "keluarga_beda_desil": differ,
        "baris_ringkasan": rows[0],
        "keluarga_di_bin_batas": rows[1],
        "byte_ringkasan": size(summaries),
        "byte_bin_batas": size([work / "bin_batas.parquet"]),
        "byte_keluarga_batas": size(boundary),
        "byte_langkah_nasional": national,
        "byte_tabel_skor": size([folder / "skor.parquet"]),
        "byte_partisi": size(parts),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("langkah", choices=["siapkan", "jendela", "ringkasan", "banding"])
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--run", type=Path)
    a = parser.parse_args()
    if a.langkah == "siapkan":
        if a.run is None:
            parser.error("siapkan needs --run")
        prepare(a.run, a.dir)
    elif a.langkah == "jendela":
        copy_atomic(duckdb.connect(), WINDOW, a.dir / "jendela.parquet", {"skor": str(a.dir / "skor.parquet")})
    elif a.langkah == "ringkasan":
        desil.national_deciles(duckdb.connect(), list(partitions(a.dir)), a.dir / "kerja")
    else:
        print(json.dumps(compare(a.dir), indent=1))


if __name__ == "__main__":
    main()
