"""Pulling an extract from a SQL database (SQLAlchemy URL + table), as DTKS is kept in practice.

The pull lands as a raw Parquet of strings with `baris` (pull order, by the first column),
so the rest of the pipeline cannot tell it from a file delivery.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa

from transforms.errors import DeliveryError, SourceUnavailable
from transforms.ingest.extracts import Extract
from transforms.ingest.readers import check_columns


@dataclass(frozen=True)
class SqlSource:
    extract: str
    url: str
    table: str

    @classmethod
    def parse(cls, spec: str) -> "SqlSource":
        """`dtks=mysql+pymysql://root@127.0.0.1/test::dtks`"""
        name, sep, rest = spec.partition("=")
        url, sep2, table = rest.rpartition("::")
        if not (sep and sep2 and name and url and table):
            raise ValueError(f"SQL source {spec!r} is not EXTRACT=URL::TABLE")
        return cls(name.strip(), url.strip(), table.strip())

    def display_url(self) -> str:
        return sa.make_url(self.url).render_as_string(hide_password=True)


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return str(value)


def pull_sql_table(source: SqlSource, extract: Extract, out: Path, chunk_rows: int = 50_000) -> int:
    """Stream a table into `out` in chunks; return the rows pulled."""
    engine = sa.create_engine(source.url)
    where = f"{source.display_url()} table {source.table}"
    try:
        with engine.connect() as conn:
            table = sa.Table(source.table, sa.MetaData(), autoload_with=conn)
            columns = [c.name for c in table.columns]
            check_columns(extract, Path(where), columns)
            query = sa.select(table).order_by(table.columns[0])
            result = conn.execution_options(stream_results=True, yield_per=chunk_rows).execute(query)
            schema = pa.schema([(c, pa.string()) for c in columns] + [("baris", pa.int64())])
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp, rows = out.with_suffix(".tmp"), 0
            with pq.ParquetWriter(tmp, schema) as writer:
                for chunk in result.partitions():
                    data = {c: [_text(r[i]) for r in chunk] for i, c in enumerate(columns)}
                    data["baris"] = list(range(rows + 1, rows + len(chunk) + 1))
                    writer.write_table(pa.table(data, schema=schema))
                    rows += len(chunk)
            tmp.replace(out)
            return rows
    except sa.exc.NoSuchTableError:
        raise DeliveryError(where, "table not found", hint="Check the table name of the SQL source") from None
    except sa.exc.OperationalError as e:
        raise SourceUnavailable(where, f"cannot read from the database ({type(e.orig).__name__})",
                            hint="Check the server is up and the URL is right") from None
    finally:
        engine.dispose()
