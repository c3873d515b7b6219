"""One settings object for the whole pipeline (env vars `DTSEN_*`).

Everything a run writes lives under `home` (default `./var`): Prefect's own state,
landed deliveries, run folders, the DuckDB spill directory, the warehouse.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DTSEN_", env_file=".env", extra="ignore")

    home: Path = Field(default=Path("var"), description="project data folder")
    duckdb_memory_limit: str = Field(default="16GB", description="DuckDB spills to disk above this")
    duckdb_threads: int | None = Field(default=None, description="None: DuckDB's default (all cores)")
    catalog_url: str | None = Field(default=None, description="SQLAlchemy URL of the Iceberg catalog")
    catalog_name: str = Field(default="dtsen", description="catalog name (several can share one database)")
    pseudonym_key: SecretStr | None = Field(
        default=None,
        description="HMAC key of the analyst tables (32 bytes or more); "
        "None: the key file <home>/rahasia/pseudonim.key, made by the first publish",
    )
    layanan_host: str = Field(default="127.0.0.1", description="`dtsen serve` listens here (put TLS in front)")
    layanan_port: int = Field(default=8750, description="`dtsen serve`'s port")
    layanan_sql_detik: float = Field(default=30, gt=0, description="the service stops an analyst's SQL after this")
    layanan_sql_memori: str = Field(default="1GB", description="DuckDB's memory for one request of the service")
    layanan_sql_threads: int = Field(default=1, ge=1, description="DuckDB threads for one request of the service")
    layanan_sql_baris: int = Field(default=100_000, gt=0, description="rows an analyst's SQL returns at most")
    layanan_halaman_baris: int = Field(default=10_000, gt=0, description="rows of a list per page at most")
    layanan_segar_detik: float = Field(
        default=2, ge=0, description="how often the service reads the snapshot registry again"
    )
    run_timeout_seconds: int = Field(default=8 * 3600, description="a refresh running longer fails")
    warehouse_lock_wait_seconds: float = Field(
        default=0,
        ge=0,
        description="how long a refresh or publish waits for another holding the warehouse; 0: refuse at once",
    )
    snapshot_retention_days: float = Field(
        default=90,
        ge=0,
        description="`dtsen cleanup` expires Iceberg snapshots older than this that no tag and no published "
        "snapshot names (every published snapshot is kept, whatever its age)",
    )
    cleanup_grace_hours: float = Field(
        default=168,
        ge=0,
        description="`dtsen cleanup` removes no file younger than this: a publish or landing under way, "
        "a failed delivery's copy still being looked at",
    )
    task_runner: str = Field(default="thread", description="thread, or dask (prefect-dask) to run partitions on Dask")
    dask_address: str | None = Field(
        default=None,
        description="scheduler of a running Dask cluster (tcp://host:8786); "
        "None: a local cluster of `dask_workers` processes",
    )
    dask_workers: int = Field(default=2, description="workers of the local Dask cluster")
    partition_workers: int = Field(default=2, description="partitions standardized at once")
    dtks_min_bytes: int = Field(
        default=16 * 2**20,
        ge=0,
        description="DTKS province files smaller than this are standardized together with the next ones in code "
        "order, one task per group (a task's fixed cost paid once per group)",
    )
    partitions: Literal["province", "one"] = Field(
        default="province",
        description="province: match, unify and rank run per province (split by regency above "
        "`partition_max_persons`); one: the whole country as one partition (the reference a split is checked against)",
    )
    partition_max_persons: int = Field(
        default=5_000_000, gt=0, description="a province with more registry persons is split into groups of regencies"
    )
    partition_min_persons: int = Field(
        default=1_000_000,
        ge=0,
        description="provinces with fewer registry persons are grouped with the next ones in code order "
        "(a partition's fixed cost paid once per group)",
    )
    nik_bucket_persons: int = Field(
        default=2_000_000,
        gt=0,
        description="registry persons per bucket of matching's NIK steps (the buckets are hashes of the NIK, "
        "not provinces: a NIK's prefix is where it was first registered)",
    )
    peringatan_diterima: list[str] = Field(
        default=[],
        description="quality warnings (RULE, or suite:RULE) a snapshot may carry and still become current by the rule; "
        "as JSON: DTSEN_PERINGATAN_DITERIMA='[\"JUMLAH_BARIS_WAJAR\"]'",
    )
    min_share_of_previous: float = Field(
        default=0.5, gt=0, le=1, description="an extract with fewer rows than this share of the current "
        "snapshot's delivery stops the run (critical): a broken export, not a smaller population",
    )  # fmt: skip

    def memory_per_partition(self) -> str:
        """DuckDB's limit for one task, so that all partitions running at once fit the total."""
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B)\s*", self.duckdb_memory_limit, re.IGNORECASE)
        if not match:
            raise ValueError(f"DTSEN_DUCKDB_MEMORY_LIMIT={self.duckdb_memory_limit!r}: write it like 16GB or 512MB")
        mib = float(match.group(1)) * {"K": 1 / 1024, "M": 1, "G": 1024, "T": 1 << 20}[match.group(2)[0].upper()]
        return f"{max(256, int(mib / max(1, self.tasks_at_once())))}MB"

    def tasks_at_once(self) -> int:
        """Partition tasks running at once on this machine: the thread runner's workers, or
        the local Dask cluster's; a worker of a remote cluster runs one task at a time and
        has the limit to itself (DTSEN_DUCKDB_MEMORY_LIMIT is per machine)."""
        if self.task_runner == "dask":
            return 1 if self.dask_address else self.dask_workers
        return self.partition_workers

    @property
    def home_dir(self) -> Path:
        return self.home.resolve()

    @property
    def prefect_home(self) -> Path:
        return self.home_dir / "prefect"

    @property
    def landed_dir(self) -> Path:
        return self.home_dir / "landed"

    @property
    def runs_dir(self) -> Path:
        return self.home_dir / "runs"

    @property
    def tmp_dir(self) -> Path:
        return self.home_dir / "tmp"


@lru_cache
def get_settings() -> Settings:
    return Settings()


def configure_prefect_home(settings: Settings | None = None) -> None:
    """Point Prefect at the project data folder; must run before `import prefect`."""
    settings = settings or get_settings()
    settings.prefect_home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_HOME", str(settings.prefect_home))
    # The temporary server's telemetry heartbeat races its own SQLite writes ("database is
    # locked" tracebacks in every run) and phones home; neither helps an operator.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # A first start on a fresh PREFECT_HOME runs the database migrations: on a busy 2-core
    # machine that takes longer than Prefect's default wait.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
