"""What a gather wrote, against its partitions' files: for the partitioned stages' tests."""

from __future__ import annotations

from pathlib import Path

import duckdb


def assert_partitions_one_after_another(partitions: Path, table: str, gathered: Path) -> None:
    """`gathered` holds `<partitions>/<id>/<table>.parquet`'s rows, every partition's in its
    file's order, the partitions in the order of their ids: no national sort."""
    con = duckdb.connect()

    def rows(f: Path) -> list[tuple]:
        return con.execute("SELECT * FROM read_parquet($f)", {"f": str(f)}).fetchall()

    files = sorted(partitions.glob(f"*/{table}.parquet"), key=lambda f: f.parent.name)
    assert len(files) > 1, partitions
    assert rows(gathered) == [r for f in files for r in rows(f)], table
