"""The forms a registry name takes in a source, one function per kind of config.NAME_KINDS.

Each form function takes upper-case registry names (with the person's sex and the father's
name, null where unknown) and returns the name as a source writes it, or null where the
form does not fit the name (old spelling of a name without a letter that changed, a nickname
of a name without a word long enough). Everything is vectorised: words are split with
pyarrow, and what depends on a word alone (syllables, nicknames) is computed once per
distinct word and mapped back.

Written for the generator on its own: the matcher's rules (transforms/names/) are not
imported, so that tests measure how well they generalise.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthetic import suku_kata
from synthetic.names import MALE_FIRST, MALE_LAST, by_choice, weighted_pick

_NULL = pa.scalar(None, pa.string())
# Words that open a name and are not the name people are called by (MUHAMMAD RIZKY is RIZKY).
PREFIX_WORDS = ("MUHAMMAD", "AHMAD", "ABDUL", "MOH", "SITI", "NUR", "NURUL", "SRI", "NI")


def _matches(arr: pa.Array, pattern: str) -> np.ndarray:
    return pc.fill_null(pc.match_substring_regex(arr, pattern), False).to_numpy(zero_copy_only=False)


def _re(pattern: str, replacement: str, max_replacements: int | None = 1):
    return lambda a: pc.replace_substring_regex(a, pattern, replacement, max_replacements=max_replacements)


def _masked(a: pa.Array, ok: np.ndarray) -> pa.Array:
    """`a` where ok, null elsewhere."""
    return pc.if_else(pa.array(ok), a, _NULL)


def _nothing(a: pa.Array) -> pa.Array:
    return pa.nulls(len(a), pa.string())


def _pick(words, n: int, rng: np.random.Generator, weights=None) -> pa.Array:
    p = None if weights is None else np.asarray(weights, float) / np.sum(weights)
    return pa.array(list(words), pa.string()).take(pa.array(rng.choice(len(words), n, p=p)))


# ---------------------------------------------------------------------------- words


@dataclass
class Kata:
    """The words of a column of names, flat, with where each name's words start."""

    flat: pa.Array  # every word, name after name
    offsets: np.ndarray  # int64, n + 1: name i has flat[offsets[i]:offsets[i + 1]]
    parent: np.ndarray  # per word: its name
    pos: np.ndarray  # per word: its position in the name, from 0

    @staticmethod
    def of(names: pa.Array) -> Kata:
        lists = pc.utf8_split_whitespace(names)
        count = pc.fill_null(pc.list_value_length(lists), 0).to_numpy(zero_copy_only=False).astype(np.int64)
        offsets = np.r_[0, np.cumsum(count)].astype(np.int64)
        parent = np.repeat(np.arange(len(count)), count)
        flat = pc.list_flatten(lists)
        return Kata(flat=flat, offsets=offsets, parent=parent, pos=np.arange(len(parent)) - offsets[parent])

    @property
    def count(self) -> np.ndarray:
        return np.diff(self.offsets)

    def word(self, k: int) -> pa.Array:
        """Each name's word at position k (null where it has fewer words)."""
        has = self.count > k
        idx = np.where(has, self.offsets[:-1] + k, 0)
        if len(self.flat) == 0:
            return pa.nulls(len(has), pa.string())
        return pc.if_else(pa.array(has), self.flat.take(pa.array(idx)), _NULL)

    def join(self, take: np.ndarray, offsets: np.ndarray, extra: pa.Array | None = None) -> pa.Array:
        """Names rebuilt from words: `take` indexes flat (then `extra`), `offsets` per name."""
        words = self.flat if extra is None else pa.concat_arrays([self.flat, extra.cast(pa.string())])
        lists = pa.ListArray.from_arrays(pa.array(offsets, pa.int64()), words.take(pa.array(take, pa.int64())))
        return pc.binary_join(lists, " ")


def per_word(words: pa.Array, f: Callable[[str], str | None]) -> pa.Array:
    """f of each word, computed once per distinct word."""
    uniq = pc.unique(words)
    table = pa.array([f(w) for w in uniq.to_pylist()], pa.string())
    return table.take(pc.index_in(words, value_set=uniq))


def _is_prefix(words: pa.Array) -> np.ndarray:
    return pc.fill_null(pc.is_in(words, value_set=pa.array(PREFIX_WORDS)), False).to_numpy(zero_copy_only=False)


def given_name(names: pa.Array) -> pa.Array:
    """The part of a name a person is addressed by before any father's or family name: the
    first word, or the first two when the first is a prefix (SITI AMINAH, MUHAMMAD RIZKY)."""
    k = Kata.of(names)
    w1, w2 = k.word(0), k.word(1)
    two = _is_prefix(w1) & (k.count >= 2)
    return pc.if_else(pa.array(two), pc.binary_join_element_wise(w1, w2, " "), w1)


# ---------------------------------------------------------------------------- titles

# (official writing, weight); men and women differ only in the religious and old degrees.
_BEFORE_MALE = (("H.", 5.0), ("Haji", 1.0), ("Drs.", 1.5), ("Ir.", 1.0), ("Dr.", 0.7), ("K.H.", 0.3))
_BEFORE_FEMALE = (("Hj.", 5.0), ("Hajjah", 0.7), ("Dra.", 1.5), ("Ir.", 0.7), ("Dr.", 0.7))
_AFTER = (
    ("S.Pd.", 3.0),
    ("S.E.", 1.5),
    ("S.H.", 1.0),
    ("S.Kom.", 1.0),
    ("A.Md.", 1.0),
    ("M.M.", 0.7),
    ("S.Ag.", 0.7),
    ("S.Pd.I.", 0.7),
    ("S.Sos.", 0.7),
    ("S.T.", 0.7),
    ("S.Kep.", 0.5),
    ("M.Pd.", 0.5),
)


def writings(title: str) -> list[str]:
    """The ways one title gets typed: as written (S.Pd.), upper case (S.PD.), without the
    last dot (S.Pd), with blanks (S. Pd.), without dots (SPd, SPD)."""
    parts = [p for p in title.split(".") if p]
    dotted = ".".join(parts) + "." if "." in title else title
    forms = [dotted, dotted.upper(), dotted.rstrip(".")]
    if len(parts) > 1:
        forms += [". ".join(parts) + ".", "".join(parts), "".join(parts).upper()]
    else:
        forms.append(dotted.upper().rstrip("."))
    return list(dict.fromkeys(forms))


def _titles(table: tuple[tuple[str, float], ...], n: int, rng: np.random.Generator) -> pa.Array:
    """n titles drawn by weight, each in one of its writings."""
    forms = [writings(t) for t, _ in table]
    flat = pa.array([f for fs in forms for f in fs])
    start = np.r_[0, np.cumsum([len(fs) for fs in forms])[:-1]]
    size = np.array([len(fs) for fs in forms])
    w = np.array([x for _, x in table])
    t = rng.choice(len(table), n, p=w / w.sum())
    return flat.take(pa.array(start[t] + np.floor(rng.random(n) * size[t]).astype(np.int64)))


def title(names: pa.Array, female: np.ndarray, ayah: pa.Array, rng: np.random.Generator) -> pa.Array:
    """A title before the name (45%), after it (40%) or both (15%): H. AHMAD, SITI AMINAH, S.Pd,
    DRS. BUDI SANTOSO, M.M.; after the name behind a comma, a comma and a blank, or a blank."""
    n = len(names)
    before = pc.if_else(pa.array(female), _titles(_BEFORE_FEMALE, n, rng), _titles(_BEFORE_MALE, n, rng))
    after = _titles(_AFTER, n, rng)
    sep = pa.array(np.array([", ", ",", " "])[rng.choice(3, n, p=[0.6, 0.1, 0.3])])
    where = rng.choice(3, n, p=[0.45, 0.40, 0.15])
    with_before = pc.binary_join_element_wise(before, names, " ")
    return pc.choose(
        pa.array(where.astype(np.int8)),
        with_before,
        pc.binary_join_element_wise(names, sep, after, ""),
        pc.binary_join_element_wise(with_before, sep, after, ""),
    )


# ---------------------------------------------------------------------------- Arabic-origin forms

# (word, its other forms); a form marked first-only is written only as the name's first word.
_ARABIC = (
    ("MUHAMMAD", ("MUHAMAD", "MOHAMMAD", "MOHAMAD", "MOCHAMAD", "MOCHAMMAD", "MUCHAMMAD", "MOCH.", "MOH.", "MUH.")),
    ("AHMAD", ("ACHMAD", "AKHMAD")),
    ("ABDUL", ("ABD.", "ABDOEL")),
    ("NUR", ("NOOR", "NOER")),
    ("SITI", ("SITTI",)),
    ("MOH", ("MUHAMMAD", "MOCH.")),
)
_FIRST_ONLY_FORM = "M."  # of MUHAMMAD and MOH, as the first word: M. RIZKY
_ARABIC_WORDS = "|".join(w for w, _ in _ARABIC)


def _word_re(word: str) -> str:
    return rf"(^| ){word}( |$)"


def arabic_form(names: pa.Array, female: np.ndarray, ayah: pa.Array, rng: np.random.Generator) -> pa.Array:
    """Every Arabic-origin word of the name in another of its written forms."""
    ok = _matches(names, _word_re(f"({_ARABIC_WORDS})"))
    out = names
    for word, forms in _ARABIC:
        first = _matches(out, f"^{word}( |$)")
        allowed = forms + ((_FIRST_ONLY_FORM,) if word in ("MUHAMMAD", "MOH") else ())
        # The first-only form is drawn only where the word opens the name.
        k = np.floor(rng.random(len(out)) * np.where(first, len(allowed), len(forms))).astype(np.int64)
        out = by_choice(out, k, [_re(_word_re(word), rf"\1{f}\2", None) for f in allowed])
    return _masked(out, ok)


# ---------------------------------------------------------------------------- old spelling

_OLD_SPELLING = (  # (applies when, rewrite): both directions of the 1947 and 1972 reforms
    (r"OE", _re("OE", "U")),
    (r"[BCDFGHJKLMNPRSTWYZ]U", _re(r"([BCDFGHJKLMNPRSTWYZ])U", r"\1OE")),
    (r"DJ", _re("DJ", "J")),
    (r"(^|[^D])J", _re(r"(^|[^D])J", r"\1DJ")),
    (r"TJ", _re("TJ", "C")),
    (r"C[AIUEO]", _re(r"C([AIUEO])", r"TJ\1")),
    (r"Y[AIUEO]", _re("Y([AIUEO])", r"J\1", None)),  # YUSUF -> JUSUF, SYARIFAH -> SJARIFAH, NYOMAN -> NJOMAN
    (r"KH", _re("KH", "CH", None)),  # KHAIRUL -> CHAIRUL
    (r"CH", _re("CH", "KH", None)),  # RACHMAT -> RAKHMAT
)


def old_spelling(names: pa.Array, female: np.ndarray, ayah: pa.Array, rng: np.random.Generator) -> pa.Array:
    """One spelling rule of before 1972 (or its undoing) that fits the name."""
    applicable = np.column_stack([_matches(names, p) for p, _ in _OLD_SPELLING])
    pick = weighted_pick(applicable, np.ones(len(_OLD_SPELLING)), rng)
    return by_choice(names, pick + 1, [_nothing, *(f for _, f in _OLD_SPELLING)])


# ---------------------------------------------------------------------------- nicknames


def _one_word(
    names: pa.Array,
    makers: list[Callable[[str], str | None]],
    weights: list[float],
    rng: np.random.Generator,
    alone: float,
    skip: tuple[str, ...] = (),
) -> pa.Array:
    """One word of each name made another by one of `makers` (computed per distinct word,
    drawn by `weights` among those that give a form): the first word that has a form, a
    prefix word (MUHAMMAD, SITI) only when no other has, a word of `skip` never. The record
    carries that form alone (share `alone`) or in the word's place among the other words;
    null where no word has a form."""
    k = Kata.of(names)
    n = len(names)
    cands = [per_word(k.flat, f) for f in makers]
    has = np.column_stack([pc.is_valid(c).to_numpy(zero_copy_only=False) for c in cands])
    if skip:
        has &= ~pc.is_in(k.flat, value_set=pa.array(skip)).to_numpy(zero_copy_only=False)[:, None]
    eligible = np.flatnonzero(has.any(axis=1))
    if len(eligible) == 0:
        return pa.nulls(n, pa.string())
    score = k.pos[eligible] + 1000 * _is_prefix(k.flat.take(pa.array(eligible)))
    order = np.lexsort((score, k.parent[eligible]))
    ranked = eligible[order]
    rows, first = np.unique(k.parent[ranked], return_index=True)
    word = ranked[first]  # the word to change, per row of `rows`
    which = weighted_pick(has[word], np.asarray(weights, float), rng)
    form = pc.choose(pa.array(which.astype(np.int8)), *[c.take(pa.array(word)) for c in cands])
    take = np.arange(len(k.flat))
    take[word] = len(k.flat) + np.arange(len(word))
    replaced = k.join(take, k.offsets, form).take(pa.array(rows))
    chosen = pc.if_else(pa.array(rng.random(len(rows)) < alone), form, replaced)
    idx = np.full(n, len(rows))
    idx[rows] = np.arange(len(rows))
    return pa.concat_arrays([chosen, pa.nulls(1, pa.string())]).take(pa.array(idx))


def nickname_end(names: pa.Array, female: np.ndarray, ayah: pa.Array, rng: np.random.Generator) -> pa.Array:
    """From the last syllables (RAHMAWATI -> WATI, SUSANTI -> SANTI) or the last doubled
    (SLAMET -> MEMET, KURNIAWAN -> WAWAN)."""
    return _one_word(names, [suku_kata.tail_nickname, suku_kata.doubled_nickname], [0.6, 0.4], rng, alone=0.5)


def nickname_start(names: pa.Array, female: np.ndarray, ayah: pa.Array, rng: np.random.Generator) -> pa.Array:
    """From the first syllables (HENDRAWAN -> HENDRA, AGUSTINA -> AGUS)."""
    return _one_word(names, [suku_kata.head_nickname], [1.0], rng, alone=0.5)


# ---------------------------------------------------------------------------- words dropped, added, moved


def first_only(names: pa.Array, female: np.ndarray, ayah: pa.Array, rng: np.random.Generator) -> pa.Array:
    """The given name alone (BUDI SANTOSO -> BUDI, SITI AMINAH RAHAYU -> SITI AMINAH)."""
    given = given_name(names)
    return _masked(given, pc.not_equal(given, names).to_numpy(zero_copy_only=False))


_PERMS3 = np.array([[0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]])


def word_order(names: pa.Array, female: np.ndarray, ayah: pa.Array, rng: np.random.Generator) -> pa.Array:
    """The words of a name of two or three in another order (BUDI SANTOSO -> SANTOSO BUDI)."""
    k = Kata.of(names)
    count = k.count
    perm = np.tile(np.arange(3), (len(names), 1))
    perm[count == 2] = [1, 0, 2]
    three = np.flatnonzero(count == 3)
    perm[three] = _PERMS3[rng.integers(0, len(_PERMS3), len(three))]
    inner = k.pos < 3
    take = np.arange(len(k.flat))
    take[inner] = k.offsets[k.parent[inner]] + perm[k.parent[inner], k.pos[inner]]
    return _masked(k.join(take, k.offsets), (count == 2) | (count == 3))


def _father_word(ayah: pa.Array, n: int, rng: np.random.Generator, pool) -> pa.Array:
    return pc.coalesce(ayah, _pick(pool, n, rng))


def bin_binti(names: pa.Array, female: np.ndarray, ayah: pa.Array, rng: np.random.Generator) -> pa.Array:
    """PERSON BIN FATHER, PERSON BINTI FATHER: the father's given name (first word, or the
    first two after a prefix), a plausible male first name where the father is not known."""
    father = given_name(_father_word(ayah, len(names), rng, MALE_FIRST))
    word = pa.array(np.where(female, "BINTI", "BIN"))
    return pc.binary_join_element_wise(names, word, father, " ")


def mononym(names: pa.Array, female: np.ndarray, ayah: pa.Array, rng: np.random.Generator) -> pa.Array:
    """A one-word name with a second word, the father's name where known (SUPARMAN ->
    SUPARMAN HADI); a prefix and one word as the word alone (SITI AMINAH -> AMINAH)."""
    k = Kata.of(names)
    n = len(names)
    w1, w2 = k.word(0), k.word(1)
    fk = Kata.of(ayah)
    # The father's first word that is not a prefix (MUHAMMAD YUSUF -> YUSUF).
    fw1, fw2 = fk.word(0), fk.word(1)
    father = pc.if_else(pa.array(_is_prefix(fw1) & (fk.count >= 2)), fw2, fw1)
    unusable = pc.or_(pc.fill_null(pc.equal(father, w1), True), pc.is_null(ayah))
    father = pc.if_else(unusable, _pick(MALE_LAST, n, rng), father)
    added = pc.binary_join_element_wise(w1, father, " ")
    one = k.count == 1
    dropped = (k.count == 2) & _is_prefix(w1)
    return pc.if_else(pa.array(one), added, pc.if_else(pa.array(dropped), w2, _NULL))


# ---------------------------------------------------------------------------- outside the rule tables

_DOUBLED = re.compile(r"([BCDFGHJKLMNPRSTVWYZ])\1")
_SINGLE = re.compile(r"([AIUEO])([LNMRST])([AIUEO])")


def drop_double(word: str) -> str | None:
    """The first doubled consonant written once (HASANUDDIN -> HASANUDIN), None if none."""
    out = _DOUBLED.sub(r"\1", word, count=1)
    return out if out != word else None


def add_double(word: str) -> str | None:
    """The first of L, N, M, R, S, T between two vowels doubled (AMINAH -> AMMINAH)."""
    out = _SINGLE.sub(r"\1\2\2\3", word, count=1)
    return out if out != word else None


def double_letter(names: pa.Array, female: np.ndarray, ayah: pa.Array, rng: np.random.Generator) -> pa.Array:
    """One word with a doubled letter written once or a letter doubled (two to one where
    both fit). Never in an Arabic-origin word: SITTI and MUHAMAD are forms of their own."""
    skip = tuple(w for w, _ in _ARABIC) + ("MUHAMAD", "MOHAMMAD", "MOHAMAD", "MOCHAMMAD", "SITTI")
    return _one_word(names, [drop_double, add_double], [2.0, 1.0], rng, alone=0.0, skip=skip)


def final_t(names: pa.Array, female: np.ndarray, ayah: pa.Array, rng: np.random.Generator) -> pa.Array:
    """A word's final D written T, as it is said (AHMAD -> AHMAT, MAHMUD -> MAHMUT)."""
    return _masked(_re("D( |$)", r"T\1")(names), _matches(names, "D( |$)"))


Form = Callable[[pa.Array, np.ndarray, pa.Array, np.random.Generator], pa.Array]
FORMS: dict[str, Form] = {
    "name_title": title,
    "name_arabic_form": arabic_form,
    "name_old_spelling": old_spelling,
    "name_nickname_end": nickname_end,
    "name_nickname_start": nickname_start,
    "name_first_only": first_only,
    "name_word_order": word_order,
    "name_bin": bin_binti,
    "name_mononym": mononym,
    "name_double_letter": double_letter,
    "name_final_t": final_t,
}
