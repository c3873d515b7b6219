"""Small generated deliveries shared by the generator's tests (built once per session)."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from dtsen.referensi import WILAYAH_KEMENDAGRI_2025
from synthetic import generate_delivery

CUTOFF = dt.date(2026, 11, 17)


def _strings(path: Path, sep: str, encoding: str) -> pa.Table:
    """A CSV with every column read as text (NIKs must stay as typed)."""
    with path.open(encoding=encoding) as f:
        header = f.readline().rstrip("\r\n").split(sep)
    return pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(encoding=encoding),
        parse_options=pacsv.ParseOptions(delimiter=sep),
        convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in header}, strings_can_be_null=False),
    )


def read_dtks(delivery: Path) -> pa.Table:
    """All DTKS files as one table of strings, with the province of the file (_berkas)."""
    tables = []
    for f in sorted((delivery / "dtks").glob("dtks_*.csv")):
        t = _strings(f, ";", "cp1252")
        tables.append(t.append_column("_berkas", pa.array([f.stem[-2:]] * t.num_rows, pa.string())))
    return pa.concat_tables(tables)


def read_csv_str(path: Path, sep: str = ",") -> pa.Table:
    return _strings(path, sep, "utf-8")


def metadata(delivery: Path) -> dict:
    return json.loads((delivery / "truth" / "metadata.json").read_text())


@pytest.fixture(scope="session")
def delivery(tmp_path_factory) -> Path:
    """3,000 persons on synthetic regions."""
    return generate_delivery(tmp_path_factory.mktemp("synth"), 3_000, 11, CUTOFF)


@pytest.fixture(scope="session")
def delivery_20k(tmp_path_factory) -> Path:
    """Enough records to measure error rates."""
    return generate_delivery(tmp_path_factory.mktemp("synth20k"), 20_000, 5, CUTOFF)


@pytest.fixture(scope="session")
def region_subset(tmp_path_factory) -> Path:
    """Provinces 11 (Aceh) and 51 (Bali) of the real 2025 list, lines kept byte for byte."""
    lines = gzip.decompress(WILAYAH_KEMENDAGRI_2025.read_bytes()).split(b"\r\n")
    keep = [lines[0]] + [ln for ln in lines[1:] if ln[:2] in (b"11", b"51")]
    path = tmp_path_factory.mktemp("wilayah") / "wilayah_11_51.csv"
    path.write_bytes(b"\r\n".join(keep) + b"\r\n")
    return path


@pytest.fixture(scope="session")
def delivery_real_regions(tmp_path_factory, region_subset) -> Path:
    return generate_delivery(tmp_path_factory.mktemp("synthreal"), 3_000, 3, CUTOFF, regions=region_subset)
