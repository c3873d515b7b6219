"""The delivery has exactly the files, columns, types and formats of docs/contract.md."""

from __future__ import annotations

import json
import re

import pyarrow as pa
import pyarrow.parquet as pq

from synthetic import vocab
from synthetic.config import WELFARE_R2
from tests.synthetic.conftest import metadata, read_csv_str, read_dtks

HOUSING = list(vocab.KELUARGA_FIELDS)
PARQUET_COLUMNS = {
    "dukcapil/penduduk.parquet": {
        "NIK": pa.string(),
        "NO_KK": pa.string(),
        "NAMA_LGKP": pa.string(),
        "TMPT_LHR": pa.string(),
        "TGL_LHR": pa.date32(),
        "JENIS_KLMIN": pa.int32(),
        "STAT_HBKEL": pa.int32(),
        "STATUS_KAWIN": pa.int32(),
        "NAMA_LGKP_IBU": pa.string(),
        "NO_PROP": pa.int32(),
        "NO_KAB": pa.int32(),
        "NO_KEC": pa.int32(),
        "NO_KEL": pa.int32(),
        "ALAMAT": pa.string(),
        "NO_RT": pa.string(),
        "NO_RW": pa.string(),
        "TGL_MATI": pa.date32(),
    },
    "regsosek/keluarga.parquet": {
        "id_keluarga": pa.string(),
        "kode_wilayah_bps": pa.string(),
        "no_kk": pa.string(),
        "tanggal_pendataan": pa.date32(),
        **{h: (pa.float64() if h == "r302" else pa.int32()) for h in HOUSING},
    },
    "regsosek/anggota.parquet": {
        "id_art": pa.string(),
        "id_keluarga": pa.string(),
        "r401": pa.int32(),
        "r402": pa.string(),
        "r403": pa.string(),
        "r405": pa.int32(),
        "r406": pa.int32(),
        "r407": pa.date32(),
        "r408": pa.int32(),
        "r409": pa.int32(),
        "r413": pa.int32(),
        "r416": pa.int32(),
        "r417": pa.int32(),
        "r428": pa.int32(),
        "r430": pa.int32(),
    },
    "truth/tautan.parquet": {
        "sumber": pa.string(),
        "id_sumber": pa.string(),
        "nik_benar": pa.string(),
        "galat_nik": pa.string(),
        "galat_nama": pa.string(),
    },
    "truth/keluarga.parquet": {
        "no_kk": pa.string(),
        "pengeluaran_per_kapita_benar": pa.int64(),
        "pengeluaran_per_kapita_ideal": pa.int64(),
    },
}
DTKS_HEADER = (
    "ID_DTKS;ID_KELUARGA;NIK;NO_KK;NAMA;TGL_LAHIR;JNS_KEL;HUB_KRT;KODE_WILAYAH;ALAMAT;STATUS_PADAN;"
    "PKH;BPNT;PBI;LANTAI;DINDING;ATAP;AIR_MINUM;PENERANGAN;JAMBAN;TGL_UPDATE"
)
P3KE_KELUARGA = [
    "ID_KELUARGA_P3KE",
    "PROVINSI",
    "KABUPATEN_KOTA",
    "KECAMATAN",
    "DESA_KELURAHAN",
    "KODE_DESA",
    "NO_KK",
    "NIK_KEPALA_KELUARGA",
    "NAMA_KEPALA_KELUARGA",
    "DESIL_KESEJAHTERAAN",
    "PENERIMA_BPNT",
    "PENERIMA_PKH",
    "PENERIMA_BPUM",
    "RUMAH_TIDAK_LAYAK_HUNI",
    "AIR_MINUM_TIDAK_LAYAK",
    "JAMBAN_TIDAK_LAYAK",
    "ALAMAT",
]
P3KE_ANGGOTA = [
    "ID_ANGGOTA_P3KE",
    "ID_KELUARGA_P3KE",
    "NIK",
    "NAMA",
    "TANGGAL_LAHIR",
    "JENIS_KELAMIN",
    "HUBUNGAN",
    "PENDIDIKAN",
    "PEKERJAAN",
    "PADAN_DUKCAPIL",
]


def test_file_set(delivery):
    files = {p.relative_to(delivery).as_posix() for p in delivery.rglob("*") if p.is_file()}
    dtks = {f for f in files if f.startswith("dtks/")}
    assert all(re.fullmatch(r"dtks/dtks_\d{2}\.csv", f) for f in dtks) and len(dtks) >= 30
    assert files - dtks == {
        "dukcapil/penduduk.parquet",
        "regsosek/keluarga.parquet",
        "regsosek/anggota.parquet",
        "p3ke/p3ke_keluarga.csv",
        "p3ke/p3ke_anggota.csv",
        "usulan/usulan.jsonl",
        "referensi/wilayah.csv",
        "referensi/bps_kemendagri.csv",
        "susenas/sampel.parquet",
        "truth/tautan.parquet",
        "truth/keluarga.parquet",
        "truth/metadata.json",
    }
    assert not [p for p in delivery.parent.iterdir() if p.name.startswith(".")], "temporary folder left behind"


def test_parquet_schemas(delivery):
    for name, columns in PARQUET_COLUMNS.items():
        schema = pq.read_schema(delivery / name)
        assert dict(zip(schema.names, schema.types)) == columns, name


def test_susenas_columns(delivery):
    schema = pq.read_schema(delivery / "susenas/sampel.parquet")
    assert schema.names[: len(HOUSING) + 3] == [*HOUSING, "kode_wilayah", "jumlah_art", "pengeluaran_per_kapita"]
    assert {"r413_kepala", "jumlah_balita", "jumlah_lansia", "jumlah_disabilitas"} <= set(schema.names)
    t = pq.read_table(delivery / "susenas/sampel.parquet")
    assert t.num_rows > 0 and min(t["pengeluaran_per_kapita"].to_pylist()) > 0
    # the card as the respondent showed it: text, sometimes absent, grouped or miscopied
    assert schema.field("no_kk").type == pa.string()
    cards = [c for c in t["no_kk"].to_pylist() if c is not None]
    assert 0.8 < len(cards) / t.num_rows < 0.99
    assert sum(bool(re.fullmatch(r"\d{16}", c)) for c in cards) > 0.8 * len(cards)


def test_survey_cards_are_written_as_people_write_them(delivery_20k):
    """Grouped or dotted, blanks around, a digit too few or too many, a digit wrong: the
    kinds the landing must read or set aside (not one the standardizer's rules chose)."""
    cards = [c for c in pq.read_table(delivery_20k / "susenas/sampel.parquet")["no_kk"].to_pylist() if c]
    clean = [re.sub(r"[\s.']", "", c) for c in cards]
    assert any(c != k for c, k in zip(cards, clean))  # written in groups or with blanks
    assert any(len(k) in (15, 17) for k in clean)  # a digit dropped or added


def test_dtks_format(delivery):
    for f in (delivery / "dtks").glob("*.csv"):
        raw = f.read_bytes()
        assert raw.split(b"\r\n", 1)[0].decode("ascii") == DTKS_HEADER
        assert b"\r\n" in raw and raw.count(b"\n") == raw.count(b"\r\n")
    t = read_dtks(delivery)
    dates = t["TGL_LAHIR"].to_pylist()
    dashed = sum(bool(re.fullmatch(r"\d{2}-\d{2}-\d{4}", d)) for d in dates)
    slashed = sum(bool(re.fullmatch(r"\d{2}/\d{2}/\d{4}", d)) for d in dates)
    assert dashed + slashed == len(dates) and 0.03 < slashed / len(dates) < 0.2
    assert all(re.fullmatch(r"\d{2}-\d{2}-(2019|202\d)", d) for d in t["TGL_UPDATE"].to_pylist())
    assert set(t["JNS_KEL"].to_pylist()) == {"L", "P"}
    assert set(t["HUB_KRT"].to_pylist()) <= {str(i) for i in range(1, 9)}
    assert set(t["STATUS_PADAN"].to_pylist()) == {"PADAN", "TIDAK PADAN"}
    for col in ("PKH", "BPNT", "PBI"):
        assert set(t[col].to_pylist()) == {"Y", "N"}
    assert all(re.fullmatch(r"D\d{10}", i) for i in t["ID_DTKS"].to_pylist())
    assert all(re.fullmatch(r"K\d{9}", i) for i in t["ID_KELUARGA"].to_pylist())
    assert all(re.fullmatch(r"\d{10}", k) for k in t["KODE_WILAYAH"].to_pylist())
    assert all(k[:2] == p for k, p in zip(t["KODE_WILAYAH"].to_pylist(), t["_berkas"].to_pylist()))


def test_dtks_labels_are_mapped(delivery):
    t = read_dtks(delivery)
    for col, mapping in vocab.DTKS_RUMAH.items():
        seen = {" ".join(v.split()).upper() for v in t[col].to_pylist()}
        assert seen <= set(mapping.values()), col
        assert len(seen) >= 3, col


def test_p3ke_format(delivery):
    kel = read_csv_str(delivery / "p3ke/p3ke_keluarga.csv")
    ang = read_csv_str(delivery / "p3ke/p3ke_anggota.csv")
    assert kel.column_names == P3KE_KELUARGA and ang.column_names == P3KE_ANGGOTA
    assert set(kel["DESIL_KESEJAHTERAAN"].to_pylist()) <= {"1", "2", "3", "4"}
    assert all(re.fullmatch(r"\d{2}\.\d{2}\.\d{2}\.\d{4}", k) for k in kel["KODE_DESA"].to_pylist())
    for col in ("PENERIMA_BPNT", "PENERIMA_PKH", "PENERIMA_BPUM", "RUMAH_TIDAK_LAYAK_HUNI"):
        assert set(kel[col].to_pylist()) <= {"Ya", "Tidak"}
    assert set(ang["JENIS_KELAMIN"].to_pylist()) == set(vocab.JENIS_KELAMIN_P3KE.values())
    assert set(ang["HUBUNGAN"].to_pylist()) <= set(vocab.HUBUNGAN_P3KE.values())
    assert set(ang["PENDIDIKAN"].to_pylist()) <= set(vocab.PENDIDIKAN.values())
    assert set(ang["PEKERJAAN"].to_pylist()) <= set(vocab.PEKERJAAN.values()) | {vocab.TIDAK_BEKERJA}
    assert set(ang["PADAN_DUKCAPIL"].to_pylist()) == {"Ya", "Tidak"}
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in ang["TANGGAL_LAHIR"].to_pylist())
    assert set(ang["ID_KELUARGA_P3KE"].to_pylist()) <= set(kel["ID_KELUARGA_P3KE"].to_pylist())


def test_regsosek_codes(delivery):
    kel = pq.read_table(delivery / "regsosek/keluarga.parquet").to_pydict()
    ang = pq.read_table(delivery / "regsosek/anggota.parquet").to_pydict()
    dates = kel["tanggal_pendataan"]
    assert min(dates).isoformat() >= "2022-10-15" and max(dates).isoformat() <= "2022-11-14"
    assert all((b is None) == (a != 1) for a, b in zip(kel["r307a"], kel["r307b"]))
    assert all((s is None) == (w == 2) for w, s in zip(ang["r416"], ang["r417"]))
    assert all(i == f"{k}{n:02d}" for i, k, n in zip(ang["id_art"], ang["id_keluarga"], ang["r401"]))
    assert set(ang["r405"]) <= set(range(1, 9)) and set(ang["r413"]) <= set(range(9))
    assert any(n != n.upper() for n in ang["r402"]), "names should be in mixed case"


def test_usulan_lines(delivery):
    lines = [json.loads(line) for line in (delivery / "usulan/usulan.jsonl").read_text().splitlines()]
    assert len(lines) >= 10
    assert [u["id_usulan"] for u in lines] == [f"USL{i:06d}" for i in range(1, len(lines) + 1)]
    for u in lines:
        assert u["kanal"] in vocab.KANAL and u["status"] in vocab.STATUS_USULAN
        assert re.fullmatch(r"\d{10}", u["kode_desa"]) and re.fullmatch(r"\d{16}", u["no_kk"])
        assert "2026-08-17" <= u["tanggal"] < "2026-11-17"
        if u["jenis"] == "USUL_BARU":
            assert set(vocab.KELUARGA_FIELDS) <= set(u["keluarga"]) and u["keluarga"]["anggota"]
            member_fields = {"nik", "nama", "tgl_lahir", "jenis_kelamin", "hubungan"}
            assert all(set(a) == member_fields for a in u["keluarga"]["anggota"])
        elif u["jenis"] == "PERBAIKAN":
            assert u["perubahan"] and set(u["perubahan"]) <= set(vocab.KELUARGA_FIELDS) and u["keluarga"] is None
        else:
            assert u["jenis"] == "SANGGAHAN" and u["alasan"] in vocab.ALASAN_SANGGAHAN


def test_referensi_format(delivery):
    raw = (delivery / "referensi/wilayah.csv").read_bytes()
    assert raw.startswith(b"kode,nama\r\n")
    codes = [line.split(b",", 1)[0].decode() for line in raw.split(b"\r\n")[1:] if line]
    assert {len(c) for c in codes} == {2, 5, 8, 13} and codes == sorted(codes)
    bps = read_csv_str(delivery / "referensi/bps_kemendagri.csv")
    assert bps.column_names == ["kode_bps", "kode_kemendagri"]
    assert set(bps["kode_kemendagri"].to_pylist()) == {c for c in codes if len(c) == 13}


def test_metadata(delivery):
    meta = metadata(delivery)
    assert meta["persons"] == 3_000 and meta["seed"] == 11 and meta["cutoff"] == "2026-11-17"
    assert meta["error_rates"]["nik_missing"] == 0.03
    assert meta["error_rates_per_source"]["REGSOSEK"]["nik_missing"] == 0.03 * 0.3
    assert meta["rows"]["dukcapil/penduduk.parquet"] == 3_000
    assert meta["rows"]["regsosek/anggota.parquet"] == pq.read_metadata(delivery / "regsosek/anggota.parquet").num_rows
    assert 0 < meta["welfare_r2_achieved"] < 1 and meta["welfare_r2_requested"] == WELFARE_R2
