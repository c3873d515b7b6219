"""National deciles from per-partition summaries: every family gets the decile of the national
window (weighted by persons, ties by no_kk), however the families are split."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pytest

from synthetic import generate_delivery
from transforms import rank
from transforms.engine import copy_atomic
from transforms.rank import desil

# The national window of the rank stage before the summaries (transforms/rank/sql/peringkat.sql
# at 4798ea3), with its order and its weight as parameters so that a test can show what a
# different tie rule or weighting would change.
WINDOW = """
    SELECT no_kk, least(10, 1 + floor(10 * coalesce(sum({weight}) OVER (ORDER BY {order}
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) / sum({weight}) OVER ()))::INTEGER
    FROM keluarga
"""
ORDER = "skor_kesejahteraan, no_kk"
WEIGHT = "jumlah_anggota"


def window(con: duckdb.DuckDBPyConnection, order: str = ORDER, weight: str = WEIGHT) -> dict[str, int]:
    return dict(con.execute(WINDOW.format(order=order, weight=weight)).fetchall())


def families(con: duckdb.DuckDBPyConnection, no_kk, skor, orang, bagian) -> None:
    """The table `keluarga`: one row per family, with the partition it goes to."""
    con.execute("DROP TABLE IF EXISTS keluarga")
    con.execute(
        "CREATE TABLE keluarga AS SELECT unnest($k)::VARCHAR AS no_kk, unnest($s)::DOUBLE AS skor_kesejahteraan, "
        "unnest($o)::BIGINT AS jumlah_anggota, unnest($b)::INTEGER AS bagian",
        {"k": list(no_kk), "s": [float(x) for x in skor], "o": [int(x) for x in orang], "b": [int(x) for x in bagian]},
    )


def summaries_method(
    con: duckdb.DuckDBPyConnection, work: Path, parts: int, resolusi: int = desil.RESOLUSI
) -> dict[str, int]:
    """`keluarga` split into `parts` partition files by its column `bagian` (some may be
    empty), then the deciles from the summaries."""
    paths = []
    for p in range(parts):
        path = work / "bagian" / f"{p}.parquet"
        copy_atomic(
            con,
            "SELECT no_kk, skor_kesejahteraan, jumlah_anggota FROM keluarga WHERE bagian = $p ORDER BY random()",
            path,
            {"p": p},
        )
        paths.append(path)
    out = desil.national_deciles(con, paths, work / "desil", resolusi)
    got = con.execute("SELECT no_kk, desil_nasional FROM read_parquet($f)", {"f": [str(p) for p in out]}).fetchall()
    assert len(got) == len({k for k, _ in got}), "a family came out twice"
    return dict(got)


def kk(i: int) -> str:
    return f"32{i:014d}"


@pytest.fixture
def con():
    return duckdb.connect()


def test_a_tie_across_partitions_is_broken_by_no_kk_as_in_the_window(con, tmp_path):
    # 20 families of one score in three partitions hold deciles 3 to 8: only no_kk orders them.
    n = 40
    skor = [100.0] * 10 + [250.0] * 20 + [900.0] * 10
    orang = [(i % 3) + 1 for i in range(n)]
    families(con, [kk(i) for i in range(n)], skor, orang, [i % 3 for i in range(n)])
    got = summaries_method(con, tmp_path, 3)
    assert got == window(con)
    tied = [got[kk(i)] for i in range(10, 30)]
    assert tied == sorted(tied) and len(set(tied)) >= 4


def test_a_family_exactly_on_a_boundary_starts_the_next_decile(con, tmp_path):
    # 20 persons, one a family: 10 * 2 persons before = 1 * 20, so the third family is desil 2.
    # The second and third share a score and lie in different partitions.
    skor = [1.0, 2.0, 2.0] + [float(i) for i in range(3, 20)]
    families(con, [kk(i) for i in range(20)], skor, [1] * 20, [0, 1, 2] + [i % 3 for i in range(3, 20)])
    got = summaries_method(con, tmp_path, 3)
    assert got == window(con)
    assert [got[kk(i)] for i in range(20)] == [1 + i // 2 for i in range(20)]


def test_a_family_straddling_boundaries_keeps_the_decile_of_its_first_member(con, tmp_path):
    # 40 persons; a family of 25 starts at person 2 (desil 1) and the next at person 27:
    # 1 + floor(10 * 26 / 40) = 7, so deciles 2 to 6 hold nobody.
    orang = [1, 25] + [1] * 14
    families(con, [kk(i) for i in range(16)], range(16), orang, [i % 2 for i in range(16)])
    got = summaries_method(con, tmp_path, 2)
    assert got == window(con)
    assert [got[kk(i)] for i in range(4)] == [1, 1, 7, 7]
    assert set(got.values()) == {1, 7, 8, 9, 10}


def test_a_single_family_among_empty_partitions(con, tmp_path):
    families(con, [kk(1)], [5.0], [4], [2])
    assert summaries_method(con, tmp_path, 4) == window(con) == {kk(1): 1}


def test_families_of_no_persons_are_desil_10_as_the_window_puts_them(con, tmp_path):
    # 0 / 0 persons: the window's least(10, NaN) is 10.
    families(con, [kk(i) for i in range(5)], [3.0, 1.0, 2.0, 2.0, 9.0], [0] * 5, [0, 1, 0, 1, 0])
    assert summaries_method(con, tmp_path, 2) == window(con) == {kk(i): 10 for i in range(5)}


def test_scores_on_both_sides_of_a_bin_edge(con, tmp_path):
    # Scores one bit apart around the edges of the bins: the bins still keep their order.
    edges = [(k / desil.RESOLUSI) ** 8 for k in range(5700, 5710)]
    skor = [x for e in edges for x in (np.nextafter(e, 0), e, np.nextafter(e, np.inf))]
    n = len(skor)
    families(con, [kk(i) for i in range(n)], skor, [1 + i % 4 for i in range(n)], [(7 * i) % 5 for i in range(n)])
    got = summaries_method(con, tmp_path, 5)
    bins = con.execute(
        f"SELECT count(DISTINCT bin) FROM read_parquet('{tmp_path}/desil/ringkasan/*.parquet')"
    ).fetchall()[0][0]
    assert bins >= 10
    assert got == window(con)


@pytest.mark.parametrize("seed", range(40))
def test_random_scores_weights_and_splits(con, tmp_path, seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    if seed % 2:  # few distinct scores: ties everywhere, many across partitions
        skor = rng.choice(np.exp(rng.normal(13.5, 0.6, int(rng.integers(1, 25)))), n)
    else:
        skor = np.exp(rng.normal(13.5, 0.6, n))
    orang = rng.integers(0, 11, n) * (rng.random(n) > 0.1)  # some families of no one
    parts = int(rng.integers(1, 13))
    resolusi = int(rng.choice([1, 16, desil.RESOLUSI]))  # one bin for everyone, up to fine bins
    families(con, [kk(i) for i in rng.permutation(n)], skor, orang, rng.integers(0, parts, n))
    assert summaries_method(con, tmp_path, parts, resolusi) == window(con)


@pytest.fixture(scope="module")
def delivery_families(tmp_path_factory) -> Path:
    """A generated delivery's families: living persons per KK, the province, and the true
    spending per person rounded to Rp 10,000 as the score (about 480 distinct scores for
    5,600 families: ties across provinces at every boundary)."""
    root = tmp_path_factory.mktemp("desil")
    delivery = generate_delivery(root, 20_000, 9, dt.date(2026, 11, 17))
    out = root / "keluarga.parquet"
    copy_atomic(
        duckdb.connect(),
        """
        SELECT p.no_kk, p.kode_prov, p.jumlah_anggota, round(t.pengeluaran_per_kapita_benar, -4) AS skor_kesejahteraan
        FROM (SELECT NO_KK AS no_kk, any_value(NO_PROP) AS kode_prov, count(*) AS jumlah_anggota
              FROM read_parquet($penduduk) WHERE TGL_MATI IS NULL GROUP BY ALL) p
        JOIN read_parquet($truth) t USING (no_kk)
        """,
        out,
        {
            "penduduk": str(delivery / "dukcapil" / "penduduk.parquet"),
            "truth": str(delivery / "truth" / "keluarga.parquet"),
        },
    )
    return out


SPLITS = {
    "all in one": (1, "0"),
    "two by hash": (2, "hash(no_kk) % 2"),
    "seven at random": (7, "floor(7 * random())"),
    "38 by province": (38, "dense_rank() OVER (ORDER BY kode_prov) - 1"),
    "38 ranges of score": (38, "ntile(38) OVER (ORDER BY skor_kesejahteraan, no_kk) - 1"),
}


@pytest.fixture
def delivery_con(delivery_families):
    c = duckdb.connect()
    c.execute("SELECT setseed(0.18)")
    return c


@pytest.mark.parametrize("split", SPLITS)
def test_a_delivery_split_any_way_gets_the_windows_deciles(delivery_con, delivery_families, tmp_path, split):
    parts, expr = SPLITS[split]
    con = delivery_con
    con.execute(
        f"CREATE TABLE keluarga AS SELECT *, ({expr})::INTEGER AS bagian FROM read_parquet($f)",
        {"f": str(delivery_families)},
    )
    assert con.execute("SELECT count(DISTINCT bagian) FROM keluarga").fetchall()[0][0] == parts
    assert summaries_method(con, tmp_path, parts) == window(con)


def test_the_delivery_has_ties_across_partitions_on_its_boundaries(delivery_con, delivery_families, tmp_path):
    # What makes the test above bite: each boundary's score is shared by families of other
    # provinces, on both sides of the boundary.
    con = delivery_con
    con.execute(
        "CREATE TABLE keluarga AS SELECT *, (dense_rank() OVER (ORDER BY kode_prov) - 1)::INTEGER AS bagian "
        "FROM read_parquet($f)",
        {"f": str(delivery_families)},
    )
    got = summaries_method(con, tmp_path, 38)
    con.execute(
        "CREATE TABLE hasil AS SELECT unnest($k)::VARCHAR AS no_kk, unnest($d)::INTEGER AS d",
        {"k": list(got), "d": list(got.values())},
    )
    spans = con.execute(
        """
        SELECT count(*) FROM (
            SELECT skor_kesejahteraan FROM keluarga JOIN hasil USING (no_kk)
            GROUP BY ALL HAVING count(DISTINCT d) > 1 AND count(DISTINCT bagian) > 1
        )
        """
    ).fetchall()[0][0]
    assert spans == 9


@pytest.mark.parametrize(
    "order, weight",
    [("skor_kesejahteraan, no_kk DESC", WEIGHT), (ORDER, "1"), ("skor_kesejahteraan", WEIGHT)],
    ids=["ties the other way", "families not persons", "ties in no order"],
)
def test_the_comparison_would_catch_another_rule(delivery_con, delivery_families, tmp_path, order, weight):
    # The identity above can fail: a window with another tie rule or weighting gives other
    # deciles on the same delivery, so the summaries would have to follow it to pass.
    con = delivery_con
    con.execute(
        "CREATE TABLE keluarga AS SELECT *, (hash(no_kk) % 7)::INTEGER AS bagian FROM read_parquet($f)",
        {"f": str(delivery_families)},
    )
    got = summaries_method(con, tmp_path, 7)
    other = window(con, order, weight)
    assert got == window(con) and got != other


def test_a_score_that_is_not_a_number_is_refused_with_its_place(con, tmp_path):
    families(con, [kk(1), kk(2)], [1.0, float("nan")], [1, 1], [0, 0])
    with pytest.raises(ValueError, match=r"0\.parquet, row [12], column skor_kesejahteraan: 1 families"):
        summaries_method(con, tmp_path, 1)


def test_summaries_of_two_resolutions_are_refused(con, tmp_path):
    families(con, [kk(1), kk(2)], [1.0e6, 2.0e6], [1, 1], [0, 1])
    summaries_method(con, tmp_path, 2)
    work = tmp_path / "desil"
    desil.summarize(con, tmp_path / "bagian" / "1.parquet", work / "ringkasan" / "0001.parquet", 512)
    with pytest.raises(ValueError, match="2 resolutions"):
        desil.boundary_bins(con, sorted((work / "ringkasan").glob("*.parquet")), work / "bin_batas.parquet")


def test_the_rank_stage_publishes_the_windows_deciles(delivery_con, delivery_families, tmp_path):
    con = delivery_con
    con.execute(
        "CREATE TABLE keluarga_skor AS SELECT *, kode_prov || '01011001' AS kode_desa FROM read_parquet($f)",
        {"f": str(delivery_families)},
    )
    con.execute("CREATE TABLE keluarga AS SELECT * FROM keluarga_skor")
    con.execute("CREATE TABLE individu AS SELECT no_kk, 'x' AS nik FROM keluarga_skor")
    rank.rank_families(con, tmp_path)
    assert len(list((tmp_path / "skor").iterdir())) == 38
    got = dict(con.execute("SELECT no_kk, desil_nasional FROM keluarga_peringkat").fetchall())
    assert got == window(con)
    assert con.execute("SELECT count(*) FROM individu_peringkat").fetchall() == [(len(got),)]


def test_the_rank_stage_with_no_family(con, tmp_path):
    con.execute(
        "CREATE TABLE keluarga_skor (no_kk VARCHAR, kode_prov VARCHAR, kode_desa VARCHAR, "
        "skor_kesejahteraan DOUBLE, jumlah_anggota BIGINT)"
    )
    con.execute("CREATE TABLE individu (no_kk VARCHAR, nik VARCHAR)")
    rank.rank_families(con, tmp_path)
    assert con.execute("SELECT count(*) FROM keluarga_peringkat").fetchall() == [(0,)]
