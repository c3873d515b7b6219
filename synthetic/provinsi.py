"""The 38 provinces of the 2025 Kemendagri list with the figures the generator draws on.

Population in millions (2024 estimates, rounded), regencies and cities as in the 2025 list,
urban population share, and a welfare effect in log points of spending per person.
The figures are approximate: they shape the synthetic data, they are not statistics.
"""

from __future__ import annotations

from typing import NamedTuple


class Provinsi(NamedTuple):
    kode: int
    nama: str
    juta: float  # population, millions
    kab: int  # regencies (kabupaten) in the 2025 list
    kota: int  # cities
    kota_share: float  # urban population share
    efek: float  # welfare effect, log points


PROVINSI: tuple[Provinsi, ...] = (
    Provinsi(11, "Aceh", 5.5, 18, 5, 0.32, -0.05),
    Provinsi(12, "Sumatera Utara", 15.6, 25, 8, 0.54, 0.0),
    Provinsi(13, "Sumatera Barat", 5.8, 12, 7, 0.47, 0.05),
    Provinsi(14, "Riau", 6.8, 10, 2, 0.41, 0.10),
    Provinsi(15, "Jambi", 3.7, 9, 2, 0.34, 0.0),
    Provinsi(16, "Sumatera Selatan", 8.8, 13, 4, 0.38, -0.05),
    Provinsi(17, "Bengkulu", 2.1, 9, 1, 0.33, -0.05),
    Provinsi(18, "Lampung", 9.3, 13, 2, 0.29, -0.10),
    Provinsi(19, "Kepulauan Bangka Belitung", 1.5, 6, 1, 0.58, 0.15),
    Provinsi(21, "Kepulauan Riau", 2.2, 5, 2, 0.83, 0.30),
    Provinsi(31, "Daerah Khusus Ibukota Jakarta", 10.7, 1, 5, 1.0, 0.45),
    Provinsi(32, "Jawa Barat", 50.3, 18, 9, 0.72, 0.05),
    Provinsi(33, "Jawa Tengah", 37.9, 29, 6, 0.54, -0.10),
    Provinsi(34, "Daerah Istimewa Yogyakarta", 3.7, 4, 1, 0.74, 0.05),
    Provinsi(35, "Jawa Timur", 41.6, 29, 9, 0.57, -0.05),
    Provinsi(36, "Banten", 12.4, 4, 4, 0.67, 0.10),
    Provinsi(51, "Bali", 4.4, 8, 1, 0.67, 0.20),
    Provinsi(52, "Nusa Tenggara Barat", 5.6, 8, 2, 0.47, -0.15),
    Provinsi(53, "Nusa Tenggara Timur", 5.6, 21, 1, 0.25, -0.30),
    Provinsi(61, "Kalimantan Barat", 5.6, 12, 2, 0.35, -0.05),
    Provinsi(62, "Kalimantan Tengah", 2.8, 13, 1, 0.38, 0.05),
    Provinsi(63, "Kalimantan Selatan", 4.2, 11, 2, 0.46, 0.10),
    Provinsi(64, "Kalimantan Timur", 4.0, 7, 3, 0.69, 0.25),
    Provinsi(65, "Kalimantan Utara", 0.7, 4, 1, 0.53, 0.15),
    Provinsi(71, "Sulawesi Utara", 2.7, 11, 4, 0.50, 0.05),
    Provinsi(72, "Sulawesi Tengah", 3.1, 12, 1, 0.29, -0.10),
    Provinsi(73, "Sulawesi Selatan", 9.4, 21, 3, 0.41, 0.0),
    Provinsi(74, "Sulawesi Tenggara", 2.8, 15, 2, 0.34, -0.05),
    Provinsi(75, "Gorontalo", 1.2, 5, 1, 0.37, -0.15),
    Provinsi(76, "Sulawesi Barat", 1.5, 6, 0, 0.25, -0.15),
    Provinsi(81, "Maluku", 1.9, 9, 2, 0.42, -0.20),
    Provinsi(82, "Maluku Utara", 1.3, 8, 2, 0.29, -0.05),
    Provinsi(91, "Papua", 1.1, 8, 1, 0.35, -0.05),
    Provinsi(92, "Papua Barat", 0.57, 7, 0, 0.35, -0.10),
    Provinsi(93, "Papua Selatan", 0.54, 4, 0, 0.25, -0.20),
    Provinsi(94, "Papua Tengah", 1.4, 8, 0, 0.15, -0.35),
    Provinsi(95, "Papua Pegunungan", 1.45, 8, 0, 0.08, -0.50),
    Provinsi(96, "Papua Barat Daya", 0.6, 5, 1, 0.50, -0.10),
)

BY_KODE: dict[int, Provinsi] = {p.kode: p for p in PROVINSI}

# Provinces where many families keep pigs (r504d): Christian and Hindu majority areas.
BABI_TINGGI = frozenset({12, 51, 53, 71, 91, 92, 93, 94, 95, 96})
