"""The registry over the months of a series: every person and every family card that ever
existed, under a stable id, and the registry as it stands at a cut-off.

Stable ids are the first month's registry in its own order (persons and families), then
whatever the monthly events add, in the order they add it. A person keeps an id for life;
a family card keeps one for as long as it exists (a move to another district, a marriage
or a split is a new card, so a new id). The dead stay on the card they had when they died,
as Dukcapil keeps them.

`potret` lays the registry out at a cut-off in the shape a delivery's writers take
(`Penduduk`: families in id order, each family's members as a KK lists them).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pyarrow as pa

from synthetic import tanggal
from synthetic.population import Penduduk, tata
from synthetic.welfare import Anggota, Kesejahteraan

# Order of relations on a KK: head, spouse, children, child-in-law, grandchildren, ...
_STAT_ORDER = np.array([0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9], np.int8)
BELUM = np.iinfo(np.int32).min  # "never moved": compares before every real date

_PERSON = ("fam", "stat", "female", "lahir", "mati", "kawin", "nik", "nik_kec", "nama", "nama_ibu", "tempat", "ibu")
_FAMILY = (
    "kk",
    "desa",
    "induk",
    "pisah",
    "alamat",
    "rt",
    "rw",
    "ref_log",
    "ref_m",
    "eps",
    "pindah_tgl",
    "desa_asal",
    "geser_tgl",
)


@dataclass
class Riwayat:
    # per person ever, by stable id
    fam: np.ndarray  # int64: the family card now (for the dead: the one they died on)
    stat: np.ndarray  # STAT_HBKEL
    female: np.ndarray
    lahir: np.ndarray  # days
    mati: np.ndarray  # days, tanggal.NEVER for the living
    kawin: np.ndarray
    nik: np.ndarray
    nik_kec: np.ndarray  # district of first registration (index)
    nama: pa.Array
    nama_ibu: pa.Array
    tempat: pa.Array
    ibu: np.ndarray  # int64: the mother, for those born in the series, else -1
    anggota: Anggota  # schooling, work, disability, illness
    # per family card ever, by stable id
    kk: np.ndarray
    desa: np.ndarray
    induk: np.ndarray  # int64: the card a split-off (or a couple) left, -1 otherwise
    pisah: np.ndarray  # date of that split, tanggal.NEVER otherwise
    alamat: pa.Array
    rt: pa.Array
    rw: pa.Array
    rumah: dict[str, np.ndarray]  # housing and assets as they are now
    ref_log: np.ndarray  # log spending at the reference (NaN: not valued yet)
    ref_m: np.ndarray  # the welfare model's value at the reference
    eps: np.ndarray  # a new family's own deviation from the model
    pindah_tgl: np.ndarray  # date of the last move in the series, BELUM if none
    desa_asal: np.ndarray  # the village before that move
    geser_tgl: np.ndarray  # date its welfare last drifted, BELUM if never

    @property
    def n(self) -> int:
        return len(self.fam)

    @property
    def n_keluarga(self) -> int:
        return len(self.kk)

    def hidup(self, at: int) -> np.ndarray:
        """Born by and still alive at the date."""
        return (self.lahir <= at) & (self.mati > at)

    @staticmethod
    def dari(pop: Penduduk, wel: Kesejahteraan, ref_m: np.ndarray) -> Riwayat:
        """The first month's registry: stable ids are its own order."""
        f = pop.n_keluarga
        return Riwayat(
            fam=pop.fam.astype(np.int64),
            stat=pop.stat.copy(),
            female=pop.female.copy(),
            lahir=pop.lahir.copy(),
            mati=pop.mati.copy(),
            kawin=pop.kawin.copy(),
            nik=pop.nik.copy(),
            nik_kec=pop.nik_kec.copy(),
            nama=pop.nama,
            nama_ibu=pop.nama_ibu,
            tempat=pop.tempat,
            ibu=np.full(pop.n, -1, np.int64),
            anggota=Anggota(**{k.name: getattr(wel.anggota, k.name).copy() for k in fields(Anggota)}),
            kk=pop.kk.copy(),
            desa=pop.desa.copy(),
            induk=pop.induk.astype(np.int64),
            pisah=pop.pisah.copy(),
            alamat=pop.alamat,
            rt=pop.rt,
            rw=pop.rw,
            rumah={k: v.copy() for k, v in wel.rumah.items()},
            ref_log=wel.log_pengeluaran.copy(),
            ref_m=np.asarray(ref_m, np.float64).copy(),
            eps=np.zeros(f),
            pindah_tgl=np.full(f, BELUM, np.int32),
            desa_asal=pop.desa.copy(),
            geser_tgl=np.full(f, BELUM, np.int32),
        )

    def tambah_orang(self, anggota: Anggota, **cols) -> np.ndarray:
        """Append persons (every per-person column given); their new ids."""
        first = self.n
        for name in _PERSON:
            setattr(self, name, _concat(getattr(self, name), cols[name]))
        for k in fields(Anggota):
            setattr(self.anggota, k.name, np.concatenate([getattr(self.anggota, k.name), getattr(anggota, k.name)]))
        return np.arange(first, self.n)

    def tambah_keluarga(self, rumah: dict[str, np.ndarray], **cols) -> np.ndarray:
        """Append family cards (every per-family column given); their new ids."""
        first = self.n_keluarga
        for name in _FAMILY:
            setattr(self, name, _concat(getattr(self, name), cols[name]))
        self.rumah = {k: np.concatenate([v, rumah[k]]) for k, v in self.rumah.items()}
        return np.arange(first, self.n_keluarga)

    def kepala(self) -> np.ndarray:
        """Per family card: its head (the last KEPALA on it), -1 for none."""
        out = np.full(self.n_keluarga, -1, np.int64)
        head = np.flatnonzero(self.stat == 1)
        out[self.fam[head]] = head
        return out


def _concat(a, b):
    if isinstance(a, pa.Array | pa.ChunkedArray):
        return pa.concat_arrays([flat(a), flat(b).cast(a.type)])
    return np.concatenate([a, np.asarray(b, a.dtype)])


def flat(a) -> pa.Array:
    """An Arrow array in one piece (a take on a chunked array gives a chunked one)."""
    return a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a if isinstance(a, pa.Array) else pa.array(a)


@dataclass
class Potret:
    """The registry at a cut-off, laid out as one delivery's registry."""

    pop: Penduduk
    orang: np.ndarray  # stable person id of each row
    keluarga: np.ndarray  # stable family id of each family (ascending)
    baris: np.ndarray  # per stable family id: its index in pop, -1 when it has nobody

    def dari_id(self, fam: np.ndarray) -> np.ndarray:
        """Families (stable ids) as indices of this registry, -1 where a card has nobody."""
        return np.where(fam >= 0, self.baris[np.maximum(fam, 0)], -1)


def potret(riw: Riwayat) -> Potret:
    """Families in stable id order, members by relation, then age, then id."""
    size_all = np.bincount(riw.fam, minlength=riw.n_keluarga)
    keluarga = np.flatnonzero(size_all)
    baris = np.full(riw.n_keluarga, -1, np.int64)
    baris[keluarga] = np.arange(len(keluarga))
    p = np.lexsort((np.arange(riw.n), riw.lahir, _STAT_ORDER[riw.stat], riw.fam))
    size = size_all[keluarga].astype(np.int16)
    induk = np.where(riw.induk[keluarga] >= 0, baris[np.maximum(riw.induk[keluarga], 0)], -1)
    pisah = np.where(induk >= 0, riw.pisah[keluarga], tanggal.NEVER).astype(np.int32)
    pop = tata(riw, keluarga, p, baris[riw.fam[p]].astype(np.int32), size, induk.astype(np.int32), pisah)
    return Potret(pop=pop, orang=p, keluarga=keluarga, baris=baris)
