"""The `backfill` flow: refresh every delivery in a range of cut-off dates, oldest first,
each as a child flow run; deliveries already published are skipped unless forced.

A delivery is a folder `<root>/<YYYY-MM-DD>/` (docs/contract.md). Oldest first, so that each
month's raw-count check compares with the month before, and so that "current" ends on the
newest. A month that fails does not stop the others; the flow fails at the end, naming it.

    python -m flows.backfill ROOT 2026-01-01 2026-12-31
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

from prefect import flow, get_run_logger

import flows  # noqa: F401  (PREFECT_HOME before Prefect)
from dtsen.settings import get_settings
from flows.rapikan import rapikan_flow
from flows.refresh import refresh

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def deliveries(root: Path, start: dt.date, end: dt.date) -> list[Path]:
    """The delivery folders under `root` with a cut-off in [start, end], oldest first."""
    found = [p for p in Path(root).iterdir() if p.is_dir() and DATE.match(p.name)]
    return sorted((p for p in found if start <= dt.date.fromisoformat(p.name) <= end), key=lambda p: p.name)


def published_cutoffs() -> set[dt.date]:
    from warehouse import open_catalog, snapshots

    return {s.cutoff for s in snapshots(open_catalog(get_settings()))}


@flow(name="backfill")
def backfill(root: str, start: str, end: str, force: bool = False) -> dict[str, str]:
    """Refresh each delivery with a cut-off in [start, end] (ISO dates), oldest first.
    Returns, per cut-off: the manifest path, `dilewati` (already published) or the error."""
    logger = get_run_logger()
    done = published_cutoffs()
    outcome: dict[str, str] = {}
    for delivery in deliveries(Path(root), dt.date.fromisoformat(start), dt.date.fromisoformat(end)):
        cutoff = dt.date.fromisoformat(delivery.name)
        if cutoff in done and not force:
            outcome[delivery.name] = "dilewati"
            logger.info("%s: already published, skipped (force=True publishes it again)", delivery.name)
            continue
        try:
            outcome[delivery.name] = refresh(str(delivery), republish=force)
        except Exception as e:
            outcome[delivery.name] = f"gagal: {type(e).__name__}: {e}"
            logger.error("%s failed: %s", delivery.name, e)
    failed = [k for k, v in outcome.items() if v.startswith("gagal")]
    if failed:
        raise RuntimeError(f"backfill: {len(failed)} of {len(outcome)} deliveries failed: {', '.join(failed)}")
    return outcome


@flow(name="monthly-refresh")
def monthly_refresh(root: str, rapikan: bool = True) -> str:
    """The scheduled run: refresh the newest delivery under `root` not yet published (the
    month's, landed on the 17th). Returns its manifest path, or says there is nothing new.

    Then, with `rapikan`, housekeeping as a child flow run (flows/rapikan.py): what the month
    left behind goes, after the publish and under the warehouse lock. A refresh that fails
    stops the run before it, so a failed delivery's files stay to be looked at."""
    logger = get_run_logger()
    done = published_cutoffs()
    waiting = [d for d in deliveries(Path(root), dt.date.min, dt.date.max) if dt.date.fromisoformat(d.name) not in done]
    if waiting:
        outcome = refresh(str(waiting[-1]))
    else:
        logger.info("no new delivery under %s: every cut-off there is published", root)
        outcome = "tidak ada kiriman baru"
    if rapikan:
        rapikan_flow(terapkan=True)
    return outcome


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit("usage: python -m flows.backfill ROOT START END")
    root, start, end = sys.argv[1:4]
    print(backfill(root, start, end))
