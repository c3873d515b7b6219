"""Publish one run as one snapshot: stage, commit each table, then register (the atomic step).

1. Stage: DuckDB writes each table's rows as Parquet files partitioned by province, in a
   folder of their own under the table's data location (published files are never
   rewritten, so older snapshots stay readable).
2. Commit: each table gets one Iceberg commit that drops the previous snapshot's files
   and adds the staged ones (`add_files`: the files DuckDB wrote are registered, not
   rewritten by pyiceberg).
3. Register: one row appended to the snapshot registry. Until then no reader sees any of
   it; a publish killed before this step leaves every reader on the previous snapshot.
4. Tag: each table's snapshot gets the snapshot's tag, so engines that read Iceberg
   directly (Spark, Trino, DuckDB) can time-travel by tag. Tags missing after a kill
   between 3 and 4 are put back by the next publish.

The same delivery (its landed fingerprint and cut-off date) is published once; a new
delivery for a cut-off already published becomes a revision (`<cutoff>-r2`). `force`
publishes the same delivery again only when what it would publish differs (a re-run after a
fix): the same rows are never a second version. Publishing does not make a snapshot current:
warehouse/current.py decides that.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
from pyiceberg.catalog import Catalog
from pyiceberg.exceptions import NoSuchTableError
from pyiceberg.expressions import AlwaysTrue

from dtsen.settings import get_settings
from transforms.engine import sql_path
from warehouse import registry
from warehouse.access import KEY_PROPERTY, analyst_select, analyst_table, key_id, key_pads, pseudonym_key
from warehouse.catalog import TABLES, identifier, local_path
from warehouse.isi import content_hash
from warehouse.kunci import catalog_lock
from warehouse.registry import Snapshot

PARTITION = "kode_prov"


def sources(run_dir: Path) -> dict[str, str]:
    """Each published table as a query over the run's outputs (paths are the run's own)."""
    run = Path(run_dir)
    parquet = lambda rel: f"read_parquet('{sql_path(run / rel)}')"  # noqa: E731
    quarantine = sorted((run / "karantina").glob("*/*.parquet"))
    files = ", ".join(repr(sql_path(p)) for p in quarantine)
    karantina = (
        # The quarantine is kept per extract and partition (<extract>/<part>.parquet): a
        # province part names its province, a national one has none.
        "SELECT * EXCLUDE (filename), "
        f"CASE WHEN regexp_matches(parse_filename(filename, true), '^[0-9]{{2}}$') "
        f"THEN parse_filename(filename, true) END AS {PARTITION} "
        f"FROM read_parquet([{files}], union_by_name = true, filename = true)"
        if quarantine
        else "SELECT NULL::VARCHAR AS sumber, NULL::VARCHAR AS berkas, NULL::BIGINT AS baris, "
        "NULL::VARCHAR AS id_sumber, NULL::VARCHAR AS aturan, NULL::VARCHAR AS kolom, NULL::VARCHAR AS nilai, "
        f"NULL::VARCHAR AS {PARTITION} LIMIT 0"
    )
    return {
        "keluarga": f"SELECT * FROM {parquet('ranked/keluarga.parquet')}",
        "individu": f"SELECT * FROM {parquet('ranked/individu.parquet')}",
        "tautan_sumber": f"SELECT * FROM {parquet('matched/tautan_sumber.parquet')}",
        "verifikasi": f"SELECT * FROM {parquet('unified/verifikasi.parquet')}",
        "karantina": karantina,
        # Every proposal, correction and objection with its outcome (pending and rejected too).
        "usulan": f"SELECT * FROM {parquet('unified/usulan.parquet')}",
    }


def content(run_dir: Path, con: duckdb.DuckDBPyConnection | None = None) -> dict[str, dict]:
    """Per published table: its row count and an order-independent hash of its rows in their
    canonical form (floats to what they mean: warehouse/isi.py). Two runs that would publish
    the same rows have the same content, whatever order their files hold them in and whatever
    noise their floats carry in the last digits: how a re-run is checked against the original."""
    con = con or duckdb.connect()
    out = {}
    for name, query in sources(run_dir).items():
        rows, digest = content_hash(con, query)
        out[name] = {"baris": rows, "hash": digest}
    return out


@dataclass(frozen=True)
class Published:
    snapshot: Snapshot
    created: bool  # False: this delivery was already published
    seconds: float


def nullable(schema: pa.Schema) -> pa.Schema:
    """Every column optional: a later snapshot may have NULLs where this one had none."""
    return pa.schema([f.with_nullable(True) for f in schema])


def table_for(catalog: Catalog, name: str, schema: pa.Schema):
    """The Iceberg table, partitioned by province, its schema widened to this run's columns."""
    try:
        table = catalog.load_table(identifier(name))
    except NoSuchTableError:
        table = catalog.create_table_if_not_exists(identifier(name), schema=nullable(schema))
    with table.update_schema() as update:
        update.union_by_name(nullable(schema))
    if table.spec().is_unpartitioned():
        with table.update_spec() as spec:
            spec.add_identity(PARTITION)
    return table


def stage(
    con: duckdb.DuckDBPyConnection, query: str, table_location: str, folder: str, params: dict | None = None
) -> list[str]:
    """Write the rows as Parquet files, one folder per province; return their URIs."""
    out = Path(local_path(table_location)) / "data" / folder
    out.parent.mkdir(parents=True, exist_ok=True)
    con.execute(
        f"COPY ({query}) TO '{sql_path(out)}' "
        f"(FORMAT parquet, COMPRESSION zstd, PARTITION_BY ({PARTITION}), WRITE_PARTITION_COLUMNS true)",
        params,
    )
    return sorted(f"file://{p}" for p in out.rglob("*.parquet"))  # not as_uri(): pyiceberg does not unquote


def commit(table, files: list[str], properties: dict[str, str]) -> int | None:
    """One commit: the previous snapshot's files out, these in. Returns the snapshot id, or
    None for a table that has never held a row (an empty quarantine): readers see it empty."""
    with table.transaction() as tx:
        if table.current_snapshot() is not None:
            tx.delete(AlwaysTrue(), snapshot_properties=properties)
        if files:
            tx.add_files(files, snapshot_properties=properties, check_duplicate_files=False)
    table.refresh()
    return table.current_snapshot().snapshot_id if table.current_snapshot() else None


def publish_analyst(
    con: duckdb.DuckDBPyConnection, catalog: Catalog, name: str, query: str, folder: str, properties: dict, key: bytes
) -> int | None:
    """The analyst table of `name`: the same rows, tokenised, in an Iceberg table of its own."""
    schema = con.sql(f"SELECT * FROM ({query}) LIMIT 0").to_arrow_table().schema
    select = analyst_select(name, schema, f"({query})")
    pads = key_pads(key)
    tokenised = con.sql(f"SELECT * FROM ({select}) LIMIT 0", params=pads).to_arrow_table().schema
    table = table_for(catalog, analyst_table(name), tokenised)
    if table.properties.get(KEY_PROPERTY) != key_id(key):
        with table.transaction() as tx:
            tx.set_properties({KEY_PROPERTY: key_id(key)})
    return commit(table, stage(con, select, table.location(), folder, pads), properties)


def tag_tables(catalog: Catalog, snapshot: Snapshot) -> None:
    for name, snapshot_id in snapshot.snapshot_tabel.items():
        if snapshot_id is None:
            continue
        table = catalog.load_table(identifier(name))
        if snapshot.tag not in table.refs():
            table.manage_snapshots().create_tag(snapshot_id, snapshot.tag).commit()


def next_tag(published: list[Snapshot], cutoff: dt.date) -> tuple[str, int]:
    revisions = [s.revisi for s in published if s.cutoff == cutoff]
    if not revisions:
        return cutoff.isoformat(), 1
    n = max(revisions) + 1
    return f"{cutoff.isoformat()}-r{n}", n


def publish(
    catalog: Catalog,
    run_dir: Path,
    con: duckdb.DuckDBPyConnection | None = None,
    quality: str | None = None,
    force: bool = False,
    key: bytes | None = None,
) -> Published:
    """Publish the run in `run_dir` (its manifest and stage outputs) as one snapshot: each
    table and its analyst table (`analis_<table>`, warehouse/access.py).

    `quality`: the run's quality status; by default its manifest's (`mutu.status`), and
    `BELUM_DIPERIKSA` for a run that has none (such a snapshot never becomes current by the rule).
    `key`: the pseudonymisation key; by default the settings' (made on the first publish).

    Inside the warehouse lock (warehouse/kunci.py; re-entered when a refresh holds it): the
    registry is read, the tag chosen and the row registered with no other publish between."""
    run_dir = Path(run_dir)
    key = key if key is not None else pseudonym_key(get_settings(), create=True)
    with catalog_lock(catalog, f"publish of {run_dir}"):
        check_key(catalog, key)
        return _publish(catalog, run_dir, con, quality, force, key)


class KeyChanged(RuntimeError):
    """The analyst tables were made with another pseudonymisation key."""


def check_key(catalog: Catalog, key: bytes) -> None:
    """Refuse, before anything is written, a key other than the one the analyst tables hold:
    every family's token would change from this snapshot on."""
    for name in TABLES:
        try:
            made_with = catalog.load_table(identifier(analyst_table(name))).properties.get(KEY_PROPERTY)
        except NoSuchTableError:
            continue
        if made_with is not None and made_with != key_id(key):
            raise KeyChanged(
                f"the pseudonymisation key is not the one the published analyst tables were made with "
                f"({identifier(analyst_table(name))}): publishing would change every token. Restore the key "
                "(DTSEN_PSEUDONYM_KEY or the key file of the operator's home); nothing was published"
            )


def _publish(
    catalog: Catalog,
    run_dir: Path,
    con: duckdb.DuckDBPyConnection | None,
    quality: str | None,
    force: bool,
    key: bytes,
) -> Published:
    started = time.perf_counter()
    manifest = json.loads((run_dir / "manifest.json").read_text())
    quality = quality or manifest.get("mutu", {}).get("status") or "BELUM_DIPERIKSA"
    con = con or duckdb.connect()
    if "isi" not in manifest:  # a run from before content hashes: what tells a re-run apart
        manifest["isi"] = content(run_dir, con)
    fingerprint = manifest["landed"]["fingerprint"]
    published = registry.snapshots(catalog)
    for s in published:
        tag_tables(catalog, s)  # repairs tags lost to a publish killed after its registration
    cutoff = dt.date.fromisoformat(manifest["cutoff"])
    # The same delivery for the same cut-off: a month with identical extracts is still a month.
    same = [s for s in published if s.sidik_kiriman == fingerprint and s.cutoff == cutoff]
    if same and not (force and manifest["isi"] != same[-1].manifest.get("isi")):
        return Published(same[-1], created=False, seconds=time.perf_counter() - started)

    tag, revisi = next_tag(published, cutoff)
    folder = f"{tag}-{uuid.uuid4().hex[:8]}"
    properties = {"dtsen.tag": tag, "dtsen.run_id": manifest["run_id"]}
    snapshot_ids, rows = {}, {}
    for name, query in sources(run_dir).items():
        schema = con.sql(f"SELECT * FROM ({query}) LIMIT 0").to_arrow_table().schema
        table = table_for(catalog, name, schema)
        files = stage(con, query, table.location(), folder)
        snapshot_ids[name] = commit(table, files, properties)
        rows[name] = con.execute(f"SELECT count(*) FROM ({query})").fetchall()[0][0]
        snapshot_ids[analyst_table(name)] = publish_analyst(con, catalog, name, query, folder, properties, key)
    snapshot = Snapshot(
        tag=tag,
        cutoff=cutoff,
        revisi=revisi,
        diterbitkan=dt.datetime.now(dt.UTC),
        run_id=manifest["run_id"],
        sidik_kiriman=fingerprint,
        versi_kode=manifest.get("code_version", "unknown"),
        snapshot_tabel=snapshot_ids,
        jumlah_baris=rows,
        status_mutu=quality,
        manifest=manifest,
    )
    registry.record(catalog, snapshot)
    tag_tables(catalog, snapshot)
    return Published(snapshot, created=True, seconds=time.perf_counter() - started)


__all__ = ["TABLES", "Published", "publish"]
