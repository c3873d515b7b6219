"""Indonesian personal names, drawn vectorised (the forms sources write them in are in
bentuk_nama.py).

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
    if any(isinstance(p, pa.ChunkedArray) for p in pieces):  # more than 2 GB of text (20M persons)
        combined = pa.chunked_array([c for p in pieces for c in getattr(p, "chunks", [p])], type=pa.string())
    else:
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
