"""Housekeeping as a command and as a flow: `dtsen cleanup [--terapkan]`, and `rapikan_flow`,
which the monthly deployment runs after the month's refresh (flows/backfill.py).

What can go and why is warehouse/rapikan.py; this module only shows it, removes it when told
to, and writes one line to the audit log (kinds, counts and bytes: no path, nothing personal).

`dtsen --help` imports this module, so Prefect (a second to import) is imported only when
`rapikan_flow` is first asked for (a module `__getattr__`, PEP 562). Runnable on its own:
`python -m flows.rapikan [--terapkan]` runs the flow.
"""

from __future__ import annotations

import sys
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

import flows  # noqa: F401  (PREFECT_HOME before Prefect)

if TYPE_CHECKING:
    from dtsen.settings import Settings
    from warehouse.rapikan import Item

console = Console()

WHAT = {
    "snapshot": "Iceberg snapshots no tag or published snapshot names, past the retention",
    "data": "data files no remaining snapshot lists",
    "metadata": "metadata files no remaining snapshot or metadata file reaches",
    "analis": "analyst copies of unpublished snapshots or retired keys",
    "landed": "landed copies of deliveries never published",
}


def size(n: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n:,} B"


def summary(items: tuple[Item, ...], seconds: float | None = None) -> dict[str, Any]:
    """Counts and bytes per kind: what the audit log and the flow's result hold."""
    from warehouse.rapikan import per_kind

    kinds = per_kind(items)
    out: dict[str, Any] = {
        "jumlah": {k: n for k, (n, _) in kinds.items()},
        "bytes": {k: b for k, (_, b) in kinds.items()},
        "total_bytes": sum(b for _, b in kinds.values()),
    }
    return out | ({"detik": round(seconds, 2)} if seconds is not None else {})


def _audit(settings: Settings, applied: bool, items: tuple[Item, ...], seconds: float | None = None) -> None:
    from warehouse.audit import record

    record(settings, "rapikan", "penuh", None, terapkan=applied, **summary(items, seconds))


def show(items: tuple[Item, ...], title: str, every: bool) -> None:
    """One row per kind, place and reason (or per item with `every`), then the totals per kind."""
    from warehouse.rapikan import KINDS, per_kind

    console.print(title, soft_wrap=True, markup=False, highlight=False)
    detail = Table()
    order = lambda i: (KINDS.index(i.kind), i.where, i.why, i.target)  # noqa: E731
    if every:  # the Iceberg table or folder, the snapshot id or path, why, bytes
        for col in ("kind", "where", "item", "why", "bytes"):
            detail.add_column(col, justify="right" if col == "bytes" else "left", overflow="fold")
        for i in sorted(items, key=order):
            detail.add_row(i.kind, i.where, i.target, i.why, size(i.bytes))
    else:
        groups: dict[tuple[str, str, str], list[Item]] = {}
        for i in sorted(items, key=order):
            groups.setdefault((i.kind, i.where, i.why), []).append(i)
        for col in ("kind", "where", "why", "items", "bytes"):
            detail.add_column(col, justify="right" if col in ("items", "bytes") else "left", overflow="fold")
        for (kind, where, why), group in groups.items():
            detail.add_row(kind, where, why, f"{len(group):,}", size(sum(i.bytes for i in group)))
    if items:
        console.print(detail)
    totals = Table(title="per kind")
    for col in ("kind", "what", "items", "bytes"):
        totals.add_column(col, justify="right" if col in ("items", "bytes") else "left")
    kinds = per_kind(items)
    for kind, (n, b) in kinds.items():
        totals.add_row(kind, WHAT[kind], f"{n:,}", size(b))
    totals.add_row("total", "", f"{sum(n for n, _ in kinds.values()):,}", size(sum(b for _, b in kinds.values())))
    console.print(totals)


def _notes(notes: tuple[str, ...]) -> None:
    for note in notes:
        console.print(f"note: {note}", soft_wrap=True, markup=False, highlight=False)


def rapikan(
    terapkan: Annotated[
        bool, typer.Option("--terapkan", help="remove what the dry run lists (default: a dry run, nothing removed)")
    ] = False,
    rinci: Annotated[bool, typer.Option("--rinci", help="one row per item (snapshot id or path)")] = False,
) -> None:
    """Housekeeping: expired Iceberg snapshots, data files no snapshot lists, stale analyst copies, landed copies
    of deliveries never published. A dry run unless --terapkan; every published snapshot is kept."""
    from dtsen.settings import get_settings
    from warehouse import open_catalog
    from warehouse.rapikan import rencana
    from warehouse.rapikan import terapkan as apply

    settings = get_settings()
    catalog = open_catalog(settings)
    rules = (
        f"retention {settings.snapshot_retention_days:g} days (DTSEN_SNAPSHOT_RETENTION_DAYS), grace "
        f"{settings.cleanup_grace_hours:g} h (DTSEN_CLEANUP_GRACE_HOURS)"
    )
    if terapkan:
        with console.status("removing, under the warehouse lock"):
            done = apply(catalog, settings)
        _audit(settings, True, done.removed, done.seconds)
        show(done.removed, f"removed ({rules}), {done.seconds:.1f} s", rinci)
        _notes(done.notes)
        if done.skipped:
            console.print(f"{len(done.skipped):,} planned item(s) kept: needed again when applied")
        return
    plan = rencana(catalog, settings)
    _audit(settings, False, plan.items)
    show(plan.items, f"a dry run: would remove ({rules})", rinci)
    _notes(plan.notes)
    console.print(
        "nothing to remove" if not plan.items else "nothing was removed: run `dtsen cleanup --terapkan` to remove it"
    )


@cache
def _flow():
    from prefect import flow, get_run_logger

    @flow(name="rapikan")
    def rapikan_flow(terapkan: bool = True) -> dict[str, Any]:
        """Housekeeping (warehouse/rapikan.py): with `terapkan`, remove what can go, under the
        warehouse lock; without, only say what would. Returns the counts and bytes per kind."""
        from dtsen.settings import get_settings
        from warehouse import open_catalog
        from warehouse.rapikan import rencana
        from warehouse.rapikan import terapkan as apply

        logger = get_run_logger()
        settings = get_settings()
        catalog = open_catalog(settings)
        if terapkan:
            done = apply(catalog, settings)
            items, seconds, notes = done.removed, done.seconds, done.notes
        else:
            plan = rencana(catalog, settings)
            items, seconds, notes = plan.items, None, plan.notes
        _audit(settings, terapkan, items, seconds)
        result = summary(items, seconds) | {"terapkan": terapkan}
        logger.info(
            "%s %s: %s",
            "removed" if terapkan else "would remove",
            size(result["total_bytes"]),
            ", ".join(f"{kind} {n:,} ({size(result['bytes'][kind])})" for kind, n in result["jumlah"].items()),
        )
        for note in notes:
            logger.info("note: %s", note)
        return result

    return rapikan_flow


def __getattr__(name: str):
    if name == "rapikan_flow":
        return _flow()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if __name__ == "__main__":
    print(_flow()(terapkan="--terapkan" in sys.argv[1:]))
