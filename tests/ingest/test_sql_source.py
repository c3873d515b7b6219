"""DTKS pulled from the ministry's database (MariaDB here, PostgreSQL too) reads exactly
like the file delivery of the same rows."""

from __future__ import annotations

import duckdb
import pytest
import sqlalchemy as sa

import transforms.standardize as std
from tests.delivery_kecil import CUTOFF, DTKS_HEADER, dtks_rows
from transforms.engine import connect
from transforms.errors import DeliveryError, SourceUnavailable
from transforms.ingest.extracts import BY_NAME
from transforms.ingest.land import land_delivery
from transforms.ingest.sql_source import SqlSource, pull_sql_table


def load_dtks_table(engine: sa.Engine, table: str) -> None:
    meta = sa.MetaData()
    t = sa.Table(
        table,
        meta,
        sa.Column("ID_DTKS", sa.String(20), primary_key=True),
        *[sa.Column(c, sa.String(200)) for c in DTKS_HEADER[1:]],
    )
    with engine.begin() as conn:
        t.drop(conn, checkfirst=True)
        t.create(conn)
        rows = {r[0]: r for r in dtks_rows()}  # a table keeps one row per primary key
        conn.execute(t.insert(), [dict(zip(DTKS_HEADER, r)) for r in rows.values()])


@pytest.mark.db
@pytest.mark.parametrize("server", ["mariadb", "postgres"])
def test_dtks_pulled_from_sql_matches_the_file(server, request, delivery, tmp_path):
    engine = request.getfixturevalue(server)
    load_dtks_table(engine, "dtks_uji")
    source = SqlSource("dtks", engine.url.render_as_string(hide_password=False), "dtks_uji")
    pulled = tmp_path / "pull" / "dtks_uji.parquet"
    assert pull_sql_table(source, BY_NAME["dtks"], pulled, chunk_rows=2) == 5  # streamed in chunks

    (delivery / "dtks/dtks_32.csv").unlink()
    landed = land_delivery(
        delivery, tmp_path / "landed", extra={"dtks/dtks_uji.parquet": pulled}, skip=frozenset({"dtks"})
    )
    assert std.dtks_files(landed.path) == [landed.path / "dtks/dtks_uji.parquet"]
    paths = std.RunPaths(tmp_path / "run")
    con = connect("1GB")
    std.prepare(con, paths)
    std.standardize_reference(con, landed.path, paths)
    con = connect("1GB")
    std.prepare(con, paths)
    counts = std.standardize_dtks(con, landed.path / "dtks/dtks_uji.parquet", landed.path, paths, CUTOFF)[0]
    assert (counts.dibaca, counts.diterima, counts.dikarantina) == (5, 3, 2) and counts.seimbang
    got = duckdb.sql(
        f"SELECT id_sumber, nik, nik_cacat, nama_baku FROM "
        f"read_parquet('{paths.run_dir}/standardized/dtks_individu/dtks_uji.parquet') ORDER BY 1"
    ).fetchall()
    assert got == [
        ("D1", "3201050101800001", None, "AHMAD SUBAGJA"),
        ("D2", "3201050502850002", "NIK_JENIS_KELAMIN_TIDAK_COCOK", "SITI AMINAH"),
        ("D3", None, "NIK_NOTASI_ILMIAH", "MUHAMAD RIZKI"),
    ]


@pytest.mark.db
def test_missing_table_is_a_clear_error(mariadb, tmp_path):
    source = SqlSource("dtks", mariadb.url.render_as_string(hide_password=False), "tidak_ada")
    with pytest.raises(DeliveryError, match="table not found"):
        pull_sql_table(source, BY_NAME["dtks"], tmp_path / "x.parquet")
    assert not (tmp_path / "x.parquet").exists()


def test_unreachable_server_is_a_clear_error(tmp_path):
    source = SqlSource.parse("dtks=mysql+pymysql://root@127.0.0.1:1/test::dtks")
    with pytest.raises(SourceUnavailable, match="cannot read from the database"):
        pull_sql_table(source, BY_NAME["dtks"], tmp_path / "x.parquet")


def test_source_spec_parsing(monkeypatch):
    s = SqlSource.parse("dtks=postgresql+psycopg://reader@h:5432/db::public.dtks")
    assert (s.extract, s.table, s.url) == ("dtks", "public.dtks", "postgresql+psycopg://reader@h:5432/db")
    with pytest.raises(ValueError):
        SqlSource.parse("dtks")


def test_a_password_travels_only_inside_its_setting(monkeypatch):
    """The spec is what Prefect stores as a parameter and the manifest shows: it names the
    setting, and only the pull reads the URL with its password."""
    with pytest.raises(ValueError, match="DTSEN_SQL_"):
        SqlSource.parse("dtks=postgresql+psycopg://u:secret@h:5432/db::public.dtks")
    s = SqlSource.parse("dtks=DTSEN_SQL_DTKS::public.dtks")
    with pytest.raises(DeliveryError, match="DTSEN_SQL_DTKS is not set"):
        s.url  # noqa: B018
    monkeypatch.setenv("DTSEN_SQL_DTKS", "postgresql+psycopg://u:secret@h:5432/db")
    assert s.url.endswith(":secret@h:5432/db") and s.display_url() == "DTSEN_SQL_DTKS"
    assert "secret" not in repr(s)


def test_only_an_unreachable_source_is_retried():
    from flows.refresh import worth_retrying
    from transforms.errors import SourceUnavailable

    assert worth_retrying(SourceUnavailable("db", "cannot read from the database"))
    assert worth_retrying(TimeoutError())
    assert not worth_retrying(DeliveryError("db table dtks", "table not found"))
