"""The SQL normalisation agrees with the Python reference; the UDFs answer as the Python rules."""

from __future__ import annotations

import duckdb
import pytest

from transforms.names import banding, normalisasi, normalisasi_sql, pasang_tabel, pasang_udf, sql_params

NAMES = [
    "H. AHMAD SUBAGJA, S.PD",
    "Drs. H. Moch. Rizki, S.Pd.I",
    "Hj. Sitti Noor'aini, A.Md.",
    "DJOKO TJAHJONO",
    "SOEHARTO",
    "SJAHRIR",
    "NJOMAN PANDJI",
    "ANJANI",
    "ACHMAD CHAIRUL",
    "M. M. HUSNI",
    "RIZKI M",
    "ABD. RAHMAN BIN ABDOEL KADIR, S.E.",
    "SITI AMINAH BINTI M. SALEH",
    "BIN SALEH",
    "S.PD",
    "H",
    "HARTONO",
    "AHMAD H",
    "JUSUF",
    "MOCHTAR",
    "José Ramos-Horta",
    "  budi   santoso  ",
    "K.H. Abdurrahman Wahid",
    "Prof. Dr. Ir. H. Mochamad Nuh, DEA",
    "",
    None,
]


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    c.execute("CREATE TABLE orang AS SELECT unnest($n) AS nama", {"n": NAMES})
    pasang_udf(c)
    return c


def test_sql_and_python_normalisation_agree(con):
    rows = con.execute(
        f"SELECT nama, nama_gelar, nama_kata, nama_baku, ayah_baku FROM ({normalisasi_sql('orang', 'nama')})",
        sql_params(),
    ).fetchall()
    assert len(rows) == len(NAMES)
    for nama, gelar, kata, baku, ayah in rows:
        n = normalisasi(nama)
        assert (gelar or "", kata or "", baku or "", ayah or "") == (
            n.gelar,
            " ".join(n.kata),
            " ".join(n.baku),
            " ".join(n.ayah_baku),
        ), nama


def test_rule_tables_load_into_duckdb(con):
    assert pasang_tabel(con) == ["names_gelar", "names_ejaan_lama", "names_bentuk_arab", "names_tingkat"]
    assert con.execute("SELECT count(*) FROM names_gelar WHERE kunci = 'SPD'").fetchone() == (1,)


def test_nickname_udf(con):
    got = con.execute(
        "SELECT nama_panggilan_dari(p, k) FROM (VALUES ('WATI', 'RAHMAWATI'), ('DI', 'SUPRIYADI'), (NULL, 'X')) t(p, k)"
    ).fetchall()
    assert got == [(True,), (False,), (None,)]
    assert con.execute("SELECT nama_bentuk_panggilan('SLAMET')").fetchone() == (["MEMET", "MET", "SLA"],)


def test_level_udf_agrees_with_python(con):
    pairs = [("SLAMET", "MEMET"), ("SITI AMINAH", "AMINAH SITI"), ("BUDI", "BAMBANG"), ("AHMAD", None)]
    got = con.execute(
        "SELECT nama_tingkat(a, b) FROM (SELECT unnest($a) a, unnest($b) b)",
        {
            "a": [p[0] for p in pairs],
            "b": [p[1] for p in pairs],
        },
    ).fetchall()
    assert [g[0] for g in got] == [banding(a, b).tingkat for a, b in pairs]


def test_jaro_winkler_agrees_with_duckdb(con):
    """The module's MIRIP and the SQL's read the same similarity (rapidfuzz's, which DuckDB ports)."""
    from transforms.names.banding import jaro_winkler

    pairs = [
        ("SUHARTINI", "SUHARTINAH"),
        ("MARTHA", "MARHTA"),
        ("DIXON", "DICKSONX"),
        ("BUDI", "BAMBANG"),
        ("A", ""),
        ("MUHAMMAT MARTANI NARPATI", "MUHAMMAD MARTANI NARPATI"),  # a hand-written greedy Jaro gave 0.918
    ]
    for a, b in pairs:
        duck = con.execute("SELECT jaro_winkler_similarity(?, ?)", [a, b]).fetchone()[0]
        assert jaro_winkler(a, b) == pytest.approx(duck)
