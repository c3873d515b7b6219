"""prefect.yaml deploys and its schedule fires: a real Prefect server on a fresh PREFECT_HOME
(database on PostgreSQL), `prefect deploy --all`, the scheduler service creating the
monthly-refresh runs by itself, and a process worker running that deployment to a
published snapshot, then housekeeping (rapikan) after it."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import yaml

from dtsen.settings import Settings
from tests.conftest import POSTGRES_URL
from tests.delivery_kecil import write_delivery

ROOT = Path(__file__).resolve().parent.parent
PREFECT = str(ROOT / ".venv" / "bin" / "prefect")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def background(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True
    )


class Server:
    """A Prefect server of its own, with the project's deployments on it."""

    def __init__(self, folder: Path, env: dict, port: int):
        self.folder, self.env, self.port = folder, env, port
        self.processes: list[subprocess.Popen] = []

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

    def start(self, *args: str, log: str) -> None:
        self.processes.append(background([PREFECT, *args], self.env, self.folder / log))

    def prefect(self, *args: str) -> str:
        done = subprocess.run([PREFECT, *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done.stdout

    def api(self, path: str, body: dict) -> list | dict:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/{path}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        for p in reversed(self.processes):
            os.killpg(p.pid, signal.SIGTERM)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:  # a worker's shutdown outwaits its finished work (60 s seen)
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=30)


@pytest.fixture(scope="module")
def server(postgres, tmp_path_factory):
    """Started as the README says: a server, the work pool, the warehouse limit, deploy --all.
    The scheduler looks every 2 s instead of every 60 s; nothing else is changed."""
    folder = tmp_path_factory.mktemp("prefect-server")
    database = f"prefect_{uuid.uuid4().hex[:8]}"
    admin = postgres.execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{database}"'))
    server_db = sa.make_url(POSTGRES_URL).set(drivername="postgresql+asyncpg", database=database)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")} | {
        "PREFECT_HOME": str(folder / "prefect"),
        "DTSEN_HOME": str(folder / "home"),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_API_DATABASE_CONNECTION_URL": server_db.render_as_string(hide_password=False),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2",
    }
    s = Server(folder, env, port)
    try:
        s.start("server", "start", "--host", "127.0.0.1", "--port", str(port), log="server.log")
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, s.log.read_text()[-3000:]
                time.sleep(1)
        s.prefect("work-pool", "create", "dtsen-local", "--type", "process")
        s.prefect("gcl", "create", "dtsen-warehouse", "--limit", "1")
        s.deployed = s.prefect("--no-prompt", "deploy", "--all")
        yield s
    finally:
        s.stop()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        shutil.rmtree(folder / "prefect", ignore_errors=True)


def monthly_times(after: dt.datetime, n: int) -> list[dt.datetime]:
    """The next n run times of the monthly schedule as prefect.yaml states it (cron and
    timezone read from the file), computed here without Prefect: minute hour day * *."""
    definition = yaml.safe_load((ROOT / "prefect.yaml").read_text())["definitions"]["schedules"]["monthly"]
    minute, hour, day, month, weekday = definition["cron"].split()
    assert (month, weekday) == ("*", "*"), "this check covers a day-of-month schedule"
    zone = ZoneInfo(definition["timezone"])
    local = after.astimezone(zone)
    year, mon, times = local.year, local.month, []
    while len(times) < n:
        t = dt.datetime(year, mon, int(day), int(hour), int(minute), tzinfo=zone)
        if t > after:
            times.append(t.astimezone(dt.UTC))
        year, mon = (year + 1, 1) if mon == 12 else (year, mon + 1)
    return times


def test_the_scheduler_creates_the_monthly_refresh_runs(server):
    for name in ("monthly-refresh/monthly-refresh", "backfill/backfill", "refresh/refresh", "rapikan/rapikan"):
        assert f"Deployment '{name}' successfully created" in server.deployed.replace("\n", "")
    deployments = server.api("deployments/filter", {"deployments": {"name": {"any_": ["monthly-refresh"]}}})
    assert len(deployments) == 1
    deployment = deployments[0]

    # Wait for the scheduler service (not a run started by hand) to fill the schedule.
    deadline, runs = time.monotonic() + 120, []
    while time.monotonic() < deadline:
        runs = server.api(
            "flow_runs/filter",
            {
                "flow_runs": {
                    "deployment_id": {"any_": [deployment["id"]]},
                    "state": {"type": {"any_": ["SCHEDULED"]}},
                },
                "sort": "EXPECTED_START_TIME_ASC",
            },
        )
        if len(runs) >= 3:
            break
        time.sleep(2)
    log = server.log.read_text()
    assert len(runs) >= 3, f"the scheduler created {len(runs)} runs; server log:\n{log[-4000:]}"
    assert all(r["auto_scheduled"] for r in runs)
    expected = monthly_times(dt.datetime.now(dt.UTC), len(runs))
    assert [dt.datetime.fromisoformat(r["expected_start_time"]) for r in runs] == expected
    # 02:00 in Jakarta on the 18th is 19:00 UTC on the 17th.
    assert all((t.day, t.hour) == (17, 19) for t in expected)
    assert runs[0]["parameters"] == {"root": "var/deliveries"}
    assert "Traceback" not in log, log[log.index("Traceback") - 200 :][:4000]


def test_a_worker_runs_the_monthly_refresh_to_a_published_snapshot(server):
    schedule = server.prefect("deployment", "inspect", "monthly-refresh/monthly-refresh")
    assert "'cron': '0 2 18 * *'" in schedule and "'timezone': 'Asia/Jakarta'" in schedule
    deliveries = server.folder / "deliveries"
    write_delivery(deliveries)
    # A delivery that failed last month left its landed copy: the housekeeping after the
    # refresh removes it (older than the grace period, and no snapshot came from it).
    failed = server.folder / "home" / "landed" / "2026-10-17" / ("f" * 16)
    failed.mkdir(parents=True)
    (failed / "checksums.json").write_text(json.dumps({"fingerprint": "f" * 64}))
    month_ago = time.time() - 30 * 24 * 3600
    for p in (failed / "checksums.json", failed):
        os.utime(p, (month_ago, month_ago))
    server.start("worker", "start", "--pool", "dtsen-local", log="worker.log")
    run = subprocess.run(
        [PREFECT, "deployment", "run", "monthly-refresh/monthly-refresh", "-p", f"root={deliveries}", "--watch"],
        cwd=ROOT,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "Completed" in run.stdout, run.stdout[-3000:] + (server.folder / "worker.log").read_text()[-5000:]

    from warehouse import open_catalog, snapshots

    settings = Settings(home=server.folder / "home")
    published = snapshots(open_catalog(settings))
    assert [s.tag for s in published] == ["2026-11-17"] and published[0].status_mutu == "LULUS"
    # Then the housekeeping ran, as a child flow run, and removed the failed delivery's copy
    # while the published one's stays.
    assert not failed.exists()
    assert Path(published[0].manifest["landed"]["path"]).is_dir()
    from warehouse.audit import entries

    cleanups = [e["detail"] for e in entries(settings) if e["perintah"] == "rapikan"]
    assert [(e["terapkan"], e["jumlah"]["landed"]) for e in cleanups] == [(True, 1)]
