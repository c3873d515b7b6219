"""A generated delivery goes through landing and standardize like a real one: every label
is mapped, every row accounted for, and the cleaned NIKs agree with the ground truth."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
from pathlib import Path

import duckdb
import pytest

import transforms.standardize as std
from dtsen.referensi import WILAYAH_KEMENDAGRI_2025
from synthetic import generate_delivery, vocab
from transforms.engine import connect
from transforms.ingest.land import land_delivery

CUTOFF = dt.date(2026, 11, 17)


def _labels(name: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    with (std.HERE / f"{name}.csv").open() as f:
        for row in csv.DictReader(f):
            out.setdefault(row["kolom"], set()).add(row["label"])
    return out


def test_every_label_the_generator_writes_is_mapped():
    dtks = _labels("label_dtks")
    for kolom, labels in vocab.DTKS_RUMAH.items():
        assert {v.upper() for v in labels.values()} <= dtks[kolom], kolom
    p3ke = _labels("label_p3ke")
    assert {v.upper() for v in vocab.HUBUNGAN_P3KE.values()} <= p3ke["HUBUNGAN"]
    assert {v.upper() for v in vocab.JENIS_KELAMIN_P3KE.values()} <= p3ke["JENIS_KELAMIN"]
    assert {v.upper() for v in vocab.PENDIDIKAN.values()} <= p3ke["PENDIDIKAN"]
    assert {v.upper() for v in [*vocab.PEKERJAAN.values(), vocab.TIDAK_BEKERJA]} <= p3ke["PEKERJAAN"]


def _two_provinces(tmp: Path) -> Path:
    """Aceh and Bali from the official 2025 list: real codes, a test-sized population."""
    out = tmp / "wilayah_11_51.csv"
    with (
        gzip.open(WILAYAH_KEMENDAGRI_2025, "rt", encoding="utf-8", newline="") as f,
        out.open("w", encoding="utf-8", newline="") as g,
    ):
        for i, line in enumerate(f):
            if i == 0 or line.startswith(("11", "51")):
                g.write(line)
    return out


def standardize_all(delivery: Path, tmp: Path) -> tuple[std.RunPaths, dict]:
    landed = land_delivery(delivery, tmp / "landed")
    paths = std.RunPaths(tmp / "run")
    counts = []
    steps = [lambda c: std.standardize_reference(c, landed.path, paths)]
    steps += [
        lambda c, f=f: std.standardize_dtks(c, f, landed.path, paths, CUTOFF) for f in std.dtks_files(landed.path)
    ]
    steps += [
        lambda c, s=s: s(c, landed.path, paths, CUTOFF)
        for s in (std.standardize_dukcapil, std.standardize_regsosek, std.standardize_p3ke, std.standardize_usulan)
    ]
    steps += [lambda c: std.standardize_susenas(c, landed.path, paths)]
    for step in steps:
        con = connect("1GB")
        std.prepare(con, paths)
        counts.extend(step(con))
    return paths, {c.sumber + ":" + c.berkas: c for c in counts}


@pytest.mark.parametrize("regions", ["synthetic", "kemendagri_2025"])
def test_generated_delivery_is_standardized_and_reconciled(regions, tmp_path):
    region_file = _two_provinces(tmp_path) if regions == "kemendagri_2025" else None
    delivery = generate_delivery(tmp_path / "deliveries", 3000, 11, CUTOFF, regions=region_file)
    paths, counts = standardize_all(delivery, tmp_path)

    assert all(c.seimbang for c in counts.values())
    dtks = [c for k, c in counts.items() if k.startswith("dtks:")]
    read = sum(c.dibaca for c in dtks)
    rows_in_files = sum(sum(1 for _ in f.open(encoding="cp1252")) - 1 for f in (delivery / "dtks").glob("dtks_*.csv"))
    assert read == rows_in_files > 0
    quarantined = sum(c.dikarantina for c in counts.values())
    assert quarantined <= 0.005 * sum(c.dibaca for c in counts.values())
    flags = {}
    for c in dtks:
        for rule, n in c.cacat_per_aturan.items():
            flags[rule] = flags.get(rule, 0) + n
    assert flags.get("NIK_NOTASI_ILMIAH", 0) > 0 and flags.get("NIK_KOSONG", 0) > 0  # seeded errors seen

    con = duckdb.connect()
    std_dtks = f"{paths.run_dir}/standardized/dtks_individu/*.parquet"
    truth = f"{delivery}/truth/tautan.parquet"
    # Every kept record sits in a village of the delivered region list.
    unknown = con.execute(f"""
        SELECT count(*) FROM read_parquet('{std_dtks}') d
        ANTI JOIN read_parquet('{paths.standardized("ref_wilayah")}') w ON w.kode = d.kode_desa""").fetchone()[0]
    assert unknown == 0
    # A NIK that passed every check is, nearly always, the person's true NIK: the checks
    # and the cleaning of typed noise are right (what is left are one-digit typos that
    # still form a valid NIK: matching's job).
    agree, total = con.execute(f"""
        SELECT count(*) FILTER (WHERE d.nik = t.nik_benar), count(*)
        FROM read_parquet('{std_dtks}') d JOIN read_parquet('{truth}') t
          ON t.sumber = 'DTKS' AND t.id_sumber = d.id_sumber
        WHERE d.nik_cacat IS NULL AND t.nik_benar IS NOT NULL""").fetchone()
    assert total > 500 and agree / total > 0.95
    # Every NIK that was spoiled by a spreadsheet is flagged, none passes as valid.
    spoiled_kept = con.execute(f"""
        SELECT count(*) FROM read_parquet('{paths.raw("dtks")}/*.parquet') r
        JOIN read_parquet('{std_dtks}') d ON d.id_sumber = r.ID_DTKS
        WHERE r.NIK ILIKE '%E+%' AND d.nik_cacat IS DISTINCT FROM 'NIK_NOTASI_ILMIAH'""").fetchone()[0]
    assert spoiled_kept == 0
