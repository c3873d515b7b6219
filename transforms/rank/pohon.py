"""Gradient boosting as a PMT estimator (LightGBM), a candidate beside the linear models.

Trees fit what a linear model cannot (a floor area that matters only in towns, a head's
schooling that matters more in a large family); whether that lowers the targeting error is
for the cross-validation to say (galat.py). A family's score still comes apart into its
groups' contributions: LightGBM's `pred_contrib` gives each feature's exact additive part
(TreeSHAP) and the expected value, which sum to the raw score, the log score. The province
is one categorical feature and counts in the `wilayah` group, as the linear model's effect
does. A missing input takes the branch the trees learnt for it (no sample mean).

Trees do not score in SQL: the families' features are read from `fitur_pmt` in Arrow
batches, scored here, and handed back to DuckDB as a table with the columns `score_sql`
gives (model.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:  # imported where trees are fitted or read: 0.7 s of every process's start
    import lightgbm as lgb

BOOSTING = "boosting"
PROVINSI = "kode_prov"


def design(table: pa.Table, names: list[str]) -> np.ndarray:
    """The features in the model's order, a missing input NaN, the province as its number."""
    columns = [table[v].to_numpy(zero_copy_only=False).astype(float) for v in names]
    prov = pc.cast(table[PROVINSI], pa.float64()).to_numpy(zero_copy_only=False)
    columns.append(prov)
    return np.column_stack(columns) if columns else np.empty((table.num_rows, 0))


def fit(con: duckdb.DuckDBPyConnection, sample: str, cfg: dict, names: list[str]) -> dict:
    """Trees of ln(spending per person) on the PMT variables and the province, households
    weighted by their members; the model as a dict that `score` reads."""
    table = con.sql(
        f"SELECT kode_prov, jumlah_art, ln(pengeluaran_per_kapita) AS y, {', '.join(names)} "
        f"FROM fitur_pmt('{sample}') WHERE pengeluaran_per_kapita > 0"
    ).to_arrow_table()
    x, y = design(table, names), table["y"].to_numpy()
    w = table["jumlah_art"].to_numpy().astype(float)
    settings = cfg.get("boosting", {})
    params = {
        "objective": "regression",
        "learning_rate": settings.get("laju", 0.05),
        "num_leaves": settings.get("daun", 15),
        "min_data_in_leaf": settings.get("minimum_daun", 40),
        "deterministic": True,
        "force_row_wise": True,
        "num_threads": 1,  # one model per fold, the folds on the connection's threads
        "seed": settings.get("benih", 20),
        "verbose": -1,
    }
    import lightgbm as lgb

    data = lgb.Dataset(x, label=y, weight=w, feature_name=[*names, PROVINSI], categorical_feature=[len(names)])
    booster = lgb.train(params, data, num_boost_round=settings.get("pohon", 300))
    resid = y - booster.predict(x, raw_score=True)
    r2 = 1 - np.average(resid**2, weights=w) / np.average((y - np.average(y, weights=w)) ** 2, weights=w)
    return {
        "target": "ln(pengeluaran_per_kapita)",
        "metode": "gradient boosting (LightGBM), bobot = jumlah_art",
        "penduga": BOOSTING,
        "pohon": booster.model_to_string(),
        "fitur": names,
        "kelompok": cfg["kelompok"],
        "statistik": {"r2": float(r2), "n": len(y), "pohon": booster.num_trees()},
        "dibuat": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def model_id(model: dict) -> str:
    """A hash of what scores: the trees, the features' order and the groups."""
    scoring = {k: model[k] for k in ("pohon", "fitur", "kelompok")}
    return hashlib.sha256(json.dumps(scoring, sort_keys=True).encode()).hexdigest()[:12]


def _group_of(model: dict) -> dict[str, str]:
    owner = {v: g for g, names in model["kelompok"].items() for v in names}
    return owner | {PROVINSI: "wilayah"}


def score_arrow(model: dict, table: pa.Table, booster: lgb.Booster | None = None, explain: bool = True) -> pa.Table:
    """`table` (fitur_pmt's columns) with kontribusi (per group, log points), masukan_hilang,
    skor_log and skor_kesejahteraan; konstanta (the expected value) + kontribusi = skor_log.
    Without `explain`, the log score and the score only: TreeSHAP's contributions cost some
    45 times the prediction, and the cross-validation needs no explanation."""
    booster = booster or _booster(model)
    names, n = model["fitur"], table.num_rows
    x = design(table, names)
    if not explain:
        skor = np.asarray(booster.predict(x, raw_score=True)) if n else np.zeros(0)
        return table.append_column("skor_log", pa.array(skor, pa.float64())).append_column(
            "skor_kesejahteraan", pa.array(np.exp(skor), pa.float64())
        )
    width = len(names) + 2  # each feature, the province, and the expected value
    contrib = np.asarray(booster.predict(x, pred_contrib=True)).reshape(n, width) if n else np.zeros((0, width))
    owner = _group_of(model)
    groups = sorted(model["kelompok"])
    parts = {g: np.zeros(n) for g in groups}
    for i, feature in enumerate([*names, PROVINSI]):
        parts[owner[feature]] += contrib[:, i]
    skor_log = contrib.sum(axis=1)
    # which inputs were missing, in the model's order, the province last (as score_sql lists them)
    absent = np.isnan(x)
    _, cols = np.nonzero(absent)
    labels = np.array([*names, "provinsi"], dtype=object)
    offsets = np.concatenate([[0], np.cumsum(absent.sum(axis=1))]).astype(np.int32)
    missing = pa.ListArray.from_arrays(pa.array(offsets), pa.array(labels[cols], pa.string()))
    return (
        table.append_column("kontribusi", pa.StructArray.from_arrays([pa.array(parts[g]) for g in groups], groups))
        .append_column("masukan_hilang", missing)
        .append_column("skor_log", pa.array(skor_log))
        .append_column("skor_kesejahteraan", pa.array(np.exp(skor_log)))
    )


def _booster(model: dict) -> lgb.Booster:
    import lightgbm as lgb

    return lgb.Booster(model_str=model["pohon"])


def expected_value(model: dict) -> float:
    """The bias column of `pred_contrib`: the same for every family, the model's konstanta."""
    booster = _booster(model)
    row = np.full((1, len(model["fitur"]) + 1), np.nan)
    return float(np.asarray(booster.predict(row, pred_contrib=True))[0, -1])


def score_into(con: duckdb.DuckDBPyConnection, model: dict, families: str, name: str, explain: bool = True) -> str:
    """`name`: a temporary table of `families` scored by the trees, batch by batch through a
    Parquet file in DuckDB's temporary folder (the reader holds the connection until it is
    drained, and a partition's families are never all in Python at once)."""
    import pyarrow.parquet as pq

    booster = _booster(model)
    folder = con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0]
    reader = con.sql(f"SELECT * FROM fitur_pmt('{families}')").to_arrow_reader(100_000)
    # the run's spill folder where the connection has one (engine.connect), else the system's
    with tempfile.TemporaryDirectory(dir=folder if folder and Path(folder).is_dir() else None) as tmp:
        path = Path(tmp) / "skor_pohon.parquet"
        schema = score_arrow(model, reader.schema.empty_table(), booster, explain).schema
        with pq.ParquetWriter(path, schema) as out:
            for batch in reader:
                out.write_table(score_arrow(model, pa.Table.from_batches([batch]), booster, explain))
        reader.close()
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM read_parquet($f)", {"f": str(path)})
    return name
