"""Dates as int32 days since 1970-01-01: vectorised arithmetic, then Arrow date32 or text."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

EPOCH = dt.date(1970, 1, 1)
NEVER = np.iinfo(np.int32).max  # "no date of death": compares after every real date


def days(d: dt.date) -> int:
    return (d - EPOCH).days


def ymd(d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day of each date."""
    t = d.astype("datetime64[D]")
    month_start = t.astype("datetime64[M]")
    year = t.astype("datetime64[Y]").astype(np.int64) + 1970
    month = month_start.astype(np.int64) % 12 + 1
    day = (t - month_start.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day


def from_ymd(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days of valid (year, month, day) triples; the caller keeps the day in range."""
    months = (np.asarray(year, np.int64) - 1970) * 12 + (np.asarray(month, np.int64) - 1)
    start = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return (start + np.asarray(day, np.int64) - 1).astype(np.int32)


def add_years(d: np.ndarray, years: np.ndarray | int) -> np.ndarray:
    """Same day and month `years` later; 29 February becomes the 28th where needed."""
    y, m, dd = ymd(d)
    y = y + years
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    dd = np.where((m == 2) & (dd == 29) & ~leap, 28, dd)
    return from_ymd(y, m, dd)


def age_years(birth: np.ndarray, at: np.ndarray | int) -> np.ndarray:
    """Completed years of age at the date `at`."""
    by, bm, bd = ymd(birth)
    ay, am, ad = ymd(np.broadcast_to(np.asarray(at, np.int32), birth.shape))
    return (ay - by - ((am < bm) | ((am == bm) & (ad < bd)))).astype(np.int16)


def uniform(rng: np.random.Generator, low: np.ndarray | int, high: np.ndarray | int, n: int) -> np.ndarray:
    """A uniform date in [low, high] (inclusive); high below low gives low."""
    low = np.broadcast_to(np.asarray(low, np.int64), (n,))
    high = np.maximum(np.broadcast_to(np.asarray(high, np.int64), (n,)), low)
    return (low + np.floor(rng.random(n) * (high - low + 1)).astype(np.int64)).astype(np.int32)


def to_arrow(d: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """date32 array; `null` marks missing dates."""
    arr = pa.array(np.asarray(d, np.int32), pa.int32(), mask=null).cast(pa.date32())
    return arr


def to_text(d: np.ndarray, fmt: str, null: np.ndarray | None = None) -> pa.Array:
    """Dates as text in a strftime format (e.g. %d-%m-%Y)."""
    return pc.strftime(to_arrow(d, null), format=fmt)
