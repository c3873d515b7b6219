"""Which snapshot is current: the one a reader gets without naming a tag.

By the rule, the latest cut-off (within it the latest revision) among the snapshots a
reader may be given without anyone's word: quality `LULUS`, or `PERINGATAN` whose every
warning the operator accepted in configuration (`DTSEN_PERINGATAN_DITERIMA`). An unchecked
publish (`BELUM_DIPERIKSA`, `dtsen publish` of a run without quality results) never becomes
current by the rule, and a backfill (an older cut-off published later) never moves it back.

The operator can pin a snapshot instead (`dtsen current set TAG --alasan ...`: a rollback,
or a month with a warning accepted once) and return to the rule (`dtsen current release`).
Pins are events appended to an Iceberg table of their own, `penetapan_current`, beside the
snapshot registry: the last event decides, the earlier ones are the history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow as pa
from pyiceberg.catalog import Catalog

from warehouse.catalog import own_table
from warehouse.kunci import catalog_lock
from warehouse.registry import Snapshot, SnapshotNotFound, snapshots

TABLE = "penetapan_current"
SCHEMA = pa.schema(
    [
        pa.field("waktu", pa.timestamp("us", tz="UTC")),
        pa.field("aksi", pa.string()),  # TETAPKAN (pin) or LEPAS (back to the rule)
        pa.field("tag", pa.string()),  # the pinned snapshot; null for LEPAS
        pa.field("alasan", pa.string()),
        pa.field("oleh", pa.string()),  # the operator, as the audit log names them
    ]
)
TETAPKAN, LEPAS = "TETAPKAN", "LEPAS"
BY_RULE, PINNED = "ATURAN", "DITETAPKAN"


@dataclass(frozen=True)
class Penetapan:
    waktu: dt.datetime
    aksi: str
    tag: str | None
    alasan: str
    oleh: str


@dataclass(frozen=True)
class Pilihan:
    """The current snapshot (None: no snapshot may be current), how it was chosen, and the
    pin in force if any."""

    snapshot: Snapshot | None
    cara: str  # ATURAN or DITETAPKAN
    penetapan: Penetapan | None


def _accepted(warning: str, diterima: frozenset[str]) -> bool:
    """A warning `suite:RULE` is accepted by its full name or by the rule's name alone."""
    return warning in diterima or warning.rsplit(":", 1)[-1] in diterima


def why_not_current(snapshot: Snapshot, diterima: Iterable[str] = ()) -> str | None:
    """None when the rule may make this snapshot current; otherwise why not."""
    status = snapshot.status_mutu
    if status == "LULUS":
        return None
    if status == "PERINGATAN":
        accepted = frozenset(diterima)
        open_ = [w for w in snapshot.manifest.get("mutu", {}).get("peringatan", []) if not _accepted(w, accepted)]
        if not open_:
            return None
        return f"warnings not accepted in DTSEN_PERINGATAN_DITERIMA: {', '.join(sorted(set(open_)))}"
    if status == "BELUM_DIPERIKSA":
        return "published without quality results (BELUM_DIPERIKSA)"
    return f"quality {status}"


def choose(published: list[Snapshot], pins: list[Penetapan], diterima: Iterable[str] = ()) -> Pilihan:
    """The pin in force, else the latest snapshot the rule allows (`published` oldest first)."""
    last = pins[-1] if pins else None
    if last is not None and last.aksi == TETAPKAN:
        for s in published:
            if s.tag == last.tag:
                return Pilihan(s, PINNED, last)
    accepted = frozenset(diterima)
    allowed = [s for s in published if why_not_current(s, accepted) is None]
    return Pilihan(allowed[-1] if allowed else None, BY_RULE, None)


def pins_table(catalog: Catalog):
    return own_table(catalog, TABLE, SCHEMA)


def pins(catalog: Catalog) -> list[Penetapan]:
    """Every pin and release, oldest first."""
    rows = pins_table(catalog).scan().to_arrow().to_pylist()
    return sorted((Penetapan(**r) for r in rows), key=lambda p: p.waktu)


def choice(catalog: Catalog, diterima: Iterable[str] | None = None) -> Pilihan:
    if diterima is None:
        from dtsen.settings import get_settings

        diterima = get_settings().peringatan_diterima
    return choose(snapshots(catalog), pins(catalog), diterima)


def current(catalog: Catalog, diterima: Iterable[str] | None = None) -> Snapshot | None:
    return choice(catalog, diterima).snapshot


def resolve(catalog: Catalog, tag: str | None = None) -> Snapshot:
    """The snapshot with this tag, or the current one when no tag is given."""
    published = snapshots(catalog)
    if not published:
        raise SnapshotNotFound("nothing is published yet: run `dtsen refresh` (or `dtsen publish --run RUN`)")
    if tag is None:
        chosen = current(catalog)
        if chosen is None:
            raise SnapshotNotFound(
                "no snapshot is current: none passed its quality checks (see `dtsen snapshots`); "
                "name one with --snapshot TAG, or pin one with `dtsen current set TAG --alasan ...`"
            )
        return chosen
    for s in published:
        if s.tag == tag:
            return s
    raise SnapshotNotFound(f"no snapshot tagged {tag!r}; published: {', '.join(s.tag for s in published)}")


def _append(catalog: Catalog, event: Penetapan) -> None:
    pins_table(catalog).append(pa.Table.from_pylist([event.__dict__], schema=SCHEMA))


def pin(catalog: Catalog, tag: str, alasan: str, oleh: str) -> Penetapan:
    """Make `tag` current until released, whatever the rule or later snapshots say."""
    if not alasan.strip():
        raise ValueError("say why (--alasan): the pin is kept in the warehouse and in the audit log")
    with catalog_lock(catalog, f"pin of {tag} as current"):
        resolve(catalog, tag)  # SnapshotNotFound names the published tags
        event = Penetapan(dt.datetime.now(dt.UTC), TETAPKAN, tag, alasan.strip(), oleh)
        _append(catalog, event)
    return event


def release(catalog: Catalog, alasan: str, oleh: str) -> Penetapan:
    """Back to the rule. Refused when nothing is pinned."""
    if not alasan.strip():
        raise ValueError("say why (--alasan): the release is kept in the warehouse and in the audit log")
    with catalog_lock(catalog, "release of the pinned current snapshot"):
        existing = pins(catalog)
        if not existing or existing[-1].aksi != TETAPKAN:
            raise ValueError("no snapshot is pinned: current already follows the rule")
        event = Penetapan(dt.datetime.now(dt.UTC), LEPAS, None, alasan.strip(), oleh)
        _append(catalog, event)
    return event
