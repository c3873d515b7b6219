"""Why one source record was linked (or not): every candidate the steps considered, each
comparison's level and weight, and the decision, recomputed from the run's own files.

The NIK steps give points (poin_nik.csv); the probabilistic step gives Splink's match weights
(log2 Bayes factors) from the model the run kept (matched/model_splink.json): the prior, then
one weight per comparison, summing to the pair's match weight (Splink's waterfall). The record's
and candidates' values come back as they are; the caller masks them unless the reader may
see them.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import duckdb

from transforms import match
from transforms.match import probabilistic
from transforms.standardize import RunPaths

# How many probabilistic candidates to show, best first.
CALON_DITAMPILKAN = 3

EVIDENCE = ("nama", "tgl_lahir", "jenis_kelamin", "no_kk", "kode_desa")


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> list[dict]:
    cur = con.execute(sql, params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def _points(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], int]:
    return {(b, t): p for b, t, p in con.execute("SELECT bukti, tingkat, poin FROM poin_nik").fetchall()}


def load_one(con: duckdb.DuckDBPyConnection, run_dir: Path, sumber: str, id_sumber: str) -> dict | None:
    """`catatan` holding only the record, `penduduk` the whole registry; the record, or None."""
    match.prepare(con)
    match.load_records(con, RunPaths(run_dir))
    con.execute("DELETE FROM catatan WHERE NOT (sumber = $s AND id_sumber = $i)", {"s": sumber, "i": id_sumber})
    rows = _rows(con, "SELECT * FROM catatan")
    return rows[0] if rows else None


def outcome(run_dir: Path, sumber: str, id_sumber: str) -> dict:
    """What the run decided for the record (tautan_sumber, and verifikasi's reason)."""
    matched = run_dir / "matched"
    con = duckdb.connect()
    try:
        got = _rows(
            con,
            "SELECT metode_padan, nik, probabilitas FROM read_parquet($t) WHERE sumber = $s AND id_sumber = $i",
            {"t": str(matched / "tautan_sumber.parquet"), "s": sumber, "i": id_sumber},
        )
        why = _rows(
            con,
            "SELECT alasan FROM read_parquet($v) WHERE sumber = $s AND id_sumber = $i",
            {"v": str(matched / "verifikasi.parquet"), "s": sumber, "i": id_sumber},
        )
    finally:
        con.close()
    return (got[0] if got else {}) | ({"alasan": why[0]["alasan"]} if why else {})


def nik_step(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The record against its NIK's holder: each piece of evidence, its level and points, the
    family members the decision weighed, the sum and the decision."""
    match.match_nik_exact(con)
    rows = _rows(con, "SELECT * FROM bukti_nik")
    if not rows:
        return None
    b = rows[0]
    points = _points(con)
    holder = _rows(con, "SELECT nama, tgl_lahir, jenis_kelamin, no_kk, kode_desa FROM penduduk WHERE nik = $n",
                   {"n": b["nik"]})[0]  # fmt: skip
    members = _rows(  # the ones the decision weighed (only where the holder's name or date was weak)
        con,
        "SELECT a.nik, p.nama, p.tgl_lahir, a.nama AS nama_tingkat, a.cocok FROM anggota_keluarga a "
        "JOIN penduduk p ON p.nik = a.nik ORDER BY a.cocok DESC, a.nik",
    )
    return {
        "nik": b["nik"],
        "pemegang": holder,
        "bukti": [
            {"bukti": "dasar", "tingkat": "NIK_TERDAFTAR", "poin": points[("dasar", "NIK_TERDAFTAR")]},
            *({"bukti": e, "tingkat": b[e], "poin": points[(e, b[e])]} for e in EVIDENCE),
            {"bukti": "keluarga", "tingkat": b["keluarga"], "poin": points[("keluarga", b["keluarga"])]},
        ],
        "anggota_keluarga": members,
        "skor": b["skor"],
        "ambang": match.config()["ambang_poin_nik"],
        "probabilitas": b["probabilitas"],
        "diterima": b["diterima"],
        "alasan": b["alasan"],
    }


def repair_step(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """The registry persons one edit from the record's NIK whose name and birth date fit."""
    match.match_nik_repair(con)
    return _rows(
        con,
        "SELECT p.nik, p.nama, p.tgl_lahir FROM cocok_repair r JOIN penduduk p ON p.nik = r.nik ORDER BY p.nik",
    )


def same_comparisons(model: dict) -> bool:
    """The run's model compares what this code builds (another version's may need other columns)."""

    def conditions(comparisons: list[dict]) -> list[list[str]]:
        return [[lv["sql_condition"] for lv in c["comparison_levels"]] for c in comparisons]

    code = probabilistic.settings().create_settings_dict("duckdb")
    return conditions(model["comparisons"]) == conditions(code["comparisons"])


def _levels(linker) -> dict[str, dict[int, str]]:
    """Per comparison, the label of each comparison vector value."""
    out = {}
    for c in linker._settings_obj.comparisons:
        out[c.output_column_name] = {lv.comparison_vector_value: lv.label_for_charts for lv in c.comparison_levels}
    return out


def probabilistic_step(con: duckdb.DuckDBPyConnection, model: Path) -> dict | None:
    """Splink's best candidates for the record, each with the waterfall: the prior, then each
    comparison's level and weight (term frequencies included), the sum and the probability."""
    from splink import Linker
    from splink.backends.duckdb import DuckDBAPI

    if not model.exists():
        return None
    if probabilistic.prepare_tables(con, contoh=1) == 0:
        return None
    settings = json.loads(model.read_text())
    if not same_comparisons(settings):
        return {"model_lain": True}
    settings["retain_intermediate_calculation_columns"] = True
    settings["retain_matching_columns"] = True
    db = DuckDBAPI(con)
    linker = Linker([db.register("splink_sisa"), db.register("splink_penduduk")], settings, log_level=logging.WARNING)
    logging.getLogger("splink").setLevel(logging.WARNING)
    pairs = linker.inference.predict().as_duckdbpyrelation().order("match_weight DESC").limit(CALON_DITAMPILKAN)
    cols = pairs.columns
    labels = _levels(linker)
    prior = linker._settings_obj._probability_two_random_records_match
    candidates = []
    for row in pairs.fetchall():
        r = dict(zip(cols, row, strict=True))
        steps = []
        for name, levels in labels.items():
            weight = (r.get(f"mw_{name}") or 0.0) + (r.get(f"mw_tf_adj_{name}") or 0.0)  # log2 Bayes factors
            steps.append({"perbandingan": name, "tingkat": levels.get(r[f"gamma_{name}"]), "bobot": weight})
        candidates.append(
            {
                "nik": r["unique_id_r"],
                "nama": r.get("nama_baku_r"),
                "tgl_lahir": r.get("tgl_lahir_r"),
                "kode_desa": r.get("kode_desa_r"),
                "langkah": steps,
                "bobot": r["match_weight"],
                "probabilitas": r["match_probability"],
            }
        )
    return {
        "bobot_awal": _log2(prior / (1 - prior)),
        "ambang": match.config()["ambang_probabilistik"],
        "calon": candidates,
    }


def _log2(x: float) -> float:
    import math

    return math.log2(x) if x > 0 else float("-inf")


def explain_link(run_dir: Path, sumber: str, id_sumber: str) -> dict | None:
    """Everything above for one record, or None when the run has no such record."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    try:
        rec = load_one(con, run_dir, sumber, id_sumber)
        if rec is None:
            return None
        return {
            "catatan": rec,
            "hasil": outcome(run_dir, sumber, id_sumber),
            "nik_exact": nik_step(con),
            "nik_repair": repair_step(con),
            "probabilistik": probabilistic_step(con, run_dir / "matched" / "model_splink.json"),
        }
    finally:
        con.close()
