"""Suites for the standardized sources: what the standardize step promises its readers.

Persons (every source's person table and the registry): a NIK and a KK are 16 digits where
the parser accepted them (a defective one is kept as typed with its defect named, for the
NIK repair and probabilistic matching), a birth date lies between 1900 and the cut-off, sex and relation
are codes of their sets, the village exists in the Kemendagri reference. Households: the
same for their KK and village, and Regsosek-coded housing fields within their code books.
A failure here means the parser let something through: critical, the run is not published.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import great_expectations as gx
from great_expectations.expectations.metadata_types import FailureSeverity

from expectations.runner import Rangkaian, batches_from, fact_holds
from transforms.engine import sql_path

PERSONS = ("dukcapil_penduduk", "dtks_individu", "regsosek_anggota", "p3ke_anggota", "usulan_anggota")
HOUSEHOLDS = ("dtks_keluarga", "regsosek_keluarga", "p3ke_keluarga")
DIGITS_16 = r"^[0-9]{16}$"
CRITICAL = FailureSeverity.CRITICAL
# Regsosek code books of the housing fields a household table may carry.
CODES = {"r303": range(1, 10), "r304": range(1, 8), "r305": range(1, 9), "r309a": range(1, 5)}


def _files(run_dir: Path, table: str) -> str:
    files = sorted((run_dir / "standardized" / table).glob("*.parquet"))
    return "[" + ", ".join(repr(sql_path(f)) for f in files) + "]"


def _reference(con: duckdb.DuckDBPyConnection, run_dir: Path) -> None:
    con.execute(
        f"CREATE OR REPLACE TABLE ref_desa AS SELECT kode FROM read_parquet({_files(run_dir, 'ref_wilayah')}) "
        "WHERE tingkat = 'DESA'"
    )


def persons(run_dir: Path, cutoff: dt.date) -> Rangkaian:
    def batches(con):
        _reference(con, run_dir)
        for table in PERSONS:
            if not (run_dir / "standardized" / table).exists():
                continue
            # The registry's record id is the NIK itself: its rows are named by line number.
            ident = "'baris ' || baris" if table == "dukcapil_penduduk" else "id_sumber"
            yield from batches_from(
                con,
                table,
                f"""
                SELECT {ident} AS id_sumber, CASE WHEN nik_cacat IS NULL THEN nik END AS nik,
                    CASE WHEN kk_cacat IS NULL THEN no_kk END AS no_kk,
                    -- a birth date as days since 1900-01-01: GX compares numbers vectorised,
                    -- dates one Python object at a time (0.8 s per million rows)
                    date_diff('day', DATE '1900-01-01', tgl_lahir) AS tgl_lahir_hari,
                    jenis_kelamin, hubungan, kode_desa, kode_desa IN (SELECT kode FROM ref_desa) AS desa_dikenal
                FROM read_parquet({_files(run_dir, table)})""",
            )

    return Rangkaian(
        "baku.orang",
        [
            gx.expectations.ExpectColumnValuesToMatchRegex(
                column="nik", regex=DIGITS_16, severity=CRITICAL, meta={"aturan": "NIK_16_DIGIT"}
            ),
            gx.expectations.ExpectColumnValuesToMatchRegex(
                column="no_kk", regex=DIGITS_16, severity=CRITICAL, meta={"aturan": "KK_16_DIGIT"}
            ),
            gx.expectations.ExpectColumnValuesToBeBetween(
                column="tgl_lahir_hari",
                min_value=0,
                max_value=(cutoff - dt.date(1900, 1, 1)).days,
                severity=CRITICAL,
                meta={"aturan": "TANGGAL_LAHIR_WAJAR"},
            ),
            gx.expectations.ExpectColumnValuesToBeInSet(
                column="jenis_kelamin", value_set=[1, 2], severity=CRITICAL, meta={"aturan": "JENIS_KELAMIN_DIKENAL"}
            ),
            gx.expectations.ExpectColumnValuesToBeInSet(
                column="hubungan", value_set=list(range(1, 9)), severity=CRITICAL, meta={"aturan": "HUBUNGAN_DIKENAL"}
            ),
            fact_holds("desa_dikenal", "KODE_DESA_ADA_DI_REFERENSI"),
        ],
        batches,
    )


def households(run_dir: Path) -> Rangkaian:
    def batches(con):
        _reference(con, run_dir)
        for table in HOUSEHOLDS:
            if not (run_dir / "standardized" / table).exists():
                continue
            source = f"read_parquet({_files(run_dir, table)}, union_by_name = true)"
            present = {c[0] for c in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
            # A KK the parser judged (kk_cacat) is checked; DTKS households keep it as typed.
            kk_ok = "kk_cacat IS NULL" if "kk_cacat" in present else "FALSE"
            housing = ", ".join(c if c in present else f"NULL::INTEGER AS {c}" for c in CODES)
            yield from batches_from(
                con,
                table,
                f"""
                SELECT id_keluarga_sumber AS id_sumber, CASE WHEN {kk_ok} THEN no_kk END AS no_kk, kode_desa,
                    kode_desa IN (SELECT kode FROM ref_desa) AS desa_dikenal, {housing}
                FROM {source}""",
            )

    return Rangkaian(
        "baku.rumah_tangga",
        [
            gx.expectations.ExpectColumnValuesToMatchRegex(
                column="no_kk", regex=DIGITS_16, severity=CRITICAL, meta={"aturan": "KK_16_DIGIT"}
            ),
            fact_holds("desa_dikenal", "KODE_DESA_ADA_DI_REFERENSI"),
            *[
                gx.expectations.ExpectColumnValuesToBeInSet(
                    column=c,
                    value_set=list(v),
                    severity=FailureSeverity.WARNING,
                    meta={"aturan": f"KODE_{c.upper()}_DIKENAL"},
                )
                for c, v in CODES.items()
            ],
        ],
        batches,
    )


def rangkaian(run_dir: Path, cutoff: dt.date) -> list[Rangkaian]:
    return [persons(run_dir, cutoff), households(run_dir)]
