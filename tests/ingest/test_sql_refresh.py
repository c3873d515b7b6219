"""A refresh pulling DTKS from a database whose URL carries a password: the run works, and
the password is nowhere Prefect keeps the run (its database: parameters, states, logs,
events), nor in anything the run writes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import POSTGRES_URL, command_env
from tests.ingest.test_sql_source import load_dtks_table

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "rahasia-dtks-7731"  # the local PostgreSQL trusts 127.0.0.1, so any password connects


@pytest.mark.db
def test_a_sql_source_password_stays_in_its_setting(postgres, delivery, tmp_path):
    load_dtks_table(postgres, "dtks_rahasia")
    (delivery / "dtks/dtks_32.csv").unlink()  # DTKS comes from the database this month
    home = tmp_path / "home"
    url = sa.make_url(POSTGRES_URL).set(password=PASSWORD).render_as_string(hide_password=False)
    env = command_env()
    env |= {"DTSEN_HOME": str(home), "DTSEN_SQL_DTKS": url}
    done = subprocess.run(
        [str(ROOT / ".venv/bin/dtsen"), "refresh", "--delivery", str(delivery), "--sql",
         "dtks=DTSEN_SQL_DTKS::dtks_rahasia"],
        env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    manifest = json.loads(next(home.glob("runs/*/manifest.json")).read_text())
    assert manifest["rekonsiliasi"]["dtks"]["dibaca"] == 5
    assert manifest["sql_sources"] == [{"extract": "dtks", "url": "DTSEN_SQL_DTKS", "table": "dtks_rahasia"}]
    assert PASSWORD not in done.stdout + done.stderr

    prefect_db = list((home / "prefect").glob("prefect.db*"))
    assert prefect_db and any(b"DTSEN_SQL_DTKS" in f.read_bytes() for f in prefect_db)  # the parameter is there
    for f in [*prefect_db, *home.rglob("*")]:
        if f.is_file():
            assert PASSWORD.encode() not in f.read_bytes(), f
