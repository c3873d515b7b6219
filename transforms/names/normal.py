"""Normalisation of one name, the Python reference. `sql.py` builds the same steps for DuckDB.

Steps, in order (each a small function):
1. `bersih`: upper case, accents off, apostrophes dropped inside words (NUR'AINI), anything
   else that is not A-Z splits words (dots, commas, hyphens), single spaces.
2. `tanpa_gelar`: titles after the name, then titles before it (gelar.csv); never the whole name.
3. `pisah_bin`: PERSON BIN/BINTI FATHER, split in two.
4. `baku`: Arabic-origin forms to one form, old spelling to the current one, Arabic forms
   again (a form may only be listed in its current spelling).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

from transforms.names import data, pola


@dataclass(frozen=True)
class Nama:
    """A normalised name. `asli` is what the source wrote, always kept."""

    asli: str
    gelar: str  # the titles removed, as cleaned text ('' when none)
    kata: tuple[str, ...]  # the person's words after cleaning and title removal, before spelling
    baku: tuple[str, ...]  # the person's words after spelling and Arabic forms
    ayah_kata: tuple[str, ...] = ()  # the father's words when the name has BIN/BINTI
    ayah_baku: tuple[str, ...] = ()

    @property
    def teks(self) -> str:
        return " ".join(self.baku)


@cache
def _gelar_re() -> tuple[re.Pattern[str], re.Pattern[str]]:
    g = data.gelar()
    return re.compile(pola.gelar_depan_pola(g)), re.compile(pola.gelar_belakang_pola(g))


@cache
def _baku_re() -> tuple[list[tuple[re.Pattern[str], str, bool]], list[tuple[re.Pattern[str], str]]]:
    """The Arabic-form rewrites (pattern, form, first word only) and the old-spelling ones."""
    arab = [(re.compile(p), r, p.startswith("^")) for p, r in pola.arab_pola(data.bentuk_arab())]
    ejaan = [(re.compile(p), r) for p, r in map(pola.ejaan_pola, data.ejaan_lama())]
    return arab, ejaan


_DALAM_KATA, _PEMISAH = re.compile(pola.DALAM_KATA), re.compile(pola.PEMISAH)


def bersih(s: str | None) -> str:
    if s is None:
        return ""
    if s.isascii():  # nearly every name: nothing to strip
        t = s.upper()
    else:
        t = "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c)).upper()
    return _PEMISAH.sub(" ", _DALAM_KATA.sub("", t)).strip()


def tanpa_gelar(s: str) -> tuple[str, str]:
    """(name without titles, the titles removed)."""
    depan, belakang = _gelar_re()
    after = belakang.search(s)
    rest = s[: after.start()] if after else s
    before = depan.match(rest)
    name = rest[before.end() :] if before else rest
    removed = " ".join(p.strip() for p in (before.group(0) if before else "", after.group(0) if after else "") if p)
    return name, removed


def pisah_bin(s: str) -> tuple[str, str]:
    """(the person's part, the father's part or '')."""
    m = re.match(pola.bin_pola(), s)
    return (m.group(1), m.group(2)) if m else (s, "")


def baku(s: str) -> str:
    """Arabic-origin forms, old spelling, Arabic forms again. Every rule stays inside a word, so
    it runs once per distinct word (a register has far fewer words than names)."""
    return " ".join(_baku_kata(w, i == 0) for i, w in enumerate(s.split()))


@lru_cache(maxsize=1 << 18)
def _baku_kata(w: str, pertama: bool) -> str:
    arab, ejaan = _baku_re()
    arab_here = [(p, r) for p, r, awal in arab if pertama or not awal]
    for p, r in arab_here:
        w = p.sub(r, w)
    for p2, r2 in ejaan:
        w = p2.sub(r2, w)
    for p, r in arab_here:
        w = p.sub(r, w)
    return w


def _words(s: str) -> tuple[str, ...]:
    return tuple(s.split())


@lru_cache(maxsize=1 << 18)  # bounded: a province has millions of distinct names
def normalisasi(asli: str | None) -> Nama:
    """Normalise one name; the result keeps the original."""
    name, removed = tanpa_gelar(bersih(asli))
    diri, ayah = pisah_bin(name)
    return Nama(
        asli=asli or "",
        gelar=removed,
        kata=_words(diri),
        baku=_words(baku(diri)),
        ayah_kata=_words(ayah),
        ayah_baku=_words(baku(ayah)),
    )


def teks_baku(asli: str | None) -> str:
    """The normalised person's part as one string (what `sql.nama_baku_sql` computes)."""
    return normalisasi(asli).teks
