"""The rule tables beside this module, read once: titles, old spellings, Arabic-origin forms, levels."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
TABLES = ("gelar", "ejaan_lama", "bentuk_arab", "tingkat")


@dataclass(frozen=True)
class Gelar:
    kunci: str  # the title's letters without dots, spaces or commas: S.Pd., S. PD, SPD all read SPD
    tulisan: str
    jenis: str  # AGAMA, AKADEMIK, PROFESI
    posisi: str  # DEPAN (before the name) or BELAKANG (after it)


@dataclass(frozen=True)
class Ejaan:
    urutan: int
    lama: str
    baru: str
    konteks: str  # SEMUA (anywhere) or AWAL (word-initial only)
    alasan: str


@dataclass(frozen=True)
class BentukArab:
    bentuk: str
    baku: str
    posisi: str  # SEMUA or AWAL (only as the first word)


def rows(table: str) -> list[dict[str, str]]:
    """The rows of one rule table; errors name the file and the row."""
    path = HERE / f"{table}.csv"
    with path.open(newline="", encoding="utf-8") as f:
        out = list(csv.DictReader(f))
    for i, row in enumerate(out, start=2):
        if any(v is None for v in row.values()):
            raise ValueError(f"{path}: row {i} has fewer columns than the header; fill every column")
    return out


def _check(table: str, i: int, column: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"{HERE / (table + '.csv')}: row {i}, column {column}: {value!r} is not one of {allowed}")
    return value


@cache
def gelar() -> tuple[Gelar, ...]:
    return tuple(
        Gelar(r["kunci"], r["tulisan"], r["jenis"], _check("gelar", i, "posisi", r["posisi"], ("DEPAN", "BELAKANG")))
        for i, r in enumerate(rows("gelar"), start=2)
    )


@cache
def ejaan_lama() -> tuple[Ejaan, ...]:
    out = [
        Ejaan(
            int(r["urutan"]),
            r["lama"],
            r["baru"],
            _check("ejaan_lama", i, "konteks", r["konteks"], ("SEMUA", "AWAL")),
            r["alasan"],
        )
        for i, r in enumerate(rows("ejaan_lama"), start=2)
    ]
    return tuple(sorted(out, key=lambda e: e.urutan))


@cache
def bentuk_arab() -> tuple[BentukArab, ...]:
    return tuple(
        BentukArab(r["bentuk"], r["baku"], _check("bentuk_arab", i, "posisi", r["posisi"], ("SEMUA", "AWAL")))
        for i, r in enumerate(rows("bentuk_arab"), start=2)
    )


@cache
def tingkat() -> tuple[str, ...]:
    """The comparison levels, strongest first."""
    return tuple(r["tingkat"] for r in sorted(rows("tingkat"), key=lambda r: int(r["peringkat"])))
