"""prefect.yaml deploys: a real Prefect server on PostgreSQL, `prefect deploy --all`, a
process worker, and a run of the monthly-refresh deployment that publishes a snapshot."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import sqlalchemy as sa

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
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def test_prefect_yaml_deploys_and_the_monthly_refresh_publishes(postgres, tmp_path):
    database = f"prefect_{uuid.uuid4().hex[:8]}"
    admin = postgres.execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{database}"'))
    server_db = sa.make_url(POSTGRES_URL).set(drivername="postgresql+asyncpg", database=database)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")} | {
        "PREFECT_HOME": str(tmp_path / "prefect"), "DTSEN_HOME": str(tmp_path / "home"),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_API_DATABASE_CONNECTION_URL": server_db.render_as_string(hide_password=False),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    processes = []
    try:
        processes.append(background([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                                    env, tmp_path / "server.log"))
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "server.log").read_text()[-3000:]
                time.sleep(1)

        def prefect(*args: str) -> str:
            done = subprocess.run([PREFECT, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
            return done.stdout

        prefect("work-pool", "create", "dtsen-local", "--type", "process")
        prefect("gcl", "create", "dtsen-warehouse", "--limit", "1")
        deployed = prefect("--no-prompt", "deploy", "--all")
        for name in ("monthly-refresh/monthly-refresh", "backfill/backfill", "refresh/refresh"):
            assert f"Deployment '{name}' successfully created" in deployed.replace("\n", "")
        schedule = prefect("deployment", "inspect", "monthly-refresh/monthly-refresh")
        assert "'cron': '0 2 18 * *'" in schedule and "'timezone': 'Asia/Jakarta'" in schedule

        deliveries = tmp_path / "deliveries"
        write_delivery(deliveries)
        processes.append(background([PREFECT, "worker", "start", "--pool", "dtsen-local"], env, tmp_path / "worker.log"))
        run = subprocess.run([PREFECT, "deployment", "run", "monthly-refresh/monthly-refresh",
                              "-p", f"root={deliveries}", "--watch"], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=600)
        assert "Completed" in run.stdout, run.stdout[-3000:] + (tmp_path / "worker.log").read_text()[-5000:]
    finally:
        for p in processes:
            os.killpg(p.pid, signal.SIGTERM)
            p.wait(timeout=60)
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))

    from warehouse import open_catalog, snapshots

    published = snapshots(open_catalog(Settings(home=tmp_path / "home")))
    assert [s.tag for s in published] == ["2026-11-17"] and published[0].status_mutu == "LULUS"
    shutil.rmtree(tmp_path / "prefect", ignore_errors=True)
