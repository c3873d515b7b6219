"""The two tables the match steps read (`catatan`, `penduduk`), empty, in the shape
transforms/match/sql/masukan.sql gives them (as views; load_records makes tables of them):
for tests that fill them by hand."""

from __future__ import annotations

import duckdb


def empty_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "CREATE TABLE penduduk (nik VARCHAR, nama VARCHAR, nama_baku VARCHAR, tgl_lahir DATE, jenis_kelamin INT, "
        "kode_desa VARCHAR, no_kk VARCHAR, tgl_mati DATE)"
    )
    con.execute(
        "CREATE TABLE catatan (sumber VARCHAR, id_sumber VARCHAR, nik VARCHAR, nik_cacat VARCHAR, nama VARCHAR, "
        "nama_baku VARCHAR, tgl_lahir DATE, jenis_kelamin INT, kode_desa VARCHAR, kode_prov VARCHAR, no_kk VARCHAR)"
    )
