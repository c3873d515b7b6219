"""`dtsen akses buat | daftar | cabut` and `dtsen serve`, as an operator types them."""

from __future__ import annotations

import re

from tests.test_cli import assert_refused, dtsen
from warehouse.audit import entries


def test_an_operator_makes_lists_and_revokes_a_credential(tmp_path):
    from dtsen.settings import Settings
    from warehouse.kredensial import Checker, Refused

    home = tmp_path / "var"
    made = dtsen(home, "akses", "buat", "--nama", "PEMPROV JABAR", "--peran", "analis", "--wilayah", "32",
                 "--berlaku-sampai", "2099-12-31")  # fmt: skip
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"dtsen_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", key)
    key_id = key.split("_")[1]
    listed = dtsen(home, "akses", "daftar")
    assert listed.returncode == 0 and key_id in listed.stdout and "PEMPROV JABAR" in listed.stdout
    assert key.split("_", 2)[2] not in listed.stdout  # the key is shown once, at its making
    settings = Settings(home=home)
    assert Checker(settings).check(key).wilayah == ("32",)
    assert dtsen(home, "akses", "cabut", key_id).returncode == 0
    try:
        Checker(settings).check(key)
        raise AssertionError("a revoked key was accepted")
    except Refused:
        pass
    assert [e["perintah"] for e in entries(settings)] == ["akses buat", "akses cabut"]


def test_a_wrong_credential_request_is_refused_in_one_line(tmp_path):
    home = tmp_path / "var"
    assert_refused(dtsen(home, "akses", "buat", "--nama", "X1", "--peran", "admin"), "--peran admin", "analis or penuh")
    assert_refused(dtsen(home, "akses", "buat", "--nama", "X1", "--peran", "analis", "--wilayah", "32,99"), "99")
    assert_refused(
        dtsen(home, "akses", "buat", "--nama", "X1", "--peran", "analis", "--berlaku-sampai", "31-12-2099"),
        "YYYY-MM-DD",
    )
    assert_refused(dtsen(home, "akses", "cabut", "0123456789ab"), "no credential")


def test_the_service_refuses_to_start_with_a_short_key(tmp_path):
    home = tmp_path / "var"
    assert_refused(dtsen(home, "serve", env={"DTSEN_PSEUDONYM_KEY": "pendek"}), "32 bytes")
