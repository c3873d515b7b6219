"""The NIK steps of matching on small hand-made cases: each rule, and the traps."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from tests.match.tabel import empty_tables
from transforms import match

SITI = ("3201054502850002", "SITI AMINAH", dt.date(1985, 2, 5), 2)
AHMAD = ("3201050101800001", "AHMAD SUBAGJA", dt.date(1980, 1, 1), 1)
# Same district, same birthday as AHMAD, serial one digit away: a typo can land on him.
BUDI = ("3201050101800007", "BUDI SANTOSO", dt.date(1980, 1, 1), 1)


@pytest.fixture
def con():
    c = duckdb.connect()
    match.prepare(c)
    empty_tables(c)
    c.executemany(
        "INSERT INTO penduduk VALUES (?, ?, ?, ?, ?, '3201051001', '3201050202100001', NULL)",
        [(nik, nama, nama, tgl, jk) for nik, nama, tgl, jk in (SITI, AHMAD, BUDI)],
    )
    return c


def add(con, id_sumber, nik, nama, tgl, jk, kode_desa="3201051001"):
    con.execute(
        "INSERT INTO catatan VALUES ('DTKS', ?, ?, NULL, ?, ?, ?, ?, ?, left(?, 2), NULL)",
        [id_sumber, nik, nama, nama, tgl, jk, kode_desa, kode_desa],
    )


def links(con) -> dict[str, tuple[str, str]]:
    match.match_nik_exact(con)
    match.match_nik_repair(con)
    rows = con.execute(
        "SELECT id_sumber, nik, metode_padan FROM padan_nik_exact "
        "UNION ALL SELECT id_sumber, nik, metode_padan FROM padan_nik_repair"
    ).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


def test_exact_nik_with_a_name_variant(con):
    add(con, "a", SITI[0], "SITI AMINA", SITI[2], 2)
    add(con, "b", AHMAD[0], "AHMAD", AHMAD[2], 1)  # shortened name
    assert links(con) == {"a": (SITI[0], "NIK_EXACT"), "b": (AHMAD[0], "NIK_EXACT")}


def test_false_exact_nik_is_not_a_match(con):
    # AHMAD's record typed with BUDI's NIK (one digit off): name says it is not BUDI,
    # and the repair finds AHMAD one edit away with name and birth date agreeing.
    add(con, "x", BUDI[0], "AHMAD SUBAGJA", AHMAD[2], 1)
    assert links(con) == {"x": (AHMAD[0], "NIK_REPAIRED")}


def test_typo_transposition_and_womens_day(con):
    add(con, "typo", SITI[0][:10] + "9" + SITI[0][11:], "SITI AMINAH", SITI[2], 2)
    add(con, "swap", SITI[0][:14] + SITI[0][15] + SITI[0][14], "SITI AMINAH", SITI[2], 2)  # ...0002 -> ...0020
    add(con, "day", "3201050502850002", "SITI AMINAH", SITI[2], 2)  # 05 instead of 45
    got = links(con)
    assert got == {k: (SITI[0], "NIK_REPAIRED") for k in ("typo", "swap", "day")}


def test_repair_in_parts_finds_the_same(con, monkeypatch):
    monkeypatch.setattr(match, "REPAIR_PART", 1)  # one record per part
    add(con, "typo", SITI[0][:15] + "9", "SITI AMINAH", SITI[2], 2)
    add(con, "drop", SITI[0][:9] + SITI[0][10:], "SITI AMINAH", SITI[2], 2)
    add(con, "ghost", "3201051212900123", "RUDI HARTONO", dt.date(1990, 12, 12), 1)
    assert links(con) == {k: (SITI[0], "NIK_REPAIRED") for k in ("typo", "drop")}
    assert con.execute("SELECT count(DISTINCT bagian) FROM sisa_repair").fetchall()[0][0] > 1


def test_a_digit_dropped_or_typed_twice(con):
    add(con, "drop", SITI[0][:9] + SITI[0][10:], "SITI AMINAH", SITI[2], 2)  # 15 digits
    add(con, "twice", SITI[0][:4] + "0" + SITI[0][4:], "SITI AMINAH", SITI[2], 2)  # 17 digits
    assert links(con) == {k: (SITI[0], "NIK_REPAIRED") for k in ("drop", "twice")}


def test_repair_far_away_needs_a_near_identical_name(con):
    # An edit in the serial keeps the birth date: SITI alone, in another province, is not enough.
    typo = SITI[0][:15] + "9"
    add(con, "far_short", typo, "SITI", SITI[2], 2, kode_desa="3601041008")
    add(con, "near_short", typo, "SITI", SITI[2], 2)
    add(con, "far_full", typo, "SITI AMINAH", SITI[2], 2, kode_desa="3601041008")
    assert links(con) == {k: (SITI[0], "NIK_REPAIRED") for k in ("near_short", "far_full")}


def test_two_probable_persons_are_no_link(con):
    from transforms.match.probabilistic import choose_links

    match.match_nik_exact(con)
    con.execute("CREATE TABLE pred (unique_id_l VARCHAR, unique_id_r VARCHAR, match_probability DOUBLE)")
    # Records "one", "two", "low" are not in `catatan`: nothing tells the candidates apart.
    con.execute(
        f"INSERT INTO pred VALUES ('DTKS:one', '{SITI[0]}', 0.97), ('DTKS:one', '{AHMAD[0]}', 0.40), "
        f"('DTKS:two', '{SITI[0]}', 0.99), ('DTKS:two', '{AHMAD[0]}', 0.95), ('DTKS:low', '{SITI[0]}', 0.5)"
    )
    choose_links(con, "pred", 0.9)
    assert con.execute("SELECT id_sumber, nik FROM padan_probabilistik").fetchall() == [("one", SITI[0])]
    assert con.execute("SELECT id_sumber FROM padan_probabilistik_ganda").fetchall() == [("two",)]


def test_of_two_probable_persons_the_one_in_the_records_kk_or_village_wins(con):
    from transforms.match.probabilistic import choose_links

    elsewhere = ("3201051212900009", "AHMAD SUBAGJA", AHMAD[2], 1)
    con.execute(
        "INSERT INTO penduduk VALUES (?, ?, ?, ?, ?, '3201052002', '3201052002100009', NULL)",
        [elsewhere[0], elsewhere[1], elsewhere[1], elsewhere[2], elsewhere[3]],
    )
    add(con, "desa", None, "AHMAD SUBAGJA", AHMAD[2], 1)  # lives in AHMAD's village, no NIK
    add(con, "kk", None, "AHMAD SUBAGJA", AHMAD[2], 1, kode_desa="3201052002")
    con.execute("UPDATE catatan SET no_kk = '3201050202100001' WHERE id_sumber = 'kk'")  # but AHMAD's KK
    add(con, "neither", None, "AHMAD SUBAGJA", AHMAD[2], 1, kode_desa="3601041008")
    match.match_nik_exact(con)
    con.execute("CREATE TABLE pred (unique_id_l VARCHAR, unique_id_r VARCHAR, match_probability DOUBLE)")
    for rec in ("desa", "kk", "neither"):
        con.execute(
            f"INSERT INTO pred VALUES ('DTKS:{rec}', '{AHMAD[0]}', 0.95), ('DTKS:{rec}', '{elsewhere[0]}', 0.96)"
        )
    choose_links(con, "pred", 0.9)
    got = dict(con.execute("SELECT id_sumber, nik FROM padan_probabilistik").fetchall())
    assert got == {"desa": AHMAD[0], "kk": AHMAD[0]}
    assert con.execute("SELECT id_sumber FROM padan_probabilistik_ganda").fetchall() == [("neither",)]


def test_repair_needs_the_birth_date_too(con):
    add(con, "z", SITI[0][:15] + "9", "SITI AMINAH", dt.date(1970, 6, 6), 2)
    assert links(con) == {}


def test_ghost_is_not_linked(con):
    add(con, "g", "3201051212900123", "RUDI HARTONO", dt.date(1990, 12, 12), 1)
    assert links(con) == {}


def test_every_record_has_an_outcome_and_unlinked_ones_a_reason(con):
    from transforms.match.probabilistic import match_probabilistic

    add(con, "a", SITI[0], "SITI AMINAH", SITI[2], 2)
    add(con, "x", BUDI[0], "RUDI HARTONO", dt.date(1970, 3, 3), 1)  # someone else's NIK
    add(con, "g", "3201051212900123", "RUDI HARTONO", dt.date(1990, 12, 12), 1)  # not registered
    con.execute(
        "INSERT INTO catatan VALUES ('DTKS', 'n', NULL, 'NIK_KOSONG', NULL, NULL, NULL, 1, '3201051001', '32', NULL)"
    )
    match.match_nik_exact(con)
    match.match_nik_repair(con)
    match_probabilistic(con)
    match.record_outcomes(con)
    counts = match.outcome_counts(con)
    assert counts["seimbang"] and counts["catatan"] == 4
    assert counts["per_metode"]["DTKS"] == {"NIK_EXACT": 1, "TIDAK_PADAN": 3}
    reasons = dict(con.execute("SELECT id_sumber, alasan FROM verifikasi_padan").fetchall())
    assert reasons == {"x": "NIK_MILIK_ORANG_LAIN", "g": "NIK_TIDAK_TERDAFTAR", "n": "TIDAK_PADAN_TANPA_NIK"}
