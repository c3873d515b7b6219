"""Welfare over the months of a series: the same model (welfare.py), applied to families
whose housing, assets and composition change.

A family's log spending at a later month is its first month's value plus the model's
change: `ln y_k = ln y_ref + m(x_k) - m(x_ref)`, where `m` is the model's linear part
(coefficients and province effect in `welfare_model` of the metadata) and `x` the features
(welfare.design). A family whose features did not change keeps its spending to the
rupiah; a birth, a death, a child growing out of balita age or a move to a city moves it.
A new family card (a marriage, a split) gets housing drawn like any family's, at a welfare
level near the family it came from, and its own deviation from the model.

Drift: each month some families gain or lose assets, improve or run down a part of their
house, and see their income move the same way beyond what the features show.
"""

from __future__ import annotations

import numpy as np

from synthetic import welfare
from synthetic.regions import Regions
from synthetic.riwayat import Potret, Riwayat
from synthetic.welfare import Anggota, Kesejahteraan

DRIFT_INCOME = (0.08, 0.04)  # mean and sd of the income shock of a drifting family (log points)
DRIFT_HOUSING = 0.4  # of drifting families: one part of the house changes too


def nilai_model(x: dict[str, np.ndarray], prov: np.ndarray, model: dict) -> np.ndarray:
    """The model's linear part without the constant: sum of coefficient x feature, plus the
    province effect (0 for a province the first month had no family in)."""
    koef = model["koefisien"]
    value = sum(koef[k] * x[k] for k in welfare.BETA)
    codes = np.array(sorted(int(c) for c in model["efek_provinsi"]))
    effect = np.array([model["efek_provinsi"][str(c)] for c in codes])
    pos = np.minimum(np.searchsorted(codes, prov), len(codes) - 1)
    return np.asarray(value + np.where(codes[pos] == prov, effect[pos], 0.0), np.float64)


def nilai_awal(wel: Kesejahteraan, urban: np.ndarray, prov: np.ndarray) -> np.ndarray:
    """The model's value of the first month's families (their reference)."""
    return nilai_model(welfare.design(wel.rumah, wel.komposisi, urban), prov, wel.model)


def kesejahteraan(riw: Riwayat, ptr: Potret, regions: Regions, model: dict, at: int) -> Kesejahteraan:
    """The welfare truth of the registry `ptr` at the date `at`. New family cards are valued
    here, the first time they appear (their reference is this month)."""
    fam, pop = ptr.keluarga, ptr.pop
    ang = Anggota(**{name: getattr(riw.anggota, name)[ptr.orang] for name in ("r413", "r416", "r417", "r428", "r430")})
    komp = welfare.komposisi(pop, ang, at)
    rumah = {k: v[fam] for k, v in riw.rumah.items()}
    urban, prov = regions.perkotaan[pop.desa], regions.prov[pop.desa]
    x = welfare.design(rumah, komp, urban)
    m = nilai_model(x, prov, model)
    new = np.isnan(riw.ref_m[fam])
    riw.ref_m[fam[new]] = m[new]
    riw.ref_log[fam[new]] = model["konstanta"] + m[new] + riw.eps[fam[new]]
    log_y = riw.ref_log[fam] + (m - riw.ref_m[fam])
    return Kesejahteraan.of(rumah, ang, komp, log_y, welfare.ols_r2(x, prov, log_y), model)


def keluarga_baru(
    riw: Riwayat, asal: np.ndarray, desa: np.ndarray, size: np.ndarray, regions: Regions, sigma: float, rng
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Housing and the model deviation of new family cards that came out of the cards `asal`
    (stable ids): a welfare level correlated with theirs."""
    valued = riw.ref_log[~np.isnan(riw.ref_log)]
    z = (riw.ref_log[asal] - valued.mean()) / max(valued.std(), 1e-9)
    q = 0.6 * np.nan_to_num(z) + 0.8 * rng.standard_normal(len(asal))
    return welfare.rumah(q, desa, size, regions, rng), rng.normal(0.0, sigma, len(asal))


def geser(riw: Riwayat, fam: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Drift these families (stable ids): half better off (an asset bought, a floor laid),
    half worse (an asset sold, a house run down), income with them. Returns +1 or -1."""
    n = len(fam)
    up = rng.random(n) < 0.5
    sign = np.where(up, 1, -1)
    # One or two assets bought or sold.
    aset = welfare.ASET
    order = np.argsort(rng.random((n, len(aset))), axis=1)
    second = rng.random(n) < 0.5
    for j, name in enumerate(aset):
        hit = np.flatnonzero((order[:, 0] == j) | (second & (order[:, 1] == j)))
        riw.rumah[name][fam[hit]] = np.where(up[hit], 1, 2)
    # One part of the house one step better or worse.
    parts = tuple(welfare.RUMAH_URUT)
    house = rng.random(n) < DRIFT_HOUSING
    which = rng.integers(0, len(parts), n)
    for j, name in enumerate(parts):
        hit = np.flatnonzero(house & (which == j))
        codes = np.array(welfare.RUMAH_URUT[name])
        rank = np.full(codes.max() + 1, 0)
        rank[codes] = np.arange(len(codes))  # position in the worst-to-best order
        col = riw.rumah[name]
        col[fam[hit]] = codes[np.clip(rank[col[fam[hit]]] + sign[hit], 0, len(codes) - 1)]
    riw.ref_log[fam] += sign * np.abs(rng.normal(*DRIFT_INCOME, n))
    return sign
