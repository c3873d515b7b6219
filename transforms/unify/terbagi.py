"""Unification by partition: the same five tables as the national `unify`, whatever the split.

A family (registry KK) is decided in one partition, the partition of its KK (`kk_partisi`
in sql/rute.sql: that of the lowest village code on the card), and every input its
decision needs is routed there. Three steps a flow fans out:

1. `route` (national, narrow). A household's `utama` KK and its outcome need all of its
   (household, KK) pairs, which can lie in two provinces (a split family that moved); a
   record's outcome needs the registry person its NIK names, wherever the person lives;
   which verified proposal wins needs every entry for its KK, and a verified new family
   is one more source household. So the pairs (`rumah_tangga_kk`), the households'
   outcomes (`hasil_rumah_tangga`), the records' outcomes (`hasil_catatan`) and the
   proposals' winners are computed here, over narrow columns only (ids, NIK, KK, alive),
   and every row a family's decision reads is written to its partition
   (`<work>/rute/<table>/partisi=<id>/`): the registry members, the pairs, the households'
   attribute rows (to every partition of a KK they reach), the member records (to the
   partition of their person's KK: the same NIK in two provinces' lists meets one registry
   person, so one `individu` row), the feed entries (at the KK they concern, not the village
   they give) and the carried decisions (the same way).
2. `unify_partition` (per partition, the wide work): survivorship, members, families,
   proposals, objections and carried decisions, with the national unify's own steps.
3. `gather`: the partitions' tables and the national outcomes into `unified/<table>.parquet`
   (same columns, same order as `unify.write`) and the manifest's counts (`unify.counts`).

Why the result cannot depend on the split: each decision groups by a key that is also its
routing key (KK, or a household or record decided nationally), and ties are broken by keys.
tests/unify/test_partisi_unify.py holds it against the national `unify`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path

import duckdb

from transforms import partisi
from transforms.engine import copy_atomic, run_sql_file, run_statement, sql_path
from transforms.standardize import RunPaths
from transforms.unify import (
    ORDER,
    SQL,
    decide_families,
    input_params,
    keputusan,
    link_households,
    list_verification,
    proposed_households_sql,
    published_counts,
    read_proposals,
    source_counts,
    source_sql,
    write,
)

KOSONG = "_"  # the partition of the empty file that keeps a routed table's columns
# What each partition writes (`hasil_rumah_tangga`: only the carried families it adds).
PART_TABLES = ("keluarga", "individu", "hasil_usulan", "usulan_terbit", "hasil_rumah_tangga")
# Sorted in each partition, and gathered in the order of the partitions' ids, without a
# national sort: the ids of a plan follow the province codes (transforms/partisi.py).
IN_ORDER = frozenset({"keluarga", "individu"})


def work_dir(run_dir: Path, plan_file: Path, carried: str | None) -> Path:
    """The partitioned unify's files, one folder per plan and carried decisions: a re-run
    with another split never reads a partition of the previous one."""
    material = hashlib.sha256(plan_file.read_bytes() + (carried or "").encode()).hexdigest()
    return run_dir / "unified" / "kerja" / material[:12]


def routes() -> dict[str, str]:
    """Each routed table's SELECT (with its `partisi`), over route's tables."""
    households = f"SELECT * FROM ({source_sql('keluarga_sumber')}) UNION ALL BY NAME SELECT * FROM keluarga_usulan"
    return {
        "penduduk": f"SELECT p.*, k.partisi FROM ({source_sql('penduduk')}) p JOIN kk_partisi k USING (no_kk)",
        "rumah_tangga_kk": "SELECT r.*, k.partisi FROM rumah_tangga_kk r JOIN kk_partisi k USING (no_kk)",
        "keluarga_sumber": f"SELECT s.*, r.partisi FROM ({households}) s "
        "JOIN rute_rumah_tangga r USING (sumber, id_keluarga_sumber)",
        # member records, to their person's KK: the sources that list a person (individu.sumber)
        "anggota": "SELECT a.*, t.nik, t.metode_padan, k.partisi FROM anggota_sumber a "
        "JOIN tautan t USING (sumber, id_sumber) JOIN penduduk p ON p.nik = t.nik "
        "JOIN kk_partisi k ON k.no_kk = p.no_kk",
        # a proposed family's household outcome, to where its proposal is decided
        "hasil_rumah_tangga": "SELECT h.*, r.partisi FROM hasil_rumah_tangga h "
        "JOIN rute_usulan r ON h.sumber = 'USULAN' AND r.id_usulan = h.id_keluarga_sumber",
        "usulan": "SELECT u.*, t.pemenang, t.bertentangan, r.partisi FROM usulan u "
        "LEFT JOIN usulan_terverifikasi t USING (id_usulan) JOIN rute_usulan r USING (id_usulan)",
        # a decision still in the feed goes with its entry; one the feed dropped, to its KK
        "keputusan": "SELECT k.*, coalesce(r.partisi, kk.partisi, partisi_desa(k.kode_desa)) AS partisi "
        "FROM keputusan_lama k LEFT JOIN rute_usulan r USING (id_usulan) LEFT JOIN kk_partisi kk USING (no_kk)",
    }


def _used(sql: str, params: dict) -> dict:
    return {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)}


def write_routed(con: duckdb.DuckDBPyConnection, select_sql: str, out: Path, params: dict) -> None:
    """`select_sql` as one folder per partition, plus an empty file that keeps its columns
    for a partition it has no row for."""
    used = _used(select_sql, params)
    partisi.write_by_partition(con, select_sql, out, used)
    copy_atomic(con, f"SELECT * FROM ({select_sql}) WHERE false", out / f"partisi={KOSONG}" / "kosong.parquet", used)


def route(
    con: duckdb.DuckDBPyConnection, paths: RunPaths, cutoff: dt.date, bawaan: Path | None, plan_file: Path, work: Path
) -> dict:
    """The national, narrow step: households' pairs and outcomes, records' outcomes, the
    proposals' winners; every input of a family's decision written to its partition.
    Returns the counts over all records and households and the partitions that have rows."""
    partisi.load(con, plan_file)
    params = input_params(paths, cutoff)
    run_sql_file(con, SQL / "masukan.sql", params)
    run_statement(
        con,
        f"CREATE OR REPLACE TABLE penduduk AS SELECT nik, no_kk, kode_desa, hidup FROM ({source_sql('penduduk')})",
        params,
    )
    run_statement(
        con,
        f"CREATE OR REPLACE TEMP TABLE keluarga_jenis AS SELECT * FROM ({source_sql('keluarga_sumber')}) LIMIT 0",
        params,
    )
    read_proposals(con, paths)
    con.execute(f"CREATE OR REPLACE TABLE keluarga_usulan AS {proposed_households_sql(con, 'keluarga_jenis')}")
    narrow = "sumber, id_keluarga_sumber, no_kk, kode_desa, kode_prov"
    run_statement(
        con,
        f"CREATE OR REPLACE TABLE keluarga_sumber AS SELECT {narrow} FROM ({source_sql('keluarga_sumber')}) "
        f"UNION ALL SELECT {narrow} FROM keluarga_usulan",
        params,
    )
    keputusan.carry_in(con, bawaan)
    link_households(con)
    run_sql_file(con, SQL / "hasil.sql")
    run_sql_file(con, SQL / "rute.sql")
    for name, select_sql in routes().items():
        write_routed(con, select_sql, work / "rute" / name, params)
    write_national(con, work / "nasional")
    summary = source_counts(con) | {"partisi": routed_partitions(work)}
    (work / "rute.json").write_text(json.dumps(summary))
    return summary


def write_national(con: duckdb.DuckDBPyConnection, out: Path) -> None:
    """What gather needs of the national outcomes: every household's, and the records sent
    to verification with the household row that places them."""
    copy_atomic(con, "SELECT * FROM hasil_rumah_tangga", out / "hasil_rumah_tangga.parquet")
    checked = "SELECT * FROM hasil_catatan WHERE hasil IN ('MENINGGAL', 'TANPA_KK')"
    copy_atomic(con, checked, out / "hasil_catatan.parquet")
    copy_atomic(
        con,
        f"SELECT * FROM anggota_sumber SEMI JOIN ({checked}) USING (sumber, id_sumber)",
        out / "anggota_sumber.parquet",
    )


def routed_partitions(work: Path) -> list[str]:
    return sorted({d.name.removeprefix("partisi=") for d in (work / "rute").glob("*/partisi=*")} - {KOSONG})


def _read_routed(con: duckdb.DuckDBPyConnection, work: Path, table: str, name: str, part: str, select: str) -> None:
    con.execute(
        f"CREATE OR REPLACE TABLE {table} AS SELECT {select} "
        "FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false) WHERE partisi = $part",
        {"files": str(work / "rute" / name / "*" / "*.parquet"), "part": part},
    )


def load_partition(con: duckdb.DuckDBPyConnection, work: Path, part: str) -> None:
    """One partition's inputs, as the tables the national unify's steps read."""
    for table in ("penduduk", "rumah_tangga_kk", "keluarga_sumber", "hasil_rumah_tangga"):
        _read_routed(con, work, table, table, part, "* EXCLUDE (partisi)")
    _read_routed(con, work, "anggota_sumber", "anggota", part, "* EXCLUDE (partisi, nik, metode_padan)")
    _read_routed(con, work, "tautan", "anggota", part, "sumber, id_sumber, nik, metode_padan")
    _read_routed(con, work, "usulan_terverifikasi", "usulan", part, "* EXCLUDE (partisi)")
    con.execute("CREATE OR REPLACE TABLE usulan AS SELECT * EXCLUDE (pemenang, bertentangan) FROM usulan_terverifikasi")
    con.execute("DELETE FROM usulan_terverifikasi WHERE status IS DISTINCT FROM 'TERVERIFIKASI_DINSOS'")
    con.execute(
        "CREATE OR REPLACE TABLE usulan_berlaku AS SELECT * FROM usulan_terverifikasi WHERE id_usulan = pemenang"
    )
    _read_routed(con, work, "keputusan_masuk", "keputusan", part, "* EXCLUDE (partisi)")
    run_sql_file(con, keputusan.SQL / "keputusan.sql")


def unify_partition(con: duckdb.DuckDBPyConnection, work: Path, cutoff: dt.date, part: str) -> dict:
    """The wide work for the families of one partition; its tables under `<work>/partisi/<id>/`."""
    load_partition(con, work, part)
    decide_families(con, cutoff)
    out = work / "partisi" / part
    for table in PART_TABLES:
        only = " WHERE hasil = 'DIBAWA'" if table == "hasil_rumah_tangga" else ""
        order = f" ORDER BY {ORDER[table]}" if table in IN_ORDER else ""  # gather writes them as they come
        copy_atomic(con, f"SELECT * FROM {table}{only}{order}", out / f"{table}.parquet")
    keluarga, individu = (con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in ("keluarga", "individu"))
    return {"partisi": part, "keluarga": keluarga, "individu": individu}


def _files_sql(files: list[str]) -> str:
    """read_parquet over files, as a literal list: a view holds no prepared parameter."""
    return "read_parquet([" + ", ".join(f"'{sql_path(f)}'" for f in files) + "])"


def _view(con: duckdb.DuckDBPyConnection, name: str, select_sql: str) -> None:
    con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {select_sql}")


def gather(con: duckdb.DuckDBPyConnection, paths: RunPaths, work: Path, parts: list[str]) -> dict:
    """The partitions' tables and the national outcomes into `unified/`; the counts as
    `unify.counts` gives them."""

    def files(table: str) -> list[str]:
        return [str(work / "partisi" / p / f"{table}.parquet") for p in sorted(parts)]

    # Views, not tables: the partitions' files are read where they are used, in the order of
    # `parts` (each partition's large tables sorted), so the two largest need no national sort:
    # this connection keeps the order it reads (engine.connect lets DuckDB drop it).
    con.execute("SET preserve_insertion_order = true")
    for table in ("keluarga", "individu", "hasil_usulan", "usulan_terbit"):
        _view(con, table, "SELECT * FROM " + _files_sql(files(table)))
    national = work / "nasional"
    _view(
        con,
        "hasil_rumah_tangga",
        f"SELECT * FROM {_files_sql([str(national / 'hasil_rumah_tangga.parquet')])} "
        f"UNION ALL SELECT * FROM {_files_sql(files('hasil_rumah_tangga'))}",
    )
    for table in ("hasil_catatan", "anggota_sumber"):
        _view(con, table, "SELECT * FROM " + _files_sql([str(national / f"{table}.parquet")]))
    list_verification(con, paths.run_dir / "matched" / "verifikasi.parquet")
    write(con, paths, in_order=IN_ORDER)
    source = json.loads((work / "rute.json").read_text())
    # the carried families the partitions added are households too
    source["rumah_tangga"] += con.execute("SELECT count(*) FROM hasil_rumah_tangga WHERE hasil = 'DIBAWA'").fetchall()[
        0
    ][0]
    return published_counts(con, source)


def unify_by_partition(
    connect: Callable[[], duckdb.DuckDBPyConnection],
    paths: RunPaths,
    cutoff: dt.date,
    bawaan: Path | None,
    plan_file: Path,
    carried: str | None = None,
) -> dict:
    """Every step in sequence, each on a connection of its own (what the flow fans out)."""
    work = work_dir(paths.run_dir, plan_file, carried if carried is not None else _digest(bawaan))
    planned = (
        duckdb.connect().execute("SELECT DISTINCT partisi FROM read_parquet($f)", {"f": str(plan_file)}).fetchall()
    )
    con = connect()
    routed = route(con, paths, cutoff, bawaan, plan_file, work)
    con.close()
    parts = sorted({p for (p,) in planned} | set(routed["partisi"]))
    for part in parts:
        con = connect()
        unify_partition(con, work, cutoff, part)
        con.close()
    con = connect()
    result = gather(con, paths, work, parts)
    con.close()
    return result


def _digest(path: Path | None) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path is not None and path.exists() else None
