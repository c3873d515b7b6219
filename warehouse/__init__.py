"""Publishing and reading snapshots: Iceberg tables through pyiceberg's SQL catalog.

The public face: `open_catalog`, `publish`, `snapshots`/`resolve`, `open_snapshot`, `diff`,
`status`, the access levels (`Akses`) and the audit log. One idea per module inside.
"""

from warehouse.access import AccessError, Akses
from warehouse.catalog import TABLES, open_catalog
from warehouse.current import current, resolve
from warehouse.publish import Published, publish
from warehouse.read import open_snapshot
from warehouse.registry import Snapshot, SnapshotNotFound, snapshots

__all__ = [
    "TABLES",
    "AccessError",
    "Akses",
    "Published",
    "Snapshot",
    "SnapshotNotFound",
    "current",
    "open_catalog",
    "open_snapshot",
    "publish",
    "resolve",
    "snapshots",
]
