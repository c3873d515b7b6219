"""Matching on a generated delivery, measured against its ground truth."""

from __future__ import annotations

import datetime as dt

import duckdb

from synthetic import generate_delivery
from tests.test_synthetic_through_standardize import standardize_all
from transforms import match
from transforms.match.probabilistic import match_probabilistic


def test_three_steps_link_precisely_and_nearly_completely(tmp_path, monkeypatch):
    delivery = generate_delivery(tmp_path / "deliveries", 6000, 21, dt.date(2026, 11, 17))
    paths, _ = standardize_all(delivery, tmp_path)
    con = duckdb.connect()
    match.prepare(con)
    match.load_records(con, paths)
    match.match_nik_exact(con)
    match.match_nik_repair(con)
    match_probabilistic(con, model_out=tmp_path / "model.json")
    linked, right, positives, wrong = con.execute(f"""
        WITH links AS (SELECT sumber, id_sumber, nik FROM padan_nik_exact
                       UNION ALL SELECT sumber, id_sumber, nik FROM padan_nik_repair
                       UNION ALL SELECT sumber, id_sumber, nik FROM padan_probabilistik)
        SELECT count(l.nik), count(*) FILTER (WHERE l.nik = t.nik_benar),
               count(t.nik_benar), count(*) FILTER (WHERE l.nik IS DISTINCT FROM t.nik_benar AND l.nik IS NOT NULL)
        FROM read_parquet('{delivery}/truth/tautan.parquet') t
        LEFT JOIN links l ON l.sumber = t.sumber AND l.id_sumber = t.id_sumber""").fetchall()[0]
    # One record is never linked to two persons.
    assert (
        con.execute("""SELECT sumber, id_sumber FROM (SELECT sumber, id_sumber FROM padan_nik_exact
        UNION ALL SELECT sumber, id_sumber FROM padan_nik_repair
        UNION ALL SELECT sumber, id_sumber FROM padan_probabilistik)
        GROUP BY sumber, id_sumber HAVING count(*) > 1""").fetchall()
        == []
    )
    assert right / linked >= 0.998, f"precision {right / linked:.4f} ({wrong} wrong links)"
    assert right / positives >= 0.99, f"recall {right / positives:.4f}"
    assert (tmp_path / "model.json").exists()

    # The registry side written to a work file and Splink's prediction in chunks of the
    # registry, as at national scale: the same links and the same ambiguous records.
    from transforms.match import probabilistic

    def chosen() -> list[list[tuple]]:
        return [con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in probabilistic_tables]

    probabilistic_tables = ("padan_probabilistik", "padan_probabilistik_ganda")
    whole = chosen()
    monkeypatch.setattr(probabilistic, "REGISTRY_CHUNK", 700)  # 9 chunks of the 6,000 persons
    match_probabilistic(con, model_out=tmp_path / "model_chunks.json", work=tmp_path)
    assert (tmp_path / "splink_penduduk.parquet").exists()
    assert chosen() == whole and len(whole[0]) > 20

    # The accuracy report gives the same figures from the written outcome table.
    from transforms.match.akurasi import accuracy

    match.record_outcomes(con)
    con.execute(f"COPY tautan_sumber TO '{tmp_path / 'tautan.parquet'}' (FORMAT parquet)")
    report = accuracy(tmp_path / "tautan.parquet", delivery / "truth/tautan.parquet")
    overall = report["keseluruhan"]
    assert (overall["tautan"], overall["salah"]) == (linked, wrong)
    assert overall["recall"] == round(right / positives, 6)
    assert set(report["per_sumber"]) == {"DTKS", "REGSOSEK", "P3KE", "USULAN"}
    assert report["per_metode"]["TIDAK_PADAN"]["tautan"] == 0
    assert report["per_metode"]["NIK_EXACT"]["precision"] >= 0.999
