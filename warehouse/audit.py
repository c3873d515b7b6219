"""The audit log: every read of the register, and what operators decide about the warehouse
(a pinned or released current snapshot, a cleanup): who, when, what, which snapshot, with
what outcome.

It lives in the catalog database (table `dtsen_audit`), beside the tables it speaks of, so
a reader who points `DTSEN_HOME` elsewhere still writes to the same log. Lines are only
ever inserted; on PostgreSQL the service's role can be given INSERT and SELECT on the table
and nothing more (docs/operating.md).

Who: for the service, the agency of the credential the server checked; for the operator's
own commands, `operator:<login name>` (a command run on the warehouse's machine can read its
files whatever it claims, so it claims nothing). No personal data: a query is kept as its
shape (layanan/kueri.py), a person as a token prefix; a last pass blanks any run of ten
digits or more (a NIK, a KK) in whatever a caller put in the detail.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import queue
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from dtsen.settings import Settings
from warehouse.catalog import catalog_url, warehouse_dir

_META = sa.MetaData()
AUDIT = sa.Table(
    "dtsen_audit",
    _META,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("katalog", sa.String(255), nullable=False, index=True),
    sa.Column("waktu", sa.DateTime, nullable=False),
    sa.Column("pengguna", sa.String(200), nullable=False),
    sa.Column("kredensial", sa.String(16), nullable=True),
    sa.Column("perintah", sa.String(100), nullable=False),
    sa.Column("akses", sa.String(20), nullable=False),
    sa.Column("snapshot", sa.String(100), nullable=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("baris", sa.BigInteger, nullable=True),
    sa.Column("detail", sa.Text, nullable=False),
)
_DIGITS = re.compile(r"\d{10,}")


@dataclass
class Entry:
    perintah: str
    akses: str
    snapshot: str | None
    pengguna: str
    status: str = "OK"  # OK, DITOLAK (refused), GAGAL (failed), WAKTU_HABIS (timed out), TERPUTUS (client left)
    baris: int | None = None
    kredensial: str | None = None
    detail: dict = field(default_factory=dict)
    waktu: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC).replace(tzinfo=None))

    def row(self, katalog: str) -> dict:
        detail = json.dumps(_scrubbed(self.detail), sort_keys=True, default=str)
        return {
            "katalog": katalog,
            "waktu": self.waktu,
            "pengguna": self.pengguna,
            "kredensial": self.kredensial,
            "perintah": self.perintah,
            "akses": self.akses,
            "snapshot": self.snapshot,
            "status": self.status,
            "baris": self.baris,
            "detail": detail,
        }


def _scrubbed(value):
    """Every string in the detail with its long digit runs blanked (numbers stay numbers)."""
    if isinstance(value, str):
        return _DIGITS.sub("?", value)
    if isinstance(value, dict):
        return {k: _scrubbed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrubbed(v) for v in value]
    return value


def operator() -> str:
    return f"operator:{getpass.getuser()}"


def engine(settings: Settings) -> sa.Engine:
    warehouse_dir(settings).mkdir(parents=True, exist_ok=True)
    eng = sa.create_engine(catalog_url(settings))
    _META.create_all(eng)
    return eng


def record(settings: Settings, perintah: str, akses: str, snapshot: str | None, status: str = "OK", **detail) -> None:
    """One line for an operator's command."""
    baris = detail.pop("baris", None)
    entry = Entry(perintah, akses, snapshot, operator(), status=status, baris=baris, detail=detail)
    eng = engine(settings)
    try:
        with eng.begin() as c:
            c.execute(AUDIT.insert().values(**entry.row(settings.catalog_name)))
    finally:
        eng.dispose()


def entries(settings: Settings, limit: int = 1000) -> list[dict]:
    """The latest lines, oldest first."""
    eng = engine(settings)
    try:
        with eng.connect() as c:
            rows = c.execute(
                sa.select(AUDIT)
                .where(AUDIT.c.katalog == settings.catalog_name)
                .order_by(AUDIT.c.id.desc())
                .limit(limit)
            ).fetchall()
    finally:
        eng.dispose()
    return [r._asdict() | {"detail": json.loads(r.detail)} for r in reversed(rows)]


@dataclass
class _Pending:
    entry: Entry
    done: threading.Event = field(default_factory=threading.Event)
    error: Exception | None = None
    on_done: Callable[[], object] | None = None


def _settle(future) -> None:
    if not future.done():
        future.set_result(None)


class Writer:
    """The service's log: requests hand their line to one writer thread, which inserts what
    has queued up in one transaction (a group commit), and each request waits for its line to
    be committed before it answers: no answer leaves without its line, and many requests cost
    one commit."""

    def __init__(self, settings: Settings):
        self.katalog = settings.catalog_name
        self.engine = engine(settings)
        self._queue: queue.Queue[_Pending | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="dtsen-audit", daemon=True)
        self._thread.start()

    def write(self, entry: Entry, timeout: float = 10.0) -> None:
        pending = _Pending(entry)
        self._queue.put(pending)
        if not pending.done.wait(timeout) or pending.error is not None:
            raise RuntimeError("the audit log could not be written") from pending.error

    async def write_async(self, entry: Entry, timeout: float = 10.0) -> None:
        """`write` for a coroutine: it waits without holding a thread."""
        import asyncio

        loop = asyncio.get_running_loop()
        committed = loop.create_future()
        pending = _Pending(entry, on_done=lambda: loop.call_soon_threadsafe(_settle, committed))
        self._queue.put(pending)
        try:
            await asyncio.wait_for(committed, timeout)
        except TimeoutError:
            raise RuntimeError("the audit log could not be written") from None
        if pending.error is not None:
            raise RuntimeError("the audit log could not be written") from pending.error

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            while len(batch) < 500:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)  # stop after this batch
                    break
                batch.append(more)
            error = None
            try:
                with self.engine.begin() as c:
                    c.execute(AUDIT.insert(), [p.entry.row(self.katalog) for p in batch])
            except Exception as e:  # the requests waiting on it fail: nothing answers unlogged
                error = e
            for p in batch:
                p.error = error
                p.done.set()
                if p.on_done is not None:
                    p.on_done()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)
        self.engine.dispose()
