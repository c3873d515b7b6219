"""A refresh pulling DTKS from a database whose URL carries a password: the run works, and
the password is nowhere Prefect keeps a run (its parameters, logs) nor in the manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import POSTGRES_URL
from tests.ingest.test_sql_source import load_dtks_table

pytestmark = pytest.mark.usefixtures("prefect_harness")

PASSWORD = "rahasia-dtks-7731"  # the local PostgreSQL trusts 127.0.0.1, so any password connects


@pytest.mark.db
def test_a_sql_source_password_stays_in_its_setting(postgres, delivery, monkeypatch):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, LogFilter, LogFilterFlowRunId

    from flows.refresh import refresh

    load_dtks_table(postgres, "dtks_rahasia")
    monkeypatch.setenv(
        "DTSEN_SQL_DTKS", sa.make_url(POSTGRES_URL).set(password=PASSWORD).render_as_string(hide_password=False)
    )
    (delivery / "dtks/dtks_32.csv").unlink()  # DTKS comes from the database this month
    state = refresh(str(delivery), sql_sources=["dtks=DTSEN_SQL_DTKS::dtks_rahasia"], return_state=True)
    manifest_path = Path(state.result())
    manifest = json.loads(manifest_path.read_text())
    assert manifest["rekonsiliasi"]["dtks"]["dibaca"] == 5
    assert manifest["sql_sources"] == [{"extract": "dtks", "url": "DTSEN_SQL_DTKS", "table": "dtks_rahasia"}]

    with get_client(sync_client=True) as client:
        run = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))
        )[0]
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id])))
    stored = json.dumps(run.parameters) + json.dumps(run.model_dump(mode="json")) + "".join(lg.message for lg in logs)
    assert "DTSEN_SQL_DTKS" in stored and PASSWORD not in stored
    for f in manifest_path.parent.rglob("*"):
        if f.is_file() and f.suffix in (".json", ".html", ".jsonl"):
            assert PASSWORD not in f.read_text(errors="ignore"), f
