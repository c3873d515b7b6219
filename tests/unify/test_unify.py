"""Unification on small hand-made cases: the dead, a family split, a duplicate inside DTKS,
survivorship and its lineage, and the accounting of every record and household."""

from __future__ import annotations

import datetime as dt

import pytest

from transforms import unify
from transforms.standardize import RunPaths
from transforms.unify import survivorship

KK_A, KK_B, KK_C = "3201050202100001", "3201050202200002", "3201050303300003"
DESA = "3201051001"
BOOLEAN_FIELDS = {"pkh", "bpnt", "pbi", "bpum", "rumah_tidak_layak_huni", "air_minum_tidak_layak", "jamban_tidak_layak"}

# nik, no_kk, stat_hbkel, alive
REGISTRY = [
    ("3201050101700001", KK_A, 1, True),  # head of A
    ("3201054202720002", KK_A, 3, True),  # wife
    ("3201050303950003", KK_B, 1, True),  # their son: split off with his own KK
    ("3201054404960004", KK_B, 3, True),  # his wife
    ("3201050505400005", KK_C, 1, False),  # C: an old couple, both died
    ("3201054606420006", KK_C, 3, False),
    ("3201050707990007", KK_A, 4, True),  # a child only the registry knows
]


def person(con, sumber, id_sumber, household, hubungan, nik):
    con.execute(
        f"INSERT INTO anggota_berkas VALUES (?, ?, ?, ?, '{DESA}', '32')", [sumber, id_sumber, household, hubungan]
    )
    con.execute(
        "INSERT INTO tautan VALUES (?, ?, ?, ?)", [sumber, id_sumber, nik, "NIK_EXACT" if nik else "TIDAK_PADAN"]
    )
    if nik is None:
        con.execute(
            f"INSERT INTO verifikasi_padan VALUES (?, ?, '{DESA}', '32', 'TIDAK_PADAN_TANPA_NIK', NULL)",
            [sumber, id_sumber],
        )


def household(con, sumber, id_keluarga, tanggal, **fields):
    cols = ", ".join(["sumber", "id_keluarga_sumber", "tanggal_data", *fields])
    marks = ", ".join("?" * (3 + len(fields)))
    con.execute(
        f"INSERT INTO keluarga_sumber ({cols}) VALUES ({marks})", [sumber, id_keluarga, tanggal, *fields.values()]
    )


USULAN_COLUMNS = (
    "id_sumber VARCHAR, kanal VARCHAR, jenis VARCHAR, tanggal DATE, status VARCHAR, no_kk VARCHAR, "
    "kode_desa VARCHAR, kode_prov VARCHAR, alasan VARCHAR, perubahan VARCHAR, keluarga VARCHAR"
)
ANGGOTA_USULAN_COLUMNS = (
    "sumber VARCHAR, id_sumber VARCHAR, id_keluarga_sumber VARCHAR, hubungan INT, kode_desa VARCHAR, kode_prov VARCHAR"
)


def write_proposals(con, tmp_path, proposals: list[tuple] = (), members: list[tuple] = ()) -> RunPaths:
    """The standardized proposals feed (`usulan`, `usulan_anggota`) of a hand-made run."""
    paths = RunPaths(tmp_path)
    for table, columns, rows in (
        ("usulan", USULAN_COLUMNS, proposals),
        ("usulan_anggota", ANGGOTA_USULAN_COLUMNS, members),
    ):
        out = paths.standardized(table)
        out.parent.mkdir(parents=True, exist_ok=True)
        con.execute(f"CREATE OR REPLACE TEMP TABLE t_{table} ({columns})")
        if rows:
            con.executemany(f"INSERT INTO t_{table} VALUES ({', '.join('?' * len(rows[0]))})", list(rows))
        con.execute(f"COPY t_{table} TO '{out}' (FORMAT parquet)")
    return paths


CUTOFF = dt.date(2026, 11, 17)


def run(
    con, tmp_path, proposals: list[tuple] = (), members: list[tuple] = (), bawaan=None, cutoff: dt.date = CUTOFF
) -> None:
    """The unification steps as `unify.unify` runs them; `bawaan`: the decisions in force carried in."""
    from transforms.unify import keputusan

    unify.take_proposals(con, write_proposals(con, tmp_path, proposals, members))
    keputusan.carry_in(con, bawaan)
    unify.link_households(con)
    keputusan.carry_families(con, *unify.housing_fields(con))
    unify.list_members(con)
    unify.choose_attributes(con)
    unify.assemble_families(con)
    unify.apply_proposals(con, cutoff)
    unify.record_decisions(con, cutoff)
    verifikasi = tmp_path / "verifikasi_padan.parquet"
    con.execute(f"COPY verifikasi_padan TO '{verifikasi}'")
    unify.record_outcomes(con, verifikasi)


def families(con) -> dict[str, dict]:
    cur = con.execute("SELECT * FROM keluarga")
    names = [d[0] for d in cur.description]
    return {row[0]: dict(zip(names, row)) for row in cur.fetchall()}


@pytest.fixture
def listed(con, tmp_path):
    """DTKS lists A's parents with the son and his wife (split since), Regsosek lists the
    son's own family, and both list the old couple C, who have died."""
    nik = [r[0] for r in REGISTRY]
    person(con, "DTKS", "d1", "K1", 1, nik[0])
    person(con, "DTKS", "d2", "K1", 2, nik[1])
    person(con, "DTKS", "d3", "K1", 3, nik[2])
    person(con, "DTKS", "d4", "K1", 4, nik[3])
    person(con, "DTKS", "d5", "K1", 3, nik[2])  # the son typed twice into DTKS
    person(con, "DTKS", "d6", "K1", 3, None)  # a ghost: nobody in the registry
    person(con, "REGSOSEK", "r1", "R1", 1, nik[2])
    person(con, "REGSOSEK", "r2", "R1", 2, nik[3])
    person(con, "DTKS", "d7", "K2", 1, nik[4])
    person(con, "REGSOSEK", "r3", "R2", 1, nik[5])
    household(con, "DTKS", "K1", dt.date(2024, 3, 1), r303=2, r304=1, pkh=True, bpnt=True)
    household(con, "REGSOSEK", "R1", dt.date(2022, 10, 1), r303=9, r304=None, r502a=1, pkh=False)
    household(con, "DTKS", "K2", dt.date(2020, 1, 1), r303=4)
    household(con, "REGSOSEK", "R2", dt.date(2022, 10, 1), r303=4)
    household(con, "P3KE", "P9", None, desil_p3ke=1)  # its members were never found
    run(con, tmp_path)
    return con


def test_the_dead_are_not_members_and_a_family_of_the_dead_is_not_published(listed):
    fam = families(listed)
    assert KK_C not in fam
    niks = {r[0] for r in listed.execute("SELECT nik FROM individu").fetchall()}
    assert not niks & {REGISTRY[4][0], REGISTRY[5][0]}
    outcome = dict(listed.execute("SELECT id_sumber, hasil FROM hasil_catatan").fetchall())
    assert outcome["d7"] == outcome["r3"] == "MENINGGAL"
    households = dict(listed.execute("SELECT id_keluarga_sumber, hasil FROM hasil_rumah_tangga").fetchall())
    assert households["K2"] == households["R2"] == "SEMUA_ANGGOTA_MENINGGAL"
    reasons = set(listed.execute("SELECT id_sumber, alasan FROM verifikasi").fetchall())
    assert {("d7", "MENINGGAL"), ("K2", "SEMUA_ANGGOTA_MENINGGAL"), ("P9", "TANPA_ANGGOTA_PADAN")} <= reasons


def test_a_split_family_becomes_two_families_of_the_registry(listed):
    fam = families(listed)
    assert set(fam) == {KK_A, KK_B}
    # A: the parents and the child only the registry knows; B: the son and his wife.
    assert fam[KK_A]["jumlah_anggota"] == 3 and fam[KK_B]["jumlah_anggota"] == 2
    assert fam[KK_A]["nik_kepala_keluarga"] == REGISTRY[0][0]
    assert fam[KK_B]["nik_kepala_keluarga"] == REGISTRY[2][0]
    assert fam[KK_A]["sumber"] == ["DTKS"] and fam[KK_B]["sumber"] == ["DTKS", "REGSOSEK"]
    # The DTKS household speaks first for the parents' KK; B has a household of its own.
    primary = {(h["sumber"], h["utama"]) for h in fam[KK_B]["rumah_tangga_sumber"]}
    assert primary == {("DTKS", False), ("REGSOSEK", True)}
    assert listed.execute("SELECT count(*) FROM individu WHERE sumber = []").fetchall()[0][0] == 1


def test_survivorship_picks_by_the_configured_order_and_keeps_the_source(listed):
    fam = families(listed)
    a, b = fam[KK_A], fam[KK_B]
    assert (a["r303"], a["asal_bidang"]["r303"]) == (2, "DTKS")
    # B: its own Regsosek household comes before the parents' DTKS household, though older.
    assert (b["r303"], b["asal_bidang"]["r303"]) == (9, "REGSOSEK")
    # Where it has no value, the next candidate's value is taken, with its source ...
    assert (b["bpnt"], b["asal_bidang"]["bpnt"]) == (True, "DTKS")
    # ... except for the dwelling and its possessions (`hanya_utama`): the parents' house is
    # not the son's, so his wall stays missing rather than theirs.
    assert (b["r304"], b["asal_bidang"]["r304"]) == (None, None)
    assert (b["r502a"], b["asal_bidang"]["r502a"]) == (1, "REGSOSEK")
    assert a["r502a"] is None and a["asal_bidang"]["r502a"] is None


def test_programme_flags_trust_the_ministry_before_recency(con, tmp_path):
    nik = REGISTRY[0][0]
    person(con, "DTKS", "d1", "K1", 1, nik)
    person(con, "REGSOSEK", "r1", "R1", 1, nik)
    household(con, "DTKS", "K1", dt.date(2019, 1, 1), r303=2, pkh=True)
    household(con, "REGSOSEK", "R1", dt.date(2022, 10, 1), r303=9, pkh=False)
    run(con, tmp_path)
    a = families(con)[KK_A]
    assert (a["r303"], a["asal_bidang"]["r303"]) == (9, "REGSOSEK")  # housing: the more recent
    assert (a["pkh"], a["asal_bidang"]["pkh"]) == (True, "DTKS")  # programme: the ministry's record


def test_a_duplicate_inside_dtks_is_one_person(listed):
    son = REGISTRY[2][0]
    assert listed.execute("SELECT count(*) FROM individu WHERE nik = ?", [son]).fetchall()[0][0] == 1
    assert listed.execute("SELECT sumber FROM individu WHERE nik = ?", [son]).fetchall()[0][0] == ["DTKS", "REGSOSEK"]
    outcome = dict(listed.execute("SELECT id_sumber, hasil FROM hasil_catatan").fetchall())
    assert outcome["d3"] == outcome["d5"] == "DITERBITKAN"
    assert listed.execute("SELECT count(*) - count(DISTINCT nik) FROM individu").fetchall()[0][0] == 0


def test_every_record_and_household_has_one_outcome(listed):
    records = listed.execute("SELECT count(*) FROM tautan").fetchall()[0][0]
    outcome = dict(listed.execute("SELECT id_sumber, hasil FROM hasil_catatan").fetchall())
    assert len(outcome) == records and outcome["d6"] == "TIDAK_PADAN"
    counts = unify.counts(listed)
    assert counts["seimbang"] is True
    assert counts["rumah_tangga_per_hasil"] == {
        "DTKS": {"DIGABUNG": 1, "SEMUA_ANGGOTA_MENINGGAL": 1},
        "P3KE": {"TANPA_ANGGOTA_PADAN": 1},
        "REGSOSEK": {"DIGABUNG": 1, "SEMUA_ANGGOTA_MENINGGAL": 1},
    }
    assert counts["keluarga_terpisah"] == 1


def test_a_dead_head_hands_the_family_to_the_spouse(con, tmp_path):
    con.execute("UPDATE penduduk SET hidup = false WHERE nik = ?", [REGISTRY[0][0]])
    person(con, "DTKS", "d2", "K1", 2, REGISTRY[1][0])
    household(con, "DTKS", "K1", dt.date(2024, 3, 1), r303=2)
    run(con, tmp_path)
    a = families(con)[KK_A]
    assert a["nik_kepala_keluarga"] == REGISTRY[1][0] and a["jumlah_anggota"] == 2


def test_a_field_no_group_decides_is_an_error(con, tmp_path):
    con.execute("ALTER TABLE keluarga_sumber ADD COLUMN r999 INTEGER")
    with pytest.raises(survivorship.SurvivorshipError, match=r"r999"):
        unify.choose_attributes(con)
    bad = tmp_path / "survivorship.toml"
    bad.write_text(survivorship.CONFIG.read_text().replace('"r303",', '"r303", "r303x",'))
    con.execute("ALTER TABLE keluarga_sumber DROP COLUMN r999")
    with pytest.raises(survivorship.SurvivorshipError, match=r"no source household has: \['r303x'\]"):
        unify.choose_attributes(con, bad)
