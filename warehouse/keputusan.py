"""The decisions a refresh carries in: those in force after the snapshot before its cut-off.

Which snapshot: the latest cut-off before the run's (its latest revision), whatever is
current. A pinned rollback is a choice of what readers see, not a reason to forget what
citizens were granted since; and a re-run of a month never carries its own decisions into
itself. What it holds: that snapshot's `usulan` rows with `berlaku` (transforms/unify/keputusan.py).
A snapshot from before decisions were kept has no such column: nothing is carried from it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import duckdb
from pyiceberg.catalog import Catalog

from dtsen.settings import Settings
from transforms.engine import copy_atomic, sql_path
from transforms.unify.keputusan import CARRIED_COLUMNS, EMPTY
from warehouse.access import Akses
from warehouse.read import open_snapshot
from warehouse.registry import Snapshot, snapshots


def predecessor(catalog: Catalog, cutoff: dt.date) -> Snapshot | None:
    """The latest published snapshot of an earlier cut-off (its latest revision)."""
    earlier = [s for s in snapshots(catalog) if s.cutoff < cutoff]
    return earlier[-1] if earlier else None


def export_in_force(catalog: Catalog, settings: Settings, cutoff: dt.date, out: Path) -> dict:
    """Write the decisions in force after the predecessor of `cutoff` to `out` (Parquet; no
    rows when there is none). Returns where they came from, how many, and their content hash
    (what a cached unification is keyed on)."""
    before = predecessor(catalog, cutoff)
    con = duckdb.connect()
    query = EMPTY
    if before is not None:
        open_snapshot(catalog, before, Akses.penuh, tables=["usulan"], con=con)
        if "berlaku" in {r[0] for r in con.execute("DESCRIBE usulan").fetchall()}:
            query = f"SELECT {CARRIED_COLUMNS} FROM usulan WHERE berlaku ORDER BY id_usulan"
    copy_atomic(con, query, out)
    rows = con.execute(f"SELECT count(*) FROM read_parquet('{sql_path(out)}')").fetchall()[0][0]
    con.close()
    return {
        "dari": before.tag if before else None,
        "keputusan": rows,
        "sidik": hashlib.sha256(out.read_bytes()).hexdigest(),
    }
