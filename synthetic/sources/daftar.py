"""A source's list of households and person records, with the list-level errors: records of
nobody (ghosts), the same person twice, families listed at a village they left.

Units are household ids: 0..n_keluarga-1 are registry families (as the source saw them),
higher ids are households the source made up (ghost households, a duplicate listed alone).
Each unit has a template family that lends it housing, address and village.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from synthetic import identifiers, tanggal
from synthetic.context import Konteks
from synthetic.errors import Identitas, ghosts
from synthetic.observe import Catatan, observe
from synthetic.population import ANAK, CUCU, FAMILI, ISTRI, KEPALA

_LATE = 1 << 40  # order key: added records come after a unit's own members


@dataclass
class Daftar:
    cat: Catatan  # person records in file order
    ident: Identitas  # who each record describes
    unit_fam: np.ndarray  # per unit id: template registry family
    unit_desa: np.ndarray  # per unit id: village as the source has it
    unit_kk: np.ndarray  # per unit id: KK number the source knows (before typing)
    unit_tgl: np.ndarray  # per unit id: the source's date for it
    units: np.ndarray  # unit ids in file order
    unit_pos: np.ndarray  # per record: index into `units`
    info: dict

    @property
    def head_record(self) -> np.ndarray:
        """Index of the first record of each unit (the head where listed)."""
        return np.searchsorted(self.unit_pos, np.arange(len(self.units)))


def fake_kk(n: int, ctx: Konteks, rng: np.random.Generator) -> np.ndarray:
    kec = rng.choice(len(ctx.regions.kec_kode), n, p=ctx.regions.kec_bobot / ctx.regions.kec_bobot.sum())
    terbit = tanggal.uniform(rng, tanggal.days(dt.date(2005, 1, 1)), tanggal.days(dt.date(2021, 12, 31)), n)
    return identifiers.kk(ctx.regions.kec_kode[kec], terbit, rng, taken=ctx.kk_terurut)


def susun(
    ctx: Konteks,
    rng: np.random.Generator,
    selected: np.ndarray,
    tgl: np.ndarray,
    rates: dict[str, float],
    dead_listed: float,
    ghost_households: bool = False,
    duplicates: float = 0.0,
) -> Daftar:
    pop = ctx.pop
    f = pop.n_keluarga
    cat = observe(pop, selected, tgl, rates["stale_kk"], dead_listed, rng)
    unit_fam, unit_desa, unit_kk, unit_tgl = np.arange(f), pop.desa.copy(), pop.kk.copy(), tgl.copy()
    present = np.flatnonzero(np.bincount(cat.unit, minlength=f))
    parts = [Identitas.of(pop, cat.orang)]
    info = {"records_observed": len(cat)}

    n_ghost = int(rng.binomial(len(cat), rates["ghost"])) if len(present) else 0
    n_hh = n_ghost // 2 if ghost_households else 0
    n_in = n_ghost - n_hh
    # Ghost members slipped into real households.
    g_unit = rng.choice(present, n_in) if n_in else np.zeros(0, np.int64)
    g_stat = rng.choice(np.array([ANAK, CUCU, FAMILI], np.int8), n_in, p=[0.6, 0.2, 0.2])
    extra = Catatan(orang=np.full(n_in, -1), unit=g_unit, stat=g_stat, kk=unit_kk[g_unit], urut=_LATE + np.arange(n_in))
    # Whole ghost households.
    if n_hh:
        sizes = np.clip(1 + rng.poisson(1.5, n_hh), 1, 6)
        sizes = sizes[: int(np.searchsorted(np.cumsum(sizes), n_hh)) + 1]
        sizes[-1] -= int(sizes.sum() - n_hh)
        sizes = sizes[sizes > 0]
        h = len(sizes)
        new_units = f + np.arange(h)
        member_unit = np.repeat(new_units, sizes)
        pos = np.arange(n_hh) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        template = rng.choice(present, h)
        unit_fam = np.r_[unit_fam, template]
        unit_desa = np.r_[unit_desa, pop.desa[template]]
        unit_kk = np.r_[unit_kk, fake_kk(h, ctx, rng)]
        unit_tgl = np.r_[unit_tgl, tgl[template]]
        h_stat = np.where(pos == 0, KEPALA, np.where(pos == 1, ISTRI, ANAK)).astype(np.int8)
        extra = extra.plus(
            Catatan(orang=np.full(n_hh, -1), unit=member_unit, stat=h_stat, kk=unit_kk[member_unit], urut=pos)
        )
        info["ghost_households"] = h
    cat = cat.plus(extra)
    parts.append(ghosts(n_ghost, pop, ctx.regions, ctx.cutoff, rng, ctx.nik_terurut))
    info["ghost_records"] = n_ghost

    # The same person listed twice: in the same household, or alone under a new household id.
    n_dup = int(rng.binomial(len(cat), duplicates)) if duplicates else 0
    if n_dup:
        real = np.flatnonzero(cat.orang >= 0)
        src = np.sort(rng.choice(real, n_dup, replace=False))
        alone = rng.random(n_dup) < 0.4
        new_units = len(unit_fam) + np.arange(int(alone.sum()))
        d_unit = cat.unit[src].copy()
        d_unit[alone] = new_units
        base = cat.unit[src][alone]
        unit_fam = np.r_[unit_fam, unit_fam[base]]
        unit_desa = np.r_[unit_desa, unit_desa[base]]
        unit_kk = np.r_[unit_kk, unit_kk[base]]
        unit_tgl = np.r_[unit_tgl, unit_tgl[base]]
        d_stat = np.where(alone, KEPALA, cat.stat[src]).astype(np.int8)
        dup = Catatan(orang=cat.orang[src], unit=d_unit, stat=d_stat, kk=cat.kk[src], urut=_LATE * 2 + np.arange(n_dup))
        parts.append(Identitas.of(pop, cat.orang[src]))
        cat = cat.plus(dup)
        info["duplicates"] = n_dup
    ident = Identitas.concat(parts)

    # Families listed at a village they no longer live in.
    u = len(unit_fam)
    stale = rng.random(u) < rates["stale_address"]
    unit_desa[stale] = ctx.village_elsewhere(unit_desa[stale], rng)
    listed = np.zeros(u, bool)
    listed[cat.unit] = True
    info["stale_address_units"] = int((stale & listed).sum())

    units = np.flatnonzero(listed)
    units = units[np.lexsort((rng.random(len(units)), unit_desa[units]))]
    rank = np.empty(u, np.int64)
    rank[units] = np.arange(len(units))
    order = np.lexsort((cat.urut, rank[cat.unit]))
    cat = cat.take(order)
    return Daftar(
        cat=cat,
        ident=ident.take(order),
        unit_fam=unit_fam,
        unit_desa=unit_desa,
        unit_kk=unit_kk,
        unit_tgl=unit_tgl,
        units=units,
        unit_pos=rank[cat.unit],
        info=info,
    )
