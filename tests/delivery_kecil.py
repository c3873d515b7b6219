"""A small hand-made delivery: every file of docs/contract.md, a handful of rows each, with
known defects. Tests change single cells to seed the defect they check."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

CUTOFF = dt.date(2026, 11, 17)

WILAYAH = [
    ("32", "Jawa Barat"),
    ("32.01", "Kabupaten Bogor"),
    ("32.01.05", "Cibinong"),
    ("32.01.05.1001", "Pakansari"),
    ("32.01.05.2003", "Cirimekar"),
    ("51", "Bali"),
    ("51.71", "Kota Denpasar"),
    ("51.71.01", "Denpasar Selatan"),
    ("51.71.01.1004", "Sesetan"),
]
BPS = [("3203050001", "32.01.05.1001"), ("3203050002", "32.01.05.2003"), ("5172010004", "51.71.01.1004")]

# Registry: two families in Bogor, one in Denpasar. NIK rule: PPKKCC DDMMYY SSSS, women +40.
PENDUDUK = [
    # NIK, NO_KK, NAMA, TMPT, TGL_LHR, JK, HBKEL, KAWIN, IBU, PROP, KAB, KEC, KEL, TGL_MATI
    (
        "3201050101800001",
        "3201050202100001",
        "AHMAD SUBAGJA",
        "BOGOR",
        dt.date(1980, 1, 1),
        1,
        1,
        2,
        "SITI",
        32,
        1,
        5,
        1001,
        None,
    ),
    (
        "3201054502850002",
        "3201050202100001",
        "SITI AMINAH",
        "BOGOR",
        dt.date(1985, 2, 5),
        2,
        3,
        2,
        "ENDAH",
        32,
        1,
        5,
        1001,
        None,
    ),
    (
        "3201051003100003",
        "3201050202100001",
        "MUHAMMAD RIZKY",
        "BOGOR",
        dt.date(2010, 3, 10),
        1,
        4,
        1,
        "SITI AMINAH",
        32,
        1,
        5,
        1001,
        None,
    ),
    (
        "3201050707500004",
        "3201050303150002",
        "DJOKO TJAHJONO",
        "BOGOR",
        dt.date(1950, 7, 7),
        1,
        1,
        4,
        "INAH",
        32,
        1,
        5,
        2003,
        dt.date(2025, 1, 2),
    ),
    (
        "5171014112900005",
        "5171010404180003",
        "NI KADEK AYU",
        "DENPASAR",
        dt.date(1990, 12, 1),
        2,
        1,
        1,
        "MADE",
        51,
        71,
        1,
        1004,
        None,
    ),
]


def _csv(path: Path, header: list[str], rows: list[list], delimiter: str = ",", encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow(header)
        w.writerows(rows)


DTKS_HEADER = [
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
]


def dtks_rows() -> list[list]:
    house = ["TANAH", "BAMBU", "SENG", "SUMUR TAK TERLINDUNG", "PLN 450", "TIDAK ADA", "01-06-2024"]
    return [
        [
            "D1",
            "K1",
            "3201 0501 0180 0001",
            "3201050202100001",
            "H. AHMAD SUBAGJA",
            "01-01-1980",
            "L",
            "1",
            "3201051001",
            "Jl. Mawar \u2013 RT 01",
            "PADAN",
            "Y",
            "Y",
            "N",
            *house,
        ],
        [
            "D2",
            "K1",
            "3201050502850002",
            "3201050202100001",
            "SITTI AMINAH",
            "05/02/1985",
            "P",
            "2",
            "3201051001",
            "Jl. Mawar",
            "TIDAK PADAN",
            "Y",
            "Y",
            "N",
            *house,
        ],  # women's day not encoded
        [
            "D3",
            "K1",
            "3.20105E+15",
            "3201050202100001",
            "MOCHAMAD RIZKI",
            "10-03-2010",
            "L",
            "3",
            "3201051001",
            "Jl. Mawar",
            "PADAN",
            "Y",
            "Y",
            "N",
            *house,
        ],  # spoiled by a spreadsheet
        ["D4", "K2", "", "", "", "", "L", "1", "3201052003", "", "PADAN", "N", "N", "N", *house],  # nothing to match on
        [
            "D5",
            "K3",
            "3201050707500004",
            "3201050303150002",
            "DJOKO TJAHJONO",
            "07-07-1950",
            "L",
            "1",
            "9999999999",
            "",
            "PADAN",
            "N",
            "Y",
            "Y",
            *house,
        ],  # unknown village
        [
            "D1",
            "K1",
            "3201050101800001",
            "3201050202100001",
            "AHMAD SUBAGJA",
            "01-01-1980",
            "L",
            "1",
            "3201051001",
            "",
            "PADAN",
            "Y",
            "Y",
            "N",
            *house,
        ],  # record id twice
    ]


def write_delivery(root: Path, cutoff: dt.date = CUTOFF, dtks: list[list] | None = None) -> Path:
    d = root / cutoff.isoformat()
    _csv(d / "referensi/wilayah.csv", ["kode", "nama"], [list(r) for r in WILAYAH])
    _csv(d / "referensi/bps_kemendagri.csv", ["kode_bps", "kode_kemendagri"], [list(r) for r in BPS])
    cols = [
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
        "TGL_MATI",
    ]
    data = {c: [r[i] for r in PENDUDUK] for i, c in enumerate(cols)}
    data |= {"ALAMAT": ["JL MAWAR"] * len(PENDUDUK), "NO_RT": ["001"] * len(PENDUDUK), "NO_RW": ["002"] * len(PENDUDUK)}
    (d / "dukcapil").mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(data), d / "dukcapil/penduduk.parquet")
    _csv(d / "dtks/dtks_32.csv", DTKS_HEADER, dtks if dtks is not None else dtks_rows(), ";", "cp1252")

    housing = {
        "r301a": [1, 2],
        "r302": [36.0, 21.0],
        "r303": [2, 9],
        "r304": [1, 6],
        "r305": [2, 3],
        "r306a": [3, 6],
        "r307a": [1, 1],
        "r307b": [2, 1],
        "r308": [1, 5],
        "r309a": [1, 4],
    }
    housing |= {f"r502{c}": [1, 2] for c in "abcdefghijklmn"} | {f"r504{c}": [0, 1] for c in "abcde"}
    (d / "regsosek").mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.table(
            {
                "id_keluarga": ["R1", "R2"],
                "kode_wilayah_bps": ["3203050001", "3203050099"],
                "no_kk": ["3201050202100001", "3201050303150002"],
                "tanggal_pendataan": [dt.date(2022, 10, 20)] * 2,
                **housing,
            }
        ),
        d / "regsosek/keluarga.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "id_art": ["R101", "R102", "R201"],
                "id_keluarga": ["R1", "R1", "R2"],
                "r401": [1, 2, 1],
                "r402": ["Ahmad Subagja", "Siti Aminah", "Djoko Tjahjono"],
                "r403": ["3201050101800001", "3201054502850002", "3201050707500004"],
                "r405": [1, 2, 1],
                "r406": [1, 2, 1],
                "r407": [dt.date(1980, 1, 1), dt.date(1985, 2, 5), dt.date(1950, 7, 7)],
                "r408": [42, 37, 72],
                "r409": [2, 2, 4],
                "r413": [4, 3, 12],
                "r416": [1, 2, 2],
                "r417": [3, None, None],
                "r428": [2, 2, 2],
                "r430": [2, 2, 1],
            }
        ),
        d / "regsosek/anggota.parquet",
    )

    _csv(
        d / "p3ke/p3ke_keluarga.csv",
        [
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
        ],
        [
            [
                "PK1",
                "JAWA BARAT",
                "KAB. BOGOR",
                "CIBINONG",
                "PAKANSARI",
                "32.01.05.1001",
                "3201050202100001",
                "3201050101800001",
                "AHMAD SUBAGJA",
                "1",
                "Ya",
                "Ya",
                "Tidak",
                "Ya",
                "Ya",
                "Ya",
                "JL MAWAR",
            ]
        ],
    )
    _csv(
        d / "p3ke/p3ke_anggota.csv",
        [
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
        ],
        [
            [
                "PA1",
                "PK1",
                "3201050101800001",
                "AHMAD SUBAGJA",
                "1980-01-01",
                "Laki-laki",
                "Kepala Keluarga",
                "SMA/Sederajat",
                "Buruh",
                "Ya",
            ],
            [
                "PA2",
                "PK1",
                "3201054502850002",
                "SITI AMINAH",
                "1985-02-05",
                "Perempuan",
                "Istri",
                "SMP/Sederajat",
                "Tidak Bekerja",
                "Ya",
            ],
            [
                "PA3",
                "PK9",
                "3201051003100003",
                "MUHAMMAD RIZKY",
                "2010-03-10",
                "Laki-laki",
                "Anak",
                "SD/Sederajat",
                "Tidak Bekerja",
                "Tidak",
            ],
        ],
    )  # family PK9 does not exist

    (d / "usulan").mkdir(parents=True, exist_ok=True)
    usulan = [
        {
            "id_usulan": "USL1",
            "kanal": "APLIKASI",
            "jenis": "USUL_BARU",
            "tanggal": "2026-10-01",
            "status": "TERVERIFIKASI_DINSOS",
            "no_kk": "5171010404180003",
            "kode_desa": "5171011004",
            "keluarga": {
                "r303": 9,
                "anggota": [
                    {
                        "nik": "5171014112900005",
                        "nama": "NI KADEK AYU",
                        "tgl_lahir": "1990-12-01",
                        "jenis_kelamin": 2,
                        "hubungan": 1,
                    }
                ],
            },
        },
        {
            "id_usulan": "USL2",
            "kanal": "MUSDES",
            "jenis": "SANGGAHAN",
            "tanggal": "2026-10-02",
            "status": "DIAJUKAN",
            "no_kk": "3201050303150002",
            "kode_desa": "3201052003",
            "alasan": "MENINGGAL",
        },
        {
            "id_usulan": "USL3",
            "kanal": "MUSDES",
            "jenis": "HAPUS",
            "tanggal": "2026-10-02",
            "status": "DIAJUKAN",
            "no_kk": "3201050303150002",
            "kode_desa": "3201052003",
        },
    ]
    (d / "usulan/usulan.jsonl").write_text("\n".join(json.dumps(u) for u in usulan) + "\n{not json\n")

    (d / "susenas").mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.table(
            {
                **housing,
                "kode_wilayah": ["3201051001", "3201052003"],
                "jumlah_art": [3, 1],
                "pengeluaran_per_kapita": [850_000, 0],
                # The household roster the welfare model reads (docs/contract.md).
                **{
                    c: [0, 0]
                    for c in (
                        "jumlah_balita",
                        "jumlah_anak",
                        "jumlah_lansia",
                        "jumlah_disabilitas",
                        "jumlah_sakit_kronis",
                    )
                },
                "jumlah_bekerja": [2, 1],
                "jenis_kelamin_kepala": [1, 2],
                "r413_kepala": [4, 2],
                "r416_kepala": [1, 2],
                "r417_kepala": [1, None],
            }
        ),
        d / "susenas/sampel.parquet",
    )
    return d
