"""p3ke/p3ke_keluarga.csv and p3ke_anggota.csv: the extreme-poverty targeting list.

The bottom four deciles of P3KE's own (noisy) welfare ranking, as the list saw them in
2022-2023. Comma-separated UTF-8, dates YYYY-MM-DD, Ya/Tidak. Identity errors at 0.6 times
the DTKS rates.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthetic import errors, tanggal, vocab, writers
from synthetic.context import Konteks, ids
from synthetic.sources import Hasil, tautan
from synthetic.sources.daftar import susun
from synthetic.welfare import r413_at

START, END = dt.date(2022, 1, 1), dt.date(2023, 6, 30)
KELUARGA, ANGGOTA = "p3ke/p3ke_keluarga.csv", "p3ke/p3ke_anggota.csv"


def _label(codes: np.ndarray, mapping: dict) -> pa.Array:
    keys = np.array(sorted(mapping))
    return pa.array([mapping[k] for k in keys]).take(pa.array(np.searchsorted(keys, codes)))


def _ya_tidak(b: np.ndarray) -> pa.Array:
    return pa.array(np.where(b, vocab.YA_TIDAK[True], vocab.YA_TIDAK[False]))


def _pekerjaan(r416: np.ndarray, r417: np.ndarray) -> pa.Array:
    working = _label(np.where(r416 == 1, r417, 8), vocab.PEKERJAAN)
    return pc.if_else(pa.array(r416 == 2), pa.scalar(vocab.TIDAK_BEKERJA), working)


def build(ctx: Konteks):
    rng = ctx.rng("p3ke")
    rates = ctx.rates("P3KE")
    pop, reg, h = ctx.pop, ctx.regions, ctx.wel.rumah
    pct = ctx.peringkat(0.30, rng)
    desil = np.clip(np.ceil(pct * 10), 1, 10).astype(np.int32)
    end = min(tanggal.days(END), ctx.cutoff - 1)  # a list cannot be newer than the delivery
    tgl = tanggal.uniform(rng, tanggal.days(START), end, pop.n_keluarga)
    d = susun(ctx, rng, desil <= 4, tgl, rates, rates["dead_still_listed"])
    cat, ident = d.cat, d.ident
    typed = errors.ketik(ident, rates, rng)
    unit = d.units
    fam = d.unit_fam[unit]
    desa = d.unit_desa[unit]
    kk_text, kk_wrong = errors.ketik_kk(d.unit_kk[unit], rates["kk_error"], False, rng)
    head = d.head_record
    id_keluarga = ids("P3KE-K", len(unit), 9, rng)
    k = ctx.wel.komposisi
    size = np.maximum(k["jumlah_art"][fam], 1)
    u = rng.random((3, len(unit)))
    keluarga = pa.table(
        {
            "ID_KELUARGA_P3KE": id_keluarga,
            "PROVINSI": pc.utf8_upper(reg.nama_prov.take(pa.array(desa))),
            "KABUPATEN_KOTA": pc.utf8_upper(reg.nama_kab.take(pa.array(desa))),
            "KECAMATAN": pc.utf8_upper(reg.nama_kec.take(pa.array(desa))),
            "DESA_KELURAHAN": pc.utf8_upper(reg.nama.take(pa.array(desa))),
            "KODE_DESA": reg.kode_titik(desa),
            "NO_KK": kk_text,
            "NIK_KEPALA_KELUARGA": typed.nik.take(pa.array(head)),
            "NAMA_KEPALA_KELUARGA": typed.nama.take(pa.array(head)),
            "DESIL_KESEJAHTERAAN": pa.array(desil[fam]),
            "PENERIMA_BPNT": _ya_tidak(u[0] < np.where(desil[fam] <= 2, 0.7, 0.4)),
            "PENERIMA_PKH": _ya_tidak(u[1] < np.where(desil[fam] <= 2, 0.5, 0.25)),
            "PENERIMA_BPUM": _ya_tidak(u[2] < 0.15),
            "RUMAH_TIDAK_LAYAK_HUNI": _ya_tidak(
                np.isin(h["r303"][fam], [7, 9]) | np.isin(h["r304"][fam], [4, 5, 6]) | (h["r302"][fam] / size < 8)
            ),
            "AIR_MINUM_TIDAK_LAYAK": _ya_tidak(np.isin(h["r306a"][fam], [6, 8, 9, 10, 11])),
            "JAMBAN_TIDAK_LAYAK": _ya_tidak(np.isin(h["r309a"][fam], [3, 4])),
            "ALAMAT": pop.alamat.take(pa.array(fam)),
        }
    )

    seen = d.unit_tgl[unit][d.unit_pos]
    src = np.where(cat.orang >= 0, cat.orang, rng.integers(0, pop.n, len(cat)))
    a = ctx.wel.anggota
    age = tanggal.age_years(typed.lahir, seen)
    right = typed.nik_benar_diketik & (ident.benar >= 0)
    anggota = pa.table(
        {
            "ID_ANGGOTA_P3KE": ids("P3KE-A", len(cat), 10, rng),
            "ID_KELUARGA_P3KE": id_keluarga.take(pa.array(d.unit_pos)),
            "NIK": typed.nik,
            "NAMA": typed.nama,
            "TANGGAL_LAHIR": tanggal.to_text(typed.lahir, "%Y-%m-%d"),
            "JENIS_KELAMIN": _label(np.where(ident.female, 2, 1), vocab.JENIS_KELAMIN_P3KE),
            "HUBUNGAN": _label(cat.stat, vocab.HUBUNGAN_P3KE),
            "PENDIDIKAN": _label(r413_at(a.r413[src], np.maximum(age, 0)), vocab.PENDIDIKAN),
            "PEKERJAAN": _pekerjaan(a.r416[src], a.r417[src]),
            "PADAN_DUKCAPIL": _ya_tidak(rng.random(len(cat)) < np.where(right, 0.95, 0.1)),
        }
    )
    info = d.info | errors.counts(typed) | {"kk_error_units": int(kk_wrong.sum())}
    return d, keluarga, anggota, info, typed


def generate(ctx: Konteks, out: Path) -> Hasil:
    d, keluarga, anggota, info, typed = build(ctx)
    rows = {KELUARGA: writers.csv(keluarga, out / KELUARGA), ANGGOTA: writers.csv(anggota, out / ANGGOTA)}
    listed = np.zeros(ctx.pop.n_keluarga, bool)
    listed[d.cat.unit[d.cat.unit < ctx.pop.n_keluarga]] = True
    return Hasil(
        rows=rows,
        tautan=tautan("P3KE", anggota["ID_ANGGOTA_P3KE"].combine_chunks(), d.ident.benar, typed),
        info=info,
        keluarga=listed,
    )
