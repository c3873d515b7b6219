"""Housekeeping: what the warehouse and the home no longer need, and removing it.

Publishing never deletes anything (older snapshots stay readable), so a home only grows. Five
kinds of things can go, each with the reason it can:

- `snapshot`: an Iceberg snapshot older than `DTSEN_SNAPSHOT_RETENTION_DAYS` that no tag, no
  branch and no published snapshot of the registry (`snapshot_tabel`) names: the step between
  two published states that each publish's delete makes, the commits of a publish killed
  before it registered, the registry's own earlier states. Every published snapshot is kept,
  whatever its age (it reads the same rows after a cleanup), even one whose tag a kill lost.
- `data`: a file under a table's `data/` folder that no remaining snapshot lists as live: the
  files a killed publish staged and never committed, and those only expired snapshots listed.
- `metadata`: a file under a table's `metadata/` folder the table's metadata no longer reaches:
  the manifest lists and manifests of expired snapshots, metadata files past the table's log.
- `analis`: an analyst copy of the kind kept in `<home>/analis/` before the analyst tables
  were published in the warehouse (warehouse/access.py), and half-built ones.
- `landed`: a landed copy (`<home>/landed/<cutoff>/<fingerprint>`) of a delivery no published
  snapshot came from (its fingerprint is in no registry row), and half-landed ones.

What pyiceberg (0.12) does, and does not: `table.maintenance.expire_snapshots()` is a metadata
commit only. It takes the snapshots out of the table's metadata (with their snapshot-log
entries, the refs to them and their statistics entries) and writes a new metadata file; it
deletes nothing from storage: not the manifest lists, not the manifests, not the data files
(Java's ExpireSnapshots does; pyiceberg does not). It never expires a branch head or a tagged
snapshot. Old metadata files are deleted by pyiceberg only with the table property
`write.metadata.delete-after-commit.enabled` (off here), and 0.12 has no orphan-file removal.
So the files are this module's to find: the set every remaining snapshot reaches (its manifest
list, its manifests, their live entries) is computed from the metadata after expiry, and only
files under the table's own `data/` and `metadata/` folders, outside that set, older than
`DTSEN_CLEANUP_GRACE_HOURS` (so a publish or a landing under way is never touched) are removed.

Catalogs that share the warehouse folder (another `DTSEN_CATALOG_NAME` in the same database,
on the same home) share the table folders: what any of them reaches is kept, and so are the
landed copies any of their snapshots came from. A catalog in another database pointed at the
same home cannot be seen from here: give each home one catalog database.

`rencana` only reads (a dry run). `terapkan` takes the warehouse lock (warehouse/kunci.py, as a
publish does), makes the plan again under it and removes what is in both plans: never more than
a dry run showed, never what has become needed since.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pyiceberg.catalog.sql import IcebergTables, SqlCatalog
from pyiceberg.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from dtsen.settings import Settings
from warehouse import registry
from warehouse.catalog import NAMESPACE, REGISTRY, identifier, local_path, warehouse_dir
from warehouse.kunci import catalog_lock


def analyst_dir(settings: Settings) -> Path:
    return settings.home_dir / "analis"


KINDS = ("snapshot", "data", "metadata", "analis", "landed")
# An analyst copy's name (warehouse/read.py): <catalog>-<tag>-<key id>.duckdb; a half-built one
# is .<that name>.<pid>.tmp. The catalog name may hold dashes; the tag and key id cannot be mistaken.
_COPY = re.compile(r"(?P<catalog>.+)-(?P<tag>\d{4}-\d{2}-\d{2}(?:-r\d+)?)-(?P<key>[0-9a-f]{12})\.duckdb")
_COPY_TMP = re.compile(r"\.(?P<name>.+\.duckdb)\.\d+\.tmp")
_CUTOFF = re.compile(r"\d{4}-\d{2}-\d{2}")
_STAGING = ".staging-"  # a landing under way, or killed (transforms/ingest/land.py)


@dataclass(frozen=True)
class Item:
    """One thing that can go."""

    kind: str  # one of KINDS
    where: str  # the Iceberg table (dtsen.keluarga), or the home's folder (analis, landed)
    target: str  # the snapshot id, or the file's or folder's path
    bytes: int
    why: str

    @property
    def key(self) -> tuple[str, str, str]:
        return self.kind, self.where, self.target


@dataclass(frozen=True)
class Rencana:
    """What a cleanup would remove now (a dry run), and what it went by."""

    items: tuple[Item, ...]
    made: dt.datetime
    retention_days: float
    grace_hours: float
    notes: tuple[str, ...] = ()

    def per_kind(self) -> dict[str, tuple[int, int]]:
        return per_kind(self.items)

    @property
    def bytes(self) -> int:
        return sum(i.bytes for i in self.items)


@dataclass(frozen=True)
class Hasil:
    """What a cleanup removed; `skipped`: planned, but not removable any more when applied."""

    removed: tuple[Item, ...]
    skipped: tuple[Item, ...]
    notes: tuple[str, ...]
    seconds: float

    def per_kind(self) -> dict[str, tuple[int, int]]:
        return per_kind(self.removed)

    @property
    def bytes(self) -> int:
        return sum(i.bytes for i in self.removed)


def per_kind(items: Iterable[Item]) -> dict[str, tuple[int, int]]:
    """Items and bytes per kind, every kind listed."""
    out = dict.fromkeys(KINDS, (0, 0))
    for i in items:
        n, b = out[i.kind]
        out[i.kind] = (n + 1, b + i.bytes)
    return out


# --------------------------------------------------------------------------- the tables


@dataclass
class _Table:
    """One Iceberg table: its snapshots to expire and the files it reaches now and after."""

    ident: str
    table: Table
    expire: dict[int, str] = field(default_factory=dict)  # snapshot id -> why
    before: set[str] = field(default_factory=set)  # files reached now (local paths)
    after: set[str] = field(default_factory=set)  # files reached once `expire` is expired


def _tables(catalog: SqlCatalog) -> list[tuple[str, Table]]:
    return [(identifier(n), catalog.load_table(identifier(n))) for _, n in sorted(catalog.list_tables(NAMESPACE))]


def _published(catalog: SqlCatalog) -> list[registry.Snapshot]:
    """The registry's snapshots, without creating the registry where nothing was published."""
    return registry.snapshots(catalog) if catalog.table_exists(identifier(REGISTRY)) else []


class _Reach:
    """The files Iceberg snapshots reach, each manifest read once."""

    def __init__(self, table: Table):
        self.table = table
        self.live: dict[str, set[str]] = {}  # manifest -> its live data and delete files

    def snapshot(self, snapshot) -> set[str]:
        io = self.table.io
        files = {_real(snapshot.manifest_list)} if snapshot.manifest_list else set()
        for manifest in snapshot.manifests(io):
            files.add(_real(manifest.manifest_path))
            if manifest.manifest_path not in self.live:
                # discard_deleted: an entry a later delete marked DELETED is no longer this snapshot's
                entries = manifest.fetch_manifest_entry(io, discard_deleted=True)
                self.live[manifest.manifest_path] = {_real(e.data_file.file_path) for e in entries}
            files |= self.live[manifest.manifest_path]
        return files

    def table_files(self, keep: set[int]) -> set[str]:
        """Every file the table reaches with only the snapshots `keep`: its metadata file and the
        earlier ones its log lists, the snapshots' files, their statistics files."""
        metadata = self.table.metadata
        files = {_real(self.table.metadata_location)}
        files |= {_real(e.metadata_file) for e in metadata.metadata_log}
        for s in metadata.snapshots:
            if s.snapshot_id in keep:
                files |= self.snapshot(s)
        for stats in (*metadata.statistics, *metadata.partition_statistics):
            if stats.snapshot_id in keep:
                files.add(_real(stats.statistics_path))
        return files


def _plan_table(ident: str, table: Table, registered: set[int], before_ms: int) -> _Table:
    protected = {ref.snapshot_id for ref in table.metadata.refs.values()} | registered
    plan = _Table(ident, table)
    for s in table.metadata.snapshots:
        if s.snapshot_id in protected or s.timestamp_ms >= before_ms:
            continue
        plan.expire[s.snapshot_id] = _why_expired(s)
    reach = _Reach(table)
    every = {s.snapshot_id for s in table.metadata.snapshots}
    plan.before = reach.table_files(every)
    plan.after = reach.table_files(every - set(plan.expire))
    return plan


def _why_expired(snapshot) -> str:
    """Why, in words that group (the snapshot id says which): a dry run shows one row per reason."""
    summary = snapshot.summary
    tag = summary["dtsen.tag"] if summary is not None else None
    if tag and summary.operation.value == "delete":
        return "the delete step of a publish (between two published states)"
    if tag:
        return "a commit of a publish killed before it registered"
    return "an earlier state of the table that no tag names"


def _neighbours(catalog: SqlCatalog, warehouse: Path) -> list[SqlCatalog]:
    """The other catalogs of this database whose tables lie in this warehouse folder."""
    with Session(catalog.engine) as session:
        rows = session.execute(select(IcebergTables.catalog_name, IcebergTables.metadata_location)).all()
    names = {name for name, location in rows if name != catalog.name and location and _under(location, warehouse)}
    return [SqlCatalog(name, **catalog.properties) for name in sorted(names)]


def _real(location: str) -> str:
    """A location as the file system names it: what the metadata records and what a folder
    listing finds are compared in this one form (a link or a `..` in a path never makes a
    reached file look unreached)."""
    return os.path.realpath(local_path(location))


def _under(location: str, folder: Path) -> bool:
    return _real(location).startswith(f"{os.path.realpath(folder)}/")


def _files(folder: Path) -> Iterator[Path]:
    if folder.is_dir():
        yield from (p for p in sorted(folder.rglob("*")) if p.is_file() or p.is_symlink())


def _age_hours(path: Path, now: float) -> float:
    """Hours since the newest change in a file or folder tree."""
    paths = [path, *path.rglob("*")] if path.is_dir() else [path]
    newest = max(p.lstat().st_mtime for p in paths)
    return (now - newest) / 3600


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.lstat().st_size for p in path.rglob("*") if not p.is_dir())
    return path.lstat().st_size


# ----------------------------------------------------------------------------- the plan


@dataclass
class _State:
    """Everything the plan is made from."""

    tables: list[_Table]
    kept_elsewhere: set[str]  # files the neighbour catalogs reach
    tags: set[str]  # this catalog's published tags
    fingerprints: set[str]  # deliveries published in this warehouse (any catalog of it)
    landed_paths: set[str]


def _state(catalog: SqlCatalog, settings: Settings, now: dt.datetime) -> _State:
    warehouse = warehouse_dir(settings)
    published = _published(catalog)  # before the tables: they hold every snapshot it names
    by_table: dict[str, set[int]] = {}
    for s in published:
        for name, snapshot_id in s.snapshot_tabel.items():
            if snapshot_id is not None:
                by_table.setdefault(identifier(name), set()).add(snapshot_id)
    before_ms = int((now - dt.timedelta(days=settings.snapshot_retention_days)).timestamp() * 1000)
    tables = [_plan_table(ident, t, by_table.get(ident, set()), before_ms) for ident, t in _tables(catalog)]
    elsewhere: set[str] = set()
    everything = list(published)
    for other in _neighbours(catalog, warehouse):
        try:
            everything += _published(other)
            for _, t in _tables(other):
                elsewhere |= _Reach(t).table_files({s.snapshot_id for s in t.metadata.snapshots})
        finally:
            other.engine.dispose()
    return _State(
        tables,
        elsewhere,
        {s.tag for s in published},
        {s.sidik_kiriman for s in everything},
        {_real(str(s.manifest["landed"]["path"])) for s in everything if s.manifest.get("landed", {}).get("path")},
    )


def rencana(catalog: SqlCatalog, settings: Settings) -> Rencana:
    """What a cleanup would remove now, and why. Reads only: removes nothing, takes no lock."""
    now = dt.datetime.now(dt.UTC)
    state = _state(catalog, settings, now)
    notes: list[str] = []
    items = [*_iceberg_items(state, settings, now.timestamp(), notes)]
    items += _analyst_items(catalog, settings, now.timestamp())
    items += _landed_items(settings, state, now.timestamp())
    return Rencana(tuple(items), now, settings.snapshot_retention_days, settings.cleanup_grace_hours, tuple(notes))


def _iceberg_items(state: _State, settings: Settings, now: float, notes: list[str]) -> Iterator[Item]:
    warehouse, grace = warehouse_dir(settings), settings.cleanup_grace_hours
    young = 0
    for t in state.tables:
        for snapshot_id, why in t.expire.items():
            yield Item("snapshot", t.ident, str(snapshot_id), 0, why)
        location = Path(_real(t.table.location()))
        if not location.is_relative_to(os.path.realpath(warehouse)):
            notes.append(f"{t.ident} lies outside the warehouse folder ({location}): its files are not looked at")
            continue
        keep = t.after | state.kept_elsewhere
        for kind in ("data", "metadata"):
            for path in _files(location / kind):
                if _real(str(path)) in keep:
                    continue
                if _age_hours(path, now) < grace:
                    young += 1
                    continue
                if kind == "data":
                    why = (
                        "only expired snapshots listed it"
                        if _real(str(path)) in t.before
                        else "no snapshot lists it: staged by a publish that never committed it (killed or failed)"
                    )
                else:
                    why = (
                        "an expired snapshot's manifest list or manifest"
                        if _real(str(path)) in t.before
                        else "the table's metadata no longer reaches it (past its metadata log, or a commit that "
                        "did not land)"
                    )
                yield Item(kind, t.ident, str(path), _size(path), why)
    if young:
        notes.append(f"{young} unreferenced warehouse file(s) younger than {grace:g} h kept (a publish under way?)")


def _analyst_items(catalog: SqlCatalog, settings: Settings, now: float) -> Iterator[Item]:
    """Analyst copies of the kind kept before the analyst tables were published in the
    warehouse (`<home>/analis/<catalog>-<tag>-<key id>.duckdb`): none is read any more."""
    folder = analyst_dir(settings)
    if not folder.is_dir():
        return
    why = "an analyst copy of the old kind: the analyst tables are published in the warehouse now"
    for path in sorted(folder.iterdir()):
        tmp = _COPY_TMP.fullmatch(path.name)
        copy = _COPY.fullmatch(tmp.group("name") if tmp else path.name)
        if copy is None or copy.group("catalog") != catalog.name or not path.is_file():
            continue  # another catalog's, or not a copy
        if _age_hours(path, now) < settings.cleanup_grace_hours:
            continue
        yield Item("analis", str(folder), str(path), _size(path), why)
        wal = path.with_name(path.name + ".wal")
        if wal.is_file():
            yield Item("analis", str(folder), str(wal), _size(wal), why)


def _landed_items(settings: Settings, state: _State, now: float) -> Iterator[Item]:
    root = settings.landed_dir
    if not root.is_dir():
        return
    prefixes = {fp[:16] for fp in state.fingerprints}

    def published(copy: Path) -> bool:  # by its folder name, its path, or its checksums' fingerprint
        by_name = copy.name in prefixes or _real(str(copy)) in state.landed_paths
        return by_name or _fingerprint(copy) in state.fingerprints

    for day in sorted(p for p in root.iterdir() if p.is_dir() and _CUTOFF.fullmatch(p.name)):
        for copy in sorted(p for p in day.iterdir() if p.is_dir()):
            if copy.name.startswith(_STAGING):
                why = "a landing that stopped half-way (killed or refused)"
            elif published(copy):
                continue  # a published snapshot came from it
            else:
                why = "a delivery landed but never published"
            if _age_hours(copy, now) < settings.cleanup_grace_hours:
                continue
            yield Item("landed", str(root), str(copy), _size(copy), why)


def _fingerprint(copy: Path) -> str | None:
    try:
        return json.loads((copy / "checksums.json").read_text())["fingerprint"]
    except (OSError, ValueError, KeyError):
        return None


# ------------------------------------------------------------------------------ removing


def terapkan(catalog: SqlCatalog, settings: Settings, plan: Rencana | None = None) -> Hasil:
    """Remove what `plan` lists (a dry run's), or everything a fresh plan lists when None.

    Under the warehouse lock, as a publish: the plan is made again there, and only what both
    plans list goes. Snapshots are expired first (pyiceberg's expire_snapshots, one commit per
    table); the files are checked once more against what the tables reach after that commit."""
    started = time.perf_counter()
    with catalog_lock(catalog, "housekeeping (`dtsen cleanup --terapkan`)"):
        fresh = rencana(catalog, settings)
        wanted = None if plan is None else {i.key for i in plan.items}
        chosen = [i for i in fresh.items if wanted is None or i.key in wanted]
        fresh_keys = {i.key for i in fresh.items}
        skipped = [] if plan is None else [i for i in plan.items if i.key not in fresh_keys]
        removed: list[Item] = []

        expire: dict[str, list[Item]] = {}
        for i in chosen:
            if i.kind == "snapshot":
                expire.setdefault(i.where, []).append(i)
        for ident, items in expire.items():
            catalog.load_table(ident).maintenance.expire_snapshots().by_ids([int(i.target) for i in items]).commit()
            removed += items

        files = [i for i in chosen if i.kind in ("data", "metadata")]
        _refuse_published(catalog, settings, files)
        needed = _still_needed(catalog, settings)
        folders: set[Path] = set()
        failed: list[str] = []
        for i in chosen:
            if i.kind == "snapshot":
                continue
            if i.kind in ("data", "metadata") and _real(i.target) in needed:
                skipped.append(i)
                continue
            try:
                if i.kind == "landed":
                    shutil.rmtree(i.target)
                else:
                    Path(i.target).unlink(missing_ok=True)
            except OSError as e:
                skipped.append(i)
                failed.append(f"{i.target}: {e.strerror or e}")
                continue
            folders.add(Path(i.target).parent)
            removed.append(i)
        _drop_empty(folders, stop={warehouse_dir(settings), settings.landed_dir, analyst_dir(settings)})
    notes = fresh.notes
    if failed:
        notes += (f"{len(failed)} item(s) could not be removed (first: {failed[0]}); fix that and run again",)
    return Hasil(tuple(removed), tuple(skipped), notes, time.perf_counter() - started)


def _refuse_published(catalog: SqlCatalog, settings: Settings, items: list[Item]) -> None:
    """The promise, checked by another road before any file goes: no file a published
    snapshot reads (pyiceberg's own scan planning of each registered snapshot, in every
    catalog of this warehouse) is among those to delete."""
    going = {_real(i.target) for i in items if i.kind == "data"}
    if not going:
        return
    for c in (catalog, *_neighbours(catalog, warehouse_dir(settings))):
        try:
            for s in _published(c):
                for name, snapshot_id in s.snapshot_tabel.items():
                    if snapshot_id is None:
                        continue
                    table = c.load_table(identifier(name))
                    read = {_real(t.file.file_path) for t in table.scan(snapshot_id=snapshot_id).plan_files()}
                    if going & read:
                        raise RuntimeError(
                            f"housekeeping refused: {len(going & read)} file(s) planned for deletion are read by "
                            f"snapshot {s.tag} ({identifier(name)}), e.g. {sorted(going & read)[0]}; nothing was "
                            "deleted. This is a bug in warehouse/rapikan.py: report it"
                        )
        finally:
            if c is not catalog:
                c.engine.dispose()


def _still_needed(catalog: SqlCatalog, settings: Settings) -> set[str]:
    """Every file any catalog of this warehouse reaches now (after the expiry commits)."""
    needed: set[str] = set()
    for c in (catalog, *_neighbours(catalog, warehouse_dir(settings))):
        for _, t in _tables(c):
            needed |= _Reach(t).table_files({s.snapshot_id for s in t.metadata.snapshots})
        if c is not catalog:
            c.engine.dispose()
    return needed


def _drop_empty(folders: set[Path], stop: set[Path]) -> None:
    """Folders left empty (a killed publish's `<tag>-<id>/kode_prov=PP/`), up to a table's data
    or metadata folder, or a cut-off's landed folder, never above."""
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        while folder not in stop and folder.name not in ("data", "metadata") and folder.is_dir():
            try:
                folder.rmdir()  # only when empty
            except OSError:
                break
            folder = folder.parent
