"""The project carries the official Kemendagri 2025 region list itself (a user has only the
repository), and a delivery generated over it carries the list byte for byte."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib

import pyarrow.compute as pc
import pyarrow.csv as pacsv

from dtsen.referensi import KEMENDAGRI, WILAYAH_KEMENDAGRI_2025, region_list
from synthetic import generate_delivery

# Stated in dtsen/referensi/README.md beside the file, with its source and licence.
SHA256 = "0bb0459aae4ac0fc6a6b9022e77a9c3d65e22647cc41baa388e9494f8dfea3dd"


def test_the_packaged_list_is_the_official_one():
    assert hashlib.sha256(gzip.decompress(WILAYAH_KEMENDAGRI_2025.read_bytes())).hexdigest() == SHA256
    table = pacsv.read_csv(WILAYAH_KEMENDAGRI_2025)  # pyarrow reads the .gz as it is
    levels = pc.value_counts(pc.utf8_length(table["kode"])).to_pylist()
    assert {d["values"]: d["counts"] for d in levels} == {2: 38, 5: 514, 8: 7285, 13: 83762}
    notice = (WILAYAH_KEMENDAGRI_2025.parent / "LICENSE.wilayah").read_text()
    assert "MIT License" in notice and "Cahya DSN" in notice


def test_a_delivery_over_the_real_villages_carries_the_list(tmp_path):
    assert region_list(KEMENDAGRI) == WILAYAH_KEMENDAGRI_2025 and region_list(None) is None
    delivery = generate_delivery(tmp_path, 2_000, 4, dt.date(2026, 11, 17), regions=region_list(KEMENDAGRI))
    written = (delivery / "referensi" / "wilayah.csv").read_bytes()
    assert hashlib.sha256(written).hexdigest() == SHA256
    villages = set(pacsv.read_csv(WILAYAH_KEMENDAGRI_2025)["kode"].to_pylist())
    registry = pacsv.read_csv(
        delivery / "dtks" / next(p.name for p in (delivery / "dtks").iterdir()),
        parse_options=pacsv.ParseOptions(delimiter=";"),
        read_options=pacsv.ReadOptions(encoding="cp1252"),
        convert_options=pacsv.ConvertOptions(column_types={"KODE_WILAYAH": "string"}),
    )
    codes = {c for c in registry["KODE_WILAYAH"].to_pylist() if c and len(c) == 10}
    assert codes and {f"{c[:2]}.{c[2:4]}.{c[4:6]}.{c[6:]}" for c in codes} <= villages
