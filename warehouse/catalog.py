"""The Iceberg catalog and where the warehouse keeps its files.

pyiceberg's SQL catalog keeps one row per table (its current metadata file) in a
SQLAlchemy database: a SQLite file under the project data folder by default, PostgreSQL
when `DTSEN_CATALOG_URL` names one. The data and metadata files live under
`<home>/warehouse`. Nothing else changes between the two.
"""

from __future__ import annotations

from pathlib import Path

from pyiceberg.catalog.sql import SqlCatalog

from dtsen.settings import Settings, get_settings

NAMESPACE = "dtsen"
# The published tables (docs/tables.md), each partitioned by province.
TABLES = ("keluarga", "individu", "tautan_sumber", "verifikasi", "karantina", "usulan")
# Each table's analyst copy, tokenised at publishing (warehouse/access.py): an Iceberg table
# of its own, so an outside engine can be given these and nothing else.
ANALYST_PREFIX = "analis_"
ANALYST_TABLES = tuple(f"{ANALYST_PREFIX}{t}" for t in TABLES)
# One row per published snapshot: the registry readers resolve tags through.
REGISTRY = "daftar_snapshot"


def warehouse_dir(settings: Settings) -> Path:
    return settings.home_dir / "warehouse"


def catalog_url(settings: Settings) -> str:
    return settings.catalog_url or f"sqlite:///{warehouse_dir(settings) / 'catalog.db'}"


def open_catalog(settings: Settings | None = None, name: str | None = None) -> SqlCatalog:
    settings = settings or get_settings()
    name = name or settings.catalog_name
    where = warehouse_dir(settings)
    where.mkdir(parents=True, exist_ok=True)
    catalog = SqlCatalog(name, uri=catalog_url(settings), warehouse=f"file://{where}")
    catalog.create_namespace_if_not_exists(NAMESPACE)
    return catalog


def identifier(table: str) -> str:
    return f"{NAMESPACE}.{table}"


def own_table(catalog, table: str, schema):
    """One of the warehouse's own bookkeeping tables (the registry, the pins), created on first use."""
    from pyiceberg.exceptions import NoSuchTableError

    try:
        return catalog.load_table(identifier(table))
    except NoSuchTableError:
        return catalog.create_table_if_not_exists(identifier(table), schema=schema)


def local_path(uri: str) -> str:
    """A data file's location as DuckDB reads it."""
    return uri.removeprefix("file://")


def display_url(settings: Settings) -> str:
    """The catalog URL as printed: never with its password."""
    from sqlalchemy import make_url

    return make_url(catalog_url(settings)).render_as_string(hide_password=True)
