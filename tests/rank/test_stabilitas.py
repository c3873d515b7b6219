"""Stability between snapshots (transforms/rank/stabilitas.py) on two hand-made snapshots:
ten families a decile each before, and this month one family moved by its inputs, one by
the model, one by the cut-offs, one whose inputs changed too little, and families that
kept their decile, entered or left."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from transforms.rank import stabilitas

# Before: family K<d> in decile d with log score d (so the cut-offs are 1.0 ... 9.0), and
# K9b tied with K9 at 9.0 but in decile 10 (the national window split the tie by no_kk).
BEFORE = [(f"K{d}", d, float(d)) for d in range(1, 11)] + [("K9b", 10, 9.0)]

# This month: (no_kk, province, decile, log score, the previous model's log score).
NOW = [
    ("K1", "11", 3, 2.5, 2.5),  # its inputs changed: the old model already puts it in decile 3
    ("K2", "11", 5, 4.5, 2.0),  # same inputs, the new model values it at 4.5: decile 5
    ("K3", "11", 4, 3.0, 3.0),  # nothing of its own changed; the cut-offs moved below it
    ("K4", "12", 4, 4.0, 4.0),  # unchanged
    ("K7", "12", 6, 6.9, 6.9),  # inputs changed, but 6.9 stays in decile 7 under the old cut-offs
    ("K8", "12", 8, 8.0, 8.0),  # on a cut-off, unchanged
    ("K9b", "12", 10, 9.0, 9.0),  # tied on the old cut-off, the same score: its old decile stays
    ("K11", "12", 1, 0.5, 0.5),  # new this month: not in both
]  # K5, K6, K9, K10 left


def _write(rows: list[dict], path: Path) -> Path:
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def test_each_changed_family_gets_the_first_change_that_moves_it(tmp_path):
    before = _write([{"no_kk": k, "desil_nasional": d, "skor_log": s} for k, d, s in BEFORE], tmp_path / "a.parquet")
    now = _write(
        [{"no_kk": k, "kode_prov": p, "desil_nasional": d, "skor_log": s} for k, p, d, s, _ in NOW],
        tmp_path / "b.parquet",
    )
    # the counterfactual scores come per partition: two files
    half = len(NOW) // 2
    cf = [
        _write([{"no_kk": k, "skor_log": c} for k, _, _, _, c in part], tmp_path / f"k{i}.parquet")
        for i, part in enumerate((NOW[:half], NOW[half:]))
    ]
    found = stabilitas.decompose(duckdb.connect(), before, now, cf, tmp_path / "stabilitas.parquet")

    reasons = {r["no_kk"]: r["sebab"] for r in pq.read_table(tmp_path / "stabilitas.parquet").to_pylist()}
    assert reasons == {"K1": "MASUKAN", "K2": "MODEL", "K3": "BATAS", "K7": "BATAS"}
    assert found["per_provinsi"] == [
        {"kode_prov": "11", "keluarga_di_keduanya": 3, "desil_berubah": 3,
         "sebab_masukan": 1, "sebab_model": 1, "sebab_batas": 1},
        {"kode_prov": "12", "keluarga_di_keduanya": 4, "desil_berubah": 1,
         "sebab_masukan": 0, "sebab_model": 0, "sebab_batas": 1},
    ]  # fmt: skip
    assert found["jumlah"] == {
        "keluarga_di_keduanya": 7, "desil_berubah": 4, "sebab_masukan": 1, "sebab_model": 1, "sebab_batas": 2,
    }  # fmt: skip


def test_a_tied_family_whose_score_moved_is_read_against_the_cut_offs(tmp_path):
    """K9b's score fell below the old cut-off of decile 9 by the model: MODEL, decile 9."""
    before = _write([{"no_kk": k, "desil_nasional": d, "skor_log": s} for k, d, s in BEFORE], tmp_path / "a.parquet")
    now = _write([{"no_kk": "K9b", "kode_prov": "12", "desil_nasional": 9, "skor_log": 8.5}], tmp_path / "b.parquet")
    cf = _write([{"no_kk": "K9b", "skor_log": 9.0}], tmp_path / "k.parquet")
    found = stabilitas.decompose(duckdb.connect(), before, now, [cf], tmp_path / "s.parquet")
    assert found["jumlah"]["sebab_model"] == 1 and found["jumlah"]["desil_berubah"] == 1
