"""Each suite catches a seeded defect, names it in the quarantine, and a critical failure
stops the refresh before publishing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import expectations
from expectations import baku, mentah, terbit, terpadu

CUTOFF = dt.date(2026, 11, 17)
DESA, DESA_2 = "3201012001", "3201012002"


def write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)


def person(i: int, **over) -> dict:
    return {
        "baris": i,
        "sumber": "DTKS",
        "id_sumber": f"D{i}",
        "nik": f"32010101019{i:05d}",
        "nik_cacat": None,
        "no_kk": f"32010101000{i // 3:05d}",
        "kk_cacat": None,
        "tgl_lahir": dt.date(1980, 1, 1 + i % 28),
        "jenis_kelamin": 1 + i % 2,
        "hubungan": 1 + i % 3,
        "kode_desa": DESA,
        "kode_prov": "32",
    } | over


@pytest.fixture
def run_dir(tmp_path) -> Path:
    """A run whose standardized, unified and ranked outputs are all sound: 4 families of 3."""
    run = tmp_path / "run"
    write(
        run / "standardized/ref_wilayah/nasional.parquet",
        [{"kode": d, "nama": "DESA", "tingkat": "DESA", "kode_prov": "32"} for d in (DESA, DESA_2)],
    )
    people = [person(i) for i in range(12)]
    write(run / "standardized/dtks_individu/32.parquet", people)
    write(
        run / "standardized/dukcapil_penduduk/nasional.parquet",
        [p | {"sumber": "DUKCAPIL", "id_sumber": p["nik"], "tgl_mati": None} for p in people],
    )
    write(
        run / "standardized/dtks_keluarga/32.parquet",
        [
            {
                "id_keluarga_sumber": f"K{f}",
                "no_kk": f"32010101000{f:05d}",
                "kode_desa": DESA,
                "kode_prov": "32",
                "r303": 2,
                "r304": 1,
                "r305": 1,
                "r309a": 1,
            }
            for f in range(4)
        ],
    )
    members = [{"nik": p["nik"], "no_kk": p["no_kk"], "kode_prov": "32"} for p in people]
    families = [
        {
            "no_kk": f"32010101000{f:05d}",
            "kode_prov": "32",
            "jumlah_anggota": 3,
            "nik_kepala_keluarga": people[3 * f]["nik"],
        }
        for f in range(4)
    ]
    for stage in ("unified", "ranked"):
        write(run / stage / "individu.parquet", members)
    write(run / "unified/keluarga.parquet", families)
    # 12 persons in 4 families of 3: deciles can only be met within one family (25%).
    write(
        run / "ranked/keluarga.parquet",
        [f | {"desil_nasional": d, "skor_kesejahteraan": 1e6 * d} for f, d in zip(families, (2, 4, 7, 9))],
    )
    return run


def check(run_dir: Path, suites) -> dict:
    return expectations.validate(run_dir, suites, duckdb.connect())


def quarantined(run_dir: Path) -> set[tuple]:
    files = list((run_dir / "karantina" / "mutu").glob("*.parquet"))
    if not files:
        return set()
    return set(duckdb.sql(f"SELECT sumber, aturan, id_sumber FROM read_parquet({[str(f) for f in files]})").fetchall())


MANIFEST = {"satukan": {"keluarga": 4, "individu": 12}, "seimbang": True}


def test_sound_outputs_pass_every_suite(run_dir):
    result = check(
        run_dir, baku.rangkaian(run_dir, CUTOFF) + terpadu.rangkaian(run_dir) + terbit.rangkaian(run_dir, MANIFEST)
    )
    assert result["kritis_gagal"] == [] and result["peringatan"] == []
    assert quarantined(run_dir) == set()
    assert expectations.docs_index(run_dir).exists()  # Data Docs built with the run


def test_an_unknown_region_code_is_caught_and_quarantined_by_name(run_dir):
    people = [person(i) for i in range(12)]
    people[5]["kode_desa"] = "3201019999"  # not in the reference
    write(run_dir / "standardized/dtks_individu/32.parquet", people)
    result = check(run_dir, baku.rangkaian(run_dir, CUTOFF))
    assert result["kritis_gagal"] == ["baku.orang:KODE_DESA_ADA_DI_REFERENSI"]
    assert quarantined(run_dir) == {("dtks_individu", "KODE_DESA_ADA_DI_REFERENSI", "D5")}


def test_a_duplicated_nik_is_caught_and_masked_in_the_quarantine(run_dir):
    members = duckdb.sql(f"SELECT * FROM '{run_dir}/unified/individu.parquet'").to_arrow_table().to_pylist()
    members.append(dict(members[4]))  # the same person twice
    write(run_dir / "unified/individu.parquet", members)
    result = check(run_dir, terpadu.rangkaian(run_dir))
    assert "terpadu.individu:SATU_BARIS_PER_NIK" in result["kritis_gagal"]
    rows = quarantined(run_dir)
    assert {r[1] for r in rows} >= {"SATU_BARIS_PER_NIK"}
    assert all(members[4]["nik"] not in (r[2] or "") for r in rows)  # the NIK shown masked
    assert any(r[2] == members[4]["nik"][:6] + "*" * 10 for r in rows)
    # GX's stored results and the Data Docs keep counts, not the rejected NIK.
    stored = [f for f in (run_dir / "mutu").rglob("*") if f.is_file() and f.suffix in (".json", ".html")]
    assert stored and not [f for f in stored if members[4]["nik"] in f.read_text(errors="replace")]


def test_a_dead_person_listed_is_caught(run_dir):
    registry = duckdb.sql(f"SELECT * FROM '{run_dir}/standardized/dukcapil_penduduk/nasional.parquet'").to_arrow_table()
    rows = registry.to_pylist()
    rows[7]["tgl_mati"] = dt.date(2026, 3, 1)  # died, yet still listed
    write(run_dir / "standardized/dukcapil_penduduk/nasional.parquet", rows)
    result = check(run_dir, terpadu.rangkaian(run_dir))
    assert result["kritis_gagal"] == ["terpadu.individu:TIDAK_ADA_ORANG_MENINGGAL"]


def test_a_decile_imbalance_is_caught(run_dir):
    ranked = duckdb.sql(
        f"SELECT * EXCLUDE (desil_nasional), 1 AS desil_nasional FROM '{run_dir}/ranked/keluarga.parquet'"
    )
    write(run_dir / "ranked/keluarga.parquet", ranked.to_arrow_table().to_pylist())
    result = check(run_dir, terbit.rangkaian(run_dir, MANIFEST))
    assert result["kritis_gagal"] == ["terbit.desil:DESIL_SEPERSEPULUH_ORANG"]


def test_counts_that_do_not_reconcile_with_the_manifest_are_caught(run_dir):
    result = check(run_dir, terbit.rangkaian(run_dir, {"satukan": {"keluarga": 5, "individu": 12}, "seimbang": True}))
    assert result["kritis_gagal"] == ["terbit.rekonsiliasi:JUMLAH_SESUAI_MANIFEST"]


def counted(sumber: str, dibaca: int, diterima: int | None = None, berkas: str | None = None) -> dict:
    return {"sumber": sumber, "berkas": berkas or f"{sumber}.parquet", "dibaca": dibaca,
            "diterima": dibaca if diterima is None else diterima}  # fmt: skip


def test_a_raw_extract_missing_a_column_is_critical_and_a_shrunken_one_a_warning(run_dir):
    columns = {e.name: list(e.columns) for e in mentah.EXTRACTS}
    columns["dtks"] = [c for c in columns["dtks"] if c != "NIK"]
    others = [counted(e.name, 100) for e in mentah.EXTRACTS if e.name not in ("dtks", "p3ke_anggota")]
    now = [counted("dtks", 700, berkas="dtks/dtks_32.csv"), counted("p3ke_anggota", 1000), *others]
    before = [counted("dtks", 1000, berkas="dtks/dtks_32.csv"), counted("p3ke_anggota", 1010), *others]
    result = check(run_dir, mentah.rangkaian(columns, now, before, 0.5))
    assert result["kritis_gagal"] == ["mentah.ekstrak:KOLOM_EKSTRAK_LENGKAP"]
    assert result["peringatan"] == ["mentah.ekstrak:JUMLAH_BARIS_WAJAR"]
    assert ("ekstrak", "JUMLAH_BARIS_WAJAR", "dtks") in quarantined(run_dir)


def test_an_empty_shrunken_or_emptied_extract_and_a_lost_province_are_critical(run_dir):
    columns = {e.name: list(e.columns) for e in mentah.EXTRACTS}
    varied = ("dtks", "dukcapil_penduduk", "wilayah", "usulan")
    others = [counted(e.name, 100) for e in mentah.EXTRACTS if e.name not in varied]
    before = [counted("dtks", 100, berkas=f"dtks/dtks_{pp}.csv") for pp in ("11", "32", "33")]
    before += [counted("dukcapil_penduduk", 1000), counted("wilayah", 50), counted("usulan", 3), *others]
    now = [counted("dtks", 100, berkas="dtks/dtks_11.csv"), counted("dtks", 0, berkas="dtks/dtks_32.csv")]
    now += [counted("dukcapil_penduduk", 499, diterima=0), counted("wilayah", 0), counted("usulan", 0), *others]
    result = check(run_dir, mentah.rangkaian(columns, now, before, 0.5))
    assert sorted(result["kritis_gagal"]) == [
        "mentah.dtks:PROVINSI_DTKS_LENGKAP",
        "mentah.ekstrak:BARIS_TIDAK_MENYUSUT",
        "mentah.ekstrak:EKSTRAK_DITERIMA_ADA",
        "mentah.ekstrak:EKSTRAK_TIDAK_KOSONG",
    ]
    rejected = quarantined(run_dir)
    assert {("berkas_dtks", "PROVINSI_DTKS_LENGKAP", f) for f in ("dtks/dtks_32.csv", "dtks/dtks_33.csv")} <= rejected
    assert ("ekstrak", "BARIS_TIDAK_MENYUSUT", "dukcapil_penduduk") in rejected
    assert ("ekstrak", "EKSTRAK_TIDAK_KOSONG", "wilayah") in rejected
    assert not {r for r in rejected if r[2] == "usulan"}  # a month without proposals is a month
