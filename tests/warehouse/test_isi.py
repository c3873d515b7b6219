"""The content hash (the manifest's `isi`): the same rows give the same hash, whatever their
order and whatever noise their floats carry in the last digits; a real change changes it."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from tests.warehouse.runs import family, write_run
from warehouse.isi import content_hash
from warehouse.publish import content

KK1, KK2, KK3 = "3201010101000001", "3201010101000002", "3301010101000003"
FAMILIES = [
    family(KK1, 1, "3201010101900001", "3201010101900002"),
    family(KK2, 5, "3201010101900003"),
    family(KK3, 9, "3301010101900010"),
]
GROUPS = ("aset", "kepala", "perumahan")


def nudge(x: float, ulps: int) -> float:
    """`x` moved by a few units in the last place: what a sum taken in another order gives."""
    for _ in range(abs(ulps)):
        x = math.nextafter(x, math.inf if ulps > 0 else -math.inf)
    return x


def with_floats(run: Path, noise: int = 0) -> Path:
    """The run's families and links with the floats the ranking and matching write: a welfare
    score in rupiah, a log score, the `kontribusi` struct of doubles, a match probability,
    and a contribution that cancels to zero. `noise`: each float moved by up to that many
    ulps, and the rows in another order."""
    path = run / "ranked" / "keluarga.parquet"
    families = pq.read_table(path).to_pylist()
    for i, f in enumerate(families):
        n = (i % 3 - 1) * noise
        f["skor_kesejahteraan"] = nudge(987654.321 * f["desil_nasional"], n)
        f["skor_log"] = nudge(math.log(f["skor_kesejahteraan"]), -n)
        f["kontribusi"] = {g: nudge(0.1234567891 * (j + 1) * f["desil_nasional"], n) for j, g in enumerate(GROUPS)}
        f["kontribusi"]["perumahan"] = (0.3 - 0.1 - 0.2) if noise else 0.0  # -2.8e-17: zero with noise
        f["masukan_hilang"] = []
    if noise:
        families.reverse()
    pq.write_table(pa.Table.from_pylist(families), path)
    links = pq.read_table(run / "matched" / "tautan_sumber.parquet")
    probability = [nudge(0.9876543210123 if i % 2 else 0.5, noise * (1 if i % 2 else -1)) for i in range(len(links))]
    links = links.set_column(links.schema.get_field_index("probabilitas"), "probabilitas", pa.array(probability))
    pq.write_table(
        links.take(list(reversed(range(len(links))))) if noise else links, run / "matched" / "tautan_sumber.parquet"
    )
    return run


@pytest.fixture
def two_runs(tmp_path):
    first = with_floats(write_run(tmp_path / "a", "2026-11-17", "a" * 64, FAMILIES))
    second = with_floats(write_run(tmp_path / "b", "2026-11-17", "a" * 64, FAMILIES), noise=3)
    return first, second


def test_runs_differing_only_in_float_noise_and_row_order_have_the_same_content(two_runs):
    first, second = two_runs
    con = duckdb.connect()
    # The floats do differ, bit for bit, and DuckDB's own row hash sees it.
    differ = "SELECT count(*) FROM read_parquet($a) a JOIN read_parquet($b) b USING (no_kk) WHERE a.{c} <> b.{c}"
    for column in ("skor_kesejahteraan", "kontribusi.aset"):
        query = differ.format(c=column)
        files = {"a": str(first / "ranked/keluarga.parquet"), "b": str(second / "ranked/keluarga.parquet")}
        assert con.execute(query, files).fetchone()[0] > 0
    old = "SELECT sum(hash(t)::HUGEINT) FROM read_parquet($f) t"
    assert (
        con.execute(old, {"f": str(first / "ranked/keluarga.parquet")}).fetchone()
        != con.execute(old, {"f": str(second / "ranked/keluarga.parquet")}).fetchone()
    )

    isi = content(first)
    assert isi == content(second)
    assert isi["keluarga"]["baris"] == 3 and len(isi["keluarga"]["hash"]) == 32
    assert isi["tautan_sumber"]["baris"] == 4


def test_one_family_in_another_decile_changes_the_content(two_runs, tmp_path):
    first, _ = two_runs
    changed = tmp_path / "changed"
    shutil.copytree(first, changed)
    path = changed / "ranked" / "keluarga.parquet"
    families = pq.read_table(path)
    moved = pc.if_else(pc.equal(families["no_kk"], KK2), 6, families["desil_nasional"])
    pq.write_table(
        families.set_column(families.schema.get_field_index("desil_nasional"), "desil_nasional", moved), path
    )
    before, after = content(first), content(changed)
    assert after["keluarga"]["baris"] == before["keluarga"]["baris"]
    assert after["keluarga"]["hash"] != before["keluarga"]["hash"]
    assert {t: after[t] for t in after if t != "keluarga"} == {t: before[t] for t in before if t != "keluarga"}


def test_a_change_of_a_float_beyond_its_noise_changes_the_content(two_runs, tmp_path):
    first, _ = two_runs
    changed = tmp_path / "changed"
    shutil.copytree(first, changed)
    path = changed / "matched" / "tautan_sumber.parquet"
    links = pq.read_table(path)
    probability = links["probabilitas"].to_pylist()
    probability[1] = probability[1] + 1e-4  # a real change in a match probability
    pq.write_table(
        links.set_column(links.schema.get_field_index("probabilitas"), "probabilitas", pa.array(probability)), path
    )
    assert content(changed)["tautan_sumber"] != content(first)["tautan_sumber"]


def one(sql: str) -> tuple[int, str]:
    return content_hash(duckdb.connect(), sql)


def test_canonical_floats_nested_and_exact_values():
    same = [
        ("SELECT 0.99999999999999989::DOUBLE x", "SELECT 1.0000000000000002::DOUBLE x"),  # across a power of ten
        ("SELECT -0.0::DOUBLE x", "SELECT 0.0::DOUBLE x"),
        ("SELECT 2.8e-17::DOUBLE x", "SELECT -5.5e-17::DOUBLE x"),  # noise around zero
        ("SELECT 1234567.0000001::DOUBLE x", "SELECT 1234567.0000002::DOUBLE x"),
        ("SELECT [{'p': 0.30000000000000004}]::STRUCT(p DOUBLE)[] x", "SELECT [{'p': 0.3}]::STRUCT(p DOUBLE)[] x"),
        ("SELECT MAP {'a': 0.1::DOUBLE + 0.2::DOUBLE} x", "SELECT MAP {'a': 0.3::DOUBLE} x"),
        ("SELECT [0.1::DOUBLE + 0.2::DOUBLE, 1.0]::DOUBLE[2] x", "SELECT [0.3, 1.0]::DOUBLE[2] x"),
        ("SELECT 1 a, 'x' b", "SELECT 'x' b, 1 a"),  # columns by name
        ("SELECT 'NaN'::DOUBLE x", "SELECT 'NaN'::DOUBLE x"),
    ]
    for a, b in same:
        assert one(a) == one(b), (a, b)
    differ = [
        ("SELECT 0.123456::DOUBLE x", "SELECT 0.123457::DOUBLE x"),  # the sixth significant digit counts
        ("SELECT NULL::DOUBLE x", "SELECT 0.0::DOUBLE x"),
        ("SELECT NULL::STRUCT(p DOUBLE) x", "SELECT {'p': NULL}::STRUCT(p DOUBLE) x"),
        ("SELECT 1.5::DECIMAL(18, 3) x", "SELECT 1.501::DECIMAL(18, 3) x"),  # exact types stay exact
        ("SELECT 'inf'::DOUBLE x", "SELECT '-inf'::DOUBLE x"),
    ]
    for a, b in differ:
        assert one(a) != one(b), (a, b)
    assert one("SELECT 1 x LIMIT 0") == (0, "0" * 32)


def test_nik_like_strings_a_few_digits_apart_never_share_a_hash():
    # DuckDB's 64-bit hash() gives 3201010200000318 and 3201010500000315 one value (one pair of
    # 406,800 among 4.6 million such strings): a KK number changed like that went unseen.
    a = "SELECT * FROM (VALUES ('3201010200000318', 1), ('3201010200000829', 2)) t(no_kk, desil)"
    b = "SELECT * FROM (VALUES ('3201010500000315', 1), ('3201010500000824', 2)) t(no_kk, desil)"
    assert one(a) != one(b)
    # Order-independent: the same rows in another order.
    assert one(a) == one("SELECT * FROM (VALUES ('3201010200000829', 2), ('3201010200000318', 1)) t(no_kk, desil)")
