"""Operating the refresh: resume after a kill, backfills in order, skipping what is published."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.delivery_kecil import write_delivery

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.usefixtures("prefect_harness")


def refresh_process(delivery: Path, home: Path, **settings: str) -> subprocess.Popen:
    """The flow in a process of its own, as a worker runs it: against the session's Prefect
    server (a server outlives the worker it sends a run to; a temporary one per process
    would cost its start every time), with the home and settings given."""
    from prefect.settings import PREFECT_API_URL

    env = os.environ | {"DTSEN_HOME": str(home), "PREFECT_HOME": str(home / "prefect")} | settings
    env["PREFECT_API_URL"] = str(PREFECT_API_URL.value())
    return subprocess.Popen(
        [sys.executable, "-m", "flows.refresh", str(delivery)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def manifest_of(home: Path) -> dict:
    return json.loads(next((home / "runs").glob("*/manifest.json")).read_text())


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> tuple[Path, dict]:
    """The small delivery refreshed once, start to end, on threads: what others must equal."""
    root = tmp_path_factory.mktemp("whole")
    delivery = write_delivery(root / "deliveries")
    whole = refresh_process(delivery, root / "home")
    assert whole.wait(timeout=300) == 0, whole.stdout.read()[-3000:]
    return delivery, manifest_of(root / "home")


def test_a_run_killed_mid_way_resumes_and_publishes_the_same_content(tmp_path, uninterrupted):
    delivery, whole = uninterrupted

    home = tmp_path / "killed"
    first = refresh_process(delivery, home)
    matched = None
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and first.poll() is None:
        # Unification's output: matching has finished and its result is stored; ranking,
        # validation and publishing are still to come.
        matched = next(home.glob("runs/*/unified/keluarga.parquet"), None)
        if matched:
            break
        time.sleep(0.1)
    assert matched, "the run never got past unification"
    os.killpg(first.pid, signal.SIGKILL)  # the flow's process and whatever it started
    first.wait()
    assert not list(home.glob("runs/*/manifest.json")) or "terbit" not in manifest_of(home)

    again = refresh_process(delivery, home)
    assert again.wait(timeout=300) == 0, again.stdout.read()[-3000:]
    resumed = manifest_of(home)
    assert {"standardize", "match-nik", "match-national"} <= set(resumed["dipakai_ulang"])
    assert whole["dipakai_ulang"] == []
    assert resumed["isi"] == whole["isi"]
    assert resumed["terbit"]["baru"] is True


def test_backfill_runs_oldest_first_and_skips_what_is_published(tmp_path, dtsen_home):
    from flows.backfill import backfill
    from flows.refresh import refresh
    from warehouse import current, open_catalog, snapshots

    root = tmp_path / "deliveries"
    for cutoff in ("2025-06-17", "2025-07-17", "2025-08-17", "2025-09-17"):
        write_delivery(root, cutoff=dt.date.fromisoformat(cutoff))
    refresh(str(root / "2025-07-17"))  # published before the backfill
    before = {s.tag for s in snapshots(open_catalog())}

    outcome = backfill(str(root), "2025-06-01", "2025-08-31")
    assert list(outcome) == ["2025-06-17", "2025-07-17", "2025-08-17"]  # oldest first, in range only
    assert outcome["2025-07-17"] == "dilewati"
    new = [s for s in snapshots(open_catalog()) if s.tag not in before]
    assert [s.tag for s in sorted(new, key=lambda s: s.diterbitkan)] == ["2025-06-17", "2025-08-17"]
    assert current(open_catalog()).cutoff >= dt.date(2025, 8, 17)  # a backfill never moves it back

    july = next(s for s in snapshots(open_catalog()) if s.tag == "2025-07-17")
    report = dtsen_home / "runs" / july.run_id / "percobaan" / str(july.manifest["percobaan"]) / "laporan.html"
    first_report = report.read_bytes()
    forced = backfill(str(root), "2025-07-01", "2025-07-31", force=True)
    assert forced["2025-07-17"].endswith("manifest.json")
    # The same delivery forced again publishes the same rows: no second version of them, and
    # the attempt keeps its own manifest and report beside the first one's, which is untouched.
    assert not any(s.tag.startswith("2025-07-17-r") for s in snapshots(open_catalog()))
    again = json.loads(Path(forced["2025-07-17"]).read_text())
    assert again["percobaan"] == july.manifest["percobaan"] + 1 and again["terbit"]["baru"] is False
    assert (report.parent.parent / str(again["percobaan"]) / "laporan.html").exists()
    assert report.read_bytes() == first_report
