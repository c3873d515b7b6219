"""The targeting error, out of sample: how many of the poorest a list by desil misses.

The survey sample is the only place where true spending is known, so the error is measured
there, by k-fold cross-validation:

- folds by village (`kode_desa`, a hash of the code): neighbours share what the model does
  not see, and a village split between fitting and scoring would flatter the figure;
- the whole model is fitted again on the other folds (`model.fit`, province effects and the
  sample means for missing inputs included) and scores the held-out households with the
  code the families are scored with (`model.scored`);
- the held-out scores of all folds are pooled, and the errors are population-weighted (a
  household weighs its members): for a programme taking the poorest share q by score, the
  exclusion error is the share of the truly poorest q (by true spending) it leaves out, the
  inclusion error the share of those it takes who are not among them (as `akurasi.py`
  measures against a synthetic delivery's truth);
- the 95% interval comes from a bootstrap over villages: the held-out households of
  villages drawn with replacement, the scores kept (the folds are not refitted).

What it cannot see: the survey's inputs are the interviewer's, the families' come from the
sources, with their staleness and errors; this figure is the model's error alone.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import duckdb
import numpy as np
import pandas as pd

from transforms.rank import model as pmt

# The programmes' cut-offs: desil 1-2, 1-4 and 1-5 take the poorest 20, 40 and 50% of persons.
PROGRAM = {"desil_1_2": 0.2, "desil_1_4": 0.4, "desil_1_5": 0.5}


def assign_folds(con: duckdb.DuckDBPyConnection, sample: str, k: int, out: str = "sampel_lipatan") -> str:
    """`out`: the sample's households that can be scored against their spending, each with
    its fold (0..k-1), one fold per village: md5 of the code, stable across runs and versions.
    A table of the connection's database, not a temporary one: every fold's cursor reads it."""
    con.execute(
        f"CREATE OR REPLACE TABLE {out} AS SELECT *, (md5_number(kode_desa) % $k)::INT AS lipatan "
        f"FROM {sample} WHERE pengeluaran_per_kapita > 0 AND kode_desa IS NOT NULL",
        {"k": k},
    )
    return out


def held_out(con: duckdb.DuckDBPyConnection, sample: str, cfg: dict, k: int, metode: str = pmt.WLS) -> pd.DataFrame:
    """Per household of `sample` (survey columns, `fitur_pmt` registered): its fold, weight,
    log true spending and the log score of the model `metode` fitted without its fold; in the
    order of `id_sumber`, so that every estimator's households line up."""
    return held_out_all(con, sample, cfg, k, [metode])[metode]


def held_out_all(
    con: duckdb.DuckDBPyConnection, sample: str, cfg: dict, k: int, methods: list[str]
) -> dict[str, pd.DataFrame]:
    """`held_out` of every estimator, one (estimator, fold) fit per job on the connection's
    threads: each job a cursor of its own (its own temporary views and province effects)."""
    folds = assign_folds(con, sample, k)
    threads = int(con.execute("SELECT current_setting('threads')").fetchall()[0][0])
    jobs = [(m, j) for m in methods for j in range(k)]
    with ThreadPoolExecutor(max_workers=max(1, min(threads, len(jobs)))) as pool:
        parts = list(pool.map(lambda job: _one_fold(con.cursor(), folds, cfg, *job), jobs))
    return {
        m: pd.concat(
            [p for (pm, _), p in zip(jobs, parts) if pm == m and p is not None], ignore_index=True
        ).sort_values("id_sumber", ignore_index=True)
        for m in methods
    }


def _one_fold(cur: duckdb.DuckDBPyConnection, folds: str, cfg: dict, metode: str, j: int) -> pd.DataFrame | None:
    """The households of fold `j` scored by `metode` fitted on the other folds."""
    with cur:
        cur.execute(f"CREATE TEMP VIEW cv_latih_{j} AS SELECT * FROM {folds} WHERE lipatan <> {j}")
        cur.execute(f"CREATE TEMP VIEW cv_uji_{j} AS SELECT * FROM {folds} WHERE lipatan = {j}")
        if cur.execute(f"SELECT count(*) FROM cv_uji_{j}").fetchall()[0][0] == 0:
            return None
        fitted = pmt.fit(cur, f"cv_latih_{j}", cfg, metode)
        query, params = pmt.scored(cur, fitted, f"cv_uji_{j}")
        return cur.execute(
            "SELECT id_sumber, kode_desa, lipatan, jumlah_art::DOUBLE AS w, ln(pengeluaran_per_kapita) AS y, "
            f"skor_log FROM ({query})",
            params,
        ).df()


def poorest(order: np.ndarray, w: np.ndarray, share: float) -> np.ndarray:
    """Which households are the poorest `share` of persons, `order` sorting them poorest
    first: those whose persons before them weigh less than the share (akurasi.py's rule)."""
    before = np.empty_like(w)
    before[order] = np.cumsum(w[order]) - w[order]
    return before < share * w.sum()


def errors(y: np.ndarray, score: np.ndarray, w: np.ndarray) -> dict[str, float]:
    """Population-weighted exclusion and inclusion error per programme, and Spearman, of
    selecting by `score` those who are poorest by `y`. Ties in either go to the lower index."""
    by_truth, by_score = np.lexsort((np.arange(len(y)), y)), np.lexsort((np.arange(len(y)), score))
    out: dict[str, float] = {"spearman": weighted_spearman(by_truth, by_score, w)}
    for name, q in PROGRAM.items():
        poor, chosen = poorest(by_truth, w, q), poorest(by_score, w, q)
        out[f"eksklusi_{name}"] = float(w[poor & ~chosen].sum() / w[poor].sum())
        out[f"inklusi_{name}"] = float(w[chosen & ~poor].sum() / w[chosen].sum())
    return out


def weighted_spearman(by_truth: np.ndarray, by_score: np.ndarray, w: np.ndarray) -> float:
    """Weighted Pearson correlation of the two weighted mid-ranks (a person's position)."""

    def midrank(order: np.ndarray) -> np.ndarray:
        r = np.empty_like(w)
        r[order] = np.cumsum(w[order]) - w[order] / 2
        return r

    a, b = midrank(by_truth), midrank(by_score)
    ma, mb = np.average(a, weights=w), np.average(b, weights=w)
    cov = np.average((a - ma) * (b - mb), weights=w)
    return float(cov / np.sqrt(np.average((a - ma) ** 2, weights=w) * np.average((b - mb) ** 2, weights=w)))


def village_draws(scored: pd.DataFrame, draws: int, seed: int) -> list[np.ndarray]:
    """Per draw, how many times each household's village was drawn (villages with replacement)."""
    _, village = np.unique(scored["kode_desa"].to_numpy(), return_inverse=True)
    n = int(village.max()) + 1
    rng = np.random.default_rng(seed)
    return [np.bincount(rng.integers(0, n, n), minlength=n)[village] for _ in range(draws)]


def drawn(scored: pd.DataFrame, draws: list[np.ndarray]) -> dict[str, np.ndarray]:
    """Every figure of `errors` on each draw of villages, the scores kept."""
    y, s, w = (scored[c].to_numpy(dtype=float) for c in ("y", "skor_log", "w"))
    figures: dict[str, list[float]] = {}
    for times in draws:
        keep = times > 0
        for key, value in errors(y[keep], s[keep], (w * times)[keep]).items():
            figures.setdefault(key, []).append(value)
    return {key: np.array(v) for key, v in figures.items()}


def interval(values: np.ndarray) -> list[float]:
    return [float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))]


def summary(scored: pd.DataFrame, draws: list[np.ndarray]) -> tuple[dict, dict[str, np.ndarray]]:
    """One estimator's figures with their 95% intervals, and the draws behind them."""
    point = errors(*(scored[c].to_numpy(dtype=float) for c in ("y", "skor_log", "w")))
    per_draw = drawn(scored, draws)
    figure = {
        "spearman": {"nilai": point["spearman"], "selang_95": interval(per_draw["spearman"])},
        "program": {
            name: {
                "bagian_termiskin": q,
                "galat_eksklusi": point[f"eksklusi_{name}"],
                "selang_eksklusi_95": interval(per_draw[f"eksklusi_{name}"]),
                "galat_inklusi": point[f"inklusi_{name}"],
                "selang_inklusi_95": interval(per_draw[f"inklusi_{name}"]),
            }
            for name, q in PROGRAM.items()
        },
    }
    return figure, per_draw


# The programme the choice of estimator is made for, and the default it must beat.
CHOICE_PROGRAMME, DEFAULT = "desil_1_4", pmt.WLS


def choose(figures: dict[str, dict]) -> tuple[str, str]:
    """The estimator to fit, and why: the default unless another's paired difference in the
    desil 1-4 exclusion error lies wholly below zero; of several such, the lowest error."""
    better = [m for m, f in figures.items() if m != DEFAULT and f["selisih_eksklusi_dari_bawaan_95"][1] < 0]
    if not better:
        return DEFAULT, f"{DEFAULT} (bawaan): tidak ada kandidat yang lebih baik di luar selang bootstrap"
    chosen = min(better, key=lambda m: figures[m]["program"][CHOICE_PROGRAMME]["galat_eksklusi"])
    return chosen, f"{chosen}: galat eksklusi desil 1-4 lebih rendah dari {DEFAULT} di luar selang bootstrap"


def cross_validate(con: duckdb.DuckDBPyConnection, sample: str, cfg: dict) -> dict:
    """Every candidate estimator of pmt.toml cross-validated on the same folds and the same
    village draws; the chosen one's figures, every candidate's, and why it was chosen.

    The default (WLS) is kept unless another estimator's desil 1-4 exclusion error is lower
    on 97.5% of the draws or more: the paired difference's interval lies wholly below zero."""
    settings = cfg.get("validasi", {})
    k, n_draws, seed = settings.get("lipatan", 5), settings.get("bootstrap", 200), settings.get("benih", 20)
    candidates = settings.get("kandidat", [DEFAULT])
    scored = held_out_all(con, sample, cfg, k, candidates)
    draws = village_draws(scored[DEFAULT], n_draws, seed)
    results = {m: summary(df, draws) for m, df in scored.items()}
    key = f"eksklusi_{CHOICE_PROGRAMME}"
    default_draws = results[DEFAULT][1][key]
    figures = {m: r[0] for m, r in results.items()}
    for figure, per_draw in results.values():
        figure["selisih_eksklusi_dari_bawaan_95"] = interval(per_draw[key] - default_draws)
    chosen, reason = choose(figures)
    return figures[chosen] | {
        "metode": f"validasi silang {k} lipatan menurut desa, model dilatih ulang tiap lipatan; "
        f"selang 95% dari bootstrap {n_draws} kali atas desa; berbobot jumlah_art",
        "lipatan": k,
        "rumah_tangga": len(scored[DEFAULT]),
        "desa": int(scored[DEFAULT]["kode_desa"].nunique()),
        "penduga": chosen,
        "alasan_pilihan": reason,
        "kandidat": figures,
    }
