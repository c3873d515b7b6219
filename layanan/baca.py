"""What the service reads, and how: the published snapshots, one DuckDB per request.

A request resolves its snapshot once (`Gudang.snapshot`), then reads only that snapshot's
files, so a publish under way never mixes two snapshots into one answer: published files
are never rewritten, and the registry row that makes a new snapshot visible is the last
step of a publish. The registry is read again every `layanan_segar_detik` by a thread of
its own; each snapshot's file list is planned once (pyiceberg) and kept.

Each request gets its own DuckDB, with the views it may read (the full tables for a `penuh`
credential, the analyst tables for an `analis` one, only the credential's provinces' rows)
and then a locked engine: external access closed except to exactly the snapshot's files,
no temp directory (nothing spills to disk), a memory and thread limit, and the
configuration locked, so nothing an analyst's SQL does can change any of it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from dtsen.settings import Settings
from warehouse import open_catalog
from warehouse.access import Akses, analyst_table
from warehouse.catalog import TABLES
from warehouse.current import choose, pins
from warehouse.read import data_files, region_filter, source_sql
from warehouse.registry import Snapshot, SnapshotNotFound, snapshots


@dataclass(frozen=True)
class Dilihat:
    """What a request may see: the view and the provinces (empty: all)."""

    akses: Akses
    wilayah: tuple[str, ...]


class Gudang:
    """The warehouse as the service sees it (one per process, shared by requests)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.catalog = open_catalog(settings)
        self._lock = threading.Lock()
        self._read_at = 0.0
        self._published: list[Snapshot] = []
        self._current: Snapshot | None = None
        self._files: dict[tuple[str, str], tuple[list[str], pa.Schema]] = {}
        self._stop = threading.Event()
        self._reader: threading.Thread | None = None

    def _read(self) -> None:
        published = snapshots(self.catalog)
        chosen = choose(published, pins(self.catalog), self.settings.peringatan_diterima).snapshot
        with self._lock:
            self._published, self._current, self._read_at = published, chosen, time.monotonic()

    def _keep_reading(self) -> None:
        """The registry read again in the background: no request waits for it."""
        while not self._stop.wait(self.settings.layanan_segar_detik):
            try:
                self._read()
            except Exception:  # a catalog hiccup: keep serving what was read, try again
                continue

    def snapshots(self) -> tuple[list[Snapshot], Snapshot | None]:
        """Every published snapshot (oldest first) and the current one, as last read."""
        if self.settings.layanan_segar_detik == 0 or not self._read_at:  # 0: read on every call (tests)
            self._read()
        if self.settings.layanan_segar_detik > 0 and self._reader is None:
            with self._lock:
                if self._reader is None:
                    self._reader = threading.Thread(target=self._keep_reading, name="dtsen-registry", daemon=True)
                    self._reader.start()
        with self._lock:
            return self._published, self._current

    def close(self) -> None:
        self._stop.set()

    def snapshot(self, tag: str | None) -> Snapshot:
        published, now = self.snapshots()
        if tag in (None, "current"):
            if now is None:
                raise SnapshotNotFound("no snapshot is current")
            return now
        for s in published:
            if s.tag == tag:
                return s
        raise SnapshotNotFound(f"no snapshot tagged {tag!r}")

    def files(self, snapshot: Snapshot, table: str) -> tuple[list[str], pa.Schema]:
        key = (snapshot.tag, table)
        if key not in self._files:
            self._files[key] = data_files(self.catalog, table, snapshot)
        return self._files[key]

    def connect(
        self,
        snapshot: Snapshot,
        dilihat: Dilihat,
        tables: list[str] | None = None,
        prefix: str = "",
        more: list[tuple[Snapshot, str]] | None = None,
    ) -> duckdb.DuckDBPyConnection:
        """A locked DuckDB whose views `<prefix><table>` read the snapshot as `dilihat` may
        (and `more`'s snapshots under their prefixes: a diff reads two)."""
        con = duckdb.connect()
        allowed: list[str] = []
        try:
            con.execute("SET enable_progress_bar = false")
            for snap, pre in [(snapshot, prefix), *(more or [])]:
                for table in tables or TABLES:
                    allowed += self._view(con, snap, dilihat, table, f"{pre}{table}")
            lock(con, self.settings, allowed)
        except BaseException:
            con.close()
            raise
        return con

    def _view(self, con: duckdb.DuckDBPyConnection, snapshot: Snapshot, dilihat: Dilihat, table: str, name: str):
        stored = analyst_table(table) if dilihat.akses is Akses.analis else table
        if stored not in snapshot.snapshot_tabel:
            raise SnapshotNotFound(f"snapshot {snapshot.tag} has no analyst tables (published before they existed)")
        files, schema = self.files(snapshot, stored)
        if files:
            source = source_sql(files)
        else:  # a table that has never held a row reads as empty, with its columns
            con.register(f"_kosong_{name}", schema.empty_table())
            source = f"_kosong_{name}"
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM {source}{region_filter(dilihat.wilayah)}")
        return files


def lock(con: duckdb.DuckDBPyConnection, settings: Settings, files: list[str]) -> None:
    """Limits first, then the doors closed, then the configuration locked."""
    con.execute("SET temp_directory = ''")  # nothing spills: a query over the memory limit fails
    con.execute("SET memory_limit = $m", {"m": settings.layanan_sql_memori})
    con.execute("SET threads = $t", {"t": settings.layanan_sql_threads})
    con.execute("SET allowed_paths = $p", {"p": files})
    con.execute("SET enable_external_access = false")
    con.execute("SET autoload_known_extensions = false")
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET lock_configuration = true")


class TimedOut(RuntimeError):
    """The query ran past the service's time limit and was stopped."""


def run_limited(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None, seconds: float, rows: int):
    """At most `rows` rows of `sql`, stopped after `seconds`: (table, whether more rows were left)."""
    stopped = threading.Event()

    def stop() -> None:
        stopped.set()
        con.interrupt()

    timer = threading.Timer(seconds, stop)
    timer.start()
    try:
        relation = con.sql(sql, params=params)  # a relation: Arrow without a copy of the rows
        if relation is None:
            raise duckdb.InvalidInputException("the query returned no result")
        reader = relation.to_arrow_reader(batch_size=min(rows + 1, 100_000))
        batches, total = [], 0
        for batch in reader:
            batches.append(batch)
            total += batch.num_rows
            if total > rows:
                break
        table = pa.Table.from_batches(batches, schema=reader.schema)
    except duckdb.InterruptException:
        raise TimedOut(f"stopped after {seconds:g} s (the service's limit)") from None
    except duckdb.Error:
        if stopped.is_set():
            raise TimedOut(f"stopped after {seconds:g} s (the service's limit)") from None
        raise
    finally:
        timer.cancel()
    return table.slice(0, rows), total > rows
