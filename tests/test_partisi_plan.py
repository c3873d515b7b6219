"""The partition plan (transforms/partisi.py): large provinces split by regency, small ones
grouped, every village routed to one partition."""

from __future__ import annotations

import duckdb
import pytest

from transforms import partisi

# Registry persons per regency: Jawa Barat large (three regencies), Aceh middling, the
# Kalimantan provinces small.
REGENCIES = {"3201": 40, "3202": 35, "3203": 30, "1101": 50, "6101": 5, "6201": 6, "6401": 4, "6501": 3}


@pytest.fixture
def registry(tmp_path):
    con = duckdb.connect()
    rows = [(f"{kab}012001", n) for kab, n in REGENCIES.items()]
    con.execute("CREATE TABLE p (kode_desa VARCHAR)")
    for desa, n in rows:
        con.executemany("INSERT INTO p VALUES (?)", [(desa,)] * n)
    f = tmp_path / "penduduk.parquet"
    con.execute(f"COPY p TO '{f}'")
    return con, f


def planned(con, f, tmp_path, **kw) -> dict[str, tuple[int, int]]:
    parts = partisi.plan(con, f, tmp_path / "partisi.parquet", **kw)
    return {p["partisi"]: (p["kabupaten"], p["orang"]) for p in parts}


def test_a_large_province_splits_into_groups_of_whole_regencies(registry, tmp_path):
    con, f = registry
    got = planned(con, f, tmp_path, max_persons=70, single=False)
    assert got["32-1"] == (1, 40) and got["32-2"] == (2, 65)  # 35 + 30 fit under 70 together
    assert got["11"] == (1, 50) and got["61"] == (1, 5)


def test_small_provinces_are_grouped_in_code_order_and_a_short_last_group_joins_the_one_before(registry, tmp_path):
    con, f = registry
    got = planned(con, f, tmp_path, max_persons=70, single=False, min_persons=10)
    # 61 + 62 reach 11; 64 + 65 (7) would fall short, so they join them.
    assert got == {"32-1": (1, 40), "32-2": (2, 65), "11": (1, 50), "61..65": (4, 18)}


def test_every_village_has_one_partition(registry, tmp_path):
    con, f = registry
    partisi.plan(con, f, tmp_path / "partisi.parquet", max_persons=70, single=False, min_persons=10)
    partisi.load(con, tmp_path / "partisi.parquet")
    route = {
        code: con.execute("SELECT partisi_desa($k)", {"k": code}).fetchall()[0][0]
        for code in ("3202012001", "6401012001", "3299012001", "9999012001")
    }
    # a regency the registry does not know goes to its province's first partition; no province, LAIN
    assert route == {"3202012001": "32-2", "6401012001": "61..65", "3299012001": "32-1", "9999012001": "LAIN"}


def test_one_partition_for_the_reference_run(registry, tmp_path):
    con, f = registry
    assert planned(con, f, tmp_path, max_persons=70, single=True, min_persons=10) == {"NASIONAL": (8, 173)}


def test_a_group_of_small_provinces_never_reaches_over_a_split_one(tmp_path):
    # 11, 12, 14 and 15 are small, 13 is split: one group 11..15 would put 14's rows before
    # 13's in the gathered tables (the partitions' files one after another, in id order).
    con = duckdb.connect()
    con.execute("CREATE TABLE p (kode_desa VARCHAR)")
    for kab, n in {"1101": 3, "1201": 3, "1301": 40, "1302": 40, "1401": 3, "1501": 3}.items():
        con.executemany("INSERT INTO p VALUES (?)", [(f"{kab}012001",)] * n)
    f = tmp_path / "penduduk.parquet"
    con.execute(f"COPY p TO '{f}'")
    got = planned(con, f, tmp_path, max_persons=70, single=False, min_persons=10)
    assert got == {"11..12": (2, 6), "13-1": (1, 40), "13-2": (1, 40), "14..15": (2, 6)}
    firsts = [p.split("-")[0].split("..")[0] for p in sorted(got)]
    lasts = [p.split("-")[0].split("..")[-1] for p in sorted(got)]
    assert all(a <= b for a, b in zip(lasts, firsts[1:], strict=False))
