"""The snapshot registry: one row per published snapshot, in an Iceberg table of its own.

Iceberg commits one table at a time, so a publish commits the five tables first and then
appends one row here: that append is the atomic moment of a publish. Readers resolve a tag
through this table to each table's snapshot id, so a publish killed half-way leaves the
registry, and therefore every reader, on the previous snapshot.

Which snapshot is current (the quality rule and the operator's pin) is warehouse/current.py.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pyarrow as pa
from pyiceberg.catalog import Catalog

from warehouse.catalog import REGISTRY, own_table

SCHEMA = pa.schema(
    [
        pa.field("tag", pa.string()),
        pa.field("cutoff", pa.date32()),
        pa.field("revisi", pa.int32()),
        pa.field("diterbitkan", pa.timestamp("us", tz="UTC")),
        pa.field("run_id", pa.string()),
        pa.field("sidik_kiriman", pa.string()),  # the landed delivery's fingerprint
        pa.field("versi_kode", pa.string()),
        pa.field("snapshot_tabel", pa.string()),  # JSON {table: Iceberg snapshot id}
        pa.field("jumlah_baris", pa.string()),  # JSON {table: rows}
        pa.field("status_mutu", pa.string()),
        pa.field("manifest", pa.string()),  # the run's manifest (counts and checksums only)
    ]
)


class SnapshotNotFound(LookupError):
    """No published snapshot has that tag."""


@dataclass(frozen=True)
class Snapshot:
    tag: str
    cutoff: dt.date
    revisi: int
    diterbitkan: dt.datetime
    run_id: str
    sidik_kiriman: str
    versi_kode: str
    snapshot_tabel: dict[str, int | None]  # None: the table has never held a row
    jumlah_baris: dict[str, int]
    status_mutu: str
    manifest: dict

    @classmethod
    def from_row(cls, row: dict) -> Snapshot:
        decoded = {k: json.loads(row[k]) for k in ("snapshot_tabel", "jumlah_baris", "manifest")}
        return cls(**(row | decoded))

    @property
    def galat_penargetan(self) -> dict | None:
        """The model's out-of-sample targeting error this snapshot published (galat.py)."""
        return targeting_error(self.manifest)

    def to_row(self) -> dict:
        return self.__dict__ | {
            k: json.dumps(getattr(self, k), sort_keys=True) for k in ("snapshot_tabel", "jumlah_baris", "manifest")
        }


def targeting_error(manifest: dict) -> dict | None:
    """The out-of-sample targeting error of a manifest's model (transforms/rank/galat.py);
    None when the model was not fitted on the run's own sample, or the run is older."""
    return manifest.get("peringkat", {}).get("galat_penargetan")


def registry_table(catalog: Catalog):
    return own_table(catalog, REGISTRY, SCHEMA)


def snapshots(catalog: Catalog) -> list[Snapshot]:
    """Every published snapshot, oldest cut-off first."""
    rows = registry_table(catalog).scan().to_arrow().to_pylist()
    return sorted((Snapshot.from_row(r) for r in rows), key=lambda s: (s.cutoff, s.revisi))


class TagTaken(RuntimeError):
    """A snapshot with that tag is registered already: two publishes chose one tag."""


def record(catalog: Catalog, snapshot: Snapshot) -> None:
    """The atomic moment of a publish: one appended row, one commit.

    A last guard behind the warehouse lock (warehouse/kunci.py): a tag already registered is
    refused. Checked on the table object the append commits to, so a row another publish
    appended after this check fails Iceberg's commit (the registry's snapshot moved) instead."""
    table = registry_table(catalog)
    taken = {r["tag"]: r["run_id"] for r in table.scan(selected_fields=("tag", "run_id")).to_arrow().to_pylist()}
    if snapshot.tag in taken:
        raise TagTaken(
            f"snapshot tag {snapshot.tag!r} is registered already (run {taken[snapshot.tag]}); run "
            f"{snapshot.run_id} was not registered: publish it again (`dtsen publish --run ...`) to take the next tag"
        )
    table.append(pa.Table.from_pylist([snapshot.to_row()], schema=SCHEMA))
