"""Indonesian personal names, drawn vectorised, and the spelling variants sources show.

The vocabulary is Faker's id_ID name lists plus the names that dominate real registers
(Muhammad, Siti, Nur, Sri, ...), a few old-spelling names (Soekarno, Djoko, Tjahjono) and
names with an apostrophe (Nur'aini). Registry names are 1-3 words, upper case.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from faker.providers.person.id_ID import Provider as _Faker

_COMMON_MALE = (
    "AGUS",
    "BUDI",
    "HENDRA",
    "RUDI",
    "ANDI",
    "JOKO",
    "SLAMET",
    "BAMBANG",
    "EKO",
    "DEDI",
    "ASEP",
    "WAYAN",
    "MADE",
    "KETUT",
    "RIZKY",
    "FAJAR",
    "SUPRIYADI",
    "SUGENG",
    "HERU",
    "YUSUF",
    "IMAM",
    "ARIF",
    "DENI",
    "UJANG",
    "SAIFUL",
    "RAHMAT",
    "ILHAM",
)
_OLD_MALE = (
    "SOEKARNO",
    "SOEHARTO",
    "DJOKO",
    "TJAHJONO",
    "SOEPARMAN",
    "DJUNAEDI",
    "SOETRISNO",
    "TJIPTO",
    "SOEMARNO",
    "DJAJA",
)
_COMMON_FEMALE = (
    "DEWI",
    "PUTRI",
    "RATNA",
    "WATI",
    "YULI",
    "ENDANG",
    "SUMARNI",
    "SUSANTI",
    "RINA",
    "NURHAYATI",
    "KOMANG",
    "SITI",
    "FITRI",
    "NOVI",
    "RAHMAWATI",
    "MULYANI",
    "NUR'AINI",
    "ROFI'AH",
    "NI'MAH",
    "MU'AWANAH",
    "SYARIFAH",
)
_OLD_FEMALE = ("SOEMIATI", "DJUARIAH", "TJITJIH", "SOEKAESIH")
# First words that carry half the weight of the first position in real registers.
_PREFIX_MALE = {"MUHAMMAD": 6, "AHMAD": 3, "ABDUL": 1.5, "MOH": 0.3}
_PREFIX_FEMALE = {"SITI": 5, "NUR": 3, "SRI": 2.5, "DEWI": 1, "NI": 1, "NURUL": 1}


def _upper(words) -> list[str]:
    return sorted({w.upper() for w in words})


MALE_FIRST = _upper(_Faker.first_names_male + _COMMON_MALE + _OLD_MALE)
FEMALE_FIRST = _upper(_Faker.first_names_female + _COMMON_FEMALE + _OLD_FEMALE)
MALE_LAST = _upper(_Faker.last_names_male + ("SAPUTRA", "SETIAWAN", "HIDAYAT", "NUGROHO") + _OLD_MALE)
FEMALE_LAST = _upper(_Faker.last_names_female + ("LESTARI", "WULANDARI", "SARI", "ROHMAH"))


def _pick(words, n: int, rng: np.random.Generator, weights=None) -> pa.Array:
    p = None if weights is None else np.asarray(weights, float) / np.sum(weights)
    return pa.array(list(words)).take(pa.array(rng.choice(len(words), n, p=p)))


def _names_one_sex(n: int, female: bool, rng: np.random.Generator) -> pa.Array:
    words = rng.choice(3, n, p=[0.2, 0.55, 0.25]) + 1
    prefix = rng.random(n) < (0.28 if female else 0.22)
    first_pool, last_pool = (FEMALE_FIRST, FEMALE_LAST) if female else (MALE_FIRST, MALE_LAST)
    prefixes = _PREFIX_FEMALE if female else _PREFIX_MALE
    w1 = pc.if_else(
        pa.array(prefix & (words >= 2)),
        _pick(list(prefixes), n, rng, list(prefixes.values())),
        _pick(first_pool, n, rng),
    )
    second_pool = first_pool + last_pool
    w2 = pc.if_else(pa.array(words >= 2), _pick(second_pool, n, rng), pa.scalar(None, pa.string()))
    w3 = pc.if_else(pa.array(words >= 3), _pick(last_pool, n, rng), pa.scalar(None, pa.string()))
    return pc.binary_join_element_wise(w1, w2, w3, " ", null_handling="skip")


def person_names(female: np.ndarray, rng: np.random.Generator) -> pa.Array:
    """Upper-case full names, one per entry of `female` (bool)."""
    out = by_choice(
        pa.nulls(len(female), pa.string()),
        female.astype(np.int8),
        [
            lambda a: _names_one_sex(len(a), False, rng),
            lambda a: _names_one_sex(len(a), True, rng),
        ],
    )
    return out


# ---------------------------------------------------------------------------- vectorised helpers


def by_choice(arr: pa.Array, choice: np.ndarray, funcs: Sequence[Callable[[pa.Array], pa.Array]]) -> pa.Array:
    """result[i] = funcs[choice[i]](arr[i]), one vectorised call per function."""
    pieces, positions = [], []
    for j, f in enumerate(funcs):
        idx = np.flatnonzero(choice == j)
        if len(idx):
            pieces.append(f(arr.take(pa.array(idx))).cast(pa.string()))
            positions.append(idx)
    if not pieces:
        return arr
    combined = pa.concat_arrays(pieces)
    inverse = np.empty(len(arr), np.int64)
    inverse[np.concatenate(positions)] = np.arange(len(combined))
    return combined.take(pa.array(inverse))


def weighted_pick(applicable: np.ndarray, weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Per row, one column index among the applicable ones, proportional to `weights`
    (Efraimidis-Spirakis keys); -1 where none applies."""
    keys = rng.random(applicable.shape) ** (1.0 / np.asarray(weights, float))
    keys = np.where(applicable, keys, -1.0)
    pick = np.argmax(keys, axis=1)
    return np.where(applicable.any(axis=1), pick, -1)


def _matches(arr: pa.Array, pattern: str) -> np.ndarray:
    return pc.fill_null(pc.match_substring_regex(arr, pattern), False).to_numpy(zero_copy_only=False)


def _re(pattern: str, replacement: str, max_replacements: int | None = 1):
    return lambda a: pc.replace_substring_regex(a, pattern, replacement, max_replacements=max_replacements)


# ---------------------------------------------------------------------------- variants

_DOUBLE = [c * 2 for c in "LNMSTRDKPFGH"]
_COMMON_FORMS = (
    (r"\bMUHAMMAD\b", ("MUHAMAD", "MOHAMMAD", "MOHAMAD", "MOCHAMAD", "MOCHAMMAD", "M.", "MUH.", "MOH.")),
    (r"\bAHMAD\b", ("ACHMAD", "AKHMAD", "AHMAT")),
    (r"\bSITI\b", ("SITTI",)),
    (r"\bNUR\b", ("NOER",)),
)
_OLD_SPELLING = (  # (applies when, rewrite): both directions of the 1972 spelling reform
    (r"OE", _re("OE", "U")),
    (r"[BCDFGHJKLMNPRSTWYZ]U", _re(r"([BCDFGHJKLMNPRSTWYZ])U", r"\1OE")),
    (r"DJ", _re("DJ", "J")),
    (r"(^|[^D])J", _re(r"(^|[^D])J", r"\1DJ")),
    (r"TJ", _re("TJ", "C")),
    (r"C[AIUEO]", _re(r"C([AIUEO])", r"TJ\1")),
)
_TITLE_BEFORE = ("H.", "DRS.", "IR.", "DR.")
_TITLE_BEFORE_FEMALE = ("HJ.", "DRA.", "IR.", "DR.")
_TITLE_AFTER = ("S.PD", "S.E.", "S.H.", "S.KOM", "A.MD", "S.AG", "S.PD.I")


def _common_forms(a: pa.Array, rng: np.random.Generator) -> pa.Array:
    for pattern, forms in _COMMON_FORMS:
        a = by_choice(a, rng.integers(0, len(forms), len(a)), [_re(pattern, f) for f in forms])
    return a


def _drop_double(a: pa.Array, rng: np.random.Generator) -> pa.Array:
    for d in _DOUBLE:
        a = pc.replace_substring(a, d, d[0], max_replacements=1)
    return a


def _add_double(a: pa.Array, rng: np.random.Generator) -> pa.Array:
    return pc.replace_substring_regex(a, r"([AIUEO])([LNMRST])([AIUEO])", r"\1\2\2\3", max_replacements=1)


def _old_spelling(a: pa.Array, rng: np.random.Generator) -> pa.Array:
    applicable = np.column_stack([_matches(a, p) for p, _ in _OLD_SPELLING])
    pick = weighted_pick(applicable, np.ones(len(_OLD_SPELLING)), rng)
    return by_choice(a, pick, [f for _, f in _OLD_SPELLING])


def _title(a: pa.Array, female: np.ndarray, rng: np.random.Generator) -> pa.Array:
    n = len(a)
    before = pc.if_else(pa.array(female), _pick(_TITLE_BEFORE_FEMALE, n, rng), _pick(_TITLE_BEFORE, n, rng))
    after = _pick(_TITLE_AFTER, n, rng)
    sep = pa.array(np.where(rng.random(n) < 0.5, ", ", " "))
    prefixed = pc.binary_join_element_wise(before, a, " ")
    suffixed = pc.binary_join_element_wise(a, sep, after, "")
    return pc.if_else(pa.array(rng.random(n) < 0.5), prefixed, suffixed)


def _nickname(a: pa.Array, rng: np.random.Generator) -> pa.Array:
    drop_last = pc.replace_substring_regex(a, r" [^ ]+$", "")
    first_only = pc.replace_substring_regex(a, r" .*$", "")
    return pc.if_else(pa.array(rng.random(len(a)) < 0.6), drop_last, first_only)


VARIANT_KINDS = ("umum", "huruf_ganda_hilang", "huruf_ganda_tambah", "ejaan_lama", "gelar", "panggilan")
_VARIANT_WEIGHTS = np.array([3.0, 2.0, 1.0, 1.5, 2.5, 2.0])


def variants(names: pa.Array, female: np.ndarray, rng: np.random.Generator) -> pa.Array:
    """One spelling variant of each name: a common respelling (Muhammad/Mochamad, Siti/Sitti),
    a doubled letter dropped or added, old spelling (oe/u, dj/j, tj/c), a title, a nickname."""
    applicable = np.column_stack(
        [
            _matches(names, r"\b(MUHAMMAD|AHMAD|SITI|NUR)\b"),
            _matches(names, "|".join(_DOUBLE)),
            _matches(names, r"[AIUEO][LNMRST][AIUEO]"),
            _matches(names, "|".join(p for p, _ in _OLD_SPELLING)),
            np.ones(len(names), bool),
            _matches(names, " "),
        ]
    )
    kind = weighted_pick(applicable, _VARIANT_WEIGHTS, rng)
    female_titled = female[kind == 4]  # by_choice hands the titled names over in this order
    funcs = [
        lambda a: _common_forms(a, rng),
        lambda a: _drop_double(a, rng),
        lambda a: _add_double(a, rng),
        lambda a: _old_spelling(a, rng),
        lambda a: _title(a, female_titled, rng),
        lambda a: _nickname(a, rng),
    ]
    return by_choice(names, kind, funcs)


# ---------------------------------------------------------------------------- addresses

_JALAN = (
    "MAWAR",
    "MELATI",
    "MERDEKA",
    "SUDIRMAN",
    "DIPONEGORO",
    "GATOT SUBROTO",
    "AHMAD YANI",
    "PAHLAWAN",
    "KENANGA",
    "FLAMBOYAN",
    "CEMPAKA",
    "ANGGREK",
    "RAYA",
    "PEMUDA",
    "VETERAN",
    "KARTINI",
    "IMAM BONJOL",
    "HASANUDDIN",
    "SILIWANGI",
    "GAJAH MADA",
    "PASAR",
    "MASJID",
    "SEKOLAH",
    "NANGKA",
    "MANGGA",
    "DURIAN",
    "KELAPA",
    "BERINGIN",
)
_KAMPUNG = (
    "SUKAMAJU",
    "KRAJAN",
    "TENGAH",
    "WETAN",
    "KULON",
    "LOR",
    "KIDUL",
    "PASIR",
    "BABAKAN",
    "CIBODAS",
    "SUMBERSARI",
    "GUNUNGSARI",
    "KARANGANYAR",
    "SIDOMULYO",
    "TANJUNG",
    "PADANG",
)


def addresses(urban: np.ndarray, rng: np.random.Generator) -> pa.Array:
    """Street addresses in town, hamlets (dusun, kampung) in the country."""
    n = len(urban)
    nomor = pc.cast(pa.array(rng.integers(1, 150, n)), pa.string())
    jalan = pc.binary_join_element_wise(
        pa.array(np.where(rng.random(n) < 0.8, "JL.", "GG.")), _pick(_JALAN, n, rng), pa.scalar("NO."), nomor, " "
    )
    dusun = pc.binary_join_element_wise(
        pa.array(np.where(rng.random(n) < 0.6, "DUSUN", "KP.")), _pick(_KAMPUNG, n, rng), " "
    )
    return pc.if_else(pa.array(urban), jalan, dusun)
