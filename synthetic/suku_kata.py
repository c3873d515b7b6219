"""Syllables of an Indonesian name word and the nicknames people make from them.

Written for the generator on its own (the matcher has its own rules in transforms/names/,
and the generator must not share them, so that tests measure generalisation).

A syllable is V, CV, VC or CVC (a cluster may open a loan syllable: SLA-MET, HEN-DRA).
The letters NG, NY, KH, SY (and the old-spelling CH, DJ, TJ, SJ, NJ) are one consonant,
OE (old U) one vowel. Between two vowels a single consonant opens the next syllable
(RA-NI, SU-SAN); of two or more, the first closes the syllable before (RAH-MA, HEN-DRA,
SAN-TI, MANG-GA). AI, AU and OI are one vowel before a consonant that opens a syllable,
and at the end of a word (KHAI-RUL, FAU-ZI), two otherwise (IS-MA-IL, DA-UD).

Everything here works on one word (a Python string) and is cached: callers compute it per
distinct word of a column and map the results back (the vocabulary of names is small).
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import pairwise

VOWELS = frozenset("AIUEO")
_UNIT = re.compile(r"NG|NY|KH|SY|CH|DJ|TJ|SJ|NJ|OE|.", re.DOTALL)
_DIPHTHONGS = frozenset({"AI", "AU", "OI"})
MIN_LETTERS = 3  # a nickname shorter than this is not a name people are called by


def _is_vowel(unit: str) -> bool:
    return unit in VOWELS or unit == "OE"


def _units(word: str) -> list[str]:
    """Letters grouped into sounds; diphthongs joined where they are one vowel."""
    units = _UNIT.findall(word)
    out: list[str] = []
    i = 0
    while i < len(units):
        u = units[i]
        if i + 1 < len(units) and u + units[i + 1] in _DIPHTHONGS:
            after = units[i + 2 : i + 4]
            at_end = not after
            opens = len(after) == 2 and not _is_vowel(after[0]) and _is_vowel(after[1])
            if at_end or opens:
                out.append(u + units[i + 1])
                i += 2
                continue
        out.append(u)
        i += 1
    return out


@lru_cache(maxsize=65_536)
def syllables(word: str) -> tuple[str, ...]:
    """The word's syllables, in order; a word without a vowel is one syllable."""
    units = _units(word)
    nuclei = [i for i, u in enumerate(units) if _is_vowel(u) or u in _DIPHTHONGS]
    if not nuclei:
        return (word,) if word else ()
    cuts = []  # unit index where each syllable after the first begins
    for a, b in pairwise(nuclei):
        between = b - a - 1
        cuts.append(b if between == 0 else (b - 1 if between == 1 else a + 2))
    bounds = [0, *cuts, len(units)]
    return tuple("".join(units[s:e]) for s, e in pairwise(bounds))


def _onset(syllable: str) -> str:
    """The consonant units before the syllable's vowel."""
    units = _units(syllable)
    k = 0
    while k < len(units) and not (_is_vowel(units[k]) or units[k] in _DIPHTHONGS):
        k += 1
    return "".join(units[:k]) if k < len(units) else syllable


def _letters(form: str) -> int:
    return sum(c.isalpha() for c in form)


def _ok(form: str | None, word: str) -> str | None:
    if form is None or form == word or "'" in form or _letters(form) < MIN_LETTERS:
        return None
    return form


@lru_cache(maxsize=65_536)
def tail_nickname(word: str) -> str | None:
    """The last two syllables of a word of three or more: RAHMAWATI -> WATI,
    SUPRIYADI -> YADI, SUSANTI -> SANTI, HARYANTO -> YANTO. None if the word has fewer."""
    s = syllables(word)
    if len(s) < 3:
        return None
    return _ok((s[-2] + s[-1]).lstrip("'"), word)


@lru_cache(maxsize=65_536)
def doubled_nickname(word: str) -> str | None:
    """The last syllable with its opening consonant and vowel said twice: SLAMET -> MEMET,
    KURNIAWAN -> WAWAN, HARYANTO -> TOTO, AGUSTINA -> NANA. Only a word of two syllables
    or more whose last syllable opens with one consonant."""
    s = syllables(word)
    if len(s) < 2:
        return None
    last = s[-1]
    onset = _onset(last)
    units = _units(last)
    if len(_units(onset)) != 1 or onset == last or onset == "'":
        return None
    vowel = units[1]
    return _ok(onset + vowel + last, word)


@lru_cache(maxsize=65_536)
def head_nickname(word: str) -> str | None:
    """The first syllables: the first two of a word of three or more (HENDRAWAN -> HENDRA,
    AGUSTINA -> AGUS, SUPRIYADI -> SUPRI), the first of a two-syllable word when it is
    closed and long enough (HENDRA -> HEN). None otherwise (BUDI, SLAMET)."""
    s = syllables(word)
    if len(s) >= 3:
        return _ok(s[0] + s[1], word)
    if len(s) == 2 and not _is_vowel(s[0][-1]):
        return _ok(s[0], word)
    return None
