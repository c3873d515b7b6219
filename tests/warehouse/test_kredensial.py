"""Agencies' credentials: made once, stored as a hash, revoked and expired at once."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from dtsen.referensi import province_codes
from warehouse import kredensial
from warehouse.kredensial import Checker, CredentialError, Peran, Refused


def test_a_key_is_shown_once_and_only_its_hash_is_stored(settings):
    made, key = kredensial.create(settings, "KEMENSOS", Peran.analis, ("32", "33"), None)
    with kredensial.database(settings) as c:
        stored = " ".join(str(v) for row in c.execute(sa.select(kredensial.KREDENSIAL)) for v in row)
    secret = key.split("_", 2)[2]
    assert secret not in stored and made.id in stored and "KEMENSOS" in stored
    checked = Checker(settings).check(key)
    assert (checked.nama, checked.peran, checked.wilayah) == ("KEMENSOS", Peran.analis, ("32", "33"))
    assert [k.id for k in kredensial.listed(settings)] == [made.id]


def test_a_wrong_revoked_or_expired_key_is_refused(settings):
    _, key = kredensial.create(settings, "BAPPENAS", Peran.penuh, (), dt.date.today() + dt.timedelta(days=30))
    checker = Checker(settings)
    assert checker.check(key).peran is Peran.penuh
    for bad in (None, "", "Bearer x", key[:-1] + ("A" if key[-1] != "A" else "B"), key.replace(key[6:18], "0" * 12)):
        with pytest.raises(Refused):
            checker.check(bad)
    with pytest.raises(Refused, match="expired"):
        checker.check(key, today=dt.date.today() + dt.timedelta(days=31))
    made = kredensial.listed(settings)[0]
    assert kredensial.revoke(settings, made.id).dicabut is not None
    with pytest.raises(Refused, match="revoked"):
        checker.check(key)  # the same checker: revocation is seen by a running service at once


def test_a_credential_is_checked_when_made(settings):
    with pytest.raises(CredentialError, match="99"):
        kredensial.provinces("32,99", province_codes())
    assert kredensial.provinces(" 33, 32 ", province_codes()) == ("32", "33")
    with pytest.raises(CredentialError, match="past"):
        kredensial.create(settings, "KEMENSOS", Peran.analis, (), dt.date(2020, 1, 1))
    with pytest.raises(CredentialError, match="nama"):
        kredensial.create(settings, "x'; DROP TABLE", Peran.analis, (), None)
    with pytest.raises(CredentialError, match="no credential"):
        kredensial.revoke(settings, "0123456789ab")


def test_a_region_limited_credential_sees_only_its_provinces(settings):
    made, _ = kredensial.create(settings, "PEMPROV JABAR", Peran.analis, ("32",), None)
    assert made.sees("3201010001") and made.sees("32") and not made.sees("3301010001") and not made.sees(None)
    everywhere, _ = kredensial.create(settings, "KEMENSOS", Peran.analis, (), None)
    assert everywhere.sees("9601010001")


def test_the_service_remembers_a_good_key_for_seconds_and_then_sees_its_revocation(settings):
    import time

    made, key = kredensial.create(settings, "KEMENSOS", Peran.analis, (), None)
    checker = Checker(settings, remember_seconds=0.5)
    assert checker.check(key).id == made.id
    kredensial.revoke(settings, made.id)
    assert checker.check(key).id == made.id  # remembered: within the service's refresh interval
    time.sleep(0.6)
    with pytest.raises(Refused, match="revoked"):
        checker.check(key)
    with pytest.raises(Refused):  # a wrong key is never remembered as good
        checker.check(key[:-1] + ("A" if key[-1] != "A" else "B"))
