"""The split into kept and quarantined rows, and the reconciliation of counts."""

from __future__ import annotations

import duckdb
import pytest

from flows.manifest import reconcile
from transforms.standardize.quarantine import split


@pytest.fixture
def con():
    c = duckdb.connect()
    c.execute("""CREATE TABLE x_hasil AS SELECT * FROM (VALUES
        (1, 'A', 'NIK_KOSONG', NULL::STRUCT(aturan VARCHAR, kolom VARCHAR, nilai VARCHAR)),
        (2, 'B', NULL, {'aturan': 'ID_GANDA', 'kolom': 'id', 'nilai': 'B'}),
        (3, 'C', NULL, NULL),
        (4, 'D', NULL, {'aturan': 'WILAYAH_TIDAK_DIKENAL', 'kolom': 'kode', 'nilai': '99'})
    ) t(baris, id_sumber, nik_cacat, tolak)""")
    return c


def test_split_accounts_for_every_row(con, tmp_path):
    counts = split(
        con,
        "x_hasil",
        sumber="x",
        berkas="x.csv",
        out=tmp_path / "out.parquet",
        karantina=tmp_path / "k.parquet",
        expected_rows=4,
    )
    assert (counts.dibaca, counts.diterima, counts.dikarantina, counts.seimbang) == (4, 2, 2, True)
    assert counts.karantina_per_aturan == {"ID_GANDA": 1, "WILAYAH_TIDAK_DIKENAL": 1}
    assert counts.cacat_per_aturan == {"NIK_KOSONG": 1}
    kept = duckdb.sql(f"SELECT id_sumber FROM '{tmp_path / 'out.parquet'}' ORDER BY 1").fetchall()
    assert kept == [("A",), ("C",)]
    k = duckdb.sql(
        f"SELECT sumber, berkas, baris, aturan, kolom, nilai FROM '{tmp_path / 'k.parquet'}' ORDER BY baris"
    ).fetchall()
    assert k == [("x", "x.csv", 2, "ID_GANDA", "id", "B"), ("x", "x.csv", 4, "WILAYAH_TIDAK_DIKENAL", "kode", "99")]
    assert not list(tmp_path.glob(".*tmp*"))  # no temporary file left behind


def test_rows_lost_between_reader_and_stage_fail_loudly(con, tmp_path):
    with pytest.raises(RuntimeError, match="read 5 rows but the stage saw 4"):
        split(
            con,
            "x_hasil",
            sumber="x",
            berkas="x.csv",
            out=tmp_path / "o.parquet",
            karantina=tmp_path / "k.parquet",
            expected_rows=5,
        )
    assert not (tmp_path / "o.parquet").exists()


def test_reconcile_sums_partitions_and_checks_balance():
    c = {
        "sumber": "dtks",
        "dibaca": 10,
        "diterima": 8,
        "dikarantina": 2,
        "karantina_per_aturan": {"ID_GANDA": 2},
        "cacat_per_aturan": {"NIK_KOSONG": 1},
    }
    bad = c | {"berkas": "b", "diterima": 7}
    r = reconcile([c | {"berkas": "a"}, c | {"berkas": "b"}])["dtks"]
    assert (r["berkas"], r["dibaca"], r["karantina_per_aturan"], r["seimbang"]) == (2, 20, {"ID_GANDA": 4}, True)
    assert reconcile([c | {"berkas": "a"}, bad])["dtks"]["seimbang"] is False
