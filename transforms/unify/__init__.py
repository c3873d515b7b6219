"""Unification: one row per living person and per family (the registry's current KK).

Matching tied every source record to a registry person; here the source households are
laid onto the registry's family cards (`rumah_tangga_kk`), the published families are the
KKs a source reaches through a living member, their living members are the `individu`
table, and each family's attributes are chosen field by field by survivorship
(survivorship.toml) with the winning source kept per field. Every source record and
household gets an outcome, so the counts reconcile.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb

from transforms.engine import copy_atomic, run_sql_file, run_statement
from transforms.standardize import RunPaths
from transforms.unify import keputusan, survivorship

SQL = Path(__file__).parent / "sql"
TABLES = ("keluarga", "individu", "verifikasi", "hasil_rumah_tangga", "usulan")
SOURCE_TABLE = {"usulan": "usulan_terbit"}  # a written table built under another name


def input_params(paths: RunPaths, cutoff: dt.date) -> dict:
    """The run's files unification reads, as the parameters of its SQL."""
    std, matched = paths.run_dir / "standardized", paths.run_dir / "matched"
    return {
        "cutoff": cutoff,
        "penduduk": str(paths.standardized("dukcapil_penduduk")),
        "tautan": str(matched / "tautan_sumber.parquet"),
        "dtks_individu": str(std / "dtks_individu" / "*.parquet"),
        "regsosek_anggota": str(paths.standardized("regsosek_anggota")),
        "p3ke_anggota": str(paths.standardized("p3ke_anggota")),
        "dtks_keluarga": str(std / "dtks_keluarga" / "*.parquet"),
        "regsosek_keluarga": str(paths.standardized("regsosek_keluarga")),
        "p3ke_keluarga": str(paths.standardized("p3ke_keluarga")),
    }


def source_sql(name: str) -> str:
    """A bare SELECT over the run's files (penduduk, keluarga_sumber), to keep or to route."""
    return (SQL / f"{name}.sql").read_text().strip()


def load_inputs(con: duckdb.DuckDBPyConnection, paths: RunPaths, cutoff: dt.date) -> None:
    """The registry, the links from matching and the source households of one run."""
    params = input_params(paths, cutoff)
    run_sql_file(con, SQL / "masukan.sql", params)
    for table in ("penduduk", "keluarga_sumber"):
        run_statement(con, f"CREATE OR REPLACE TABLE {table} AS {source_sql(table)}", params)


def read_proposals(con: duckdb.DuckDBPyConnection, paths: RunPaths) -> str:
    """`usulan` (the feed), `usulan_terverifikasi` and `usulan_berlaku` (the verified entries
    that count, conflicts resolved by date); a verified new family's members join
    `anggota_sumber`."""
    run_sql_file(
        con,
        SQL / "usulan.sql",
        {"usulan": str(paths.standardized("usulan")), "usulan_anggota": str(paths.standardized("usulan_anggota"))},
    )
    return "usulan_berlaku"


def proposed_households_sql(con: duckdb.DuckDBPyConnection, households: str = "keluarga_sumber") -> str:
    """The households the verified new families' proposals bring, their housing typed as
    the columns of `households`."""
    fields, types = housing_fields(con, households)
    housing = ", ".join(f"TRY_CAST(json_extract(keluarga, '$.{f}') AS {types[f]}) AS {f}" for f in fields)
    return f"""
        SELECT 'USULAN' AS sumber, id_usulan AS id_keluarga_sumber, no_kk, kode_desa, kode_prov,
            tanggal AS tanggal_data, {housing}
        FROM usulan_berlaku WHERE jenis = 'USUL_BARU'"""


def take_proposals(con: duckdb.DuckDBPyConnection, paths: RunPaths) -> str:
    """`usulan_berlaku`: the verified proposals that count (conflicts resolved by date); a
    new family's proposal joins the source households and members."""
    read_proposals(con, paths)
    con.execute(f"INSERT INTO keluarga_sumber BY NAME {proposed_households_sql(con)}")
    return "usulan_berlaku"


def link_households(con: duckdb.DuckDBPyConnection) -> str:
    """`rumah_tangga_kk` (household -> KKs) and `hasil_rumah_tangga` (each household's outcome)."""
    run_sql_file(con, SQL / "rumah_tangga.sql")
    return "rumah_tangga_kk"


def list_members(con: duckdb.DuckDBPyConnection) -> str:
    """`kk_terdaftar` (published KKs) and `individu` (their living members)."""
    run_sql_file(con, SQL / "individu.sql")
    return "individu"


def choose_attributes(con: duckdb.DuckDBPyConnection, config: Path = survivorship.CONFIG) -> str:
    """`keluarga_atribut`: every family field by survivorship, with its source."""
    groups = survivorship.load(config)
    columns = [r[0] for r in con.execute("DESCRIBE keluarga_sumber").fetchall()]
    survivorship.check(groups, columns, config)
    con.execute(survivorship.attributes_sql(groups), survivorship.params(groups))
    return "keluarga_atribut"


def assemble_families(con: duckdb.DuckDBPyConnection, config: Path = survivorship.CONFIG) -> str:
    """`keluarga`: head, address and size from the registry, attributes by survivorship."""
    run_sql_file(con, SQL / "keluarga.sql")
    groups = survivorship.load(config)
    fields = ", ".join(f"a.{f}" for g in groups for f in g.fields)
    con.execute(f"""
        CREATE OR REPLACE TABLE keluarga AS
        SELECT i.no_kk, i.kode_desa, left(i.kode_desa, 2) AS kode_prov, i.jumlah_anggota, i.nik_kepala_keluarga,
            t.sumber, {fields},
            {survivorship.lineage_sql(groups)} AS asal_bidang,
            coalesce(a.rumah_tangga_sumber, []) AS rumah_tangga_sumber
        FROM keluarga_inti i
        JOIN kk_terdaftar t USING (no_kk)
        LEFT JOIN keluarga_atribut a USING (no_kk)
    """)
    return "keluarga"


def apply_proposals(con: duckdb.DuckDBPyConnection, cutoff: dt.date, config: Path = survivorship.CONFIG) -> str:
    """`hasil_usulan`: every entry's outcome (objections checked against the registry). A
    verified correction overrides its family's fields (lineage `USULAN`); a verified `MAMPU`
    objection marks the family not eligible for targeting, its rank kept visible. Carried
    decisions (keputusan.py) count as the feed's do."""
    run_sql_file(con, SQL / "usulan_hasil.sql")
    fields = [f for g in survivorship.load(config) for f in g.fields]
    types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE keluarga)").fetchall())
    keputusan.corrections(con, fields, types, cutoff)
    keputusan.objections(con)
    values = ", ".join(f"coalesce(p.{f}, k.{f}) AS {f}" for f in fields)
    # Decided again over its own result (a re-run), the family is rebuilt, not extended.
    flags = [c for c in ("layak_sasaran", "status_sanggahan", "keputusan") if c in types]
    exclude = f"EXCLUDE ({', '.join(flags)}) " if flags else ""
    lineage = (
        "struct_pack("
        + ", ".join(f"{f} := CASE WHEN p.{f} IS NOT NULL THEN 'USULAN' ELSE k.asal_bidang.{f} END" for f in fields)
        + ")"
    )
    con.execute(f"""
        CREATE OR REPLACE TABLE keluarga AS
        SELECT k.* {exclude}REPLACE ({values}, {lineage} AS asal_bidang,
                CASE WHEN p.no_kk IS NULL THEN k.sumber ELSE list_sort(list_distinct(list_append(k.sumber, 'USULAN')))
                END AS sumber),
            NOT coalesce(s.mampu, false) AS layak_sasaran,
            s.status_sanggahan
        FROM keluarga k
        LEFT JOIN perbaikan p USING (no_kk)
        LEFT JOIN sanggahan s USING (no_kk)""")
    return "hasil_usulan"


def record_outcomes(con: duckdb.DuckDBPyConnection, verifikasi_padan: Path) -> str:
    """`hasil_catatan` for every person record, and the unified `verifikasi` list (the
    records matching could not link, from `verifikasi_padan`, and what unification adds)."""
    run_sql_file(con, SQL / "hasil.sql")
    list_verification(con, verifikasi_padan)
    return "verifikasi"


def list_verification(con: duckdb.DuckDBPyConnection, verifikasi_padan: Path) -> str:
    """`verifikasi`: what matching could not link, and the records, households and proposals
    unification sends to a field check."""
    run_sql_file(con, SQL / "verifikasi.sql", {"verifikasi_padan": str(verifikasi_padan)})
    return "verifikasi"


def housing_fields(
    con: duckdb.DuckDBPyConnection, households: str = "keluarga_sumber"
) -> tuple[list[str], dict[str, str]]:
    """The Regsosek-coded fields of a source household (what a proposal's `keluarga` carries), with their types."""
    types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {households})").fetchall())
    return [f for f in types if re.fullmatch(r"r\d{3}[a-z]?", f)], types


def record_decisions(con: duckdb.DuckDBPyConnection, cutoff: dt.date) -> str:
    """`usulan_terbit` (the published `usulan`: the feed's entries and the carried decisions,
    each in force or not) and, per family, the decisions in force (`keluarga.keputusan`)."""
    keputusan.decide(con, cutoff, housing_fields(con)[0])
    keputusan.in_force_per_family(con)
    con.execute("""
        CREATE OR REPLACE TABLE keluarga AS
        SELECT k.*, d.keputusan FROM keluarga k LEFT JOIN keputusan_keluarga d USING (no_kk)""")
    return "usulan_terbit"


def decide_families(con: duckdb.DuckDBPyConnection, cutoff: dt.date) -> None:
    """Once the households are on their KKs: the carried new families, the members, the
    attributes by survivorship, the families, the proposals and the decisions in force
    (the same steps nationally and per partition, transforms/unify/terbagi.py)."""
    keputusan.carry_families(con, *housing_fields(con))
    list_members(con)
    choose_attributes(con)
    assemble_families(con)
    apply_proposals(con, cutoff)
    record_decisions(con, cutoff)


def unify(con: duckdb.DuckDBPyConnection, paths: RunPaths, cutoff: dt.date, bawaan: Path | None = None) -> dict:
    """All steps, outputs written under the run's `unified/`; returns the counts. `bawaan`:
    the previous snapshot's decisions in force (warehouse/keputusan.py), none without it."""
    load_inputs(con, paths, cutoff)
    take_proposals(con, paths)
    keputusan.carry_in(con, bawaan)
    link_households(con)
    decide_families(con, cutoff)
    record_outcomes(con, paths.run_dir / "matched" / "verifikasi.parquet")
    write(con, paths)
    return counts(con)


ORDER = {
    "keluarga": "kode_prov, no_kk",
    "individu": "kode_prov, no_kk, nik",
    "verifikasi": "kode_prov, tingkat, sumber, id_sumber",
    "hasil_rumah_tangga": "kode_prov, sumber, id_keluarga_sumber",
    "usulan": "kode_prov, tanggal, id_usulan",
}


def write(con: duckdb.DuckDBPyConnection, paths: RunPaths, in_order: frozenset[str] = frozenset()) -> dict[str, Path]:
    """The unified tables, each sorted by ORDER; those `in_order` are already (terbagi.py's
    partitions, read one after another) and are written as they come, without a national sort."""
    out = paths.run_dir / "unified"
    written = {}
    for table in TABLES:
        written[table] = out / f"{table}.parquet"
        order = "" if table in in_order else f" ORDER BY {ORDER[table]}"
        copy_atomic(con, f"SELECT * FROM {SOURCE_TABLE.get(table, table)}{order}", written[table])
    return written


def counts(con: duckdb.DuckDBPyConnection) -> dict:
    """Published rows, and the outcome of every record and household: for the manifest."""
    return published_counts(con, source_counts(con))


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return con.execute(sql).fetchall()[0][0]


def source_counts(con: duckdb.DuckDBPyConnection) -> dict:
    """What is counted over every record, household and feed entry at once: the records'
    outcomes, the households, the split ones, the feed (the national step of terbagi.py)."""
    return {
        "catatan_per_hasil": dict(
            con.execute("SELECT hasil, count(*) FROM hasil_catatan GROUP BY ALL ORDER BY ALL").fetchall()
        ),
        "catatan": _one(con, "SELECT count(*) FROM tautan"),
        "rumah_tangga": _one(con, "SELECT count(*) FROM keluarga_sumber"),
        "keluarga_terpisah": _one(
            con,
            "SELECT count(*) FROM (SELECT 1 FROM rumah_tangga_kk "
            "GROUP BY sumber, id_keluarga_sumber HAVING count(*) > 1)",
        ),
        "usulan": _one(con, "SELECT count(*) FROM usulan"),
    }


def published_counts(con: duckdb.DuckDBPyConnection, source: dict) -> dict:
    """The manifest's counts from the published tables and `source` (source_counts)."""

    def one(sql: str) -> int:
        return _one(con, sql)

    per_record = source["catatan_per_hasil"]
    per_household: dict[str, dict[str, int]] = {}
    for sumber, hasil, n in con.execute(
        "SELECT sumber, hasil, count(*) FROM hasil_rumah_tangga GROUP BY ALL ORDER BY ALL"
    ).fetchall():
        per_household.setdefault(sumber, {})[hasil] = n
    return {
        "keluarga": one("SELECT count(*) FROM keluarga"),
        "individu": one("SELECT count(*) FROM individu"),
        "keluarga_terpisah": source["keluarga_terpisah"],
        "catatan_per_hasil": per_record,
        "rumah_tangga_per_hasil": per_household,
        "verifikasi": one("SELECT count(*) FROM verifikasi"),
        "usulan_per_hasil": {
            f"{j}:{h}": n
            for j, h, n in con.execute(
                "SELECT jenis, hasil, count(*) FROM hasil_usulan GROUP BY ALL ORDER BY ALL"
            ).fetchall()
        },
        "usulan_bertentangan": one("SELECT count(*) FROM hasil_usulan WHERE bertentangan"),
        # decisions of earlier snapshots applied again, those that stopped here, and all in force after this run
        "keputusan_dibawa": one("SELECT count(*) FROM usulan_terbit WHERE NOT dalam_feed AND berlaku"),
        "keputusan_berakhir": dict(
            con.execute(
                "SELECT split_part(berakhir, ':', 1), count(*) FROM usulan_terbit WHERE berakhir IS NOT NULL "
                "GROUP BY ALL ORDER BY ALL"
            ).fetchall()
        ),
        "keputusan_berlaku": one("SELECT count(*) FROM usulan_terbit WHERE berlaku"),
        "seimbang": sum(per_record.values()) == source["catatan"]
        and sum(n for h in per_household.values() for n in h.values()) == source["rumah_tangga"]
        and one("SELECT count(*) FROM hasil_usulan WHERE hasil IS NOT NULL") == source["usulan"],
    }
