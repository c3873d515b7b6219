"""Step 3, PROBABILISTIC: what the NIK steps left, linked by Splink (Fellegi-Sunter, EM).

Records left over are compared with the registry on name, birth date, sex and village,
within blocks that keep the pairs few: same village and birth year, same district and first
name, same birth date and first name. The name levels are the names module's (transforms/names)
where SQL can say them on every pair: the same standardized name (term-frequency adjusted),
one name's words among the other's, close spelling, a word that is a nickname of the other's
word, a word in common. A record whose NIK step refused its NIK's holder is compared with
everybody but that holder (the NIK step weighed that person already). Each record takes the
one registry person above the configured threshold; of several, the one in the record's own
KK, else its village, else with its exact birth date, when that one alone is. The fitted
model is returned so the run can keep it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import duckdb
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import Linker, SettingsCreator, block_on
from splink.backends.duckdb import DuckDBAPI
from splink.internals.blocking_rule_creator import BlockingRuleCreator

from transforms.engine import run_sql
from transforms.names import MIRIP_AMBANG

CONFIG = Path(__file__).parent / "padan.json"

# What Splink compares, for a source record (`c`, from `catatan`).
RECORD_COLUMNS = """c.sumber || ':' || c.id_sumber AS unique_id, c.nama_baku, c.tgl_lahir, c.jenis_kelamin,
    c.kode_desa, left(c.kode_desa, 6) AS kode_kec, year(c.tgl_lahir) AS tahun_lahir,
    split_part(c.nama_baku, ' ', 1) AS nama_depan, split_part(c.nama_baku, ' ', 2) AS nama_kedua, c.no_kk"""

SISA_SQL = f"""
CREATE OR REPLACE TABLE splink_sisa AS
SELECT {RECORD_COLUMNS}
FROM catatan c
ANTI JOIN (SELECT sumber, id_sumber FROM padan_nik_exact UNION ALL SELECT sumber, id_sumber FROM padan_nik_repair) l
    ON l.sumber = c.sumber AND l.id_sumber = c.id_sumber
LEFT JOIN bukti_nik b ON b.sumber = c.sumber AND b.id_sumber = c.id_sumber
WHERE c.nama_baku IS NOT NULL
  -- A well-formed NIK that is nobody's and not one edit from anybody's is a record of
  -- nobody (a ghost) far more often than a typo: those go to verification, not to Splink.
  -- A registry NIK whose holder does not fit is often a family member's: Splink looks.
  AND NOT (c.nik_cacat IS NULL AND length(c.nik) = 16 AND b.id_sumber IS NULL)
"""

# Records the NIK step linked, as labelled pairs: how often true matches agree (m) is read
# off them instead of guessed by EM, which on the hard residue converged on "same village,
# born the same year" rather than on the same person. Grain: one row per sampled link.
LABELS_SQL = f"""
CREATE OR REPLACE TABLE contoh_nik AS
SELECT {RECORD_COLUMNS}, e.nik AS nik_label
FROM catatan c
JOIN padan_nik_exact e ON e.sumber = c.sumber AND e.id_sumber = c.id_sumber
WHERE c.nama_baku IS NOT NULL
ORDER BY hash(c.sumber, c.id_sumber)
LIMIT $contoh;

CREATE OR REPLACE TABLE splink_contoh AS SELECT * EXCLUDE (nik_label) FROM contoh_nik;
"""

REGISTRY_SQL = """
CREATE OR REPLACE TABLE splink_penduduk AS
SELECT nik AS unique_id, nama_baku, tgl_lahir, jenis_kelamin, kode_desa,
    left(kode_desa, 6) AS kode_kec, year(tgl_lahir) AS tahun_lahir, split_part(nama_baku, ' ', 1) AS nama_depan,
    split_part(nama_baku, ' ', 2) AS nama_kedua, no_kk
FROM penduduk
"""

# The nicknames of a name's first three words as one padded string (' WATI MAWATI '), so that
# the comparison is a substring test: the rule (transforms/names) runs once per distinct word.
PANGGILAN_SQL = """
CREATE OR REPLACE TEMP TABLE bentuk_kata AS
WITH kata AS (
    SELECT DISTINCT unnest([split_part(nama_baku, ' ', 1), split_part(nama_baku, ' ', 2),
        split_part(nama_baku, ' ', 3)]) AS kata
    FROM (SELECT nama_baku FROM splink_penduduk UNION ALL SELECT nama_baku FROM splink_sisa
        UNION ALL SELECT nama_baku FROM splink_contoh)
)
SELECT kata, list_aggregate(nama_bentuk_panggilan(kata), 'string_agg', ' ') AS bentuk
FROM kata WHERE kata <> '' AND len(nama_bentuk_panggilan(kata)) > 0;

CREATE OR REPLACE MACRO panggilan_nama(nama_baku) AS ' ' || concat_ws(' ',
    (SELECT bentuk FROM bentuk_kata WHERE kata = split_part(nama_baku, ' ', 1)),
    (SELECT bentuk FROM bentuk_kata WHERE kata = split_part(nama_baku, ' ', 2)),
    (SELECT bentuk FROM bentuk_kata WHERE kata = split_part(nama_baku, ' ', 3))) || ' ';

CREATE OR REPLACE TABLE splink_sisa AS SELECT *, panggilan_nama(nama_baku) AS panggilan FROM splink_sisa;
CREATE OR REPLACE TABLE splink_contoh AS SELECT *, panggilan_nama(nama_baku) AS panggilan FROM splink_contoh;
CREATE OR REPLACE TABLE splink_penduduk AS SELECT *, panggilan_nama(nama_baku) AS panggilan FROM splink_penduduk;
"""

BEST_SQL = """
CREATE OR REPLACE TABLE calon_probabilistik AS
WITH skor AS (
    SELECT split_part(unique_id_l, ':', 1) AS sumber, substr(unique_id_l, strpos(unique_id_l, ':') + 1) AS id_sumber,
        unique_id_r AS nik, match_probability AS probabilitas
    FROM {predictions}
    WHERE match_probability >= $ambang
), tanpa_ditolak AS (
    -- the holder of the record's own NIK was weighed by the NIK step and refused
    SELECT s.* FROM skor s ANTI JOIN bukti_nik b ON b.sumber = s.sumber AND b.id_sumber = s.id_sumber AND b.nik = s.nik
), ciri AS (
    -- what tells two probable persons apart: the record's own KK, then its village, then its birth date
    SELECT t.*,
        4 * coalesce(c.no_kk = p.no_kk, false)::INT + 2 * coalesce(c.kode_desa = p.kode_desa, false)::INT
            + coalesce(c.tgl_lahir = p.tgl_lahir, false)::INT AS keutamaan
    FROM tanpa_ditolak t
    LEFT JOIN catatan c ON c.sumber = t.sumber AND c.id_sumber = t.id_sumber
    LEFT JOIN penduduk p ON p.nik = t.nik
)
SELECT *, count(*) OVER w AS calon, keutamaan = max(keutamaan) OVER w AS terbaik
FROM ciri
WINDOW w AS (PARTITION BY sumber, id_sumber);

-- One registry person above the threshold, or one that alone is in the record's KK (or
-- village, or has its birth date): a link.
CREATE OR REPLACE TABLE padan_probabilistik AS
WITH unggul AS (
    SELECT *, count(*) FILTER (WHERE terbaik) OVER (PARTITION BY sumber, id_sumber) AS sebanyak_terbaik
    FROM calon_probabilistik
)
SELECT sumber, id_sumber, nik, 'PROBABILISTIC' AS metode_padan, probabilitas
FROM unggul WHERE terbaik AND sebanyak_terbaik = 1;

-- Otherwise the record cannot tell them apart (a first name alone, a common name and a
-- birth date near both). It goes to verification, as an ambiguous repair does in step 2.
CREATE OR REPLACE TABLE padan_probabilistik_ganda AS
SELECT DISTINCT sumber, id_sumber FROM calon_probabilistik
ANTI JOIN padan_probabilistik USING (sumber, id_sumber);
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


# String tests, not list functions: on every blocked pair a list function cost several
# times a Jaro-Winkler.
SUBSET = (  # one name's words among the other's: a first name only, a word dropped, reordered
    "list_has_all(string_split(nama_baku_l, ' '), string_split(nama_baku_r, ' ')) "
    "OR list_has_all(string_split(nama_baku_r, ' '), string_split(nama_baku_l, ' '))"
)
PANGGILAN = (  # the first or second word of one is a nickname of a word of the other
    "contains(panggilan_r, ' ' || nama_depan_l || ' ') OR contains(panggilan_l, ' ' || nama_depan_r || ' ') "
    "OR (nama_kedua_l <> '' AND contains(panggilan_r, ' ' || nama_kedua_l || ' ')) "
    "OR (nama_kedua_r <> '' AND contains(panggilan_l, ' ' || nama_kedua_r || ' '))"
)
SATU_KATA = (  # the first or second word of one is a word of the other
    "contains(' ' || nama_baku_r || ' ', ' ' || nama_depan_l || ' ') "
    "OR (nama_kedua_l <> '' AND contains(' ' || nama_baku_r || ' ', ' ' || nama_kedua_l || ' '))"
)


def name_comparison() -> cl.CustomComparison:
    """The names module's levels that SQL can say on every blocked pair, strongest first."""
    levels = [
        cll.NullLevel("nama_baku"),
        cll.ExactMatchLevel("nama_baku", term_frequency_adjustments=True).configure(label_for_charts="SAMA"),
        cll.CustomLevel(SUBSET, label_for_charts="SUBSET"),
        cll.JaroWinklerLevel("nama_baku", MIRIP_AMBANG).configure(label_for_charts="MIRIP"),
        cll.CustomLevel(PANGGILAN, label_for_charts="PANGGILAN"),
        cll.JaroWinklerLevel("nama_baku", 0.88).configure(label_for_charts="MIRIP_JAUH"),
        cll.CustomLevel(SATU_KATA, label_for_charts="SATU_KATA_SAMA"),
        cll.JaroWinklerLevel("nama_baku", 0.7).configure(label_for_charts="AGAK_MIRIP"),
        cll.ElseLevel().configure(label_for_charts="BEDA"),
    ]
    return cl.CustomComparison(levels, output_column_name="nama_baku")  # type: ignore[arg-type]


def comparisons() -> list:
    return [
        name_comparison(),
        birth_date_comparison(),
        cl.ExactMatch("jenis_kelamin"),
        place_comparison(),
    ]


def place_comparison() -> cl.CustomComparison:
    """The family card, then the village, as one comparison: a family lives in one village,
    so counting both would count the same evidence twice. A record without a usable NIK
    still carries its KK: in the right KK a name and birth date are nearly proof, wherever
    the family moved."""
    levels = [
        cll.CustomLevel("no_kk_l = no_kk_r", label_for_charts="KK_SAMA"),
        cll.ExactMatchLevel("kode_desa").configure(label_for_charts="DESA_SAMA"),
        cll.ElseLevel().configure(label_for_charts="BEDA"),
    ]
    return cl.CustomComparison(levels, output_column_name="kode_desa")  # type: ignore[arg-type]


def blocking_rules() -> list:
    return [
        block_on("kode_desa", "tahun_lahir"),
        block_on("kode_kec", "nama_depan"),
        block_on("tgl_lahir", "nama_depan"),
        block_on("no_kk"),
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


def m_from_nik_links(db: DuckDBAPI) -> dict:
    """A model whose m (how often true matches agree) is counted on the NIK step's links, and
    whose u (how often strangers do) is sampled from the same records against the registry."""
    contoh, penduduk = db.register("splink_contoh"), db.register("splink_penduduk")
    trainer = Linker([contoh, penduduk], settings(), log_level=logging.WARNING)
    aliases = list(trainer._input_tables_dict)
    db._execute_sql_against_backend(
        f"CREATE OR REPLACE TABLE label_contoh AS SELECT '{aliases[0]}' AS source_dataset_l, unique_id AS unique_id_l, "
        f"'{aliases[1]}' AS source_dataset_r, nik_label AS unique_id_r FROM contoh_nik"
    )
    trainer.training.estimate_m_from_pairwise_labels("label_contoh")
    trainer.training.estimate_u_using_random_sampling(max_pairs=2e6)
    return with_unseen_levels(trainer.misc.save_model_to_json(), len_labels(db))


def len_labels(db: DuckDBAPI) -> int:
    return db._execute_sql_against_backend("SELECT count(*) FROM contoh_nik").fetchall()[0][0]


def with_unseen_levels(model: dict, labels: int) -> dict:
    """A level no labelled pair fell in (a name no rule relates, another sex) has no m, and
    Splink would score it as no evidence: give it half a pair's share instead, so that it
    counts against a match as strongly as the labels allow."""
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level") and level.get("m_probability") is None:
                level["m_probability"] = 0.5 / max(labels, 1)
    return model


def with_prior(tables: list, model: Path | dict) -> Linker:
    """The model's m and u, with the prior (how likely two random records match) estimated on
    these records; where they give no estimate (a handful of records), the model's stays."""
    linker = Linker(tables, model if isinstance(model, dict) else str(model), log_level=logging.WARNING)
    stored_prior = linker._settings_obj._probability_two_random_records_match
    try:
        linker.training.estimate_probability_two_random_records_match(PRIOR_RULES, recall=0.9)
    except Exception:
        pass
    # No pair agreeing on village and birth date: Splink estimates a prior of 0, which no
    # pair can overcome (its weight is -inf). Keep the model's.
    if not 0 < linker._settings_obj._probability_two_random_records_match < 1:
        linker._settings_obj._probability_two_random_records_match = stored_prior
    return linker


def match_probabilistic(con: duckdb.DuckDBPyConnection, model_out: Path | None = None) -> dict:
    """Link the records the NIK steps left into `padan_probabilistik`; say what was done.

    The model's m is counted on this run's NIK links (labelled pairs), u sampled, the prior
    estimated on the records left. Too few NIK links to count on (a small delivery, a re-run
    of one province): the stored model (`model_cadangan` in padan.json, from a national run)
    gives m and u instead, and the result says so. The model used is written to `model_out`.
    """
    config = json.loads(CONFIG.read_text())
    threshold = config["ambang_probabilistik"]
    con.execute(SISA_SQL)
    con.execute(REGISTRY_SQL)
    run_sql(con, LABELS_SQL, {"contoh": config["contoh_tautan_nik"]})
    run_sql(con, PANGGILAN_SQL)
    left = con.execute("SELECT count(*) FROM splink_sisa").fetchall()[0][0]
    result = {"catatan": left, "ambang": threshold}
    if left == 0:
        choose_links(con, NO_PREDICTIONS, threshold)
        return result | {"dilatih": False, "model": None}
    logging.getLogger("splink").setLevel(logging.WARNING)
    db = DuckDBAPI(con)
    labels = con.execute("SELECT count(*) FROM splink_contoh").fetchall()[0][0]
    model: Path | dict
    if labels >= config["minimum_tautan_nik_untuk_model"]:
        model = m_from_nik_links(db)
        result |= {"dilatih": True, "model": "dilatih", "tautan_nik_untuk_m": labels}
    else:
        model = CONFIG.parent / config["model_cadangan"]
        reason = f"terlalu sedikit tautan NIK untuk menaksir m ({labels})"
        result |= {"dilatih": False, "model": config["model_cadangan"], "alasan": reason}
    linker = with_prior([db.register("splink_sisa"), db.register("splink_penduduk")], model)
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    choose_links(con, predictions.physical_name, threshold)
    if model_out is not None:
        linker.misc.save_model_to_json(str(model_out), overwrite=True)
    return result
