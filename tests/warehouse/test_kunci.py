"""One refresh or publish at a time per warehouse: the lock the catalog database holds
(warehouse/kunci.py), on each catalog database, and two real `dtsen refresh` started at once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from dtsen.settings import Settings
from tests.conftest import MARIADB_URL, POSTGRES_URL, command_env
from tests.warehouse.runs import family
from warehouse.kunci import WAIT_SETTING, LockError, WarehouseBusy, hold, holder, warehouse_lock

ROOT = Path(__file__).resolve().parents[2]
DTSEN = str(ROOT / ".venv" / "bin" / "dtsen")


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def where(request, tmp_path) -> tuple[str, str]:
    """A catalog database URL and a catalog name of this test's own."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'warehouse' / 'catalog.db'}", "dtsen"
    request.getfixturevalue("postgres" if request.param == "postgresql" else "mariadb")
    return (POSTGRES_URL if request.param == "postgresql" else MARIADB_URL), f"uji_{uuid.uuid4().hex[:10]}"


def in_another_thread(fn):
    """Run fn in a thread of its own (a fresh context: it does not share this one's holds)."""
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = fn()
        except BaseException as e:
            outcome["error"] = e

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def refused(url: str, name: str, wait: float = 0) -> str:
    def attempt():
        with hold(url, name, "the second run", wait_seconds=wait):
            return None

    with pytest.raises(WarehouseBusy) as e:
        in_another_thread(attempt)
    return str(e.value)


# ------------------------------------------------------------------ the lock, on each catalog database


def test_a_second_holder_is_refused_in_one_line_naming_the_first(where):
    url, name = where
    with hold(url, name, "refresh of /deliveries/2026-11-17"):
        message = refused(url, name)
    assert "\n" not in message
    assert message.startswith("the warehouse is busy: catalog"), message
    for words in ("refresh of /deliveries/2026-11-17", f"pid {os.getpid()}", socket.gethostname(), "since "):
        assert words in message, message
    assert WAIT_SETTING in message and "run this again" in message
    assert "rahasia" not in message  # no URL password (the test URLs have none; the URL is shown without one)
    # Released: another gets it at once, and the holder row went with the hold.
    assert holder(sa.create_engine(url), name) is None

    def next_run():
        with hold(url, name, "the next run"):
            return "held"

    assert in_another_thread(next_run) == "held"


def test_a_waiting_holder_gets_it_when_the_first_lets_go(where):
    url, name = where
    taken, letting_go = threading.Event(), threading.Event()

    def first():
        with hold(url, name, "the first run"):
            taken.set()
            letting_go.wait(30)

    thread = threading.Thread(target=first)
    thread.start()
    assert taken.wait(30)
    # Waiting less than the first holds: refused, and told it waited.
    assert "after waiting 1 s" in refused(url, name, wait=1)
    heard: list[str] = []
    threading.Timer(1.0, letting_go.set).start()
    started = time.monotonic()

    def second():
        with hold(url, name, "the second run", wait_seconds=30, on_wait=heard.append):
            return time.monotonic() - started

    waited = in_another_thread(second)
    thread.join(30)
    assert 0.8 < waited < 20
    assert len(heard) == 1 and "the first run" in heard[0], heard


def test_a_holder_killed_by_sigkill_lets_go(where, tmp_path):
    url, name = where
    script = textwrap.dedent(f"""
        import sys, time
        from warehouse.kunci import hold
        with hold({url!r}, {name!r}, "a holder about to be killed"):
            print("held", flush=True)
            time.sleep(600)
    """)
    holder = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        message = refused(url, name)
        assert "a holder about to be killed" in message and f"pid {holder.pid}" in message, message
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(30)
    # The database let go with the process; its holder row is stale and not believed.
    with hold(url, name, "after the kill", wait_seconds=10):
        assert "after the kill" in refused(url, name)


def test_the_lock_is_reentrant_within_one_call_chain_only(where):
    url, name = where
    with hold(url, name, "outer"):
        with hold(url, name, "inner"):  # a refresh's publish step: does not wait for its own flow
            pass
        assert "outer" in refused(url, name)  # still held after the inner block
    with hold(url, name, "again"):
        pass


def test_an_unknown_catalog_database_is_refused_naming_the_setting():
    with pytest.raises(LockError, match="DTSEN_CATALOG_URL"):
        with hold("oracle+oracledb://u@h/db", "dtsen", "x"):
            pass


# ------------------------------------------------------------------ publish and the registry

FAMILIES = [
    family("3201010101000001", 1, "3201010101900001", "3201010101900002"),
    family("3301010101000003", 9, "3301010101900010"),
]


def test_publish_takes_the_lock_and_reenters_a_refresh_hold(catalog, tmp_path):
    from tests.warehouse.runs import write_run
    from warehouse import publish, snapshots

    run = write_run(tmp_path / "runs", "2026-11-17", "a" * 64, FAMILIES)
    uri = catalog.properties["uri"]
    with hold(uri, catalog.name, "refresh of 2026-11-17"):
        assert publish(catalog, run).snapshot.tag == "2026-11-17"  # re-enters: no wait for itself
        # A publish from anywhere else while the refresh holds the warehouse is refused.
        other = write_run(tmp_path / "runs", "2026-11-17", "b" * 64, FAMILIES)  # another delivery, same cut-off
        with pytest.raises(WarehouseBusy, match="refresh of 2026-11-17"):
            in_another_thread(lambda: publish(catalog, other))
    assert [s.tag for s in snapshots(catalog)] == ["2026-11-17"]
    assert publish(catalog, other).snapshot.tag == "2026-11-17-r2"


def test_the_registry_refuses_a_second_snapshot_with_one_tag(catalog, tmp_path):
    import dataclasses

    from tests.warehouse.runs import write_run
    from warehouse import publish, snapshots
    from warehouse.registry import TagTaken, record

    run = write_run(tmp_path / "runs", "2026-11-17", "a" * 64, FAMILIES)
    first = publish(catalog, run).snapshot
    with pytest.raises(TagTaken, match="'2026-11-17' is registered already"):
        record(catalog, dataclasses.replace(first, run_id="2026-11-17_bbbbbbbbbbbb", sidik_kiriman="b" * 64))
    assert [s.tag for s in snapshots(catalog)] == ["2026-11-17"]


# ------------------------------------------------------------------ the commands, refused before Prefect starts


def run_dtsen(home: Path, *args: str) -> subprocess.CompletedProcess:
    environment = command_env()
    environment |= {"DTSEN_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run([DTSEN, *args], cwd=home.parent, env=environment, capture_output=True, text=True, timeout=120)


def test_refresh_and_publish_commands_refuse_a_held_warehouse_in_one_line(tmp_path, delivery):
    from tests.warehouse.runs import write_run

    home = tmp_path / "var"
    run = write_run(home / "runs", "2026-11-17", "a" * 64, FAMILIES)
    with warehouse_lock(Settings(home=home), "refresh of a delivery held by the test"):
        for command in (["refresh", "--delivery", str(delivery)], ["publish", "--run", str(run)]):
            done = run_dtsen(home, *command)
            assert done.returncode == 2, done.stdout + done.stderr
            assert "Traceback" not in done.stdout + done.stderr
            lines = done.stderr.strip().splitlines()
            assert len(lines) == 1, done.stderr
            assert lines[0].startswith(f"{command[0]}: the warehouse is busy"), lines[0]
            assert f"pid {os.getpid()}" in lines[0] and "held by the test" in lines[0], lines[0]
    assert not any((home / "prefect").glob("*.db"))  # refused before Prefect started
    assert not (home / "landed").exists()


@pytest.mark.usefixtures("prefect_harness")
def test_the_refresh_flow_takes_the_lock_before_landing(delivery, dtsen_home):
    """However the flow is started (a deployment, `python -m flows.refresh`): no lock, no landing."""
    from dtsen.settings import get_settings
    from flows.refresh import refresh

    landed_before = sorted(get_settings().landed_dir.glob("*/*"))
    taken, letting_go = threading.Event(), threading.Event()

    def other():
        with warehouse_lock(get_settings(), "a refresh on another machine"):
            taken.set()
            letting_go.wait(120)

    thread = threading.Thread(target=other)
    thread.start()
    try:
        assert taken.wait(30)
        with pytest.raises(WarehouseBusy, match="a refresh on another machine"):
            refresh(str(delivery))
    finally:
        letting_go.set()
        thread.join(30)
    assert sorted(get_settings().landed_dir.glob("*/*")) == landed_before


# ------------------------------------------------------------------ the real path: two `dtsen refresh`


@pytest.fixture(scope="module")
def prefect_home(tmp_path_factory, prefect_harness) -> Path:
    """One Prefect home for this module's commands, which send their runs to the session's
    Prefect server (as commands do where an operator runs one: PREFECT_API_URL) instead of
    each starting a temporary one."""
    return tmp_path_factory.mktemp("prefect")


def two_deliveries(root: Path) -> tuple[Path, Path]:
    """Two deliveries of one cut-off that differ in one row: two fingerprints, so the second
    published is a revision (`-r2`), never the same snapshot."""
    from tests.delivery_kecil import write_delivery

    a = write_delivery(root / "a")
    b = write_delivery(root / "b")
    penduduk = b / "dukcapil" / "penduduk.parquet"
    table = pq.read_table(penduduk)
    alamat = table.column("ALAMAT").to_pylist()
    alamat[0] = "JL MELATI"
    pq.write_table(table.set_column(table.schema.get_field_index("ALAMAT"), "ALAMAT", [alamat]), penduduk)
    return a, b


def start_refresh(home: Path, prefect_home: Path, delivery: Path, env: dict[str, str]) -> subprocess.Popen:
    environment = command_env()
    from prefect.settings import PREFECT_API_URL

    environment |= {"DTSEN_HOME": str(home), "PREFECT_HOME": str(prefect_home), "COLUMNS": "200"} | env
    environment["PREFECT_API_URL"] = str(PREFECT_API_URL.value())
    return subprocess.Popen(
        [DTSEN, "refresh", "--delivery", str(delivery)],
        cwd=home.parent,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen) -> tuple[int, str, str]:
    out, error = process.communicate(timeout=400)
    return process.returncode, out, error


def registry_tags(settings: Settings) -> list[str]:
    from warehouse import open_catalog, snapshots

    return [s.tag for s in snapshots(open_catalog(settings))]


def test_two_refreshes_at_once_publish_once_and_the_other_is_refused_in_one_line(tmp_path, prefect_home):
    home = tmp_path / "var"
    a, b = two_deliveries(tmp_path / "deliveries")
    started = [start_refresh(home, prefect_home, d, {}) for d in (a, b)]  # at once, nothing to wait for
    done = [finish(p) for p in started]

    codes = sorted(code for code, _, _ in done)
    assert codes == [0, 2], [(code, error[-3000:]) for code, _, error in done]
    for _, out, error in done:
        assert "Traceback" not in out + error, error[-3000:]
    (_, out, _), (_, _, refused) = sorted(done)
    assert "snapshot 2026-11-17 published" in out
    lines = refused.strip().splitlines()
    assert len(lines) == 1, refused
    # Who holds it and what to do: the winner's pid and delivery, since when, wait or run again.
    assert lines[0].startswith("refresh: the warehouse is busy"), lines[0]
    winner = next(p for p, (code, _, _) in zip(started, done) if code == 0)
    for words in (f"pid {winner.pid}", "since", "2026-11-17", "DTSEN_WAREHOUSE_LOCK_WAIT_SECONDS"):
        assert words in lines[0], lines[0]
    assert registry_tags(Settings(home=home)) == ["2026-11-17"]


@pytest.mark.db
def test_a_refresh_that_waits_publishes_the_next_revision_on_postgresql(tmp_path, prefect_home, postgres):
    """The hostile case: the same cut-off, two deliveries, the second started 1.2 s after the
    first. Told to wait, the second runs after the first and takes the next tag."""
    home = tmp_path / "var"
    name = f"uji_{uuid.uuid4().hex[:10]}"
    env = {"DTSEN_CATALOG_URL": POSTGRES_URL, "DTSEN_CATALOG_NAME": name, "DTSEN_WAREHOUSE_LOCK_WAIT_SECONDS": "400"}
    a, b = two_deliveries(tmp_path / "deliveries")
    first = start_refresh(home, prefect_home, a, env)
    time.sleep(1.2)
    second = start_refresh(home, prefect_home, b, env)
    done = [finish(first), finish(second)]

    for code, out, error in done:
        assert code == 0, error[-3000:]
        assert "Traceback" not in out + error, error[-3000:]
    assert "snapshot 2026-11-17 published" in done[0][1]
    assert "snapshot 2026-11-17-r2 published" in done[1][1]
    assert registry_tags(Settings(home=home, catalog_url=POSTGRES_URL, catalog_name=name)) == [
        "2026-11-17",
        "2026-11-17-r2",
    ]
