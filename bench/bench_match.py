"""Matching side by side on one standardized run: the pipeline (NIK exact, NIK repair,
Splink on the rest), Splink alone on every record, and a naive exact-NIK join.

    .venv/bin/python bench/bench_match.py --run var/runs/<run_id> --truth <delivery>/truth

Prints time and precision/recall/F1 of each, as a Markdown table for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import duckdb
import splink.comparison_library as cl
from splink import Linker, SettingsCreator, block_on
from splink.backends.duckdb import DuckDBAPI

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from transforms import match  # noqa: E402
from transforms.match.akurasi import accuracy  # noqa: E402
from transforms.match.probabilistic import (  # noqa: E402
    RECORD_COLUMNS,
    blocking_rules,
    compared_tables,
    comparisons,
    match_probabilistic,
)
from transforms.standardize import RunPaths  # noqa: E402


def fresh(run: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    match.prepare(con)
    match.load_records(con, RunPaths(run))
    return con


def score(con: duckdb.DuckDBPyConnection, links_sql: str, tmp: Path, truth: Path) -> dict:
    out = tmp / "tautan.parquet"
    con.execute(f"""COPY (SELECT c.sumber, c.id_sumber, l.nik,
                          CASE WHEN l.nik IS NULL THEN 'TIDAK_PADAN' ELSE 'X' END AS metode_padan
                          FROM catatan c LEFT JOIN ({links_sql}) l USING (sumber, id_sumber))
                    TO '{out}' (FORMAT parquet)""")
    return accuracy(out, truth)["keseluruhan"]


def pipeline(run: Path, tmp: Path, truth: Path) -> tuple[float, dict]:
    con = fresh(run)
    steps = {}
    for name, step in (
        ("NIK exact", match.match_nik_exact),
        ("NIK repair", match.match_nik_repair),
        ("probabilistic", match_probabilistic),
    ):
        t = time.perf_counter()
        step(con)
        steps[name] = time.perf_counter() - t
    seconds = sum(steps.values())
    print("steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in steps.items()), file=sys.stderr)
    links = (
        "SELECT sumber, id_sumber, nik FROM padan_nik_exact UNION ALL SELECT sumber, id_sumber, nik "
        "FROM padan_nik_repair UNION ALL SELECT sumber, id_sumber, nik FROM padan_probabilistik"
    )
    r = score(con, links, tmp, truth)
    match.record_outcomes(con)
    reasons = con.execute("SELECT alasan, count(*) FROM verifikasi_padan GROUP BY ALL ORDER BY 2 DESC").fetchall()
    print("verification: " + ", ".join(f"{a} {n:,}" for a, n in reasons), file=sys.stderr)
    # The target: no record with its own correct NIK, birth date and sex sent to verification
    # for its name alone.
    alone = con.execute(
        """SELECT count(*) FROM verifikasi_padan v
           JOIN bukti_nik b USING (sumber, id_sumber)
           JOIN read_parquet($truth) t USING (sumber, id_sumber)
           WHERE t.nik_benar = b.nik AND b.tgl_lahir = 'SAMA' AND b.jenis_kelamin = 'SAMA'""",
        {"truth": str(truth)},
    ).fetchall()[0][0]
    print(f"own correct NIK, birth date and sex, yet to verification: {alone:,}", file=sys.stderr)
    return seconds, r


def exact_only(run: Path, tmp: Path, truth: Path) -> tuple[float, dict]:
    con = fresh(run)
    t = time.perf_counter()
    con.execute("CREATE TABLE naive AS SELECT c.sumber, c.id_sumber, p.nik FROM catatan c JOIN penduduk p USING (nik)")
    return time.perf_counter() - t, score(con, "SELECT * FROM naive", tmp, truth)


def splink_alone(run: Path, tmp: Path, truth: Path) -> tuple[float, dict]:
    """Every record through Splink, the NIK one more comparison (what a Splink-only build does)."""
    con = fresh(run)
    t = time.perf_counter()
    # The pipeline's Splink columns (name levels included), and the NIK as one more.
    con.execute(
        f"CREATE TABLE splink_sisa AS SELECT {RECORD_COLUMNS}, c.nik FROM catatan c WHERE c.nama_baku IS NOT NULL"
    )
    con.execute("CREATE TABLE splink_contoh AS SELECT * FROM splink_sisa LIMIT 0")
    compared_tables(con, None)
    con.execute("CREATE OR REPLACE TABLE splink_penduduk AS SELECT *, unique_id AS nik FROM splink_penduduk")
    con.execute("ALTER TABLE splink_sisa RENAME TO kiri")
    con.execute("ALTER TABLE splink_penduduk RENAME TO kanan")
    s = SettingsCreator(
        link_type="link_only",
        comparisons=[cl.ExactMatch("nik"), *comparisons()],
        blocking_rules_to_generate_predictions=[block_on("nik"), *blocking_rules()],
        retain_intermediate_calculation_columns=False,
    )
    logging.getLogger("splink").setLevel(logging.WARNING)
    db = DuckDBAPI(con)
    linker = Linker([db.register("kiri"), db.register("kanan")], s)
    linker.training.estimate_probability_two_random_records_match([block_on("nik")], recall=0.9)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6)
    # The same two EM passes as the pipeline's Splink step (probabilistic.train).
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("kode_desa", "tahun_lahir"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("tgl_lahir", "nama_depan"))
    pred = linker.inference.predict(threshold_match_probability=0.9)
    con.execute(f"""CREATE TABLE sp AS SELECT split_part(unique_id_l, ':', 1) AS sumber,
        substr(unique_id_l, strpos(unique_id_l, ':') + 1) AS id_sumber, unique_id_r AS nik FROM {pred.physical_name}
        QUALIFY row_number() OVER (PARTITION BY unique_id_l ORDER BY match_probability DESC, unique_id_r) = 1""")
    return time.perf_counter() - t, score(con, "SELECT * FROM sp", tmp, truth)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", type=Path, required=True)
    ap.add_argument("--truth", type=Path, required=True)
    ap.add_argument("--only", choices=("pipeline", "exact", "splink"), help="run one of the three")
    a = ap.parse_args()
    tmp = a.run / "bench_match"
    tmp.mkdir(exist_ok=True)
    truth = a.truth / "tautan.parquet"
    print("| method | seconds | links | wrong | precision | recall | F1 |\n|---|---|---|---|---|---|---|")
    for key, name, fn in (
        ("pipeline", "pipeline (NIK exact, repair, Splink on the rest)", pipeline),
        ("exact", "exact NIK join only", exact_only),
        ("splink", "Splink alone, every record", splink_alone),
    ):
        if a.only and key != a.only:
            continue
        seconds, r = fn(a.run, tmp, truth)
        print(
            f"| {name} | {seconds:.1f} | {r['tautan']:,} | {r['salah']:,} | {r['precision']:.5f} | "
            f"{r['recall']:.5f} | {r['f1']:.5f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
