"""Reading a published snapshot: its tables as DuckDB relations, at the chosen access level.

A tag resolves (registry) to one Iceberg snapshot per table; the snapshot's data files are
listed by pyiceberg's scan planning and read by DuckDB directly, so a query over a snapshot
costs what reading those Parquet files costs. Old snapshots stay readable (time travel)
because published files are never rewritten.

The analyst tables are Iceberg tables of their own (`analis_<table>`, tokenised when the
snapshot was published: warehouse/access.py); what an analyst's SQL may do with them is the
service's to decide (layanan/).
"""

from __future__ import annotations

import re

import duckdb
import pyarrow as pa
from pyiceberg.catalog import Catalog

from transforms.engine import sql_path
from warehouse.access import AccessError, Akses, analyst_table
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
    """The published tables a query names (so a query opens only those)."""
    return [t for t in TABLES if re.search(rf"\b{t}\b", sql, re.IGNORECASE)]


def region_filter(wilayah: tuple[str, ...]) -> str:
    """The rows of the given provinces only (a region-limited credential); every published
    table carries `kode_prov`."""
    if not wilayah:
        return ""
    if not all(re.fullmatch(r"\d{2}", w) for w in wilayah):
        raise ValueError(f"province codes are two digits: {wilayah}")
    return " WHERE kode_prov IN (" + ", ".join(f"'{w}'" for w in wilayah) + ")"


def open_snapshot(
    catalog: Catalog,
    snapshot: Snapshot,
    akses: Akses,
    tables: list[str] | None = None,
    prefix: str = "",
    con: duckdb.DuckDBPyConnection | None = None,
    wilayah: tuple[str, ...] = (),
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection in which the view `<prefix><table>` reads the snapshot's table: the
    full one, or its analyst table (`analis_<table>`, tokenised at publishing); only the rows
    of `wilayah`'s provinces when given."""
    con = con or duckdb.connect()
    for table in tables or TABLES:
        stored = analyst_table(table) if akses is Akses.analis else table
        if stored not in snapshot.snapshot_tabel:
            raise AccessError(
                f"snapshot {snapshot.tag} was published before the analyst tables existed: "
                f"publish its run again (dtsen publish --run <run> --force) to give analysts a copy"
            )
        name = f"{prefix}{table}"
        source, _ = table_source(con, catalog, stored, snapshot, name)
        con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM {source}{region_filter(wilayah)}")
    return con
