"""Link rates: who fails to link, per source, by province, by age band and by welfare decile.

A matching weakness that hits the poor or the young hides in a national link rate; the
statistics offices report coverage by such groups for that reason. Per source and group:
records, records linked (`metode_padan` other than `TIDAK_PADAN`) and the rate.

- province: the record's `kode_prov`;
- age band: whole years at the run's cut-off from the record's birth date (`BATAS_UMUR`:
  0-4, 5-14, 15-24, 25-44, 45-64, 65+, the broad groups BPS reports);
- decile: the national decile of the ranked family whose `no_kk` is the record's own
  source KK number, the same key for linked and unlinked records.

A record without a birth date, whose KK is no ranked family (or a family without a
decile), or without a province, is in the group `tidak diketahui`. Every step is set-based
in DuckDB over the run's files (sql/laju.sql); only the counts per group leave it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from transforms.engine import run_statement, statements
from transforms.standardize import RunPaths

SQL = Path(__file__).parent / "sql" / "laju.sql"

# Lower bounds of the age bands, in whole years at the cut-off.
BATAS_UMUR = (0, 5, 15, 25, 45, 65)
TIDAK_DIKETAHUI = "tidak diketahui"
# Manifest key per breakdown (the `rincian` of sql/laju.sql).
RINCIAN = {"desil": "per_desil", "kelompok_umur": "per_kelompok_umur", "provinsi": "per_provinsi"}
DEFINISI = (
    "laju = padan / catatan per source and group; padan: metode_padan <> 'TIDAK_PADAN'; "
    "kelompok_umur: whole years at the cut-off from the record's tgl_lahir; "
    "desil: desil_nasional of the ranked family whose no_kk is the record's source no_kk; "
    "provinsi: the record's kode_prov; 'tidak diketahui': not known"
)


def _statement(n: int) -> str:
    return statements(SQL.read_text())[n]


def load_source_fields(con: duckdb.DuckDBPyConnection, paths: RunPaths) -> str:
    """`laju_sumber`: each person record's birth date and source KK, from the standardized
    files matching reads (the paths of transforms.match.load_records)."""
    std = paths.run_dir / "standardized"
    run_statement(
        con,
        _statement(0),
        {
            "dtks": str(std / "dtks_individu" / "*.parquet"),
            "regsosek": str(paths.standardized("regsosek_anggota")),
            "p3ke": str(paths.standardized("p3ke_anggota")),
            "usulan": str(paths.standardized("usulan_anggota")),
        },
    )
    return "laju_sumber"


def age_bands(con: duckdb.DuckDBPyConnection, bounds: tuple[int, ...] = BATAS_UMUR) -> str:
    """`laju_kelompok_umur`: one row per band, labelled `0-4` ... `65+`."""
    if not bounds or bounds[0] != 0 or list(bounds) != sorted(set(bounds)):
        raise ValueError(f"age band bounds {bounds!r}: ascending whole years from 0")
    run_statement(con, _statement(1), {"batas_umur": list(bounds)})
    return "laju_kelompok_umur"


def label_records(
    con: duckdb.DuckDBPyConnection,
    tautan: Path,
    keluarga: Path,
    cutoff: dt.date,
    bounds: tuple[int, ...] = BATAS_UMUR,
) -> str:
    """`laju_catatan`: every record of `tautan` (matched/tautan_sumber.parquet), linked or
    not, with its province, age band and its KK's decile in `keluarga` (ranked families)."""
    run_statement(
        con,
        _statement(2),
        {"tautan": str(tautan), "keluarga": str(keluarga), "cutoff": cutoff, "batas_umur": list(bounds)},
    )
    return "laju_catatan"


def count_groups(con: duckdb.DuckDBPyConnection) -> str:
    """`laju_padan`: records and links per source, breakdown and group."""
    run_statement(con, _statement(3), {"tidak_diketahui": TIDAK_DIKETAHUI})
    return "laju_padan"


def summary(con: duckdb.DuckDBPyConnection) -> dict:
    """For the manifest: `{per_desil|per_kelompok_umur|per_provinsi: {sumber: {kelompok:
    {catatan, padan, laju}}}}`, groups in order (deciles 1-10, bands, province codes), the
    unknown group last; and the band labels."""
    bands = con.execute("SELECT label FROM laju_kelompok_umur ORDER BY urutan").fetchall()
    out: dict = {"definisi": DEFINISI, "kelompok_umur": [label for (label,) in bands]}
    out |= {key: {} for key in RINCIAN.values()}
    rows = con.execute(
        "SELECT rincian, sumber, kelompok, catatan, padan FROM laju_padan "
        "ORDER BY rincian, sumber, NOT diketahui, urutan, kelompok"
    ).fetchall()
    for rincian, sumber, kelompok, catatan, padan in rows:
        out[RINCIAN[rincian]].setdefault(sumber, {})[kelompok] = {
            "catatan": catatan,
            "padan": padan,
            "laju": round(padan / catatan, 4),
        }
    return out


def reconciles(laju: dict, per_metode: dict[str, dict[str, int]]) -> bool:
    """Every breakdown of every source sums to that source's records and links in the
    match stage's counts (manifest `padan.per_metode`)."""
    for key in RINCIAN.values():
        groups = laju.get(key, {})
        if set(groups) != set(per_metode):
            return False
        for sumber, methods in per_metode.items():
            records = sum(methods.values())
            linked = records - methods.get("TIDAK_PADAN", 0)
            if sum(g["catatan"] for g in groups[sumber].values()) != records:
                return False
            if sum(g["padan"] for g in groups[sumber].values()) != linked:
                return False
    return True


def link_rates(
    con: duckdb.DuckDBPyConnection, paths: RunPaths, cutoff: dt.date, per_metode: dict[str, dict[str, int]]
) -> dict:
    """All steps over a run folder after ranking; the manifest's `laju_padan`."""
    run = paths.run_dir
    load_source_fields(con, paths)
    age_bands(con)
    label_records(con, run / "matched" / "tautan_sumber.parquet", run / "ranked" / "keluarga.parquet", cutoff)
    count_groups(con)
    laju = summary(con)
    laju["seimbang"] = reconciles(laju, per_metode)
    return laju
