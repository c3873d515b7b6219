"""Pulling an extract from a SQL database (SQLAlchemy URL + table), as DTKS is kept in practice.

The pull lands as a raw Parquet of strings with `baris` (pull order, by the first column),
so the rest of the pipeline cannot tell it from a file delivery.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa

from transforms.errors import DeliveryError, SourceUnavailable
from transforms.ingest.extracts import Extract
from transforms.ingest.readers import check_columns

SETTING_PREFIX = "DTSEN_SQL_"


@dataclass(frozen=True)
class SqlSource:
    """`target` is a URL without a password, or the name of a setting `DTSEN_SQL_<NAME>`
    (environment or `.env`) holding the full URL. Only the target travels as a Prefect
    parameter and into the manifest, so a password never lands in Prefect's database."""

    extract: str
    target: str
    table: str

    @classmethod
    def parse(cls, spec: str) -> SqlSource:
        """`dtks=DTSEN_SQL_DTKS::dtks` or `dtks=mysql+pymysql://reader@db.kemensos/dtks::dtks`"""
        name, sep, rest = spec.partition("=")
        target, sep2, table = rest.rpartition("::")
        if not (sep and sep2 and name.strip() and target.strip() and table.strip()):
            raise ValueError(
                f"--sql {spec.split('=')[0]}=...: write EXTRACT=DTSEN_SQL_<NAME>::TABLE "
                "(or EXTRACT=URL::TABLE for a URL without a password)"
            )
        source = cls(name.strip(), target.strip(), table.strip())
        if source.is_setting:
            if not target.strip()[len(SETTING_PREFIX) :]:
                raise ValueError(f"--sql {source.extract}: name the setting, e.g. {SETTING_PREFIX}DTKS")
        else:
            try:
                url = sa.make_url(source.target)
            except sa.exc.ArgumentError:
                raise ValueError(
                    f"--sql {source.extract}: {source.target!r} is neither a SQLAlchemy URL nor "
                    f"a setting named {SETTING_PREFIX}<NAME>"
                ) from None
            if url.password is not None:
                raise ValueError(
                    f"--sql {source.extract}: the URL carries a password, which would be stored with "
                    f"the run; put the URL in a setting {SETTING_PREFIX}<NAME> (environment or .env) "
                    f"and pass --sql {source.extract}={SETTING_PREFIX}<NAME>::{source.table}"
                )
        return source

    @property
    def is_setting(self) -> bool:
        return self.target.startswith(SETTING_PREFIX)

    @property
    def url(self) -> str:
        """The URL to connect with, read from its setting at the moment of use."""
        if not self.is_setting:
            return self.target
        from dotenv import dotenv_values

        value = os.environ.get(self.target) or dotenv_values(".env").get(self.target)
        if not value:
            raise DeliveryError(
                f"--sql {self.extract}",
                f"the setting {self.target} is not set",
                hint="Set it in the environment or in .env to the database's SQLAlchemy URL",
            )
        return value

    def display_url(self) -> str:
        """For messages and the manifest: the setting's name, or the URL with no password."""
        if self.is_setting:
            return self.target
        return sa.make_url(self.target).render_as_string(hide_password=True)


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
                    data: dict[str, list[str | None] | list[int]] = {
                        c: [_text(r[i]) for r in chunk] for i, c in enumerate(columns)
                    }
                    data["baris"] = list(range(rows + 1, rows + len(chunk) + 1))
                    writer.write_table(pa.table(data, schema=schema))
                    rows += len(chunk)
            tmp.replace(out)
            return rows
    except sa.exc.NoSuchTableError:
        raise DeliveryError(where, "table not found", hint="Check the table name of the SQL source") from None
    except sa.exc.OperationalError as e:
        raise SourceUnavailable(
            where,
            f"cannot read from the database ({type(e.orig).__name__})",
            hint="Check the server is up and the URL is right",
        ) from None
    finally:
        engine.dispose()
