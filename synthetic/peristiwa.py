"""Life events of one month of a series, dated, applied to the registry over time (riwayat.py).

In the order drawn (each person and each family has at most one of the first four a month):
- MATI: a death, hazard rising with age (and in the first year); a married head's or
  spouse's partner becomes widowed. The dead stay on their card with TGL_MATI.
- PINDAH: a family moves to another village: of the same district, of another district of
  the regency, of another regency of the province, or of another province (shares in
  ChangeRates). What Dukcapil does: the first six digits of a KK number are the issuing
  district, and a move out of a district goes through a certificate of moving (SKPWNI) and
  a new card issued at the destination (Permendagri 108/2019). So a move within the district
  keeps the card and its number (a new address on it); a move to another district is a new
  card, a new number, for the living members; the dead stay on the old card. NIKs never
  change.
- KK_BARU: a married adult child leaves the parents' card with spouse (a child-in-law on it)
  and the grandchildren for a card of their own, in the same village; the old card keeps
  the rest.
- KAWIN: an unmarried man and woman of the same regency (not heads of a card) marry and
  take a new card, in his village or hers.
- LAHIR: a birth to a married woman of 15-49 (not one who gave birth in the last 15
  months), a new NIK by the rule (the district of the family's village, the date, +40 for a
  girl), on the mother's card: child of the head, or grandchild.

Every event is a row per person concerned: `Kejadian`, and `tabel` for truth/perubahan.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthetic import drift, identifiers, names, tanggal
from synthetic.config import ChangeRates
from synthetic.population import ANAK, CUCU, ISTRI, KEPALA, MENANTU, SUAMI
from synthetic.regions import Regions
from synthetic.riwayat import BELUM, Riwayat, flat
from synthetic.welfare import Anggota

LAHIR, MATI, PINDAH, KAWIN, KK_BARU = range(5)
JENIS = ("LAHIR", "MATI", "PINDAH", "KAWIN", "KK_BARU")
DAYS_PER_MONTH = 365.25 / 12
# Shape of age-specific fertility, ages 15-19 ... 45-49 (Indonesia's 2020 census long form,
# approximately: TFR ~2.2); births go to married women only, so only the shape matters.
ASFR = np.array([0.026, 0.104, 0.123, 0.100, 0.061, 0.020, 0.004])
BIRTH_GAP_DAYS = 456  # about 15 months between two births of one mother
SEX_RATIO_BIRTH = 1.05  # boys per girl
MOVE_SCOPES = ("sekecamatan", "sekabupaten", "seprovinsi", "antarprovinsi")


@dataclass
class Kejadian:
    """Events, one row per person concerned."""

    orang: np.ndarray  # stable person id
    jenis: np.ndarray  # index into JENIS
    tanggal: np.ndarray  # days
    kk_lama: np.ndarray  # the card before (-1 for a birth)
    kk_baru: np.ndarray  # the card after
    desa_lama: np.ndarray  # the village before (-1 for a birth)
    desa_baru: np.ndarray

    @staticmethod
    def of(jenis: int, orang, tgl, kk_lama, kk_baru, desa_lama, desa_baru) -> Kejadian:
        n = len(orang)
        return Kejadian(
            *(
                np.asarray(a, t)
                for a, t in (
                    (orang, np.int64),
                    (np.full(n, jenis), np.int8),
                    (tgl, np.int32),
                    (kk_lama, np.int64),
                    (kk_baru, np.int64),
                    (desa_lama, np.int32),
                    (desa_baru, np.int32),
                )
            )
        )

    @staticmethod
    def concat(parts: list[Kejadian]) -> Kejadian:
        return Kejadian(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Kejadian)))

    @staticmethod
    def kosong() -> Kejadian:
        """No events (the first month of a series)."""
        return Kejadian.of(LAHIR, *(np.zeros(0, np.int64) for _ in range(6)))

    def take(self, idx: np.ndarray) -> Kejadian:
        return Kejadian(*(getattr(self, f.name)[idx] for f in fields(Kejadian)))

    def counts(self) -> dict[str, int]:
        return {name: int(np.sum(self.jenis == i)) for i, name in enumerate(JENIS)}


@dataclass
class _Bulan:
    """What one month's drawing needs: the period, the rates, who is taken already."""

    riw: Riwayat
    regions: Regions
    laju: ChangeRates
    awal: int  # first day of the period
    akhir: int  # last day (the day before the cut-off)
    sigma: float  # the welfare model's noise, for new cards
    rng: np.random.Generator
    sibuk_orang: np.ndarray  # has an event this month
    sibuk_keluarga: np.ndarray

    @property
    def bulan(self) -> float:
        return (self.akhir - self.awal + 1) / DAYS_PER_MONTH

    def count(self, pool: int, per_1000: float) -> int:
        return int(self.rng.binomial(pool, min(1.0, per_1000 / 1000 * self.bulan)))

    def dates(self, n: int) -> np.ndarray:
        return tanggal.uniform(self.rng, self.awal, self.akhir, n)

    def alive(self) -> np.ndarray:
        """Alive at the period's start (born before it, not dead before it)."""
        return self.riw.hidup(self.awal - 1)

    def age(self) -> np.ndarray:
        return tanggal.age_years(self.riw.lahir, self.awal)

    def busy(self, orang: np.ndarray) -> None:
        self.sibuk_orang[orang] = True


def bulan(
    riw: Riwayat, regions: Regions, laju: ChangeRates, awal: int, akhir: int, sigma: float, rng: np.random.Generator
) -> Kejadian:
    """Draw and apply the events dated in [awal, akhir]; they are returned, one row a person."""
    b = _Bulan(riw, regions, laju, awal, akhir, sigma, rng, np.zeros(riw.n, bool), np.zeros(riw.n_keluarga, bool))
    parts = [_kematian(b), _pindah(b), _pecah(b), _kawin(b)]
    parts.append(_lahir(b))  # last: the newborns are not in the busy masks
    return Kejadian.concat(parts)


# ---------------------------------------------------------------------------- deaths


def _kematian(b: _Bulan) -> Kejadian:
    riw = b.riw
    alive = np.flatnonzero(b.alive())
    age = b.age()[alive]
    w = np.exp(age / 12.0) + np.where(age < 1, 200.0, 0.0)  # x65 from 30 to 80; infants as 65-year-olds
    n = b.count(len(alive), b.laju.mati)
    dead = np.sort(b.rng.choice(alive, n, replace=False, p=w / w.sum())) if n else np.zeros(0, np.int64)
    when = b.dates(len(dead))
    riw.mati[dead] = when
    # The partner of a head who died, or the head of a spouse who died, is widowed.
    spouse_of = np.full(riw.n_keluarga, -1, np.int64)
    sp = np.flatnonzero((riw.stat == SUAMI) | (riw.stat == ISTRI))
    spouse_of[riw.fam[sp]] = sp
    partner = np.select(
        [riw.stat[dead] == KEPALA, (riw.stat[dead] == SUAMI) | (riw.stat[dead] == ISTRI)],
        [spouse_of[riw.fam[dead]], riw.kepala()[riw.fam[dead]]],
        -1,
    )
    has = partner >= 0
    p, died = partner[has], when[has]
    riw.kawin[p[(riw.kawin[p] == 2) & (riw.mati[p] > died)]] = 4
    b.busy(dead)
    b.sibuk_keluarga[riw.fam[dead]] = True
    kk, desa = riw.kk[riw.fam[dead]], riw.desa[riw.fam[dead]]
    return Kejadian.of(MATI, dead, when, kk, kk, desa, desa)


# ---------------------------------------------------------------------------- moves


def _ranges(level: np.ndarray, desa: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and one-past-last village of the group (district, regency, province) of each
    village: villages are in code order, so a group is contiguous."""
    return np.searchsorted(level, level[desa], "left"), np.searchsorted(level, level[desa], "right")


def tujuan(regions: Regions, desa: np.ndarray, scope: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A destination village per move, weighted by population: in the scope's group (0 the
    district, 1 the regency, 2 the province, 3 the country) but outside the next smaller
    one (the village itself, the district, the regency, the province). A scope with no such
    village widens to the next."""
    n = len(desa)
    cum = np.r_[0.0, np.cumsum(regions.bobot)]
    kab = regions.prov.astype(np.int64) * 100 + regions.kab
    levels = [np.arange(regions.n), regions.kec_id, kab, regions.prov, np.zeros(regions.n, np.int8)]
    lo, hi, ex_lo, ex_hi = (np.zeros(n, np.int64) for _ in range(4))
    scope = scope.copy()
    for s in range(4):
        inner_lo, inner_hi = _ranges(levels[s], desa)
        outer_lo, outer_hi = _ranges(levels[s + 1], desa)
        free = (cum[outer_hi] - cum[outer_lo]) - (cum[inner_hi] - cum[inner_lo])
        scope = np.where((scope == s) & (free <= 1e-15) & (s < 3), s + 1, scope)
        m = scope == s
        lo[m], hi[m], ex_lo[m], ex_hi[m] = outer_lo[m], outer_hi[m], inner_lo[m], inner_hi[m]
    before = cum[ex_lo] - cum[lo]
    u = rng.random(n) * ((cum[hi] - cum[lo]) - (cum[ex_hi] - cum[ex_lo]))
    target = np.where(u < before, cum[lo] + u, cum[ex_hi] + (u - before))
    dest = np.clip(np.searchsorted(cum, target, "right") - 1, lo, hi - 1)
    return dest.astype(np.int32)


def _members(riw: Riwayat, fam: np.ndarray, alive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Living members of these families: (person, index into fam)."""
    pos = np.full(riw.n_keluarga, -1, np.int64)
    pos[fam] = np.arange(len(fam))
    person = np.flatnonzero(alive & (pos[riw.fam] >= 0))
    return person, pos[riw.fam[person]]


def _ganti(arr: pa.Array, idx: np.ndarray, values: pa.Array) -> pa.Array:
    """`arr` with the values at `idx` replaced."""
    take = np.arange(len(arr))
    take[idx] = len(arr) + np.arange(len(idx))
    return pa.concat_arrays([flat(arr), flat(values).cast(arr.type)]).take(pa.array(take))


def _kartu_baru(b: _Bulan, asal: np.ndarray, desa: np.ndarray, tgl: np.ndarray, induk: np.ndarray, size) -> np.ndarray:
    """New family cards in these villages, issued on `tgl` by the village's district; the
    housing of a card that came out of `asal`. Returns their stable ids."""
    riw, reg, rng = b.riw, b.regions, b.rng
    kk = identifiers.kk(reg.kec_kode[reg.kec_id[desa]], tgl, rng, taken=np.sort(riw.kk))
    rumah, eps = drift.keluarga_baru(riw, asal, desa, np.asarray(size), reg, b.sigma, rng)
    n = len(asal)
    new = riw.tambah_keluarga(
        rumah,
        kk=kk,
        desa=desa,
        induk=induk,
        pisah=np.where(induk >= 0, tgl, tanggal.NEVER),
        alamat=names.addresses(reg.perkotaan[desa], rng),
        rt=_nomor(16, n, rng),
        rw=_nomor(11, n, rng),
        ref_log=np.full(n, np.nan),
        ref_m=np.full(n, np.nan),
        eps=eps,
        pindah_tgl=np.full(n, BELUM),
        desa_asal=desa,
        geser_tgl=np.full(n, BELUM),
    )
    b.sibuk_keluarga = np.r_[b.sibuk_keluarga, np.ones(n, bool)]
    return new


def _nomor(high: int, n: int, rng: np.random.Generator) -> pa.Array:
    """RT or RW numbers, 001 ..."""
    return pc.utf8_lpad(pc.cast(pa.array(rng.integers(1, high, n)), pa.string()), 3, "0")


def _pindah(b: _Bulan) -> Kejadian:
    riw, reg, rng, laju = b.riw, b.regions, b.rng, b.laju
    alive = b.alive()
    living = np.bincount(riw.fam[alive], minlength=riw.n_keluarga)
    cand = np.flatnonzero((living > 0) & ~b.sibuk_keluarga)
    fam = np.sort(rng.choice(cand, min(len(cand), b.count(len(cand), laju.pindah)), replace=False))
    when = b.dates(len(fam))
    shares = [laju.pindah_sekecamatan, laju.pindah_sekabupaten, laju.pindah_seprovinsi, laju.pindah_antarprovinsi]
    old_desa = riw.desa[fam].copy()
    dest = tujuan(reg, old_desa, rng.choice(4, len(fam), p=shares), rng)
    keep = dest != old_desa  # a country of one village has nowhere to go
    fam, when, dest, old_desa = fam[keep], when[keep], dest[keep], old_desa[keep]
    old_kk = riw.kk[fam].copy()
    person, row = _members(riw, fam, alive)
    same = reg.kec_id[dest] == reg.kec_id[old_desa]
    # Within the district: the same card at a new address.
    a = fam[same]
    riw.desa[a] = dest[same]
    riw.alamat = _ganti(riw.alamat, a, names.addresses(reg.perkotaan[dest[same]], rng))
    riw.rt = _ganti(riw.rt, a, _nomor(16, len(a), rng))
    riw.rw = _ganti(riw.rw, a, _nomor(11, len(a), rng))
    riw.pindah_tgl[a], riw.desa_asal[a] = when[same], old_desa[same]
    new_kk = old_kk.copy()
    # To another district: a new card for the living members; the housing goes with them.
    far = np.flatnonzero(~same)
    size = np.bincount(row, minlength=len(fam))[far]
    cards = _kartu_baru(b, fam[far], dest[far], when[far], np.full(len(far), -1), size)
    for v in riw.rumah.values():
        v[cards] = v[fam[far]]
    riw.ref_log[cards], riw.ref_m[cards], riw.eps[cards] = riw.ref_log[fam[far]], riw.ref_m[fam[far]], 0.0
    riw.pindah_tgl[cards], riw.desa_asal[cards] = when[far], old_desa[far]
    new_kk[far] = riw.kk[cards]
    card_of = np.full(len(fam), -1, np.int64)
    card_of[far] = cards
    moving = card_of[row] >= 0
    riw.fam[person[moving]] = card_of[row[moving]]
    b.sibuk_keluarga[fam] = True
    b.busy(person)
    return Kejadian.of(PINDAH, person, when[row], old_kk[row], new_kk[row], old_desa[row], dest[row])


# ---------------------------------------------------------------------------- new cards


def _first_per_family(person: np.ndarray, fam: np.ndarray, key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Of candidate persons, the one with the smallest key per family: (family, person)."""
    order = np.lexsort((person, key, fam))
    f = fam[order]
    first = np.r_[True, f[1:] != f[:-1]] if len(f) else np.zeros(0, bool)
    return f[first], person[order][first]


def _pecah(b: _Bulan) -> Kejadian:
    riw, rng = b.riw, b.rng
    alive = b.alive() & ~b.sibuk_orang
    age = b.age()
    living = np.bincount(riw.fam[b.alive()], minlength=riw.n_keluarga)
    child = np.flatnonzero(alive & (riw.stat == ANAK) & (riw.kawin == 2) & (age >= 20))
    ok = (living[riw.fam[child]] >= 3) & ~b.sibuk_keluarga[riw.fam[child]]
    cand_fam, cand_child = _first_per_family(child[ok], riw.fam[child[ok]], riw.lahir[child[ok]])  # the eldest
    n = min(len(cand_fam), b.count(int((living > 0).sum()), b.laju.pecah_kk))  # a rate of all families
    pick = np.sort(rng.choice(len(cand_fam), n, replace=False))
    fam, leaver = cand_fam[pick], cand_child[pick]
    when = b.dates(n)
    pos = np.full(riw.n_keluarga, -1, np.int64)
    pos[fam] = np.arange(n)
    # The spouse: the first child-in-law of the other sex on the card.
    inlaw = np.flatnonzero(alive & (riw.stat == MENANTU) & (pos[riw.fam] >= 0))
    inlaw = inlaw[riw.female[inlaw] != riw.female[leaver[pos[riw.fam[inlaw]]]]]
    f_sp, spouse_first = _first_per_family(inlaw, riw.fam[inlaw], np.zeros(len(inlaw)))
    spouse = np.full(n, -1, np.int64)
    spouse[pos[f_sp]] = spouse_first
    grandchildren = np.flatnonzero(alive & (riw.stat == CUCU) & (pos[riw.fam] >= 0))
    has = spouse >= 0
    # The husband heads the new card.
    head = np.where(has & riw.female[leaver], spouse, leaver)
    partner = np.where(has, np.where(head == leaver, spouse, leaver), -1)
    gc_row = pos[riw.fam[grandchildren]]
    size = 1 + has + np.bincount(gc_row, minlength=n)
    cards = _kartu_baru(b, fam, riw.desa[fam], when, fam, size)
    movers = np.r_[head, partner[has], grandchildren]
    row = np.r_[np.arange(n), np.flatnonzero(has), gc_row]
    kk_lama, desa = riw.kk[fam[row]], riw.desa[fam[row]]
    riw.stat[head] = KEPALA
    riw.stat[partner[has]] = np.where(riw.female[partner[has]], ISTRI, SUAMI)
    riw.stat[grandchildren] = ANAK
    riw.fam[movers] = cards[row]
    b.sibuk_keluarga[fam] = True
    b.busy(movers)
    return Kejadian.of(KK_BARU, movers, when[row], kk_lama, riw.kk[cards[row]], desa, desa)


def _kawin(b: _Bulan) -> Kejadian:
    riw, reg, rng = b.riw, b.regions, b.rng
    alive = b.alive()
    age = b.age()
    free = alive & ~b.sibuk_orang & ~b.sibuk_keluarga[riw.fam] & (riw.kawin == 1) & (riw.stat != KEPALA)
    men = np.flatnonzero(free & ~riw.female & (age >= 21) & (age <= 40))
    women = np.flatnonzero(free & riw.female & (age >= 18) & (age <= 35))
    n = min(len(men), b.count(int(alive.sum()), b.laju.kawin))
    w = np.exp(-(((age[men] - 27) / 5.0) ** 2))
    groom = rng.choice(men, n, replace=False, p=w / w.sum()) if n else np.zeros(0, np.int64)
    # A bride of the same regency.
    kab = reg.prov.astype(np.int64) * 100 + reg.kab
    w_kab = kab[riw.desa[riw.fam[women]]]
    order = np.lexsort((rng.random(len(women)), w_kab))
    women, w_kab = women[order], w_kab[order]
    g_kab = kab[riw.desa[riw.fam[groom]]]
    lo, hi = np.searchsorted(w_kab, g_kab, "left"), np.searchsorted(w_kab, g_kab, "right")
    pick = lo + np.floor(rng.random(n) * (hi - lo)).astype(np.int64)
    found = hi > lo
    groom, bride = groom[found], women[np.minimum(pick, len(women) - 1)[found]]
    _, first = np.unique(bride, return_index=True)
    keep = np.zeros(len(bride), bool)
    keep[first] = True
    keep &= riw.fam[groom] != riw.fam[bride]  # never two of one card
    groom, bride = groom[keep], bride[keep]
    n = len(groom)
    when = b.dates(n)
    his = rng.random(n) < 0.6  # they live in his village, else in hers
    home_fam = np.where(his, riw.fam[groom], riw.fam[bride])
    cards = _kartu_baru(b, home_fam, riw.desa[home_fam], when, home_fam, np.full(n, 2))
    both = np.r_[groom, bride]
    kk_lama, desa_lama = riw.kk[riw.fam[both]], riw.desa[riw.fam[both]]
    riw.fam[groom], riw.fam[bride] = cards, cards
    riw.stat[groom], riw.stat[bride] = KEPALA, ISTRI
    riw.kawin[both] = 2
    b.busy(both)
    card2 = np.r_[cards, cards]
    return Kejadian.of(KAWIN, both, np.r_[when, when], kk_lama, riw.kk[card2], desa_lama, riw.desa[card2])


# ---------------------------------------------------------------------------- births


def _lahir(b: _Bulan) -> Kejadian:
    riw, reg, rng = b.riw, b.regions, b.rng
    alive = b.alive()
    age = b.age()
    last = np.full(riw.n, np.iinfo(np.int32).min, np.int64)
    born = np.flatnonzero(riw.ibu >= 0)
    np.maximum.at(last, riw.ibu[born], riw.lahir[born].astype(np.int64))
    mother_ok = (
        alive
        & riw.female
        & ~b.sibuk_orang
        & (riw.kawin == 2)
        & (age >= 15)
        & (age <= 49)
        & np.isin(riw.stat, [KEPALA, ISTRI, ANAK, MENANTU])
        & (last < b.awal - BIRTH_GAP_DAYS)
    )
    cand = np.flatnonzero(mother_ok)
    w = ASFR[np.clip((age[cand] - 15) // 5, 0, len(ASFR) - 1)]
    n = min(len(cand), b.count(int(alive.sum()), b.laju.lahir))
    mother = np.sort(rng.choice(cand, n, replace=False, p=w / w.sum())) if n else np.zeros(0, np.int64)
    when = b.dates(n)
    female = rng.random(n) < 1 / (1 + SEX_RATIO_BIRTH)
    fam = riw.fam[mother]
    desa = riw.desa[fam]
    kec = reg.kec_id[desa]
    nik = identifiers.nik(reg.kec_kode[kec], when, female, rng, taken=np.sort(riw.nik))
    stat = np.where(np.isin(riw.stat[mother], [KEPALA, ISTRI]), ANAK, CUCU).astype(np.int8)
    ang = riw.anggota
    baby = riw.tambah_orang(
        Anggota(
            r413=ang.r413[mother],  # the level a child will reach: the mother's, capped by age
            r416=np.full(n, 2, np.int8),
            r417=np.zeros(n, np.int8),
            r428=np.where(rng.random(n) < 0.012, 1, 2).astype(np.int8),
            r430=np.full(n, 2, np.int8),
        ),
        fam=fam,
        stat=stat,
        female=female,
        lahir=when,
        mati=np.full(n, tanggal.NEVER),
        kawin=np.ones(n, np.int8),
        nik=nik,
        nik_kec=kec,
        nama=names.person_names(female, rng),
        nama_ibu=riw.nama.take(pa.array(mother)),
        tempat=reg.kec_tempat.take(pa.array(kec)),
        ibu=mother,
    )
    return Kejadian.of(LAHIR, baby, when, np.full(n, -1), riw.kk[fam], np.full(n, -1), desa)


# ---------------------------------------------------------------------------- truth


def tabel(riw: Riwayat, regions: Regions, k: Kejadian) -> pa.Table:
    """truth/perubahan.parquet: one row per person and event, by date."""
    order = np.lexsort((riw.nik[k.orang], k.jenis, k.tanggal))
    k = k.take(order)

    def kk_text(v: np.ndarray) -> pa.Array:
        return pc.cast(pa.array(v, pa.int64(), mask=v < 0), pa.string())

    def desa_text(v: np.ndarray) -> pa.Array:
        return pc.cast(pa.array(regions.kode_angka[np.maximum(v, 0)], pa.int64(), mask=v < 0), pa.string())

    return pa.table(
        {
            "nik": pc.cast(pa.array(riw.nik[k.orang]), pa.string()),
            "no_kk": kk_text(k.kk_baru),
            "no_kk_lama": kk_text(k.kk_lama),
            "jenis": pa.array(np.array(JENIS)[k.jenis]).cast(pa.string()),
            "kode_desa_lama": desa_text(k.desa_lama),
            "kode_desa_baru": desa_text(k.desa_baru),
            "tanggal": tanggal.to_arrow(k.tanggal),
        }
    )
