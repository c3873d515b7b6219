"""The civil registry as it is at the cut-off: families (KK) and their members.

Families have realistic sizes and relations, ages consistent with the relations, NIKs by
the real rule. About 10% of people were first registered elsewhere (families that moved),
about 1.5% are dead (still in the file, with TGL_MATI), and some married children left
their parents' KK for a new one (`induk`, `pisah`): older sources still list them in the
old KK.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthetic import identifiers, names, tanggal
from synthetic.regions import Regions

SIZE_PMF = np.array([0.12, 0.18, 0.22, 0.21, 0.13, 0.07, 0.04, 0.02, 0.006, 0.004])  # 1..10, mean 3.58
MOVED_SHARE = 0.12  # of families: with split-off spouses about 10% of persons
DEAD_SHARE = 0.015
SPLIT_CANDIDATES = 0.30  # of young couples: a child of an older family in the district
FIRST_DEATH = dt.date(2015, 1, 1)
FIRST_SPLIT = dt.date(2019, 1, 1)
LAST_OLD_KK = dt.date(2021, 12, 31)  # KK numbers of families that did not split predate Regsosek

# STAT_HBKEL: 1 head, 2 husband, 3 wife, 4 child, 5 child-in-law, 6 grandchild, 7 parent,
# 8 parent-in-law, 9 other relative, 10 household help, 11 other.
KEPALA, SUAMI, ISTRI, ANAK, MENANTU, CUCU, ORANG_TUA, MERTUA, FAMILI, PEMBANTU, LAINNYA = range(1, 12)


@dataclass
class Penduduk:
    # per family (KK), in village order
    kk: np.ndarray  # int64
    desa: np.ndarray  # village index
    start: np.ndarray  # index of its first member (the head)
    size: np.ndarray
    induk: np.ndarray  # the family a split-off left, -1 otherwise
    pisah: np.ndarray  # date of the split (days), NEVER otherwise
    alamat: pa.Array
    rt: pa.Array
    rw: pa.Array
    # per person, grouped by family, head first
    fam: np.ndarray
    stat: np.ndarray  # STAT_HBKEL
    female: np.ndarray
    lahir: np.ndarray  # days
    mati: np.ndarray  # days, tanggal.NEVER for the living
    kawin: np.ndarray  # 1 single, 2 married, 3 divorced, 4 widowed
    nik: np.ndarray  # int64
    nik_kec: np.ndarray  # district of first registration (index)
    nama: pa.Array
    nama_ibu: pa.Array
    tempat: pa.Array

    @property
    def n_keluarga(self) -> int:
        return len(self.kk)

    @property
    def n(self) -> int:
        return len(self.fam)

    @property
    def kepala(self) -> np.ndarray:
        """Person index of each family's head."""
        return self.start

    def hidup(self, at: int) -> np.ndarray:
        return self.mati > at

    @cached_property
    def ayah(self) -> np.ndarray:
        """Each person's father where the registry shows him, else -1: for a child the male
        head or the head's husband; for a split-off head the father of the family he left,
        for another head a male parent in the KK; for the head's spouse a male parent-in-law."""
        n, start, fam, stat, male = self.n, self.start, self.fam, self.stat, ~self.female
        second = np.minimum(start + 1, max(n - 1, 0))
        husband = (self.size >= 2) & (stat[second] == SUAMI)
        father_here = np.where(male[start], start, np.where(husband, second, -1))

        def first_in_family(mask: np.ndarray) -> np.ndarray:
            out = np.full(self.n_keluarga, -1, np.int64)
            idx = np.flatnonzero(mask)[::-1]  # the last write wins: the first member
            out[fam[idx]] = idx
            return out

        parent = first_in_family((stat == ORANG_TUA) & male)
        in_law = first_in_family((stat == MERTUA) & male)
        split_head = self.induk[fam] >= 0
        left = np.where(split_head, father_here[self.induk[fam]], -1)
        of_head = np.where(left >= 0, left, parent[fam])
        return np.select(
            [stat == ANAK, stat == KEPALA, (stat == SUAMI) | (stat == ISTRI)],
            [father_here[fam], of_head, in_law[fam]],
            -1,
        ).astype(np.int64)

    def serumah(self, orang: np.ndarray, bawah: np.ndarray) -> np.ndarray:
        """The member on the KK row below (`bawah`) or above each person: the row after the
        last is the one above it and vice versa; -1 for a person alone in the KK."""
        pos = orang - self.start[self.fam[orang]]
        size = self.size[self.fam[orang]].astype(np.int64)
        step = np.where(bawah, 1, -1)
        step = np.where(pos + step >= size, -1, np.where(pos + step < 0, 1, step))
        return np.where(size >= 2, orang + step, -1)


# ---------------------------------------------------------------------------- structure


def _sizes(persons: int, rng: np.random.Generator) -> np.ndarray:
    n = int(persons / 3.58 * 1.1) + 20
    sizes = rng.choice(10, n, p=SIZE_PMF / SIZE_PMF.sum()) + 1
    total = np.cumsum(sizes)
    last = int(np.searchsorted(total, persons))
    sizes = sizes[: last + 1].copy()
    sizes[-1] -= int(total[last] - persons)  # the last family absorbs the rounding
    return sizes.astype(np.int16)


@dataclass
class _Heads:
    spouse: np.ndarray
    female: np.ndarray
    age: np.ndarray


def _heads(size: np.ndarray, rng: np.random.Generator) -> _Heads:
    f = len(size)
    single = size == 1
    spouse = ~single & (rng.random(f) < 0.88)
    lone_parent = ~single & ~spouse
    young = rng.random(f) < 0.5
    age = np.where(
        single & young,
        np.clip(rng.normal(27, 5, f), 18, 40),
        np.where(
            single,
            np.clip(rng.normal(68, 9, f), 45, 95),
            np.where(
                lone_parent,
                np.clip(rng.normal(52, 12, f), 25, 90),
                np.clip(rng.normal(43, 12, f) + 0.8 * (size - 3), 19, 88),
            ),
        ),
    )
    p_female = np.where(single, 0.5, np.where(spouse, 0.03, 0.7))
    return _Heads(spouse=spouse, female=rng.random(f) < p_female, age=age)


def _members(size: np.ndarray, h: _Heads, rng: np.random.Generator):
    """Relation, sex and age (years, float) of every person; families contiguous, head first."""
    f = len(size)
    fam = np.repeat(np.arange(f, dtype=np.int32), size)
    start = np.r_[0, np.cumsum(size)[:-1]].astype(np.int64)
    pos = np.arange(len(fam)) - start[fam]
    n = len(fam)
    hage = h.age[fam]
    u = rng.random(n)
    stat = np.select(
        [u < 0.84, u < 0.89, u < 0.94, u < 0.96, u < 0.99, u < 0.995],
        [ANAK, ORANG_TUA, CUCU, MENANTU, FAMILI, PEMBANTU],
        LAINNYA,
    ).astype(np.int8)
    stat = np.where((stat == CUCU) & (hage < 48), ANAK, stat)
    stat = np.where((stat == MENANTU) & (hage < 42), ANAK, stat)
    stat = np.where((stat == ORANG_TUA) & (hage > 68), FAMILI, stat)
    stat = np.where((stat == ORANG_TUA) & (rng.random(n) < 0.5), MERTUA, stat)
    is_spouse = (pos == 1) & h.spouse[fam]
    head_f = h.female[fam]
    stat = np.where(is_spouse, np.where(head_f, SUAMI, ISTRI), stat)
    stat = np.where(pos == 0, KEPALA, stat).astype(np.int8)

    spouse_age = np.clip(hage + np.where(head_f, 1, -1) * rng.normal(4, 4, n), 17, 98)
    mother_age_f = h.age.copy()  # the wife's age where the head is a husband
    mother_age_f[h.spouse & ~h.female] = spouse_age[start[h.spouse & ~h.female] + 1]
    m = mother_age_f[fam]
    lo = np.maximum(0.0, m - 45)
    hi = np.maximum(lo + 0.1, np.minimum(m, hage) - 17)  # younger than mother and father by 17+
    v = rng.random(n)
    age = np.select(
        [
            stat == KEPALA,
            is_spouse,
            stat == ANAK,
            stat == CUCU,
            stat == MENANTU,
            (stat == ORANG_TUA) | (stat == MERTUA),
            stat == PEMBANTU,
        ],
        [
            hage,
            spouse_age,
            lo + v * (hi - lo),
            v * np.minimum(25, np.maximum(0.5, hage - 38)),
            18 + v * (np.maximum(19, m - 15) - 18),
            np.minimum(100, hage + 18 + v * 17),
            16 + v * 40,
        ],
        v * 75,
    )
    p_female = np.select(
        [stat == MENANTU, (stat == ORANG_TUA) | (stat == MERTUA), stat == PEMBANTU], [0.8, 0.65, 0.8], 0.5
    )
    female = np.where(pos == 0, head_f, np.where(is_spouse, ~head_f, rng.random(n) < p_female))
    return fam, start, stat, female, age


def _marital(stat, age, spouse_of, rng: np.random.Generator) -> np.ndarray:
    n = len(stat)
    u = rng.random(n)
    alone = np.select([u < 0.6, u < 0.9], [4, 3], 1)
    young_alone = np.where(u < 0.85, 1, 3)
    adult_child = np.select([u < 0.8, u < 0.95], [1, 3], 2)
    other = np.select([u < 0.4, u < 0.7, u < 0.8], [1, 2, 3], 4)
    kawin = np.select(
        [
            (stat == KEPALA) & spouse_of,
            (stat == KEPALA) & (age < 35),
            stat == KEPALA,
            (stat == SUAMI) | (stat == ISTRI) | (stat == MENANTU),
            (stat == ORANG_TUA) | (stat == MERTUA),
            age < 19,
            (stat == ANAK) | (stat == CUCU),
        ],
        [2, young_alone, alone, 2, np.where(u < 0.75, 4, 2), 1, adult_child],
        other,
    )
    return kawin.astype(np.int8)


# ---------------------------------------------------------------------------- splits and moves


def _link_splits(h: _Heads, desa: np.ndarray, regions: Regions, rng: np.random.Generator) -> np.ndarray:
    """For young couples, an older family in the same district they left: index or -1."""
    f = len(desa)
    cand = h.spouse & ~h.female & (h.age >= 22) & (h.age <= 40) & (rng.random(f) < SPLIT_CANDIDATES)
    eligible = np.flatnonzero((h.age >= 45) & ~cand)
    induk = np.full(f, -1, np.int32)
    if len(eligible) == 0:
        return induk
    kec = regions.kec_id[desa]
    order = eligible[np.lexsort((rng.random(len(eligible)), kec[eligible]))]
    ks = kec[order]
    c = np.flatnonzero(cand)
    first = np.searchsorted(ks, kec[c], "left")
    count = np.searchsorted(ks, kec[c], "right") - first
    pick = first + np.floor(rng.random(len(c)) * np.maximum(count, 1)).astype(np.int64)
    parent = order[np.minimum(pick, len(order) - 1)]
    gap = h.age[parent] - h.age[c]
    ok = (count > 0) & (gap >= 18) & (gap <= 45)
    induk[c[ok]] = parent[ok]
    return induk


def _first_districts(
    fam, start, lahir, desa, induk, regions: Regions, cutoff: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """District of first registration per person: today's, or the one a family came from."""
    f = len(desa)
    here = regions.kec_id[desa].astype(np.int64)
    moved = (induk < 0) & (rng.random(f) < MOVED_SHARE)
    origin = here.copy()
    k = int(moved.sum())
    drawn = rng.choice(len(regions.kec_kode), k, p=regions.kec_bobot / regions.kec_bobot.sum())
    origin[moved] = np.where(drawn == here[moved], (drawn + 1) % len(regions.kec_kode), drawn)
    adult = tanggal.add_years(lahir[start], 18)
    move_date = np.where(
        moved,
        tanggal.uniform(rng, np.maximum(adult, tanggal.days(dt.date(1995, 1, 1))), cutoff - 30, f),
        np.iinfo(np.int32).min,
    )
    kec = np.where(lahir < move_date[fam], origin[fam], here[fam])
    # A split-off head was born into the parent family: registered where it lived then.
    split = induk >= 0
    sh = start[split]
    par = induk[split]
    kec[sh] = np.where(lahir[sh] < move_date[par], origin[par], here[par])
    # Half of the spouses who married into a split-off family came from another district.
    spouse = start[split] + 1
    other = rng.random(len(spouse)) < 0.5
    kec[spouse[other]] = rng.choice(
        len(regions.kec_kode), int(other.sum()), p=regions.kec_bobot / regions.kec_bobot.sum()
    )
    return kec.astype(np.int32), move_date


def _deaths(age: np.ndarray, lahir: np.ndarray, cutoff: int, rng: np.random.Generator) -> np.ndarray:
    """About 1.5% dead since 2015, the old far more likely."""
    w = np.exp(age / 10.0)
    p = np.minimum(0.9, DEAD_SHARE * len(age) * w / w.sum())
    dead = rng.random(len(age)) < p
    when = tanggal.uniform(rng, np.maximum(lahir + 1, tanggal.days(FIRST_DEATH)), cutoff - 1, len(age))
    return np.where(dead, when, tanggal.NEVER).astype(np.int32)


# ---------------------------------------------------------------------------- assembly


def _order_families(desa: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return np.lexsort((rng.random(len(desa)), desa))


def build(regions: Regions, persons: int, cutoff_date: dt.date, rng: np.random.Generator) -> Penduduk:
    cutoff = tanggal.days(cutoff_date)
    size = _sizes(persons, rng)
    f = len(size)
    desa = rng.choice(regions.n, f, p=regions.bobot).astype(np.int32)
    h = _heads(size, rng)
    fam, start, stat, female, age = _members(size, h, rng)
    n = len(fam)
    lahir = (cutoff - np.floor(age * 365.25)).astype(np.int32)

    induk = _link_splits(h, desa, regions, rng)
    split = induk >= 0
    desa[split] = desa[induk[split]]  # the young couple stays in the parents' village
    pisah = np.full(f, tanggal.NEVER, np.int32)
    pisah[split] = tanggal.uniform(rng, tanggal.days(FIRST_SPLIT), cutoff - 60, int(split.sum()))

    nik_kec, move_date = _first_districts(fam, start, lahir, desa, induk, regions, cutoff, rng)
    mati = _deaths(age, lahir, cutoff, rng)
    kawin = _marital(stat, age, h.spouse[fam], rng)

    nik = identifiers.nik(regions.kec_kode[nik_kec], lahir, female, rng)
    adult = tanggal.add_years(lahir[start], 17)
    terbit = tanggal.uniform(rng, np.maximum(adult, tanggal.days(dt.date(2000, 1, 1))), tanggal.days(LAST_OLD_KK), f)
    terbit = np.maximum(terbit, np.minimum(move_date, cutoff - 30))  # a new KK after a move
    terbit = np.where(split, pisah, terbit)
    kk = identifiers.kk(regions.kec_kode[regions.kec_id[desa]], terbit, rng)

    nama = names.person_names(female, rng)
    # Mothers: the wife (or a female head) for the children of a family.
    mother_pos = np.where(h.spouse & ~h.female, start + 1, np.where(h.female, start, -1))
    fam_mother = pc.if_else(
        pa.array(mother_pos >= 0), nama.take(pa.array(np.maximum(mother_pos, 0))), pa.scalar(None, pa.string())
    )
    own_mother = pc.if_else(pa.array(stat == ANAK), fam_mother.take(pa.array(fam)), pa.scalar(None, pa.string()))
    split_head = np.zeros(n, bool)
    split_head[start[split]] = True
    parent_of = np.where(split_head, induk[fam], 0)
    own_mother = pc.if_else(pa.array(split_head), fam_mother.take(pa.array(parent_of)), own_mother)
    nama_ibu = pc.coalesce(own_mother, names.person_names(np.ones(n, bool), rng))

    elsewhere = rng.random(n) < 0.15
    born_kec = np.where(elsewhere, rng.choice(len(regions.kec_kode), n), nik_kec)
    tempat = regions.kec_tempat.take(pa.array(born_kec))

    alamat = names.addresses(regions.perkotaan[desa], rng)
    rt = pc.utf8_lpad(pc.cast(pa.array(rng.integers(1, 16, f)), pa.string()), 3, "0")
    rw = pc.utf8_lpad(pc.cast(pa.array(rng.integers(1, 11, f)), pa.string()), 3, "0")

    pop = Penduduk(
        kk=kk,
        desa=desa,
        start=start,
        size=size,
        induk=induk,
        pisah=pisah,
        alamat=alamat,
        rt=rt,
        rw=rw,
        fam=fam,
        stat=stat,
        female=female,
        lahir=lahir,
        mati=mati,
        kawin=kawin,
        nik=nik,
        nik_kec=nik_kec,
        nama=nama,
        nama_ibu=nama_ibu,
        tempat=tempat,
    )
    return _reorder(pop, _order_families(desa, rng), age)


_STAT_ORDER = np.array([0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9], np.int8)  # head, spouse, children, ...


def _reorder(pop: Penduduk, fam_order: np.ndarray, age: np.ndarray) -> Penduduk:
    """Families in village order; members as a KK lists them: head, spouse, children by age."""
    new_of_old = np.empty_like(fam_order)
    new_of_old[fam_order] = np.arange(len(fam_order))
    new_fam = new_of_old[pop.fam].astype(np.int32)
    p = np.lexsort((-age, _STAT_ORDER[pop.stat], new_fam))
    induk = np.where(pop.induk[fam_order] >= 0, new_of_old[np.maximum(pop.induk[fam_order], 0)], -1)
    return tata(pop, fam_order, p, new_fam[p], pop.size[fam_order], induk.astype(np.int32), pop.pisah[fam_order])


def tata(src, keluarga: np.ndarray, orang: np.ndarray, fam, size, induk, pisah) -> Penduduk:
    """A registry of `src`'s families `keluarga` and persons `orang`, in these orders (`src`
    has Penduduk's columns: a Penduduk, or the registry over time of a series); `fam` is each
    person's new family index, `induk` and `pisah` the families' in the new numbering."""
    fidx, pidx = pa.array(keluarga), pa.array(orang)
    return Penduduk(
        kk=src.kk[keluarga],
        desa=src.desa[keluarga],
        start=np.r_[0, np.cumsum(size)[:-1]].astype(np.int64),
        size=size,
        induk=induk,
        pisah=pisah,
        alamat=src.alamat.take(fidx),
        rt=src.rt.take(fidx),
        rw=src.rw.take(fidx),
        fam=fam,
        stat=src.stat[orang],
        female=src.female[orang],
        lahir=src.lahir[orang],
        mati=src.mati[orang],
        kawin=src.kawin[orang],
        nik=src.nik[orang],
        nik_kec=src.nik_kec[orang],
        nama=src.nama.take(pidx),
        nama_ibu=src.nama_ibu.take(pidx),
        tempat=src.tempat.take(pidx),
    )
