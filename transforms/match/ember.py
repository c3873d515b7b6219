"""Matching in buckets: the NIK steps split so that no task holds the whole country.

A decision is taken where all its inputs meet:

1. `shuffle`: every source record goes to the bucket of its NIK (`hash(nik) % B`; a record
   without one, to the bucket of its id), every registry person to the bucket of their NIK
   and, in a second copy, to the bucket of their KK. The NIK's first digits say where it was
   first registered, not where the person lives: a hash of the whole NIK brings a record
   and its NIK's holder together wherever each of them is.
2. `exact_bucket` (per NIK bucket): each record with its NIK's holder and the evidence
   (`pasangan_nik`, the first statement of nik_exact.sql), sent on to the bucket of the
   holder's KK.
3. `family_bucket` (per KK bucket): the family check (a family member fits better than the
   holder) meets the holder's whole family there, and the decision is taken (`bukti_nik`,
   the rest of nik_exact.sql), sent back to the record's NIK bucket.
4. `leftover_bucket` (per NIK bucket): the records linked by NIK_EXACT leave with their
   outcome; the others (a few percent) go on with their evidence, and a hash sample of the
   links (every k-th, k from the national count) is kept for the Splink model's m.
5. `national` (one task): the repair step and Splink on the records left, against the whole
   registry, with the same model for every record; their outcomes, and the outcomes of all
   records in one file.

B is the number of partitions of the run; with one partition, every step runs once over
everything, and the result is the same: no decision depends on which bucket a row was in.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from transforms.engine import copy_atomic, one_row, run_statement, sql_path, statements
from transforms.standardize import RunPaths

SQL = Path(__file__).parent / "sql"

# Where the buckets live, under the run's matched/.
KERJA = "kerja"


def work(paths: RunPaths, buckets: int) -> Path:
    """The buckets' files, one folder per number of buckets: a resumed run with another
    number finds nothing of the first's."""
    return paths.run_dir / "matched" / KERJA / f"B{buckets}"


def write_buckets(
    con: duckdb.DuckDBPyConnection, select_sql: str, out: Path, buckets: int, params: dict | None = None
) -> None:
    """`select_sql` (with an `ember` column) as one folder per bucket, `out/ember=<k>/`, every
    bucket there (an empty one as an empty file): a reader's glob always finds its bucket.
    `out` is one writer's folder (`<table>/dari=<writer>`), replaced whole on a re-run."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    con.execute(
        f"COPY ({select_sql}) TO '{sql_path(out)}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (ember))",
        params or None,
    )
    for k in range(buckets):
        if not (out / f"ember={k}").exists():
            empty = f"SELECT * EXCLUDE (ember) FROM ({select_sql}) LIMIT 0"
            copy_atomic(con, empty, out / f"ember={k}" / "kosong.parquet", params)


def bucket(table: Path, k: int) -> str:
    """Bucket k of a table, from every writer (`<table>/dari=*/ember=<k>/`)."""
    return str(table / "dari=*" / f"ember={k}" / "*.parquet")


def read(glob: str) -> str:
    """A FROM clause for a bucket's files: the folder names are not columns."""
    return f"read_parquet('{sql_path(glob)}', hive_partitioning = false, union_by_name = true)"


def _nik_exact_statements() -> tuple[str, list[str]]:
    """nik_exact.sql: its first statement (each record with its NIK's holder) and the rest
    (the family check, the decision, the links)."""
    first, *rest = statements((SQL / "nik_exact.sql").read_text())
    return first, rest


def _table(con: duckdb.DuckDBPyConnection, name: str, glob: str) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {read(glob)}")


def shuffle(con: duckdb.DuckDBPyConnection, paths: RunPaths, buckets: int) -> int:
    """Records by NIK bucket; the registry by NIK bucket and by KK bucket. Returns the records."""
    from transforms.match import record_views

    record_views(con, paths)
    out = work(paths, buckets)
    key = "coalesce(nik, sumber || ':' || id_sumber)"
    write_buckets(
        con, f"SELECT *, hash({key}) % {buckets} AS ember FROM catatan_masuk", out / "catatan" / "dari=0", buckets
    )
    write_buckets(
        con, f"SELECT *, hash(nik) % {buckets} AS ember FROM penduduk_masuk", out / "penduduk_nik" / "dari=0", buckets
    )
    write_buckets(
        con, f"SELECT *, hash(no_kk) % {buckets} AS ember FROM penduduk_masuk", out / "penduduk_kk" / "dari=0", buckets
    )
    return one_row(con, "SELECT count(*) FROM catatan_masuk")[0]


def exact_bucket(con: duckdb.DuckDBPyConnection, paths: RunPaths, b: int, buckets: int) -> int:
    """One NIK bucket: each record with its NIK's holder and the evidence, sent with the
    record's own fields to the bucket of the holder's KK. Returns the pairs."""
    out = work(paths, buckets)
    _table(con, "catatan", bucket(out / "catatan", b))
    _table(con, "penduduk", bucket(out / "penduduk_nik", b))
    first, _ = _nik_exact_statements()
    run_statement(con, first)
    to_kk = f"hash(p.kk_pemegang) % {buckets} AS ember"
    write_buckets(con, f"SELECT p.*, {to_kk} FROM pasangan_nik p", out / "pasangan" / f"dari={b}", buckets)
    write_buckets(
        con,
        f"SELECT c.*, {to_kk} FROM catatan c JOIN pasangan_nik p USING (sumber, id_sumber)",
        out / "catatan_kk" / f"dari={b}",
        buckets,
    )
    return one_row(con, "SELECT count(*) FROM pasangan_nik")[0]


def family_bucket(con: duckdb.DuckDBPyConnection, paths: RunPaths, k: int, buckets: int) -> int:
    """One KK bucket: the family check against the holder's whole family, and the decision
    (`bukti_nik`), sent back to the record's NIK bucket. Returns the records linked."""
    from transforms.match import config

    out = work(paths, buckets)
    _table(con, "pasangan_nik", bucket(out / "pasangan", k))
    _table(con, "catatan", bucket(out / "catatan_kk", k))
    _table(con, "penduduk", bucket(out / "penduduk_kk", k))
    _, rest = _nik_exact_statements()
    for statement in rest:
        run_statement(con, statement, {"ambang": config()["ambang_poin_nik"]})
    write_buckets(con, f"SELECT *, hash(nik) % {buckets} AS ember FROM bukti_nik", out / "bukti" / f"dari={k}", buckets)
    return one_row(con, "SELECT count(*) FROM bukti_nik WHERE diterima")[0]


def leftover_bucket(con: duckdb.DuckDBPyConnection, paths: RunPaths, b: int, buckets: int, every: int) -> dict:
    """One NIK bucket after the decisions: the NIK_EXACT links with their outcome, the records
    left with the evidence about them, and every `every`-th link as a label for Splink's m."""
    from transforms.match.probabilistic import SAMPLED_LINKS_SQL

    out = work(paths, buckets)
    _table(con, "catatan", bucket(out / "catatan", b))
    _table(con, "bukti_nik", bucket(out / "bukti", b))
    _, rest = _nik_exact_statements()
    run_statement(con, rest[-1])  # the view padan_nik_exact
    copy_atomic(
        con,
        "SELECT c.sumber, c.id_sumber, e.nik, e.metode_padan, e.probabilitas, c.kode_prov "
        "FROM padan_nik_exact e JOIN catatan c USING (sumber, id_sumber)",
        out / "tautan_nik" / f"ember={b}.parquet",
    )
    copy_atomic(
        con,
        "SELECT * FROM catatan ANTI JOIN padan_nik_exact USING (sumber, id_sumber)",
        out / "sisa" / f"ember={b}.parquet",
    )
    copy_atomic(con, "SELECT * FROM bukti_nik WHERE NOT diterima", out / "bukti_sisa" / f"ember={b}.parquet")
    copy_atomic(con, SAMPLED_LINKS_SQL, out / "contoh" / f"ember={b}.parquet", {"tiap_ke": every})
    return {"tautan_nik": one_row(con, "SELECT count(*) FROM padan_nik_exact")[0]}


def every_kth(linked: int) -> int:
    """One NIK_EXACT link in k is a label for Splink's m (as `probabilistic.EVERY_KTH_SQL`)."""
    from transforms.match import config

    return max(linked // max(config()["contoh_tautan_nik"], 1), 1)


def national(con: duckdb.DuckDBPyConnection, paths: RunPaths, buckets: int, records: int) -> dict:
    """The records the NIK buckets left, against the whole registry: the repair step, Splink,
    their outcomes; then every record's outcome in one file. Returns the stage's counts."""
    from transforms import match
    from transforms.match.probabilistic import match_probabilistic

    out, matched = work(paths, buckets), paths.run_dir / "matched"
    match.record_views(con, paths)
    con.execute("CREATE OR REPLACE VIEW penduduk AS SELECT * FROM penduduk_masuk")
    _table(con, "catatan", str(out / "sisa" / "*.parquet"))
    _table(con, "bukti_nik", str(out / "bukti_sisa" / "*.parquet"))
    _table(con, "tautan_contoh", str(out / "contoh" / "*.parquet"))
    _, rest = _nik_exact_statements()
    run_statement(con, rest[-1])  # padan_nik_exact: none among the records left
    match.match_nik_repair(con)
    model = match_probabilistic(con, model_out=matched / "model_splink.json")
    match.record_outcomes(con)
    copy_atomic(
        con,
        f"SELECT * FROM tautan_sumber UNION ALL BY NAME SELECT * FROM {read(str(out / 'tautan_nik' / '*.parquet'))} "
        "ORDER BY kode_prov, sumber, id_sumber",
        matched / "tautan_sumber.parquet",
    )
    copy_atomic(
        con, "SELECT * FROM verifikasi_padan ORDER BY kode_prov, sumber, id_sumber", matched / "verifikasi.parquet"
    )
    _table(con, "tautan_sumber", str(matched / "tautan_sumber.parquet"))
    return match.outcome_counts(con, records) | {"model_probabilistik": model}
