"""Stability between snapshots: how many families changed decile since the previous
snapshot, and why.

A family in both snapshots, in decile d_a there and d_b here, gets one reason, tried in
order, each step one change more than the last and all read against the previous
snapshot's cut-offs (the highest log score of each of its deciles):

1. `MASUKAN`: the previous model on this month's inputs already puts it in another decile:
   its own inputs changed (a child turned five, a roof was mended, a source corrected);
2. `MODEL`: else this month's model on this month's inputs does: the model was fitted
   again and values the family otherwise;
3. `BATAS`: else its score keeps its old decile under the old cut-offs: the cut-offs moved,
   because other families' scores moved or families entered and left.

A score equal to the one published before keeps its decile without reading the cut-offs
(a family on a tied boundary is not counted as moved). The counterfactual score (previous
model, this month's inputs) is computed per partition where the inputs are
(`counterfactual`); the decomposition is one pass over the two snapshots' small columns.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from transforms.engine import copy_atomic
from transforms.rank import model as pmt

SEBAB = ("MASUKAN", "MODEL", "BATAS")


def counterfactual(con: duckdb.DuckDBPyConnection, previous_model: dict, families: str, out: Path) -> Path:
    """`out`: (no_kk, skor_log) of `families` (the survey's shape) scored by the previous
    snapshot's model."""
    query, params = pmt.scored(con, previous_model, families)
    copy_atomic(con, f"SELECT no_kk, skor_log FROM ({query})", out, params)
    return out


# Per family in both snapshots, d1 = the previous model on this month's inputs and d2 = this
# month's score, each under the previous cut-offs; the first step that leaves d_a is the reason.
DECOMPOSE = """
    CREATE OR REPLACE TEMP TABLE stabilitas AS
    WITH batas AS (
        SELECT list(desil_nasional ORDER BY desil_nasional) AS d, list(tertinggi ORDER BY desil_nasional) AS c
        FROM (SELECT desil_nasional, max(skor_log) AS tertinggi FROM read_parquet($lalu)
              WHERE desil_nasional < 10 GROUP BY ALL)
    ), keduanya AS (
        SELECT b.no_kk, b.kode_prov, a.desil_nasional AS desil_a, b.desil_nasional AS desil_b,
            a.skor_log AS skor_a, k.skor_log AS skor_model_lalu, b.skor_log AS skor_b
        FROM read_parquet($sekarang) b
        JOIN read_parquet($lalu) a USING (no_kk)
        JOIN read_parquet($kontrafaktual) k USING (no_kk)
    ), dibaca AS (
        SELECT *,
            CASE WHEN abs(skor_model_lalu - skor_a) < 1e-9 THEN desil_a
                 ELSE coalesce(d[len(list_filter(c, lambda x: x < skor_model_lalu)) + 1], 10) END AS desil_1,
            CASE WHEN abs(skor_b - skor_a) < 1e-9 THEN desil_a
                 ELSE coalesce(d[len(list_filter(c, lambda x: x < skor_b)) + 1], 10) END AS desil_2
        FROM keduanya, batas
    )
    SELECT no_kk, kode_prov, desil_a, desil_b,
        CASE WHEN desil_a = desil_b THEN NULL
             WHEN desil_1 <> desil_a THEN 'MASUKAN'
             WHEN desil_2 <> desil_a THEN 'MODEL'
             ELSE 'BATAS' END AS sebab
    FROM dibaca
"""

PER_PROVINCE = """
    SELECT kode_prov, count(*) AS keluarga_di_keduanya,
        count(sebab) AS desil_berubah,
        count(*) FILTER (WHERE sebab = 'MASUKAN') AS sebab_masukan,
        count(*) FILTER (WHERE sebab = 'MODEL') AS sebab_model,
        count(*) FILTER (WHERE sebab = 'BATAS') AS sebab_batas
    FROM stabilitas GROUP BY ALL ORDER BY kode_prov NULLS LAST
"""


def decompose(
    con: duckdb.DuckDBPyConnection, previous: Path, current: Path, counterfactuals: list[Path], out: Path
) -> dict:
    """Families of both snapshots with their reason (`out`: no_kk, kode_prov, desil_a,
    desil_b, sebab, the changed ones), and the counts per province. `previous`: the previous
    snapshot's (no_kk, desil_nasional, skor_log); `current`: this run's published families."""
    con.execute(
        DECOMPOSE,
        {"lalu": str(previous), "sekarang": str(current), "kontrafaktual": [str(p) for p in counterfactuals]},
    )
    copy_atomic(con, "SELECT * FROM stabilitas WHERE sebab IS NOT NULL ORDER BY kode_prov, no_kk", out)
    cur = con.execute(PER_PROVINCE)
    names = [d[0] for d in cur.description]
    per_province = [dict(zip(names, row)) for row in cur.fetchall()]
    total = {k: sum(p[k] for p in per_province) for k in names[1:]}
    return {"per_provinsi": per_province, "jumlah": total}
