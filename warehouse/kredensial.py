"""The agencies' credentials: what the service checks on every request.

A key is shown once, when it is made (`dtsen akses buat`), and never stored: the catalog
database keeps its public id and the SHA-256 of its secret part. The secret is 32 random
bytes, so a plain hash is enough (a password hash's slowness protects guessable secrets);
the comparison is constant-time. The role and the regions a request gets come from the
credential row, never from the request.

Key: `dtsen_<id>_<secret>`; the id finds the row, the secret proves the holder.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import enum
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Iterator, Set

import sqlalchemy as sa

from dtsen.settings import Settings
from warehouse.catalog import catalog_url, warehouse_dir

_META = sa.MetaData()
KREDENSIAL = sa.Table(
    "dtsen_kredensial",
    _META,
    sa.Column("katalog", sa.String(255), primary_key=True),  # several catalogs can share one database
    sa.Column("id", sa.String(16), primary_key=True),
    sa.Column("hash_rahasia", sa.String(64), nullable=False),
    sa.Column("nama", sa.String(100), nullable=False),
    sa.Column("peran", sa.String(10), nullable=False),
    sa.Column("wilayah", sa.String(400), nullable=False),  # comma-separated province codes; empty: all
    sa.Column("berlaku_sampai", sa.Date, nullable=True),
    sa.Column("dibuat", sa.DateTime, nullable=False),
    sa.Column("dicabut", sa.DateTime, nullable=True),
)
_KEY = re.compile(r"dtsen_([0-9a-f]{12})_([A-Za-z0-9_-]{43})")


class Peran(str, enum.Enum):
    analis = "analis"  # pseudonymised tables only
    penuh = "penuh"  # names and NIKs: an agency that pays benefits to named people


class CredentialError(ValueError):
    """A credential cannot be made or changed as asked."""


class Refused(PermissionError):
    """A request's key is missing, unknown, revoked or expired; the message says which
    without echoing the key."""


@dataclasses.dataclass(frozen=True)
class Kredensial:
    id: str
    nama: str
    peran: Peran
    wilayah: tuple[str, ...]  # province codes; empty: the whole country
    berlaku_sampai: dt.date | None
    dibuat: dt.datetime
    dicabut: dt.datetime | None

    def sees(self, kode: str | None) -> bool:
        """Whether a row of this region (a province, regency or village code) is this credential's."""
        return not self.wilayah or (kode is not None and kode[:2] in self.wilayah)


def engine(settings: Settings) -> sa.Engine:
    """The catalog database, with the credentials table created on first use."""
    warehouse_dir(settings).mkdir(parents=True, exist_ok=True)  # where a SQLite catalog lives
    eng = sa.create_engine(catalog_url(settings))
    _META.create_all(eng)
    return eng


@contextlib.contextmanager
def database(settings: Settings) -> Iterator[sa.Connection]:
    eng = engine(settings)
    try:
        with eng.begin() as c:
            yield c
    finally:
        eng.dispose()


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def provinces(value: str | None, known: Set[str]) -> tuple[str, ...]:
    """`32,33` -> ('32', '33'), each a province of the region list."""
    if not value:
        return ()
    codes = tuple(sorted({c.strip() for c in value.split(",") if c.strip()}))
    wrong = [c for c in codes if c not in known]
    if wrong:
        raise CredentialError(f"--wilayah: {', '.join(wrong)} is not a province code of the region list")
    return codes


def _row(r) -> Kredensial:
    return Kredensial(
        id=r.id,
        nama=r.nama,
        peran=Peran(r.peran),
        wilayah=tuple(c for c in r.wilayah.split(",") if c),
        berlaku_sampai=r.berlaku_sampai,
        dibuat=r.dibuat,
        dicabut=r.dicabut,
    )


def create(
    settings: Settings, nama: str, peran: Peran, wilayah: tuple[str, ...], berlaku_sampai: dt.date | None
) -> tuple[Kredensial, str]:
    """A new credential and its key (the only time the key exists outside the holder)."""
    nama = nama.strip()
    if not re.fullmatch(r"[A-Za-z0-9 ._-]{2,100}", nama):
        raise CredentialError("--nama: 2 to 100 letters, digits, spaces, dots, dashes (an agency's name)")
    if berlaku_sampai is not None and berlaku_sampai < dt.date.today():
        raise CredentialError(f"--berlaku-sampai {berlaku_sampai}: already past")
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    row = {
        "katalog": settings.catalog_name,
        "id": key_id,
        "hash_rahasia": _hash(secret),
        "nama": nama,
        "peran": peran.value,
        "wilayah": ",".join(wilayah),
        "berlaku_sampai": berlaku_sampai,
        "dibuat": now,
        "dicabut": None,
    }
    with database(settings) as c:
        c.execute(KREDENSIAL.insert().values(**row))
    return Kredensial(key_id, nama, peran, wilayah, berlaku_sampai, now, None), f"dtsen_{key_id}_{secret}"


def listed(settings: Settings) -> list[Kredensial]:
    with database(settings) as c:
        rows = c.execute(
            sa.select(KREDENSIAL)
            .where(KREDENSIAL.c.katalog == settings.catalog_name)
            .order_by(KREDENSIAL.c.dibuat, KREDENSIAL.c.id)
        ).fetchall()
    return [_row(r) for r in rows]


def revoke(settings: Settings, key_id: str) -> Kredensial:
    """Revoked at once: the service checks the row on every request."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    where = (KREDENSIAL.c.katalog == settings.catalog_name) & (KREDENSIAL.c.id == key_id)
    with database(settings) as c:
        found = c.execute(sa.select(KREDENSIAL).where(where)).fetchone()
        if found is None:
            raise CredentialError(f"no credential {key_id!r} (dtsen akses daftar lists them)")
        if found.dicabut is None:
            c.execute(KREDENSIAL.update().where(where).values(dicabut=now))
    return dataclasses.replace(_row(found), dicabut=found.dicabut or now)


class Checker:
    """Checks a presented key against the catalog database (one engine for the service's life).

    `remember_seconds`: a key found good is not looked up again for this long (the service
    passes DTSEN_LAYANAN_SEGAR_DETIK), so a revocation takes effect within it; expiry is
    checked on every request. 0: every request reads the database."""

    def __init__(self, settings: Settings, remember_seconds: float = 0):
        self.settings = settings
        self.engine = engine(settings)
        self.remember_seconds = remember_seconds
        self._good: dict[str, tuple[Kredensial, float]] = {}

    def check(self, key: str | None, today: dt.date | None = None) -> Kredensial:
        if not key:
            raise Refused("no credential: send Authorization: Bearer <key>")
        remembered = self._good.get(key)
        if remembered is not None and time.monotonic() - remembered[1] < self.remember_seconds:
            return _in_force(remembered[0], today)
        k = _in_force(self._look_up(key), today)
        if self.remember_seconds:
            self._good[key] = (k, time.monotonic())
        return k

    def _look_up(self, key: str) -> Kredensial:
        match = _KEY.fullmatch(key.strip())
        if match is None:
            raise Refused("not a DTSEN key")
        key_id, secret = match.groups()
        with self.engine.connect() as c:
            found = c.execute(
                sa.select(KREDENSIAL).where(
                    (KREDENSIAL.c.katalog == self.settings.catalog_name) & (KREDENSIAL.c.id == key_id)
                )
            ).fetchone()
        # The hash is compared even for an unknown id, so timing does not tell ids apart.
        expected = found.hash_rahasia if found is not None else _hash("")
        if not hmac.compare_digest(expected, _hash(secret)) or found is None:
            raise Refused("unknown credential")
        return _row(found)


def _in_force(k: Kredensial, today: dt.date | None) -> Kredensial:
    if k.dicabut is not None:
        raise Refused(f"credential {k.id} was revoked on {k.dicabut:%Y-%m-%d}")
    if k.berlaku_sampai is not None and (today or dt.date.today()) > k.berlaku_sampai:
        raise Refused(f"credential {k.id} expired on {k.berlaku_sampai}")
    return k
