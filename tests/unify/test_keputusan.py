"""Decisions carried forward on hand-made months: a verified new family, a correction and a
MAMPU objection hold after the feed has dropped them, until something newer decides."""

from __future__ import annotations

import datetime as dt

from tests.unify.conftest import registry_connection
from tests.unify.test_unify import DESA, KK_A, KK_B, REGISTRY, families, household, person, run
from tests.unify.test_usulan import NIK_D, member, proposal

KK_D = "3201050909000004"
OCTOBER, NOVEMBER, DECEMBER = dt.date(2026, 10, 17), dt.date(2026, 11, 17), dt.date(2026, 12, 17)
NIK = [r[0] for r in REGISTRY]


def month(tmp_path, cutoff, proposals=(), members_of=(), bawaan=None, dtks_r303=2, dtks_lists_d=False):
    """One run: DTKS lists A's parents (r303 as given), Regsosek the son's family B; the
    registry also holds D, whom no source lists unless `dtks_lists_d`. Returns the connection
    and the file of decisions in force it leaves for the next month."""
    con = registry_connection()
    con.execute(
        f"INSERT INTO penduduk VALUES ('{NIK_D}', '{KK_D}', 'X', DATE '1980-10-10', 1, 1, '{DESA}', '32', true)"
    )
    person(con, "DTKS", "d1", "K1", 1, NIK[0])
    person(con, "DTKS", "d2", "K1", 2, NIK[1])
    person(con, "REGSOSEK", "r1", "R1", 1, NIK[2])
    household(con, "DTKS", "K1", dt.date(2024, 3, 1), r303=dtks_r303, r304=1)
    household(con, "REGSOSEK", "R1", dt.date(2022, 10, 1), r303=9, r304=2)
    if dtks_lists_d:
        person(con, "DTKS", "d9", "K9", 1, NIK_D)
        household(con, "DTKS", "K9", dt.date(2026, 11, 1), r303=4)
    members = [member(con, id_usulan, 1, nik) for id_usulan, nik in members_of]
    folder = tmp_path / cutoff.isoformat()
    folder.mkdir()
    run(con, folder, list(proposals), members, bawaan=bawaan, cutoff=cutoff)
    out = folder / "bawaan.parquet"
    con.execute(f"COPY (SELECT * FROM usulan_terbit WHERE berlaku) TO '{out}' (FORMAT parquet)")
    return con, out


OCTOBER_FEED = [
    proposal("U1", "USUL_BARU", "TERVERIFIKASI_DINSOS", KK_D, "2026-10-01", keluarga={"r303": 9, "r502k": 2}),
    proposal("P1", "PERBAIKAN", "TERVERIFIKASI_DINSOS", KK_A, "2026-10-02", perubahan={"r303": 7, "r304": 3}),
    proposal("S1", "SANGGAHAN", "TERVERIFIKASI_DINSOS", KK_B, "2026-10-03", alasan="MAMPU"),
]


def decisions(con) -> dict[str, tuple]:
    return {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT id_usulan, dalam_feed, berlaku, hasil, berakhir, diterapkan_sejak FROM usulan_terbit"
        ).fetchall()
    }


def test_decisions_hold_after_the_feed_dropped_them(tmp_path):
    october, carried = month(tmp_path, OCTOBER, OCTOBER_FEED, [("U1", NIK_D)])
    assert {k: v[1] for k, v in decisions(october).items()} == {"U1": True, "P1": True, "S1": True}

    # November's feed no longer holds them (nor December's): the register still does.
    november, carried = month(tmp_path, NOVEMBER, bawaan=carried)
    december, _ = month(tmp_path, DECEMBER, bawaan=carried)
    for con in (november, december):
        fam = families(con)
        assert (fam[KK_D]["r303"], fam[KK_D]["asal_bidang"]["r303"], fam[KK_D]["sumber"]) == (9, "USULAN", ["USULAN"])
        assert con.execute(f"SELECT count(*) FROM individu WHERE no_kk = '{KK_D}'").fetchall() == [(1,)]
        assert (fam[KK_A]["r303"], fam[KK_A]["asal_bidang"]["r303"], fam[KK_A]["r304"]) == (7, "USULAN", 3)
        assert fam[KK_B]["layak_sasaran"] is False and "MAMPU:DITERAPKAN" in fam[KK_B]["status_sanggahan"]
        # The family's lineage names the decision, its date and since when it applies.
        assert [(d["id_usulan"], d["tanggal"], d["diterapkan_sejak"]) for d in fam[KK_D]["keputusan"]] == [
            ("U1", dt.date(2026, 10, 1), OCTOBER)
        ]
        assert decisions(con) == {
            "U1": (False, True, "DITERAPKAN", None, OCTOBER),
            "P1": (False, True, "DITERAPKAN", None, OCTOBER),
            "S1": (False, True, "DITERAPKAN", None, OCTOBER),
        }
        # A carried family is a household of its own, not one to verify.
        assert con.execute("SELECT hasil FROM hasil_rumah_tangga WHERE id_keluarga_sumber = 'U1'").fetchall() == [
            ("DIBAWA",)
        ]
        assert con.execute("SELECT count(*) FROM verifikasi WHERE id_sumber = 'U1'").fetchall() == [(0,)]


def test_a_new_family_ends_when_a_source_lists_it(tmp_path):
    _, carried = month(tmp_path, OCTOBER, OCTOBER_FEED, [("U1", NIK_D)])
    november, left = month(tmp_path, NOVEMBER, bawaan=carried, dtks_lists_d=True)
    fam = families(november)
    assert fam[KK_D]["sumber"] == ["DTKS"] and fam[KK_D]["r303"] == 4  # the source's own data now
    assert decisions(november)["U1"][1:4] == (False, "BERAKHIR", "DICANTUMKAN_SUMBER")
    assert "U1" not in {r[0] for r in november.execute(f"SELECT id_usulan FROM read_parquet('{left}')").fetchall()}


def test_a_correction_holds_until_a_source_changes_that_field(tmp_path):
    _, carried = month(tmp_path, OCTOBER, OCTOBER_FEED, [("U1", NIK_D)])
    # DTKS now says r303 = 3 (it said 2 when the correction replaced it): the source is newer
    # for r303; r304, which no source changed, stays corrected.
    november, carried = month(tmp_path, NOVEMBER, bawaan=carried, dtks_r303=3)
    a = families(november)[KK_A]
    assert (a["r303"], a["asal_bidang"]["r303"]) == (3, "DTKS")
    assert (a["r304"], a["asal_bidang"]["r304"]) == (3, "USULAN")
    p1 = november.execute("SELECT berlaku, perubahan FROM usulan_terbit WHERE id_usulan = 'P1'").fetchall()
    assert p1 == [(True, '{"r304":3}')]
    # And a newer correction of the field wins over the carried one.
    december, _ = month(
        tmp_path,
        DECEMBER,
        [proposal("P2", "PERBAIKAN", "TERVERIFIKASI_DINSOS", KK_A, "2026-12-01", perubahan={"r304": 5})],
        bawaan=carried,
        dtks_r303=3,
    )
    assert families(december)[KK_A]["r304"] == 5
    assert decisions(december)["P1"][1:4] == (False, "BERAKHIR", "DIGANTIKAN:P2")


def test_a_mampu_objection_ends_with_a_newer_proposal_of_the_family(tmp_path):
    _, carried = month(tmp_path, OCTOBER, OCTOBER_FEED, [("U1", NIK_D)])
    newer = proposal("U2", "USUL_BARU", "TERVERIFIKASI_DINSOS", KK_B, "2026-11-05", keluarga={"r303": 9})
    november, _ = month(tmp_path, NOVEMBER, [newer], [("U2", NIK[2])], bawaan=carried)
    assert families(november)[KK_B]["layak_sasaran"] is True
    assert decisions(november)["S1"][1:4] == (False, "BERAKHIR", "DIGANTIKAN:U2")
