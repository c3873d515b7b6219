"""The rank stage per partition: the published tables are those of one national rank, however
the country is split (one partition, provinces, provinces split into groups of regencies)."""

from __future__ import annotations

import datetime as dt
import gzip
import shutil
from pathlib import Path

import duckdb
import pytest

from dtsen.referensi import WILAYAH_KEMENDAGRI_2025
from synthetic import generate_delivery
from tests.gathered import assert_partitions_one_after_another
from tests.match.tabel import match_run
from tests.rank.test_desil import window
from tests.test_synthetic_through_standardize import standardize_all
from transforms import partisi, rank, unify
from transforms.engine import connect, copy_atomic, run_sql_file
from transforms.rank import model as pmt
from transforms.rank import per_partisi
from transforms.standardize import RunPaths

CUTOFF = dt.date(2026, 11, 17)
# Aceh (23 regencies), Bali (9) and Kalimantan Utara (5) of the real 2025 list: with 3,000
# persons, about 1,600, 1,200 and 200 registry persons.
PROVINCES = (b"11", b"51", b"65")
SPLIT_AT = 300  # persons per partition: Aceh and Bali split into groups of regencies, not Kaltara


def regions(out: Path) -> Path:
    lines = gzip.decompress(WILAYAH_KEMENDAGRI_2025.read_bytes()).split(b"\r\n")
    keep = [lines[0]] + [ln for ln in lines[1:] if ln[:2] in PROVINCES]
    out.write_bytes(b"\r\n".join(keep) + b"\r\n")
    return out


@pytest.fixture(scope="module")
def unified_run(tmp_path_factory) -> Path:
    """A generated delivery standardized, matched and unified: a run ready to rank."""
    root = tmp_path_factory.mktemp("peringkat")
    delivery = generate_delivery(root / "deliveries", 3_000, 11, CUTOFF, regions=regions(root / "wilayah.csv"))
    paths, _ = standardize_all(delivery, root)
    match_run(paths, connect("1GB"))
    unify.unify(connect("1GB"), paths, CUTOFF)
    return paths.run_dir


def copy_run(unified_run: Path, to: Path) -> RunPaths:
    """A run folder of its own for one way of ranking (the inputs only)."""
    shutil.copytree(unified_run, to, ignore=shutil.ignore_patterns("ranked"))
    return RunPaths(to)


def plan(paths: RunPaths, max_persons: int, single: bool = False) -> tuple[Path, list[str]]:
    out = paths.run_dir / "partisi.parquet"
    parts = partisi.plan(duckdb.connect(), paths.standardized("dukcapil_penduduk"), out, max_persons, single)
    return out, [p["partisi"] for p in parts]


def published(paths: RunPaths) -> dict[str, list[tuple]]:
    """Both published tables, every column, sorted: the partitions' files are gathered one after
    another (per_partisi.gather), so the rows' order follows the split; their content may not."""
    con, ranked = duckdb.connect(), paths.run_dir / "ranked"
    return {
        t: con.execute("SELECT * FROM read_parquet($f) ORDER BY ALL", {"f": str(ranked / f"{t}.parquet")}).fetchall()
        for t in ("keluarga", "individu")
    }


def ranked_three_ways(unified_run: Path, tmp_path: Path, reuse: Path | None = None) -> dict[str, tuple]:
    """The published tables and the counts of: the national rank (`rank.rank`), one
    partition per province, and provinces split into groups of regencies."""
    out = {}
    paths = copy_run(unified_run, tmp_path / "nasional")
    counts = rank.rank(connect("1GB"), paths, CUTOFF, reuse)
    out["nasional"] = (published(paths), counts, paths)
    for name, max_persons in (("provinsi", 10**9), ("kabupaten", SPLIT_AT)):
        paths = copy_run(unified_run, tmp_path / name)
        plan_file, _ = plan(paths, max_persons)
        counts = rank.rank_planned(connect("1GB"), paths, CUTOFF, reuse, plan_file)
        out[name] = (published(paths), counts, paths)
    return out


def test_the_published_tables_do_not_depend_on_the_split(unified_run, tmp_path):
    runs = ranked_three_ways(unified_run, tmp_path)
    # The splits are what they claim: three provinces, then two of them in several partitions.
    assert plan(runs["provinsi"][2], 10**9)[1] == ["11", "51", "65"]
    split = plan(runs["kabupaten"][2], SPLIT_AT)[1]
    assert sum(p.startswith("11-") for p in split) >= 3 and sum(p.startswith("51-") for p in split) >= 3
    assert "65" in split
    national, counts, _ = runs["nasional"]
    assert len(national["keluarga"]) > 700 and len(national["individu"]) > 2500
    for name in ("provinsi", "kabupaten"):
        tables, other_counts, _ = runs[name]
        assert tables["keluarga"] == national["keluarga"], name
        assert tables["individu"] == national["individu"], name
        assert other_counts == counts, name
    assert counts["keluarga"] == len(national["keluarga"])
    # Gathered without a national sort: the partitions' sorted files one after another, in
    # the order of their ids, which follows the province codes.
    ranked = runs["kabupaten"][2].run_dir / "ranked"
    for table in ("keluarga", "individu"):
        assert_partitions_one_after_another(ranked / "partisi", table, ranked / f"{table}.parquet")


def test_a_split_province_is_ranked_as_by_one_window(unified_run, tmp_path):
    paths = copy_run(unified_run, tmp_path / "kabupaten")
    plan_file, _ = plan(paths, SPLIT_AT)
    rank.rank_planned(connect("1GB"), paths, CUTOFF, None, plan_file)
    con = duckdb.connect()
    partisi.load(con, plan_file)
    con.execute(
        "CREATE TABLE hasil AS SELECT *, partisi_desa(kode_desa) AS partisi FROM read_parquet($f)",
        {"f": str(paths.run_dir / "ranked" / "keluarga.parquet")},
    )
    prov, kab, local = con.execute(
        """
        SELECT count(*) FILTER (WHERE peringkat_provinsi <> prov),
               count(*) FILTER (WHERE peringkat_kabupaten <> kab),
               -- what each partition alone would rank: the check must be able to see it
               count(*) FILTER (WHERE peringkat_provinsi <> bagian)
        FROM (
            SELECT *, row_number() OVER (PARTITION BY kode_prov ORDER BY skor_kesejahteraan, no_kk) AS prov,
                row_number() OVER (PARTITION BY left(kode_desa, 4) ORDER BY skor_kesejahteraan, no_kk) AS kab,
                row_number() OVER (PARTITION BY kode_prov, partisi ORDER BY skor_kesejahteraan, no_kk) AS bagian
            FROM hasil
        )
        """
    ).fetchall()[0]
    assert prov == 0 and kab == 0
    assert local > 100  # the province's window crosses partitions: a local rank would be wrong


def test_a_boosted_model_ranks_the_same_whatever_the_split_and_explains_each_family(unified_run, tmp_path):
    """A model of trees (pohon.py), as a reused file: scored outside SQL per partition, the
    same published tables however the country is split, and each family's contributions
    and the model's konstanta sum to its log score (`dtsen explain`)."""
    paths = copy_run(unified_run, tmp_path / "sampel")
    con = duckdb.connect()
    run_sql_file(con, rank.SQL / "fitur.sql")
    con.execute("CREATE TABLE sampel AS SELECT * FROM read_parquet($f)", {"f": str(paths.standardized("susenas"))})
    small = pmt.config() | {"boosting": {"minimum_daun": 5, "pohon": 40}}  # the small delivery's few households
    trees = pmt.save(pmt.fit(con, "sampel", small, pmt.BOOSTING), tmp_path / "pohon.json")
    runs = ranked_three_ways(unified_run, tmp_path, trees)
    national, counts, _ = runs["nasional"]
    assert counts["model"]["id"] == pmt.load(trees)["id"]
    for name in ("provinsi", "kabupaten"):
        assert runs[name][0] == national, name
    run_dir = runs["kabupaten"][2].run_dir
    families = duckdb.sql(f"SELECT no_kk, skor_log FROM '{run_dir}/ranked/keluarga.parquet'").fetchall()
    assert len({round(s, 9) for _, s in families}) > 10
    for no_kk, log_score in families[:50]:
        family = rank.explain(run_dir, no_kk)
        assert family is not None
        assert family["konstanta"] + sum(family["kontribusi"].values()) == pytest.approx(log_score, abs=1e-9)


def tie_model(path: Path) -> Path:
    """A model of a few scores: every family scores the same but for an earth floor and an
    urban village (and those inputs missing), so one score spans partitions and boundaries."""
    model = pmt.load(pmt.HERE / pmt.config()["model_cadangan"])
    model["koefisien"] = {v: 0.0 for v in model["koefisien"]} | {"lantai_tanah": -0.5, "perkotaan": 0.25}
    model["efek_provinsi"] = {}
    return pmt.save(pmt.with_id(model), path)


def test_ties_across_partitions_on_the_boundaries(unified_run, tmp_path):
    runs = ranked_three_ways(unified_run, tmp_path, tie_model(tmp_path / "seri.json"))
    national, counts, paths = runs["kabupaten"]
    assert national["keluarga"] == runs["nasional"][0]["keluarga"]
    assert national["individu"] == runs["nasional"][0]["individu"]
    assert counts == runs["nasional"][1]
    con = duckdb.connect()
    partisi.load(con, paths.run_dir / "partisi.parquet")
    con.execute(
        "CREATE TABLE keluarga AS SELECT *, partisi_desa(kode_desa) AS partisi FROM read_parquet($f)",
        {"f": str(paths.run_dir / "ranked" / "keluarga.parquet")},
    )
    assert con.execute("SELECT count(DISTINCT skor_kesejahteraan) FROM keluarga").fetchall()[0][0] <= 8
    # The national window's deciles (tests/rank/test_desil.py), and the ties it breaks by no_kk.
    assert dict(con.execute("SELECT no_kk, desil_nasional FROM keluarga").fetchall()) == window(con)
    spans = con.execute(
        "SELECT count(*) FROM (SELECT skor_kesejahteraan FROM keluarga GROUP BY ALL "
        "HAVING count(DISTINCT desil_nasional) > 1 AND count(DISTINCT partisi) > 1)"
    ).fetchall()[0][0]
    assert spans >= 2  # scores on boundaries, held by families of several partitions


def test_a_family_of_an_unplanned_village_is_ranked_in_lain_with_its_province(unified_run, tmp_path):
    # A family whose village is in no planned province (LAIN) but whose kode_prov is 65: its
    # province rank crosses the partitions 65 and LAIN, even with one partition per province.
    moved = copy_run(unified_run, tmp_path / "pindah").run_dir
    keluarga = moved / "unified" / "keluarga.parquet"
    con = duckdb.connect()
    copy_atomic(
        con,
        "SELECT * REPLACE (CASE WHEN no_kk = (SELECT min(no_kk) FROM read_parquet($f) WHERE kode_prov = '65') "
        "THEN '9901012001' ELSE kode_desa END AS kode_desa) FROM read_parquet($f)",
        keluarga,
        {"f": str(keluarga)},
    )
    runs = ranked_three_ways(moved, tmp_path)
    for name in ("provinsi", "kabupaten"):
        assert runs[name][0] == runs["nasional"][0], name
        assert runs[name][1] == runs["nasional"][1], name
    paths = runs["provinsi"][2]
    split = per_partisi.split_provinces(con, paths, per_partisi.plan_parts(con, paths.run_dir / "partisi.parquet"))
    assert split == [{"kode_prov": "65", "partisi": ["65", "LAIN"]}]
    lain = con.execute("SELECT count(*) FROM read_parquet($f)", {"f": str(per_partisi.score_file(paths, "LAIN"))})
    assert lain.fetchall() == [(1,)]


def test_a_partition_left_out_is_refused(unified_run, tmp_path):
    paths = copy_run(unified_run, tmp_path / "kurang")
    plan_file, _ = plan(paths, 10**9)
    con = connect("1GB")
    rank.rank_planned(con, paths, CUTOFF, None, plan_file)
    with pytest.raises(ValueError, match=r"families ranked of \d+ unified ones in partitions 11, 51"):
        per_partisi.gather(con, paths, ["11", "51"], "dilatih")


@pytest.mark.usefixtures("prefect_harness")
def test_the_tasks_on_a_task_runner_publish_the_same_and_resume(unified_run, tmp_path):
    from prefect import flow
    from prefect.task_runners import ThreadPoolTaskRunner

    from flows.peringkat import rank_partitioned

    single = copy_run(unified_run, tmp_path / "nasional")
    expected_counts = rank.rank(connect("1GB"), single, CUTOFF)
    paths = copy_run(unified_run, tmp_path / "kabupaten")
    _, parts = plan(paths, SPLIT_AT)

    reused: list[set[str]] = []  # per call (a flow's parameters are copies: not passed in)

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=2))
    def ranking() -> dict:
        reused.append(set())
        return rank_partitioned(str(paths.run_dir), CUTOFF, None, parts, reused[-1])

    assert ranking() == expected_counts and not reused[0]
    assert published(paths) == published(single)
    # Run again (a failed run resumed): every task is taken from the cache, and the same.
    assert ranking() == expected_counts
    assert {"rank-model", "rank-score", "rank-bins", "rank-boundary", "rank-province", "rank-cutoffs"} <= reused[1]
    assert {"rank-publish", "rank-gather"} <= reused[1]


def test_the_survey_households_in_the_sources_are_given_their_familys_inputs(unified_run, tmp_path):
    """For the input error (galat.py): each survey household whose card is a published
    family gets that family's inputs, built as the rank stage builds them, so the same model
    gives it the family's published score."""
    paths = copy_run(unified_run, tmp_path / "sampel")
    fallback = pmt.HERE / pmt.config()["model_cadangan"]
    rank.rank(connect("1GB"), paths, CUTOFF, reuse=fallback)
    con = duckdb.connect()
    run_sql_file(con, rank.SQL / "fitur.sql")
    con.execute("CREATE TABLE sampel AS SELECT * FROM read_parquet($f)", {"f": str(paths.standardized("susenas"))})
    sources = per_partisi.sample_in_sources(con, paths, CUTOFF)

    families = str(paths.run_dir / "unified" / "keluarga.parquet")
    expected = con.execute(
        "SELECT id_sumber, no_kk FROM sampel WHERE no_kk IN (SELECT no_kk FROM read_parquet($f)) ORDER BY id_sumber",
        {"f": families},
    ).fetchall()
    assert con.execute(f"SELECT id_sumber, no_kk FROM {sources} ORDER BY id_sumber").fetchall() == expected
    assert len(expected) >= 5
    model = pmt.load(fallback)
    query, params = pmt.scored(con, model, sources)
    mine = dict(con.execute(f"SELECT no_kk, skor_log FROM ({query})", params).fetchall())
    published = dict(
        con.execute(
            "SELECT no_kk, skor_log FROM read_parquet($f)", {"f": str(paths.run_dir / "ranked" / "keluarga.parquet")}
        ).fetchall()
    )
    assert mine and all(published[kk] == pytest.approx(s, abs=1e-12) for kk, s in mine.items())
