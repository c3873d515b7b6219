"""One refresh or publish at a time per warehouse: a lock the catalog database holds.

Whatever starts a run (`dtsen refresh`, `dtsen publish`, a Prefect deployment, `python -m
flows.refresh`), it holds this lock from before landing to after publishing, so two runs never
choose one tag or race each other's Iceberg commits. The lock lives where the catalog lives:
it needs no Prefect server, it works across machines that share a PostgreSQL catalog, and the
database lets go of it when the holder's process dies, however it dies.

- PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) on a key derived from the
  catalog name, on a connection of its own kept open (in autocommit: an idle transaction may be
  cut off by the server's timeout) for the whole run; the server drops it when that session ends.
- MySQL/MariaDB: `GET_LOCK` on a name derived from the catalog name, the same way.
- SQLite: an exclusive transaction on a small database file beside the catalog,
  `catalog.db.kunci-<name>`. SQLite locks a file with the kernel's POSIX locks, which the kernel
  releases when the process ends. Not on catalog.db itself: pyiceberg writes there during the run.

Who holds it (pid, host, since when, what it runs) is one row of a small table in the catalog
database, `dtsen_kunci`, written right after the lock is taken and deleted when it is released:
a run that finds the lock taken reads it and says so in one line.

Re-entrant within one call chain (a context variable, which Prefect carries into a flow and the
tasks it calls): `dtsen refresh` takes it before Prefect starts, the flow takes it again, and its
publish step again, none waiting for itself. Another thread or process is refused.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import os
import re
import socket
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog

    from dtsen.settings import Settings

WAIT_SETTING = "DTSEN_WAREHOUSE_LOCK_WAIT_SECONDS"
POLL_SECONDS = 0.5
# A refused run reads the holder's row; the holder writes it just after taking the lock.
ROW_GRACE_SECONDS = 2.0


class LockError(RuntimeError):
    """The warehouse lock could not be taken or was lost."""


class WarehouseBusy(LockError):
    """Another run holds the warehouse: the message names it and says what to do."""


_METADATA = sa.MetaData()
HOLDERS = sa.Table(
    "dtsen_kunci",
    _METADATA,
    sa.Column("katalog", sa.String(255), primary_key=True),
    sa.Column("token", sa.String(32), nullable=False),  # this hold, so a release deletes only its own row
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("sejak", sa.String(40), nullable=False),  # ISO time, UTC
    sa.Column("untuk", sa.String(2000), nullable=False),  # what the holder runs
)


@dataclass(frozen=True)
class Holder:
    pid: int
    host: str
    sejak: dt.datetime
    untuk: str

    def describe(self) -> str:
        return f"{self.untuk}, pid {self.pid} on host {self.host} since {self.sejak:%Y-%m-%d %H:%M:%S} UTC"


class _Lock(Protocol):
    key: str

    def try_acquire(self) -> bool: ...
    def held(self) -> bool: ...
    def release(self) -> None: ...


def _digest(name: str) -> bytes:
    return hashlib.sha256(f"dtsen-warehouse:{name}".encode()).digest()


class _SessionLock:
    """A lock a database server holds for one session (connection): taken by a query,
    given back by another, and gone with the session when the process dies."""

    unlock_sql = ""

    def __init__(self, engine: sa.Engine, name: str):
        self.engine = engine
        self.key = f"{engine.url.render_as_string(hide_password=True)}#{name}"
        self.conn: sa.Connection | None = None

    def _connection(self) -> sa.Connection:
        if self.conn is None:
            self.conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self.conn

    def _params(self) -> dict:
        raise NotImplementedError

    def release(self) -> None:
        if self.conn is not None:
            try:
                self.conn.execute(sa.text(self.unlock_sql), self._params())
            finally:
                self.conn.close()  # ends the session: the lock goes with it in any case
                self.conn = None


class _PostgresLock(_SessionLock):
    unlock_sql = "SELECT pg_advisory_unlock(:k)"

    def __init__(self, engine: sa.Engine, name: str):
        super().__init__(engine, name)
        number = int.from_bytes(_digest(name)[:8], "big", signed=True)
        unsigned = number & 0xFFFF_FFFF_FFFF_FFFF
        self.number, self.classid, self.objid = number, unsigned >> 32, unsigned & 0xFFFF_FFFF

    def _params(self) -> dict:
        return {"k": self.number}

    def try_acquire(self) -> bool:
        return bool(self._connection().execute(sa.text("SELECT pg_try_advisory_lock(:k)"), self._params()).scalar())

    def held(self) -> bool:
        # A bigint advisory key shows in pg_locks as (classid, objid) = its high and low halves.
        query = sa.text(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() "
            "AND granted AND objsubid = 1 AND classid::bigint = :c AND objid::bigint = :o)"
        )
        return bool(self._connection().execute(query, {"c": self.classid, "o": self.objid}).scalar())


class _MysqlLock(_SessionLock):
    unlock_sql = "SELECT RELEASE_LOCK(:n)"

    def __init__(self, engine: sa.Engine, name: str):
        super().__init__(engine, name)
        self.name = f"dtsen-warehouse-{_digest(name).hex()[:40]}"  # GET_LOCK takes up to 64 characters

    def _params(self) -> dict:
        return {"n": self.name}

    def try_acquire(self) -> bool:
        return self._connection().execute(sa.text("SELECT GET_LOCK(:n, 0)"), self._params()).scalar() == 1

    def held(self) -> bool:
        query = sa.text("SELECT IS_USED_LOCK(:n) = CONNECTION_ID()")
        return self._connection().execute(query, self._params()).scalar() == 1


class _SqliteFileLock:
    def __init__(self, catalog_file: Path, name: str):
        safe = name if re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name) else _digest(name).hex()[:16]
        self.path = catalog_file.resolve().with_name(f"{catalog_file.name}.kunci-{safe}")
        self.key = str(self.path)
        self.con: sqlite3.Connection | None = None

    def try_acquire(self) -> bool:
        if self.con is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # timeout=0: refuse at once, the caller polls; autocommit, so BEGIN is ours to say.
            self.con = sqlite3.connect(self.path, timeout=0, isolation_level=None, check_same_thread=False)
        try:
            self.con.execute("BEGIN EXCLUSIVE")
        except sqlite3.OperationalError as e:
            if "locked" in str(e) or "busy" in str(e):
                return False
            raise
        return True

    def held(self) -> bool:
        return self.con is not None and self.con.in_transaction

    def release(self) -> None:
        if self.con is not None:
            try:
                if self.con.in_transaction:
                    self.con.execute("ROLLBACK")
            finally:
                self.con.close()
                self.con = None


class _NoLock:
    """An in-memory SQLite catalog: nothing outside this process can reach it."""

    def __init__(self, key: str):
        self.key = key

    def try_acquire(self) -> bool:
        return True

    def held(self) -> bool:
        return True

    def release(self) -> None:
        pass


def _check_backend(url: sa.URL) -> None:
    """Before the engine (which imports the database's driver): a database with no lock here."""
    if url.get_backend_name() not in ("postgresql", "mysql", "mariadb", "sqlite"):
        raise LockError(
            f"DTSEN_CATALOG_URL: no warehouse lock for a {url.get_backend_name()} catalog database; use PostgreSQL, "
            "MySQL/MariaDB or SQLite (the default)"
        )


def _lock_for(engine: sa.Engine, name: str) -> _Lock:
    dialect = engine.url.get_backend_name()
    if dialect == "postgresql":
        return _PostgresLock(engine, name)
    if dialect in ("mysql", "mariadb"):
        return _MysqlLock(engine, name)
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return _NoLock(f"sqlite-memory#{name}#{os.getpid()}")
    return _SqliteFileLock(Path(database), name)


# The locks this call chain holds, by key: a nested hold re-enters instead of waiting for itself.
_HELD: contextvars.ContextVar[tuple[tuple[str, _Lock], ...]] = contextvars.ContextVar("dtsen_kunci", default=())


def _write_holder(engine: sa.Engine, name: str, token: str, purpose: str) -> None:
    try:
        HOLDERS.create(engine, checkfirst=True)
    except sa.exc.DBAPIError:
        if not sa.inspect(engine).has_table(HOLDERS.name):  # another catalog's first hold created it meanwhile
            raise
    row = {
        "katalog": name,
        "token": token,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "sejak": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "untuk": purpose[:2000],
    }
    with engine.begin() as conn:
        conn.execute(HOLDERS.delete().where(HOLDERS.c.katalog == name))  # a killed holder's row
        conn.execute(HOLDERS.insert().values(**row))


def _delete_holder(engine: sa.Engine, name: str, token: str) -> None:
    with engine.begin() as conn:
        conn.execute(HOLDERS.delete().where(HOLDERS.c.katalog == name, HOLDERS.c.token == token))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def holder(engine: sa.Engine, name: str) -> Holder | None:
    """Who holds the lock, as its row says; None before the holder wrote it, or for a row a
    process on this host left behind when it was killed."""
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table(HOLDERS.name):
                return None
            row = conn.execute(sa.select(HOLDERS).where(HOLDERS.c.katalog == name)).mappings().first()
    except sa.exc.DBAPIError:
        return None  # who holds it is a courtesy; the lock itself is the database's
    if row is None or (row["host"] == socket.gethostname() and not _alive(row["pid"])):
        return None
    return Holder(row["pid"], row["host"], dt.datetime.fromisoformat(row["sejak"]), row["untuk"])


def _busy(engine: sa.Engine, name: str, waited: float) -> WarehouseBusy:
    deadline = time.monotonic() + ROW_GRACE_SECONDS
    who = holder(engine, name)
    while who is None and time.monotonic() < deadline:
        time.sleep(0.1)
        who = holder(engine, name)
    where = engine.url.render_as_string(hide_password=True)
    still = f" still, after waiting {waited:.0f} s," if waited else ""
    return WarehouseBusy(
        f"the warehouse is busy: catalog {name!r} ({where}) is held{still} by "
        + (who.describe() if who else "another run that has not written its name yet")
        + f"; run this again when that has finished, or set {WAIT_SETTING}=SECONDS to wait for it"
    )


@contextmanager
def hold(
    url: str, name: str, purpose: str, wait_seconds: float = 0.0, on_wait: Callable[[str], object] | None = None
) -> Iterator[None]:
    """Hold the warehouse of catalog `name` at `url` for the block. Another holder: wait up to
    `wait_seconds` (polling), then raise WarehouseBusy naming it. `purpose` says what this run
    does, for the one who is refused; `on_wait` hears once that this run is waiting, and for whom."""
    _check_backend(sa.make_url(url))
    engine = sa.create_engine(url, poolclass=NullPool)  # a connection of its own, closed on release
    lock = _lock_for(engine, name)
    held = dict(_HELD.get())
    if lock.key in held:
        engine.dispose()
        # Re-entered: the outer hold is this run's. Its connection may have died (then the
        # database dropped the lock): better to stop than to publish unguarded.
        if not held[lock.key].held():
            raise LockError(f"the warehouse lock of catalog {name!r} was lost (its database connection ended)")
        yield
        return
    started = time.monotonic()
    try:
        told = False
        while not lock.try_acquire():
            waited = time.monotonic() - started
            if waited >= wait_seconds:
                raise _busy(engine, name, waited if wait_seconds else 0.0)
            if on_wait is not None and not told:
                who = holder(engine, name)
                on_wait(
                    f"waiting up to {wait_seconds:.0f} s for the warehouse, held by {who.describe() if who else '?'}"
                )
                told = True
            time.sleep(min(POLL_SECONDS, max(0.0, wait_seconds - waited)))
    except BaseException:
        lock.release()
        engine.dispose()
        raise
    token = uuid.uuid4().hex
    reset = _HELD.set((*_HELD.get(), (lock.key, lock)))
    try:
        _write_holder(engine, name, token, purpose)
        yield
    finally:
        _HELD.reset(reset)
        try:
            _delete_holder(engine, name, token)
        finally:
            lock.release()
            engine.dispose()


def warehouse_lock(
    settings: Settings, purpose: str, on_wait: Callable[[str], object] | None = None
) -> AbstractContextManager[None]:
    """The lock of the warehouse these settings name, waiting as long as they say."""
    from warehouse.catalog import catalog_url

    return hold(catalog_url(settings), settings.catalog_name, purpose, settings.warehouse_lock_wait_seconds, on_wait)


def catalog_lock(catalog: Catalog, purpose: str) -> AbstractContextManager[None]:
    """The lock of this catalog's warehouse (its database URL and name)."""
    from dtsen.settings import get_settings

    return hold(catalog.properties["uri"], catalog.name, purpose, get_settings().warehouse_lock_wait_seconds)
