"""Analysts' SQL: what runs, what is refused, and the shape the audit keeps (layanan/kueri.py)."""

from __future__ import annotations

import pytest

from layanan.kueri import SqlRefused, check, shape_of

TABLES = ("keluarga", "individu", "usulan")
COLUMNS = ("nik", "no_kk", "nama", "desil_nasional", "kode_prov", "kode_desa", "id_usulan")
NIK = "3201010101900001"


def refused(sql: str) -> SqlRefused:
    with pytest.raises(SqlRefused) as e:
        check(sql, TABLES, COLUMNS)
    assert NIK not in str(e.value) and "BUDI" not in str(e.value)  # a refusal never quotes the query
    return e.value


def test_a_select_over_the_snapshot_tables_runs_and_names_them():
    c = check(
        "WITH miskin AS (SELECT * FROM keluarga WHERE desil_nasional <= 4) "
        "SELECT kode_prov, count(*) FROM miskin JOIN individu USING (no_kk) GROUP BY 1",
        TABLES,
        COLUMNS,
    )
    assert c.tables == ["individu", "keluarga"]


@pytest.mark.parametrize(
    "sql, why",
    [
        # the review's findings: detach the read-only copy and attach it writable, update it
        ("DETACH analis", "DETACH"),
        ("ATTACH 'var/analis/x.duckdb' AS w", "ATTACH"),
        ("UPDATE keluarga SET desil_nasional = 1", "UPDATE"),
        ("SET memory_limit = '100GB'", "SET"),
        ("CALL enable_logging('HTTP')", "CALL"),
        ("COPY (SELECT * FROM individu) TO '.tmp/out.csv'", "COPY"),
        ("SELECT 1; DROP TABLE keluarga", "one statement"),
        # a SELECT that reaches beyond the snapshot's tables
        ("SELECT * FROM read_parquet('var/warehouse/**/*.parquet')", "table function"),
        ("SELECT * FROM keluarga, glob('/etc/*')", "table function"),
        ("SELECT * FROM individu WHERE nik IN (SELECT column0 FROM read_csv('/etc/passwd'))", "table function"),
        ("SELECT * FROM information_schema.tables", "another schema"),
        ("SELECT * FROM duckdb_settings", "not one of the snapshot's"),
        ("SELECT * FROM keluarga AT (VERSION => 1)", "AT"),
        ("SELEC nik FROM individu", "parse"),
    ],
)
def test_anything_but_one_select_over_the_snapshot_is_refused_by_the_parser(sql, why):
    assert why in refused(sql).reason


def test_string_matching_would_be_fooled_the_parser_is_not():
    # Keywords inside literals and comments do not make a statement something else ...
    check("SELECT 'DROP TABLE keluarga; COPY' AS note FROM keluarga -- ATTACH", TABLES, COLUMNS)
    # ... and a second statement after a comment is still a second statement.
    assert "one statement" in refused("SELECT 1 /* ; */; DETACH analis").reason


@pytest.mark.parametrize(
    "sql",
    [
        f"SELECT * FROM individu WHERE nik = '{NIK}'",
        f"SELECT * FROM individu WHERE nik = {NIK}",
        "SELECT * FROM individu WHERE nik = 3201_0101_0190_0001",  # digits with underscores
        'SELECT nik AS "BUDI SANTOSO 3201010101900001" FROM individu',  # a name as an identifier
        'WITH "BUDI" AS (SELECT * FROM individu) SELECT * FROM "BUDI"',
        f"SELECT * FROM individu -- BUDI {NIK}\n WHERE nama LIKE 'BUDI%'",  # in a comment
        f"SELECT * FROM individu /* BUDI {NIK} */",
        'SELECT CAST(nik AS "BUDI") FROM individu',
        "SELECT nik FROM individu i WHERE i.nama = $$BUDI$$",
    ],
)
def test_the_shape_keeps_no_literal_and_no_name_the_caller_chose(sql):
    shape = shape_of(sql, COLUMNS, TABLES)
    assert shape and "individu" in shape
    assert "BUDI" not in shape.upper() and "3201" not in shape and "0190" not in shape


def test_the_shape_keeps_the_tables_columns_and_functions():
    shape = check(
        "SELECT kode_prov, avg(desil_nasional) AS rata FROM keluarga WHERE kode_prov = '32' GROUP BY 1", TABLES, COLUMNS
    ).shape
    assert "kode_prov" in shape and "desil_nasional" in shape and "avg" in shape and "keluarga" in shape
    assert "rata" not in shape and "32" not in shape


def test_a_refused_select_still_has_a_shape_for_the_audit():
    e = refused(f"SELECT * FROM read_parquet('/data/{NIK}.parquet')")
    assert e.shape is not None and "read_parquet" in e.shape and NIK not in e.shape
    assert refused("DETACH analis").shape == "DETACH"
