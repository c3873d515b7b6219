"""Each source standardized on the small hand-made delivery: kept rows, quarantine by named
rule with masked values, and read = kept + quarantined."""

from __future__ import annotations

import duckdb
import pytest

import transforms.standardize as std
from tests.delivery_kecil import CUTOFF
from transforms.engine import connect
from transforms.ingest.land import land_delivery


def land_with_reference(delivery, tmp_path):
    landed = land_delivery(delivery, tmp_path / "landed")
    paths = std.RunPaths(tmp_path / "run")
    con = connect("1GB")
    std.prepare(con, paths)
    std.standardize_reference(con, landed.path, paths)
    return landed.path, paths


@pytest.fixture
def run(delivery, tmp_path):
    return land_with_reference(delivery, tmp_path)


def _step(run, fn, *args):
    _landed, paths = run
    con = connect("1GB")
    std.prepare(con, paths)
    return {c.sumber: c for c in fn(con, *args)}


def rows(path, where="true"):
    return duckdb.sql(f"SELECT * FROM read_parquet('{path}') WHERE {where}").fetchall()


def one_row(path, where):
    cur = duckdb.connect().execute(f"SELECT * FROM read_parquet('{path}') WHERE {where}")
    return dict(zip([d[0] for d in cur.description], cur.fetchone()))


def test_dtks(run):
    landed, paths = run
    counts = _step(run, std.standardize_dtks, landed / "dtks/dtks_32.csv", landed, paths, CUTOFF)["dtks"]
    assert (counts.dibaca, counts.diterima, counts.dikarantina) == (6, 3, 3) and counts.seimbang
    assert counts.karantina_per_aturan == {"IDENTITAS_TIDAK_CUKUP": 1, "WILAYAH_TIDAK_DIKENAL": 1, "ID_GANDA": 1}
    out = paths.standardized("dtks_individu", "32")
    d1 = one_row(out, "id_sumber = 'D1'")
    assert d1["nik"] == "3201050101800001" and d1["nik_cacat"] is None  # spaces typed in the NIK
    assert d1["nama"] == "H. AHMAD SUBAGJA" and d1["nama_baku"] == "AHMAD SUBAGJA"  # original kept
    assert (d1["jenis_kelamin"], d1["hubungan"], d1["kode_desa"], d1["kode_prov"]) == (1, 1, "3201051001", "32")
    d2 = one_row(out, "id_sumber = 'D2'")
    assert d2["nik_cacat"] == "NIK_JENIS_KELAMIN_TIDAK_COCOK" and str(d2["tgl_lahir"]) == "1985-02-05"
    d3 = one_row(out, "id_sumber = 'D3'")
    assert d3["nik"] is None and d3["nik_cacat"] == "NIK_NOTASI_ILMIAH"  # kept for probabilistic matching
    keluarga = one_row(paths.standardized("dtks_keluarga", "32"), "id_keluarga_sumber = 'K1'")
    # Labels mapped to Regsosek codes: TANAH 9, BAMBU 6, SENG 3, SUMUR TAK TERLINDUNG 6, PLN 450 1/1, none 4
    assert [keluarga[k] for k in ("r303", "r304", "r305", "r306a", "r307a", "r307b", "r309a")] == [9, 6, 3, 6, 1, 1, 4]
    assert (keluarga["pkh"], keluarga["bpnt"], keluarga["pbi"], keluarga["jumlah_anggota_sumber"]) == (
        True,
        True,
        False,
        3,
    )


def test_quarantine_masks_personal_data(run):
    landed, paths = run
    _step(run, std.standardize_dtks, landed / "dtks/dtks_32.csv", landed, paths, CUTOFF)
    k = {
        r[0]: r
        for r in duckdb.sql(
            f"SELECT aturan, kolom, nilai, baris, berkas FROM read_parquet('{paths.karantina('dtks', '32')}')"
        ).fetchall()
    }
    assert k["WILAYAH_TIDAK_DIKENAL"][1:4] == ("kode_wilayah", "9999999999", 5)
    assert k["ID_GANDA"][3] == 6 and k["ID_GANDA"][4] == "dtks/dtks_32.csv"
    text = str(duckdb.sql(f"SELECT * FROM read_parquet('{paths.karantina('dtks', '32')}')").fetchall())
    assert "3201050707500004" not in text and "DJOKO" not in text


def test_dtks_unknown_label_is_flagged_not_lost(delivery, tmp_path):
    f = delivery / "dtks/dtks_32.csv"
    f.write_text(
        f.read_text(encoding="cp1252").replace(";TANAH;", ";  tanah ;", 1).replace(";SENG;", ";GENTING;", 1),
        encoding="cp1252",
    )
    run = land_with_reference(delivery, tmp_path)
    landed, paths = run
    counts = _step(run, std.standardize_dtks, landed / "dtks/dtks_32.csv", landed, paths, CUTOFF)["dtks"]
    assert counts.cacat_per_aturan["label_tidak_dikenal:ATAP"] == 1
    d1 = one_row(paths.standardized("dtks_individu", "32"), "id_sumber = 'D1'")
    assert d1["label_tidak_dikenal"] == ["ATAP"]
    keluarga = one_row(paths.standardized("dtks_keluarga", "32"), "true")
    assert keluarga["r303"] == 9 and keluarga["r305"] is None  # case and spaces do not matter; unknown is empty


def test_dukcapil(run):
    landed, paths = run
    counts = _step(run, std.standardize_dukcapil, landed, paths, CUTOFF)["dukcapil_penduduk"]
    assert counts.dibaca == 5 == counts.diterima
    djoko = one_row(paths.standardized("dukcapil_penduduk"), "nik = '3201050707500004'")
    assert str(djoko["tgl_mati"]) == "2025-01-02" and djoko["kode_desa"] == "3201052003"
    assert djoko["nama_baku"] == "JOKO CAHJONO" and djoko["hubungan"] == 1
    siti = one_row(paths.standardized("dukcapil_penduduk"), "nik = '3201054502850002'")
    assert (siti["stat_hbkel"], siti["hubungan"], siti["nama_ibu"]) == (3, 2, "ENDAH")


def test_regsosek_maps_bps_codes_through_the_crosswalk(run):
    landed, paths = run
    counts = _step(run, std.standardize_regsosek, landed, paths, CUTOFF)
    assert counts["regsosek_keluarga"].karantina_per_aturan == {"WILAYAH_TIDAK_DIKENAL": 1}
    assert counts["regsosek_anggota"].karantina_per_aturan == {"KELUARGA_TIDAK_ADA": 1}
    r1 = one_row(paths.standardized("regsosek_keluarga"), "id_sumber = 'R1'")
    assert (r1["kode_bps"], r1["kode_desa"]) == ("3203050001", "3201051001")  # BPS 3203 is Kemendagri 32.01
    member = one_row(paths.standardized("regsosek_anggota"), "id_sumber = 'R102'")
    assert member["nama_baku"] == "SITI AMINAH" and member["no_kk"] == "3201050202100001"


def test_regsosek_code_out_of_range_is_flagged(delivery, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    f = delivery / "regsosek/anggota.parquet"
    t = pq.read_table(f)
    pq.write_table(t.set_column(t.schema.get_field_index("r413"), "r413", pa.array([4, 99, 12])), f)
    run = land_with_reference(delivery, tmp_path)
    landed, paths = run
    counts = _step(run, std.standardize_regsosek, landed, paths, CUTOFF)
    assert counts["regsosek_anggota"].cacat_per_aturan.get("kode_tidak_valid:r413") == 1
    assert one_row(paths.standardized("regsosek_anggota"), "id_sumber = 'R102'")["r413"] is None


def test_p3ke(run):
    landed, paths = run
    counts = _step(run, std.standardize_p3ke, landed, paths, CUTOFF)
    assert counts["p3ke_anggota"].karantina_per_aturan == {"KELUARGA_TIDAK_ADA": 1}
    pa2 = one_row(paths.standardized("p3ke_anggota"), "id_sumber = 'PA2'")
    assert (pa2["jenis_kelamin"], pa2["hubungan"], pa2["r413"], pa2["r416"], pa2["r417"]) == (2, 2, 3, 2, None)
    pa1 = one_row(paths.standardized("p3ke_anggota"), "id_sumber = 'PA1'")
    assert (pa1["r416"], pa1["r417"], pa1["padan_dukcapil_p3ke"]) == (1, 3, True)
    pk1 = one_row(paths.standardized("p3ke_keluarga"), "id_sumber = 'PK1'")
    assert (pk1["kode_desa"], pk1["desil_p3ke"], pk1["pkh"], pk1["bpum"]) == ("3201051001", 1, True, False)


def test_usulan(run):
    landed, paths = run
    counts = _step(run, std.standardize_usulan, landed, paths, CUTOFF)
    assert counts["usulan"].karantina_per_aturan == {"JENIS_USULAN_TIDAK_DIKENAL": 1, "JSON_TIDAK_VALID": 1}
    member = one_row(paths.standardized("usulan_anggota"), "true")
    assert member["id_sumber"] == "USL1:1" and member["nik"] == "5171014112900005" and member["kode_prov"] == "51"
    objection = one_row(paths.standardized("usulan"), "id_sumber = 'USL2'")
    assert (objection["jenis"], objection["status"], objection["alasan"]) == ("SANGGAHAN", "DIAJUKAN", "MENINGGAL")


def test_susenas(run):
    landed, paths = run
    counts = _step(run, std.standardize_susenas, landed, paths)["susenas"]
    assert counts.karantina_per_aturan == {"PENGELUARAN_TIDAK_VALID": 1} and counts.diterima == 1
    # a sample without the optional card column: every household unlinked, none refused
    survey = paths.standardized("susenas")
    assert rows(survey, "no_kk IS NULL") and not rows(survey, "no_kk IS NOT NULL")


def test_a_survey_households_card_is_read_as_people_write_it(delivery, tmp_path):
    """In groups, with dots or blanks, or after a spreadsheet's apostrophe: the card; a
    number of the wrong length or with letters: no card, and the household still counts."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    f = delivery / "susenas/sampel.parquet"
    t = pq.read_table(f)
    pq.write_table(t.append_column("no_kk", pa.array(["3201 0503 0315 0002", "'3201050303150002"])), f)
    landed, paths = land_with_reference(delivery, tmp_path)
    _step((landed, paths), std.standardize_susenas, landed, paths)
    kept = duckdb.sql(f"SELECT no_kk FROM read_parquet('{paths.standardized('susenas')}')").fetchall()
    assert kept == [("3201050303150002",)]  # the second household is quarantined for its spending
    pq.write_table(t.append_column("no_kk", pa.array(["32010503031500021", "3201050303150002"])), f)
    landed, paths = land_with_reference(delivery, tmp_path / "lagi")
    _step((landed, paths), std.standardize_susenas, landed, paths)
    assert duckdb.sql(f"SELECT no_kk FROM read_parquet('{paths.standardized('susenas')}')").fetchall() == [(None,)]


def test_a_registry_row_in_quarantine_is_named_by_line_with_its_nik_masked(delivery, tmp_path):
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    f = delivery / "dukcapil/penduduk.parquet"
    t = pq.read_table(f)
    nik = t["NIK"][1].as_py()
    pq.write_table(t.set_column(t.schema.get_field_index("NO_KEL"), "NO_KEL",
                                pc.if_else(pc.equal(t["NIK"], nik), 9999, t["NO_KEL"])), f)  # fmt: skip
    landed, paths = land_with_reference(delivery, tmp_path)
    counts = _step((landed, paths), std.standardize_dukcapil, landed, paths, CUTOFF)["dukcapil_penduduk"]
    assert counts.dikarantina == 1
    (row,) = rows(paths.karantina("dukcapil_penduduk"))
    text = " ".join(map(str, row))
    assert "dukcapil/penduduk.parquet" in text and " 2 " in f" {text} "  # file and line
    assert nik not in text and nik[:6] in text  # the NIK masked like every other value


def test_proposals_are_checked_like_sources(delivery, tmp_path):
    """A new family's members that are no list of persons, and a verified correction with a
    value outside its code book (a negative floor area), are quarantined by rule."""
    import json

    f = delivery / "usulan/usulan.jsonl"
    entries = []
    for line in f.read_text().splitlines():
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            pass
    baru = next(e for e in entries if e["jenis"] == "USUL_BARU")
    one = dict(baru, id_usulan="U-OBJ", keluarga=dict(baru["keluarga"], anggota=baru["keluarga"]["anggota"][0]))
    text = dict(baru, id_usulan="U-TXT", keluarga=dict(baru["keluarga"], anggota="BUDI, SITI"))
    fix = dict(baru, id_usulan="U-FIX", jenis="PERBAIKAN", keluarga=None, perubahan={"r302": -50, "r303": 3})
    fine = dict(fix, id_usulan="U-OK", perubahan={"r302": 36, "r303": 3})
    f.write_text(f.read_text() + "".join(json.dumps(e) + "\n" for e in (one, text, fix, fine)))
    landed, paths = land_with_reference(delivery, tmp_path)
    counts = _step((landed, paths), std.standardize_usulan, landed, paths, CUTOFF)["usulan"]
    assert counts.karantina_per_aturan["ANGGOTA_TIDAK_VALID"] == 2
    assert counts.karantina_per_aturan["PERUBAHAN_TIDAK_VALID"] == 1 and counts.seimbang
    rejected = {(r[3], r[4], r[5], r[6]) for r in rows(paths.karantina("usulan"))}
    assert ("U-FIX", "PERUBAHAN_TIDAK_VALID", "perubahan.r302", "-50") in rejected
    assert one_row(paths.standardized("usulan"), "id_sumber = 'U-OK'")["jenis"] == "PERBAIKAN"  # a sound one is kept


def test_a_name_no_person_carries_is_quarantined_masked(delivery, tmp_path):
    f = delivery / "dtks/dtks_32.csv"
    lines = f.read_bytes().split(b"\n")
    fields = lines[1].split(b";")
    fields[4] = b"SITI AMINAH " * 90_000  # a megabyte
    lines[1] = b";".join(fields)
    f.write_bytes(b"\n".join(lines))
    landed, paths = land_with_reference(delivery, tmp_path)
    counts = _step((landed, paths), std.standardize_dtks, landed / "dtks/dtks_32.csv", landed, paths, CUTOFF)
    assert counts["dtks"].karantina_per_aturan["NAMA_TIDAK_WAJAR"] == 1
    shown = [r for r in rows(f"{paths.run_dir}/karantina/dtks/*.parquet") if "NAMA_TIDAK_WAJAR" in r]
    assert len(shown) == 1 and len(shown[0][6]) < 40 and "AMINAH" not in shown[0][6]
    assert not duckdb.sql(f"SELECT 1 FROM '{paths.run_dir}/standardized/dtks_individu/*.parquet' "
                          "WHERE length(nama) > 150").fetchall()  # fmt: skip
