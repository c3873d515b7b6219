"""A series of monthly deliveries of one population that evolves.

Month 0 is the single delivery of the first cut-off, byte for byte in its extracts (the
truth adds the series' files). Each later month takes the population forward by the
month's dated events (peristiwa.py) and welfare drift (drift.py), and the sources with it:
the registry as it stands, DTKS updated with a lag (sources/dtks_lag.py), Regsosek 2022 and
P3KE 2022-2023 as they were (the first month's files), the same Susenas households, and the
proposals that arrived in the three months before the cut-off with their statuses as of it
(sources/usulan_arus.py).

Every month is a pure function of the settings and the cut-offs: `generate_next` rebuilds
the series from month 0 up to the month asked for (what it needs is in the previous
month's truth/metadata.json), so month k is the same bytes whether `generate_series` made
it or `generate_next` from month k-1. New randomness comes from streams of its own per month
(`seri/.../<k>`), never from the single delivery's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthetic import drift, generator, peristiwa, tanggal, writers
from synthetic.config import GENERATOR_VERSION, WELFARE_R2, ChangeRates, ErrorRates, GeneratorConfig, stream
from synthetic.context import Konteks
from synthetic.errors import Ketikan
from synthetic.generator import Progress, write_atomically
from synthetic.peristiwa import Kejadian
from synthetic.riwayat import Potret, Riwayat, potret
from synthetic.sources import Hasil, dukcapil, susenas, truth, usulan
from synthetic.sources.daftar import Daftar
from synthetic.sources.dtks_lag import DaftarDtks
from synthetic.sources.usulan_arus import TERVERIFIKASI, USUL_BARU, Arus, Daftaran, datang

__all__ = ["add_months", "generate_next", "generate_series"]

FROZEN = ("regsosek", "p3ke", "referensi")  # folders every month copies from the first
FEED_MONTHS = 3


def add_months(d: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months later (or earlier), the month's last day where
    it has fewer days: 2026-01-31 + 1 -> 2026-02-28."""
    index = d.year * 12 + d.month - 1 + months
    year, month = divmod(index, 12)
    first_next = dt.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    return dt.date(year, month + 1, min(d.day, (first_next - dt.timedelta(days=1)).day))


@dataclass
class Seri:
    """A series at one cut-off: the population over time and every source's state."""

    config: GeneratorConfig  # month 0's
    laju: ChangeRates
    cutoffs: list[dt.date]
    hasil0: dict[str, Hasil]  # month 0's sources (Regsosek, P3KE stay as they were)
    riw: Riwayat
    ptr: Potret  # the registry at the current cut-off
    ctx: Konteks  # the current month, as the source writers take it
    dtks: DaftarDtks
    usulan: Arus
    panel: np.ndarray  # Susenas households (stable family ids)
    p3ke: np.ndarray  # per stable family of month 0: P3KE lists it
    regsosek: np.ndarray
    peristiwa: Kejadian | None = None  # the current month's events
    bulan: list[dict] = field(default_factory=list)  # per month: what changed

    @property
    def k(self) -> int:
        return len(self.cutoffs) - 1

    @property
    def cutoff(self) -> dt.date:
        return self.cutoffs[-1]

    def feed_start(self, k: int | None = None) -> int:
        """The first day of month k's feed (default: the current month's): the cut-off three
        months back (month 0's is the single delivery's, its 92 days)."""
        k = self.k if k is None else k
        if k == 0:
            return tanggal.days(self.cutoffs[0]) - usulan.FEED_DAYS
        j = k - FEED_MONTHS
        return tanggal.days(self.cutoffs[j] if j >= 0 else add_months(self.cutoffs[0], j))

    def feeds(self) -> list[tuple[int, int]]:
        """Every month's feed so far: (first day, cut-off), in days."""
        return [(self.feed_start(k), tanggal.days(c)) for k, c in enumerate(self.cutoffs)]

    def lists(self) -> Daftaran:
        """Which families of the current registry each list holds."""
        base = self.ptr.keluarga < len(self.p3ke)
        fam = np.minimum(self.ptr.keluarga, len(self.p3ke) - 1)
        return Daftaran(
            dtks=self.dtks.keluarga(self.ptr),
            p3ke=base & self.p3ke[fam],
            regsosek=base & self.regsosek[fam],
            ganda=self.dtks.ganda(self.ptr, self.riw.fam),
        )


# ---------------------------------------------------------------------------- month 0


def _mulai(config: GeneratorConfig, laju: ChangeRates, out: Path, progress: Progress) -> Seri:
    """Month 0: the single delivery's extracts written to `out`, and the series' state."""
    ctx = generator.konteks(config, progress)
    hasil = generator.write_sources(ctx, out, progress)
    pop, wel, reg = ctx.pop, ctx.wel, ctx.regions
    riw = Riwayat.dari(pop, wel, drift.nilai_awal(wel, reg.perkotaan[pop.desa], reg.prov[pop.desa]))
    ptr = Potret(pop=pop, orang=np.arange(pop.n), keluarga=np.arange(pop.n_keluarga), baris=np.arange(pop.n_keluarga))
    d, table, typed = cast(tuple[Daftar, pa.Table, Ketikan], hasil["DTKS"].detail)
    e, lines, u_typed = cast(tuple[usulan.Entri, pa.Array, Ketikan], hasil["USULAN"].detail)
    u_tautan = hasil["USULAN"].tautan
    assert u_tautan is not None and hasil["P3KE"].keluarga is not None and hasil["REGSOSEK"].keluarga is not None
    arus = Arus.awal(e, lines, u_tautan, u_typed, ctx.cutoff, laju, stream(config.seed, "seri/usulan/0"))
    return Seri(
        config=config,
        laju=laju,
        cutoffs=[config.cutoff],
        hasil0=hasil,
        riw=riw,
        ptr=ptr,
        ctx=ctx,
        dtks=DaftarDtks.awal(ctx, d, table, typed),
        usulan=arus,
        panel=susenas.sampel(ctx),
        p3ke=hasil["P3KE"].keluarga,
        regsosek=hasil["REGSOSEK"].keluarga,
        bulan=[{"bulan": 0, "cutoff": config.cutoff.isoformat()}],
    )


# ---------------------------------------------------------------------------- a month on


def _maju(seri: Seri, cutoff: dt.date, progress: Progress) -> None:
    """Take the series to the next cut-off."""
    if cutoff <= seri.cutoff:
        raise ValueError(f"cut-off {cutoff} must come after the previous one, {seri.cutoff}")
    k, seed, laju, riw = seri.k + 1, seri.config.seed, seri.laju, seri.riw
    for s in ("DTKS", "USULAN", "DUKCAPIL", "SUSENAS"):  # carried on by the series' own state now
        seri.hasil0[s] = Hasil(rows=seri.hasil0[s].rows, info=seri.hasil0[s].info)
    reg, model = seri.ctx.regions, seri.ctx.wel.model
    awal, akhir = tanggal.days(seri.cutoff), tanggal.days(cutoff) - 1
    bulan = (akhir - awal + 1) / peristiwa.DAYS_PER_MONTH
    # Proposals of the month, about the families as the month's start knows them.
    progress(f"{cutoff}: usulan")
    proposed = seri.usulan.fam[(seri.usulan.jenis == USUL_BARU) & (seri.usulan.fam >= 0)]
    arrivals = datang(
        seri.ctx, seri.ptr, riw, seri.lists(), laju, k, awal, akhir, stream(seed, f"seri/usulan/{k}"), proposed
    )
    seri.usulan.tambah(arrivals)
    # Life events, then welfare drift of families that were there at the start.
    progress(f"{cutoff}: peristiwa")
    before = seri.ptr.keluarga[seri.ctx.wel.komposisi["jumlah_art"] > 0]
    events = peristiwa.bulan(riw, reg, laju, awal, akhir, model["sigma"], stream(seed, f"seri/peristiwa/{k}"))
    rng = stream(seed, f"seri/kesejahteraan/{k}")
    drifting = before[rng.random(len(before)) < min(1.0, laju.kesejahteraan / 1000 * bulan)]
    drift.geser(riw, drifting, rng)
    riw.geser_tgl[drifting] = tanggal.uniform(rng, awal, akhir, len(drifting))
    # The registry and the welfare truth at the cut-off.
    progress(f"{cutoff}: registri")
    seri.ptr = potret(riw)
    at = tanggal.days(cutoff)
    wel = drift.kesejahteraan(riw, seri.ptr, reg, model, at)
    config = seri.config.model_copy(update={"cutoff": cutoff})
    seri.ctx = Konteks(config, reg, seri.ptr.pop, wel, at)
    # DTKS: households verified this month, verified new families taken in.
    progress(f"{cutoff}: dtks")
    rng = stream(seed, f"seri/dtks/{k}")
    listed = seri.dtks.rumah.fam[seri.dtks.rumah.fam >= 0]
    again = listed[rng.random(len(listed)) < min(1.0, laju.dtks_pembaruan / 1000 * bulan)]
    u = seri.usulan
    verified = (u.jenis == USUL_BARU) & (u.status(awal) == TERVERIFIKASI) & (u.fam >= 0)
    waiting = np.setdiff1d(u.fam[verified], listed)
    taken = waiting[rng.random(len(waiting)) < min(1.0, laju.dtks_dari_usulan * bulan)]
    fam = np.r_[again, taken]
    dtks_counts = seri.dtks.perbarui(seri.ctx, seri.ptr, riw, fam, tanggal.uniform(rng, awal, akhir, len(fam)), rng)
    seri.cutoffs.append(cutoff)
    seri.peristiwa = events
    seri.bulan.append(
        {
            "bulan": k,
            "cutoff": cutoff.isoformat(),
            "peristiwa": events.counts(),
            "kesejahteraan_bergeser": len(drifting),
            "dtks": dtks_counts | {"households_taken_from_usulan": len(taken)},
            "usulan_masuk": len(arrivals.tgl),
        }
    )


# ---------------------------------------------------------------------------- writing a month


def _tulis(seri: Seri, out: Path, frozen: Path, progress: Progress) -> None:
    """Month k (k >= 1) into `out`; Regsosek, P3KE and the reference lists copied from
    month 0's folder `frozen`."""
    ctx, k = seri.ctx, seri.k
    progress(f"{seri.cutoff}: menulis")
    rows = dict(dukcapil.generate(ctx, out).rows)
    rows |= seri.dtks.write(out)
    for name in FROZEN:
        shutil.copytree(frozen / name, out / name)
    rows |= {f: n for s in ("REGSOSEK", "P3KE", "REFERENSI") for f, n in seri.hasil0[s].rows.items()}
    lines, members, feed_info = seri.usulan.feed(seri.feed_start(), ctx.cutoff)
    rows[usulan.FILE] = writers.lines(lines, out / usulan.FILE)
    panel = seri.ptr.dari_id(seri.panel)
    panel = panel[panel >= 0]
    panel = panel[ctx.wel.komposisi["jumlah_art"][panel] > 0]
    rows |= susenas.generate(ctx, out, panel).rows
    frozen_tautan = [seri.hasil0[s].tautan for s in ("REGSOSEK", "P3KE")]
    tautan = [seri.dtks.tautan(), *frozen_tautan, members.tautan]
    rows[truth.TAUTAN] = truth.write_tautan([t for t in tautan if t is not None], out)
    rows[truth.KELUARGA] = truth.write_keluarga(ctx, out)
    results = {
        "DTKS": Hasil(rows={}, info=seri.dtks.info()),
        "REGSOSEK": seri.hasil0["REGSOSEK"],
        "P3KE": seri.hasil0["P3KE"],
        "USULAN": Hasil(rows={}, info=feed_info),
    }
    assert k >= 1
    _tulis_truth_seri(seri, out, rows, results)


def _tulis_awal(seri: Seri, out: Path, progress: Progress) -> None:
    """Month 0's truth (its extracts are written by _mulai)."""
    progress("truth")
    rows = generator.write_truth(seri.ctx, seri.hasil0, out)
    _tulis_truth_seri(seri, out, rows, seri.hasil0)


def _tulis_truth_seri(seri: Seri, out: Path, rows: dict[str, int], results: dict[str, Hasil]) -> None:
    ctx, riw = seri.ctx, seri.riw
    events = seri.peristiwa if seri.peristiwa is not None else Kejadian.kosong()
    rows[truth.PERUBAHAN] = truth.write_table(peristiwa.tabel(riw, ctx.regions, events), truth.PERUBAHAN, out)
    rows[truth.TERDAFTAR] = truth.write_table(_terdaftar(seri), truth.TERDAFTAR, out)
    rows[truth.USULAN] = truth.write_table(
        seri.usulan.truth(ctx.regions, seri.feed_start(), ctx.cutoff), truth.USULAN, out
    )
    meta = generator.metadata(ctx.config, ctx, rows, results)
    meta["series"] = _series_block(seri)
    truth.write_metadata(meta, out)


def _terdaftar(seri: Seri) -> pa.Table:
    """Who reaches a registry KK at this cut-off: every DTKS, Regsosek and P3KE record of a
    real person, and every member of a new-family proposal some month's feed showed verified,
    in this month's feed or not. A proposal verified only after it left the feed was never
    seen verified: no pipeline can publish it."""
    frozen = [seri.hasil0[s].tautan for s in ("REGSOSEK", "P3KE")]
    parts = [seri.dtks.tautan(), *(t for t in frozen if t is not None)]
    nik = [np.asarray(pc.fill_null(pc.cast(t["nik_benar"], pa.int64()), -1)) for t in parts]
    entry, members = seri.usulan.terverifikasi_baru(seri.feeds())
    catatan = pa.table(
        {
            "sumber": pa.concat_arrays(
                [t["sumber"].combine_chunks() for t in parts] + [pa.repeat(pa.scalar("USULAN"), len(entry))]
            ).cast(pa.string()),
            "nik_benar": pa.array(np.concatenate([*nik, members]), pa.int64()),
            "id_usulan": pa.concat_arrays(
                [pa.nulls(sum(len(n) for n in nik), pa.string()), seri.usulan.id_usulan.take(pa.array(entry))]
            ),
        }
    )
    return truth.terdaftar(seri.ptr.pop, seri.ctx.cutoff, catatan)


def _series_block(seri: Seri) -> dict:
    config = seri.config.model_dump(mode="json")
    return {
        "first_cutoff": seri.cutoffs[0].isoformat(),
        "month": seri.k,
        "cutoffs": [c.isoformat() for c in seri.cutoffs],
        "feed_from": (tanggal.EPOCH + dt.timedelta(days=seri.feed_start())).isoformat(),
        "config": config,
        "changes": seri.laju.model_dump(),
        "months": seri.bulan,
    }


# ---------------------------------------------------------------------------- the API


def generate_series(
    out_root: Path,
    persons: int,
    seed: int,
    first_cutoff: dt.date,
    months: int,
    regions: Path | None = None,
    rates: ErrorRates | None = None,
    error_scale: float = 1.0,
    welfare_r2: float = WELFARE_R2,
    progress: Progress | None = None,
    overwrite: bool = False,
    changes: ChangeRates | None = None,
) -> list[Path]:
    """Write `months` monthly deliveries of one population to out_root/<cutoff>/, the
    cut-offs one calendar month apart from `first_cutoff`; their folders, in order.

    Refuses (ValueError) when a folder exists, unless overwrite=True."""
    if months < 1:
        raise ValueError(f"months must be at least 1, not {months}")
    config = GeneratorConfig(
        persons=persons,
        seed=seed,
        cutoff=first_cutoff,
        regions=Path(regions).resolve() if regions is not None else None,
        rates=rates or ErrorRates(),
        error_scale=error_scale,
        welfare_r2=welfare_r2,
    )
    laju = changes or ChangeRates()
    out_root = Path(out_root)
    cutoffs = [add_months(first_cutoff, k) for k in range(months)]
    existing = [c for c in cutoffs if (out_root / c.isoformat()).exists()]
    if existing and not overwrite:
        raise ValueError(
            f"{out_root / existing[0].isoformat()} already exists; pass overwrite=True (--overwrite) "
            "to replace it, or choose another first cut-off"
        )
    say = progress or (lambda step: None)
    holder: list[Seri] = []

    def first(tmp: Path) -> None:
        holder.append(_mulai(config, laju, tmp, say))
        _tulis_awal(holder[0], tmp, say)

    paths = [write_atomically(out_root, first_cutoff, overwrite, first)]
    for cutoff in cutoffs[1:]:
        _maju(holder[0], cutoff, say)
        paths.append(write_atomically(out_root, cutoff, overwrite, lambda tmp: _tulis(holder[0], tmp, paths[0], say)))
    say("done")
    return paths


def generate_next(
    previous: Path,
    cutoff: dt.date | None = None,
    out_root: Path | None = None,
    progress: Progress | None = None,
    overwrite: bool = False,
    regions: Path | None = None,
) -> Path:
    """The month after `previous` (a month of a series): out_root/<cutoff>/ (default: beside
    `previous`, one calendar month after the series' previous cut-off). The series is
    rebuilt from the settings in previous/truth/metadata.json; `regions`: the series' region
    list where it lies now, if it has moved (its checksum must be the series')."""
    previous = Path(previous)
    config, laju, cutoffs = _read_series(previous, regions)
    if cutoff is None:
        cutoff = add_months(cutoffs[0], len(cutoffs))
        if cutoff <= cutoffs[-1]:
            cutoff = add_months(cutoffs[-1], 1)
    if cutoff <= cutoffs[-1]:
        raise ValueError(f"cut-off {cutoff} must come after {previous.name}, the previous month's")
    say = progress or (lambda step: None)

    def fill(tmp: Path) -> None:
        scratch = tmp / ".bulan0"
        scratch.mkdir()
        seri = _mulai(config, laju, scratch, lambda step: say(f"{config.cutoff}: {step}"))
        for c in [*cutoffs[1:], cutoff]:
            _maju(seri, c, say)
        _tulis(seri, tmp, scratch, say)
        shutil.rmtree(scratch)

    path = write_atomically(Path(out_root) if out_root is not None else previous.parent, cutoff, overwrite, fill)
    say("done")
    return path


def _read_series(previous: Path, regions: Path | None) -> tuple[GeneratorConfig, ChangeRates, list[dt.date]]:
    meta_path = previous / truth.METADATA
    if not meta_path.is_file():
        raise ValueError(f"{previous}: no {truth.METADATA}; pass the folder of a generated delivery (DIR/<cutoff>)")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    block = meta.get("series")
    if block is None:
        raise ValueError(
            f"{meta_path}: not a month of a series (no 'series' block); make month 0 with "
            "generate_series(..., months=1) (python -m synthetic --months 1) and go on from it"
        )
    if meta.get("version") != GENERATOR_VERSION:
        raise ValueError(
            f"{meta_path}: made by generator version {meta.get('version')}, this is {GENERATOR_VERSION}; "
            "the next month would not continue it: regenerate the series with this version"
        )
    settings = block["config"] | ({"regions": str(Path(regions).resolve())} if regions is not None else {})
    config = GeneratorConfig.model_validate(settings)
    if config.regions is not None:
        digest = hashlib.sha256(Path(config.regions).read_bytes()).hexdigest()
        if not str(meta.get("regions", "")).endswith(digest):
            raise ValueError(
                f"{meta_path}: the region list {config.regions} has changed since the series was made; "
                "restore it or regenerate the series"
            )
    return config, ChangeRates.model_validate(block["changes"]), [dt.date.fromisoformat(c) for c in block["cutoffs"]]
