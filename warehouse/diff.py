"""What changed between two snapshots: families and persons that entered, left, changed
decile or moved (another village), per province. One row per changed family or person in
the detail, counts per province in the summary."""

from __future__ import annotations

import duckdb

CHANGES = ("MASUK", "KELUAR", "DESIL_BERUBAH", "PINDAH")


def _detail_sql(table: str, key: str) -> str:
    """Full outer join of one table across the two snapshots (a_<table>, b_<table>)."""
    return f"""
        SELECT '{table}' AS tabel, coalesce(b.{key}, a.{key}) AS kunci,
            coalesce(b.kode_prov, a.kode_prov) AS kode_prov,
            a.desil_nasional AS desil_a, b.desil_nasional AS desil_b,
            CASE WHEN a.{key} IS NULL THEN 'MASUK' WHEN b.{key} IS NULL THEN 'KELUAR'
                 WHEN a.desil_nasional IS DISTINCT FROM b.desil_nasional THEN 'DESIL_BERUBAH'
                 WHEN a.kode_desa IS DISTINCT FROM b.kode_desa THEN 'PINDAH' END AS perubahan,
            -- in both, at another village (a move may come with another decile)
            a.{key} IS NOT NULL AND b.{key} IS NOT NULL AND a.kode_desa IS DISTINCT FROM b.kode_desa AS pindah
        FROM a_{table} a FULL OUTER JOIN b_{table} b ON a.{key} = b.{key}"""


def diff(con: duckdb.DuckDBPyConnection, key_family: str = "no_kk", key_person: str = "nik") -> None:
    """Creates `perubahan` (one row per changed family or person) and `perubahan_provinsi`
    (per province: families and persons in, out, and with another decile)."""
    con.execute(f"""
        CREATE OR REPLACE TABLE perubahan AS
        SELECT * FROM ({_detail_sql("keluarga", key_family)} UNION ALL {_detail_sql("individu", key_person)})
        WHERE perubahan IS NOT NULL
        ORDER BY tabel, kode_prov, kunci""")
    con.execute("""
        CREATE OR REPLACE TABLE perubahan_provinsi AS
        SELECT kode_prov,
            count(*) FILTER (WHERE tabel = 'keluarga' AND perubahan = 'MASUK') AS keluarga_masuk,
            count(*) FILTER (WHERE tabel = 'keluarga' AND perubahan = 'KELUAR') AS keluarga_keluar,
            count(*) FILTER (WHERE tabel = 'keluarga' AND perubahan = 'DESIL_BERUBAH') AS keluarga_desil_berubah,
            count(*) FILTER (WHERE tabel = 'individu' AND perubahan = 'MASUK') AS individu_masuk,
            count(*) FILTER (WHERE tabel = 'individu' AND perubahan = 'KELUAR') AS individu_keluar,
            count(*) FILTER (WHERE tabel = 'individu' AND perubahan = 'DESIL_BERUBAH') AS individu_desil_berubah,
            count(*) FILTER (WHERE tabel = 'keluarga' AND pindah) AS keluarga_pindah,
            count(*) FILTER (WHERE tabel = 'individu' AND pindah) AS individu_pindah
        FROM perubahan GROUP BY kode_prov ORDER BY kode_prov""")
