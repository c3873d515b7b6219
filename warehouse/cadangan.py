"""Backup, restore and relocation of a home: the warehouse's absolute locations rewritten.

Iceberg (format versions 1 to 3) records every location absolutely: the table's `location`, its
earlier metadata files and each snapshot's manifest list in the metadata JSON, each manifest in
a manifest list, each data file in a manifest (both Avro), and the catalog row's
`metadata_location`. Relative locations come only with format version 4 (a proposal of the
spec), and pyiceberg 0.12 has no location rewrite (Java's `rewrite_table_path` procedure has
no pyiceberg counterpart yet: apache/iceberg-python#2014). A home copied to another path
therefore reads nothing until every one of those locations is rewritten, which this module does.

- `backup`: one tar file of a home, taken under the warehouse lock (warehouse/kunci.py), so no
  publish runs meanwhile. The warehouse part holds exactly the files the catalog reaches: the
  current metadata file of every table of the namespace (the snapshot registry first), the
  earlier ones it lists, every snapshot's manifest list, manifests and data files (never an
  orphan left by a killed publish, never the catalog database). The catalog's rows (one pointer
  per table) are written into the archive's index, `dtsen-cadangan.json`, with every warehouse
  file's size, so a restore needs nothing from the old catalog database, SQLite or PostgreSQL.
  The audit log and the agencies' credentials (hashes), rows of the catalog database too, come
  in the index as well. The rest of the home comes as it is: runs, landed deliveries, diffs; not
  Prefect's state (`prefect/`: its database and cached results, keyed on the old paths), the
  spill folder (`tmp/`), the analyst copies of the old kind (`analis/`) or the service's
  status index (`layanan/`, rebuilt on the first question). The key file (`rahasia/`) comes:
  without it the restored warehouse could not publish with the same tokens.
- `restore`: the archive unpacked into a home (never over an existing file), every location in
  the metadata JSON files, manifest lists and manifests rewritten from the old warehouse to the
  new one (manifest lengths in the manifest lists follow), each table registered in the catalog
  the settings name (a fresh SQLite file in the new home, or a PostgreSQL database), then every
  tag read back: every data file there with its size, rows as the registry recorded them.
- `relocate`: the same rewrite for a home copied or moved by other means (cp, rsync, a disk
  image), its catalog rows repointed in one transaction.

Data files are never rewritten: a Parquet file holds no location, and they stay byte for byte.
Avro files are rewritten block by block with the original header (schema, metadata, sync
marker) kept: each block's records are decoded with the file's own schema and re-encoded, and a
block whose unchanged records do not re-encode to the very bytes read is refused, so a rewrite
can never change anything but a location.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import io
import json
import os
import tarfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pyiceberg.avro.codecs.codec import Codec
from pyiceberg.avro.decoder import new_decoder
from pyiceberg.avro.encoder import BinaryEncoder
from pyiceberg.avro.file import META_SCHEMA, SYNC_SIZE, AvroFileHeader
from pyiceberg.avro.resolver import construct_reader, construct_writer
from pyiceberg.catalog.sql import IcebergTables, SqlCatalog
from pyiceberg.schema import Schema
from pyiceberg.typedef import Record
from pyiceberg.types import StructType
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dtsen.settings import Settings
from transforms.errors import InputError
from warehouse import registry
from warehouse.audit import AUDIT
from warehouse.audit import engine as audit_engine
from warehouse.catalog import NAMESPACE, REGISTRY, display_url, identifier, open_catalog, warehouse_dir
from warehouse.kredensial import KREDENSIAL
from warehouse.kredensial import engine as kredensial_engine

FORMAT = "dtsen-cadangan/1"
INDEX = "dtsen-cadangan.json"
HOME = "home"  # the archive's folder for the home's files
WAREHOUSE = "warehouse"
# Not carried: Prefect's database and cached results (keyed on the old paths; a restored home
# starts a fresh one), DuckDB's spill files, old analyst copies, the service's status index.
NOT_CARRIED = ("prefect", "tmp", "analis", "layanan")
WAREHOUSE_ONLY = ("audit", "rahasia")  # with --warehouse-only: an older audit file and the key still come


# The home's own tables in the catalog database (not Iceberg's): they travel in the index.
OWN_TABLES = (AUDIT, KREDENSIAL)


def own_rows(settings: Settings) -> dict[str, list[dict]]:
    """This catalog's audit lines and credentials (hashes only), as JSON values."""
    out: dict[str, list[dict]] = {}
    eng = audit_engine(settings)
    kredensial_engine(settings).dispose()  # creates its table where none is yet
    try:
        with eng.connect() as c:
            for table in OWN_TABLES:
                # an audit line's id is its place in one database; a credential's is its name
                skip = {"katalog"} | ({"id"} if table is AUDIT else set())
                rows = c.execute(select(table).where(table.c.katalog == settings.catalog_name)).fetchall()
                out[table.name] = [
                    {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in r._asdict().items() if k not in skip}
                    for r in rows
                ]
    finally:
        eng.dispose()
    return out


def _value(column, value):
    if value is None:
        return None
    if isinstance(column.type, sa.DateTime):
        return dt.datetime.fromisoformat(value)
    if isinstance(column.type, sa.Date):
        return dt.date.fromisoformat(value)
    return value


def put_own_rows(settings: Settings, rows: dict[str, list[dict]]) -> None:
    """The backup's audit lines and credentials into this catalog, each once: a credential
    already there (by id) and a line already there (same time, who, what) are not added again."""
    eng = audit_engine(settings)
    kredensial_engine(settings).dispose()
    try:
        with eng.begin() as c:
            for table in OWN_TABLES:
                held = {
                    tuple(r)
                    for r in c.execute(
                        select(*_identity(table)).where(table.c.katalog == settings.catalog_name)
                    ).fetchall()
                }
                new = []
                for row in rows.get(table.name, []):
                    values = {k: _value(table.c[k], v) for k, v in row.items()} | {"katalog": settings.catalog_name}
                    if tuple(values[c.name] for c in _identity(table)) not in held:
                        new.append(values)
                if new:
                    c.execute(table.insert(), new)
    finally:
        eng.dispose()


def _identity(table) -> list:
    if table is KREDENSIAL:
        return [table.c.id]
    return [table.c.waktu, table.c.pengguna, table.c.perintah, table.c.detail]


# ------------------------------------------------------------------------------- locations


@dataclass(frozen=True)
class Move:
    """Locations under one warehouse, rewritten to lie under another."""

    old: str  # the old warehouse folder, absolute
    new: str

    def __call__(self, location: str) -> str:
        for scheme in ("file://", ""):
            before = scheme + self.old
            if location == before or location.startswith(before + "/"):
                return scheme + self.new + location[len(before) :]
        return location

    def deep(self, value: Any) -> Any:
        """Every string in a JSON value or an Avro record that is a location under the old warehouse."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, Record):
            for i in range(len(value)):
                value[i] = self.deep(value[i])
            return value
        if isinstance(value, list):
            return [self.deep(v) for v in value]
        if isinstance(value, dict):
            return {self.deep(k): self.deep(v) for k, v in value.items()}
        return value


def _local(location: str) -> Path:
    return Path(location.removeprefix("file://"))


def _under(location: str, warehouse: Path) -> bool:
    path = location.removeprefix("file://")
    return path.startswith(str(warehouse) + "/")


# ------------------------------------------------------------------------------ Avro files


@dataclass
class _Avro:
    """An Avro file as its header's bytes and its records per block."""

    head: bytes  # magic, metadata (schema, codec, Iceberg's keys) and sync marker, as read
    sync: bytes
    schema: Schema
    codec: type[Codec] | None
    blocks: list[list[Any]]

    def column(self, name: str) -> int:
        return [f.name for f in self.schema.fields].index(name)


def _encode(schema: Schema, records: list[Any]) -> bytes:
    writer = construct_writer(schema)
    buffer = io.BytesIO()
    encoder = BinaryEncoder(buffer)
    for record in records:
        writer.write(encoder, record)
    return buffer.getvalue()


def read_avro(path: Path) -> _Avro:
    data = path.read_bytes()
    decoder = new_decoder(data)
    header = construct_reader(META_SCHEMA, {-1: AvroFileHeader}).read(decoder)
    head = data[: decoder.tell()]
    schema = header.get_schema()
    reader = construct_reader(schema)
    codec = header.compression_codec()
    blocks = []
    while decoder.tell() < len(data):
        count = decoder.read_int()
        raw = decoder.read_bytes()
        if decoder.read(SYNC_SIZE) != header.sync:
            raise ValueError(f"{path}: an Avro block ends without the file's sync marker")
        if codec is not None:
            raw = codec.decompress(raw)
        block = new_decoder(raw)
        records = [reader.read(block) for _ in range(count)]
        if _encode(schema, records) != raw:  # the guarantee: only locations can change
            raise ValueError(f"{path}: an Avro block does not re-encode to the bytes read; not rewritten")
        blocks.append(records)
    return _Avro(head, header.sync, schema, codec, blocks)


def write_avro(avro: _Avro, path: Path) -> int:
    """Write the file (under a temporary name, then renamed into place); return its size."""
    buffer = io.BytesIO(avro.head)
    buffer.seek(0, io.SEEK_END)
    encoder = BinaryEncoder(buffer)
    for records in avro.blocks:
        raw = _encode(avro.schema, records)
        encoder.write_int(len(records))
        if avro.codec is not None:
            content, length = avro.codec.compress(raw)
            encoder.write_int(length)
            encoder.write(content)
        else:
            encoder.write_int(len(raw))
            encoder.write(raw)
        encoder.write(avro.sync)
    _replace(path, buffer.getvalue())
    return len(buffer.getvalue())


def _replace(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


# --------------------------------------------------------------------- a table's metadata


def read_metadata(path: Path) -> dict:
    data = path.read_bytes()
    return json.loads(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)


def write_metadata(metadata: dict, path: Path) -> None:
    data = json.dumps(metadata, separators=(",", ":")).encode()
    _replace(path, gzip.compress(data) if path.read_bytes()[:2] == b"\x1f\x8b" else data)


@dataclass
class TableFiles:
    """Every file one table's current metadata reaches, as the metadata records their locations."""

    metadata: list[str]  # the current metadata file first, then the earlier ones still there
    manifest_lists: list[str] = field(default_factory=list)
    manifests: list[str] = field(default_factory=list)
    data: list[str] = field(default_factory=list)  # data, delete and statistics files

    def all(self) -> list[str]:
        return [*self.metadata, *self.manifest_lists, *self.manifests, *self.data]


def reach(metadata_location: str, where: Callable[[str], Path]) -> TableFiles:
    """Walk a table from its current metadata file; `where` says where a recorded location is now."""
    metadata = read_metadata(where(metadata_location))
    earlier = [e["metadata-file"] for e in metadata.get("metadata-log", [])]
    files = TableFiles([metadata_location, *(m for m in reversed(earlier) if where(m).is_file())])
    seen: set[str] = set()
    for snapshot in metadata.get("snapshots", []):
        manifests = list(snapshot.get("manifests", []))  # format v1 may list them inline
        if "manifest-list" in snapshot:
            files.manifest_lists.append(snapshot["manifest-list"])
            listed = read_avro(where(snapshot["manifest-list"]))
            at = listed.column("manifest_path")
            manifests += [r[at] for block in listed.blocks for r in block]
        for manifest in manifests:
            if manifest in seen:
                continue
            seen.add(manifest)
            files.manifests.append(manifest)
            entries = read_avro(where(manifest))
            data_file = entries.column("data_file")
            data_type = entries.schema.find_field("data_file").field_type
            assert isinstance(data_type, StructType)
            path_at = [f.name for f in data_type.fields].index("file_path")
            files.data += [r[data_file][path_at] for block in entries.blocks for r in block]
    for kind in ("statistics", "partition-statistics"):
        files.data += [s["statistics-path"] for s in metadata.get(kind, [])]
    files.data = sorted(set(files.data))
    return files


def rewrite_table(files: TableFiles, move: Move) -> str:
    """Rewrite one table's metadata files in place (they lie under the new warehouse already,
    still naming the old one); return its current metadata file's new location."""
    lengths: dict[str, int] = {}
    for manifest in files.manifests:
        path = _local(move(manifest))
        avro = read_avro(path)
        avro.blocks = [[move.deep(r) for r in block] for block in avro.blocks]
        lengths[move(manifest)] = write_avro(avro, path)
    for listed in files.manifest_lists:
        path = _local(move(listed))
        avro = read_avro(path)
        at, length_at = avro.column("manifest_path"), avro.column("manifest_length")
        for block in avro.blocks:
            for record in block:
                move.deep(record)
                record[length_at] = lengths.get(record[at], record[length_at])
        write_avro(avro, path)
    for location in files.metadata:
        path = _local(move(location))
        write_metadata(move.deep(read_metadata(path)), path)
    return move(files.metadata[0])


# -------------------------------------------------------------------------------- catalog


def pointers(catalog: SqlCatalog) -> dict[str, str]:
    """Each table of the namespace and its current metadata file, the registry first: a
    publish commits its tables before the registry, so tables read after the registry hold
    at least every snapshot the registry names, even with no lock held."""
    names = sorted(name for _, name in catalog.list_tables(NAMESPACE))
    names.sort(key=lambda n: n != REGISTRY)
    return {identifier(n): catalog.load_table(identifier(n)).metadata_location for n in names}


def catalog_rows(catalog: SqlCatalog) -> dict[str, tuple[str | None, str | None]]:
    """The catalog's own rows (metadata and previous metadata location), read without opening
    any metadata file: they may name files that are not there any more."""
    with Session(catalog.engine) as session:
        rows = session.execute(
            select(
                IcebergTables.table_name, IcebergTables.metadata_location, IcebergTables.previous_metadata_location
            ).where(IcebergTables.catalog_name == catalog.name, IcebergTables.table_namespace == NAMESPACE)
        ).all()
    return {identifier(name): (location, previous) for name, location, previous in rows}


def repoint(catalog: SqlCatalog, locations: dict[str, tuple[str, str | None]]) -> None:
    """Point existing catalog rows at new metadata files, all in one transaction."""
    with Session(catalog.engine) as session, session.begin():
        for ident, (location, previous) in locations.items():
            session.execute(
                update(IcebergTables)
                .where(
                    IcebergTables.catalog_name == catalog.name,
                    IcebergTables.table_namespace == NAMESPACE,
                    IcebergTables.table_name == ident.split(".", 1)[1],
                )
                .values(metadata_location=location, previous_metadata_location=previous)
            )


@dataclass(frozen=True)
class Checked:
    tag: str
    rows: dict[str, int]


def check(catalog: SqlCatalog) -> list[Checked]:
    """Every tag read back from the catalog: each of its data files there with the size its
    manifest records, and its rows per table as the registry recorded them at publishing."""
    if not catalog.table_exists(identifier(REGISTRY)):
        return []  # nothing was ever published
    out = []
    for snapshot in registry.snapshots(catalog):
        rows = {}
        for table, snapshot_id in snapshot.snapshot_tabel.items():
            if snapshot_id is None:
                rows[table] = 0
                continue
            tasks = list(catalog.load_table(identifier(table)).scan(snapshot_id=snapshot_id).plan_files())
            for task in tasks:
                path = _local(task.file.file_path)
                if not path.is_file() or path.stat().st_size != task.file.file_size_in_bytes:
                    raise RuntimeError(f"{snapshot.tag}: {table}'s data file {path} is missing or not its size")
            rows[table] = sum(task.file.record_count for task in tasks)
            if rows[table] != snapshot.jumlah_baris.get(table, rows[table]):
                raise RuntimeError(
                    f"{snapshot.tag}: {table} reads {rows[table]} rows, the registry recorded "
                    f"{snapshot.jumlah_baris[table]}"
                )
        out.append(Checked(snapshot.tag, rows))
    return out


@contextlib.contextmanager
def _locked(settings: Settings, purpose: str) -> Iterator[None]:
    """The warehouse lock (warehouse/kunci.py): no refresh or publish while a home is copied or
    rewritten."""
    from warehouse.kunci import warehouse_lock

    with warehouse_lock(settings, purpose):
        yield


# ---------------------------------------------------------------------------------- backup


@dataclass(frozen=True)
class Backup:
    path: Path
    tables: int
    tags: list[str]
    files: int
    bytes: int
    parts: list[str]
    seconds: float


def _compressed(archive: Path) -> bool:
    """FILE.tar, or FILE.tar.gz / FILE.tgz compressed."""
    if archive.name.endswith((".tar.gz", ".tgz")):
        return True
    if archive.name.endswith(".tar"):
        return False
    raise InputError(f"{archive}: name the backup FILE.tar (or FILE.tar.gz to compress it)")


def backup(settings: Settings, out: Path, warehouse_only: bool = False) -> Backup:
    """Write a consistent copy of the home in `settings` to the tar file `out`."""
    started = time.perf_counter()
    home, out = settings.home_dir, Path(out).resolve()
    gz = _compressed(out)
    if out.exists():
        raise InputError(f"{out}: exists; a backup never overwrites a file, name a new one")
    if out.is_relative_to(home):
        raise InputError(f"{out}: lies inside DTSEN_HOME {home}; write the backup outside the home it copies")
    if not out.parent.is_dir():
        raise InputError(f"{out.parent}: no such folder")
    warehouse = warehouse_dir(settings)
    with _locked(settings, f"`dtsen backup --out {out}`"):
        catalog = open_catalog(settings)
        tables: dict[str, dict] = {}
        sizes: dict[str, int] = {}
        for ident, location in pointers(catalog).items():
            files = reach(location, _local)
            outside = [f for f in files.all() if not _under(f, warehouse)]
            if outside:
                raise InputError(
                    f"{ident} names {len(outside)} file(s) outside the warehouse {warehouse}, e.g. {outside[0]}; "
                    "a backup carries only the warehouse's own files"
                )
            for f in files.all():
                sizes[str(_local(f).relative_to(warehouse))] = _local(f).stat().st_size
            tables[ident] = {
                "lokasi": location,  # the catalog's row, as it stood
                "metadata": str(_local(location).relative_to(warehouse)),
                "berkas": len(files.all()),
            }
        tags = [s.tag for s in registry.snapshots(catalog)] if identifier(REGISTRY) in tables else []
        parts = [
            p.name
            for p in sorted(home.iterdir())
            if p.name != WAREHOUSE and p.name not in NOT_CARRIED and (not warehouse_only or p.name in WAREHOUSE_ONLY)
        ]
        index = {
            "format": FORMAT,
            "dibuat": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "home": str(home),
            "gudang": str(warehouse),
            "katalog": {"nama": catalog.name, "url": display_url(settings)},
            "tabel": tables,
            "tag": tags,
            "bagian": [WAREHOUSE, *parts],  # what the archive carries
            "berkas_gudang": dict(sorted(sizes.items())),
            "baris_sendiri": own_rows(settings),  # the audit log and the credentials
        }
        tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        try:
            with tarfile.open(tmp, "w:gz") if gz else tarfile.open(tmp, "w") as tar:
                data = json.dumps(index, indent=1).encode()
                info = tarfile.TarInfo(INDEX)
                info.size, info.mtime, info.mode = len(data), int(time.time()), 0o644
                tar.addfile(info, io.BytesIO(data))
                for rel in index["berkas_gudang"]:
                    tar.add(warehouse / rel, arcname=f"{HOME}/{WAREHOUSE}/{rel}", recursive=False)
                for part in parts:
                    tar.add(home / part, arcname=f"{HOME}/{part}", filter=_plain)
            os.replace(tmp, out)
        finally:
            tmp.unlink(missing_ok=True)
    return Backup(
        out, len(tables), tags, len(sizes), out.stat().st_size, [WAREHOUSE, *parts], time.perf_counter() - started
    )


def _plain(member: tarfile.TarInfo) -> tarfile.TarInfo | None:
    """Files, folders and links only (a socket or a FIFO in a home is nobody's data)."""
    return member if member.isreg() or member.isdir() or member.issym() or member.islnk() else None


# --------------------------------------------------------------------------------- restore


@dataclass(frozen=True)
class Restored:
    home: Path
    source: str
    checked: list[Checked]
    files: int
    seconds: float


def _index(tar: tarfile.TarFile, archive: Path) -> dict:
    first = tar.next()
    if first is None or first.name != INDEX:
        raise InputError(f"{archive}: not a DTSEN backup (its first file is not {INDEX}); make one with dtsen backup")
    reader = tar.extractfile(first)
    index = json.loads(reader.read()) if reader else {}
    if index.get("format") != FORMAT:
        raise InputError(f"{archive}: a backup of format {index.get('format')!r}; this version reads {FORMAT}")
    return index


def restore(archive: Path, settings: Settings, replace_catalog: bool = False) -> Restored:
    """Unpack the backup `archive` into the home in `settings`, rewrite its locations, register
    its tables in the catalog the settings name and read every tag back.

    `replace_catalog`: the catalog already holds these tables (a PostgreSQL catalog that outlived
    the home it pointed to): point its rows at the restored files instead of refusing."""
    started = time.perf_counter()
    archive = Path(os.path.abspath(archive))
    if not archive.is_file():
        raise InputError(f"{archive}: no such file")
    home, warehouse = settings.home_dir, warehouse_dir(settings)
    try:
        _compressed(archive)
        tar = tarfile.open(archive, "r:*")
    except tarfile.TarError as e:
        raise InputError(f"{archive}: not a readable tar file ({e})") from None
    with tar:
        index = _index(tar, archive)
        members = tar.getmembers()[1:]
        strange = [m.name for m in members if not m.name.startswith(f"{HOME}/")]
        if strange:
            raise InputError(f"{archive}: holds {strange[0]!r} outside {HOME}/; not a DTSEN backup")
        there = [home / m.name.removeprefix(f"{HOME}/") for m in members if not m.isdir()]
        there = [p for p in there if p.exists() or p.is_symlink()]
        if there:
            raise InputError(
                f"{there[0]} exists ({len(there)} file(s) of the backup do); restore into a new home "
                "(--home DIR or DTSEN_HOME): a restore never overwrites a file"
            )
        with _locked(settings, f"`dtsen restore {archive}`"):
            catalog = open_catalog(settings)
            held = catalog_rows(catalog)
            clash = sorted(set(index["tabel"]) & set(held))
            if clash and not replace_catalog:
                raise InputError(
                    f"catalog {catalog.name!r} ({display_url(settings)}) already holds {', '.join(clash)}; restore "
                    "under another DTSEN_CATALOG_NAME, or add --replace-catalog to point those tables at the "
                    "restored files"
                )
            for member in members:
                member.name = member.name.removeprefix(f"{HOME}/")
                try:
                    tar.extract(member, home, filter=_as_archived)
                except tarfile.FilterError as e:
                    raise InputError(f"{archive}: {e}; not restored past it") from None
            for rel, size in index["berkas_gudang"].items():
                path = warehouse / rel
                if not path.is_file() or path.stat().st_size != size:
                    raise InputError(f"{archive}: {rel} came out missing or not {size} bytes; the backup is damaged")
            move = Move(index["gudang"], str(warehouse))
            new: dict[str, str] = {}
            for ident, table in index["tabel"].items():
                location = table["lokasi"]
                if move.old != move.new:
                    location = rewrite_table(reach(location, lambda loc: _local(move(loc))), move)
                new[ident] = location
            repoint(catalog, {i: (loc, None) for i, loc in new.items() if i in held})
            for ident, location in new.items():
                if ident not in held:
                    catalog.register_table(ident, location)
            put_own_rows(settings, index.get("baris_sendiri", {}))
            checked = check(catalog)
    return Restored(home, index["home"], checked, len(index["berkas_gudang"]), time.perf_counter() - started)


def _as_archived(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo:
    """tarfile's `data` filter (no absolute path, no link leading out, no device), keeping a
    file's own permissions: a landed delivery's files stay read-only."""
    checked = tarfile.data_filter(member, dest)
    return checked.replace(mode=member.mode & 0o777, deep=False) if member.isreg() else checked


# -------------------------------------------------------------------------------- relocate


@dataclass(frozen=True)
class Relocated:
    home: Path
    tables: int
    rewritten: int
    checked: list[Checked]
    seconds: float


def relocate(settings: Settings, old_home: Path) -> Relocated:
    """A home copied or moved from `old_home` to the one in `settings` (its warehouse files
    there, its catalog rows still naming `old_home`): rewrite and repoint. Run again after an
    interruption, it finishes the job (a location already moved stays as it is)."""
    started = time.perf_counter()
    home = settings.home_dir
    old = Path(os.path.abspath(old_home))
    if old == home:
        raise InputError(f"--from {old}: that is this home (DTSEN_HOME); name the path the home was copied from")
    warehouse = warehouse_dir(settings)
    move = Move(str(old / WAREHOUSE), str(warehouse))
    with _locked(settings, f"`dtsen relocate --from {old}`"):
        catalog = open_catalog(settings)
        rows = catalog_rows(catalog)
        if not rows:
            raise InputError(f"catalog {catalog.name!r} ({display_url(settings)}) holds no table: nothing to relocate")
        stranger = {
            i: loc for i, (loc, _) in rows.items() if loc is None or (move(loc) == loc and not _under(loc, warehouse))
        }
        if stranger:
            ident, loc = next(iter(stranger.items()))
            raise InputError(
                f"{ident}: its metadata {loc} lies under neither {move.old} nor {warehouse}; "
                "--from names the home the tables were copied from"
            )
        new: dict[str, tuple[str, str | None]] = {}
        rewritten = 0
        for ident, (location, previous) in rows.items():
            assert location is not None
            if not _local(move(location)).is_file():
                raise InputError(f"{ident}: {_local(move(location))} is not here; copy the whole warehouse first")
            files = reach(location, lambda loc: _local(move(loc)))
            rewrite_table(files, move)
            rewritten += len(files.metadata) + len(files.manifest_lists) + len(files.manifests)
            new[ident] = (move(location), move(previous) if previous else None)
        repoint(catalog, new)
        checked = check(catalog)
    return Relocated(home, len(rows), rewritten, checked, time.perf_counter() - started)
