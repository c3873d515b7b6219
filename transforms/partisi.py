"""The partitions of a run: what match, unify and rank split the country into.

A partition is a province (the first two digits of the village code). A province with more
registry persons than `partition_max_persons` is split into groups of whole regencies, in
order of their codes, each group as large as the limit allows (a regency larger than the
limit is a group alone): Jawa Barat does not make one straggler beside Kalimantan Utara.
Provinces of fewer than `partition_min_persons` are grouped with the next whole provinces
in code order (`61..65`), so that small ones do not each pay a partition's fixed cost.
With `partitions=one` the whole country is one partition, `NASIONAL`: the reference run a
split is checked against.

The plan is decided once per run from the registry (`dukcapil_penduduk`) and written to the
run folder (`partisi.parquet`: one row per regency); every stage routes rows by it with the
macro `partisi_desa(kode_desa)`. A village in no planned regency goes to its province's
first partition, and a code of no known province to `LAIN`, so every row has one.

What a partition holds, stage by stage, and why no result depends on the split, is
docs/partisi.md.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from transforms.engine import copy_atomic, sql_path

NASIONAL = "NASIONAL"
LAIN = "LAIN"  # a row whose place names no known province
PLAN_FILE = "partisi.parquet"  # the plan, in the run folder

PLAN_SQL = """
WITH kab AS (
    SELECT left(kode_desa, 2) AS kode_prov, left(kode_desa, 4) AS kode_kab, count(*) AS orang
    FROM read_parquet($penduduk)
    WHERE kode_desa IS NOT NULL AND length(kode_desa) >= 4
    GROUP BY ALL
), prov AS (
    SELECT *, sum(orang) OVER (PARTITION BY kode_prov) AS orang_prov FROM kab
)
SELECT kode_prov, kode_kab, orang, orang_prov FROM prov ORDER BY kode_kab
"""


def plan(
    con: duckdb.DuckDBPyConnection,
    penduduk: Path,
    out: Path,
    max_persons: int,
    single: bool,
    min_persons: int = 0,
) -> list[dict]:
    """Decide the partitions from the registry; write them to `out`; return one dict per
    partition (id, regencies, registry persons), in order of id. Provinces of fewer than
    `min_persons` are grouped with the next ones in code order (`61..65`): a partition's
    fixed cost (a task per stage, its files) is paid once per group, not per small province."""
    rows = con.execute(PLAN_SQL, {"penduduk": str(penduduk)}).fetchall()
    if single:
        assigned = [(prov, kab, NASIONAL, orang) for prov, kab, orang, _ in rows]
    else:
        assigned = _split_large(rows, max_persons)
        assigned = _group_small(assigned, min_persons)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE rencana_partisi "
        "(kode_prov VARCHAR, kode_kab VARCHAR, partisi VARCHAR, orang BIGINT)"
    )
    if assigned:
        con.executemany("INSERT INTO rencana_partisi VALUES (?, ?, ?, ?)", assigned)
    copy_atomic(con, "SELECT * FROM rencana_partisi ORDER BY kode_kab", out)
    parts: dict[str, dict] = {}
    for _, _kab, part, orang in assigned:
        p = parts.setdefault(part, {"partisi": part, "kabupaten": 0, "orang": 0})
        p["kabupaten"] += 1
        p["orang"] += orang
    if not parts:  # no registry person: one partition, so that every stage still runs once
        parts[NASIONAL if single else LAIN] = {"partisi": NASIONAL if single else LAIN, "kabupaten": 0, "orang": 0}
    return [parts[k] for k in sorted(parts)]


def _split_large(rows: list[tuple], max_persons: int) -> list[tuple[str, str, str, int]]:
    """Each regency's partition: its province's, or for a province above `max_persons` a
    group of its regencies (`32-1`, `32-2`) of at most that many (a larger regency alone)."""
    assigned: list[tuple[str, str, str, int]] = []  # kode_prov, kode_kab, partisi, orang
    group: dict[str, tuple[int, int]] = {}  # province -> (current group number, persons in it)
    for kode_prov, kode_kab, orang, orang_prov in rows:
        if orang_prov <= max_persons:
            part = kode_prov
        else:
            number, size = group.get(kode_prov, (1, 0))
            if size and size + orang > max_persons:
                number, size = number + 1, 0
            group[kode_prov] = (number, size + orang)
            part = f"{kode_prov}-{number}"
        assigned.append((kode_prov, kode_kab, part, orang))
    return assigned


def _group_small(assigned: list[tuple[str, str, str, int]], min_persons: int) -> list[tuple[str, str, str, int]]:
    """Whole provinces (not split) in code order, gathered into groups of at least
    `min_persons`; a last group short of it joins the one before. A group never reaches
    over a split province: the partitions' ids, sorted, follow the province codes (the
    gathered tables are the partitions' files in that order)."""
    persons: dict[str, int] = {}
    split: set[str] = set()
    for prov, _, part, orang in assigned:
        if part == prov:
            persons[prov] = persons.get(prov, 0) + orang
        else:
            split.add(prov)
    runs: list[list[list[str]]] = [[]]  # runs of consecutive whole provinces, each in groups
    for prov in sorted(persons.keys() | split):
        if prov in split:
            runs.append([])
            continue
        groups = runs[-1]
        if not groups or sum(persons[p] for p in groups[-1]) >= min_persons:
            groups.append([])
        groups[-1].append(prov)
    for groups in runs:
        if len(groups) > 1 and sum(persons[p] for p in groups[-1]) < min_persons:
            groups[-2].extend(groups.pop())
    groups = [g for run in runs for g in run]
    name = {p: (g[0] if len(g) == 1 else f"{g[0]}..{g[-1]}") for g in groups for p in g}
    return [(prov, kab, name.get(part, part), orang) for prov, kab, part, orang in assigned]


def plan_file(run_dir: Path) -> Path:
    """Where a run keeps its plan."""
    return run_dir / PLAN_FILE


def load(con: duckdb.DuckDBPyConnection, plan_file: Path) -> None:
    """The macro `partisi_desa(kode_desa)`: the partition a village code belongs to."""
    con.execute("CREATE OR REPLACE TEMP TABLE peta_partisi AS SELECT * FROM read_parquet($f)", {"f": str(plan_file)})
    single = con.execute("SELECT count(*) > 0 FROM peta_partisi WHERE partisi = $n", {"n": NASIONAL}).fetchall()[0][0]
    con.execute("SET VARIABLE peta_kab = (SELECT map(list(kode_kab), list(partisi)) FROM peta_partisi)")
    con.execute(
        "SET VARIABLE peta_prov = (SELECT map(list(kode_prov), list(partisi)) "
        "FROM (SELECT kode_prov, min(partisi) AS partisi FROM peta_partisi GROUP BY ALL))"
    )
    if single:
        con.execute(f"CREATE OR REPLACE TEMP MACRO partisi_desa(kode) AS '{NASIONAL}'")
        return
    con.execute(
        "CREATE OR REPLACE TEMP MACRO partisi_desa(kode) AS coalesce("
        "getvariable('peta_kab')[left(kode, 4)], getvariable('peta_prov')[left(kode, 2)], "
        f"'{LAIN}')"
    )


def write_by_partition(con: duckdb.DuckDBPyConnection, select_sql: str, out: Path, params: dict | None = None) -> None:
    """`select_sql` (with a `partisi` column) written as one folder per partition under `out`
    (`out/partisi=<id>/`), replacing what an earlier attempt left there."""
    import shutil

    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    con.execute(
        f"COPY ({select_sql}) TO '{sql_path(out)}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (partisi), "
        "WRITE_PARTITION_COLUMNS true)",
        params or None,
    )


def nik_buckets(parts: list[dict], persons_per_bucket: int) -> int:
    """How many NIK buckets matching uses (transforms/match/ember.py): enough that none holds
    more than `persons_per_bucket` registry persons; one for the one-partition run."""
    if [p["partisi"] for p in parts] == [NASIONAL]:
        return 1
    persons = sum(p["orang"] for p in parts)
    return max(1, -(-persons // persons_per_bucket))
