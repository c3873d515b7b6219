"""Matching in NIK buckets (transforms/match/ember.py): the cases that cross partitions, each
decided as the national run decides it, whatever the number of buckets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from tests.match.tabel import empty_tables
from transforms import match
from transforms.match import ember
from transforms.standardize import RunPaths

# Registered in Jawa Barat (32), living in Aceh (11) now: the NIK's prefix is not the address.
PINDAH = ("3201054502850002", "SITI AMINAH", dt.date(1985, 2, 5), 2, "1101012001", "1101010101990001")
# Her husband and son, on the same card; the son's NIK on a record with the father's details.
SUAMI = ("3201050101800001", "AHMAD SUBAGJA", dt.date(1980, 1, 1), 1, "1101012001", "1101010101990001")
ANAK = ("1101011203100003", "RIZKI PRATAMA", dt.date(2010, 3, 12), 1, "1101012001", "1101010101990001")
# Lives in Jawa Tengah; a source lists him in Bali's village, without a NIK, with his card.
JAUH = ("3301011507750004", "BAMBANG SUTRISNO", dt.date(1975, 7, 15), 1, "3301012003", "3301010101980004")
# Listed by DTKS in Aceh and by P3KE in Jawa Tengah: the same NIK in two partitions' inputs.
DUA = ("3301015508700006", "SRI WAHYUNI", dt.date(1970, 8, 15), 2, "3301012003", "3301010101980006")
REGISTRY = (PINDAH, SUAMI, ANAK, JAUH, DUA)

RECORDS = [  # sumber, id_sumber, nik, nama, tgl_lahir, jenis_kelamin, kode_desa, no_kk
    ("DTKS", "pindah", PINDAH[0], "SITI AMINAH", PINDAH[2], 2, "1101012001", None),
    ("DTKS", "salah_baris", ANAK[0], "AHMAD SUBAGJA", SUAMI[2], 1, "1101012001", SUAMI[5]),
    ("REGSOSEK", "tanpa_nik", None, "BAMBANG SUTRISNO", JAUH[2], 1, "5101011001", JAUH[5]),
    ("DTKS", "dua_a", DUA[0], "SRI WAHYUNI", DUA[2], 2, "1101012001", None),
    ("P3KE", "dua_b", DUA[0], "SRI WAHYUNI", DUA[2], 2, "3301012003", None),
    ("USULAN", "ketik", PINDAH[0][:15] + "7", "SITI AMINAH", PINDAH[2], 2, "1101012001", PINDAH[5]),
]


def standardized_run(tmp_path: Path) -> RunPaths:
    """A run folder whose standardized tables hold only the columns matching reads."""
    paths = RunPaths(tmp_path / "run")
    con = duckdb.connect()
    empty_tables(con)
    con.executemany(
        "INSERT INTO penduduk VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
        [(n, nama, nama, t, jk, desa, kk) for n, nama, t, jk, desa, kk in REGISTRY],
    )
    con.executemany(
        "INSERT INTO catatan VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, left(?, 2), ?)",
        [(s, i, n, nama, nama, t, jk, desa, desa, kk) for s, i, n, nama, t, jk, desa, kk in RECORDS],
    )
    con.execute("UPDATE catatan SET nik_cacat = 'NIK_KOSONG' WHERE nik IS NULL")  # as standardizing says
    out = {
        "dtks_individu/11.parquet": "catatan WHERE sumber = 'DTKS'",
        "regsosek_anggota/nasional.parquet": "catatan WHERE sumber = 'REGSOSEK'",
        "p3ke_anggota/nasional.parquet": "catatan WHERE sumber = 'P3KE'",
        "usulan_anggota/nasional.parquet": "catatan WHERE sumber = 'USULAN'",
        "dukcapil_penduduk/nasional.parquet": "penduduk",
    }
    for rel, rows in out.items():
        f = paths.run_dir / "standardized" / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        con.execute(f"COPY (SELECT * FROM {rows}) TO '{f}'")
    return paths


def run_buckets(paths: RunPaths, buckets: int) -> dict[str, tuple]:
    """The match stage's tasks in the order flows/padan.py runs them, on one connection each."""

    def con():
        c = duckdb.connect()
        match.prepare(c)
        return c

    records = ember.shuffle(con(), paths, buckets)
    for b in range(buckets):
        ember.exact_bucket(con(), paths, b, buckets)
    for k in range(buckets):
        ember.family_bucket(con(), paths, k, buckets)
    for b in range(buckets):
        ember.leftover_bucket(con(), paths, b, buckets, ember.every_kth(records))
    counts = ember.national(con(), paths, buckets, records)
    assert counts["seimbang"] and counts["catatan"] == len(RECORDS)
    matched = paths.run_dir / "matched"
    outcome = duckdb.sql(
        f"SELECT t.id_sumber, t.nik, t.metode_padan, v.alasan FROM '{matched}/tautan_sumber.parquet' t "
        f"LEFT JOIN '{matched}/verifikasi.parquet' v USING (sumber, id_sumber)"
    ).fetchall()
    return {r[0]: r[1:] for r in outcome}


def bucket_of(key: str, buckets: int) -> int:
    return duckdb.sql("SELECT hash($k) % $b", params={"k": key, "b": buckets}).fetchall()[0][0]


@pytest.fixture(scope="module")
def buckets() -> int:
    """A number of buckets that puts the cases' rows apart: the son's NIK and his father's
    NIK in different buckets, the moved woman's NIK and her record's typo too."""
    for n in range(3, 40):
        if bucket_of(ANAK[0], n) != bucket_of(SUAMI[0], n) and bucket_of(PINDAH[0], n) != bucket_of(RECORDS[-1][2], n):
            return n
    raise AssertionError("no number of buckets separates the cases")


def test_every_cross_partition_case_is_decided_as_in_one_bucket(tmp_path, buckets):
    paths = standardized_run(tmp_path)
    one = run_buckets(paths, 1)
    assert one == run_buckets(paths, buckets)
    # The NIK first registered in another province than the person lives in: linked.
    assert one["pindah"] == (PINDAH[0], "NIK_EXACT", None)
    # A family member's NIK on the father's row: the family check met the whole card,
    # although the son's NIK and the father's sit in different NIK buckets, and refused
    # the son; Splink then finds the father.
    assert one["salah_baris"][:2] == (SUAMI[0], "PROBABILISTIC")
    # The same NIK listed in two provinces' inputs: both records are the one person.
    assert one["dua_a"][:2] == one["dua_b"][:2] == (DUA[0], "NIK_EXACT")
    # A typo'd NIK repaired to a holder whose NIK is in another bucket than the typo.
    assert one["ketik"][:2] == (PINDAH[0], "NIK_REPAIRED")


def test_a_record_claiming_a_village_in_another_province_is_still_found(tmp_path, buckets):
    """No NIK, the village of another province: the national step (Splink against the
    whole registry) still has him, by birth date, name and family card."""
    paths = standardized_run(tmp_path)
    for n in (1, buckets):
        assert run_buckets(paths, n)["tanpa_nik"][:2] == (JAUH[0], "PROBABILISTIC")


def test_a_second_number_of_buckets_does_not_read_the_first_ones_files(tmp_path, buckets):
    paths = standardized_run(tmp_path)
    run_buckets(paths, buckets)
    assert ember.work(paths, buckets) != ember.work(paths, 1)
    assert run_buckets(paths, 1) == run_buckets(paths, buckets)
