"""The same content whatever the split (issue 18): a generated delivery refreshed with one
partition, with provinces split into groups of regencies on threads, and on local Dask
clusters of 2 and 4 workers; the manifest's `isi` (rows and content hash per published
table) is the same every time. And a run that stopped after some partitions finished reuses
them."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.usefixtures("prefect_harness")

PERSONS, SEED = 2500, 7
# Small enough that the largest provinces of the delivery split into several groups, and
# that matching uses several NIK buckets.
SPLIT = {"partition_max_persons": 80, "nik_bucket_persons": 600}
BUCKETS = 5
# On Dask, fewer and larger partitions (each task is shipped to a worker process): split
# provinces and grouped small ones still, and the same NIK buckets.
DASK_SPLIT = {"partition_max_persons": 300, "partition_min_persons": 150, "nik_bucket_persons": 600}
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    from dtsen.referensi import WILAYAH_KEMENDAGRI_2025
    from synthetic import generate_delivery

    # The official region list: provinces of many regencies, which the small partitions split.
    root = tmp_path_factory.mktemp("partisi")
    return generate_delivery(root, PERSONS, SEED, dt.date(2026, 11, 17), regions=WILAYAH_KEMENDAGRI_2025)


def refresh_in(home: Path, delivery: Path, monkeypatch, runner=None, **settings) -> dict:
    """One refresh into its own home with these settings; its manifest. The settings are set
    in the environment too: a Dask worker is another process and reads them there."""
    from dtsen.settings import get_settings
    from flows.refresh import refresh

    cached = get_settings()
    values = {"home": home} | settings
    before = {k: getattr(cached, k) for k in values}
    for key, value in values.items():
        monkeypatch.setenv(f"DTSEN_{key.upper()}", str(value))
        setattr(cached, key, value)
    try:
        flow = refresh if runner is None else refresh.with_options(task_runner=runner)
        return json.loads(Path(flow(str(delivery))).read_text())
    finally:
        for key, value in before.items():
            setattr(cached, key, value)


def dask(workers: int):
    """A local cluster of `workers` Dask workers in this process: the content across workers
    is what is checked here; workers as processes of their own (what an operator gets from
    DTSEN_TASK_RUNNER=dask) are the two-worker test's, and cost 20 s more here."""
    from prefect_dask import DaskTaskRunner

    return DaskTaskRunner(
        cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": False, "dashboard_address": None}
    )


@pytest.fixture(scope="module")
def one_partition(generated, tmp_path_factory) -> dict:
    with pytest.MonkeyPatch.context() as mp:
        return refresh_in(tmp_path_factory.mktemp("satu"), generated, mp, partitions="one")


def test_split_provinces_on_threads_give_the_same_content_and_resume_per_partition(
    generated, one_partition, tmp_path, monkeypatch
):
    """Provinces split into groups of regencies, on threads. The first attempt stops when one
    NIK bucket's family step fails (a worker lost); the second runs only that bucket's task
    of the step, takes the others from the first attempt, and publishes the same content as
    one partition."""
    from transforms.match import ember

    real, calls, failing = ember.family_bucket, [], [True]

    def family_bucket(con, paths, k, buckets):
        calls.append(k)
        if failing[0] and k == 1:
            raise RuntimeError("worker lost")
        return real(con, paths, k, buckets)

    monkeypatch.setattr(ember, "family_bucket", family_bucket)
    with pytest.raises(RuntimeError, match="worker lost"):
        refresh_in(tmp_path, generated, monkeypatch, **SPLIT)
    assert sorted(calls) == list(range(BUCKETS))
    failing[0], calls[:] = False, []
    split = refresh_in(tmp_path, generated, monkeypatch, **SPLIT)
    assert calls == [1]
    assert {"match-shuffle", "match-nik", "match-family"} <= set(split["dipakai_ulang"])
    assert split["percobaan"] == 2

    assert [p["partisi"] for p in one_partition["partisi"]] == ["NASIONAL"]
    groups = [p["partisi"] for p in split["partisi"] if "-" in p["partisi"]]
    assert len({g.split("-")[0] for g in groups if not g.endswith("-1")}) >= 2  # provinces really split
    assert (one_partition["padan"]["ember_nik"], split["padan"]["ember_nik"]) == (1, BUCKETS)
    assert split["isi"] == one_partition["isi"]
    same = {k: v for k, v in split["padan"].items() if k != "ember_nik"}
    assert same == {k: v for k, v in one_partition["padan"].items() if k != "ember_nik"}
    assert split["peringkat"] == one_partition["peringkat"]


def test_a_local_dask_cluster_of_two_workers_chosen_by_the_settings_gives_the_same_content(
    generated, one_partition, tmp_path
):
    """As an operator asks for it: `DTSEN_TASK_RUNNER=dask` in the environment of a refresh
    in its own process, which starts the local cluster itself."""
    from prefect.settings import PREFECT_API_URL

    home = tmp_path / "dask"
    env = os.environ | {f"DTSEN_{k.upper()}": str(v) for k, v in DASK_SPLIT.items()}
    env |= {
        "DTSEN_HOME": str(home),
        "PREFECT_HOME": str(home / "prefect"),
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
    }
    env |= {"DTSEN_TASK_RUNNER": "dask", "DTSEN_DASK_WORKERS": "2"}
    run = subprocess.run(
        [sys.executable, "-m", "flows.refresh", str(generated)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-3000:]
    assert "LocalCluster" in output
    on_dask = json.loads(next(home.glob("runs/*/manifest.json")).read_text())
    assert len(on_dask["partisi"]) > 5 and on_dask["padan"]["ember_nik"] == BUCKETS
    assert on_dask["isi"] == one_partition["isi"]


def test_a_local_dask_cluster_of_four_workers_gives_the_same_content(generated, one_partition, tmp_path, monkeypatch):
    on_dask = refresh_in(
        tmp_path, generated, monkeypatch, runner=dask(4), task_runner="dask", dask_workers=4, **DASK_SPLIT
    )
    assert len(on_dask["partisi"]) > 5 and on_dask["padan"]["ember_nik"] == BUCKETS
    assert on_dask["isi"] == one_partition["isi"]
