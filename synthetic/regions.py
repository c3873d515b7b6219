"""Villages: the Kemendagri region list (read from a file or made up), population weights,
and the BPS numbering with its crosswalk.

Kemendagri codes are `PP.KK.CC.DDDD` (regency 01-69, city 71-99; village part 1xxx =
kelurahan, urban; 2xxx = desa, rural). BPS codes are `PP KK DDD VVV`: the same province,
but regencies, districts and villages numbered afresh, so that BPS 1101 is another regency
than Kemendagri 11.01. BPS district numbers are multiples of ten (010, 020, ...), which
also keeps a BPS village code from ever reading as a valid Kemendagri one.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from synthetic.provinsi import BY_KODE, PROVINSI

PERSONS_PER_VILLAGE = 300
MAX_VILLAGES = 83_762  # the real count; beyond it villages just get bigger
_CODE = re.compile(r"\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?")


@dataclass(frozen=True)
class Regions:
    """One row per village, sorted by Kemendagri code, plus the district table."""

    prov: np.ndarray  # int32 code parts
    kab: np.ndarray
    kec: np.ndarray
    kel: np.ndarray
    nama: pa.Array  # village name
    nama_kec: pa.Array
    nama_kab: pa.Array
    nama_prov: pa.Array
    kode_bps: pa.Array  # 10-digit BPS code
    perkotaan: np.ndarray  # bool: kelurahan
    bobot: np.ndarray  # share of the national population, sums to 1
    kec_id: np.ndarray  # district index of each village
    kec_kode: np.ndarray  # int64 PPKKCC per district (the NIK region part)
    kec_bobot: np.ndarray  # population share per district
    kec_tempat: pa.Array  # place-of-birth name per district: its regency, upper case
    wilayah: pa.Table | None  # kode,nama at all levels (synthetic regions)
    wilayah_file: Path | None  # the region list given, written through unchanged
    sumber: str  # "synthetic" or the file name and its sha256

    @property
    def n(self) -> int:
        return len(self.prov)

    @property
    def kode_angka(self) -> np.ndarray:
        """10-digit Kemendagri village code as an integer (PP never starts with 0)."""
        return (
            self.prov.astype(np.int64) * 100_000_000
            + self.kab.astype(np.int64) * 1_000_000
            + self.kec.astype(np.int64) * 10_000
            + self.kel.astype(np.int64)
        )

    def kode10(self, idx: np.ndarray | None = None) -> pa.Array:
        k = self.kode_angka if idx is None else self.kode_angka[idx]
        return pc.cast(pa.array(k), pa.string())

    def kode_titik(self, idx: np.ndarray | None = None) -> pa.Array:
        """Dotted code PP.KK.CC.DDDD."""
        k = self.kode10(idx)
        parts = [pc.utf8_slice_codeunits(k, a, b) for a, b in ((0, 2), (2, 4), (4, 6), (6, 10))]
        return pc.binary_join_element_wise(*parts, ".")

    def provinces(self) -> np.ndarray:
        return np.unique(self.prov)


# ---------------------------------------------------------------------------- weights


def _village_weights(prov: np.ndarray, urban: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Real province shares; lognormal village sizes, kelurahan about four times a desa."""
    w = rng.lognormal(0.0, 0.6, len(prov)) * np.where(urban, 4.0, 1.0)
    mean_share = np.mean([p.juta for p in PROVINSI])
    out = np.empty(len(prov))
    for p in np.unique(prov):
        m = prov == p
        share = BY_KODE[int(p)].juta if int(p) in BY_KODE else mean_share
        out[m] = w[m] / w[m].sum() * share
    return out / out.sum()


def _district_table(prov, kab, kec, bobot) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    code = prov.astype(np.int64) * 10_000 + kab.astype(np.int64) * 100 + kec
    kec_kode, kec_id = np.unique(code, return_inverse=True)
    return kec_id.astype(np.int32), kec_kode, np.bincount(kec_id, weights=bobot)


def _province_names(prov: np.ndarray) -> pa.Array:
    codes = np.unique(prov)
    names = pa.array([BY_KODE[int(p)].nama if int(p) in BY_KODE else "" for p in codes])
    return names.take(pa.array(np.searchsorted(codes, prov)))


def _tempat(nama_kab: pa.Array) -> pa.Array:
    """'Kabupaten Aceh Selatan' -> 'ACEH SELATAN': how a place of birth is written."""
    up = pc.utf8_upper(pc.utf8_trim_whitespace(nama_kab))
    return pc.replace_substring_regex(up, r"^(KABUPATEN ADMINISTRASI|KOTA ADMINISTRASI|KABUPATEN|KOTA|KAB\.)\s+", "")


# ---------------------------------------------------------------------------- BPS numbering


def _group_rank(group: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random order 0..k-1 within each group."""
    order = np.lexsort((rng.random(len(group)), group))
    g = group[order]
    start = np.r_[True, g[1:] != g[:-1]]
    first = np.flatnonzero(start)
    rank = np.empty(len(group), np.int64)
    rank[order] = np.arange(len(group)) - first[np.cumsum(start) - 1]
    return rank


def _derange(kem: np.ndarray, base: int, rng: np.random.Generator) -> np.ndarray:
    """New numbers base, base+1, ... for these regencies, none keeping its Kemendagri number."""
    nums = base + np.arange(len(kem))
    if len(kem) == 1:
        return nums + (nums == kem)
    while True:  # a random permutation is a derangement about 37% of the time
        p = rng.permutation(nums)
        if not np.any(p == kem):
            return p


def bps_codes(prov, kab, kec, kel, rng: np.random.Generator) -> np.ndarray:
    """10-digit BPS village codes (int64) for villages given by their Kemendagri parts."""
    reg_code = prov.astype(np.int64) * 100 + kab
    regs, reg_id = np.unique(reg_code, return_inverse=True)
    reg_prov, reg_kab = regs // 100, regs % 100
    reg_bps = np.empty(len(regs), np.int64)
    for p in np.unique(reg_prov):
        for city in (False, True):
            m = np.flatnonzero((reg_prov == p) & ((reg_kab >= 71) == city))
            if len(m):
                reg_bps[m] = _derange(reg_kab[m], 71 if city else 1, rng)
    if reg_bps.max() > 99:
        raise ValueError("too many regencies in one province for 2-digit BPS numbers")
    dist_code = reg_code * 100 + kec
    dists, dist_id = np.unique(dist_code, return_inverse=True)
    dist_bps = (_group_rank(dists // 100, rng) + 1) * 10
    village_bps = _group_rank(dist_id, rng) + 1
    if dist_bps.max() > 999 or village_bps.max() > 999:
        raise ValueError(
            "more than 99 districts in a regency or 999 villages in a district: BPS codes have 3 digits for each"
        )
    return prov.astype(np.int64) * 100_000_000 + reg_bps[reg_id] * 1_000_000 + dist_bps[dist_id] * 1_000 + village_bps


# ---------------------------------------------------------------------------- from a file


def _fail(path: Path, row: int, message: str) -> ValueError:
    return ValueError(
        f"{path}: row {row}, column kode: {message}. The region list must be "
        "'kode,nama' with dotted Kemendagri codes (11, 11.01, 11.01.01, 11.01.01.2001)"
    )


def _read_list(path: Path) -> pa.Table:
    table = pacsv.read_csv(
        path, convert_options=pacsv.ConvertOptions(column_types={"kode": pa.string(), "nama": pa.string()})
    )
    if table.column_names[:2] != ["kode", "nama"]:
        raise ValueError(f"{path}: row 1: header must be 'kode,nama', found {table.column_names}")
    kode = pc.utf8_trim_whitespace(table["kode"])
    bad = pc.invert(pc.fill_null(pc.match_substring_regex(kode, f"^(?:{_CODE.pattern})$"), False))
    if pc.any(bad).as_py():
        row = int(pc.index(bad, True).as_py())
        raise _fail(path, row + 2, "not a Kemendagri code")
    return pa.table({"kode": kode, "nama": pc.utf8_trim_whitespace(pc.fill_null(table["nama"], ""))})


def _names_of(prefixes: pa.Array, level: pa.Table) -> pa.Array:
    idx = pc.index_in(prefixes, value_set=level["kode"])
    return pc.fill_null(pc.take(level["nama"], idx), "")


def load_regions(path: Path, rng: np.random.Generator) -> Regions:
    """Villages of a region list in the Kemendagri `kode,nama` format."""
    path = Path(path)
    table = _read_list(path)
    length = pc.utf8_length(table["kode"])
    desa = table.filter(pc.equal(length, 13))
    if desa.num_rows == 0:
        raise ValueError(f"{path}: no village rows (codes PP.KK.CC.DDDD)")
    desa = desa.sort_by("kode")
    if len(pc.unique(desa["kode"])) != desa.num_rows:
        raise ValueError(f"{path}: a village code appears twice")
    kode = desa["kode"].combine_chunks()
    part = [
        pc.cast(pc.utf8_slice_codeunits(kode, a, b), pa.int32()).to_numpy()
        for a, b in ((0, 2), (3, 5), (6, 8), (9, 13))
    ]
    prov, kab, kec, kel = (np.asarray(x, np.int32) for x in part)
    nama_kab = _names_of(pc.utf8_slice_codeunits(kode, 0, 5), table.filter(pc.equal(length, 5)))
    nama_prov = _names_of(pc.utf8_slice_codeunits(kode, 0, 2), table.filter(pc.equal(length, 2)))
    nama_prov = pc.if_else(pc.equal(nama_prov, ""), _province_names(prov), nama_prov)
    perkotaan = kel // 1000 == 1
    bobot = _village_weights(prov, perkotaan, rng)
    kec_id, kec_kode, kec_bobot = _district_table(prov, kab, kec, bobot)
    first_village = np.unique(kec_id, return_index=True)[1]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return Regions(
        prov=prov,
        kab=kab,
        kec=kec,
        kel=kel,
        nama=desa["nama"].combine_chunks(),
        nama_kec=_names_of(pc.utf8_slice_codeunits(kode, 0, 8), table.filter(pc.equal(length, 8))),
        nama_kab=nama_kab,
        nama_prov=nama_prov,
        kode_bps=pc.cast(pa.array(bps_codes(prov, kab, kec, kel, rng)), pa.string()),
        perkotaan=perkotaan,
        bobot=bobot,
        kec_id=kec_id,
        kec_kode=kec_kode,
        kec_bobot=kec_bobot,
        kec_tempat=_tempat(pc.take(nama_kab, pa.array(first_village))),
        wilayah=None,
        wilayah_file=path,
        sumber=f"{path.name} sha256:{digest}",
    )


# ---------------------------------------------------------------------------- made up

_AWAL = (
    "Suka",
    "Sido",
    "Sumber",
    "Mekar",
    "Karang",
    "Tegal",
    "Wono",
    "Kali",
    "Ci",
    "Rawa",
    "Banjar",
    "Pasir",
    "Giri",
    "Purwo",
    "Margo",
    "Tanjung ",
    "Sungai ",
    "Bukit ",
    "Pulau ",
    "Air ",
    "Lubuk ",
    "Teluk ",
    "Muara ",
    "Padang ",
    "Batu ",
    "Talang ",
    "Koto ",
    "Labuhan ",
)
_AKHIR = (
    "maju",
    "jaya",
    "makmur",
    "sari",
    "mulya",
    "rejo",
    "agung",
    "baru",
    "indah",
    "harjo",
    "asih",
    "raya",
    "wangi",
    "mukti",
    "asri",
    "luhur",
    "kencana",
    "sejahtera",
    "tani",
    "mekar",
    "rahayu",
    "sentosa",
    "damai",
    "lestari",
    "jati",
    "mulyo",
    "kerto",
    "manik",
)


def _place_names(n: int, rng: np.random.Generator) -> pa.Array:
    """Village-like names; after a word ending in a space the second part is capitalised."""
    awal = pa.array(_AWAL).take(pa.array(rng.integers(0, len(_AWAL), n)))
    akhir = pa.array(_AKHIR).take(pa.array(rng.integers(0, len(_AKHIR), n)))
    spaced = pc.ends_with(awal, " ")
    akhir = pc.if_else(spaced, pc.utf8_capitalize(akhir), akhir)
    return pc.binary_join_element_wise(awal, akhir, "")


def _split(total: int, parts: int, minimum: int, rng: np.random.Generator) -> np.ndarray:
    """`total` into `parts` random sizes of at least `minimum`."""
    rest = total - parts * minimum
    return minimum + rng.multinomial(rest, rng.dirichlet(np.full(parts, 2.0)))


def _synthetic_villages(persons: int, rng: np.random.Generator):
    total = min(MAX_VILLAGES, round(persons / PERSONS_PER_VILLAGE))
    share = np.array([p.juta for p in PROVINSI]) / sum(p.juta for p in PROVINSI)
    prov_l, kab_l, kec_l, city_l = [], [], [], []
    for p, s in zip(PROVINSI, share):
        villages = max(2, round(total * s))
        regs = int(np.clip(round(villages / 40), 1, min(p.kab + p.kota, villages // 2)))
        cities = min(regs, round(regs * p.kota / (p.kab + p.kota)))
        codes = np.r_[np.arange(1, regs - cities + 1), np.arange(71, 71 + cities)]
        for kab, n in zip(codes, _split(villages, regs, 2, rng)):
            districts = int(np.clip(round(n / 10), 1, 99))
            per = _split(n, districts, 1, rng)
            prov_l.append(np.full(n, p.kode))
            kab_l.append(np.full(n, kab))
            kec_l.append(np.repeat(np.arange(1, districts + 1), per))
            city_l.append(np.full(n, kab >= 71))
    prov, kab, kec, city = (np.concatenate(x) for x in (prov_l, kab_l, kec_l, city_l))
    urban = city | (rng.random(len(prov)) < 0.08)
    # Village numbers: kelurahan 1001.., desa 2001.., with the gaps real lists have.
    group = (prov.astype(np.int64) * 10_000 + kab * 100 + kec) * 2 + urban
    order = np.lexsort((rng.random(len(group)), group))
    g = group[order]
    start = np.r_[True, g[1:] != g[:-1]]
    step = 1 + (rng.random(len(g)) < 0.1) * rng.integers(1, 4, len(g))
    cum = np.cumsum(step)
    first = np.flatnonzero(start)
    within = cum - cum[first[np.cumsum(start) - 1]] + 1
    kel = np.empty(len(g), np.int64)
    kel[order] = np.where(urban[order], 1000, 2000) + within
    sort = np.lexsort((kel, kec, kab, prov))
    return (
        prov[sort].astype(np.int32),
        kab[sort].astype(np.int32),
        kec[sort].astype(np.int32),
        kel[sort].astype(np.int32),
    )


def _wilayah_table(prov, kab, kec, kel, nama, nama_kec, nama_kab, nama_prov) -> pa.Table:
    """kode,nama at all four levels, in code order, as the ministry publishes it."""

    def dotted(*parts_and_widths):
        cols = [pc.utf8_lpad(pc.cast(pa.array(p), pa.string()), w, "0") for p, w in parts_and_widths]
        return pc.binary_join_element_wise(*cols, ".")

    levels = []
    for parts, names in (
        (((prov, 2),), nama_prov),
        (((prov, 2), (kab, 2)), nama_kab),
        (((prov, 2), (kab, 2), (kec, 2)), nama_kec),
        (((prov, 2), (kab, 2), (kec, 2), (kel, 4)), nama),
    ):
        t = pa.table({"kode": dotted(*parts), "nama": names})
        levels.append(
            t.group_by("kode", use_threads=False).aggregate([("nama", "first")]).rename_columns(["kode", "nama"])
        )
    return pa.concat_tables(levels).sort_by("kode")


def synthetic_regions(persons: int, rng: np.random.Generator) -> Regions:
    """About one village per 300 persons (at least 2 per regency), the 38 real provinces."""
    prov, kab, kec, kel = _synthetic_villages(persons, rng)
    n = len(prov)
    perkotaan = kel // 1000 == 1
    # Names per regency and district (shared by their villages).
    reg_key = prov.astype(np.int64) * 100 + kab
    regs, reg_id = np.unique(reg_key, return_inverse=True)
    reg_names = _place_names(len(regs), rng)
    reg_names = pc.binary_join_element_wise(pa.array(np.where(regs % 100 >= 71, "Kota", "Kabupaten")), reg_names, " ")
    dist_key = reg_key * 100 + kec
    dists, dist_id = np.unique(dist_key, return_inverse=True)
    nama_kec = _place_names(len(dists), rng).take(pa.array(dist_id))
    nama_kab = reg_names.take(pa.array(reg_id))
    nama_prov = _province_names(prov)
    nama = _place_names(n, rng)
    bobot = _village_weights(prov, perkotaan, rng)
    kec_id, kec_kode, kec_bobot = _district_table(prov, kab, kec, bobot)
    first_village = np.unique(kec_id, return_index=True)[1]
    return Regions(
        prov=prov,
        kab=kab,
        kec=kec,
        kel=kel,
        nama=nama,
        nama_kec=nama_kec,
        nama_kab=nama_kab,
        nama_prov=nama_prov,
        kode_bps=pc.cast(pa.array(bps_codes(prov, kab, kec, kel, rng)), pa.string()),
        perkotaan=perkotaan,
        bobot=bobot,
        kec_id=kec_id,
        kec_kode=kec_kode,
        kec_bobot=kec_bobot,
        kec_tempat=_tempat(nama_kab.take(pa.array(first_village))),
        wilayah=_wilayah_table(prov, kab, kec, kel, nama, nama_kec, nama_kab, nama_prov),
        wilayah_file=None,
        sumber="synthetic",
    )


def make_regions(persons: int, path: Path | None, rng: np.random.Generator) -> Regions:
    return synthetic_regions(persons, rng) if path is None else load_regions(path, rng)
