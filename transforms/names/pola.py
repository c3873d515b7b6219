"""Regular expressions built from the rule tables by small pure functions.

The same patterns run in Python (`re`) and in DuckDB (RE2): they use only alternation,
optional spaces, anchors, word boundaries and groups, on text that is A-Z and single
spaces, where both engines agree.
"""

from __future__ import annotations

from collections.abc import Iterable

from transforms.names.data import BentukArab, Ejaan, Gelar

# Characters dropped inside a word (NUR'AINI is one word); everything else not A-Z splits words.
DALAM_KATA = "['`\u2019]"
PEMISAH = "[^A-Z]+"


def _kunci_pola(kunci: str) -> str:
    """A title's letters, each optionally followed by a space: S.PD, S PD and SPD all match SPD."""
    return " ?".join(kunci)


def _alternatif(kunci: Iterable[str]) -> str:
    # Longest first: RE2 and Python take the first alternative that matches.
    return "|".join(_kunci_pola(k) for k in sorted(set(kunci), key=lambda k: (-len(k), k)))


def gelar_depan_pola(gelar: Iterable[Gelar]) -> str:
    """Titles before the name, as many as there are, each followed by a space (the last word is never one)."""
    return f"^(?:(?:{_alternatif(g.kunci for g in gelar if g.posisi == 'DEPAN')}) )+"


def gelar_belakang_pola(gelar: Iterable[Gelar]) -> str:
    """Titles after the name, each preceded by a space (the first word is never one)."""
    return f"(?: (?:{_alternatif(g.kunci for g in gelar if g.posisi == 'BELAKANG')}))+$"


def bin_pola() -> str:
    """PERSON BIN/BINTI FATHER: group 1 the person's part, group 2 the father's."""
    return "^(.+?) (?:BINTI|BIN) (.+)$"


def ejaan_pola(e: Ejaan) -> tuple[str, str]:
    """(pattern, replacement) for one old-spelling rewrite."""
    if e.konteks == "AWAL":
        return rf"\b{e.lama}", e.baru
    return e.lama, e.baru


def arab_pola(bentuk: Iterable[BentukArab]) -> list[tuple[str, str]]:
    """(pattern, replacement) per canonical form: whole words only; AWAL forms only as the first word."""
    out: list[tuple[str, str]] = []
    by_baku: dict[tuple[str, str], list[str]] = {}
    for b in bentuk:
        by_baku.setdefault((b.baku, b.posisi), []).append(b.bentuk)
    for (baku, posisi), forms in sorted(by_baku.items()):
        alt = "|".join(sorted(forms, key=lambda f: (-len(f), f)))
        out.append((rf"^(?:{alt})\b" if posisi == "AWAL" else rf"\b(?:{alt})\b", baku))
    return out
