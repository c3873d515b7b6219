"""DTKS over the months of a series: the ministry's database, updated with a lag, not a
fresh list every month.

A household's rows stay exactly as typed (NIK errors, names, the dead still listed) until
the household is verified again. Each month some households are (ChangeRates.dtks_pembaruan),
on a day of that month: the family is observed afresh as of that day (dtks.build on the
month's registry: those born since are listed, those who died before it are still listed
at `dead_still_listed`, as in any observation, a move within the district shows the new
village, a married child who left with a card of their own is gone from it, and listed as
a household of its own half the time), typed afresh, its TGL_UPDATE that day. A household
whose family has nobody alive, or has left the district for a new card, is removed when it
is verified. Families whose new-family proposal Dinsos verified are taken in
(`dtks_dari_usulan` of them a month). A person verified again in the same household keeps
their ID_DTKS; new rows and households get ids after the largest. Made-up households
(ghosts, a duplicate listed alone) are never verified again.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthetic import errors
from synthetic.context import Konteks
from synthetic.errors import Ketikan
from synthetic.riwayat import Potret, Riwayat
from synthetic.sources import dtks
from synthetic.sources.daftar import Daftar

SPLIT_LISTED = 0.5  # of cards split off a household since its last update: listed on their own when it is verified


def _number(ids: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """'D0000012345' -> 12345."""
    return pc.cast(pc.utf8_slice_codeunits(ids, 1), pa.int64()).to_numpy()


def _text(prefix: str, num: np.ndarray, width: int) -> pa.Array:
    return pc.binary_join_element_wise(
        pa.scalar(prefix), pc.utf8_lpad(pc.cast(pa.array(num), pa.string()), width, "0"), ""
    )


def _lookup(keys: np.ndarray, values: np.ndarray, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each query: found among `keys` (the first such key), and its value (0 if not)."""
    if len(keys) == 0:
        return np.zeros(len(query), bool), np.zeros(len(query), np.int64)
    o = np.argsort(keys, kind="stable")
    k = keys[o]
    at = np.minimum(np.searchsorted(k, query), len(k) - 1)
    found = k[at] == query
    return found, np.where(found, values[o][at], 0).astype(np.int64)


def _next_ids(largest: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """n new ids after the largest, with the gaps a database sequence leaves."""
    return largest + np.cumsum(rng.integers(1, 8, n))


@dataclass
class Baris:
    """DTKS rows with what the truth needs of them, in the database's order."""

    tabel: pa.Table  # the file's columns
    rt: np.ndarray  # household id (the number in ID_KELUARGA)
    id_dtks: np.ndarray  # the number in ID_DTKS
    orang: np.ndarray  # stable person id, -1 for a record of nobody
    benar: np.ndarray  # the registry NIK the record describes, -1 for nobody
    galat_nik: np.ndarray  # index into NIK_KINDS (errors.TANPA: none)
    galat_nama: np.ndarray
    tgl_beda: np.ndarray  # birth date typed wrong

    def take(self, idx: np.ndarray) -> Baris:
        i = pa.array(idx)
        return Baris(self.tabel.take(i), *(getattr(self, f.name)[idx] for f in fields(Baris)[1:]))

    @staticmethod
    def concat(a: Baris, b: Baris) -> Baris:
        return Baris(
            pa.concat_tables([a.tabel, b.tabel]),
            *(np.concatenate([getattr(a, f.name), getattr(b, f.name)]) for f in fields(Baris)[1:]),
        )

    @staticmethod
    def of(d: Daftar, table: pa.Table, typed: Ketikan, orang: np.ndarray) -> Baris:
        return Baris(
            tabel=table,
            rt=_number(table["ID_KELUARGA"]),
            id_dtks=_number(table["ID_DTKS"]),
            orang=orang,
            benar=d.ident.benar,
            galat_nik=typed.nik_kind,
            galat_nama=typed.nama_kind,
            tgl_beda=typed.lahir_beda,
        )


@dataclass
class Rumah:
    """DTKS households, by ascending id."""

    rt: np.ndarray
    fam: np.ndarray  # stable family id, -1 for a made-up household
    tgl: np.ndarray  # TGL_UPDATE (days)
    prov: np.ndarray  # province of KODE_WILAYAH
    kk_salah: np.ndarray  # NO_KK typed wrong
    desa_lama: np.ndarray  # listed at a village the family does not live in

    def take(self, idx: np.ndarray) -> Rumah:
        return Rumah(*(getattr(self, f.name)[idx] for f in fields(Rumah)))

    @staticmethod
    def concat(a: Rumah, b: Rumah) -> Rumah:
        return Rumah(*(np.concatenate([getattr(a, f.name), getattr(b, f.name)]) for f in fields(Rumah)))

    @staticmethod
    def of(ctx: Konteks, d: Daftar, table: pa.Table, fam: np.ndarray) -> Rumah:
        """The households of one build (`fam`: stable family per unit in file order)."""
        unit, head = d.units, d.head_record
        typed_kk = table["NO_KK"].take(pa.array(head))
        kk_text = pc.cast(pa.array(d.unit_kk[unit]), pa.string())
        return Rumah(
            rt=_number(table["ID_KELUARGA"].take(pa.array(head))),
            fam=fam,
            tgl=d.unit_tgl[unit],
            prov=ctx.regions.prov[d.unit_desa[unit]],
            kk_salah=pc.fill_null(pc.not_equal(typed_kk, kk_text), True).to_numpy(zero_copy_only=False),
            desa_lama=d.unit_desa[unit] != ctx.pop.desa[d.unit_fam[unit]],
        )


@dataclass
class DaftarDtks:
    baris: Baris
    rumah: Rumah

    @staticmethod
    def awal(ctx: Konteks, d: Daftar, table: pa.Table, typed: Ketikan) -> DaftarDtks:
        """The first month's DTKS (its registry's ids are the stable ids)."""
        f = ctx.pop.n_keluarga
        fam = np.where(d.units < f, d.units, -1)
        return DaftarDtks(Baris.of(d, table, typed, d.cat.orang.copy()), Rumah.of(ctx, d, table, fam))

    def perbarui(
        self,
        ctx: Konteks,
        ptr: Potret,
        riw: Riwayat,
        fam: np.ndarray,
        tgl: np.ndarray,
        rng: np.random.Generator,
    ) -> dict[str, int]:
        """Verify these families (distinct stable ids: households of DTKS, or families taken
        in) on these dates, on the month's registry `ptr`."""
        fam, tgl = self._with_split_offs(ptr, riw.induk, riw.pisah, fam, tgl, rng)
        pop = ptr.pop
        row = ptr.dari_id(fam)
        when = np.full(pop.n_keluarga, ctx.cutoff, np.int32)
        when[row[row >= 0]] = tgl[row >= 0]
        t = when[pop.fam]
        living = np.bincount(pop.fam[(pop.lahir <= t) & (pop.mati > t)], minlength=pop.n_keluarga)
        go = (row >= 0) & (living[np.maximum(row, 0)] > 0)
        selected = np.zeros(pop.n_keluarga, bool)
        selected[row[go]] = True
        gone = np.isin(self.rumah.fam, fam) & (self.rumah.fam >= 0)  # their households: replaced
        old_fam = self.rumah.fam[gone]
        rows_kept = self.baris.take(np.flatnonzero(~np.isin(self.baris.rt, self.rumah.rt[gone])))
        rumah = self.rumah.take(np.flatnonzero(~gone))
        counts = {"households_verified": int(gone.sum()), "households_entered": 0, "households_removed": 0}
        if selected.any():
            d, table, _, typed = dtks.build(ctx, rng, selected, when)
            new_baris, new_rumah = self._ids(ctx, ptr, d, table, typed, gone, rng)
            rows_kept, rumah = Baris.concat(rows_kept, new_baris), Rumah.concat(rumah, new_rumah)
            counts["households_entered"] = int(np.sum((new_rumah.fam >= 0) & ~np.isin(new_rumah.fam, old_fam)))
            counts["households_removed"] = int(np.sum(~np.isin(old_fam, new_rumah.fam)))
        else:
            counts["households_removed"] = len(old_fam)
        self.baris = rows_kept.take(np.argsort(rows_kept.rt, kind="stable"))
        self.rumah = rumah.take(np.argsort(rumah.rt, kind="stable"))
        return counts

    def _with_split_offs(self, ptr: Potret, induk, pisah, fam: np.ndarray, tgl: np.ndarray, rng):
        """The families to verify, plus the cards split off them since their household's
        last update and before this one: half of those, on the same day."""
        pos = np.full(len(induk), -1, np.int64)
        listed = self.rumah.fam >= 0
        pos[self.rumah.fam[listed]] = np.flatnonzero(listed)
        parent = np.full(len(induk), -1, np.int64)
        parent[fam] = np.arange(len(fam))
        child = np.flatnonzero((induk >= 0) & (pos < 0))
        child = child[(parent[induk[child]] >= 0) & (ptr.dari_id(child) >= 0)]
        par = induk[child]
        last = np.where(pos[par] >= 0, self.rumah.tgl[np.maximum(pos[par], 0)], np.iinfo(np.int32).min)
        day = tgl[parent[par]]
        take = (pisah[child] > last) & (pisah[child] <= day) & (rng.random(len(child)) < SPLIT_LISTED)
        return np.r_[fam, child[take]], np.r_[tgl, day[take]].astype(np.int32)

    def _ids(self, ctx, ptr, d: Daftar, table: pa.Table, typed: Ketikan, gone, rng) -> tuple[Baris, Rumah]:
        """The rows of a verification under their DTKS ids: a family's household keeps its
        id, a person verified again in it keeps theirs (the first row, if listed twice)."""
        f = ptr.pop.n_keluarga
        fam = np.where(d.units < f, ptr.keluarga[np.minimum(d.units, f - 1)], -1)
        known, rt = _lookup(self.rumah.fam[gone], self.rumah.rt[gone], fam)
        known &= fam >= 0
        rt[~known] = _next_ids(int(self.rumah.rt.max(initial=0)), int((~known).sum()), rng)
        row_rt = rt[d.unit_pos]
        orang = np.where(d.cat.orang >= 0, ptr.orang[np.maximum(d.cat.orang, 0)], -1)
        real = self.baris.orang >= 0
        key_new = row_rt * (1 << 31) + orang
        same, id_dtks = _lookup((self.baris.rt * (1 << 31) + self.baris.orang)[real], self.baris.id_dtks[real], key_new)
        first = np.zeros(len(key_new), bool)
        first[np.unique(key_new, return_index=True)[1]] = True
        same &= first & (orang >= 0)
        id_dtks[~same] = _next_ids(int(self.baris.id_dtks.max(initial=0)), int((~same).sum()), rng)
        table = table.set_column(table.schema.get_field_index("ID_DTKS"), "ID_DTKS", _text("D", id_dtks, 10))
        table = table.set_column(table.schema.get_field_index("ID_KELUARGA"), "ID_KELUARGA", _text("K", row_rt, 9))
        return Baris.of(d, table, typed, orang), Rumah.of(ctx, d, table, fam)

    # ------------------------------------------------------------------------ reading it

    def file_order(self) -> np.ndarray:
        """Rows as the files hold them: by province, then household id."""
        prov = self.rumah.prov[np.searchsorted(self.rumah.rt, self.baris.rt)]
        return np.lexsort((np.arange(len(prov)), prov))

    def write(self, out: Path) -> dict[str, int]:
        order = self.file_order()
        prov = self.rumah.prov[np.searchsorted(self.rumah.rt, self.baris.rt)][order]
        return dtks.write(self.baris.tabel.take(pa.array(order)), prov, out)

    def tautan(self) -> pa.Table:
        b = self.baris.take(self.file_order())
        return pa.table(
            {
                "sumber": pa.repeat(pa.scalar("DTKS"), len(b.rt)).cast(pa.string()),
                "id_sumber": b.tabel["ID_DTKS"].combine_chunks().cast(pa.string()),
                "nik_benar": pc.cast(pa.array(b.benar, mask=b.benar < 0), pa.string()),
                **errors.kind_names(b.galat_nik, b.galat_nama),
            }
        )

    def keluarga(self, ptr: Potret) -> np.ndarray:
        """Per family of the registry `ptr`: DTKS has a household of it."""
        out = np.zeros(ptr.pop.n_keluarga, bool)
        row = ptr.dari_id(self.rumah.fam)
        out[row[row >= 0]] = True
        return out

    def ganda(self, ptr: Potret, fam_of: np.ndarray) -> np.ndarray:
        """Per family of `ptr`: someone of it is listed twice (`fam_of`: each stable person's card)."""
        real = self.baris.orang[self.baris.orang >= 0]
        times = np.bincount(real)
        twice = np.flatnonzero(times > 1)
        out = np.zeros(ptr.pop.n_keluarga, bool)
        row = ptr.dari_id(fam_of[twice])
        out[row[row >= 0]] = True
        return out

    def info(self) -> dict[str, int]:
        b, r = self.baris, self.rumah
        real = b.orang[b.orang >= 0]
        return errors.kind_counts(b.galat_nik, b.galat_nama, b.tgl_beda) | {
            "records": len(b.rt),
            "households": len(r.rt),
            "ghost_records": int((b.orang < 0).sum()),
            "duplicates": int(len(real) - len(np.unique(real))),
            "kk_error_units": int(r.kk_salah.sum()),
            "stale_address_units": int(r.desa_lama.sum()),
        }
