"""Step 3, PROBABILISTIC: what the NIK steps left, linked by Splink (Fellegi-Sunter, EM).

Records left over are compared with the registry on name (with term frequencies), birth
date, sex and village, within blocks that keep the pairs few: same village and birth
year, same district and first name, same birth date and first name. Each record takes its
best registry person above the configured threshold. The fitted model is returned so the
run can keep it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import duckdb
import splink.comparison_library as cl
from splink import Linker, SettingsCreator, block_on
from splink.backends.duckdb import DuckDBAPI
from splink.internals.exceptions import EMTrainingException

from transforms.engine import run_sql

CONFIG = Path(__file__).parent / "padan.json"

SISA_SQL = """
CREATE OR REPLACE TABLE splink_sisa AS
SELECT c.sumber || ':' || c.id_sumber AS unique_id, c.nama_baku, c.tgl_lahir, c.jenis_kelamin, c.kode_desa,
    left(c.kode_desa, 6) AS kode_kec, year(c.tgl_lahir) AS tahun_lahir, split_part(c.nama_baku, ' ', 1) AS nama_depan
FROM catatan c
ANTI JOIN (SELECT sumber, id_sumber FROM padan_nik_exact UNION ALL SELECT sumber, id_sumber FROM padan_nik_repair) l
    ON l.sumber = c.sumber AND l.id_sumber = c.id_sumber
WHERE c.nama_baku IS NOT NULL
  -- A well-formed NIK that is nobody's and not one edit from anybody's is a record of
  -- nobody (a ghost) far more often than a typo: those go to verification, not to Splink.
  AND NOT (c.nik_cacat IS NULL AND length(c.nik) = 16)
"""

REGISTRY_SQL = """
CREATE OR REPLACE TABLE splink_penduduk AS
SELECT nik AS unique_id, nama_baku, tgl_lahir, jenis_kelamin, kode_desa,
    left(kode_desa, 6) AS kode_kec, year(tgl_lahir) AS tahun_lahir, split_part(nama_baku, ' ', 1) AS nama_depan
FROM penduduk
"""

BEST_SQL = """
CREATE OR REPLACE TABLE calon_probabilistik AS
SELECT split_part(unique_id_l, ':', 1) AS sumber, substr(unique_id_l, strpos(unique_id_l, ':') + 1) AS id_sumber,
    unique_id_r AS nik, match_probability AS probabilitas,
    count(*) OVER (PARTITION BY unique_id_l) AS calon
FROM {predictions}
WHERE match_probability >= $ambang;

-- One registry person above the threshold: a link.
CREATE OR REPLACE TABLE padan_probabilistik AS
SELECT sumber, id_sumber, nik, 'PROBABILISTIC' AS metode_padan, probabilitas
FROM calon_probabilistik WHERE calon = 1;

-- Two or more: the record cannot tell them apart (a first name alone, a common name and a
-- birth date near both). It goes to verification, as an ambiguous repair does in step 2.
CREATE OR REPLACE TABLE padan_probabilistik_ganda AS
SELECT DISTINCT sumber, id_sumber FROM calon_probabilistik WHERE calon > 1;
"""


def comparisons() -> list:
    return [
        cl.NameComparison("nama_baku").configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison("tgl_lahir", input_is_string=False),
        cl.ExactMatch("jenis_kelamin"),
        cl.ExactMatch("kode_desa"),
    ]


def blocking_rules() -> list:
    return [
        block_on("kode_desa", "tahun_lahir"),
        block_on("kode_kec", "nama_depan"),
        block_on("tgl_lahir", "nama_depan"),
    ]


def settings() -> SettingsCreator:
    return SettingsCreator(
        link_type="link_only",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=blocking_rules(),
        retain_intermediate_calculation_columns=False,
    )


NO_PREDICTIONS = ("(SELECT NULL::VARCHAR AS unique_id_l, NULL::VARCHAR AS unique_id_r, "
                  "NULL::DOUBLE AS match_probability WHERE false)")


def choose_links(con: duckdb.DuckDBPyConnection, predictions: str, threshold: float) -> str:
    """`padan_probabilistik` from Splink's scored pairs (a table name): the one registry person
    above the threshold, or none and the record in `padan_probabilistik_ganda` when several are."""
    run_sql(con, BEST_SQL.format(predictions=predictions), {"ambang": threshold})
    return "padan_probabilistik"


def match_probabilistic(con: duckdb.DuckDBPyConnection, model_out: Path | None = None) -> dict:
    """Link the records the NIK steps left into `padan_probabilistik`; say what was done.

    Too few records left to estimate a model (EM needs hundreds of pairs): nothing is
    linked probabilistically and the records go to verification; the result says why.
    """
    config = json.loads(CONFIG.read_text())
    threshold = config["ambang_probabilistik"]
    con.execute(SISA_SQL)
    con.execute(REGISTRY_SQL)
    left = con.execute("SELECT count(*) FROM splink_sisa").fetchall()[0][0]
    if left < config["minimum_catatan_untuk_model"]:
        choose_links(con, NO_PREDICTIONS, threshold)
        return {"dilatih": False, "catatan": left, "alasan": "terlalu sedikit catatan untuk melatih model"}
    logging.getLogger("splink").setLevel(logging.WARNING)
    db = DuckDBAPI(con)
    linker = Linker([db.register("splink_sisa"), db.register("splink_penduduk")], settings())
    try:
        linker.training.estimate_probability_two_random_records_match([block_on("kode_desa", "tgl_lahir")], recall=0.9)
        linker.training.estimate_u_using_random_sampling(max_pairs=2e6)
        # Two EM passes, each blocking on what the other estimates.
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("kode_desa", "tahun_lahir"))
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("tgl_lahir"))
    except EMTrainingException as e:
        choose_links(con, NO_PREDICTIONS, threshold)
        return {"dilatih": False, "catatan": left, "alasan": f"EM tidak dapat dilatih: {type(e).__name__}"}
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    choose_links(con, predictions.physical_name, threshold)
    if model_out is not None:
        linker.misc.save_model_to_json(str(model_out), overwrite=True)
    return {"dilatih": True, "catatan": left, "ambang": threshold}
