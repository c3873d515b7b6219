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

CONFIG = Path(__file__).parent / "padan.json"

SISA_SQL = """
CREATE OR REPLACE TABLE splink_sisa AS
SELECT c.sumber || ':' || c.id_sumber AS unique_id, c.nama_baku, c.tgl_lahir, c.jenis_kelamin, c.kode_desa,
    left(c.kode_desa, 6) AS kode_kec, year(c.tgl_lahir) AS tahun_lahir, split_part(c.nama_baku, ' ', 1) AS nama_depan
FROM catatan c
ANTI JOIN (SELECT sumber, id_sumber FROM padan_nik_exact UNION ALL SELECT sumber, id_sumber FROM padan_nik_repair) l
    ON l.sumber = c.sumber AND l.id_sumber = c.id_sumber
WHERE c.nama_baku IS NOT NULL
"""

REGISTRY_SQL = """
CREATE OR REPLACE TABLE splink_penduduk AS
SELECT nik AS unique_id, nama_baku, tgl_lahir, jenis_kelamin, kode_desa,
    left(kode_desa, 6) AS kode_kec, year(tgl_lahir) AS tahun_lahir, split_part(nama_baku, ' ', 1) AS nama_depan
FROM penduduk
"""

BEST_SQL = """
CREATE OR REPLACE TABLE padan_probabilistik AS
SELECT split_part(unique_id_l, ':', 1) AS sumber, substr(unique_id_l, strpos(unique_id_l, ':') + 1) AS id_sumber,
    unique_id_r AS nik, 'PROBABILISTIC' AS metode_padan, match_probability AS probabilitas
FROM {predictions}
WHERE match_probability >= $ambang
QUALIFY row_number() OVER (PARTITION BY unique_id_l ORDER BY match_probability DESC, unique_id_r) = 1
"""


def settings() -> SettingsCreator:
    return SettingsCreator(
        link_type="link_only",
        comparisons=[
            cl.NameComparison("nama_baku").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("tgl_lahir", input_is_string=False),
            cl.ExactMatch("jenis_kelamin"),
            cl.ExactMatch("kode_desa"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("kode_desa", "tahun_lahir"),
            block_on("kode_kec", "nama_depan"),
            block_on("tgl_lahir", "nama_depan"),
        ],
        retain_intermediate_calculation_columns=False,
    )


def match_probabilistic(con: duckdb.DuckDBPyConnection, model_out: Path | None = None) -> str:
    """Link the records the NIK steps left; write `padan_probabilistik`; return its name."""
    threshold = json.loads(CONFIG.read_text())["ambang_probabilistik"]
    con.execute(SISA_SQL)
    con.execute(REGISTRY_SQL)
    if con.execute("SELECT count(*) FROM splink_sisa").fetchall()[0][0] == 0:
        con.execute(BEST_SQL.format(predictions="(SELECT NULL::VARCHAR AS unique_id_l, NULL::VARCHAR AS unique_id_r, "
                                                "NULL::DOUBLE AS match_probability WHERE false)"), {"ambang": threshold})
        return "padan_probabilistik"
    logging.getLogger("splink").setLevel(logging.WARNING)
    db = DuckDBAPI(con)
    linker = Linker([db.register("splink_sisa"), db.register("splink_penduduk")], settings())
    linker.training.estimate_probability_two_random_records_match([block_on("kode_desa", "tgl_lahir")], recall=0.9)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6)
    # Two EM passes, each blocking on what the other estimates.
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("kode_desa", "tahun_lahir"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("tgl_lahir"))
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    con.execute(BEST_SQL.format(predictions=predictions.physical_name), {"ambang": threshold})
    if model_out is not None:
        linker.misc.save_model_to_json(str(model_out), overwrite=True)
    return "padan_probabilistik"
