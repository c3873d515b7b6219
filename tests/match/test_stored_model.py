"""The stored Splink model: it fits the code, and it scores a run too small to train on."""

from __future__ import annotations

import datetime as dt
import json

from tests.match.test_nik_steps import SITI, add, con  # noqa: F401  (the fixture)
from transforms import match
from transforms.match.probabilistic import CONFIG, match_probabilistic, settings


def levels(comparisons: list[dict]) -> list[tuple[str, list[str]]]:
    return [(c["output_column_name"], [lv["sql_condition"] for lv in c["comparison_levels"]]) for c in comparisons]


def test_stored_model_has_the_comparisons_the_code_defines():
    """When comparisons() or blocking_rules() change, regenerate model_cadangan.json from a
    national run's matched/model_splink.json."""
    stored = json.loads((CONFIG.parent / json.loads(CONFIG.read_text())["model_cadangan"]).read_text())
    code = settings().create_settings_dict("duckdb")
    assert levels(stored["comparisons"]) == levels(code["comparisons"])
    assert [b["blocking_rule"] for b in stored["blocking_rules_to_generate_predictions"]] == [
        b["blocking_rule"] for b in code["blocking_rules_to_generate_predictions"]
    ]
    # Trained: every comparison has an m for exact agreement.
    assert all(c["comparison_levels"][1].get("m_probability", 0) > 0 for c in stored["comparisons"])


def test_too_few_records_to_train_are_scored_by_the_stored_model(con, tmp_path):  # noqa: F811
    # No NIK at all: only names, birth date and village can find her.
    con.execute(
        "INSERT INTO catatan VALUES ('DTKS', 'tanpa_nik', NULL, 'NIK_KOSONG', 'SITI AMINAH', 'SITI AMINAH', ?, 2, "
        "'3201051001', '32', NULL)",
        [SITI[2]],
    )
    add(con, "lain", None, "WAHYU PRATAMA", dt.date(1999, 9, 9), 1)
    match.match_nik_exact(con)
    match.match_nik_repair(con)
    result = match_probabilistic(con, model_out=tmp_path / "model.json")
    assert result["dilatih"] is False and result["model"] == "model_cadangan.json"
    assert "terlalu sedikit" in result["alasan"]
    links = con.execute("SELECT id_sumber, nik FROM padan_probabilistik").fetchall()
    assert links == [("tanpa_nik", SITI[0])]
    assert (tmp_path / "model.json").exists()


def test_a_model_of_another_code_version_is_not_explained_with_this_one():
    from transforms.match.jelaskan import same_comparisons

    stored = json.loads((CONFIG.parent / json.loads(CONFIG.read_text())["model_cadangan"]).read_text())
    assert same_comparisons(stored)
    older = json.loads(json.dumps(stored))
    older["comparisons"][0]["comparison_levels"][3]["sql_condition"] = "nama_kedua_l = nama_kedua_r"
    assert not same_comparisons(older)


def test_m_from_nik_links_with_too_few_pairs_to_sample_u_takes_u_from_the_stored_model(con, tmp_path, monkeypatch):  # noqa: F811
    # Enough NIK links to count m on (the minimum lowered), too few records left to sample how
    # often strangers agree: u comes from the stored model, and the record is still found.
    from transforms.match import probabilistic

    config = json.loads(CONFIG.read_text()) | {"minimum_tautan_nik_untuk_model": 1}
    (tmp_path / "padan.json").write_text(json.dumps(config))
    (tmp_path / config["model_cadangan"]).write_text((CONFIG.parent / config["model_cadangan"]).read_text())
    monkeypatch.setattr(probabilistic, "CONFIG", tmp_path / "padan.json")
    add(con, "dengan_nik", SITI[0], "SITI AMINAH", SITI[2], 2)
    con.execute(
        "INSERT INTO catatan VALUES ('DTKS', 'tanpa_nik', NULL, 'NIK_KOSONG', 'SITI AMINAH', 'SITI AMINAH', ?, 2, "
        "'3201051001', '32', NULL)",
        [SITI[2]],
    )
    match.match_nik_exact(con)
    match.match_nik_repair(con)
    result = match_probabilistic(con, model_out=tmp_path / "model.json")
    assert result["dilatih"] is True, result
    used = json.loads((tmp_path / "model.json").read_text())
    assert all(
        lv.get("u_probability") is not None
        for c in used["comparisons"]
        for lv in c["comparison_levels"]
        if not lv.get("is_null_level")
    )
    assert con.execute("SELECT id_sumber, nik FROM padan_probabilistik").fetchall() == [("tanpa_nik", SITI[0])]
