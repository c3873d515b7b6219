"""Matching in buckets: the NIK steps split so that no task holds the whole country.

A decision is taken where all its inputs meet:

1. `shuffle`: every source record goes to the bucket of its NIK (`hash(nik) % B`; a record
   without one, to the bucket of its id), every registry person to the bucket of their NIK
   and, in a second copy, to the bucket of their KK. The NIK's first digits say where it was
   first registered, not where the person lives: a hash of the whole NIK brings a record
   and its NIK's holder together wherever each of them is.
2. `exact_bucket` (per NIK bucket): each record with its NIK's holder and the evidence
   (`pasangan_nik`), kept in the bucket; the records of weak evidence (`pasangan_lemah`, a
   few percent), with their own fields, sent on to the bucket of the holder's KK.
3. `family_bucket` (per KK bucket): those records meet the holder's whole family there;
   where a member fits better than the holder (`saingan_keluarga`), that goes back to the
   record's NIK bucket.
4. `leftover_bucket` (per NIK bucket): the decision (`bukti_nik`); the records linked by
   NIK_EXACT leave with their outcome; the others (a few percent) go on with their evidence,
   and every k-th link is kept as a label for the Splink model's m (k from the number of
   records, known before any bucket decides).
5. `national` (one task): the repair step and Splink on the records left, against the whole
   registry, with the same model for every record; their outcomes, and the outcomes of all
   records in one file.

B comes from the registry's size (`partisi.nik_buckets`); with one bucket the steps read the
standardized tables themselves, without a copy. No decision depends on which bucket a row
was in.
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


class NikExact:
    """nik_exact.sql's statements by name: the buckets run them in different tasks."""

    def __init__(self) -> None:
        (self.pasangan, self.lemah, self.anggota, self.saingan, self.bukti, self.links) = statements(
            (SQL / "nik_exact.sql").read_text()
        )


def _table(con: duckdb.DuckDBPyConnection, name: str, glob: str) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {read(glob)}")


def shuffle(con: duckdb.DuckDBPyConnection, paths: RunPaths, buckets: int) -> int:
    """Records by NIK bucket; the registry by NIK bucket and by KK bucket. Returns the records."""
    from transforms.match import record_views

    record_views(con, paths)
    if buckets == 1:  # one bucket is the standardized tables themselves: no copy (`_shuffled`)
        return one_row(con, "SELECT count(*) FROM catatan_masuk")[0]
    out = work(paths, buckets)
    key = "coalesce(nik, sumber || ':' || id_sumber)"
    for name, select in (
        ("catatan", f"SELECT *, hash({key}) % {buckets} AS ember FROM catatan_masuk"),
        ("penduduk_nik", f"SELECT *, hash(nik) % {buckets} AS ember FROM penduduk_masuk"),
        ("penduduk_kk", f"SELECT *, hash(no_kk) % {buckets} AS ember FROM penduduk_masuk"),
    ):
        write_buckets(con, select, out / name / "dari=0", buckets)
    return one_row(con, "SELECT count(*) FROM catatan_masuk")[0]


def _shuffled(con: duckdb.DuckDBPyConnection, paths: RunPaths, name: str, table: str, k: int, buckets: int) -> None:
    """`name`: bucket k of a table the shuffle wrote (catatan, penduduk_nik, penduduk_kk); with
    one bucket, the standardized tables it would have copied."""
    if buckets == 1:
        from transforms.match import record_views

        record_views(con, paths)
        source = "catatan_masuk" if table == "catatan" else "penduduk_masuk"
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {source}")
        return
    _table(con, name, bucket(work(paths, buckets) / table, k))


def exact_bucket(con: duckdb.DuckDBPyConnection, paths: RunPaths, b: int, buckets: int) -> int:
    """One NIK bucket: each record with its NIK's holder and the evidence (kept here); those
    with weak evidence, and their records' fields, sent to the bucket of the holder's KK.
    Returns the records with weak evidence."""
    out, sql = work(paths, buckets), NikExact()
    _shuffled(con, paths, "catatan", "catatan", b, buckets)
    _shuffled(con, paths, "penduduk", "penduduk_nik", b, buckets)
    run_statement(con, sql.pasangan)
    run_statement(con, sql.lemah)
    copy_atomic(con, "SELECT * FROM pasangan_nik", out / "pasangan" / f"ember={b}.parquet")
    to_kk = f"hash(l.kk_pemegang) % {buckets} AS ember"
    write_buckets(con, f"SELECT l.*, {to_kk} FROM pasangan_lemah l", out / "lemah" / f"dari={b}", buckets)
    write_buckets(
        con,
        f"SELECT c.*, {to_kk} FROM catatan c JOIN pasangan_lemah l USING (sumber, id_sumber)",
        out / "catatan_kk" / f"dari={b}",
        buckets,
    )
    return one_row(con, "SELECT count(*) FROM pasangan_lemah")[0]


def family_bucket(con: duckdb.DuckDBPyConnection, paths: RunPaths, k: int, buckets: int) -> int:
    """One KK bucket: the records of weak evidence against the holder's whole family; where a
    member fits better (`saingan_keluarga`), that goes back to the record's NIK bucket.
    Returns those records."""
    out, sql = work(paths, buckets), NikExact()
    _table(con, "pasangan_lemah", bucket(out / "lemah", k))
    _table(con, "catatan", bucket(out / "catatan_kk", k))
    _shuffled(con, paths, "penduduk", "penduduk_kk", k, buckets)
    run_statement(con, sql.anggota)
    run_statement(con, sql.saingan)
    write_buckets(
        con,
        f"SELECT s.*, hash(l.nik) % {buckets} AS ember FROM saingan_keluarga s "
        "JOIN pasangan_lemah l USING (sumber, id_sumber)",
        out / "saingan" / f"dari={k}",
        buckets,
    )
    return one_row(con, "SELECT count(*) FROM saingan_keluarga")[0]


def leftover_bucket(con: duckdb.DuckDBPyConnection, paths: RunPaths, b: int, buckets: int, every: int) -> dict:
    """One NIK bucket: the decision (`bukti_nik`); the NIK_EXACT links with their outcome, the
    records left with the evidence about them, and every `every`-th link as a label for
    Splink's m."""
    from transforms.match import config
    from transforms.match.probabilistic import SAMPLED_LINKS_SQL

    out, sql = work(paths, buckets), NikExact()
    _shuffled(con, paths, "catatan", "catatan", b, buckets)
    _table(con, "pasangan_nik", str(out / "pasangan" / f"ember={b}.parquet"))
    _table(con, "saingan_keluarga", bucket(out / "saingan", b))
    run_statement(con, sql.bukti, {"ambang": config()["ambang_poin_nik"]})
    run_statement(con, sql.links)
    copy_atomic(
        con,
        "SELECT c.sumber, c.id_sumber, e.nik, e.metode_padan, e.probabilitas, c.kode_prov "
        "FROM padan_nik_exact e JOIN catatan c USING (sumber, id_sumber)",
        out / "tautan_nik" / f"ember={b}.parquet",
    )
    left = "SELECT * FROM catatan ANTI JOIN padan_nik_exact USING (sumber, id_sumber)"
    copy_atomic(con, left, out / "sisa" / f"ember={b}.parquet")
    copy_atomic(con, "SELECT * FROM bukti_nik WHERE NOT diterima", out / "bukti_sisa" / f"ember={b}.parquet")
    copy_atomic(con, SAMPLED_LINKS_SQL, out / "contoh" / f"ember={b}.parquet", {"tiap_ke": every})
    return {"tautan_nik": one_row(con, "SELECT count(*) FROM padan_nik_exact")[0]}


def every_kth(records: int) -> int:
    """One record in k, of those NIK_EXACT links, is a label for Splink's m."""
    from transforms.match import config, probabilistic

    return probabilistic.every_kth(records, config()["contoh_tautan_nik"])


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
    run_statement(con, NikExact().links)  # padan_nik_exact: none among the records left
    match.match_nik_repair(con)
    model = match_probabilistic(con, model_out=matched / "model_splink.json", work=out)
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
