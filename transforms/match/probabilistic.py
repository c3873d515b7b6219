"""Step 3, PROBABILISTIC: what the NIK steps left, linked by Splink (Fellegi-Sunter).

Records left over are compared with the registry on name, birth date, sex and place (the
family card, else the village), within blocks that keep the pairs few: same village, birth
year and sex; same district, first name and birth month; same birth date and first name; same
KK. The name levels
are the names module's (transforms/names) where SQL can say them on every pair: the same
standardized name (term-frequency adjusted), one name inside the other, close spelling, a word
that is a nickname of the other's word, a word in common. How often true matches agree (m)
is counted on a sample of the run's NIK_EXACT links (labelled pairs), not guessed by EM; how
often strangers agree (u) is sampled; the prior is estimated on the records left. A record
whose NIK step refused its NIK's holder is compared with everybody but that holder. Each
record takes the one registry person above the configured threshold; of several, the one in
the record's own KK, else its village, else with its exact birth date, when that one alone
is. The model used is returned so the run can keep it."""

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

from transforms.engine import copy_atomic, run_sql, sql_path
from transforms.match import CONFIG
from transforms.names import MIRIP_AMBANG

# The name and its first two words between spaces, once per record: the comparisons are
# substring tests on every blocked pair, and building the padded strings per pair doubled them.
PADDED = """' ' || {n} || ' ' AS teks_p, ' ' || split_part({n}, ' ', 1) || ' ' AS depan_p,
    CASE WHEN split_part({n}, ' ', 2) = '' THEN NULL ELSE ' ' || split_part({n}, ' ', 2) || ' ' END AS kedua_p"""

# What Splink compares, for a source record (`c`, from `catatan`).
RECORD_COLUMNS = """c.sumber || ':' || c.id_sumber AS unique_id, c.nama_baku, c.tgl_lahir, c.jenis_kelamin,
    c.kode_desa, left(c.kode_desa, 6) AS kode_kec, year(c.tgl_lahir) AS tahun_lahir,
    split_part(c.nama_baku, ' ', 1) AS nama_depan, {padded}, c.no_kk""".format(padded=PADDED.format(n="c.nama_baku"))

SISA_SQL = f"""
CREATE OR REPLACE TABLE splink_sisa AS
SELECT {RECORD_COLUMNS}
FROM catatan c
LEFT JOIN bukti_nik b ON b.sumber = c.sumber AND b.id_sumber = c.id_sumber
ANTI JOIN padan_nik_repair r ON r.sumber = c.sumber AND r.id_sumber = c.id_sumber
WHERE c.nama_baku IS NOT NULL
  AND NOT coalesce(b.diterima, false)  -- linked by step 1 (padan_nik_exact)
  -- A well-formed NIK that is nobody's and not one edit from anybody's is a record of
  -- nobody (a ghost) far more often than a typo: those go to verification, not to Splink.
  -- A registry NIK whose holder does not fit is often a family member's: Splink looks.
  AND NOT (c.nik_cacat IS NULL AND length(c.nik) = 16 AND b.id_sumber IS NULL)
"""

# Records the NIK step linked, as labelled pairs: how often true matches agree (m) is read
# off them instead of guessed by EM, which on the hard residue converged on "same village,
# born the same year" rather than on the same person. Grain: one row per sampled link.
# Every k-th link by a hash of its id: a sample that depends neither on row order nor on
# which bucket a link was decided in (ember.py takes it per bucket with the national k).
SAMPLED_LINKS_SQL = """
SELECT c.*, e.nik AS nik_label
FROM padan_nik_exact e
JOIN catatan c ON c.sumber = e.sumber AND c.id_sumber = e.id_sumber
WHERE hash(e.sumber, e.id_sumber) % $tiap_ke = 0 AND c.nama_baku IS NOT NULL
"""


def every_kth(records: int, contoh: int) -> int:
    """One record in k, for about `contoh` links: k from the records, which the NIK buckets
    (ember.py) know before any of them has decided a link."""
    return max(records // max(contoh, 1), 1)


LABELS_SQL = f"""
CREATE OR REPLACE TABLE contoh_nik AS
SELECT {RECORD_COLUMNS}, c.nik_label
FROM tautan_contoh c;

CREATE OR REPLACE TABLE splink_contoh AS SELECT * EXCLUDE (nik_label) FROM contoh_nik;
"""


# The nicknames of every word among a name's first three, in the registry and in the records
# compared (splink_sisa, splink_contoh): the rule (transforms/names) runs once per distinct word.
BENTUK_KATA_SQL = """
CREATE OR REPLACE TEMP TABLE bentuk_kata AS
WITH kata AS (
    SELECT DISTINCT unnest([split_part(nama_baku, ' ', 1), split_part(nama_baku, ' ', 2),
        split_part(nama_baku, ' ', 3)]) AS kata
    FROM (SELECT nama_baku FROM penduduk UNION ALL SELECT nama_baku FROM splink_sisa
        UNION ALL SELECT nama_baku FROM splink_contoh)
), bentuk AS (
    SELECT kata, nama_bentuk_panggilan(kata) AS bentuk FROM kata WHERE kata <> ''
)
SELECT kata, list_aggregate(bentuk, 'string_agg', ' ') AS bentuk FROM bentuk WHERE len(bentuk) > 0
"""

# A name's nicknames as one padded string (' WATI MAWATI '), so that the comparison is a
# substring test; `t` is the table, `n` its standardized name.
PANGGILAN = "' ' || concat_ws(' ', b1.bentuk, b2.bentuk, b3.bentuk) || ' ' AS panggilan"
GABUNG_PANGGILAN = " ".join(f"LEFT JOIN bentuk_kata b{i} ON b{i}.kata = split_part({{n}}, ' ', {i})" for i in (1, 2, 3))

# The registry side, with its nicknames, in one pass over the registry.
REGISTRY_SELECT = f"""
SELECT p.nik AS unique_id, p.nama_baku, p.tgl_lahir, p.jenis_kelamin, p.kode_desa,
    left(p.kode_desa, 6) AS kode_kec, year(p.tgl_lahir) AS tahun_lahir, split_part(p.nama_baku, ' ', 1) AS nama_depan,
    {PADDED.format(n="p.nama_baku")}, p.no_kk, {PANGGILAN}
FROM penduduk p {GABUNG_PANGGILAN.format(n="p.nama_baku")}
"""
REGISTRY_SQL = f"CREATE OR REPLACE TABLE splink_penduduk AS {REGISTRY_SELECT}"

# The records compared (few beside the registry) get theirs afterwards.
_GABUNG_T = GABUNG_PANGGILAN.format(n="t.nama_baku")
PANGGILAN_SQL = f"""
CREATE OR REPLACE TABLE splink_sisa AS SELECT t.*, {PANGGILAN} FROM splink_sisa t {_GABUNG_T};
CREATE OR REPLACE TABLE splink_contoh AS SELECT t.*, {PANGGILAN} FROM splink_contoh t {_GABUNG_T};
"""


def compared_tables(con: duckdb.DuckDBPyConnection, work: Path | None) -> None:
    """After `splink_sisa` and `splink_contoh`: everyone's nicknames, the registry side, and
    the records' nicknames. With `work`, the registry side is written once to a file there
    and read through a view: at 10M persons it is gigabytes that Splink reads a few columns
    of at a time, and held as a table it made the step spill."""
    run_sql(con, BENTUK_KATA_SQL)
    if work is None:
        run_sql(con, REGISTRY_SQL)
    else:
        out = work / "splink_penduduk.parquet"
        copy_atomic(con, REGISTRY_SELECT, out)
        con.execute(f"CREATE OR REPLACE TEMP VIEW splink_penduduk AS SELECT * FROM read_parquet('{sql_path(out)}')")
    run_sql(con, PANGGILAN_SQL)


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
SUBSET = "contains(teks_p_l, teks_p_r) OR contains(teks_p_r, teks_p_l)"  # a first name only, a word dropped
PANGGILAN = (  # the first or second word of one is a nickname of a word of the other
    "contains(panggilan_r, depan_p_l) OR contains(panggilan_l, depan_p_r) "
    "OR contains(panggilan_r, kedua_p_l) OR contains(panggilan_l, kedua_p_r)"
)
SATU_KATA = "contains(teks_p_r, depan_p_l) OR contains(teks_p_r, kedua_p_l)"  # a word of one is the other's


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
        cll.CustomLevel(
            "(no_kk_l IS NULL OR no_kk_r IS NULL) AND (kode_desa_l IS NULL OR kode_desa_r IS NULL)",
            label_for_charts="KOSONG",
        ).configure(is_null_level=True),
        cll.CustomLevel("no_kk_l = no_kk_r", label_for_charts="KK_SAMA"),
        cll.ExactMatchLevel("kode_desa").configure(label_for_charts="DESA_SAMA"),
        cll.ElseLevel().configure(label_for_charts="BEDA"),
    ]
    return cl.CustomComparison(levels, output_column_name="kode_desa")  # type: ignore[arg-type]


def blocking_rules() -> list:
    # A pair of another sex scores as strangers (its m is M_UNSEEN), so the village block
    # needs none; a common first name (MUHAMMAD, SITI) in a district made 1.1 million pairs
    # at 1M persons, the birth month cuts them tenfold (neither lost a link at 1M).
    return [
        block_on("kode_desa", "tahun_lahir", "jenis_kelamin"),
        block_on("kode_kec", "nama_depan", "month(tgl_lahir)"),
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
    """A model whose m (how often true matches agree) is counted on the NIK step's links: the
    sampled records against their registry persons, nobody else (m needs only the pairs)."""
    db._execute_sql_against_backend(
        "CREATE OR REPLACE TABLE splink_label_penduduk AS SELECT * FROM splink_penduduk "
        "WHERE unique_id IN (SELECT nik_label FROM contoh_nik)"
    )
    contoh, penduduk = db.register("splink_contoh"), db.register("splink_label_penduduk")
    trainer = Linker([contoh, penduduk], settings(), log_level=logging.WARNING)
    aliases = list(trainer._input_tables_dict)
    db._execute_sql_against_backend(
        f"CREATE OR REPLACE TABLE label_contoh AS SELECT '{aliases[0]}' AS source_dataset_l, unique_id AS unique_id_l, "
        f"'{aliases[1]}' AS source_dataset_r, nik_label AS unique_id_r FROM contoh_nik"
    )
    trainer.training.estimate_m_from_pairwise_labels("label_contoh")
    return with_unseen_levels(trainer.misc.save_model_to_json())


# How often true matches fall in a level no labelled pair fell in: as rare as the rarest level
# set by hand (a birth date more than ten years off). The labels are links the NIK step chose
# because they agreed, so never seeing a level there does not mean true matches never show it.
M_UNSEEN = 0.001


def with_unseen_levels(model: dict) -> dict:
    """A level no labelled pair fell in (another sex, a name no rule relates) has no m, and
    Splink would score it as no evidence: give it M_UNSEEN, a strong but not absolute veto."""
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level") and level.get("m_probability") is None:
                level["m_probability"] = M_UNSEEN
    return model


# Fewer possible pairs than this and a random sample cannot see how rarely strangers agree.
MIN_PAIRS_FOR_U = 1_000_000

# Random pairs to sample u on. Splink stops a comparison once each of its levels was seen 100
# times, so more pairs help only the rarest level (the same KK): at 1M persons the u of 1e6
# and of 2e6 pairs differ from those of 1e7 by at most 0.6 bits each, and 1e6 takes 0.6 s less.
U_PAIRS = 1_000_000


def estimate_u(linker: Linker) -> None:
    """u from U_PAIRS random pairs, without Splink's warning that this is its default value."""
    training = logging.getLogger("splink.internals.linker_components.training")
    level = training.level
    training.setLevel(logging.ERROR)
    try:
        linker.training.estimate_u_using_random_sampling(max_pairs=U_PAIRS)
    finally:
        training.setLevel(level)


def with_stored_u(model: dict, stored: Path) -> dict:
    """u (how often strangers agree) from the stored model, level by level, for a model whose
    m was counted here but whose records are too few to sample u on."""
    known = {
        (c["output_column_name"], lv["sql_condition"]): lv.get("u_probability")
        for c in json.loads(stored.read_text())["comparisons"]
        for lv in c["comparison_levels"]
    }
    for c in model["comparisons"]:
        for lv in c["comparison_levels"]:
            if lv.get("u_probability") is None:
                lv["u_probability"] = known.get((c["output_column_name"], lv["sql_condition"]))
    return model


def with_prior(tables: list, model: Path | dict, pairs: int) -> Linker:
    """The model's m, with u (how often strangers agree) sampled from these records against
    the registry when there are pairs enough, and the prior (how likely two random records
    match) estimated on them; where they give no estimate, the model's value stays."""
    linker = Linker(tables, model if isinstance(model, dict) else str(model), log_level=logging.WARNING)
    stored_prior = linker._settings_obj._probability_two_random_records_match
    estimates = [lambda: linker.training.estimate_probability_two_random_records_match(PRIOR_RULES, recall=0.9)]
    if pairs >= MIN_PAIRS_FOR_U:
        estimates.append(lambda: estimate_u(linker))
    for estimate in estimates:
        try:
            estimate()
        except Exception:
            pass
    # No pair agreeing on village and birth date: Splink estimates a prior of 0, which no
    # pair can overcome (its weight is -inf). Keep the model's.
    if not 0 < linker._settings_obj._probability_two_random_records_match < 1:
        linker._settings_obj._probability_two_random_records_match = stored_prior
    return linker


def prepare_tables(con: duckdb.DuckDBPyConnection, contoh: int, work: Path | None = None) -> int:
    """`splink_sisa` (the records left); when there are any, `splink_penduduk`, `splink_contoh`
    (up to `contoh` NIK links to count m on, or the sample `tautan_contoh` the buckets took)
    and everyone's nicknames (`compared_tables`, `work`). Returns the records left."""
    con.execute(SISA_SQL)
    left = con.execute("SELECT count(*) FROM splink_sisa").fetchall()[0][0]
    if left:
        if not has_table(con, "tautan_contoh"):  # sampled here, not by the buckets (ember.py)
            every = every_kth(con.execute("SELECT count(*) FROM catatan").fetchall()[0][0], contoh)
            con.execute(f"CREATE OR REPLACE TABLE tautan_contoh AS {SAMPLED_LINKS_SQL}", {"tiap_ke": every})
        run_sql(con, LABELS_SQL)
        compared_tables(con, work)
    return left


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = $n", {"n": name}).fetchall()[0][0])


# Registry persons per chunk of Splink's prediction: each chunk's blocked pairs and the rows
# they name are all a chunk holds (Splink's `predict(num_chunks_right=...)`).
REGISTRY_CHUNK = 2_000_000


def match_probabilistic(
    con: duckdb.DuckDBPyConnection, model_out: Path | None = None, work: Path | None = None
) -> dict:
    """Link the records the NIK steps left into `padan_probabilistik`; say what was done.

    The model's m is counted on this run's NIK links (labelled pairs), u sampled, the prior
    estimated on the records left. Too few NIK links to count on (a small delivery, a re-run
    of one province): the stored model (`model_cadangan` in padan.json, from a national run)
    gives m and u instead, and the result says so. The model used is written to `model_out`.
    """
    config = json.loads(CONFIG.read_text())
    threshold = config["ambang_probabilistik"]
    left = prepare_tables(con, config["contoh_tautan_nik"], work)
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
    registry = con.execute("SELECT count(*) FROM penduduk").fetchall()[0][0]
    pairs = left * registry
    if isinstance(model, dict) and pairs < MIN_PAIRS_FOR_U:
        model = with_stored_u(model, CONFIG.parent / config["model_cadangan"])
    linker = with_prior([db.register("splink_sisa"), db.register("splink_penduduk")], model, pairs)
    chunks = max(1, -(-registry // REGISTRY_CHUNK))
    predictions = linker.inference.predict(
        threshold_match_probability=threshold, num_chunks_left=1, num_chunks_right=chunks
    )
    choose_links(con, predictions.physical_name, threshold)
    if model_out is not None:
        linker.misc.save_model_to_json(str(model_out), overwrite=True)
    return result
