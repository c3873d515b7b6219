"""Comparison of two names: a level (tingkat.csv, strongest first) and a short reason.

A comparison is as strong as its weakest step: the same words but one spelling variant is
VARIAN_EJAAN; a first name only whose word is a nickname is PANGGILAN, not SUBSET. Reasons
name word positions and rules, never the words (they are personal data).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import permutations

from rapidfuzz.distance.JaroWinkler import similarity as jaro_winkler  # DuckDB's own algorithm
from rapidfuzz.distance.Levenshtein import distance as levenshtein

from transforms.names import data
from transforms.names.normal import Nama, normalisasi
from transforms.names.panggilan import salah_satu_panggilan

MIRIP_AMBANG = 0.92  # Jaro-Winkler on the normalised names; BUDI/BAMBANG 0.63, SUHARTINI/SUHARTINAH 0.94
SATU_HURUF_MIN = 5  # words this long may differ in one letter and still be MIRIP (BUDI/RUDI, DEWI/DEDI may not)
MAKS_KATA = 6  # more words than this on a side: only the positional and similarity tests (6! = 720 orders)

TINGKAT: tuple[str, ...] = data.tingkat()
PERINGKAT = {t: i for i, t in enumerate(TINGKAT)}


@dataclass(frozen=True)
class Hasil:
    tingkat: str
    alasan: str

    @property
    def peringkat(self) -> int:
        return PERINGKAT[self.tingkat]


def _lemah(*levels: str) -> str:
    """The weakest of the levels."""
    return max(levels, key=PERINGKAT.__getitem__)


def _lipat_jy(w: str) -> str:
    """Old J was Y (JUSUF = YUSUF) while a modern J was DJ: J and Y read alike, as a variant only."""
    return w.replace("J", "Y")


@lru_cache(maxsize=1 << 18)  # word pairs repeat across names: a few thousand distinct ones per province
def _kata(k1: str, b1: str, k2: str, b2: str) -> str | None:
    """Level at which two words agree, or None."""
    if k1 == k2:
        return "SAMA"
    if b1 == b2 or _lipat_jy(b1) == _lipat_jy(b2):
        return "VARIAN_EJAAN"
    if salah_satu_panggilan(b1, b2) or salah_satu_panggilan(_lipat_jy(b1), _lipat_jy(b2)):
        return "PANGGILAN"  # (folded: NJINJI, after NJ- -> NY-, is PANJI's NYINYI)
    if min(len(b1), len(b2)) >= SATU_HURUF_MIN and levenshtein(_lipat_jy(b1), _lipat_jy(b2)) == 1:
        return "MIRIP"  # one letter typed otherwise: AHMAT, MUHAMMAT (on a long name JW misses it)
    return None


def _alasan_kata(levels: list[str]) -> str:
    parts = [f"word {i + 1}: {lv.lower()}" for i, lv in enumerate(levels) if lv != "SAMA"]
    return "; ".join(parts)


def _tiap_kata_ada_kembarannya(short: list[tuple[str, str]], long_: list[tuple[str, str]]) -> bool:
    """Every word of `short` is SAMA or VARIAN_EJAAN to some word of `long_`: without that, no
    order of the words is better than PANGGILAN (a cheap test before trying every order)."""
    kata, lipat = {k for k, _ in long_}, {_lipat_jy(b) for _, b in long_}
    return all(k in kata or _lipat_jy(b) in lipat for k, b in short)


def _kata_kata(a: Nama, b: Nama) -> Hasil | None:
    """Level from the words alone (equal, reordered, subset), or None when the words do not agree."""
    wa, wb = list(zip(a.kata, a.baku)), list(zip(b.kata, b.baku))
    if not wa or not wb:
        return None
    swapped = len(wa) > len(wb)
    short, long_ = (wb, wa) if swapped else (wa, wb)
    best: tuple[int, str, str] | None = None
    if len(short) == len(long_):
        lv = [_kata(*x, *y) for x, y in zip(short, long_)]
        if all(lv):
            levels = [v for v in lv if v]
            best = (PERINGKAT[_lemah(*levels)], _lemah(*levels), _alasan_kata(levels) or "same words")
    if best is None or best[0] > PERINGKAT["URUTAN"]:
        if best is not None and best[0] <= PERINGKAT["PANGGILAN"] and not _tiap_kata_ada_kembarannya(short, long_):
            pass  # another order beats PANGGILAN only with every word SAMA or VARIAN_EJAAN
        elif len(long_) <= MAKS_KATA:
            floor = "URUTAN" if len(short) == len(long_) else "SUBSET"
            for order in permutations(range(len(long_)), len(short)):
                lv = [_kata(*short[i], *long_[j]) for i, j in enumerate(order)]
                if not all(lv):
                    continue
                levels = [v for v in lv if v]
                if floor == "URUTAN" and list(order) == sorted(order):
                    continue  # the positional test above
                level = _lemah(floor, *levels)
                if best is None or PERINGKAT[level] < best[0]:
                    side = "first" if not swapped else "second"
                    why = (
                        "same words, other order"
                        if floor == "URUTAN"
                        else f"the {side} name's {len(short)} word(s) among the other's {len(long_)}"
                    )
                    extra = _alasan_kata(levels)
                    best = (PERINGKAT[level], level, why + (f" ({extra})" if extra else ""))
    return Hasil(best[1], best[2]) if best else None


def _tanpa_bin(a: Nama, b: Nama) -> Hasil:
    """Compare on the person's words; titles count only when the words are the same."""
    h = _kata_kata(a, b)
    if h is None:
        s = jaro_winkler(a.teks, b.teks)
        if s >= MIRIP_AMBANG:
            return Hasil("MIRIP", f"jaro-winkler {s:.3f} >= {MIRIP_AMBANG}")
        return Hasil("BEDA", f"no rule applies (jaro-winkler {s:.3f})")
    if h.tingkat == "SAMA" and a.gelar != b.gelar:
        return Hasil("GELAR_SAJA", "same words, titles differ")
    return h


def _utuh(n: Nama) -> Nama:
    """The name with the father's part as plain words (BIN/BINTI dropped)."""
    return Nama(n.asli, n.gelar, n.kata + n.ayah_kata, n.baku + n.ayah_baku)


def _ayah(n: Nama) -> Nama:
    return Nama(n.asli, "", n.ayah_kata, n.ayah_baku)


def _banding(a: Nama, b: Nama) -> Hasil:
    if not a.kata or not b.kata:
        return Hasil("BEDA", "a name is empty")
    if a.ayah_kata and b.ayah_kata:
        diri, ayah = _tanpa_bin(a, b), _tanpa_bin(_ayah(a), _ayah(b))
        if ayah.tingkat == "BEDA":
            return Hasil("BEDA", "the fathers' names (bin/binti) differ")
        level = _lemah(diri.tingkat, ayah.tingkat)
        return Hasil(level, diri.alasan if level == diri.tingkat else f"fathers' names: {ayah.alasan}")
    if a.ayah_kata or b.ayah_kata:
        diri = _tanpa_bin(a, b)
        utuh = _tanpa_bin(_utuh(a), _utuh(b))
        one_side = "bin/binti on one side only"
        cands = [
            Hasil(_lemah(diri.tingkat, "TANPA_BIN"), f"{one_side}, compared on the person's part"),
            Hasil(_lemah(utuh.tingkat, "TANPA_BIN"), f"{one_side}, the father's name read as words"),
        ]
        if diri.tingkat == "BEDA" and utuh.tingkat == "BEDA":
            return diri
        best = min(cands, key=lambda h: h.peringkat)
        src = diri if best is cands[0] else utuh
        if PERINGKAT[src.tingkat] > PERINGKAT["TANPA_BIN"]:
            return Hasil(src.tingkat, f"{best.alasan}: {src.alasan}")
        return best
    return _tanpa_bin(a, b)


@lru_cache(maxsize=1 << 18)  # bounded: a province has millions of distinct names
def banding(a: str | None, b: str | None) -> Hasil:
    """Compare two names as written; the level says how they agree."""
    return _banding(normalisasi(a), normalisasi(b))


def banding_nama(a: Nama, b: Nama) -> Hasil:
    """Compare two names already normalised."""
    return _banding(a, b)


_BIN = frozenset(("BIN", "BINTI"))


@lru_cache(maxsize=1 << 18)
def hanya_panggilan(a: str, b: str) -> bool:
    """Two standardized names (words as one string) that differ by a nickname alone: the same
    words but one, which is a nickname of the other's (SRI WATI, SRI RAHMAWATI), or a single
    word that is a nickname of a word of the other (YADI, SUPRIYADI SANTOSO). `banding` calls
    such a pair PANGGILAN; this test skips its normalisation, and SQL asks it first."""
    wa, wb = a.split(), b.split()
    if _BIN.intersection(wa) or _BIN.intersection(wb):
        return False  # the father's part has rules of its own
    if len(wa) == 1 or len(wb) == 1:
        satu, lain = (wa[0], wb) if len(wa) == 1 else (wb[0], wa)
        return any(_panggilan_bukan_ejaan(satu, w) for w in lain)
    if len(wa) != len(wb) or len(set(wa)) != len(wa) or len(set(wb)) != len(wb):
        return False
    da, db = [w for w in wa if w not in wb], [w for w in wb if w not in wa]
    return len(da) == 1 and len(db) == 1 and _panggilan_bukan_ejaan(da[0], db[0])


def _panggilan_bukan_ejaan(a: str, b: str) -> bool:
    """A nickname, and not a spelling variant (YAYA is JAYA's nickname and its old spelling)."""
    return _lipat_jy(a) != _lipat_jy(b) and salah_satu_panggilan(a, b)
