"""Reading a published snapshot: its tables as DuckDB relations, at the chosen access level.

A tag resolves (registry) to one Iceberg snapshot per table; the snapshot's data files are
listed by pyiceberg's scan planning and read by DuckDB directly, so a query over a snapshot
costs what reading those Parquet files costs. Old snapshots stay readable (time travel)
because published files are never rewritten.

The analyst view is materialised inside a DuckDB that then loses access to files, so SQL
typed by an analyst cannot reach the full rows behind it.
"""

from __future__ import annotations

import re

import duckdb
import pyarrow as pa
from pyiceberg.catalog import Catalog

from dtsen.settings import Settings
from transforms.engine import sql_path
from warehouse.access import TOKEN, Akses, analyst_select, key_pads
from warehouse.catalog import TABLES, identifier, local_path
from warehouse.registry import Snapshot


def data_files(catalog: Catalog, table: str, snapshot: Snapshot) -> tuple[list[str], pa.Schema]:
    """The Parquet files of one table at one snapshot, and the table's schema."""
    iceberg = catalog.load_table(identifier(table))
    snapshot_id = snapshot.snapshot_tabel.get(table)
    schema = iceberg.schemas()[iceberg.snapshot_by_id(snapshot_id).schema_id] if snapshot_id else iceberg.schema()
    files = ([local_path(t.file.file_path) for t in iceberg.scan(snapshot_id=snapshot_id).plan_files()]
             if snapshot_id else [])
    return sorted(files), schema.as_arrow()


def source_sql(files: list[str]) -> str:
    # hive_partitioning off: the folders say kode_prov=32, and DuckDB would read it back as a number.
    return f"read_parquet([{', '.join(repr(sql_path(f)) for f in files)}], union_by_name = true, hive_partitioning = false)"


def referenced(sql: str) -> list[str]:
    """The published tables a query names (so an analyst's query materialises only those)."""
    return [t for t in TABLES if re.search(rf"\b{t}\b", sql, re.IGNORECASE)]


def open_snapshot(catalog: Catalog, snapshot: Snapshot, akses: Akses, settings: Settings,
                  tables: list[str] | None = None, prefix: str = "",
                  con: duckdb.DuckDBPyConnection | None = None, lock: bool = True) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection in which `<prefix><table>` reads the snapshot's table."""
    con = con or duckdb.connect()
    for table in tables or TABLES:
        files, schema = data_files(catalog, table, snapshot)
        name = f"{prefix}{table}"
        if not files:
            con.register(f"_kosong_{name}", schema.empty_table())
            source = f"_kosong_{name}"
        else:
            source = source_sql(files)
        if akses is Akses.penuh:
            con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM {source}")
        else:
            columns = [f.name for f in schema]
            con.execute(f"CREATE OR REPLACE TABLE {name} AS {analyst_select(table, columns, source)}",
                        key_pads(settings) if TOKEN[table] else None)
    if akses is Akses.analis and lock:
        con.execute("SET enable_external_access = false")
    return con
