"""Which snapshot is current: only a checked one by the rule, an operator's pin over it, and
`force` never a second version of the same rows. On both catalog databases."""

from __future__ import annotations

import pytest

from tests.warehouse.runs import family, targeting_error, write_run
from warehouse import SnapshotNotFound, current, publish, resolve, snapshots
from warehouse.current import PINNED, choice, pin, pins, release, why_not_current

KK1, KK2 = "3201010101000001", "3301010101000002"
N1, N2, N3 = "3201010101900001", "3201010101900002", "3301010101900003"
OCTOBER = [family(KK1, 1, N1, N2), family(KK2, 5, N3)]
NOVEMBER = [family(KK1, 2, N1, N2), family(KK2, 4, N3)]
WARNED = {"status": "PERINGATAN", "peringatan": ["mentah.ekstrak:JUMLAH_BARIS_WAJAR"]}


def test_an_unchecked_or_warned_snapshot_is_not_current_by_the_rule(catalog, tmp_path):
    october = publish(catalog, write_run(tmp_path, "2026-10-17", "a" * 64, OCTOBER)).snapshot
    unchecked = publish(catalog, write_run(tmp_path, "2026-11-17", "b" * 64, NOVEMBER, mutu={})).snapshot
    assert unchecked.status_mutu == "BELUM_DIPERIKSA"
    assert current(catalog, []).tag == october.tag  # the later cut-off was never checked
    assert "BELUM_DIPERIKSA" in why_not_current(unchecked)

    warned = publish(catalog, write_run(tmp_path, "2026-12-17", "c" * 64, NOVEMBER, mutu=WARNED)).snapshot
    assert warned.status_mutu == "PERINGATAN"
    assert current(catalog, []).tag == october.tag
    assert "JUMLAH_BARIS_WAJAR" in why_not_current(warned)
    # Accepted by the operator in configuration (by its rule's name or its full name): current.
    assert current(catalog, ["JUMLAH_BARIS_WAJAR"]).tag == warned.tag
    assert current(catalog, ["mentah.ekstrak:JUMLAH_BARIS_WAJAR"]).tag == warned.tag
    assert current(catalog, ["BARIS_TIDAK_MENYUSUT"]).tag == october.tag


def test_nothing_current_is_said_when_nothing_passed(catalog, tmp_path):
    publish(catalog, write_run(tmp_path, "2026-10-17", "a" * 64, OCTOBER, mutu={"status": "GAGAL"}))
    assert current(catalog, []) is None
    with pytest.raises(SnapshotNotFound, match="no snapshot is current"):
        resolve(catalog)
    assert resolve(catalog, "2026-10-17").status_mutu == "GAGAL"  # still readable by its tag


def test_a_pin_holds_over_later_snapshots_until_released(catalog, tmp_path):
    october = publish(catalog, write_run(tmp_path, "2026-10-17", "a" * 64, OCTOBER)).snapshot
    november = publish(catalog, write_run(tmp_path, "2026-11-17", "b" * 64, NOVEMBER)).snapshot
    assert current(catalog, []).tag == november.tag

    pin(catalog, october.tag, "November's deciles under review", "operator-a")
    chosen = choice(catalog, [])
    assert (chosen.snapshot.tag, chosen.cara, chosen.penetapan.oleh) == (october.tag, PINNED, "operator-a")
    # A later month, even one that passed, does not move a pin.
    publish(catalog, write_run(tmp_path, "2026-12-17", "c" * 64, NOVEMBER))
    assert resolve(catalog).tag == october.tag

    release(catalog, "review done", "operator-b")
    assert current(catalog, []).tag == "2026-12-17"
    assert [(p.aksi, p.tag, p.oleh) for p in pins(catalog)] == [
        ("TETAPKAN", october.tag, "operator-a"),
        ("LEPAS", None, "operator-b"),
    ]


def test_a_pin_needs_a_known_tag_and_a_reason_and_a_release_a_pin(catalog, tmp_path):
    publish(catalog, write_run(tmp_path, "2026-10-17", "a" * 64, OCTOBER))
    with pytest.raises(SnapshotNotFound, match="2026-10-17"):
        pin(catalog, "2026-09-17", "rollback", "operator")
    with pytest.raises(ValueError, match="--alasan"):
        pin(catalog, "2026-10-17", "  ", "operator")
    with pytest.raises(ValueError, match="no snapshot is pinned"):
        release(catalog, "nothing to release", "operator")
    assert pins(catalog) == []


def test_force_publishes_a_revision_only_when_the_rows_differ(catalog, tmp_path):
    first = publish(catalog, write_run(tmp_path / "1", "2026-11-17", "b" * 64, NOVEMBER)).snapshot
    # The same delivery run again with the same outcome: no second version, even forced.
    same = publish(catalog, write_run(tmp_path / "2", "2026-11-17", "b" * 64, NOVEMBER), force=True)
    assert not same.created and same.snapshot.tag == first.tag
    # The same delivery after a fix that changes a decile: a revision, when forced only.
    fixed = write_run(tmp_path / "3", "2026-11-17", "b" * 64, [family(KK1, 3, N1, N2), family(KK2, 4, N3)])
    assert not publish(catalog, fixed).created
    revision = publish(catalog, fixed, force=True)
    assert revision.created and revision.snapshot.tag == "2026-11-17-r2"
    assert [s.tag for s in snapshots(catalog)] == ["2026-11-17", "2026-11-17-r2"]


def test_the_operator_pins_and_releases_from_the_command_line(tmp_path):
    """As typed: audited, shown by `dtsen snapshots`, a wrong tag refused in one line."""
    from dtsen.settings import Settings
    from tests.test_cli import assert_refused, dtsen
    from warehouse import open_catalog
    from warehouse.audit import entries

    home = tmp_path / "var"
    catalog = open_catalog(Settings(home=home))
    figure = targeting_error(0.19621, 0.157, 0.2296)
    publish(catalog, write_run(tmp_path, "2026-10-17", "a" * 64, OCTOBER, galat=figure))
    publish(catalog, write_run(tmp_path, "2026-11-17", "b" * 64, NOVEMBER, mutu=WARNED))

    listed = dtsen(home, "snapshots")
    assert listed.returncode == 0, listed.stderr
    # October's model left out 19.6% of the poorest 40% out of sample; November has no figure.
    rows = [line for line in listed.stdout.splitlines() if "2026-1" in line]
    assert "19.6% (95%: 15.7-23.0)" in rows[0] and "%" not in rows[1], listed.stdout
    assert "PERINGATAN (not eligible)" in listed.stdout and "DTSEN_PERINGATAN_DITERIMA" in listed.stdout
    assert [line.split()[3] for line in listed.stdout.splitlines() if line.strip().startswith("│ *")] == ["2026-10-17"]

    pinned = dtsen(home, "current", "set", "2026-11-17", "--alasan", "warning checked by hand")
    assert pinned.returncode == 0, pinned.stderr
    assert "pinned by" in dtsen(home, "snapshots").stdout
    assert_refused(dtsen(home, "current", "set", "2026-09-17", "--alasan", "x"), "no snapshot tagged", "2026-10-17")
    released = dtsen(home, "current", "release", "--alasan", "back to the rule")
    assert released.returncode == 0 and "2026-10-17" in released.stdout, released.stderr
    shown = dtsen(home, "current", "show").stdout
    assert "current: 2026-10-17, by the rule" in shown and "TETAPKAN" in shown and "LEPAS" in shown

    audit = entries(Settings(home=home))
    assert [(a["perintah"], a["snapshot"], a["detail"]["alasan"]) for a in audit] == [
        ("current set", "2026-11-17", "warning checked by hand"),
        ("current release", "2026-10-17", "back to the rule"),
    ]
