"""Citizens' proposals, corrections and objections on hand-made cases: only verified
entries change the register, every entry has an outcome, objections are checked against
the registry, contradictions are resolved by date."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.unify.test_unify import CUTOFF, DESA, KK_A, KK_B, KK_C, REGISTRY, families, household, person, run

KK_D = "3201050909000004"
NIK_D = "3201051010800008"  # head of D: in the registry, on no source list
OTHER_DESA = "3201052002"


def proposal(
    id_usulan, jenis, status, no_kk, tanggal="2026-10-01", alasan=None, perubahan=None, keluarga=None, desa=DESA
):
    return (
        id_usulan,
        "APLIKASI",
        jenis,
        dt.date.fromisoformat(tanggal),
        status,
        no_kk,
        desa,
        "32",
        alasan,
        json.dumps(perubahan),
        json.dumps(keluarga),
    )


def member(con, id_usulan, pos, nik):
    """A proposed family's member, as matching left it."""
    con.execute(
        "INSERT INTO tautan VALUES ('USULAN', ?, ?, ?)",
        [f"{id_usulan}:{pos}", nik, "NIK_EXACT" if nik else "TIDAK_PADAN"],
    )
    return ("USULAN", f"{id_usulan}:{pos}", id_usulan, 1 if pos == 1 else 3, DESA, "32")


@pytest.fixture
def decided(con, tmp_path):
    con.execute(
        f"INSERT INTO penduduk VALUES ('{NIK_D}', '{KK_D}', 'X', DATE '1980-10-10', 1, 1, '{DESA}', '32', true)"
    )
    nik = [r[0] for r in REGISTRY]
    person(con, "DTKS", "d1", "K1", 1, nik[0])
    person(con, "DTKS", "d2", "K1", 2, nik[1])
    person(con, "DTKS", "d8", "K3", 1, nik[0])  # A's head again, in a second DTKS household
    person(con, "REGSOSEK", "r1", "R1", 1, nik[2])
    person(con, "REGSOSEK", "r2", "R1", 2, nik[3])
    household(con, "DTKS", "K1", dt.date(2024, 3, 1), r303=2, r304=1)
    household(con, "DTKS", "K3", dt.date(2024, 3, 1), r303=2)
    household(con, "REGSOSEK", "R1", dt.date(2022, 10, 1), r303=9, r304=2)
    members = [
        member(con, "U1", 1, NIK_D),
        member(con, "U2", 1, None),
        member(con, "U3", 1, nik[6]),
        member(con, "U4", 1, nik[6]),
    ]
    proposals = [
        proposal("U1", "USUL_BARU", "TERVERIFIKASI_DINSOS", KK_D, keluarga={"r303": 9, "r502k": 2}),
        proposal("U2", "USUL_BARU", "TERVERIFIKASI_DINSOS", None, keluarga={"r303": 5}),  # nobody found
        proposal("U3", "USUL_BARU", "DIAJUKAN", KK_A),
        proposal("U4", "USUL_BARU", "DITOLAK", KK_A),
        proposal("P1", "PERBAIKAN", "TERVERIFIKASI_DINSOS", KK_A, "2026-09-01", perubahan={"r303": 5, "r302": 30.0}),
        proposal("P2", "PERBAIKAN", "TERVERIFIKASI_DINSOS", KK_A, "2026-10-05", perubahan={"r303": 7}),  # later: wins
        proposal("P3", "PERBAIKAN", "DISETUJUI_DESA", KK_B, perubahan={"r303": 1}),
        proposal("S1", "SANGGAHAN", "TERVERIFIKASI_DINSOS", KK_A, alasan="MENINGGAL"),  # nobody in A died
        proposal("S2", "SANGGAHAN", "TERVERIFIKASI_DINSOS", KK_C, alasan="MENINGGAL"),  # C's members did
        proposal("S3", "SANGGAHAN", "TERVERIFIKASI_DINSOS", KK_B, alasan="MAMPU"),
        proposal("S4", "SANGGAHAN", "TERVERIFIKASI_DINSOS", KK_A, alasan="PINDAH", desa=OTHER_DESA),
        proposal("S5", "SANGGAHAN", "TERVERIFIKASI_DINSOS", KK_B, alasan="PINDAH"),  # still at that address
        proposal("S6", "SANGGAHAN", "TERVERIFIKASI_DINSOS", KK_A, alasan="GANDA"),  # two DTKS households
        proposal("S7", "SANGGAHAN", "TERVERIFIKASI_DINSOS", KK_B, alasan="GANDA"),  # one per source
    ]
    run(con, tmp_path, proposals, members)
    return con


def outcomes(con) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in con.execute("SELECT id_usulan, hasil, keterangan FROM hasil_usulan").fetchall()}


def test_every_entry_has_an_outcome_and_only_verified_ones_change_the_register(decided):
    result = outcomes(decided)
    assert len(result) == 14
    assert result["U3"] == ("MENUNGGU", None) and result["P3"] == ("MENUNGGU", None)
    assert result["U4"] == ("DITOLAK", None)
    assert families(decided)[KK_B]["r303"] == 9  # P3 (only approved by the village) changed nothing
    records = dict(decided.execute("SELECT id_sumber, hasil FROM hasil_catatan WHERE sumber = 'USULAN'").fetchall())
    assert records["U3:1"] == "MENUNGGU_USULAN" and records["U4:1"] == "USULAN_TIDAK_DITERAPKAN"


def test_a_verified_new_family_is_published_with_the_proposals_housing(decided):
    d = families(decided)[KK_D]
    assert outcomes(decided)["U1"] == ("DITERAPKAN", "KELUARGA_DITERBITKAN")
    assert (d["r303"], d["asal_bidang"]["r303"], d["sumber"]) == (9, "USULAN", ["USULAN"])
    assert decided.execute(f"SELECT count(*) FROM individu WHERE no_kk = '{KK_D}'").fetchall() == [(1,)]


def test_a_proposed_family_nobody_can_be_found_for_goes_to_verification(decided):
    assert outcomes(decided)["U2"] == ("VERIFIKASI", "ANGGOTA_TIDAK_PADAN")
    assert ("KELUARGA", "USULAN", "U2", "TANPA_ANGGOTA_PADAN") in set(
        decided.execute("SELECT tingkat, sumber, id_sumber, alasan FROM verifikasi").fetchall()
    )


def test_contradicting_corrections_are_resolved_by_date_and_reported(decided):
    result = outcomes(decided)
    assert result["P2"] == ("DITERAPKAN", "DATA_DIPERBAIKI")
    assert result["P1"] == ("DIGANTIKAN", "BERTENTANGAN_DIGANTIKAN_OLEH:P2")
    a = families(decided)[KK_A]
    assert (a["r303"], a["asal_bidang"]["r303"]) == (7, "USULAN")
    assert (a["r302"], a["asal_bidang"]["r302"]) == (None, None)  # the superseded P1's area is not applied
    assert "USULAN" in a["sumber"]
    assert decided.execute("SELECT count(*) FROM hasil_usulan WHERE bertentangan").fetchall() == [(2,)]


def test_objections_are_checked_against_the_registry(decided):
    result = outcomes(decided)
    assert result["S1"] == ("VERIFIKASI", "KEMATIAN_TIDAK_TERCATAT")  # a false death objection
    assert result["S2"] == ("DITERAPKAN", "KEMATIAN_TERCATAT_DUKCAPIL")
    assert result["S4"] == ("DITERAPKAN", "ALAMAT_BARU_TERCATAT")
    assert result["S5"] == ("VERIFIKASI", "PINDAH_TIDAK_TERCATAT")
    assert result["S6"] == ("DITERAPKAN", "GANDA_DIGABUNG")
    assert result["S7"] == ("VERIFIKASI", "GANDA_TIDAK_TERBUKTI")
    checks = set(decided.execute("SELECT id_sumber, alasan FROM verifikasi WHERE tingkat = 'USULAN'").fetchall())
    assert checks == {
        ("S1", "KEMATIAN_TIDAK_TERCATAT"),
        ("S5", "PINDAH_TIDAK_TERCATAT"),
        ("S7", "GANDA_TIDAK_TERBUKTI"),
    }


def test_a_verified_mampu_objection_keeps_the_family_listed_but_not_eligible(decided):
    fam = families(decided)
    assert fam[KK_B]["layak_sasaran"] is False and "MAMPU:DITERAPKAN" in fam[KK_B]["status_sanggahan"]
    assert fam[KK_A]["layak_sasaran"] is True


def test_deciding_again_does_not_apply_a_proposal_twice(decided, tmp_path):
    before = (
        sorted(decided.execute("SELECT * EXCLUDE (asal_bidang, rumah_tangga_sumber) FROM keluarga").fetchall()),
        sorted(decided.execute("SELECT * FROM hasil_usulan").fetchall()),
    )
    from transforms import unify

    unify.apply_proposals(decided, CUTOFF)  # the same feed decided a second time over the result
    unify.record_decisions(decided, CUTOFF)
    after = (
        sorted(decided.execute("SELECT * EXCLUDE (asal_bidang, rumah_tangga_sumber) FROM keluarga").fetchall()),
        sorted(decided.execute("SELECT * FROM hasil_usulan").fetchall()),
    )
    assert after == before
