"""What a source saw: the registry's families as they were on the source's date.

A source observes each selected family on its own date. Members born later are absent,
members who died before are absent unless the source failed to remove them, and a
married child who split off after that date (or whose split the source never recorded:
stale KK) is still listed in the parents' household under the old KK, as child-in-law
and grandchildren for the spouse and children.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthetic.population import ANAK, CUCU, FAMILI, ISTRI, KEPALA, MENANTU, SUAMI, Penduduk

# Relation in the old household of someone who was in a split-off family.
_IN_OLD_KK = np.full(12, FAMILI, np.int8)
_IN_OLD_KK[[KEPALA, SUAMI, ISTRI, ANAK]] = [ANAK, MENANTU, MENANTU, CUCU]


@dataclass
class Catatan:
    """Person-level records of one source, one household unit after another."""

    orang: np.ndarray  # registry person, -1 for a record of nobody
    unit: np.ndarray  # household: a registry family index, or >= n_keluarga for made-up ones
    stat: np.ndarray  # STAT_HBKEL as the source has it
    kk: np.ndarray  # the KK number the source knows (before typing)
    urut: np.ndarray  # order within the unit

    def __len__(self) -> int:
        return len(self.orang)

    def take(self, idx: np.ndarray) -> Catatan:
        return Catatan(*(getattr(self, f)[idx] for f in ("orang", "unit", "stat", "kk", "urut")))

    def plus(self, other: Catatan) -> Catatan:
        return Catatan(
            *(np.concatenate([getattr(self, f), getattr(other, f)]) for f in ("orang", "unit", "stat", "kk", "urut"))
        )


def observe(
    pop: Penduduk,
    selected: np.ndarray,
    tanggal: np.ndarray,
    stale_kk: float,
    dead_listed: float,
    rng: np.random.Generator,
) -> Catatan:
    """Records of the selected families, each as of its date `tanggal` (days)."""
    f = pop.n_keluarga
    split = np.flatnonzero(pop.induk >= 0)
    parent = pop.induk[split]
    merged = np.zeros(f, bool)
    merged[split] = (tanggal[parent] < pop.pisah[split]) | (rng.random(len(split)) < stale_kk)
    unit_of = np.arange(f)
    unit_of[merged] = pop.induk[merged]
    unit = unit_of[pop.fam]
    when = tanggal[unit]
    died_before = pop.mati <= when
    keep = selected[unit] & (pop.lahir <= when) & (~died_before | (rng.random(pop.n) < dead_listed))
    idx = np.flatnonzero(keep)
    in_old = merged[pop.fam[idx]]
    stat = np.where(in_old, _IN_OLD_KK[pop.stat[idx]], pop.stat[idx])
    # Own members first, the split-off family after them, each in registry order.
    urut = idx + in_old * pop.n
    order = np.lexsort((urut, unit[idx]))
    idx, stat, urut = idx[order], stat[order], urut[order]
    return Catatan(
        orang=idx.astype(np.int64),
        unit=unit[idx].astype(np.int64),
        stat=stat.astype(np.int8),
        kk=pop.kk[unit[idx]],
        urut=urut.astype(np.int64),
    )
