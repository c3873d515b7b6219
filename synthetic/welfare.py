"""Welfare: a latent level per family drives housing, assets, schooling and work; true
spending per person is exp(linear function of those observable features + province and
urban effects + noise), with the noise set so that the ideal model (OLS of log spending on
exactly these features) reaches the requested R².

The features are recorded in the delivery's metadata with their coefficients, so a PMT
model can be checked against the ideal one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from synthetic import tanggal
from synthetic.population import Penduduk
from synthetic.provinsi import BABI_TINGGI, BY_KODE
from synthetic.regions import Regions

TOTAL_SD = 0.6  # sd of log spending per person, whatever the R²
MEDIAN_SPENDING = 1_000_000  # rupiah per person per month


# ---------------------------------------------------------------------------- drawing helpers


def _ordinal(score: np.ndarray, codes, probs, rho: float, rng: np.random.Generator) -> np.ndarray:
    """Codes listed worst to best, with these shares overall; a higher score makes a better
    code more likely (correlation rho between score and the latent behind the code)."""
    n = len(score)
    latent = rho * score + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    cuts = np.quantile(latent, np.cumsum(probs)[:-1] / np.sum(probs)) if n else []
    return np.asarray(codes)[np.searchsorted(cuts, latent, side="right")]


def _has(score: np.ndarray, share: float, rho: float, rng: np.random.Generator) -> np.ndarray:
    return _ordinal(score, [False, True], [1 - share, share], rho, rng)


# ---------------------------------------------------------------------------- persons

_R413_SHARES = [0.04, 0.10, 0.27, 0.18, 0.20, 0.09, 0.02, 0.03, 0.07]  # adults, codes 0..8
_R413_CAP_AGES = np.array([7, 13, 16, 19, 21, 23])  # below 7: 0; below 13: 1; ... 23+: any
_R413_CAP = np.array([0, 1, 2, 3, 5, 7, 8])
_SECTOR_ORDER = [1, 2, 3, 4, 8, 5, 6, 7]  # petani .. PNS, worst to best paid
_SECTOR_URBAN = [0.05, 0.01, 0.25, 0.17, 0.05, 0.15, 0.27, 0.05]
_SECTOR_RURAL = [0.45, 0.04, 0.18, 0.10, 0.04, 0.08, 0.08, 0.03]


def r413_at(target: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Highest schooling reached at this age: the adult level, capped by age."""
    return np.minimum(target, _R413_CAP[np.searchsorted(_R413_CAP_AGES, age, side="right")])


@dataclass
class Anggota:
    r413: np.ndarray  # level reached as an adult (use r413_at for a given age)
    r416: np.ndarray  # 1 worked, 2 did not
    r417: np.ndarray  # sector 1-8, 0 when r416 = 2
    r428: np.ndarray  # disability 1 yes 2 no
    r430: np.ndarray  # chronic illness 1 yes 2 no


def _persons(
    pop: Penduduk, q_person: np.ndarray, urban: np.ndarray, age: np.ndarray, rng: np.random.Generator
) -> Anggota:
    n = pop.n
    edu_score = q_person - 0.02 * (np.clip(age, 20, 80) - 40)
    r413 = _ordinal(edu_score, np.arange(9), _R413_SHARES, 0.6, rng).astype(np.int8)
    p_work = np.select(
        [age < 10, age < 15, age < 65], [0.0, 0.03, np.where(pop.female, 0.5, 0.8)], np.where(pop.female, 0.2, 0.35)
    )
    work = rng.random(n) < p_work
    sector_score = 0.6 * q_person + 0.3 * (r413 - 3.5) / 2.0
    r417 = np.zeros(n, np.int8)
    for is_urban, shares in ((True, _SECTOR_URBAN), (False, _SECTOR_RURAL)):
        m = work & (urban == is_urban)
        r417[m] = _ordinal(sector_score[m], _SECTOR_ORDER, shares, 0.6, rng)
    p_disab = 0.012 + 0.06 * (age >= 65) + 0.01 * (q_person < -1)
    p_chronic = 0.04 + 0.12 * (age >= 50)
    return Anggota(
        r413=r413,
        r416=np.where(work, 1, 2).astype(np.int8),
        r417=r417,
        r428=np.where(rng.random(n) < p_disab, 1, 2).astype(np.int8),
        r430=np.where(rng.random(n) < p_chronic, 1, 2).astype(np.int8),
    )


# ---------------------------------------------------------------------------- housing

# (field, codes worst to best, shares, rho)
_RUMAH = (
    ("r303", [9, 7, 5, 8, 6, 4, 2, 3, 1], [0.05, 0.01, 0.05, 0.01, 0.20, 0.08, 0.55, 0.01, 0.04], 0.6),
    ("r304", [6, 4, 7, 5, 3, 2, 1], [0.02, 0.04, 0.01, 0.02, 0.12, 0.04, 0.75], 0.55),
    ("r305", [7, 6, 8, 5, 3, 4, 2, 1], [0.02, 0.005, 0.005, 0.02, 0.35, 0.08, 0.48, 0.04], 0.45),
    (
        "r306a",
        [9, 10, 8, 6, 11, 7, 5, 4, 3, 2, 1],
        [0.02, 0.03, 0.03, 0.05, 0.01, 0.07, 0.15, 0.18, 0.08, 0.33, 0.05],
        0.5,
    ),
    (
        "r308",
        [10, 9, 8, 11, 7, 6, 0, 4, 5, 2, 3, 1],
        [0.15, 0.01, 0.003, 0.007, 0.01, 0.003, 0.03, 0.70, 0.01, 0.04, 0.03, 0.01],
        0.5,
    ),
    ("r309a", [4, 3, 2, 1], [0.05, 0.03, 0.07, 0.85], 0.5),
)
# Lighting as one ordered code: none, non-PLN, unmetered, 450 .. >2200 VA.
_LISTRIK = (
    [(4, 0), (3, 0), (2, 0), (1, 1), (1, 2), (1, 3), (1, 4), (1, 5)],
    [0.005, 0.02, 0.03, 0.30, 0.42, 0.15, 0.05, 0.025],
)
# r502a..n: share that has it, correlation with welfare.
_ASET = {
    "r502a": (0.80, 0.35),
    "r502b": (0.55, 0.6),
    "r502c": (0.10, 0.7),
    "r502d": (0.05, 0.7),
    "r502e": (0.03, 0.5),
    "r502f": (0.80, 0.45),
    "r502g": (0.15, 0.5),
    "r502h": (0.15, 0.7),
    "r502i": (0.30, 0.1),
    "r502j": (0.80, 0.4),
    "r502k": (0.08, 0.7),
    "r502l": (0.02, 0.0),
    "r502m": (0.015, 0.1),
    "r502n": (0.85, 0.45),
}


def _housing(
    q: np.ndarray, urban: np.ndarray, pig_area: np.ndarray, size: np.ndarray, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    f = len(q)
    h: dict[str, np.ndarray] = {}
    h["r301a"] = np.where(
        urban,
        rng.choice([1, 2, 3, 4, 5], f, p=[0.65, 0.2, 0.1, 0.03, 0.02]),
        rng.choice([1, 2, 3, 4, 5], f, p=[0.87, 0.03, 0.08, 0.01, 0.01]),
    ).astype(np.int8)
    area = np.exp(np.log(40) + 0.25 * q + 0.2 * np.log(np.maximum(size, 1)) + rng.normal(0, 0.35, f))
    h["r302"] = np.clip(np.round(area), 6, 500).astype(np.float64)
    for name, codes, shares, rho in _RUMAH:
        h[name] = _ordinal(q, codes, shares, rho, rng).astype(np.int8)
    light = _ordinal(q, np.arange(len(_LISTRIK[0])), _LISTRIK[1], 0.55, rng)
    pairs = np.array(_LISTRIK[0])
    h["r307a"], h["r307b"] = pairs[light, 0].astype(np.int8), pairs[light, 1].astype(np.int8)
    h = {k: h[k] for k in ("r301a", "r302", "r303", "r304", "r305", "r306a", "r307a", "r307b", "r308", "r309a")}
    for name, (share, rho) in _ASET.items():
        h[name] = np.where(_has(q, share, rho, rng), 1, 2).astype(np.int8)
    rural = ~urban
    for name, p_rural, p_urban, mean in (
        ("r504a", 0.12, 0.01, 1.5),
        ("r504b", 0.02, 0.002, 1.5),
        ("r504c", 0.005, 0.001, 0.5),
    ):
        has = rng.random(f) < np.where(rural, p_rural, p_urban)
        h[name] = (has * (1 + rng.poisson(mean, f))).astype(np.int16)
    pig = rng.random(f) < np.where(pig_area, np.where(rural, 0.25, 0.05), 0.005)
    h["r504d"] = (pig * (1 + rng.poisson(2.0, f))).astype(np.int16)
    goat = rng.random(f) < np.where(rural, 0.12, 0.02)
    h["r504e"] = (goat * (1 + rng.poisson(2.5, f))).astype(np.int16)
    return h


# Codes worst to best per housing field, and the asset fields: what a family's drift moves.
RUMAH_URUT = {name: tuple(codes) for name, codes, _, _ in _RUMAH}
ASET = tuple(_ASET)


def rumah(
    q: np.ndarray, desa: np.ndarray, size: np.ndarray, regions: Regions, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Housing, assets and livestock of families with welfare level `q` in these villages
    (a new family of a series: its shares are the national ones, better for a higher q)."""
    prov = regions.prov[desa]
    return _housing(q, regions.perkotaan[desa], np.isin(prov, list(BABI_TINGGI)), size, rng)


# ---------------------------------------------------------------------------- composition


def komposisi(pop: Penduduk, ang: Anggota, at: int) -> dict[str, np.ndarray]:
    """Family composition and head's attributes at a date (living members only)."""
    f = pop.n_keluarga
    alive = pop.hidup(at) & (pop.lahir <= at)
    age = tanggal.age_years(pop.lahir, at)

    def count(mask):
        return np.bincount(pop.fam, weights=(alive & mask), minlength=f).astype(np.int16)

    head = pop.kepala
    return {
        "jumlah_art": count(np.ones(pop.n, bool)),
        "jumlah_balita": count(age < 5),
        "jumlah_anak": count((age >= 5) & (age < 18)),
        "jumlah_lansia": count(age >= 60),
        "jumlah_disabilitas": count(ang.r428 == 1),
        "jumlah_sakit_kronis": count(ang.r430 == 1),
        "jumlah_bekerja": count(ang.r416 == 1),
        "umur_kepala": age[head].astype(np.int16),
        "jenis_kelamin_kepala": np.where(pop.female[head], 2, 1).astype(np.int8),
        "r413_kepala": r413_at(ang.r413[head], age[head]).astype(np.int8),
        "r416_kepala": ang.r416[head],
        "r417_kepala": ang.r417[head],
    }


# ---------------------------------------------------------------------------- the model

# Coefficients before scaling to the requested R² (log points).
BETA = {
    "log_jumlah_art": -0.35,
    "jumlah_balita": -0.06,
    "jumlah_anak": -0.04,
    "jumlah_lansia": -0.03,
    "jumlah_disabilitas": -0.05,
    "jumlah_sakit_kronis": -0.03,
    "jumlah_bekerja": 0.05,
    "r413_kepala": 0.04,
    "kepala_bekerja": 0.05,
    "kepala_petani": -0.08,
    "kepala_formal": 0.12,
    "kepala_perempuan": -0.03,
    "rumah_milik": 0.02,
    "log_luas_per_kapita": 0.12,
    "lantai_tanah": -0.10,
    "lantai_baik": 0.08,
    "dinding_tembok": 0.06,
    "atap_baik": 0.03,
    "air_layak": 0.04,
    "daya_listrik": 0.06,
    "listrik_non_pln": -0.05,
    "bahan_bakar_gas": 0.05,
    "bahan_bakar_kayu": -0.06,
    "jamban_sendiri": 0.05,
    "punya_r502a": 0.03,
    "punya_r502b": 0.08,
    "punya_r502c": 0.18,
    "punya_r502d": 0.10,
    "punya_r502e": 0.05,
    "punya_r502f": 0.03,
    "punya_r502g": 0.08,
    "punya_r502h": 0.12,
    "punya_r502i": -0.01,
    "punya_r502j": 0.07,
    "punya_r502k": 0.25,
    "punya_r502l": 0.0,
    "punya_r502m": 0.05,
    "punya_r502n": 0.07,
    "ternak_besar": 0.05,
    "ternak_babi": 0.02,
    "ternak_kambing": 0.02,
    "perkotaan": 0.12,
}

FEATURE_DOC = {
    "log_jumlah_art": "ln(max(jumlah_art, 1))",
    "kepala_bekerja": "r416_kepala == 1",
    "kepala_petani": "r417_kepala == 1",
    "kepala_formal": "r417_kepala in (6, 7)",
    "kepala_perempuan": "jenis_kelamin_kepala == 2",
    "rumah_milik": "r301a == 1",
    "log_luas_per_kapita": "ln(r302 / max(jumlah_art, 1))",
    "lantai_tanah": "r303 == 9",
    "lantai_baik": "r303 in (1, 2, 3)",
    "dinding_tembok": "r304 == 1",
    "atap_baik": "r305 in (1, 2)",
    "air_layak": "r306a in (1, 2, 3, 4, 5, 7)",
    "daya_listrik": "r307b if r307a == 1 else 0",
    "listrik_non_pln": "r307a in (3, 4)",
    "bahan_bakar_gas": "r308 in (1, 2, 3, 4, 5)",
    "bahan_bakar_kayu": "r308 in (8, 9, 10)",
    "jamban_sendiri": "r309a == 1",
    "punya_r502x": "r502x == 1",
    "ternak_besar": "ln(1 + r504a + r504b + r504c)",
    "ternak_babi": "ln(1 + r504d)",
    "ternak_kambing": "ln(1 + r504e)",
    "perkotaan": "village code part starts with 1 (kelurahan)",
    "provinsi": "one indicator per province (first two digits of kode_wilayah)",
}


def design(h: dict[str, np.ndarray], k: dict[str, np.ndarray], urban: np.ndarray) -> dict[str, np.ndarray]:
    """The features of the welfare model, computed from Regsosek/Susenas-style columns."""
    art = np.maximum(k["jumlah_art"], 1).astype(float)
    x = {
        "log_jumlah_art": np.log(art),
        "jumlah_balita": k["jumlah_balita"],
        "jumlah_anak": k["jumlah_anak"],
        "jumlah_lansia": k["jumlah_lansia"],
        "jumlah_disabilitas": k["jumlah_disabilitas"],
        "jumlah_sakit_kronis": k["jumlah_sakit_kronis"],
        "jumlah_bekerja": k["jumlah_bekerja"],
        "r413_kepala": k["r413_kepala"],
        "kepala_bekerja": k["r416_kepala"] == 1,
        "kepala_petani": k["r417_kepala"] == 1,
        "kepala_formal": np.isin(k["r417_kepala"], [6, 7]),
        "kepala_perempuan": k["jenis_kelamin_kepala"] == 2,
        "rumah_milik": h["r301a"] == 1,
        "log_luas_per_kapita": np.log(h["r302"] / art),
        "lantai_tanah": h["r303"] == 9,
        "lantai_baik": np.isin(h["r303"], [1, 2, 3]),
        "dinding_tembok": h["r304"] == 1,
        "atap_baik": np.isin(h["r305"], [1, 2]),
        "air_layak": np.isin(h["r306a"], [1, 2, 3, 4, 5, 7]),
        "daya_listrik": np.where(h["r307a"] == 1, h["r307b"], 0),
        "listrik_non_pln": np.isin(h["r307a"], [3, 4]),
        "bahan_bakar_gas": np.isin(h["r308"], [1, 2, 3, 4, 5]),
        "bahan_bakar_kayu": np.isin(h["r308"], [8, 9, 10]),
        "jamban_sendiri": h["r309a"] == 1,
    }
    for c in "abcdefghijklmn":
        x[f"punya_r502{c}"] = h[f"r502{c}"] == 1
    x["ternak_besar"] = np.log1p(h["r504a"] + h["r504b"] + h["r504c"])
    x["ternak_babi"] = np.log1p(h["r504d"])
    x["ternak_kambing"] = np.log1p(h["r504e"])
    x["perkotaan"] = urban
    return {name: np.asarray(v, float) for name, v in x.items()}


def _matrix(x: dict[str, np.ndarray], prov: np.ndarray, codes: np.ndarray, rows: slice) -> np.ndarray:
    p = prov[rows]
    dummies = (p[:, None] == codes[None, 1:]).astype(float)
    return np.column_stack([np.ones(len(p)), *[x[k][rows] for k in BETA], dummies])


def ols_r2(x: dict[str, np.ndarray], prov: np.ndarray, y: np.ndarray, chunk: int = 200_000) -> float:
    """R² of the OLS of y on the model's features and province indicators. Normal equations
    accumulated in chunks: memory stays flat at national scale."""
    codes = np.unique(prov)
    chunks = [slice(i, i + chunk) for i in range(0, len(y), chunk)]
    xtx, xty = 0.0, 0.0
    for rows in chunks:
        a = _matrix(x, prov, codes, rows)
        xtx = xtx + a.T @ a
        xty = xty + a.T @ y[rows]
    coef = np.linalg.lstsq(xtx, xty, rcond=None)[0]  # lstsq: tolerates an all-zero feature
    ssr = sum(float(np.sum((y[r] - _matrix(x, prov, codes, r) @ coef) ** 2)) for r in chunks)
    return 1 - ssr / float(np.sum((y - y.mean()) ** 2))


@dataclass
class Kesejahteraan:
    rumah: dict[str, np.ndarray]  # Regsosek family fields, true values (r307b 0 = not asked)
    anggota: Anggota
    komposisi: dict[str, np.ndarray]  # at the cut-off
    log_pengeluaran: np.ndarray
    pengeluaran: np.ndarray  # int64 rupiah per person per month
    r2: float  # achieved by the ideal model
    model: dict = field(default_factory=dict)

    @staticmethod
    def of(rumah, anggota: Anggota, komposisi, log_pengeluaran: np.ndarray, r2: float, model: dict) -> Kesejahteraan:
        spending = np.round(np.exp(log_pengeluaran)).astype(np.int64)
        return Kesejahteraan(rumah, anggota, komposisi, log_pengeluaran, spending, r2, model)


def build(
    pop: Penduduk, regions: Regions, cutoff_date: dt.date, welfare_r2: float, rng: np.random.Generator
) -> Kesejahteraan:
    cutoff = tanggal.days(cutoff_date)
    desa = pop.desa
    urban = regions.perkotaan[desa]
    prov = regions.prov[desa]
    codes = np.unique(prov)
    effect = np.array([BY_KODE[int(p)].efek if int(p) in BY_KODE else 0.0 for p in codes])
    prov_effect = effect[np.searchsorted(codes, prov)]

    z = 2.0 * prov_effect + 0.35 * urban + rng.standard_normal(len(desa))
    q = (z - z.mean()) / z.std()
    age = tanggal.age_years(pop.lahir, cutoff)
    ang = _persons(pop, q[pop.fam], urban[pop.fam], age, rng)
    rumah = _housing(q, urban, np.isin(prov, list(BABI_TINGGI)), pop.size, rng)
    komp = komposisi(pop, ang, cutoff)
    x = design(rumah, komp, urban)

    raw = sum(BETA[k] * x[k] for k in BETA) + prov_effect
    scale = TOTAL_SD * np.sqrt(welfare_r2) / raw.std()
    sigma = TOTAL_SD * np.sqrt(1 - welfare_r2)
    log_y = scale * raw + rng.normal(0, sigma, len(raw))
    const = np.log(MEDIAN_SPENDING) - np.median(log_y)
    log_y += const
    r2 = ols_r2(x, prov, log_y)
    model = {
        "target": "ln(pengeluaran_per_kapita)",
        "konstanta": float(const),
        "sigma": float(sigma),
        "koefisien": {k: round(float(scale * v), 6) for k, v in BETA.items()},
        "efek_provinsi": {str(int(c)): round(float(scale * e), 6) for c, e in zip(codes, effect)},
        "fitur": FEATURE_DOC,
    }
    return Kesejahteraan.of(rumah, ang, komp, log_y, r2, model)
