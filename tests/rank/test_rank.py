"""Ranking: the PMT model fitted and stored, scores explained, deciles weighted by persons."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pytest

from transforms import rank
from transforms.engine import run_sql_file
from transforms.rank import model as pmt

CFG = pmt.config()
VARIABLES = pmt.variables(CFG)
SURVEY_COLUMNS = [
    "jumlah_art",
    "jumlah_balita",
    "jumlah_anak",
    "jumlah_lansia",
    "jumlah_disabilitas",
    "jumlah_sakit_kronis",
    "jumlah_bekerja",
    "jenis_kelamin_kepala",
    "r413_kepala",
    "r416_kepala",
    "r417_kepala",
    "r301a",
    "r302",
    "r303",
    "r304",
    "r305",
    "r306a",
    "r307a",
    "r307b",
    "r308",
    "r309a",
    *[f"r502{c}" for c in "abcdefghijklmn"],
    *[f"r504{c}" for c in "abcde"],
]


def families(n: int, seed: int) -> dict[str, np.ndarray]:
    """Survey-shaped families whose log spending follows a few of the model's variables."""
    rng = np.random.default_rng(seed)
    size = rng.integers(1, 8, n)
    cols = {c: rng.integers(1, 3, n) for c in SURVEY_COLUMNS}
    cols |= {
        "jumlah_art": size,
        "r302": rng.integers(20, 120, n).astype(float),
        "r303": rng.choice([1, 2, 5, 9], n),
        "r417_kepala": rng.integers(1, 9, n),
        "r413_kepala": rng.integers(0, 9, n),
        "r307a": rng.integers(1, 5, n),
        "r307b": rng.integers(1, 6, n),
        "r308": rng.integers(1, 12, n),
        "r306a": rng.integers(1, 12, n),
        **{
            c: rng.integers(0, 3, n)
            for c in (
                "jumlah_balita",
                "jumlah_anak",
                "jumlah_lansia",
                "jumlah_bekerja",
                "jumlah_disabilitas",
                "jumlah_sakit_kronis",
                "r504a",
                "r504b",
                "r504c",
                "r504d",
                "r504e",
            )
        },
    }
    prov = rng.choice(["32", "33", "35"], n)
    log_y = (
        13.5
        - 0.4 * np.log(size)
        + 0.05 * cols["r413_kepala"]
        - 0.2 * (cols["r303"] == 9)
        + 0.3 * (cols["r502k"] == 1)
        + 0.1 * (prov == "35")
        + rng.normal(0, 0.3, n)
    )
    cols |= {
        "id_sumber": np.arange(n).astype(str),  # the survey's row, as standardize names it
        "kode_prov": prov,
        "kode_desa": np.char.add(prov, "01011001"),
        "pengeluaran_per_kapita": np.round(np.exp(log_y)),
    }
    return cols


@pytest.fixture
def con():
    c = duckdb.connect()
    run_sql_file(c, rank.SQL / "fitur.sql")
    sample = families(3000, 1)
    c.register("sampel_df", {k: v for k, v in sample.items()})
    c.execute("CREATE TABLE sampel AS SELECT * FROM sampel_df")
    fam = families(400, 2)
    fam.pop("pengeluaran_per_kapita")
    c.register("keluarga_df", fam)
    c.execute(
        "CREATE TABLE keluarga_masukan AS SELECT printf('%016d', row_number() OVER ()) AS no_kk, "
        "jumlah_art AS jumlah_anggota, * FROM keluarga_df"
    )
    return c


def test_model_recovers_the_relation_and_round_trips(con, tmp_path):
    model, how = rank.choose_model(con)
    assert how == "dilatih pada sampel" and model["statistik"]["n"] == 3000
    assert model["koefisien"]["log_jumlah_art"] == pytest.approx(-0.4, abs=0.05)
    assert model["koefisien"]["punya_r502k"] == pytest.approx(0.3, abs=0.05)
    assert model["efek_provinsi"]["35"] - model["efek_provinsi"].get("33", 0.0) == pytest.approx(0.1, abs=0.05)
    path = pmt.save(model, tmp_path / "model.json")
    again, how = rank.choose_model(con, reuse=path)
    assert again == model and how.startswith("dipakai ulang")
    rank.score(con, again)
    first = con.execute("SELECT no_kk, skor_kesejahteraan FROM keluarga_skor ORDER BY no_kk").fetchall()
    rank.score(con, model)
    assert con.execute("SELECT no_kk, skor_kesejahteraan FROM keluarga_skor ORDER BY no_kk").fetchall() == first


def test_a_model_file_changed_by_hand_is_refused(con, tmp_path):
    model, _ = rank.choose_model(con)
    model["koefisien"]["punya_r502k"] += 1
    path = pmt.save(model, tmp_path / "model.json")
    with pytest.raises(ValueError, match="does not match its coefficients"):
        pmt.load(path)


def test_a_familys_explanation_sums_to_its_score(con):
    model, _ = rank.choose_model(con)
    rank.score(con, model)
    groups = list(model["kelompok"])
    rows = con.execute(
        f"SELECT skor_kesejahteraan, {', '.join(f'kontribusi.{g}' for g in groups)} FROM keluarga_skor"
    ).fetchall()
    for skor, *parts in rows:
        assert np.log(skor) == pytest.approx(model["konstanta"] + sum(parts), rel=1e-12)


def test_missing_inputs_are_scored_at_the_mean_and_counted(con):
    model, _ = rank.choose_model(con)
    con.execute("UPDATE keluarga_masukan SET r502k = NULL, r303 = NULL, r302 = NULL WHERE no_kk <= '0000000000000010'")
    rank.score(con, model)
    missing = dict(con.execute("SELECT no_kk, masukan_hilang FROM keluarga_skor").fetchall())
    # A missing floor area is missing, not 1 m2 (DuckDB's greatest() skips a NULL).
    assert sorted(missing["0000000000000001"]) == ["lantai_baik", "lantai_tanah", "log_luas_per_kapita", "punya_r502k"]
    assert missing["0000000000000011"] == []
    part = con.execute("SELECT kontribusi.aset FROM keluarga_skor WHERE no_kk = '0000000000000001'").fetchall()[0][0]
    assert part is not None  # scored, not dropped


def test_deciles_hold_a_tenth_of_the_people_each(con, tmp_path):
    model, _ = rank.choose_model(con)
    rank.score(con, model)
    con.execute("CREATE TABLE individu AS SELECT no_kk, 'x' AS nik, '32' AS kode_prov FROM keluarga_masukan")
    rank.rank_families(con, tmp_path)
    total, biggest = con.execute("SELECT sum(jumlah_anggota), max(jumlah_anggota) FROM keluarga_peringkat").fetchall()[
        0
    ]
    for desil, people in con.execute(
        "SELECT desil_nasional, sum(jumlah_anggota) FROM keluarga_peringkat GROUP BY ALL ORDER BY ALL"
    ).fetchall():
        assert abs(people - total / 10) <= biggest, (desil, people)
    # Desil 1 is the poorest; ranks within province start at 1 and follow the score.
    lo, hi = con.execute(
        "SELECT max(skor_kesejahteraan) FILTER (WHERE desil_nasional = 1), "
        "min(skor_kesejahteraan) FILTER (WHERE desil_nasional = 10) FROM keluarga_peringkat"
    ).fetchall()[0]
    assert lo < hi
    assert (
        con.execute("SELECT min(peringkat_provinsi), count(DISTINCT kode_prov) FROM keluarga_peringkat").fetchall()[0][
            0
        ]
        == 1
    )


def test_ranking_is_deterministic_with_ties(con, tmp_path):
    model, _ = rank.choose_model(con)
    # Every family the same but for its number: the tie is broken by no_kk, the same way each time.
    con.register("first", con.execute("SELECT * EXCLUDE (no_kk) FROM keluarga_masukan LIMIT 1").df())
    con.execute("CREATE OR REPLACE TABLE keluarga_masukan AS SELECT k.no_kk, f.* FROM keluarga_masukan k, first f")
    results = []
    for _ in range(2):
        rank.score(con, model)
        con.execute("CREATE OR REPLACE TABLE individu AS SELECT no_kk, 'x' AS nik FROM keluarga_masukan")
        rank.rank_families(con, tmp_path)
        results.append(
            con.execute(
                "SELECT no_kk, desil_nasional, peringkat_provinsi FROM keluarga_peringkat ORDER BY no_kk"
            ).fetchall()
        )
    assert results[0] == results[1]
    assert [r[2] for r in results[0]] == list(range(1, len(results[0]) + 1))


def test_a_small_sample_falls_back_to_the_stored_model(con):
    con.execute("DELETE FROM sampel WHERE rowid >= 100")
    model, how = rank.choose_model(con)
    assert how.startswith("cadangan") and model["id"] == pmt.load(pmt.HERE / CFG["model_cadangan"])["id"]


def test_the_stored_model_has_the_configured_variables():
    stored = pmt.load(pmt.HERE / CFG["model_cadangan"])
    assert set(stored["koefisien"]) == set(VARIABLES) and stored["kelompok"] == CFG["kelompok"]


def test_family_inputs_count_the_living_by_age(tmp_path):
    c = duckdb.connect()
    c.execute("CREATE TABLE keluarga AS SELECT '1' AS no_kk, 3 AS jumlah_anggota, 'H' AS nik_kepala_keluarga")
    c.execute(
        "CREATE TABLE individu AS SELECT * FROM (VALUES ('1', 'H', 1, DATE '1980-01-01'), "
        "('1', 'B', 2, DATE '2024-06-01'), ('1', 'L', 2, DATE '1950-01-01')) t(no_kk, nik, jenis_kelamin, tgl_lahir)"
    )
    c.execute(
        "CREATE TABLE atribut_orang AS SELECT * FROM (VALUES ('H', 5, 1, 6, 2, 2)) t(nik, r413, r416, r417, r428, r430)"
    )
    rank.family_inputs(c, dt.date(2026, 11, 17))
    row = c.execute(
        "SELECT jumlah_art, jumlah_balita, jumlah_lansia, jumlah_bekerja, umur_kepala, r413_kepala "
        "FROM keluarga_masukan"
    ).fetchall()[0]
    assert row == (3, 1, 1, 1, 46, 5)
