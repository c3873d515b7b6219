from __future__ import annotations

import pytest

from dtsen.settings import Settings


def test_memory_is_shared_between_partitions():
    assert Settings(duckdb_memory_limit="16GB", partition_workers=2).memory_per_partition() == "8192MB"
    assert Settings(duckdb_memory_limit="1.5GiB", partition_workers=1).memory_per_partition() == "1536MB"
    with pytest.raises(ValueError, match="like 16GB"):
        Settings(duckdb_memory_limit="lots").memory_per_partition()


def test_a_local_dask_cluster_shares_the_machine_a_remote_worker_does_not():
    local = Settings(duckdb_memory_limit="16GB", partition_workers=2, task_runner="dask", dask_workers=4)
    assert local.memory_per_partition() == "4096MB"
    remote = local.model_copy(update={"dask_address": "tcp://scheduler:8786"})
    assert remote.memory_per_partition() == "16384MB"


def test_env_vars_configure(monkeypatch, tmp_path):
    monkeypatch.setenv("DTSEN_HOME", str(tmp_path))
    monkeypatch.setenv("DTSEN_PARTITION_WORKERS", "3")
    s = Settings()
    assert s.home_dir == tmp_path and s.partition_workers == 3
    assert s.prefect_home == tmp_path / "prefect" and s.runs_dir == tmp_path / "runs"
