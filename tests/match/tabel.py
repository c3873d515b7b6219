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


def match_run(paths, con: duckdb.DuckDBPyConnection | None = None) -> None:
    """A standardized run matched in one DuckDB by the national steps, its outcomes written
    where the matching stage writes them (`matched/`): for tests of the later stages."""
    from transforms import match
    from transforms.engine import copy_atomic
    from transforms.match.probabilistic import match_probabilistic

    con = con or duckdb.connect()
    out = paths.run_dir / "matched"
    out.mkdir(parents=True, exist_ok=True)
    match.prepare(con)
    match.load_records(con, paths)
    match.match_nik_exact(con)
    match.match_nik_repair(con)
    match_probabilistic(con, model_out=out / "model_splink.json")
    match.record_outcomes(con)
    copy_atomic(con, "SELECT * FROM tautan_sumber", out / "tautan_sumber.parquet")
    copy_atomic(con, "SELECT * FROM verifikasi_padan", out / "verifikasi.parquet")
