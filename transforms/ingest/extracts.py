"""The extracts of one delivery, as docs/contract.md lists them: where each lives, its format
and the columns it must have. Configuration as data: readers and checks use this table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Format = Literal["parquet", "csv", "jsonl"]


@dataclass(frozen=True)
class Extract:
    name: str
    pattern: str  # glob relative to the delivery folder
    format: Format
    columns: tuple[str, ...]
    delimiter: str = ","
    encoding: str = "utf-8"
    per_province: bool = False  # one file per province (dtks_<PP>.csv)
    # Parquet columns whose type the contract fixes ("date" or "integer"): text where a
    # date belongs is refused at landing instead of failing a stage later.
    types: tuple[tuple[str, str], ...] = ()
    # Columns the contract allows but does not require: read as NULL when absent.
    optional: tuple[str, ...] = ()

    @property
    def folder(self) -> str:
        return self.pattern.split("/", 1)[0]


# What the welfare model needs of the survey's household roster beyond the contract's
# minimum (docs/contract.md): composition, and the head's sex, schooling and work.
_SURVEY_ROSTER = (
    "jumlah_balita jumlah_anak jumlah_lansia jumlah_bekerja jumlah_disabilitas jumlah_sakit_kronis "
    "jenis_kelamin_kepala r413_kepala r416_kepala r417_kepala"
).split()

_HOUSING = (
    "r301a r302 r303 r304 r305 r306a r307a r307b r308 r309a "
    "r502a r502b r502c r502d r502e r502f r502g r502h r502i r502j r502k r502l r502m r502n "
    "r504a r504b r504c r504d r504e"
).split()

EXTRACTS: tuple[Extract, ...] = (
    Extract(
        "dukcapil_penduduk",
        "dukcapil/penduduk.parquet",
        "parquet",
        (
            "NIK",
            "NO_KK",
            "NAMA_LGKP",
            "TMPT_LHR",
            "TGL_LHR",
            "JENIS_KLMIN",
            "STAT_HBKEL",
            "STATUS_KAWIN",
            "NAMA_LGKP_IBU",
            "NO_PROP",
            "NO_KAB",
            "NO_KEC",
            "NO_KEL",
            "ALAMAT",
            "NO_RT",
            "NO_RW",
            "TGL_MATI",
        ),
        types=(
            ("TGL_LHR", "date"),
            ("TGL_MATI", "date"),
            ("JENIS_KLMIN", "integer"),
            ("STAT_HBKEL", "integer"),
            ("STATUS_KAWIN", "integer"),
            ("NO_PROP", "integer"),
            ("NO_KAB", "integer"),
            ("NO_KEC", "integer"),
            ("NO_KEL", "integer"),
        ),
    ),
    Extract(
        "dtks",
        "dtks/dtks_*.csv",
        "csv",
        (
            "ID_DTKS",
            "ID_KELUARGA",
            "NIK",
            "NO_KK",
            "NAMA",
            "TGL_LAHIR",
            "JNS_KEL",
            "HUB_KRT",
            "KODE_WILAYAH",
            "ALAMAT",
            "STATUS_PADAN",
            "PKH",
            "BPNT",
            "PBI",
            "LANTAI",
            "DINDING",
            "ATAP",
            "AIR_MINUM",
            "PENERANGAN",
            "JAMBAN",
            "TGL_UPDATE",
        ),
        delimiter=";",
        encoding="cp1252",
        per_province=True,
    ),
    Extract(
        "regsosek_keluarga",
        "regsosek/keluarga.parquet",
        "parquet",
        ("id_keluarga", "kode_wilayah_bps", "no_kk", "tanggal_pendataan", *_HOUSING),
    ),
    Extract(
        "regsosek_anggota",
        "regsosek/anggota.parquet",
        "parquet",
        (
            "id_art",
            "id_keluarga",
            "r401",
            "r402",
            "r403",
            "r405",
            "r406",
            "r407",
            "r408",
            "r409",
            "r413",
            "r416",
            "r417",
            "r428",
            "r430",
        ),
    ),
    Extract(
        "p3ke_keluarga",
        "p3ke/p3ke_keluarga.csv",
        "csv",
        (
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
        ),
    ),
    Extract(
        "p3ke_anggota",
        "p3ke/p3ke_anggota.csv",
        "csv",
        (
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
        ),
    ),
    Extract(
        "usulan",
        "usulan/usulan.jsonl",
        "jsonl",
        ("id_usulan", "kanal", "jenis", "tanggal", "status", "no_kk", "kode_desa"),
    ),
    Extract("wilayah", "referensi/wilayah.csv", "csv", ("kode", "nama")),
    Extract("bps_kemendagri", "referensi/bps_kemendagri.csv", "csv", ("kode_bps", "kode_kemendagri")),
    Extract(
        "susenas",
        "susenas/sampel.parquet",
        "parquet",
        (*_HOUSING, "kode_wilayah", "jumlah_art", "pengeluaran_per_kapita", *_SURVEY_ROSTER),
        # The family card links a survey household to the sources, for the input error
        # (transforms/rank/galat.py); text, as a card's number is: a float loses its digits.
        types=(("no_kk", "string"),),
        optional=("no_kk",),
    ),
)

BY_NAME = {e.name: e for e in EXTRACTS}
