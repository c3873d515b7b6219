"""Link rates by province, age band and decile on hand-made records whose rates are known."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from transforms.match import laju
from transforms.standardize import RunPaths

CUTOFF = dt.date(2026, 11, 17)
KK_MISKIN, KK_KAYA, KK_TANPA_DESIL, KK_LAIN = (f"32010502021000{i:02d}" for i in range(1, 5))
SOURCE = pa.schema(
    [
        ("sumber", pa.string()),
        ("id_sumber", pa.string()),
        ("tgl_lahir", pa.date32()),
        ("no_kk", pa.string()),
        ("nama_baku", pa.string()),
    ]
)

# (sumber, id_sumber, metode_padan, kode_prov, tgl_lahir, no_kk)
RECORDS = [
    # A desil-1 family: 1 of its 3 DTKS records linked. Ages 2, 15 (on the birthday), 14.
    ("DTKS", "D1", "NIK_EXACT", "32", dt.date(2024, 1, 1), KK_MISKIN),
    ("DTKS", "D2", "TIDAK_PADAN", "32", dt.date(2011, 11, 17), KK_MISKIN),
    ("DTKS", "D3", "TIDAK_PADAN", "32", dt.date(2011, 11, 18), KK_MISKIN),
    # A desil-10 family in Bali: linked, aged 76.
    ("DTKS", "D4", "PROBABILISTIC", "51", dt.date(1950, 6, 1), KK_KAYA),
    # No birth date, a KK that is no ranked family: unknown age and decile.
    ("DTKS", "D5", "TIDAK_PADAN", "32", None, KK_LAIN),
    # No KK, no province; aged 46.
    ("DTKS", "D6", "NIK_REPAIRED", None, dt.date(1980, 1, 1), None),
    ("REGSOSEK", "R1", "NIK_EXACT", "32", dt.date(1996, 5, 5), KK_MISKIN),
    # A ranked family without a decile: unknown decile.
    ("REGSOSEK", "R2", "TIDAK_PADAN", "51", dt.date(1996, 5, 5), KK_TANPA_DESIL),
]


def write(path: Path, table: pa.Table) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


def source_rows(sumber: str) -> pa.Table:
    rows = [
        {"sumber": s, "id_sumber": i, "tgl_lahir": t, "no_kk": k, "nama_baku": "NAMA"}
        for s, i, _, _, t, k in RECORDS
        if s == sumber
    ]
    return pa.Table.from_pylist(rows, schema=SOURCE)


@pytest.fixture
def run(tmp_path: Path) -> RunPaths:
    paths = RunPaths(tmp_path / "run")
    write(paths.run_dir / "standardized/dtks_individu/32.parquet", source_rows("DTKS"))
    write(paths.standardized("regsosek_anggota"), source_rows("REGSOSEK"))
    write(paths.standardized("p3ke_anggota"), source_rows("P3KE"))  # no rows
    write(paths.standardized("usulan_anggota"), source_rows("USULAN"))
    tautan = [
        {"sumber": s, "id_sumber": i, "nik": None, "metode_padan": m, "probabilitas": None, "kode_prov": p}
        for s, i, m, p, _, _ in RECORDS
    ]
    write(paths.run_dir / "matched/tautan_sumber.parquet", pa.Table.from_pylist(tautan))
    keluarga = [
        {"no_kk": KK_MISKIN, "desil_nasional": 1},
        {"no_kk": KK_KAYA, "desil_nasional": 10},
        {"no_kk": KK_TANPA_DESIL, "desil_nasional": None},
    ]
    write(
        paths.run_dir / "ranked/keluarga.parquet",
        pa.Table.from_pylist(keluarga, schema=pa.schema([("no_kk", pa.string()), ("desil_nasional", pa.int32())])),
    )
    return paths


PER_METODE = {
    "DTKS": {"NIK_EXACT": 1, "NIK_REPAIRED": 1, "PROBABILISTIC": 1, "TIDAK_PADAN": 3},
    "REGSOSEK": {"NIK_EXACT": 1, "TIDAK_PADAN": 1},
}


def counts(groups: dict) -> dict[str, tuple[int, int]]:
    return {k: (g["catatan"], g["padan"]) for k, g in groups.items()}


def test_rates_by_decile_age_band_and_province(run):
    out = laju.link_rates(duckdb.connect(), run, CUTOFF, PER_METODE)
    assert out["kelompok_umur"] == ["0-4", "5-14", "15-24", "25-44", "45-64", "65+"]
    # The desil-1 family: 2 of its 3 DTKS records not linked.
    assert out["per_desil"]["DTKS"]["1"] == {"catatan": 3, "padan": 1, "laju": 0.3333}
    assert counts(out["per_desil"]["DTKS"]) == {"1": (3, 1), "10": (1, 1), "tidak diketahui": (2, 1)}
    assert counts(out["per_desil"]["REGSOSEK"]) == {"1": (1, 1), "tidak diketahui": (1, 0)}
    # Whole years at the cut-off: 15 on the 15th birthday, 14 the day before it.
    assert counts(out["per_kelompok_umur"]["DTKS"]) == {
        "0-4": (1, 1),
        "5-14": (1, 0),
        "15-24": (1, 0),
        "45-64": (1, 1),
        "65+": (1, 1),
        "tidak diketahui": (1, 0),
    }
    assert counts(out["per_kelompok_umur"]["REGSOSEK"]) == {"25-44": (2, 1)}
    assert counts(out["per_provinsi"]["DTKS"]) == {"32": (4, 1), "51": (1, 1), "tidak diketahui": (1, 1)}
    assert out["per_provinsi"]["REGSOSEK"]["51"]["laju"] == 0.0
    # Groups in order, the unknown one last; no source without records.
    assert list(out["per_desil"]["DTKS"]) == ["1", "10", "tidak diketahui"]
    assert set(out["per_desil"]) == {"DTKS", "REGSOSEK"}
    assert out["seimbang"] is True


def test_every_breakdown_sums_to_the_match_counts(run):
    out = laju.link_rates(duckdb.connect(), run, CUTOFF, PER_METODE)
    for key in ("per_desil", "per_kelompok_umur", "per_provinsi"):
        for sumber, methods in PER_METODE.items():
            assert sum(g["catatan"] for g in out[key][sumber].values()) == sum(methods.values())
    # Records counted differently, one unlinked record counted as linked, a source missing: not reconciled.
    assert not laju.reconciles(out, PER_METODE | {"DTKS": PER_METODE["DTKS"] | {"TIDAK_PADAN": 4}})
    assert not laju.reconciles(
        out, PER_METODE | {"DTKS": {"NIK_EXACT": 2, "NIK_REPAIRED": 1, "PROBABILISTIC": 1, "TIDAK_PADAN": 2}}
    )
    assert not laju.reconciles(out, PER_METODE | {"P3KE": {"NIK_EXACT": 1}})
    assert laju.link_rates(duckdb.connect(), run, CUTOFF, {"DTKS": PER_METODE["DTKS"]})["seimbang"] is False


def test_a_record_listed_twice_in_its_source_does_not_reconcile(run):
    """Counts come from tautan_sumber; a second row for a record in the source file would
    count it twice, and the manifest must say so."""
    twice = pa.concat_tables([source_rows("REGSOSEK"), source_rows("REGSOSEK").slice(0, 1)])
    write(run.standardized("regsosek_anggota"), twice)
    assert laju.link_rates(duckdb.connect(), run, CUTOFF, PER_METODE)["seimbang"] is False


def test_the_cut_off_decides_the_age(run):
    later = laju.link_rates(duckdb.connect(), run, dt.date(2029, 1, 1), PER_METODE)
    assert counts(later["per_kelompok_umur"]["DTKS"])["5-14"] == (1, 1)  # D1 is 5 then


def test_only_counts_leave_it(run):
    text = repr(laju.link_rates(duckdb.connect(), run, CUTOFF, PER_METODE))
    assert not [v for v in (KK_MISKIN, KK_KAYA, KK_LAIN, "NAMA", "2011-11-17", "D1") if v in text]


def test_age_bands_must_start_at_zero_and_ascend():
    con = duckdb.connect()
    for bad in ((), (5, 15), (0, 15, 5), (0, 5, 5)):
        with pytest.raises(ValueError, match="ascending"):
            laju.age_bands(con, bad)
    laju.age_bands(con, (0, 18, 60))
    assert con.execute("SELECT label FROM laju_kelompok_umur ORDER BY urutan").fetchall() == [
        ("0-17",),
        ("18-59",),
        ("60+",),
    ]
