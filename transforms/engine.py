"""DuckDB connections for the stages: memory bounded, spilling under the project folder."""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb


def connect(
    memory_limit: str = "4GB", threads: int | None = None, temp_dir: Path | None = None
) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET memory_limit = $m", {"m": memory_limit})
    if threads:
        con.execute("SET threads = $t", {"t": threads})
    if temp_dir is not None:
        temp_dir.mkdir(parents=True, exist_ok=True)
        con.execute("SET temp_directory = $d", {"d": str(temp_dir)})
    con.execute("SET preserve_insertion_order = false")  # outputs are ordered explicitly
    return con


def run_sql_file(con: duckdb.DuckDBPyConnection, path: Path, params: dict | None = None) -> None:
    """Run every statement of a .sql file; `$name` parameters come from `params`."""
    run_sql(con, path.read_text(), params)


def run_sql(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> None:
    """Run every statement of a SQL text, each with the parameters it names."""
    for statement in statements(sql):
        run_statement(con, statement, params)


def run_statement(con: duckdb.DuckDBPyConnection, statement: str, params: dict | None = None) -> None:
    """One statement, given the parameters it names (DuckDB refuses unused ones)."""
    used = {
        k: v for k, v in (params or {}).items() if re.search(rf"\${k}\b", statement)
    }  # $usulan is not $usulan_anggota
    con.execute(statement, used or None)


def statements(sql: str) -> list[str]:
    # Our .sql files end statements with ';' at the end of a line, never inside a string.
    out, current = [], []
    for line in sql.splitlines():
        current.append(line)
        if line.rstrip().endswith(";"):
            statement = "\n".join(current).strip()
            if _has_code(statement):
                out.append(statement)
            current = []
    if _has_code("\n".join(current)):
        out.append("\n".join(current))
    return out


def _has_code(statement: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in statement.splitlines())


def copy_atomic(con: duckdb.DuckDBPyConnection, select_sql: str, out: Path, params: dict | None = None) -> None:
    """Write a query to Parquet so that `out` is either the old file or the whole new one."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    con.execute(f"COPY ({select_sql}) TO '{sql_path(tmp)}' (FORMAT parquet, COMPRESSION zstd)", params)
    os.replace(tmp, out)


def one_row(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> tuple:
    """The row of a query that always returns exactly one (an aggregate without GROUP BY)."""
    row = con.execute(sql, params).fetchone()
    if row is None:
        raise RuntimeError(f"expected one row, got none from: {sql}")
    return row


def sql_path(path: str | Path) -> str:
    """A path inside a single-quoted SQL literal (COPY ... TO takes no parameters)."""
    return str(path).replace("'", "''")
