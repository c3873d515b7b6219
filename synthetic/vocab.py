"""Code lists of the sources, as plain dicts: Regsosek code -> the label another source uses.

Tests elsewhere check that every label the generator emits is mapped, so every label a
writer puts into a file comes from here.
"""

from __future__ import annotations

# DTKS housing labels, by Regsosek code.
LANTAI: dict[int, str] = {
    1: "MARMER/GRANIT",
    2: "KERAMIK",
    3: "PARKET/VINIL/KARPET",
    4: "UBIN/TEGEL/TERASO",
    5: "KAYU/PAPAN",
    6: "SEMEN/BATA MERAH",
    7: "BAMBU",
    8: "LAINNYA",
    9: "TANAH",
}  # r303
DINDING: dict[int, str] = {
    1: "TEMBOK",
    2: "PLESTERAN ANYAMAN BAMBU",
    3: "KAYU/PAPAN",
    4: "ANYAMAN BAMBU",
    5: "BATANG KAYU",
    6: "BAMBU",
    7: "LAINNYA",
}  # r304
ATAP: dict[int, str] = {
    1: "BETON",
    2: "GENTENG",
    3: "SENG",
    4: "ASBES",
    5: "KAYU/SIRAP",
    6: "BAMBU",
    7: "JERAMI/IJUK/RUMBIA",
    8: "LAINNYA",
}  # r305
AIR_MINUM: dict[int, str] = {
    1: "AIR KEMASAN",
    2: "AIR ISI ULANG",
    3: "LEDING",
    4: "SUMUR BOR/POMPA",
    5: "SUMUR TERLINDUNG",
    6: "SUMUR TAK TERLINDUNG",
    7: "MATA AIR TERLINDUNG",
    8: "MATA AIR TAK TERLINDUNG",
    9: "SUNGAI/DANAU",
    10: "AIR HUJAN",
    11: "LAINNYA",
}  # r306a
# Lighting is two Regsosek fields: (r307a, r307b); r307b only for metered PLN.
PENERANGAN: dict[tuple[int, int | None], str] = {
    (1, 1): "PLN 450",
    (1, 2): "PLN 900",
    (1, 3): "PLN 1300",
    (1, 4): "PLN 2200",
    (1, 5): "PLN > 2200",
    (2, None): "PLN TANPA METERAN",
    (3, None): "NON PLN",
    (4, None): "TIDAK ADA",
}
JAMBAN: dict[int, str] = {1: "SENDIRI", 2: "BERSAMA", 3: "UMUM", 4: "TIDAK ADA"}  # r309a

DTKS_RUMAH: dict[str, dict] = {
    "LANTAI": LANTAI,
    "DINDING": DINDING,
    "ATAP": ATAP,
    "AIR_MINUM": AIR_MINUM,
    "PENERANGAN": PENERANGAN,
    "JAMBAN": JAMBAN,
}

# Registry relation (STAT_HBKEL 1-11) -> the 1-8 scale of DTKS HUB_KRT and Regsosek r405.
HUB_KRT: dict[int, int] = {1: 1, 2: 2, 3: 2, 4: 3, 5: 4, 6: 5, 7: 6, 8: 6, 9: 7, 10: 8, 11: 8}

# P3KE labels.
HUBUNGAN_P3KE: dict[int, str] = {  # by STAT_HBKEL
    1: "Kepala Keluarga",
    2: "Suami",
    3: "Istri",
    4: "Anak",
    5: "Menantu",
    6: "Cucu",
    7: "Orang Tua",
    8: "Orang Tua",
    9: "Famili Lain",
    10: "Lainnya",
    11: "Lainnya",
}
JENIS_KELAMIN_P3KE: dict[int, str] = {1: "Laki-laki", 2: "Perempuan"}
PENDIDIKAN: dict[int, str] = {  # by r413
    0: "Tidak/Belum Sekolah",
    1: "Tidak Tamat SD",
    2: "SD/Sederajat",
    3: "SMP/Sederajat",
    4: "SMA/Sederajat",
    5: "SMK",
    6: "D1/D2",
    7: "D3",
    8: "D4/S1/S2/S3",
}
# By r417 (sector); r416 = 2 (did not work) is "Tidak Bekerja".
PEKERJAAN: dict[int, str] = {
    1: "Petani",
    2: "Nelayan",
    3: "Buruh",
    4: "Pedagang",
    5: "Wiraswasta",
    6: "Karyawan Swasta",
    7: "PNS/TNI/Polri",
    8: "Lainnya",
}
TIDAK_BEKERJA = "Tidak Bekerja"
YA_TIDAK: dict[bool, str] = {True: "Ya", False: "Tidak"}

# DTKS codes.
JNS_KEL_DTKS: dict[int, str] = {1: "L", 2: "P"}
Y_N: dict[bool, str] = {True: "Y", False: "N"}
STATUS_PADAN = ("PADAN", "TIDAK PADAN")

# Usulan code lists.
KANAL = ("APLIKASI", "MUSDES", "MUSKEL", "SPTJM")
JENIS_USULAN = ("USUL_BARU", "PERBAIKAN", "SANGGAHAN")
STATUS_USULAN = ("DIAJUKAN", "DISETUJUI_DESA", "TERVERIFIKASI_DINSOS", "DITOLAK")
ALASAN_SANGGAHAN = ("MAMPU", "MENINGGAL", "PINDAH", "GANDA")

# Regsosek family fields in file order (housing, assets, livestock).
ASET = tuple(f"r502{c}" for c in "abcdefghijklmn")
TERNAK = tuple(f"r504{c}" for c in "abcde")
RUMAH = ("r301a", "r302", "r303", "r304", "r305", "r306a", "r307a", "r307b", "r308", "r309a")
KELUARGA_FIELDS = RUMAH + ASET + TERNAK
