"""Ranking: a welfare score per published family (PMT), national deciles, regional ranks.

The model is fitted on the run's survey sample, or a fitted model is reused (a file);
a sample too small to fit falls back to the stored model. Scoring, deciles and ranks are
set-based SQL over the unified families: no Python loop over families. The national deciles
come from per-partition summaries (`desil`), exactly the deciles of one national window.
The stage runs as steps over the run's partitions (`per_partisi`, fanned out by
flows/peringkat.py); `rank` runs them in one process, the whole country as one partition.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb

from transforms import partisi
from transforms.engine import copy_atomic, one_row, run_sql_file, sql_path
from transforms.rank import desil, galat
from transforms.rank import model as pmt
from transforms.standardize import RunPaths

SQL = Path(__file__).parent / "sql"


def family_inputs(con: duckdb.DuckDBPyConnection, cutoff: dt.date) -> str:
    """`keluarga_masukan`: every published family in the survey's shape."""
    run_sql_file(con, SQL / "keluarga_masukan.sql", {"cutoff": cutoff})
    return "keluarga_masukan"


FITTED = "dilatih pada sampel"


def choose_model(
    con: duckdb.DuckDBPyConnection, reuse: Path | None = None, cfg: dict | None = None, sources: str | None = None
) -> tuple[dict, str]:
    """The model to score with, and how it was chosen: reused, fitted on the sample, or the
    stored one when the sample is too small to fit. `sources`: the survey households'
    families as the sources describe them, for the input error (galat.py)."""
    cfg = cfg or pmt.config()
    if reuse is not None:
        return pmt.load(reuse), f"dipakai ulang: {Path(reuse).name}"
    n = con.execute("SELECT count(*) FROM sampel").fetchall()[0][0]
    if n < cfg["minimum_sampel"]:
        return pmt.load(pmt.HERE / cfg["model_cadangan"]), f"cadangan: sampel {n} < {cfg['minimum_sampel']}"
    # The estimator is chosen by its out-of-sample error; the figures go into the model file,
    # outside its id (they describe the fit, they do not score).
    validated = galat.cross_validate(con, "sampel", cfg, sources)
    return pmt.fit(con, "sampel", cfg, validated["penduga"]) | {"validasi_silang": validated}, FITTED


def score(con: duckdb.DuckDBPyConnection, model: dict) -> str:
    """`keluarga_skor`: score, log score and each group's contribution per family."""
    query, params = pmt.scored(con, model, "keluarga_masukan")
    con.execute(f"CREATE OR REPLACE TABLE keluarga_skor AS {query}", params)
    return "keluarga_skor"


def score_partitions(con: duckdb.DuckDBPyConnection, out: Path) -> list[str]:
    """The scored families split by province under `out`, one folder each: the partitions
    of the national deciles (a glob per partition, in order of province)."""
    shutil.rmtree(out, ignore_errors=True)  # no province of an earlier attempt stays
    out.mkdir(parents=True)
    con.execute(
        "COPY (SELECT no_kk, kode_prov, skor_kesejahteraan, jumlah_anggota FROM keluarga_skor) "
        f"TO '{sql_path(out)}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (kode_prov))"
    )
    parts = [str(p / "*.parquet") for p in sorted(out.iterdir())]
    if not parts:  # no family: one empty partition, and no decile to give
        copy_atomic(con, "SELECT no_kk, skor_kesejahteraan, jumlah_anggota FROM keluarga_skor", out / "kosong.parquet")
        parts = [str(out / "kosong.parquet")]
    return parts


def rank_families(con: duckdb.DuckDBPyConnection, work: Path) -> str:
    """`keluarga_peringkat` and `individu_peringkat` of the families of `keluarga_skor`, all
    in one connection: the deciles from per-province summaries (`desil`), the national
    window's to the family; `work` holds their files."""
    return ranks(con, desil.national_deciles(con, score_partitions(con, work / "skor"), work))


def ranks(con: duckdb.DuckDBPyConnection, deciles: list[Path]) -> str:
    """`keluarga_peringkat` (deciles, ranks) and `individu_peringkat` (members' deciles) of
    the families of `keluarga_skor`, their deciles read from `deciles` (no_kk, desil_nasional)."""
    run_sql_file(con, SQL / "peringkat.sql", {"desil": [str(p) for p in deciles]})
    return "keluarga_peringkat"


# The published family: unified columns, then the ranking; the PMT inputs stay in the run.
PUBLISHED = """
    SELECT k.*, p.skor_kesejahteraan, p.desil_nasional, p.peringkat_provinsi, p.peringkat_kabupaten,
        p.skor_log, p.kontribusi, p.masukan_hilang
    FROM keluarga k JOIN keluarga_peringkat p USING (no_kk)
    ORDER BY k.kode_prov, k.no_kk
"""


def _small(model: dict) -> dict | None:
    """The model's scoring part for the manifest, unless it is trees (hundreds of kB: the
    next run reads them from this run's model file instead, warehouse/previous.py)."""
    return None if model.get("penduga") == pmt.BOOSTING else pmt.scoring(model)


def counts(con: duckdb.DuckDBPyConnection, keluarga: Path, model: dict, how: str) -> dict:
    """For the manifest: the model, the missing inputs, and the decile shares, of the
    published families (`keluarga`, ranked/keluarga.parquet)."""
    f = {"f": str(keluarga)}
    missing = dict(
        con.execute(
            "SELECT m, count(*) FROM (SELECT unnest(masukan_hilang) AS m FROM read_parquet($f)) GROUP BY m ORDER BY m",
            f,
        ).fetchall()
    )
    shares = dict(
        con.execute(
            "SELECT desil_nasional, "
            "round(sum(jumlah_anggota) / (SELECT sum(jumlah_anggota) FROM read_parquet($f)), 5) "
            "FROM read_parquet($f) GROUP BY ALL ORDER BY ALL",
            f,
        ).fetchall()
    )
    families, with_missing = one_row(
        con, "SELECT count(*), count(*) FILTER (WHERE len(masukan_hilang) > 0) FROM read_parquet($f)", f
    )
    return {
        # what scores (pmt.SCORING_KEYS): the next snapshot scores its families with it too,
        # to say which changed decile by their own inputs (stabilitas.py)
        "model": {"id": model["id"], "cara": how, "statistik": model["statistik"], "skor": _small(model)},
        # Only for a model fitted on this run's sample: a reused file's figure was measured
        # on another survey, and the stored fallback has none.
        "galat_penargetan": model.get("validasi_silang") if how == FITTED else None,
        "keluarga": families,
        "keluarga_dengan_masukan_hilang": with_missing,
        "masukan_hilang_per_variabel": missing,
        "bagian_orang_per_desil": {str(k): v for k, v in shares.items()},
    }


def rank(con: duckdb.DuckDBPyConnection, paths: RunPaths, cutoff: dt.date, reuse: Path | None = None) -> dict:
    """All steps, the whole country as one partition; outputs under the run's `ranked/`;
    returns the counts. A partitioned run fans the same steps out (`per_partisi`)."""
    return rank_planned(con, paths, cutoff, reuse, single_plan(con, paths))


def rank_planned(
    con: duckdb.DuckDBPyConnection, paths: RunPaths, cutoff: dt.date, reuse: Path | None, plan_file: Path
) -> dict:
    """All steps on the partitions of `plan_file` (transforms/partisi.py), one after another."""
    from transforms.rank import per_partisi  # it builds on this module

    return per_partisi.rank_all(con, paths, cutoff, reuse, plan_file)


def single_plan(con: duckdb.DuckDBPyConnection, paths: RunPaths) -> Path:
    """A plan of one partition, NASIONAL, beside the ranking (the run's own plan stays)."""
    out = paths.run_dir / "ranked" / "partisi_satu.parquet"
    partisi.plan(con, paths.standardized("dukcapil_penduduk"), out, max_persons=1, single=True)
    return out


def explain(run_dir: Path, no_kk: str) -> dict | None:
    """One family's score taken apart (for objections and audits): the model's constant and
    each variable group's contribution in log points, which sum to ln(skor_kesejahteraan),
    and the inputs that were missing. None when the run did not rank that KK."""
    con = duckdb.connect()
    cur = con.execute(
        "SELECT no_kk, kode_desa, jumlah_anggota, skor_kesejahteraan, skor_log, desil_nasional, "
        "peringkat_provinsi, peringkat_kabupaten, kontribusi, masukan_hilang FROM read_parquet($f) WHERE no_kk = $kk",
        {"f": str(run_dir / "ranked" / "keluarga.parquet"), "kk": no_kk},
    )
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    if not rows:
        return None
    family = dict(zip(names, rows[0]))
    model = pmt.load(run_dir / "ranked" / "model_pmt.json")
    return family | {"model": model["id"], "konstanta": model["konstanta"]}
