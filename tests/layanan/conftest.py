"""A published warehouse of two months (the hand-made runs of tests/warehouse) behind the
service, and one credential of each kind."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from dtsen.settings import Settings
from tests.conftest import own_warehouse
from tests.warehouse.runs import family, targeting_error, write_run
from warehouse import kredensial, open_catalog, publish
from warehouse.kredensial import KREDENSIAL, Peran

KK_JABAR, KK_JABAR2, KK_JATENG = "3201010101000001", "3201010101000002", "3301010101000003"
N = {i: f"32010101019{i:05d}" for i in range(1, 10)} | {i: f"33010101019{i:05d}" for i in range(10, 20)}
OCTOBER = [family(KK_JABAR, 1, N[1], N[2]), family(KK_JABAR2, 5, N[3]), family(KK_JATENG, 9, N[10], N[11])]
GALAT = targeting_error(0.196, 0.157, 0.23)  # November's model's out-of-sample error
NOVEMBER = [family(KK_JABAR, 2, N[1], N[2], N[4]), family(KK_JATENG, 9, N[10], N[11])]


@dataclass
class Keys:
    analis: str  # every province
    jabar: str  # analis, province 32 only
    penuh: str
    revoked: str
    expired: str


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request, tmp_path) -> Settings:
    """A warehouse of the test's own; the service reads the registry on every request."""
    return own_warehouse(request, tmp_path, layanan_segar_detik=0)


@pytest.fixture
def published(settings, tmp_path) -> Settings:
    catalog = open_catalog(settings)
    publish(catalog, write_run(tmp_path / "runs", "2026-10-17", "a" * 64, OCTOBER))
    november = write_run(tmp_path / "runs", "2026-11-17", "b" * 64, NOVEMBER, dead=(N[3],), galat=GALAT)
    publish(catalog, november)
    return settings


@pytest.fixture
def keys(published) -> Keys:
    s = published
    _, analis = kredensial.create(s, "KEMENSOS", Peran.analis, (), None)
    _, jabar = kredensial.create(s, "PEMPROV JABAR", Peran.analis, ("32",), None)
    _, penuh = kredensial.create(s, "KEMENSOS PKH", Peran.penuh, (), None)
    revoked_made, revoked = kredensial.create(s, "BAPPENAS", Peran.analis, (), None)
    kredensial.revoke(s, revoked_made.id)
    expired_made, expired = kredensial.create(s, "BPS", Peran.analis, (), dt.date.today())
    with kredensial.database(s) as c:  # it expired yesterday
        c.execute(
            KREDENSIAL.update()
            .where(KREDENSIAL.c.id == expired_made.id)
            .values(berlaku_sampai=dt.date.today() - dt.timedelta(days=1))
        )
    return Keys(analis, jabar, penuh, revoked, expired)


@pytest.fixture
def client(published):
    from fastapi.testclient import TestClient

    from layanan.app import buat_app

    with TestClient(buat_app(published)) as c:
        yield c


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def audit_lines(settings: Settings) -> list[dict]:
    from warehouse.audit import entries

    return entries(settings)
