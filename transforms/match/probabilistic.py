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
from splink.internals.blocking_rule_creator import BlockingRuleCreator
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


def birth_date_comparison() -> cl.CustomComparison:
    """Splink's date-of-birth levels, the last two with m set rather than estimated: the EM
    passes block on the birth year and on the birth date, so EM never sees a true match
    more than a year off (and Splink warned of untrained levels on every run)."""
    levels = cl.DateOfBirthComparison("tgl_lahir", input_is_string=False).create_comparison_levels()
    levels[-2].configure(m_probability=0.002, fix_m_probability=True)  # within 10 years
    levels[-1].configure(m_probability=0.001, fix_m_probability=True)  # further apart
    # splink types the parameter as an (invariant) list of creators or dicts; it only reads it.
    return cl.CustomComparison(levels, output_column_name="tgl_lahir")  # type: ignore[arg-type]


def comparisons() -> list:
    return [
        cl.NameComparison("nama_baku").configure(term_frequency_adjustments=True),
        birth_date_comparison(),
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


NO_PREDICTIONS = (
    "(SELECT NULL::VARCHAR AS unique_id_l, NULL::VARCHAR AS unique_id_r, NULL::DOUBLE AS match_probability WHERE false)"
)


def choose_links(con: duckdb.DuckDBPyConnection, predictions: str, threshold: float) -> str:
    """`padan_probabilistik` from Splink's scored pairs (a table name): the one registry person
    above the threshold, or none and the record in `padan_probabilistik_ganda` when several are."""
    run_sql(con, BEST_SQL.format(predictions=predictions), {"ambang": threshold})
    return "padan_probabilistik"


PRIOR_RULES: list[str | BlockingRuleCreator] = [block_on("kode_desa", "tgl_lahir")]
# Fewer possible pairs than this and a random sample cannot see how rarely strangers agree.
MIN_PAIRS_FOR_U = 1_000_000


def train(linker: Linker) -> None:
    """Estimate the model on this run's records (EM); EMTrainingException when it cannot."""
    linker.training.estimate_probability_two_random_records_match(PRIOR_RULES, recall=0.9)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6)
    # Two EM passes, each blocking on what the other estimates.
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("kode_desa", "tahun_lahir"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("tgl_lahir", "nama_depan"))


def stored_model(tables: list, path: Path, pairs: int) -> Linker:
    """The stored model's m (how often true matches agree), with the prior and, when there
    are pairs enough to sample, u estimated on these records: both depend on the population
    (how many villages, how common a name) and neither needs EM. Where these records give
    no estimate, the stored value stays."""
    linker = Linker(tables, path, log_level=logging.WARNING)
    estimates = [lambda: linker.training.estimate_probability_two_random_records_match(PRIOR_RULES, recall=0.9)]
    if pairs >= MIN_PAIRS_FOR_U:
        estimates.append(lambda: linker.training.estimate_u_using_random_sampling(max_pairs=2e6))
    for estimate in estimates:
        try:
            estimate()
        except Exception:
            pass
    return linker


def match_probabilistic(con: duckdb.DuckDBPyConnection, model_out: Path | None = None) -> dict:
    """Link the records the NIK steps left into `padan_probabilistik`; say what was done.

    The model is estimated on this run's records. Too few of them to estimate it (EM needs
    hundreds of pairs; a small delivery or a re-run of one province): the stored model
    (`model_cadangan` in padan.json, from a national run) scores them instead, and the
    result says so. The model used is written to `model_out`.
    """
    config = json.loads(CONFIG.read_text())
    threshold = config["ambang_probabilistik"]
    con.execute(SISA_SQL)
    con.execute(REGISTRY_SQL)
    left = con.execute("SELECT count(*) FROM splink_sisa").fetchall()[0][0]
    result = {"catatan": left, "ambang": threshold}
    if left == 0:
        choose_links(con, NO_PREDICTIONS, threshold)
        return result | {"dilatih": False, "model": None}
    logging.getLogger("splink").setLevel(logging.WARNING)
    db = DuckDBAPI(con)
    tables = [db.register("splink_sisa"), db.register("splink_penduduk")]
    reason = "terlalu sedikit catatan untuk melatih model"
    if left >= config["minimum_catatan_untuk_model"]:
        linker = Linker(tables, settings(), log_level=logging.WARNING)
        try:
            train(linker)
            result |= {"dilatih": True, "model": "dilatih"}
        except EMTrainingException as e:
            reason = f"EM tidak dapat dilatih: {type(e).__name__}"
    if "model" not in result:
        registry = con.execute("SELECT count(*) FROM splink_penduduk").fetchall()[0][0]
        linker = stored_model(tables, CONFIG.parent / config["model_cadangan"], left * registry)
        result |= {"dilatih": False, "model": config["model_cadangan"], "alasan": reason}
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    choose_links(con, predictions.physical_name, threshold)
    if model_out is not None:
        linker.misc.save_model_to_json(str(model_out), overwrite=True)
    return result
