"""Suites for the snapshot about to be published: every family ranked, each national decile
holding close to a tenth of the people, and the tables' row counts equal to the manifest's.
A decile far from 10% means the ranking went wrong: critical, the snapshot is not published."""

from __future__ import annotations

from pathlib import Path

import great_expectations as gx
import pandas as pd
from great_expectations.expectations.metadata_types import FailureSeverity

from expectations.runner import Rangkaian, batches_from
from transforms.engine import sql_path

CRITICAL = FailureSeverity.CRITICAL


def ranked(run_dir: Path) -> Rangkaian:
    keluarga = sql_path(run_dir / "ranked" / "keluarga.parquet")

    def batches(con):
        yield from batches_from(
            con,
            "keluarga",
            f"""
            SELECT no_kk, desil_nasional, skor_kesejahteraan FROM read_parquet('{keluarga}')""",
        )

    return Rangkaian(
        "terbit.peringkat",
        [
            gx.expectations.ExpectColumnValuesToNotBeNull(
                column="desil_nasional", severity=CRITICAL, meta={"aturan": "SETIAP_KELUARGA_BERDESIL"}
            ),
            gx.expectations.ExpectColumnValuesToBeBetween(
                column="desil_nasional",
                min_value=1,
                max_value=10,
                severity=CRITICAL,
                meta={"aturan": "DESIL_1_SAMPAI_10"},
            ),
            gx.expectations.ExpectColumnValuesToBeBetween(
                column="skor_kesejahteraan",
                min_value=0,
                strict_min=True,
                severity=CRITICAL,
                meta={"aturan": "SKOR_POSITIF"},
            ),
        ],
        batches,
        id_column="no_kk",
    )


def deciles(run_dir: Path) -> Rangkaian:
    keluarga = sql_path(run_dir / "ranked" / "keluarga.parquet")

    def batches(con):
        # Whole families make a decile's boundary uneven by up to one family: the allowed
        # distance from 10% is the largest family's share of all persons.
        yield from batches_from(
            con,
            "desil",
            f"""
            WITH k AS (SELECT desil_nasional, jumlah_anggota FROM read_parquet('{keluarga}')),
            total AS (SELECT sum(jumlah_anggota) AS orang, max(jumlah_anggota) AS terbesar FROM k)
            SELECT d AS id_sumber, abs(coalesce(sum(k.jumlah_anggota), 0) / any_value(t.orang) - 0.1) AS selisih,
                any_value(t.terbesar) / any_value(t.orang) AS batas
            FROM range(1, 11) r(d) CROSS JOIN total t LEFT JOIN k ON k.desil_nasional = r.d
            GROUP BY d ORDER BY d""",
        )

    return Rangkaian(
        "terbit.desil",
        [
            gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="batas",
                column_B="selisih",
                or_equal=True,
                severity=CRITICAL,
                meta={"aturan": "DESIL_SEPERSEPULUH_ORANG"},
            ),
        ],
        batches,
    )


def reconciled(run_dir: Path, manifest: dict) -> Rangkaian:
    """The published tables' row counts against the counts the manifest reports, and a
    snapshot that holds families at all (one with none would leave every programme empty)."""

    def batches(con):
        counted = {
            t: con.execute(f"SELECT count(*) FROM read_parquet('{sql_path(run_dir / f)}')").fetchall()[0][0]
            for t, f in (("keluarga", "ranked/keluarga.parquet"), ("individu", "ranked/individu.parquet"))
        }
        reported = {"keluarga": manifest["satukan"]["keluarga"], "individu": manifest["satukan"]["individu"]}
        yield (
            "jumlah",
            pd.DataFrame(
                [{"id_sumber": t, "baris": counted[t], "manifest": reported[t], "isi": counted[t]} for t in counted]
                + [{"id_sumber": "seimbang", "baris": int(bool(manifest["seimbang"])), "manifest": 1, "isi": None}]
            ),
        )

    return Rangkaian(
        "terbit.rekonsiliasi",
        [
            gx.expectations.ExpectColumnPairValuesToBeEqual(
                column_A="baris", column_B="manifest", severity=CRITICAL, meta={"aturan": "JUMLAH_SESUAI_MANIFEST"}
            ),
            gx.expectations.ExpectColumnValuesToBeBetween(
                column="isi", min_value=1, severity=CRITICAL, meta={"aturan": "SNAPSHOT_BERISI"}
            ),
        ],
        batches,
    )


def rangkaian(run_dir: Path, manifest: dict) -> list[Rangkaian]:
    return [ranked(run_dir), deciles(run_dir), reconciled(run_dir, manifest)]
