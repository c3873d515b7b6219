"""Benchmark: the names module on generated names: `.venv/bin/python bench/bench_names.py [n]`.

Three figures per million: the SQL normalisation, the nickname UDF on word pairs, the level UDF
on name pairs (half of them a generated variant of the other: title, old spelling, nickname,
dropped word, swapped order).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from transforms.names.sql import normalisasi_sql, pasang_udf, sql_params

_VARIAN = (
    "'H. ' || a",
    "a || ', S.PD'",
    "replace(replace(a, 'U', 'OE'), 'J', 'DJ')",
    "string_split(a, ' ')[-1]",
    "array_to_string(list_reverse(string_split(a, ' ')), ' ')",
    "string_split(a, ' ')[1]",
)


def ukur(n: int = 1_000_000, seed: int = 16) -> dict[str, float]:
    from synthetic.names import person_names

    rng = np.random.default_rng(seed)
    a = person_names(rng.random(n) < 0.5, rng)
    b = person_names(rng.random(n) < 0.5, rng)
    con = duckdb.connect()
    pasang_udf(con)
    con.from_arrow(pa.table({"a": a, "b": b})).create("pasangan")
    cases = " ".join(f"WHEN {i} THEN {v}" for i, v in enumerate(_VARIAN))
    con.execute(
        f"CREATE OR REPLACE TABLE pasangan AS SELECT a, CASE WHEN random() < 0.5 THEN b "
        f"ELSE CASE CAST(floor(random() * {len(_VARIAN)}) AS INT) {cases} END END AS b FROM pasangan"
    )
    out: dict[str, float] = {}
    t = time.perf_counter()
    con.execute(f"CREATE TABLE baku AS {normalisasi_sql('pasangan', 'a')}", sql_params())
    out["normalisasi_sql"] = time.perf_counter() - t
    t = time.perf_counter()
    con.execute(
        "SELECT count(*) FILTER (WHERE nama_panggilan_dari(string_split(b, ' ')[-1], string_split(a, ' ')[1])) "
        "FROM pasangan"
    ).fetchone()
    out["panggilan_udf"] = time.perf_counter() - t
    t = time.perf_counter()
    levels = con.execute("SELECT nama_tingkat(a, b) AS t, count(*) FROM pasangan GROUP BY t ORDER BY 2 DESC").fetchall()
    out["tingkat_udf"] = time.perf_counter() - t
    for level, count in levels:
        print(f"  {level:<13} {count:>9,}")
    return {k: v * 1_000_000 / n for k, v in out.items()}


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    for step, secs in ukur(n).items():
        print(f"{step:<16} {secs:6.2f} s per million ({n:,} rows)")
