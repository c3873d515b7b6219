"""Proposals over the months of a series: they arrive every month and move through their
statuses over the months after.

Each entry gets its future at arrival: the village decides after a while (mean
`hari_desa` days; MUSDES and MUSKEL entries come from the village meeting, approved that
day), approving `disetujui_desa` of them, then Dinsos (mean `hari_dinsos` days), verifying
`terverifikasi_dinsos` of those (half that for a proposal of nobody). Its status at a
cut-off is the last decision dated before it: DIAJUKAN -> DISETUJUI_DESA ->
TERVERIFIKASI_DINSOS, or DITOLAK at either step. The first month's feed (the single
delivery's, statuses drawn as they stand) goes on from where it stands.

The feed of month k holds the entries dated from the cut-off three months before (its
month k-3) to the day before its own, each with its status as of that cut-off: an entry is
in three feeds, then drops out whatever its status. An entry's line is written once, at
arrival (its members typed once); only its status changes from feed to feed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthetic import errors, names, tanggal, vocab
from synthetic.config import ChangeRates
from synthetic.context import Konteks
from synthetic.errors import Ketikan
from synthetic.regions import Regions
from synthetic.riwayat import BELUM, Potret, Riwayat
from synthetic.sources import usulan

DIAJUKAN, DISETUJUI_DESA, TERVERIFIKASI, DITOLAK = range(4)  # vocab.STATUS_USULAN
USUL_BARU, PERBAIKAN, SANGGAHAN = range(3)  # vocab.JENIS_USULAN
PINDAH = vocab.ALASAN_SANGGAHAN.index("PINDAH")
_VILLAGE_MEETING = [vocab.KANAL.index("MUSDES"), vocab.KANAL.index("MUSKEL")]
_PLACEHOLDER = '"status":"@"'
RECENT_DAYS = 90  # what an objection reports happened in the last three months
GHOST_VERIFIED = 0.5  # of the Dinsos verification rate, for a proposal of nobody


@dataclass
class Anggota:
    """The proposed members of every entry (USUL_BARU), in entry order."""

    tautan: pa.Table  # their truth, as truth/tautan.parquet
    usulan: np.ndarray  # index of the entry
    nik_benar: np.ndarray  # the registry NIK, -1 for nobody
    nik_kind: np.ndarray
    nama_kind: np.ndarray
    lahir_beda: np.ndarray

    @staticmethod
    def of(tautan: pa.Table, usulan_idx: np.ndarray, typed: Ketikan) -> Anggota:
        nik = pc.fill_null(pc.cast(tautan["nik_benar"], pa.int64()), -1).to_numpy()
        return Anggota(tautan, usulan_idx, nik, typed.nik_kind, typed.nama_kind, typed.lahir_beda)

    def take(self, idx: np.ndarray) -> Anggota:
        return Anggota(self.tautan.take(pa.array(idx)), *(getattr(self, f.name)[idx] for f in fields(Anggota)[1:]))

    @staticmethod
    def concat(a: Anggota, b: Anggota) -> Anggota:
        return Anggota(
            pa.concat_tables([a.tautan, b.tautan]),
            *(np.concatenate([getattr(a, f.name), getattr(b, f.name)]) for f in fields(Anggota)[1:]),
        )


@dataclass
class Arus:
    """Every entry made so far, in the order made (by month, then date)."""

    id_usulan: pa.Array
    jenis: np.ndarray
    alasan: np.ndarray  # -1 when not an objection
    fam: np.ndarray  # stable family id, -1 for a proposal of nobody
    kk: np.ndarray  # the KK the entry names
    desa: np.ndarray  # the village it names
    tgl: np.ndarray
    bulan: np.ndarray  # month of arrival (0: the first month's feed)
    tgl_desa: np.ndarray  # the village's decision (BELUM: before the series)
    desa_ok: np.ndarray
    tgl_dinsos: np.ndarray
    dinsos_ok: np.ndarray
    baris: pa.Array  # the JSON line, status as a placeholder
    anggota: Anggota

    @staticmethod
    def awal(e: usulan.Entri, lines: pa.Array, tautan: pa.Table, typed: Ketikan, cutoff: int, laju, rng) -> Arus:
        """The first month's feed, its statuses as drawn; what is still open is decided
        after the cut-off."""
        m = len(e.fam)
        asked, open_ = e.status == DIAJUKAN, (e.status == DIAJUKAN) | (e.status == DISETUJUI_DESA)
        tgl_desa = np.where(asked, cutoff + _wait(rng, laju.hari_desa, m), BELUM).astype(np.int32)
        desa_ok = np.where(asked, rng.random(m) < laju.disetujui_desa, e.status != DITOLAK)
        tgl_dinsos = np.maximum(tgl_desa, cutoff) + _wait(rng, laju.hari_dinsos, m)
        dinsos_ok = np.where(open_, rng.random(m) < _verified(laju, e.fam), e.status == TERVERIFIKASI)
        return _arus(e, 0, np.where(open_, tgl_dinsos, BELUM), tgl_desa, desa_ok, dinsos_ok, lines, tautan, typed)

    def tambah(self, other: Arus) -> None:
        offset = len(self.tgl)
        for f in fields(Arus):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if f.name == "anggota":
                b = Anggota(b.tautan, b.usulan + offset, *(getattr(b, g.name) for g in fields(Anggota)[2:]))
                setattr(self, f.name, Anggota.concat(a, b))
            elif isinstance(a, pa.Array):
                setattr(self, f.name, pa.concat_arrays([a, b]))
            else:
                setattr(self, f.name, np.concatenate([a, b]))

    # ------------------------------------------------------------------------ at a cut-off

    def status(self, at: int) -> np.ndarray:
        """Each entry's status at the cut-off `at`: the last decision dated before it."""
        return np.select(
            [self.tgl_desa >= at, ~self.desa_ok, self.tgl_dinsos >= at, self.dinsos_ok],
            [DIAJUKAN, DITOLAK, DISETUJUI_DESA, TERVERIFIKASI],
            DITOLAK,
        ).astype(np.int8)

    def tanggal_status(self, at: int) -> np.ndarray:
        """The date of that status (the entry's own for DIAJUKAN; BELUM: before the series)."""
        s = self.status(at)
        decided_desa = (s == DITOLAK) & ~self.desa_ok
        return np.select(
            [s == DIAJUKAN, (s == DISETUJUI_DESA) | decided_desa], [self.tgl, self.tgl_desa], self.tgl_dinsos
        )

    def dalam_feed(self, mulai: int, at: int) -> np.ndarray:
        return (self.tgl >= mulai) & (self.tgl < at)

    def feed(self, mulai: int, at: int) -> tuple[pa.Array, Anggota, dict]:
        """The feed's lines (by date), the truth of their members, the counts."""
        idx = np.flatnonzero(self.dalam_feed(mulai, at))
        idx = idx[np.lexsort((idx, self.tgl[idx]))]
        status = self.status(at)[idx]
        lines = names.by_choice(self.baris.take(pa.array(idx)), status, [_with_status(s) for s in vocab.STATUS_USULAN])
        rank = np.full(len(self.tgl), -1, np.int64)
        rank[idx] = np.arange(len(idx))
        rows = np.flatnonzero(rank[self.anggota.usulan] >= 0)
        rows = rows[np.lexsort((rows, rank[self.anggota.usulan[rows]]))]
        members = self.anggota.take(rows)
        info = errors.kind_counts(members.nik_kind, members.nama_kind, members.lahir_beda) | {
            "usulan": len(idx),
            "usul_baru": int((self.jenis[idx] == USUL_BARU).sum()),
            "perbaikan": int((self.jenis[idx] == PERBAIKAN).sum()),
            "sanggahan": int((self.jenis[idx] == SANGGAHAN).sum()),
            "ghost_proposals": int((self.fam[idx] < 0).sum()),
            "member_records": len(rows),
            "per_status": {s: int((status == i).sum()) for i, s in enumerate(vocab.STATUS_USULAN)},
        }
        return lines, members, info

    def truth(self, regions: Regions, mulai: int, at: int) -> pa.Table:
        """truth/usulan.parquet: every entry so far, its status at `at`, whether in the feed."""
        when = self.tanggal_status(at)
        return pa.table(
            {
                "id_usulan": self.id_usulan,
                "jenis": pa.array(np.array(vocab.JENIS_USULAN)[self.jenis]).cast(pa.string()),
                "alasan": pa.array(np.array((*vocab.ALASAN_SANGGAHAN, ""))[self.alasan], mask=self.alasan < 0).cast(
                    pa.string()
                ),
                "no_kk": pc.cast(pa.array(self.kk), pa.string()),
                "kode_desa": regions.kode10(self.desa),
                "tanggal": tanggal.to_arrow(self.tgl),
                "status": pa.array(np.array(vocab.STATUS_USULAN)[self.status(at)]).cast(pa.string()),
                "tanggal_status": tanggal.to_arrow(np.where(when == BELUM, 0, when), null=when == BELUM),
                "dalam_feed": pa.array(self.dalam_feed(mulai, at)),
                "hantu": pa.array(self.fam < 0),
                "bulan": pa.array(self.bulan.astype(np.int32)),
            }
        )

    def terverifikasi_baru(self, feeds: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
        """Members of new-family proposals some feed of `feeds` ((first day, cut-off) each)
        showed verified: (entry, registry NIK)."""
        seen = np.zeros(len(self.tgl), bool)
        for mulai, at in feeds:
            seen |= self.dalam_feed(mulai, at) & (self.status(at) == TERVERIFIKASI)
        ok = (self.jenis == USUL_BARU) & seen
        rows = np.flatnonzero(ok[self.anggota.usulan] & (self.anggota.nik_benar >= 0))
        return self.anggota.usulan[rows], self.anggota.nik_benar[rows]


def _arus(e: usulan.Entri, bulan: int, tgl_dinsos, tgl_desa, desa_ok, dinsos_ok, lines, tautan, typed) -> Arus:
    """Entries (in file order) with their decisions, as an Arus."""
    head = pc.list_element(pc.split_pattern(tautan["id_sumber"], ":"), 0)
    entry = pc.index_in(head, value_set=e.id_usulan).to_numpy(zero_copy_only=False).astype(np.int64)
    return Arus(
        id_usulan=e.id_usulan,
        jenis=e.jenis.astype(np.int8),
        alasan=e.alasan.astype(np.int8),
        fam=e.fam.astype(np.int64),
        kk=e.kk.astype(np.int64),
        desa=e.desa.astype(np.int32),
        tgl=e.tgl.astype(np.int32),
        bulan=np.full(len(e.fam), bulan, np.int16),
        tgl_desa=np.asarray(tgl_desa, np.int32),
        desa_ok=np.asarray(desa_ok, bool),
        tgl_dinsos=np.asarray(tgl_dinsos, np.int32),
        dinsos_ok=np.asarray(dinsos_ok, bool),
        baris=_placeholder(lines),
        anggota=Anggota.of(tautan, entry, typed),
    )


@dataclass
class Daftaran:
    """Which families of the month's registry the lists hold (as usulan.choose takes them)."""

    dtks: np.ndarray
    p3ke: np.ndarray
    regsosek: np.ndarray
    ganda: np.ndarray


def datang(
    ctx: Konteks,
    ptr: Potret,
    riw: Riwayat,
    lists: Daftaran,
    laju: ChangeRates,
    k: int,
    awal: int,
    akhir: int,
    rng: np.random.Generator,
    proposed: np.ndarray,
) -> Arus:
    """The entries of month k, dated in [awal, akhir], about families of the registry at
    the month's start (`ctx`, `ptr`): new families never proposed before (`proposed`: stable
    ids), corrections (more often of families whose welfare drifted lately), objections
    reporting deaths and moves of the last three months (a PINDAH names the village left)."""
    stable, pop = ptr.keluarga, ptr.pop
    living = ctx.wel.komposisi["jumlah_art"] > 0
    months = (akhir - awal + 1) / (365.25 / 12)
    n = int(rng.binomial(int(living.sum()), min(1.0, laju.usulan / 1000 * months)))
    recent = awal - RECENT_DAYS
    died = np.zeros(pop.n_keluarga, bool)
    died[pop.fam[(pop.mati >= recent) & (pop.mati < awal)]] = True
    moved = riw.pindah_tgl[stable] >= recent
    bulan = usulan.Bulan(
        n=n,
        baru_boleh=~np.isin(stable, proposed),
        bobot_perbaikan=np.where(riw.geser_tgl[stable] >= recent, 10.0, 1.0),
        meninggal=died,
        pindah=moved,
    )
    rates = ctx.rates("USULAN")
    p = usulan.choose(ctx, rng, rates, lists.dtks, lists.p3ke, lists.regsosek, lists.ganda, bulan)
    template, kk, desa = usulan.keluarga_entri(ctx, rng, p.fam)
    fam = np.maximum(p.fam, 0)
    left = (p.alasan == PINDAH) & (p.fam >= 0) & moved[fam]
    desa = np.where(left, riw.desa_asal[stable[fam]], desa)
    tgl = tanggal.uniform(rng, awal, akhir, len(p.fam))
    e = usulan.entri(rng, p, template, kk, desa, tgl, akhir, f"USL{k:03d}-", max(6, len(str(len(p.fam)))))
    lines, tautan, _, typed = usulan.isi(ctx, rng, rates, e)
    m = len(e.fam)
    meeting = np.isin(e.kanal, _VILLAGE_MEETING)  # the village meeting itself proposes
    tgl_desa = np.where(meeting, e.tgl, e.tgl + _wait(rng, laju.hari_desa, m))
    desa_ok = meeting | (rng.random(m) < laju.disetujui_desa)
    tgl_dinsos = tgl_desa + _wait(rng, laju.hari_dinsos, m)
    dinsos_ok = rng.random(m) < _verified(laju, e.fam)
    e.fam = np.where(e.fam >= 0, stable[np.maximum(e.fam, 0)], -1)
    return _arus(e, k, tgl_dinsos, tgl_desa, desa_ok, dinsos_ok, lines, tautan, typed)


def _wait(rng: np.random.Generator, mean: float, n: int) -> np.ndarray:
    """Days until a decision: at least one, exponential with this mean."""
    return 1 + np.floor(rng.exponential(mean, n)).astype(np.int32)


def _verified(laju: ChangeRates, fam: np.ndarray) -> np.ndarray:
    return np.where(fam < 0, GHOST_VERIFIED * laju.terverifikasi_dinsos, laju.terverifikasi_dinsos)


def _with_status(status: str) -> Callable[[pa.Array], pa.Array]:
    def fill(lines: pa.Array) -> pa.Array:
        return pc.replace_substring(lines, _PLACEHOLDER, f'"status":"{status}"', max_replacements=1)

    return fill


def _placeholder(lines: pa.Array) -> pa.Array:
    """The line with its status left to fill in (the first "status" is the entry's own)."""
    return pc.replace_substring_regex(lines, '"status":"[A-Z_]+"', _PLACEHOLDER, max_replacements=1)
