"""Reading a published snapshot: its tables as DuckDB relations, at the chosen access level.

A tag resolves (registry) to one Iceberg snapshot per table; the snapshot's data files are
listed by pyiceberg's scan planning and read by DuckDB directly, so a query over a snapshot
costs what reading those Parquet files costs. Old snapshots stay readable (time travel)
because published files are never rewritten.

The analyst view is a pseudonymised copy per snapshot (built once, outside the warehouse),
attached read-only to a DuckDB that then loses access to files, so SQL typed by an analyst
cannot reach the full rows behind it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb
import pyarrow as pa
from pyiceberg.catalog import Catalog

from dtsen.settings import Settings
from transforms.engine import sql_path
from warehouse.access import TOKEN, Akses, analyst_select, key_pads, token
from warehouse.catalog import TABLES, identifier, local_path
from warehouse.registry import Snapshot


def data_files(catalog: Catalog, table: str, snapshot: Snapshot) -> tuple[list[str], pa.Schema]:
    """The Parquet files of one table at one snapshot, and the table's schema."""
    iceberg = catalog.load_table(identifier(table))
    snapshot_id = snapshot.snapshot_tabel.get(table)
    if not snapshot_id:
        return [], iceberg.schema().as_arrow()
    at = iceberg.snapshot_by_id(snapshot_id)
    if at is None:  # the registry names it, so the table's history lost it (expired, or another catalog)
        raise LookupError(f"{table}: Iceberg snapshot {snapshot_id} of {snapshot.tag} is not in the table")
    if at.schema_id is None:  # optional in Iceberg's metadata; pyiceberg always writes it
        raise LookupError(f"{table}: Iceberg snapshot {snapshot_id} of {snapshot.tag} names no schema")
    schema = iceberg.schemas()[at.schema_id]
    files = [local_path(t.file.file_path) for t in iceberg.scan(snapshot_id=snapshot_id).plan_files()]
    return sorted(files), schema.as_arrow()


def source_sql(files: list[str]) -> str:
    # hive_partitioning off: the folders say kode_prov=32, and DuckDB would read it back as a number.
    listed = ", ".join(repr(sql_path(f)) for f in files)
    return f"read_parquet([{listed}], union_by_name = true, hive_partitioning = false)"


def table_source(
    con: duckdb.DuckDBPyConnection, catalog: Catalog, table: str, snapshot: Snapshot, name: str
) -> tuple[str, list[str]]:
    """What to select one table at one snapshot from (its files, or an empty relation of its
    schema when it has never held a row), and its columns."""
    files, schema = data_files(catalog, table, snapshot)
    if files:
        return source_sql(files), schema.names
    con.register(f"_kosong_{name}", schema.empty_table())
    return f"_kosong_{name}", schema.names


def referenced(sql: str) -> list[str]:
    """The published tables a query names (so an analyst's query materialises only those)."""
    return [t for t in TABLES if re.search(rf"\b{t}\b", sql, re.IGNORECASE)]


def analyst_dir(settings: Settings) -> Path:
    return settings.home_dir / "analis"


def analyst_key_id(catalog_name: str, settings: Settings) -> str:
    """Which key made an analyst copy (in its name): a keyed token, so the name tells nothing of the key."""
    return token(f"dtsen-analis:{catalog_name}", settings)[:12]


def analyst_copy(catalog: Catalog, snapshot: Snapshot, settings: Settings) -> Path:
    """The snapshot's pseudonymised tables in a DuckDB file of their own, built once per
    snapshot and key (outside the warehouse: the tokens depend on the key, the warehouse
    never does). Readers attach it read-only; nothing in it is personal."""
    path = analyst_dir(settings) / f"{catalog.name}-{snapshot.tag}-{analyst_key_id(catalog.name, settings)}.duckdb"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        for table in TABLES:
            source, columns = table_source(con, catalog, table, snapshot, table)
            con.execute(
                f"CREATE TABLE {table} AS {analyst_select(table, columns, source)}",
                key_pads(settings) if TOKEN[table] else None,
            )
    finally:
        con.close()
    os.replace(tmp, path)  # whole or absent: a reader never attaches a half-built copy
    return path


def open_snapshot(
    catalog: Catalog,
    snapshot: Snapshot,
    akses: Akses,
    settings: Settings,
    tables: list[str] | None = None,
    prefix: str = "",
    con: duckdb.DuckDBPyConnection | None = None,
    lock: bool = True,
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection in which `<prefix><table>` reads the snapshot's table. The analyst
    view attaches the pseudonymised copy read-only and then (`lock`) closes DuckDB's access
    to files, so SQL typed by an analyst cannot reach the full rows."""
    con = con or duckdb.connect()
    if akses is Akses.analis:
        alias = f"analis_{prefix}".rstrip("_")
        con.execute(f"ATTACH '{sql_path(analyst_copy(catalog, snapshot, settings))}' AS {alias} (READ_ONLY)")
    for table in tables or TABLES:
        name = f"{prefix}{table}"
        if akses is Akses.analis:
            con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM {alias}.{table}")
            continue
        source, _ = table_source(con, catalog, table, snapshot, name)
        con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM {source}")
    if akses is Akses.analis and lock:
        con.execute("SET enable_external_access = false")
    return con
