"""A simple Indonesian syllabifier.

Indonesian syllables are (C)V(C), with a few onset clusters in loans and names (PR, TR, DR,
BR, KR, GR, PL, KL, BL, SL, ...). NG, NY, KH and SY are one consonant. Between two vowels:
no consonant splits V-V; one goes to the next syllable (V-CV); two split VC-CV unless the
pair is an onset cluster (V-CCV); three or more: the first closes, the rest open. A final
AI, AU or OI is one nucleus (PANDAI, KERBAU); elsewhere each vowel is its own.
"""

from __future__ import annotations

from functools import cache
from itertools import pairwise

VOKAL = frozenset("AIUEO")
DIGRAF = ("NG", "NY", "KH", "SY")
GUGUS = frozenset({a + b for a in "BPDTKGF" for b in "RL"} | {"SL", "SR"})
DIFTONG_AKHIR = ("AI", "AU", "OI")


def _bunyi(kata: str, digraf: tuple[str, ...] = DIGRAF) -> list[str]:
    """Letters, with the digraphs as one unit."""
    out, i = [], 0
    while i < len(kata):
        if kata[i : i + 2] in digraf:
            out.append(kata[i : i + 2])
            i += 2
        else:
            out.append(kata[i])
            i += 1
    return out


@cache
def suku_kata(kata: str, digraf: tuple[str, ...] = DIGRAF) -> tuple[str, ...]:
    """The syllables of one upper-case word, joined back they are the word. `digraf`: the
    letter pairs read as one consonant (NJ too, for a name in the old spelling of NY)."""
    units = _bunyi(kata, digraf)
    nuclei = [i for i, u in enumerate(units) if u in VOKAL]
    if not nuclei:
        return (kata,) if kata else ()
    # A final diphthong is one nucleus.
    if len(nuclei) >= 2 and nuclei[-1] == len(units) - 1 and nuclei[-2] == nuclei[-1] - 1:
        if units[nuclei[-2]] + units[nuclei[-1]] in DIFTONG_AKHIR:
            nuclei.pop()
    starts = [0]
    for a, b in pairwise(nuclei):
        between = b - a - 1
        if between == 0:
            starts.append(b)
        elif between == 1:
            starts.append(a + 1)
        elif between == 2 and units[a + 1] + units[a + 2] in GUGUS:
            starts.append(a + 1)
        else:
            starts.append(a + 2)
    bounds = starts + [len(units)]
    return tuple("".join(units[s:e]) for s, e in pairwise(bounds) if s < e)
