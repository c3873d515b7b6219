"""Benchmark: the cost model of the partitioned refresh, and the national refresh predicted by it.

    # fit on finished runs (each a DTSEN_HOME of one bench_refresh.py run)
    .venv/bin/python bench/bench_partisi.py --home /var/tmp/dtsen/hn1 --home /var/tmp/dtsen/hn10
    # predict a run of one delivery's plan on this machine (any runner, its workers share it)
    .venv/bin/python bench/bench_partisi.py --home ... --predict-home /var/tmp/dtsen/hd10
    # the national refresh (286M persons, the 38 provinces' 2024 populations) on N workers of C cores
    .venv/bin/python bench/bench_partisi.py --home ... --national --workers 4 16 64 --cores 2 8 32

Every task's duration comes from the run's own Prefect database (`$DTSEN_HOME/prefect/prefect.db`):
its start and end. A task's size is the registry persons of its partition (unify, rank), of its
NIK bucket (matching: the registry divided by the buckets), of its province file (DTKS), or of
the country (the national steps). Per kind of task, seconds = a + b * persons, by least squares
over every run given. A run is predicted wave by wave, in the flow's order (a wave's tasks run
at once, the next wave waits for all of them): the wave's tasks, longest first, each on the
worker that is free first (LPT); the national tasks alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import re
import sqlite3
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The flow's waves, in order: each a list of task kinds that run at once. A kind ending in
# `*` has one task per partition, bucket or file; the others are one task.
WAVES: list[list[str]] = [
    ["land"],
    ["standardize-reference"],
    ["standardize-dtks*", "standardize-dukcapil", "standardize-regsosek", "standardize-p3ke", "standardize-usulan",
     "standardize-susenas"],
    ["validate-baku"],
    ["plan-partitions"],
    ["match-shuffle"],
    ["match-nik*"],
    ["match-family*"],
    ["match-leftover*"],
    ["match-national"],
    ["carry-decisions"],
    ["unify-route"],
    ["unify-partition*"],
    ["unify-gather"],
    ["validate-terpadu"],
    ["rank-model"],
    ["rank-score*"],
    ["rank-bins"],
    ["rank-boundary*", "rank-province*"],
    ["rank-cutoffs"],
    ["rank-publish*"],
    ["rank-gather"],
    ["laju-padan"],
    ["validate-terbit"],
    ["content"],
    ["publish"],
]  # fmt: skip
BUCKETS = ("match-nik", "match-family", "match-leftover")
PARTITIONS = ("unify-partition", "rank-score", "rank-boundary", "rank-publish")


def _seconds(start: str, end: str) -> float:
    return (dt.datetime.fromisoformat(end) - dt.datetime.fromisoformat(start)).total_seconds()


def manifest_of(home: Path) -> dict:
    return json.loads(sorted(home.glob("runs/*/manifest.json"))[-1].read_text())


def kind_and_key(name: str) -> tuple[str, str | None]:
    """A task run's kind and its partition, bucket or file (`match-nik-3` -> match-nik, 3)."""
    for kind in (*BUCKETS, "rank-score", "rank-boundary", "rank-publish", "rank-province"):
        if name.startswith(kind + "-") and not re.fullmatch(rf"{kind}-[0-9a-f]{{3}}", name):
            return kind, name[len(kind) + 1 :]
    if name.startswith("standardize-dtks-"):  # dtks_32, or a group of small files dtks_61..dtks_65
        return "standardize-dtks", name.removeprefix("standardize-dtks-").replace("dtks_", "")
    m = re.fullmatch(r"(.+)-[0-9a-f]{3}", name)
    base = m.group(1) if m else name
    base = base.removesuffix("-nasional")  # standardize-<source>-nasional
    if base.startswith("validate-") or base.startswith("standardize-"):
        return base, None
    if name.startswith("unify-") and base not in ("unify-route", "unify-gather"):
        return "unify-partition", name[len("unify-") :]
    return base, None


def tasks_of(home: Path) -> list[dict]:
    """Every completed task of the home's last run: kind, key, persons, seconds."""
    manifest = manifest_of(home)
    parts = {p["partisi"]: p["orang"] for p in manifest["partisi"]}
    persons = sum(parts.values())
    buckets = manifest["padan"].get("ember_nik", len(parts))
    per_province = province_persons(home, manifest)
    con = sqlite3.connect(f"file:{home / 'prefect' / 'prefect.db'}?mode=ro", uri=True)
    rows = con.execute(
        "SELECT name, start_time, end_time FROM task_run WHERE state_name = 'Completed' AND start_time IS NOT NULL"
    ).fetchall()
    spans = [(dt.datetime.fromisoformat(a), dt.datetime.fromisoformat(b)) for _, a, b in rows]
    out = []
    for (name, start, end), span in zip(rows, spans, strict=True):
        kind, key = kind_and_key(name)
        if kind in BUCKETS:
            size = persons / buckets
        elif kind in PARTITIONS:
            size = parts.get(key or "", 0)
        elif kind == "standardize-dtks":  # a group's provinces are those between its first and last
            first, _, last = (key or "").partition("..")
            size = sum(n for code, n in per_province.items() if first <= code <= (last or first))
        elif kind == "rank-province":
            size = per_province.get(key or "", 0)
        else:
            size = persons
        seconds = _seconds(start, end)
        # This machine's seconds: a task that shared the two cores with another for all its
        # life had half of them (tasks run with every core DuckDB may use).
        out.append({"kind": kind, "key": key, "persons": size, "seconds": seconds / sharing(span, spans)})
    return out


def sharing(span: tuple[dt.datetime, dt.datetime], spans: list[tuple[dt.datetime, dt.datetime]]) -> float:
    """How many tasks ran, on average over `span`'s life, beside and including it."""
    start, end = span
    life = (end - start).total_seconds()
    if life <= 0:
        return 1.0
    overlap = sum(max(0.0, (min(end, e) - max(start, s)).total_seconds()) for s, e in spans)
    return max(1.0, overlap / life)


def province_persons(home: Path, manifest: dict) -> dict[str, int]:
    """Registry persons per province, from the run's plan."""
    import duckdb

    from transforms.partisi import plan_file

    run = plan_file(home / "runs" / manifest["run_id"])
    return dict(duckdb.sql(f"SELECT kode_prov, sum(orang)::BIGINT FROM '{run}' GROUP BY ALL").fetchall())


def fit(tasks: list[dict]) -> dict[str, tuple[float, float, int]]:
    """Per kind: (a seconds, b seconds per million persons, observations)."""
    by_kind: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for t in tasks:
        by_kind[t["kind"]].append((t["persons"] / 1e6, t["seconds"]))
    model = {}
    for kind, obs in sorted(by_kind.items()):
        x = np.array([o[0] for o in obs])
        y = np.array([o[1] for o in obs])
        if len(set(x.round(6))) < 2:  # one size only: the cost per person through the origin
            b = float(y.sum() / max(x.sum(), 1e-9))
            model[kind] = (0.0, b, len(obs))
            continue
        a, b = np.linalg.lstsq(np.vstack([np.ones_like(x), x]).T, y, rcond=None)[0]
        model[kind] = (max(float(a), 0.0), max(float(b), 0.0), len(obs))
    return model


def predict(model: dict, wave_tasks: list[list[tuple[str, float]]], workers: int, cores: int | None) -> float:
    """Seconds of a run: each wave's tasks (kind, million persons), longest first, each on the
    worker free first, a worker of `cores` cores running one task at a time. `cores` None:
    the workers share this machine, whose two cores a wave keeps busy: its seconds add up."""
    total = 0.0
    for tasks in wave_tasks:
        machine = [model[k][0] + model[k][1] * m for k, m in tasks if k in model]
        if cores is None:
            total += sum(machine)
            continue
        durations = sorted((d / speedup(cores) for d in machine), reverse=True)
        free = [0.0] * max(1, workers)
        for d in durations:
            i = free.index(min(free))
            free[i] += d
        total += max(free) if durations else 0.0
    return total


def run_waves(plan: list[dict], buckets: int, provinces: dict[str, float], split: list[str]) -> list[list]:
    """The waves of one run: its partitions (`plan`: partisi, orang), NIK buckets, provinces
    (DTKS files) and the provinces split over partitions."""
    persons = sum(p["orang"] for p in plan) / 1e6
    waves = []
    for wave in WAVES:
        tasks = []
        for kind in wave:
            if kind == "standardize-dtks*":
                tasks += [("standardize-dtks", n / 1e6) for n in provinces.values()]
            elif kind.rstrip("*") in BUCKETS:
                tasks += [(kind.rstrip("*"), persons / buckets)] * buckets
            elif kind.rstrip("*") in PARTITIONS:
                tasks += [(kind.rstrip("*"), p["orang"] / 1e6) for p in plan]
            elif kind == "rank-province*":
                tasks += [("rank-province", provinces[k] / 1e6) for k in split]
            else:
                tasks.append((kind, persons))
        waves.append(tasks)
    return waves


def national_plan(max_persons: int, min_persons: int) -> tuple[list[dict], dict[str, float], list[str]]:
    """The national partitions by the project's own planner, from the 38 provinces' 2024
    populations (synthetic/provinsi.py) with their regencies taken as equal in size."""
    from synthetic.provinsi import PROVINSI
    from transforms import partisi

    rows = []
    for p in PROVINSI:
        people, regencies = int(p.juta * 1e6), p.kab + p.kota
        for r in range(regencies):
            rows.append((f"{p.kode}", f"{p.kode}{r + 1:02d}", people // regencies, people))
    assigned = partisi._group_small(partisi._split_large(rows, max_persons), min_persons)
    plan: dict[str, int] = defaultdict(int)
    for _, _, part, orang in assigned:
        plan[part] += orang
    provinces = {f"{p.kode}": p.juta * 1e6 for p in PROVINSI}
    split = sorted({prov for prov, _, part, _ in assigned if "-" in part})
    return [{"partisi": k, "orang": v} for k, v in sorted(plan.items())], provinces, split


def speedup(cores: int) -> float:
    """A task's seconds on this 2-core machine, on a worker of `cores` cores of its own:
    DuckDB's scans, joins and sorts taken to scale as cores^0.8 (80% per doubling)."""
    return (cores / 2) ** 0.8


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--home", type=Path, action="append", required=True, help="a finished run's DTSEN_HOME")
    ap.add_argument("--predict-home", type=Path, help="a home whose run's plan (partisi.parquet) to predict")
    ap.add_argument("--national", action="store_true")
    ap.add_argument("--workers", type=int, nargs="+", default=[2])
    ap.add_argument("--cores", type=int, nargs="+", default=[2])
    ap.add_argument("--max-persons", type=int, default=5_000_000)
    ap.add_argument("--min-persons", type=int, default=1_000_000)
    ap.add_argument("--bucket-persons", type=int, default=2_000_000)
    args = ap.parse_args()

    tasks = [t for h in args.home for t in tasks_of(h)]
    model = fit(tasks)
    print("| task | a (s) | b (s per million persons) | tasks measured |\n|---|---|---|---|")
    for kind, (a, b, n) in model.items():
        print(f"| {kind} | {a:.2f} | {b:.2f} | {n} |")
    for h in args.home:
        m = manifest_of(h)
        plan = [{"partisi": p["partisi"], "orang": p["orang"]} for p in m["partisi"]]
        provinces = province_persons(h, m)
        split = sorted({k for k, v in provinces.items() if sum(1 for p in plan if p["partisi"].startswith(k)) > 1})
        waves = run_waves(plan, m["padan"].get("ember_nik", 1), provinces, split)
        got = sum(v for k, v in m["seconds"].items())
        print(f"\n{h}: stages {got:.0f} s measured, {predict(model, waves, 2, None):.0f} s fitted")
    if args.predict_home:
        m = manifest_of(args.predict_home)
        plan = [{"partisi": p["partisi"], "orang": p["orang"]} for p in m["partisi"]]
        provinces = province_persons(args.predict_home, m)
        waves = run_waves(plan, m["padan"].get("ember_nik", 1), provinces, [])
        print(f"\npredicted for {args.predict_home} on this machine: {predict(model, waves, 2, None):.0f} s of stages")
    if args.national:
        plan, provinces, split = national_plan(args.max_persons, args.min_persons)
        persons = sum(p["orang"] for p in plan)
        buckets = math.ceil(persons / args.bucket_persons)
        waves = run_waves(plan, buckets, provinces, split)
        print(
            f"\nnational: {persons / 1e6:.0f}M persons, {len(plan)} partitions "
            f"(largest {max(p['orang'] for p in plan) / 1e6:.1f}M), {buckets} NIK buckets, {len(split)} provinces split"
        )
        print("| workers \\ cores | " + " | ".join(str(c) for c in args.cores) + " |")
        print("|---|" + "---|" * len(args.cores))
        for w in args.workers:
            cells = [f"{predict(model, waves, w, c) / 60:.0f} min" for c in args.cores]
            print(f"| {w} | " + " | ".join(cells) + " |")
        alone = [[t] for wave in waves for t in wave if len(wave) == 1]
        cells = [f"{predict(model, alone, 1, c) / 60:.0f} min" for c in args.cores]
        print("| of which the national steps (one task each) | " + " | ".join(cells) + " |")
        biggest = sorted(
            ((model[k][0] + model[k][1] * m, k) for wave in waves for k, m in wave if k in model), reverse=True
        )[:5]
        print("\nlongest tasks on this machine: " + ", ".join(f"{k} {d / 60:.0f} min" for d, k in biggest))


if __name__ == "__main__":
    main()
