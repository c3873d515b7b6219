"""regsosek/keluarga.parquet and anggota.parquet: the 2022 socio-economic census.

About 95% of families as they were at the visit (15 Oct - 14 Nov 2022): people born later
are absent, the dead are not listed, split-offs after the visit sit in the parents' KK.
Region codes are BPS codes (always). Identity errors at 0.3 times the DTKS rates.
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

COVERAGE = 0.95
START, END = dt.date(2022, 10, 15), dt.date(2022, 11, 14)
KELUARGA, ANGGOTA = "regsosek/keluarga.parquet", "regsosek/anggota.parquet"


def rumah_columns(h: dict[str, np.ndarray], fam: np.ndarray) -> dict[str, pa.Array]:
    """Housing, asset and livestock fields of these families, Regsosek-typed
    (r302 float, r307b null unless metered PLN)."""
    out: dict[str, pa.Array] = {}
    for name in vocab.KELUARGA_FIELDS:
        v = h[name][fam]
        if name == "r302":
            out[name] = pa.array(v.astype(np.float64))
        elif name == "r307b":
            out[name] = pa.array(v.astype(np.int32), mask=h["r307a"][fam] != 1)
        else:
            out[name] = pa.array(v.astype(np.int32))
    return out


def build(ctx: Konteks):
    rng = ctx.rng("regsosek")
    rates = ctx.rates("REGSOSEK")
    pop = ctx.pop
    selected = rng.random(pop.n_keluarga) < COVERAGE
    tgl = tanggal.uniform(rng, tanggal.days(START), tanggal.days(END), pop.n_keluarga)
    d = susun(ctx, rng, selected, tgl, rates, dead_listed=0.0)
    cat, ident = d.cat, d.ident
    typed = errors.ketik(ident, rates, rng)
    unit = d.units
    fam = d.unit_fam[unit]
    kk_text, kk_wrong = errors.ketik_kk(d.unit_kk[unit], rates["kk_error"], False, rng)

    id_keluarga = ids("R", len(unit), 9, rng)
    keluarga = pa.table(
        {
            "id_keluarga": id_keluarga,
            "kode_wilayah_bps": ctx.regions.kode_bps.take(pa.array(d.unit_desa[unit])),
            "no_kk": kk_text,
            "tanggal_pendataan": tanggal.to_arrow(d.unit_tgl[unit]),
            **rumah_columns(ctx.wel.rumah, fam),
        }
    )

    head = d.head_record
    line = (np.arange(len(cat)) - head[d.unit_pos] + 1).astype(np.int32)
    visit = d.unit_tgl[unit][d.unit_pos]
    src = np.where(cat.orang >= 0, cat.orang, rng.integers(0, pop.n, len(cat)))
    a = ctx.wel.anggota
    age = tanggal.age_years(typed.lahir, visit)
    r416 = a.r416[src].astype(np.int32)
    r417 = a.r417[src].astype(np.int32)
    hub = np.array([0] + [vocab.HUB_KRT[s] for s in range(1, 12)], np.int32)[cat.stat]
    anggota = pa.table(
        {
            "id_art": pc.binary_join_element_wise(
                id_keluarga.take(pa.array(d.unit_pos)), pc.utf8_lpad(pc.cast(pa.array(line), pa.string()), 2, "0"), ""
            ),
            "id_keluarga": id_keluarga.take(pa.array(d.unit_pos)),
            "r401": pa.array(line),
            "r402": pc.utf8_title(typed.nama),
            "r403": typed.nik,
            "r405": pa.array(hub),
            "r406": pa.array(np.where(ident.female, 2, 1).astype(np.int32)),
            "r407": tanggal.to_arrow(typed.lahir),
            "r408": pa.array(np.maximum(age, 0).astype(np.int32)),
            "r409": pa.array(np.where(cat.orang >= 0, pop.kawin[src], 1).astype(np.int32)),
            "r413": pa.array(r413_at(a.r413[src], age).astype(np.int32)),
            "r416": pa.array(r416),
            "r417": pa.array(r417, mask=r416 == 2),
            "r428": pa.array(a.r428[src].astype(np.int32)),
            "r430": pa.array(a.r430[src].astype(np.int32)),
        }
    )
    info = d.info | errors.counts(typed) | {"kk_error_units": int(kk_wrong.sum())}
    return d, keluarga, anggota, info, typed


def generate(ctx: Konteks, out: Path) -> Hasil:
    d, keluarga, anggota, info, typed = build(ctx)
    rows = {KELUARGA: writers.parquet(keluarga, out / KELUARGA), ANGGOTA: writers.parquet(anggota, out / ANGGOTA)}
    listed = np.zeros(ctx.pop.n_keluarga, bool)
    listed[d.cat.unit[d.cat.unit < ctx.pop.n_keluarga]] = True
    return Hasil(
        rows=rows,
        tautan=tautan("REGSOSEK", anggota["id_art"].combine_chunks(), d.ident.benar, typed),
        info=info,
        keluarga=listed,
    )
