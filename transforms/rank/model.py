"""The PMT model: fitted on the survey sample with statsmodels, kept as a JSON file, applied in SQL.

Weighted least squares of ln(spending per person) on the variables of pmt.toml plus a
province effect, each family weighted by its size so that the fit speaks for persons (the
sample is a simple random sample of families); or, when its out-of-sample targeting error is
better beyond the bootstrap interval (galat.py), quantile regression at the 40th percentile
on the same design; or gradient boosting (pohon.py), scored outside SQL. The linear two
are scored by the same SQL; for every estimator each group's contributions sum, with the
konstanta, to the log score (`scored`). The file holds everything needed to score
and to audit: coefficients, standard errors, the sample means used for missing inputs,
fit statistics, sample size. Its `id` is a hash of what scores, so a manifest names the
exact model a ranking came from.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tomllib
from pathlib import Path
from typing import cast

import duckdb
import numpy as np
import pandas as pd

from transforms.rank import pohon

HERE = Path(__file__).parent
CONFIG = HERE / "pmt.toml"
TARGET = "ln(pengeluaran_per_kapita)"


def config(path: Path = CONFIG) -> dict:
    return tomllib.loads(path.read_text())


def variables(cfg: dict) -> list[str]:
    return [v for group in cfg["kelompok"].values() for v in group]


# The estimators a model can be fitted with (galat.py cross-validates each on the same folds):
# weighted least squares, the default; and the 40th percentile's quantile regression, which
# puts its weight where the desil 1-4 cut-off is (Brown, Ravallion and van de Walle 2018).
# And gradient boosting (pohon.py), whose contributions come from its trees, not from SQL.
WLS, KUANTIL_40, BOOSTING = "wls", "kuantil_40", pohon.BOOSTING
METODE = {
    WLS: "WLS (statsmodels), bobot = jumlah_art",
    KUANTIL_40: "regresi kuantil q=0,4 (program linear, SciPy HiGHS), bobot = jumlah_art",
    BOOSTING: "gradient boosting (LightGBM), bobot = jumlah_art",
}


def fit(con: duckdb.DuckDBPyConnection, sample: str, cfg: dict, metode: str = WLS) -> dict:
    """Fit on `sample` (a table with the survey columns) with the estimator `metode`; return
    the model as a dict. Either estimator gives coefficients the same SQL scores with."""
    names = variables(cfg)
    if metode == BOOSTING:
        return with_id(trees(con, sample, cfg))
    import statsmodels.api as sm  # here: 1.7 s of every process's start, and only fitting needs it

    df = con.execute(
        f"SELECT kode_prov, jumlah_art, ln(pengeluaran_per_kapita) AS y, {', '.join(names)} "
        f"FROM fitur_pmt('{sample}') WHERE pengeluaran_per_kapita > 0"
    ).df()
    complete = df.dropna()
    counts = complete["kode_prov"].value_counts()
    # pandas-stubs type a Series' index labels as Hashable; kode_prov is VARCHAR, so they are str.
    own = sorted(cast(str, p) for p, n in counts.items() if n >= cfg["minimum_sampel_provinsi"])
    reference, provinces = (own[0], own[1:]) if own else (None, [])
    x = complete[names].astype(float)
    # A variable nobody in the sample varies on (no motor boats in a small sample) cannot be
    # estimated: it scores 0 and is listed, rather than making the fit singular.
    constant = [v for v in names if x[v].nunique() <= 1]
    x = x.drop(columns=constant)
    for p in provinces:
        x[f"prov_{p}"] = (complete["kode_prov"] == p).astype(float)
    x = sm.add_constant(x, has_constant="add")
    y, w = complete["y"].astype(float), complete["jumlah_art"].astype(float)
    params, se, stats = _estimate(metode, y, x, w)
    model = {
        "target": TARGET,
        "metode": METODE[metode],
        "penduga": metode,
        "konstanta": float(params["const"]),
        "koefisien": {v: float(params.get(v, 0.0)) for v in names},
        "efek_provinsi": {p: float(params[f"prov_{p}"]) for p in provinces},
        "provinsi_acuan": reference,
        "galat_baku": {v: float(se[v]) for v in names if v in se and not np.isnan(se[v])}
        | ({"konstanta": float(se["const"])} if not np.isnan(se["const"]) else {}),
        "rerata": {v: float(np.average(complete[v].astype(float), weights=complete["jumlah_art"])) for v in names},
        "kelompok": cfg["kelompok"],
        "statistik": stats
        | {
            "n": len(complete),
            "dibuang_tidak_lengkap": int(len(df) - len(complete)),
            "tanpa_variasi": constant,
            "provinsi_sendiri": len(own),
            "provinsi_dalam_sampel": int(df["kode_prov"].nunique()),
        },
        "dibuat": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    return with_id(model)


def trees(con: duckdb.DuckDBPyConnection, sample: str, cfg: dict) -> dict:
    """The boosted trees on the groups' variables in the order `score_sql` lists them, and
    the expected value as the model's konstanta (konstanta + contributions = log score)."""
    ordered = [v for g in sorted(cfg["kelompok"]) for v in cfg["kelompok"][g]]
    model = pohon.fit(con, sample, cfg, ordered)
    return model | {"konstanta": pohon.expected_value(model)}


def quantile_regression(y: np.ndarray, x: np.ndarray, w: np.ndarray, q: float) -> np.ndarray:
    """Weighted quantile regression as a linear programme, solved by HiGHS (SciPy) in its
    dual form: max y'd subject to x'd = 0 and -(1 - q) w <= d <= q w; the coefficients are
    the duals of its equality constraints (those of the primal, min sum w (q u + (1 - q) v)
    with x b + u - v = y). The dual has p constraints instead of n: 0.3 s on the 1M sample
    against 4 s for the primal; statsmodels' QuantReg takes no weights."""
    from scipy import optimize, sparse

    result = optimize.linprog(
        -y,
        A_eq=sparse.csr_matrix(x.T),
        b_eq=np.zeros(x.shape[1]),
        bounds=list(zip(-(1 - q) * w, q * w)),
        method="highs",
    )
    if not result.success:
        raise RuntimeError(f"quantile regression did not solve: {result.message}")
    return -np.asarray(result.eqlin.marginals)


def _estimate(metode: str, y, x, w) -> tuple:
    """Coefficients, standard errors and fit statistics of one estimator."""
    import statsmodels.api as sm

    if metode == WLS:
        result = sm.WLS(y, x, weights=w).fit()
        stats = {
            "r2": float(result.rsquared),
            "r2_disesuaikan": float(result.rsquared_adj),
            "sigma": float(np.sqrt(result.scale)),
        }
        return result.params, result.bse, stats
    if metode == KUANTIL_40:
        params = quantile_regression(y.to_numpy(), x.to_numpy(), w.to_numpy(), 0.4)
        resid = y.to_numpy() - x.to_numpy() @ params
        r2 = 1 - np.average(resid**2, weights=w) / np.average((y - np.average(y, weights=w)) ** 2, weights=w)
        # The linear programme gives no standard errors (a bootstrap would); none are claimed.
        nan = pd.Series(np.nan, index=x.columns)
        return pd.Series(params, index=x.columns), nan, {"r2": float(r2)}
    raise ValueError(f"unknown estimator {metode!r}; known: {', '.join(METODE)}")


def with_id(model: dict) -> dict:
    """`id`: a hash of everything that changes a score (not the date it was fitted)."""
    if model.get("penduga") == BOOSTING:
        return model | {"id": f"pmt-{pohon.model_id(model)}"}
    scoring = {k: model[k] for k in ("konstanta", "koefisien", "efek_provinsi", "rerata", "kelompok")}
    digest = hashlib.sha256(json.dumps(scoring, sort_keys=True).encode()).hexdigest()[:12]
    return model | {"id": f"pmt-{digest}"}


def save(model: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(model, indent=1, sort_keys=True))
    tmp.replace(path)
    return path


class ModelFileError(ValueError):
    """A model file that cannot score: missing, not this project's JSON, or changed by hand."""


# What scoring reads from a model file; `statistik` is what the manifest reports of it.
SCORING_KEYS = ("konstanta", "koefisien", "efek_provinsi", "rerata", "kelompok", "provinsi_acuan", "statistik", "id")
TREE_KEYS = ("penduga", "konstanta", "pohon", "fitur", "kelompok", "statistik", "id")


def keys_of(model: dict) -> tuple[str, ...]:
    return TREE_KEYS if model.get("penduga") == BOOSTING else SCORING_KEYS


def scoring(model: dict) -> dict:
    """What a model file must hold to score (and `load` accepts): no fit diagnostics."""
    return {k: model[k] for k in keys_of(model)}


def load(path: Path) -> dict:
    """The model in `path`, if it can score the families: every key scoring reads, a number
    for every variable it names, only variables `fitur_pmt` computes (they become SQL
    identifiers), and an `id` that still matches its coefficients."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file; pass a run's ranked/model_pmt.json")
    try:
        model = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ModelFileError(
            f"{path}: not a JSON model file ({type(e).__name__} at character "
            f"{getattr(e, 'pos', '?')}); pass a run's ranked/model_pmt.json"
        ) from None
    if not isinstance(model, dict):
        raise ModelFileError(f"{path}: not a model file (a JSON object is expected)")
    missing = [k for k in keys_of(model) if k not in model]
    if missing:
        raise ModelFileError(f"{path}: key {missing[0]!r} is missing; this is not a model file this project wrote")
    known = set(variables(config()))
    for group, names in model["kelompok"].items():
        for name in names:
            if name not in known:
                raise ModelFileError(f"{path}: group {group!r} names {name!r}, which is no PMT variable")
            for key in ("koefisien", "rerata") if model.get("penduga") != BOOSTING else ():
                if not isinstance(model[key].get(name), (int, float)):
                    raise ModelFileError(f"{path}: {key}.{name} is missing or not a number")
    if model.get("penduga") == BOOSTING and not set(model["fitur"]) <= {
        v for g in model["kelompok"].values() for v in g
    }:
        raise ModelFileError(f"{path}: the trees read a variable none of the model's groups holds")
    if with_id(model)["id"] != model["id"]:
        raise ModelFileError(
            f"{path}: the model's id does not match its coefficients; the file was changed by "
            "hand or is damaged. Fit a new model, or restore the file."
        )
    return model


# ---------------------------------------------------------------------------- scoring SQL
# Variable names are identifiers checked against the `fitur_pmt` columns; every number
# (coefficients, means, province effects) reaches SQL as a parameter.


def term_sql(variable: str) -> str:
    """One variable's part of the log score, a missing input counted at the sample mean."""
    return f"$b_{variable} * coalesce({variable}, $rerata_{variable})"


def group_sql(model: dict, group: str) -> str:
    terms = [term_sql(v) for v in model["kelompok"][group]]
    if group == "wilayah":
        terms.append("coalesce(pv.efek, 0.0)")
    return " + ".join(terms) or "0.0"


def score_sql(model: dict, families: str) -> str:
    """Per family: each group's contribution in log points, the log score, the score, and
    which inputs were missing. konstanta + the contributions = ln(skor_kesejahteraan).
    Needs the table `pmt_provinsi` (kode_prov, efek) from `register`."""
    # Sorted: a sum of floats depends on its order, and a model read back from its file
    # must score to the last bit as the one fitted.
    groups = sorted(model["kelompok"])
    contributions = ", ".join(f"{g} := {group_sql(model, g)}" for g in groups)
    missing = ", ".join(f"CASE WHEN f.{v} IS NULL THEN '{v}' END" for g in groups for v in model["kelompok"][g])
    total = " + ".join(f"kontribusi.{g}" for g in groups)
    return f"""
        SELECT *, $konstanta + {total} AS skor_log, exp($konstanta + {total}) AS skor_kesejahteraan
        FROM (
            SELECT f.*, struct_pack({contributions}) AS kontribusi,
                list_filter([{missing},
                             CASE WHEN pv.kode_prov IS NULL AND f.kode_prov IS DISTINCT FROM $provinsi_acuan
                                  THEN 'provinsi' END],
                            lambda m: m IS NOT NULL) AS masukan_hilang
            FROM fitur_pmt('{families}') f
            LEFT JOIN pmt_provinsi pv ON pv.kode_prov = f.kode_prov
        )"""


def scored(con: duckdb.DuckDBPyConnection, model: dict, families: str, explain: bool = True) -> tuple[str, dict]:
    """A query of `families` scored by `model`, and its parameters: the SQL of the linear
    models, or the trees' table (scored in Python, pohon.py) read back; without `explain`,
    the trees give the score and not its parts (what a cross-validation needs)."""
    if model.get("penduga") == BOOSTING:
        return f"SELECT * FROM {pohon.score_into(con, model, families, f'pmt_pohon_{families}', explain)}", {}
    return score_sql(model, families), register(con, model)


def register(con: duckdb.DuckDBPyConnection, model: dict) -> dict:
    """The province effects as a table, and the parameters `score_sql` names."""
    con.execute("CREATE OR REPLACE TEMP TABLE pmt_provinsi (kode_prov VARCHAR, efek DOUBLE)")
    if model["efek_provinsi"]:
        con.executemany("INSERT INTO pmt_provinsi VALUES (?, ?)", list(model["efek_provinsi"].items()))
    names = [v for g in model["kelompok"].values() for v in g]
    return (
        {f"b_{v}": model["koefisien"][v] for v in names}
        | {f"rerata_{v}": model["rerata"][v] for v in names}
        | {"konstanta": model["konstanta"], "provinsi_acuan": model["provinsi_acuan"]}
    )
