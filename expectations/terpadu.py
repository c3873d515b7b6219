"""Suites for the unified register: one row per NIK, one family per KK, every listed person
in exactly one family that exists, every family with its head among its members, and no
one the registry records as dead. All critical: a failure is a fault of unification.

Uniqueness needs every occurrence of a key in one batch, so those batches are hash buckets
of the key (a bounded number of rows each), not provinces.
"""

from __future__ import annotations

from pathlib import Path

import great_expectations as gx
from great_expectations.expectations.metadata_types import FailureSeverity

from expectations.runner import ROWS_PER_BATCH, Rangkaian, batches_from, fact_holds
from transforms.engine import sql_path

CRITICAL = FailureSeverity.CRITICAL


def _buckets(con, table: str) -> int:
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    return max(1, -(-rows // ROWS_PER_BATCH))


def _load(con, run_dir: Path) -> None:
    for table in ("individu", "keluarga"):
        path = sql_path(run_dir / "unified" / f"{table}.parquet")
        con.execute(f"CREATE OR REPLACE VIEW v_{table} AS SELECT * FROM read_parquet('{path}')")
    registry = sorted((run_dir / "standardized" / "dukcapil_penduduk").glob("*.parquet"))
    con.execute(
        "CREATE OR REPLACE VIEW v_penduduk AS SELECT nik, tgl_mati FROM read_parquet(["
        + ", ".join(repr(sql_path(f)) for f in registry)
        + "])"
    )


def _in_buckets(con, name: str, rows_sql: str, key: str, over: str):
    """`rows_sql` (the joins) run once into a table ordered by the hash bucket of `key`;
    then one batch per bucket (running the joins once per bucket cost 50 s at 10M)."""
    n = _buckets(con, over)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE cek_{name} AS SELECT *, hash({key}) % $n AS ember "
        f"FROM ({rows_sql}) ORDER BY ember",
        {"n": n},
    )
    for bucket in range(n):
        yield from batches_from(
            con,
            f"{name}#{bucket}",
            f"SELECT * EXCLUDE (ember) FROM cek_{name} WHERE ember = $bucket",
            {"bucket": bucket},
        )


def persons(run_dir: Path) -> Rangkaian:
    def batches(con):
        _load(con, run_dir)
        yield from _in_buckets(
            con,
            "individu",
            """
            SELECT i.nik, i.no_kk, k.no_kk IS NOT NULL AS keluarga_ada, p.tgl_mati IS NOT NULL AS tercatat_meninggal
            FROM v_individu i
            LEFT JOIN (SELECT DISTINCT no_kk FROM v_keluarga) k USING (no_kk)
            LEFT JOIN v_penduduk p USING (nik)""",
            key="nik",
            over="v_individu",
        )

    return Rangkaian(
        "terpadu.individu",
        [
            gx.expectations.ExpectColumnValuesToBeUnique(
                column="nik", severity=CRITICAL, meta={"aturan": "SATU_BARIS_PER_NIK"}
            ),
            gx.expectations.ExpectColumnValuesToNotBeNull(
                column="no_kk", severity=CRITICAL, meta={"aturan": "SETIAP_ORANG_DALAM_KELUARGA"}
            ),
            fact_holds("keluarga_ada", "KELUARGA_ORANG_TERDAFTAR"),
            fact_holds("tercatat_meninggal", "TIDAK_ADA_ORANG_MENINGGAL", value=False),
        ],
        batches,
        id_column="nik",
    )


def families(run_dir: Path) -> Rangkaian:
    def batches(con):
        _load(con, run_dir)
        yield from _in_buckets(
            con,
            "keluarga",
            """
            WITH anggota AS (
                SELECT i.no_kk, count(*) AS n, bool_or(i.nik = k.nik_kepala_keluarga) AS kepala_ada
                FROM v_individu i JOIN v_keluarga k USING (no_kk) GROUP BY i.no_kk
            )
            SELECT k.no_kk, coalesce(a.kepala_ada, false) AS kepala_ada,
                k.jumlah_anggota = coalesce(a.n, 0) AS jumlah_anggota_cocok
            FROM v_keluarga k LEFT JOIN anggota a USING (no_kk)""",
            key="no_kk",
            over="v_keluarga",
        )

    return Rangkaian(
        "terpadu.keluarga",
        [
            gx.expectations.ExpectColumnValuesToBeUnique(
                column="no_kk", severity=CRITICAL, meta={"aturan": "SATU_KELUARGA_PER_KK"}
            ),
            fact_holds("kepala_ada", "KEPALA_KELUARGA_ADA"),
            fact_holds("jumlah_anggota_cocok", "JUMLAH_ANGGOTA_COCOK"),
        ],
        batches,
        id_column="no_kk",
    )


def rangkaian(run_dir: Path) -> list[Rangkaian]:
    return [persons(run_dir), families(run_dir)]
