"""The rank stage as steps over the run's partitions, for a flow to fan out (flows/peringkat.py).

A partition's families are those whose village the run's plan routes to it
(`partisi_desa(kode_desa)`, transforms/partisi.py). Each step takes a DuckDB connection and
paths and writes small Parquet files under the run's `ranked/`:

1. national, `fit_model`: the PMT model, fitted once on the survey sample (or reused, or the
   stored one when the sample is too small), in `ranked/model_pmt.json`;
2. per partition, `score_partition`: its families' inputs and scores
   (`ranked/partisi/<id>/keluarga_skor.parquet`), their decile summary (desil.py) and its
   families per province;
3. national, `national_bins` and `split_provinces`: the decile boundaries' bins, and the
   provinces whose families lie in more than one partition;
4. per partition, `partition_boundary`: its families in those bins; per split province,
   `rank_province`: the rank within the province, handed back to each of its partitions;
5. national, `national_cutoffs`: the nine decile cut-offs;
6. per partition, `publish_partition`: deciles, ranks and its published rows;
7. national, `gather`: `ranked/keluarga.parquet`, `ranked/individu.parquet` and the counts,
   with the stability against the previous snapshot (stabilitas.py) when the run was given
   one in `ranked/lalu/` (its families' deciles and scores, and its model): each partition
   scores its families with that model too, in step 2.

Why the result cannot depend on the split: the model is one, fitted or read once; a score
depends on its own family only; the deciles are the national window's (desil.py); a regency
lies in one partition (partitions hold whole regencies), so its window is local; a province
in several partitions is ranked by one window over all its families' (score, no_kk), the
order of the national window; the gathered tables are the partitions' sorted files one after another.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb

from transforms import partisi
from transforms.engine import copy_atomic, one_row, run_sql_file
from transforms.rank import PUBLISHED, SQL, choose_model, counts, desil, family_inputs, ranks, score, stabilitas
from transforms.rank import model as pmt
from transforms.standardize import RunPaths

# What a partition's later steps read of its scores: the decile and rank inputs and what is
# published of the score (the PMT inputs stay in the step).
SKOR = "no_kk, kode_prov, kode_desa, jumlah_anggota, skor_kesejahteraan, skor_log, kontribusi, masukan_hilang"
INDIVIDU = "SELECT * FROM individu_peringkat ORDER BY kode_prov, no_kk, nik"


def ranked_dir(paths: RunPaths) -> Path:
    return paths.run_dir / "ranked"


def model_file(paths: RunPaths) -> Path:
    return ranked_dir(paths) / "model_pmt.json"


def part_dir(paths: RunPaths, part: str) -> Path:
    """One partition's files (`part` is a plan's partition id: 32, 32-1, NASIONAL, LAIN)."""
    return ranked_dir(paths) / "partisi" / part


def national_dir(paths: RunPaths) -> Path:
    return ranked_dir(paths) / "nasional"


def score_file(paths: RunPaths, part: str) -> Path:
    return part_dir(paths, part) / "keluarga_skor.parquet"


def previous_dir(paths: RunPaths) -> Path:
    """The previous snapshot, as the run was given it (warehouse/previous.py writes it)."""
    return ranked_dir(paths) / "lalu"


def counterfactual_file(paths: RunPaths, part: str) -> Path:
    """A partition's families scored by the previous snapshot's model."""
    return part_dir(paths, part) / "skor_model_lalu.parquet"


def province_file(paths: RunPaths, part: str, kode_prov: str | None) -> Path:
    """A split province's ranks of one partition's families."""
    return part_dir(paths, part) / "provinsi" / f"{kode_prov or 'kosong'}.parquet"


def fit_model(con: duckdb.DuckDBPyConnection, paths: RunPaths, cutoff: dt.date, reuse: Path | None = None) -> dict:
    """National, once: the model every partition scores with (`choose_model`), written to
    `ranked/model_pmt.json`; its id and how it was chosen."""
    run_sql_file(con, SQL / "fitur.sql")
    con.execute(
        "CREATE OR REPLACE TABLE sampel AS SELECT * FROM read_parquet($f)", {"f": str(paths.standardized("susenas"))}
    )
    model, how = choose_model(con, reuse, sources=None if reuse else sample_in_sources(con, paths, cutoff))
    pmt.save(model, model_file(paths))
    return {"id": model["id"], "cara": how}


def sample_in_sources(con: duckdb.DuckDBPyConnection, paths: RunPaths, cutoff: dt.date) -> str:
    """`sampel_sumber`: per survey household (`id_sumber`) whose card is a published family,
    that family's inputs, built as every family's are: what the list scores it with."""
    unified = paths.run_dir / "unified"
    run_sql_file(
        con,
        SQL / "masukan_sampel.sql",
        {"keluarga": str(unified / "keluarga.parquet"), "individu": str(unified / "individu.parquet")},
    )
    member_attributes(con, paths)
    family_inputs(con, cutoff)
    con.execute(
        "CREATE OR REPLACE TABLE sampel_sumber AS "
        "SELECT s.id_sumber, m.* FROM sampel s JOIN keluarga_masukan m USING (no_kk)"
    )
    return "sampel_sumber"


def load_partition(con: duckdb.DuckDBPyConnection, paths: RunPaths, plan_file: Path, part: str) -> None:
    """`keluarga`, `individu` of the partition and `atribut_orang` of its members."""
    partisi.load(con, plan_file)
    unified = paths.run_dir / "unified"
    run_sql_file(
        con,
        SQL / "masukan_partisi.sql",
        {"keluarga": str(unified / "keluarga.parquet"), "individu": str(unified / "individu.parquet"), "partisi": part},
    )
    member_attributes(con, paths)


def member_attributes(con: duckdb.DuckDBPyConnection, paths: RunPaths) -> None:
    """`atribut_orang` of the members of `individu`, from the national links."""
    run_sql_file(
        con,
        SQL / "atribut_orang.sql",
        {
            "tautan": str(paths.run_dir / "matched" / "tautan_sumber.parquet"),
            "regsosek_anggota": str(paths.standardized("regsosek_anggota")),
            "p3ke_anggota": str(paths.standardized("p3ke_anggota")),
        },
    )


def score_partition(
    con: duckdb.DuckDBPyConnection, paths: RunPaths, plan_file: Path, part: str, cutoff: dt.date
) -> dict:
    """Per partition: its families scored with the national model, their decile summary and
    its families per province (what the national steps read)."""
    load_partition(con, paths, plan_file, part)
    run_sql_file(con, SQL / "fitur.sql")
    family_inputs(con, cutoff)
    score(con, pmt.load(model_file(paths)))
    folder = part_dir(paths, part)
    counterfactual_file(paths, part).unlink(missing_ok=True)  # none from a run given another previous snapshot
    if (previous_dir(paths) / "model_pmt.json").exists():
        previous = pmt.load(previous_dir(paths) / "model_pmt.json")
        stabilitas.counterfactual(con, previous, "keluarga_masukan", counterfactual_file(paths, part))
    shutil.rmtree(folder / "provinsi", ignore_errors=True)  # no split province of an earlier plan stays
    copy_atomic(con, f"SELECT {SKOR} FROM keluarga_skor", score_file(paths, part))
    desil.summarize(con, score_file(paths, part), folder / "ringkasan.parquet")
    copy_atomic(
        con,
        "SELECT $partisi::VARCHAR AS partisi, kode_prov, count(*) AS keluarga FROM keluarga_skor GROUP BY ALL",
        folder / "provinsi.parquet",
        {"partisi": part},
    )
    (families,) = one_row(con, "SELECT count(*) FROM keluarga_skor")
    return {"partisi": part, "keluarga": families}


def national_bins(con: duckdb.DuckDBPyConnection, paths: RunPaths, parts: list[str]) -> Path:
    """National: the bins of the nine decile boundaries, from every partition's summary."""
    ringkasan = [part_dir(paths, p) / "ringkasan.parquet" for p in parts]
    return desil.boundary_bins(con, ringkasan, national_dir(paths) / "bin_batas.parquet")


def split_provinces(con: duckdb.DuckDBPyConnection, paths: RunPaths, parts: list[str]) -> list[dict]:
    """National: the provinces whose families lie in more than one partition, each with its
    partitions ([{"kode_prov": "32", "partisi": ["32-1", "32-2"]}]). Read from the families'
    own kode_prov, not the plan: the rank is by that column."""
    rows = con.execute(
        (SQL / "provinsi_terbagi.sql").read_text(),
        {"provinsi": [str(part_dir(paths, p) / "provinsi.parquet") for p in parts]},
    ).fetchall()
    return [{"kode_prov": kode_prov, "partisi": list(split)} for kode_prov, split in rows]


def partition_boundary(con: duckdb.DuckDBPyConnection, paths: RunPaths, part: str) -> Path:
    """Per partition: its families in the boundary bins."""
    bins = national_dir(paths) / "bin_batas.parquet"
    return desil.boundary_families(con, score_file(paths, part), bins, part_dir(paths, part) / "keluarga_batas.parquet")


def rank_province(con: duckdb.DuckDBPyConnection, paths: RunPaths, kode_prov: str | None, parts: list[str]) -> dict:
    """Per split province: its rank over the scores of all its partitions, written back to
    each partition as the ranks of its own families."""
    files = {str(score_file(paths, p)): p for p in parts}
    run_sql_file(con, SQL / "peringkat_provinsi.sql", {"skor": list(files), "kode_prov": kode_prov})
    for name, part in files.items():
        copy_atomic(
            con,
            "SELECT no_kk, peringkat_provinsi FROM peringkat_provinsi_lintas WHERE filename = $f",
            province_file(paths, part, kode_prov),
            {"f": name},
        )
    (families,) = one_row(con, "SELECT count(*) FROM peringkat_provinsi_lintas")
    return {"kode_prov": kode_prov, "partisi": parts, "keluarga": families}


def national_cutoffs(con: duckdb.DuckDBPyConnection, paths: RunPaths, parts: list[str]) -> Path:
    """National: the nine cut-offs, from the boundary bins' families of every partition."""
    batas = [part_dir(paths, p) / "keluarga_batas.parquet" for p in parts]
    nasional = national_dir(paths)
    return desil.cutoffs(con, nasional / "bin_batas.parquet", batas, nasional / "batas.parquet")


def publish_partition(
    con: duckdb.DuckDBPyConnection, paths: RunPaths, part: str, provinces: list[str | None] | None = None
) -> dict:
    """Per partition: deciles from the cut-offs, ranks in regency and province, and its
    published rows. `provinces`: the split provinces with families here, whose ranks come
    from `rank_province` instead of this partition's window."""
    folder = part_dir(paths, part)
    batas = national_dir(paths) / "batas.parquet"
    deciles = desil.assign(con, score_file(paths, part), batas, folder / "desil.parquet")
    unified = paths.run_dir / "unified"
    run_sql_file(
        con,
        SQL / "peringkat_masukan.sql",
        {
            "skor": str(score_file(paths, part)),
            "keluarga": str(unified / "keluarga.parquet"),
            "individu": str(unified / "individu.parquet"),
        },
    )
    ranks(con, [deciles])
    if provinces:
        take_province_ranks(con, [province_file(paths, part, p) for p in provinces], provinces)
    copy_atomic(con, PUBLISHED, folder / "keluarga.parquet")
    copy_atomic(con, INDIVIDU, folder / "individu.parquet")
    (families,) = one_row(con, "SELECT count(*) FROM keluarga_peringkat")
    return {"partisi": part, "keluarga": families}


def take_province_ranks(con: duckdb.DuckDBPyConnection, files: list[Path], provinces: list[str | None]) -> None:
    """The split provinces' ranks in place of the partition's window; every family of those
    provinces must get one (a file of an earlier attempt would not fit)."""
    params = {"f": [str(f) for f in files]}
    con.execute(
        "UPDATE keluarga_peringkat SET peringkat_provinsi = l.peringkat_provinsi "
        "FROM read_parquet($f) l WHERE keluarga_peringkat.no_kk = l.no_kk",
        params,
    )
    given, families = one_row(
        con,
        "SELECT (SELECT count(*) FROM read_parquet($f) l SEMI JOIN keluarga_peringkat USING (no_kk)), "
        "(SELECT count(*) FROM keluarga_peringkat WHERE list_contains($p, kode_prov))",
        params | {"p": provinces},
    )
    if given != families:
        raise ValueError(
            f"{files[0].parent}: province ranks for {given} of {families} families of the split provinces; "
            "rank those provinces again (rank_province) before publishing the partition"
        )


def gather(con: duckdb.DuckDBPyConnection, paths: RunPaths, parts: list[str], how: str) -> dict:
    """National: every partition's published rows as `ranked/keluarga.parquet` and
    `ranked/individu.parquet` (the national order), and the counts for the manifest."""
    out = ranked_dir(paths)
    con.execute("SET preserve_insertion_order = true")  # the files' order (engine.connect drops it)
    for table in ("keluarga", "individu"):
        # each partition's rows are sorted (PUBLISHED, INDIVIDU) and the ids follow the province
        # codes: read one after another, they need no national sort
        files = [str(part_dir(paths, p) / f"{table}.parquet") for p in sorted(parts)]
        copy_atomic(con, "SELECT * FROM read_parquet($f)", out / f"{table}.parquet", {"f": files})
    check_every_family_ranked(con, paths, parts)
    return counts(con, out / "keluarga.parquet", pmt.load(model_file(paths)), how) | {
        "stabilitas": stability(con, paths, parts)
    }


def stability(con: duckdb.DuckDBPyConnection, paths: RunPaths, parts: list[str]) -> dict | None:
    """Families that changed decile since the previous snapshot, and why (stabilitas.py);
    None when the run was given none (the first snapshot)."""
    previous = previous_dir(paths)
    scored = [counterfactual_file(paths, p) for p in parts]
    if not (previous / "keluarga.parquet").exists() or not all(f.exists() for f in scored):
        return None
    source = json.loads((previous / "sumber.json").read_text())
    found = stabilitas.decompose(
        con,
        previous / "keluarga.parquet",
        ranked_dir(paths) / "keluarga.parquet",
        scored,
        ranked_dir(paths) / "stabilitas.parquet",
    )
    return {"terhadap": source["tag"], "model_lalu": source["model"]} | found


def check_every_family_ranked(con: duckdb.DuckDBPyConnection, paths: RunPaths, parts: list[str]) -> None:
    """Every unified family with a living member is published: a partition left out of
    `parts` would drop its families without a word."""
    unified = paths.run_dir / "unified"
    expected, published = one_row(
        con,
        "SELECT (SELECT count(*) FROM read_parquet($k) WHERE no_kk IN (SELECT no_kk FROM read_parquet($i))), "
        "(SELECT count(*) FROM read_parquet($r))",
        {
            "k": str(unified / "keluarga.parquet"),
            "i": str(unified / "individu.parquet"),
            "r": str(ranked_dir(paths) / "keluarga.parquet"),
        },
    )
    if expected != published:
        raise ValueError(
            f"{ranked_dir(paths) / 'keluarga.parquet'}: {published} families ranked of {expected} unified ones "
            f"in partitions {', '.join(parts)}; rank every partition of the run's plan (LAIN included)"
        )


def plan_parts(con: duckdb.DuckDBPyConnection, plan_file: Path) -> list[str]:
    """The partitions of a plan, to rank (`with_lain`)."""
    (parts,) = one_row(con, "SELECT coalesce(list(DISTINCT partisi), []) FROM read_parquet($f)", {"f": str(plan_file)})
    return with_lain(parts)


def with_lain(parts: list[str]) -> list[str]:
    """`parts` and LAIN, where `partisi_desa` sends a village of no planned province: its
    families must be ranked too. Not beside NASIONAL, which takes every village."""
    return list(parts) if partisi.NASIONAL in parts else sorted({*parts, partisi.LAIN})


def rank_all(
    con: duckdb.DuckDBPyConnection, paths: RunPaths, cutoff: dt.date, reuse: Path | None, plan_file: Path
) -> dict:
    """Every step in sequence on one connection, the partitions one after another."""
    parts = plan_parts(con, plan_file)
    how = fit_model(con, paths, cutoff, reuse)["cara"]
    for part in parts:
        score_partition(con, paths, plan_file, part, cutoff)
    national_bins(con, paths, parts)
    split = split_provinces(con, paths, parts)
    for part in parts:
        partition_boundary(con, paths, part)
    for province in split:
        rank_province(con, paths, province["kode_prov"], province["partisi"])
    national_cutoffs(con, paths, parts)
    for part in parts:
        publish_partition(con, paths, part, provinces_of(split, part))
    return gather(con, paths, parts, how)


def provinces_of(split: list[dict], part: str) -> list[str | None]:
    """The split provinces with families in `part`."""
    return [s["kode_prov"] for s in split if part in s["partisi"]]
