"""The unification tests' registry and source tables, empty but for the registry."""

from __future__ import annotations

import duckdb
import pytest

from tests.unify.test_unify import BOOLEAN_FIELDS, DESA, REGISTRY
from transforms.unify import survivorship


@pytest.fixture
def con():
    return registry_connection()


def registry_connection() -> duckdb.DuckDBPyConnection:
    """The hand-made registry (REGISTRY) and empty source tables, as matching leaves them."""
    c = duckdb.connect()
    c.execute(
        "CREATE TABLE penduduk (nik VARCHAR, no_kk VARCHAR, nama VARCHAR, tgl_lahir DATE, jenis_kelamin INT, "
        "stat_hbkel INT, kode_desa VARCHAR, kode_prov VARCHAR, hidup BOOLEAN)"
    )
    c.executemany(f"INSERT INTO penduduk VALUES (?, ?, 'X', DATE '1970-01-01', 1, ?, '{DESA}', '32', ?)", REGISTRY)
    c.execute("CREATE TABLE tautan (sumber VARCHAR, id_sumber VARCHAR, nik VARCHAR, metode_padan VARCHAR)")
    # as masukan.sql gives them: the source files' members (here a table) and the verified
    # proposals' members, seen together as `anggota_sumber`
    for table in ("anggota_berkas", "anggota_usulan"):
        c.execute(
            f"CREATE TABLE {table} (sumber VARCHAR, id_sumber VARCHAR, id_keluarga_sumber VARCHAR, "
            "hubungan INT, kode_desa VARCHAR, kode_prov VARCHAR)"
        )
    c.execute("CREATE VIEW anggota_sumber AS SELECT * FROM anggota_berkas UNION ALL SELECT * FROM anggota_usulan")
    fields = [f for g in survivorship.load() for f in g.fields]
    types = {f: "BOOLEAN" if f in BOOLEAN_FIELDS else "DOUBLE" if f == "r302" else "INTEGER" for f in fields}
    c.execute(
        "CREATE TABLE keluarga_sumber (sumber VARCHAR, id_keluarga_sumber VARCHAR, no_kk VARCHAR, "
        "kode_desa VARCHAR, kode_prov VARCHAR, tanggal_data DATE, "
        + ", ".join(f"{f} {t}" for f, t in types.items())
        + ")"
    )
    c.execute(
        "CREATE TABLE verifikasi_padan (sumber VARCHAR, id_sumber VARCHAR, kode_desa VARCHAR, "
        "kode_prov VARCHAR, alasan VARCHAR, nik_cacat VARCHAR)"
    )
    return c
