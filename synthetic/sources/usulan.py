"""usulan/usulan.jsonl: proposals (USUL_BARU), corrections (PERBAIKAN) and objections
(SANGGAHAN) from the Cek Bansos app and village meetings, in the three months before the
cut-off. About 1% of families. Proposed members carry the error model at 0.6 times the DTKS
rates; a few proposals describe nobody (ghosts); a few corrections contradict each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthetic import errors, tanggal, vocab, writers
from synthetic.context import Konteks
from synthetic.errors import Identitas
from synthetic.sources import Hasil, tautan
from synthetic.sources.daftar import fake_kk
from synthetic.sources.regsosek import rumah_columns

FILE = "usulan/usulan.jsonl"
SHARE = 0.01
JENIS_SHARES = (0.40, 0.35, 0.25)
STATUS_SHARES = (0.30, 0.20, 0.40, 0.10)
KANAL_SHARES = (0.50, 0.25, 0.15, 0.10)
ALASAN_SHARES = (0.40, 0.30, 0.20, 0.10)
FEED_DAYS = 92  # a single delivery's feed: the entries of the 92 days before the cut-off
CONTRADICTING = 0.05  # of corrections: a second, different correction of the same family
# Fields a correction may change, with the codes they take (r302 and livestock apart).
_CODES = {
    "r301a": range(1, 6),
    "r303": range(1, 10),
    "r304": range(1, 8),
    "r305": range(1, 9),
    "r306a": range(1, 12),
    "r308": range(0, 12),
    "r309a": range(1, 5),
    **{f: range(1, 3) for f in vocab.ASET},
}
_CHANGEABLE = ("r302", *_CODES, *vocab.TERNAK)


def _pick(candidates: np.ndarray, n: int, rng: np.random.Generator, weight: np.ndarray | None = None) -> np.ndarray:
    """n distinct families from the candidates (fewer if there are not enough)."""
    n = min(n, len(candidates))
    if n == 0:
        return np.zeros(0, np.int64)
    p = None if weight is None else weight / weight.sum()
    return rng.choice(candidates, n, replace=False, p=p)


def _new_values(field: str, old: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A value other than `old` for each family (floats for r302, whole numbers otherwise)."""
    n = len(old)
    if field == "r302":
        new = np.maximum(6.0, np.round(old * rng.uniform(0.5, 1.6, n)))
        return np.where(new == old, new + 4, new)
    if field in vocab.TERNAK:
        return ((old + rng.integers(1, 6, n)) % 11).astype(np.float64)
    codes = np.array(_CODES[field])
    pos = np.searchsorted(codes, old)
    return codes[(pos + rng.integers(1, len(codes), n)) % len(codes)].astype(np.float64)


def _json_number(field: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Regsosek typing in JSON: floor area as a float, codes and counts as integers."""
    as_int = value.astype(np.int64).astype(str)
    return np.where(field == "r302", np.char.add(as_int, ".0"), as_int)


def _perubahan(ctx: Konteks, idx: np.ndarray, fam: np.ndarray, twin: np.ndarray, rng: np.random.Generator) -> pa.Table:
    """Long table (usulan row, field, value as JSON text) for the corrections `idx` of the
    families `fam` (indexed by usulan row): 1-3 fields each, values other than the true ones.
    A twin (contradicting) correction changes the same fields to values other than its
    original's: sometimes back to the truth."""
    own = idx[twin[idx] < 0]
    k = rng.integers(1, 4, len(own))
    start = np.cumsum(k) - k
    rows = np.repeat(np.arange(len(own)), k)
    chosen = np.argsort(rng.random((len(own), len(_CHANGEABLE))), axis=1)
    field_idx = chosen[rows, np.arange(len(rows)) - start[rows]]
    values = _values(field_idx, ctx, fam[own][rows], None, rng)
    tw = idx[twin[idx] >= 0]
    position = np.full(len(twin), -1)
    position[own] = np.arange(len(own))
    j = position[twin[tw]]
    rep = np.repeat(np.arange(len(tw)), k[j])
    src = start[j][rep] + np.arange(len(rep)) - np.repeat(np.cumsum(k[j]) - k[j], k[j])
    t_values = _values(field_idx[src], ctx, None, values[src], rng)
    fields = np.array(_CHANGEABLE)[np.r_[field_idx, field_idx[src]]]
    return pa.table(
        {
            "idx": pa.array(np.r_[own[rows], tw[rep]].astype(np.int64)),
            "field": pa.array(fields),
            "value": pa.array(_json_number(fields, np.r_[values, t_values])),
        }
    )


def _values(
    field_idx: np.ndarray, ctx: Konteks, fam: np.ndarray | None, old: np.ndarray | None, rng: np.random.Generator
) -> np.ndarray:
    """Per (field, family) a value other than the true one, or other than `old` when given."""
    values = np.empty(len(field_idx))
    for j, field in enumerate(_CHANGEABLE):  # one vectorised draw per field
        m = np.flatnonzero(field_idx == j)
        if old is not None:
            base = old[m]
        elif fam is not None:
            base = ctx.wel.rumah[field][fam[m]]
        else:
            raise ValueError("_values needs the families (fam) or the values to differ from (old)")
        values[m] = _new_values(field, base.astype(np.float64), rng)
    return values


def _members(ctx: Konteks, fam: np.ndarray):
    """Living members of these families today: (proposal row, registry person)."""
    pop = ctx.pop
    alive = pop.hidup(ctx.cutoff)
    row_of_fam = np.full(pop.n_keluarga, -1)
    row_of_fam[fam] = np.arange(len(fam))
    person = np.flatnonzero(alive & (row_of_fam[pop.fam] >= 0))
    return row_of_fam[pop.fam[person]], person


@dataclass
class Bulan:
    """What a month of a series changes in the choice (per registry family)."""

    n: int  # entries arriving this month
    baru_boleh: np.ndarray  # may be proposed as a new family (never proposed before)
    bobot_perbaikan: np.ndarray  # weight of being corrected (a family whose welfare drifted: more)
    meninggal: np.ndarray  # a member died recently: what a MENINGGAL objection reports
    pindah: np.ndarray  # moved recently: what a PINDAH objection reports


@dataclass
class Pilihan:
    """Which family each proposal is about (one entry per proposal, before sorting)."""

    fam: np.ndarray  # registry family, -1 for a made-up one
    jenis: np.ndarray  # index into vocab.JENIS_USULAN
    alasan: np.ndarray  # index into vocab.ALASAN_SANGGAHAN, -1 when not an objection
    twin: np.ndarray  # for a contradicting correction: the entry it contradicts, else -1


def choose(
    ctx: Konteks,
    rng: np.random.Generator,
    rates: dict[str, float],
    listed_dtks: np.ndarray,
    listed_p3ke: np.ndarray,
    listed_regsosek: np.ndarray,
    ganda: np.ndarray,
    bulan: Bulan | None = None,
) -> Pilihan:
    """Which families the entries are about; `bulan` for a month of a series."""
    pop = ctx.pop
    f = pop.n_keluarga
    living = ctx.wel.komposisi["jumlah_art"] > 0
    pct = ctx.peringkat(0.3, rng)
    n = max(10, round(SHARE * f)) if bulan is None else bulan.n
    n_baru, n_perb = round(n * JENIS_SHARES[0]), round(n * JENIS_SHARES[1])
    n_sang = n - n_baru - n_perb
    n_ghost = min(n_baru, int(rng.binomial(n_baru, min(1.0, 8 * rates["ghost"]))))

    # USUL_BARU: families on no list, mostly poor. In a series' later months "no list" counts
    # Regsosek too (a family Regsosek lists is in the register already; the ones proposed are
    # mostly the families formed since); the single delivery keeps its draws.
    unlisted = ~listed_dtks & ~listed_p3ke if bulan is None else ~listed_dtks & ~listed_p3ke & ~listed_regsosek
    outside = np.flatnonzero(living & unlisted & (True if bulan is None else bulan.baru_boleh))
    baru = _pick(outside, n_baru - n_ghost, rng, (1.02 - pct[outside]) ** 4)
    # PERBAIKAN: listed families.
    listed = listed_dtks | listed_regsosek | listed_p3ke
    corrected = np.flatnonzero(living & listed)
    perb = _pick(corrected, n_perb, rng, None if bulan is None else bulan.bobot_perbaikan[corrected])
    # SANGGAHAN: by reason.
    alasan = rng.choice(4, n_sang, p=ALASAN_SHARES)
    on_list = listed_dtks | listed_p3ke
    if bulan is None:
        dead_fam = np.zeros(f, bool)
        dead_fam[pop.fam[pop.mati < ctx.cutoff]] = True
    else:
        dead_fam = bulan.meninggal
    pools = [
        np.flatnonzero(on_list & (pct > 0.5)),
        np.flatnonzero(on_list & dead_fam),
        np.flatnonzero(on_list & (True if bulan is None else bulan.pindah)),
        np.flatnonzero(on_list & ganda),
    ]
    sang = np.full(n_sang, -1)
    for j, pool in enumerate(pools):
        m = np.flatnonzero(alasan == j)
        if j == 1:  # some death reports are false: a family with nobody dead
            false = rng.random(len(m)) < 0.2
            got = _pick(np.flatnonzero(on_list & ~dead_fam), int(false.sum()), rng)
            sang[m[false][: len(got)]] = got
            m = m[~false]
        pool = pool if len(pool) else np.flatnonzero(on_list)
        got = _pick(pool, len(m), rng)
        sang[m[: len(got)]] = got
    keep = sang >= 0  # a reason without any family to object to is dropped
    sang, alasan = sang[keep], alasan[keep]

    # Contradicting corrections: the same family again, other values, another day.
    again = np.flatnonzero(rng.random(len(perb)) < CONTRADICTING)
    fam = np.r_[baru, np.full(n_ghost, -1), perb, perb[again], sang].astype(np.int64)
    jenis = np.r_[np.zeros(len(baru) + n_ghost), np.ones(len(perb) + len(again)), np.full(len(sang), 2)].astype(int)
    reason = np.r_[np.full(len(baru) + n_ghost + len(perb) + len(again), -1), alasan]
    twin = np.full(len(fam), -1)
    twin[len(baru) + n_ghost + len(perb) + np.arange(len(again))] = len(baru) + n_ghost + again
    return Pilihan(fam=fam, jenis=jenis, alasan=reason, twin=twin)


@dataclass
class Entri:
    """The proposals of one feed (or of one month's arrivals), in file order."""

    fam: np.ndarray  # registry family, -1 for a made-up one
    jenis: np.ndarray  # index into vocab.JENIS_USULAN
    alasan: np.ndarray  # index into vocab.ALASAN_SANGGAHAN, -1 when not an objection
    twin: np.ndarray  # the entry a contradicting correction contradicts, else -1
    template: np.ndarray  # family lending housing (the family itself, or a poor one for a ghost)
    kk: np.ndarray  # the KK number the entry names
    desa: np.ndarray  # the village the entry names
    tgl: np.ndarray  # days
    id_usulan: pa.Array
    kanal: np.ndarray  # index into vocab.KANAL
    status: np.ndarray  # index into vocab.STATUS_USULAN

    @property
    def ghost(self) -> np.ndarray:
        return self.fam < 0


def generate(
    ctx: Konteks,
    out: Path,
    listed_dtks: np.ndarray,
    listed_p3ke: np.ndarray,
    listed_regsosek: np.ndarray,
    ganda: np.ndarray,
) -> Hasil:
    rng = ctx.rng("usulan")
    rates = ctx.rates("USULAN")
    p = choose(ctx, rng, rates, listed_dtks, listed_p3ke, listed_regsosek, ganda)
    template, kk, desa = keluarga_entri(ctx, rng, p.fam)
    tgl: np.ndarray = ctx.cutoff - rng.integers(1, FEED_DAYS + 1, len(p.fam))
    e = entri(rng, p, template, kk, desa, tgl, ctx.cutoff - 1, "USL", max(6, len(str(len(p.fam)))))
    e.status = rng.choice(4, len(p.fam), p=STATUS_SHARES)
    lines, tabel, info, typed = isi(ctx, rng, rates, e)
    rows = {FILE: writers.lines(lines, out / FILE)}
    return Hasil(rows=rows, tautan=tabel, info=info, detail=(e, lines, typed))


def keluarga_entri(
    ctx: Konteks, rng: np.random.Generator, fam: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per entry: the family lending housing, the KK and the village named. Ghost proposals
    are made-up families at a real village with a poor family's housing."""
    pop = ctx.pop
    ghost = fam < 0
    poor = np.flatnonzero(ctx.wel.log_pengeluaran < np.quantile(ctx.wel.log_pengeluaran, 0.4))
    template = np.where(ghost, rng.choice(poor, len(fam)), fam)
    kk = np.where(ghost, 0, pop.kk[np.maximum(fam, 0)])
    kk[ghost] = fake_kk(int(ghost.sum()), ctx, rng)
    return template, kk, pop.desa[template]


def entri(
    rng: np.random.Generator,
    p: Pilihan,
    template: np.ndarray,
    kk: np.ndarray,
    desa: np.ndarray,
    tgl: np.ndarray,
    akhir: int,
    prefix: str,
    width: int,
) -> Entri:
    """The entries in file order (by date), ids `prefix` + a number of `width` digits from 1,
    a channel each; status DIAJUKAN (the caller sets it). A contradicting correction comes
    on another day than the one it contradicts (dates up to `akhir`)."""
    m = len(p.fam)
    twin = p.twin
    same_day = (twin >= 0) & (tgl == tgl[np.maximum(twin, 0)])
    tgl[same_day] = np.where(tgl[same_day] < akhir, tgl[same_day] + 1, tgl[same_day] - 1)
    order = np.lexsort((rng.random(m), tgl))
    rank = np.empty(m, np.int64)
    rank[order] = np.arange(m)
    twin = np.where(twin >= 0, rank[np.maximum(twin, 0)], -1)[order]
    fam, jenis, reason, template, kk, desa, tgl = (
        a[order] for a in (p.fam, p.jenis, p.alasan, template, kk, desa, tgl)
    )
    id_usulan = pc.binary_join_element_wise(
        pa.scalar(prefix), pc.utf8_lpad(pc.cast(pa.array(np.arange(1, m + 1)), pa.string()), width, "0"), ""
    )
    kanal = rng.choice(4, m, p=KANAL_SHARES)
    return Entri(fam, jenis, reason, twin, template, kk, desa, tgl, id_usulan, kanal, np.zeros(m, np.int64))


def isi(
    ctx: Konteks, rng: np.random.Generator, rates: dict[str, float], e: Entri
) -> tuple[pa.Array, pa.Table, dict, errors.Ketikan]:
    """What the entries say: one JSON line each (corrections' values, proposed members typed
    with the error model, housing), the truth of the members, the counts, the typing."""
    m = len(e.fam)
    base = pa.table(
        {
            "idx": pa.array(np.arange(m)),
            "id_usulan": e.id_usulan,
            "kanal": pa.array(np.array(vocab.KANAL)[e.kanal]),
            "jenis": pa.array(np.array(vocab.JENIS_USULAN)[e.jenis]),
            "tanggal": tanggal.to_text(e.tgl, "%Y-%m-%d"),
            "status": pa.array(np.array(vocab.STATUS_USULAN)[e.status]),
            "no_kk": pc.cast(pa.array(e.kk), pa.string()),
            "kode_desa": ctx.regions.kode10(e.desa),
            "alasan": pa.array(np.array(vocab.ALASAN_SANGGAHAN + ("",))[e.alasan], mask=e.alasan < 0),
        }
    )
    perubahan = _perubahan(ctx, np.flatnonzero(e.jenis == 1), e.template, e.twin, rng)

    anggota, prop, pos, ident, typed = _anggota(ctx, e.fam, e.jenis, e.ghost, rates, rng)
    rumah = pa.table({"idx": pa.array(np.arange(m)), **rumah_columns(ctx.wel.rumah, e.template)})
    lines = _json_lines(base, perubahan, rumah, anggota)

    id_sumber = pc.binary_join_element_wise(
        e.id_usulan.take(pa.array(prop)), pc.cast(pa.array(pos + 1), pa.string()), ":"
    )
    info = errors.counts(typed) | {
        "usulan": m,
        "usul_baru": int((e.jenis == 0).sum()),
        "perbaikan": int((e.jenis == 1).sum()),
        "sanggahan": int((e.jenis == 2).sum()),
        "ghost_proposals": int(e.ghost.sum()),
        "contradicting_pairs": int((e.twin >= 0).sum()),
        "member_records": len(prop),
    }
    return lines, tautan("USULAN", id_sumber, ident.benar, typed), info, typed


def _anggota(
    ctx: Konteks,
    fam: np.ndarray,
    jenis: np.ndarray,
    ghost: np.ndarray,
    rates: dict[str, float],
    rng: np.random.Generator,
):
    """Members of the proposed families (USUL_BARU): the living members today, or made-up
    people for a ghost proposal; identities typed with the error model."""
    pop = ctx.pop
    baru = np.flatnonzero((jenis == 0) & ~ghost)
    row, person = _members(ctx, fam[baru])
    hub_real = np.array([0] + [vocab.HUB_KRT[s] for s in range(1, 12)])[pop.stat[person]]
    ghost_rows = np.flatnonzero(ghost)
    sizes = rng.integers(1, 6, len(ghost_rows))
    g_row = np.repeat(ghost_rows, sizes)
    g_pos = np.arange(len(g_row)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    fake = errors.ghosts(len(g_row), pop, ctx.regions, ctx.cutoff, rng, ctx.nik_terurut)
    ident = Identitas.concat([Identitas.of(pop, person), fake])
    prop = np.r_[baru[row], g_row].astype(np.int64)
    hub = np.r_[hub_real, np.select([g_pos == 0, g_pos == 1], [1, 2], 3)].astype(np.int32)
    o = np.lexsort((np.arange(len(prop)), prop))
    ident, prop, hub = ident.take(o), prop[o], hub[o]
    pos = np.arange(len(prop)) - np.searchsorted(prop, prop)
    typed = errors.ketik(ident, rates, rng)
    table = pa.table(
        {
            "idx": pa.array(prop),
            "pos": pa.array(pos),
            "nik": typed.nik,
            "nama": typed.nama,
            "tgl_lahir": tanggal.to_text(typed.lahir, "%Y-%m-%d"),
            "jenis_kelamin": pa.array(np.where(ident.female, 2, 1).astype(np.int32)),
            "hubungan": pa.array(hub),
        }
    )
    return table, prop, pos, ident, typed


def _json_lines(base: pa.Table, perubahan: pa.Table, rumah: pa.Table, anggota: pa.Table) -> pa.Array:
    """One JSON object per proposal; fields a kind does not use are null."""
    fields = ", ".join(f"{f} := r.{f}" for f in vocab.KELUARGA_FIELDS)  # column names, not values
    sql = f"""
        WITH p AS (
            SELECT idx,
                ('{{' || string_agg(to_json(field) || ':' || value, ',' ORDER BY field) || '}}')::JSON AS perubahan
            FROM perubahan GROUP BY idx
        ), a AS (
            SELECT idx, list(struct_pack(nik := nik, nama := nama, tgl_lahir := tgl_lahir,
                                         jenis_kelamin := jenis_kelamin, hubungan := hubungan) ORDER BY pos) AS anggota
            FROM anggota GROUP BY idx
        )
        SELECT to_json(struct_pack(
            id_usulan := b.id_usulan, kanal := b.kanal, jenis := b.jenis, tanggal := b.tanggal,
            status := b.status, no_kk := b.no_kk, kode_desa := b.kode_desa, alasan := b.alasan,
            perubahan := p.perubahan,
            keluarga := CASE WHEN b.jenis = 'USUL_BARU'
                THEN to_json(struct_pack({fields}, anggota := coalesce(a.anggota, []))) END)) AS line
        FROM base b LEFT JOIN p USING (idx) LEFT JOIN a USING (idx) JOIN rumah r USING (idx)
        ORDER BY b.idx
    """
    con = duckdb.connect()
    try:
        for name, t in (("base", base), ("perubahan", perubahan), ("rumah", rumah), ("anggota", anggota)):
            con.register(name, t)
        return con.sql(sql).to_arrow_table()["line"].combine_chunks()
    finally:
        con.close()
