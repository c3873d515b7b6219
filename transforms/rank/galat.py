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
  villages drawn with replacement, the scores kept (the folds are not refitted);
- the input error: the survey's inputs are the interviewer's, the families' come from the
  sources, with their staleness and errors. A survey household whose family card (`no_kk`)
  is a published family's is scored a second time, by the same fold's model, with that
  family's inputs (built as every family's are, `keluarga_masukan.sql`). The published
  figures are those households' with the sources' inputs: what the list does to them.
  Beside them, the model's error alone (every household, survey inputs) and the paired
  difference on the same households (what the sources' inputs cost).

What it cannot see: a family no source holds is on no list at all (the survey households
not found in the sources bound that from above, with the cards copied wrong); and a source
family matched to the wrong survey household by a miscopied card counts against the model.
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


def held_out(
    con: duckdb.DuckDBPyConnection, sample: str, cfg: dict, k: int, metode: str = pmt.WLS, sources: str | None = None
) -> pd.DataFrame:
    """Per household of `sample` (survey columns, `fitur_pmt` registered): its fold, weight,
    log true spending and the log score of the model `metode` fitted without its fold; in the
    order of `id_sumber`, so that every estimator's households line up. `skor_log_sumber`:
    the same model's score of the household's family as the sources describe it (`sources`,
    a table of families' inputs by the survey's `id_sumber`), NaN when it has none."""
    return held_out_all(con, sample, cfg, k, [metode], sources)[metode]


def held_out_all(
    con: duckdb.DuckDBPyConnection, sample: str, cfg: dict, k: int, methods: list[str], sources: str | None = None
) -> dict[str, pd.DataFrame]:
    """`held_out` of every estimator, one (estimator, fold) fit per job on the connection's
    threads: each job a cursor of its own (its own temporary views and province effects)."""
    folds = assign_folds(con, sample, k)
    threads = int(con.execute("SELECT current_setting('threads')").fetchall()[0][0])
    jobs = [(m, j) for m in methods for j in range(k)]
    with ThreadPoolExecutor(max_workers=max(1, min(threads, len(jobs)))) as pool:
        parts = list(pool.map(lambda job: _one_fold(con.cursor(), folds, cfg, job[0], job[1], sources), jobs))
    return {
        m: pd.concat(
            [p for (pm, _), p in zip(jobs, parts) if pm == m and p is not None], ignore_index=True
        ).sort_values("id_sumber", ignore_index=True)
        for m in methods
    }


def _one_fold(
    cur: duckdb.DuckDBPyConnection, folds: str, cfg: dict, metode: str, j: int, sources: str | None
) -> pd.DataFrame | None:
    """The households of fold `j` scored by `metode` fitted on the other folds, by their
    survey inputs and, where the sources have their family, by the sources' inputs."""
    with cur:
        cur.execute(f"CREATE TEMP VIEW cv_latih_{j} AS SELECT * FROM {folds} WHERE lipatan <> {j}")
        cur.execute(f"CREATE TEMP VIEW cv_uji_{j} AS SELECT * FROM {folds} WHERE lipatan = {j}")
        if cur.execute(f"SELECT count(*) FROM cv_uji_{j}").fetchall()[0][0] == 0:
            return None
        fitted = pmt.fit(cur, f"cv_latih_{j}", cfg, metode)
        query, params = pmt.scored(cur, fitted, f"cv_uji_{j}", explain=False)
        held = cur.execute(
            "SELECT id_sumber, kode_desa, lipatan, jumlah_art::DOUBLE AS w, ln(pengeluaran_per_kapita) AS y, "
            f"skor_log FROM ({query})",
            params,
        ).df()
        held["skor_log_sumber"] = np.nan
        if sources is None:
            return held
        cur.execute(
            f"CREATE TEMP VIEW cv_sumber_{j} AS SELECT * FROM {sources} "
            f"WHERE id_sumber IN (SELECT id_sumber FROM cv_uji_{j})"
        )
        query, params = pmt.scored(cur, fitted, f"cv_sumber_{j}", explain=False)
        by_source = dict(cur.execute(f"SELECT id_sumber, skor_log FROM ({query})", params).fetchall())
        held["skor_log_sumber"] = held["id_sumber"].map(by_source).astype(float)
        return held


def before(order: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Per household, the persons before it when `order` sorts households poorest first,
    for each row of weights `w` (draws x households). A household of weight 0 counts for
    nothing, so one order serves every draw of villages."""
    out = np.empty_like(w)
    ordered = w[:, order]
    out[:, order] = np.cumsum(ordered, axis=1) - ordered
    return out


def errors_drawn(y: np.ndarray, score: np.ndarray, w: np.ndarray) -> dict[str, np.ndarray]:
    """Population-weighted exclusion and inclusion error per programme, and Spearman, of
    selecting by `score` those who are poorest by `y`, for each row of weights `w` (draws x
    households). Ties in either go to the lower index. The poorest share q of persons are the
    households whose persons before them weigh less than q of all (akurasi.py's rule)."""
    w = np.atleast_2d(w)
    index = np.arange(len(y))
    by_truth, by_score = before(np.lexsort((index, y)), w), before(np.lexsort((index, score)), w)
    total = w.sum(axis=1, keepdims=True)
    out: dict[str, np.ndarray] = {"spearman": weighted_spearman(by_truth + w / 2, by_score + w / 2, w)}
    for name, q in PROGRAM.items():
        poor, chosen = by_truth < q * total, by_score < q * total
        out[f"eksklusi_{name}"] = (w * (poor & ~chosen)).sum(axis=1) / (w * poor).sum(axis=1)
        out[f"inklusi_{name}"] = (w * (chosen & ~poor)).sum(axis=1) / (w * chosen).sum(axis=1)
    return out


def errors(y: np.ndarray, score: np.ndarray, w: np.ndarray) -> dict[str, float]:
    """`errors_drawn` for one set of weights."""
    return {key: float(v[0]) for key, v in errors_drawn(y, score, w).items()}


def weighted_spearman(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted Pearson correlation of two weighted mid-ranks (a person's position: the
    persons before the household and half its own), per row of weights."""
    total = w.sum(axis=1, keepdims=True)

    def mean(v: np.ndarray) -> np.ndarray:
        return (v * w).sum(axis=1, keepdims=True) / total

    da, db = a - mean(a), b - mean(b)
    return (mean(da * db) / np.sqrt(mean(da**2) * mean(db**2)))[:, 0]


def village_draws(scored: pd.DataFrame, draws: int, seed: int) -> np.ndarray:
    """Per draw, how many times each household's village was drawn (villages with
    replacement): draws x households."""
    _, village = np.unique(scored["kode_desa"].to_numpy(), return_inverse=True)
    n = int(village.max()) + 1
    rng = np.random.default_rng(seed)
    return np.stack([np.bincount(rng.integers(0, n, n), minlength=n)[village] for _ in range(draws)])


def interval(values: np.ndarray) -> list[float]:
    return [float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))]


def summary(y: np.ndarray, score: np.ndarray, w: np.ndarray, draws: np.ndarray) -> tuple[dict, dict[str, np.ndarray]]:
    """The figures of selecting by `score`, with their 95% intervals, and the draws behind them."""
    point = errors(y, score, w)
    per_draw = errors_drawn(y, score, w * draws)
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


def estimate(
    scored: pd.DataFrame, draws: np.ndarray, in_sources: np.ndarray | None
) -> tuple[dict, dict[str, np.ndarray]]:
    """One estimator's published figures and their draws. With `in_sources` (the households
    whose family the sources hold), those households scored by the sources' inputs: what
    the list does to them; beside it the model's error alone (every household, the survey's
    inputs) and what the sources' inputs cost (the same households, both ways, paired)."""
    y, score, w = (scored[c].to_numpy(dtype=float) for c in ("y", "skor_log", "w"))
    survey, survey_draws = summary(y, score, w, draws)
    if in_sources is None:
        return survey | {"masukan": "survei"}, survey_draws
    y, w, draws = y[in_sources], w[in_sources], draws[:, in_sources]
    published, per_draw = summary(y, scored["skor_log_sumber"].to_numpy(dtype=float)[in_sources], w, draws)
    same, same_draws = summary(y, score[in_sources], w, draws)
    key = f"eksklusi_{CHOICE_PROGRAMME}"
    cost = (
        published["program"][CHOICE_PROGRAMME]["galat_eksklusi"] - same["program"][CHOICE_PROGRAMME]["galat_eksklusi"]
    )
    return published | {
        "masukan": "sumber",
        "tanpa_galat_masukan": survey,
        "galat_masukan_eksklusi_desil_1_4": {"nilai": cost, "selang_95": interval(per_draw[key] - same_draws[key])},
    }, per_draw


def cross_validate(con: duckdb.DuckDBPyConnection, sample: str, cfg: dict, sources: str | None = None) -> dict:
    """Every candidate estimator of pmt.toml cross-validated on the same folds and the same
    village draws; the chosen one's figures, every candidate's, and why it was chosen.

    `sources`: the survey households' families as the sources describe them (by `id_sumber`,
    the inputs the families are scored with). When at least `minimum_di_sumber` households
    are there, the published figures are theirs, scored by those inputs: the model's error
    and the sources' together, as the list has them.

    The default (WLS) is kept unless another estimator's desil 1-4 exclusion error is lower
    on 97.5% of the draws or more: the paired difference's interval lies wholly below zero."""
    settings = cfg.get("validasi", {})
    k, n_draws, seed = settings.get("lipatan", 5), settings.get("bootstrap", 200), settings.get("benih", 20)
    candidates = settings.get("kandidat", [DEFAULT])
    scored = held_out_all(con, sample, cfg, k, candidates, sources)
    draws = village_draws(scored[DEFAULT], n_draws, seed)
    in_sources = scored[DEFAULT]["skor_log_sumber"].notna().to_numpy()
    enough = int(in_sources.sum()) >= settings.get("minimum_di_sumber", 200)
    results = {m: estimate(df, draws, in_sources if enough else None) for m, df in scored.items()}
    key = f"eksklusi_{CHOICE_PROGRAMME}"
    default_draws = results[DEFAULT][1][key]
    figures = {m: r[0] for m, r in results.items()}
    for figure, per_draw in results.values():
        figure["selisih_eksklusi_dari_bawaan_95"] = interval(per_draw[key] - default_draws)
    chosen, reason = choose(figures)
    inputs = (
        "rumah tangga survei yang keluarganya ada di sumber, dinilai dengan masukan sumber"
        if enough
        else "masukan survei (terlalu sedikit rumah tangga survei ditemukan di sumber menurut no_kk)"
    )
    return figures[chosen] | {
        "metode": f"validasi silang {k} lipatan menurut desa, model dilatih ulang tiap lipatan; "
        f"selang 95% dari bootstrap {n_draws} kali atas desa; berbobot jumlah_art; {inputs}",
        "lipatan": k,
        "rumah_tangga": len(scored[DEFAULT]),
        "rumah_tangga_di_sumber": int(in_sources.sum()),
        "desa": int(scored[DEFAULT]["kode_desa"].nunique()),
        "penduga": chosen,
        "alasan_pilihan": reason,
        "kandidat": figures,
    }
