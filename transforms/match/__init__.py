"""Matching: every person-level source record linked to a registry person, or not.

Three steps: NIK_EXACT, NIK_REPAIRED, PROBABILISTIC (probabilistic.py). Each step is one SQL file over
the tables `catatan` (source records) and `penduduk` (the registry) and writes one table of links.
Names are compared by the names module (transforms/names): its levels decide, with the birth date,
sex, KK and village, whether a record is the holder of its NIK (points in poin_nik.csv).
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from transforms.engine import run_sql_file, run_statement, statements
from transforms.names import pasang_udf
from transforms.standardize import RunPaths

SQL = Path(__file__).parent / "sql"


def load_records(con: duckdb.DuckDBPyConnection, paths: RunPaths) -> None:
    """`catatan` and `penduduk` from a run's standardized tables."""
    record_views(con, paths)
    con.execute("CREATE OR REPLACE TABLE catatan AS SELECT * FROM catatan_masuk")
    con.execute("CREATE OR REPLACE TABLE penduduk AS SELECT * FROM penduduk_masuk")


def record_views(con: duckdb.DuckDBPyConnection, paths: RunPaths) -> None:
    """`catatan_masuk` and `penduduk_masuk`: views over a run's standardized tables."""
    std = paths.run_dir / "standardized"
    run_sql_file(
        con,
        SQL / "masukan.sql",
        {
            "dtks": str(std / "dtks_individu" / "*.parquet"),
            "regsosek": str(paths.standardized("regsosek_anggota")),
            "p3ke": str(paths.standardized("p3ke_anggota")),
            "usulan": str(paths.standardized("usulan_anggota")),
            "dukcapil": str(paths.standardized("dukcapil_penduduk")),
        },
    )


HERE = Path(__file__).parent
CONFIG = HERE / "padan.json"
POINTS = HERE / "poin_nik.csv"


def config() -> dict:
    """The matching thresholds (padan.json): configuration as data, recorded in each manifest."""
    return json.loads(CONFIG.read_text())


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """The names module's UDFs, the points of the NIK evidence, the macros."""
    pasang_udf(con)
    run_sql_file(con, SQL / "poin.sql", {"poin": str(POINTS)})
    run_sql_file(con, SQL / "macros.sql")


def match_nik_exact(con: duckdb.DuckDBPyConnection) -> str:
    """Step 1: `bukti_nik` (every record with a registry NIK, its evidence, points and
    decision) and `padan_nik_exact` (the linked ones)."""
    run_sql_file(con, SQL / "nik_exact.sql", {"ambang": config()["ambang_poin_nik"]})
    return "padan_nik_exact"


# Records per part of the repair step: up to 160 candidate NIKs each.
REPAIR_PART = 200_000


def match_nik_repair(con: duckdb.DuckDBPyConnection) -> str:
    """Step 2, part by part: the records, their parts, the empty result, one statement per
    part, the links."""
    records, split, result, part, links = statements((SQL / "nik_repair.sql").read_text())
    run_statement(con, records)
    left = con.execute("SELECT count(*) FROM sisa_repair").fetchall()[0][0]
    parts = max(1, -(-left // REPAIR_PART))
    run_statement(con, split, {"bagian": parts})
    run_statement(con, result)
    for k in range(parts):
        run_statement(con, part, {"bagian_ke": k})
    run_statement(con, links)
    return "padan_nik_repair"


def record_outcomes(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """`tautan_sumber` (every record, linked or TIDAK_PADAN) and `verifikasi_padan`."""
    run_sql_file(con, SQL / "tautan.sql")
    return "tautan_sumber", "verifikasi_padan"


def outcome_counts(con: duckdb.DuckDBPyConnection, records: int | None = None) -> dict:
    """Records per source and method, and the reasons for verification: for the manifest.
    `records`: how many came in, when `catatan` holds only some of them (ember.py)."""
    per_method: dict[str, dict[str, int]] = {}
    for sumber, metode, n in con.execute(
        "SELECT sumber, metode_padan, count(*) FROM tautan_sumber GROUP BY ALL ORDER BY ALL"
    ).fetchall():
        per_method.setdefault(sumber, {})[metode] = n
    reasons = dict(con.execute("SELECT alasan, count(*) FROM verifikasi_padan GROUP BY ALL ORDER BY ALL").fetchall())
    if records is None:
        records = con.execute("SELECT count(*) FROM catatan").fetchall()[0][0]
    outcomes = con.execute("SELECT count(*) FROM tautan_sumber").fetchall()[0][0]
    return {
        "catatan": records,
        "per_metode": per_method,
        "verifikasi_per_alasan": reasons,
        "seimbang": records == outcomes,
    }
