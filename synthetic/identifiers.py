"""NIK and KK numbers by the real rule, as int64 (16 digits fit; the province never starts with 0).

NIK = PP KK CC DDMMYY SSSS: district of first registration, date of birth with 40 added
to the day for women, a serial unique within district and DDMMYY.
KK  = PP KK CC DDMMYY SSSS: issuing district, date of issue, serial.
"""

from __future__ import annotations

import numpy as np

from synthetic import tanggal

E4, E6, E8, E10 = 10**4, 10**6, 10**8, 10**10


def ddmmyy(days: np.ndarray, female: np.ndarray | None = None) -> np.ndarray:
    y, m, d = tanggal.ymd(days)
    if female is not None:
        d = d + 40 * female
    return d * 10_000 + m * 100 + y % 100


def serials(group: np.ndarray, rng: np.random.Generator, spread: int = 20) -> np.ndarray:
    """A serial per row, unique within its group, in random order; groups start at a random
    small number so that serials are not all 0001."""
    order = np.lexsort((rng.random(len(group)), group))
    g = group[order]
    start = np.r_[True, g[1:] != g[:-1]]
    first = np.flatnonzero(start)
    gid = np.cumsum(start) - 1
    offset = rng.integers(0, spread, len(first))
    out = np.empty(len(group), np.int64)
    out[order] = np.arange(len(g)) - first[gid] + 1 + offset[gid]
    if len(out) and out.max() > 9999:
        raise ValueError(
            "more than 9999 numbers for one district and date: too many persons for the number of districts"
        )
    return out


def numbers(prefix: np.ndarray, rng: np.random.Generator, taken: np.ndarray | None = None) -> np.ndarray:
    """prefix (a multiple of 10**4) + a serial unique within the prefix. `taken`: sorted
    numbers that already exist (the registry), which fabricated ones must avoid."""
    out = prefix + serials(prefix, rng)
    if taken is not None and len(taken):
        clash = in_sorted(out, taken)
        while clash.any():  # fabricated numbers only: move them to a free serial
            out[clash] = prefix[clash] + rng.integers(1, 10_000, int(clash.sum()))
            clash = in_sorted(out, taken) | _duplicated(out)
    return out


def in_sorted(a: np.ndarray, sorted_values: np.ndarray) -> np.ndarray:
    """np.isin against an already sorted array, without re-sorting it."""
    if len(sorted_values) == 0:
        return np.zeros(len(a), bool)
    i = np.minimum(np.searchsorted(sorted_values, a), len(sorted_values) - 1)
    return sorted_values[i] == a


def nik(
    kec_kode: np.ndarray,
    lahir: np.ndarray,
    female: np.ndarray,
    rng: np.random.Generator,
    taken: np.ndarray | None = None,
) -> np.ndarray:
    """NIKs for persons first registered in district `kec_kode` (PPKKCC, int64)."""
    return numbers(kec_kode.astype(np.int64) * E10 + ddmmyy(lahir, female) * E4, rng, taken)


def _duplicated(a: np.ndarray) -> np.ndarray:
    order = np.argsort(a, kind="stable")
    s = a[order]
    dup = np.r_[False, s[1:] == s[:-1]]
    out = np.zeros(len(a), bool)
    out[order] = dup
    return out


def kk(
    kec_kode: np.ndarray, terbit: np.ndarray, rng: np.random.Generator, taken: np.ndarray | None = None
) -> np.ndarray:
    """Family card numbers issued in district `kec_kode` on date `terbit`."""
    return numbers(kec_kode.astype(np.int64) * E10 + ddmmyy(terbit) * E4, rng, taken)


def digits(x: np.ndarray, width: int = 16) -> np.ndarray:
    """The decimal digits of each number, most significant first: shape (n, width)."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (x[:, None] // powers) % 10


def from_digits(d: np.ndarray) -> np.ndarray:
    powers = 10 ** np.arange(d.shape[1] - 1, -1, -1, dtype=np.int64)
    return d @ powers
