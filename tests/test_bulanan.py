"""Month after month: five generated months of one population through `backfill`, with the
three-month proposals feed. Per month the diff (who entered, left, moved) equals what the
generator's truth says, and the citizens' decisions hold after the feed has dropped them."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.usefixtures("prefect_harness")

FIRST, MONTHS = dt.date(2027, 1, 17), 5


@pytest.fixture(scope="module")
def series(tmp_path_factory) -> tuple[list[Path], Path]:
    """The deliveries (error-free, so that the truth says exactly what must be published) and
    a home of their own, every month published by one backfill."""
    from synthetic import ChangeRates, generate_series

    root = tmp_path_factory.mktemp("bulanan")
    # More proposals than the default, and a DTKS that takes no new family in: every kind of
    # decision meets the end of its feed window with nothing else to keep it.
    from tests.test_fault_corpus import regions_file

    # Five provinces of the official list (a DTKS file and a partition or two each, not 34):
    # families still move between villages, districts and provinces.
    deliveries = generate_series(
        root / "deliveries",
        3000,
        11,
        FIRST,
        MONTHS,
        regions=regions_file(root / "wilayah.csv"),
        error_scale=0.0,
        changes=ChangeRates(usulan=60, dtks_dari_usulan=0.0),
    )
    from dtsen.settings import get_settings
    from flows.backfill import backfill

    # A home of its own (the settings are cached: the session's object points here meanwhile),
    # so that the series' months neither see nor become the other tests' snapshots.
    home, settings = root / "home", get_settings()
    session_home = settings.home
    settings.home = home
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("DTSEN_HOME", str(home))
            outcome = backfill(str(root / "deliveries"), FIRST.isoformat(), deliveries[-1].name)
    finally:
        settings.home = session_home
    assert all(str(v).endswith("manifest.json") for v in outcome.values()), outcome
    return deliveries, home


def _snapshot(home: Path, tag: str, con: duckdb.DuckDBPyConnection | None = None, prefix: str = ""):
    from dtsen.settings import Settings
    from warehouse import Akses, open_catalog, open_snapshot, resolve

    settings = Settings(home=home)
    catalog = open_catalog(settings)
    return open_snapshot(catalog, resolve(catalog, tag), Akses.penuh, prefix=prefix, con=con)


def _expected(delivery: Path) -> set[tuple[str, str, str]]:
    """(nik, no_kk, kode_desa) of every living registry person on a KK the truth lists."""
    return set(
        duckdb.sql(f"""
            SELECT p.NIK, p.NO_KK, lpad(p.NO_PROP::VARCHAR, 2, '0') || lpad(p.NO_KAB::VARCHAR, 2, '0')
                || lpad(p.NO_KEC::VARCHAR, 2, '0') || lpad(p.NO_KEL::VARCHAR, 4, '0')
            FROM '{delivery}/dukcapil/penduduk.parquet' p
            WHERE p.TGL_MATI IS NULL AND p.NO_KK IN (SELECT no_kk FROM '{delivery}/truth/terdaftar.parquet')
        """).fetchall()
    )


def test_each_months_diff_is_the_truths_entries_exits_and_moves(series):
    from warehouse.diff import diff

    deliveries, home = series
    moves = 0
    for before, after in itertools.pairwise(deliveries):
        a, b = _expected(before), _expected(after)
        nik_a, nik_b = {p[0]: p for p in a}, {p[0]: p for p in b}
        con = _snapshot(home, before.name, prefix="a_")
        _snapshot(home, after.name, con, prefix="b_")
        diff(con)
        got = con.execute(
            "SELECT sum(individu_masuk), sum(individu_keluar), sum(individu_pindah), sum(keluarga_masuk), "
            "sum(keluarga_keluar) FROM perubahan_provinsi"
        ).fetchall()[0]
        moved = sum(1 for n in nik_a.keys() & nik_b.keys() if nik_a[n][2] != nik_b[n][2])
        kk_a, kk_b = {p[1] for p in a}, {p[1] for p in b}
        truth = (len(nik_b.keys() - nik_a.keys()), len(nik_a.keys() - nik_b.keys()), moved)
        truth += (len(kk_b - kk_a), len(kk_a - kk_b))
        assert tuple(int(x or 0) for x in got) == truth, after.name
        moves += moved
    assert moves > 0, "nobody moved in five months: the series tests nothing of moves"


def test_each_snapshot_says_why_families_changed_decile_since_the_last(series):
    """The manifest's stability counts (stabilitas.py) are the diff's: per province, the
    families in both snapshots and those with another decile, each with one reason."""
    from dtsen.settings import Settings
    from warehouse import open_catalog, resolve
    from warehouse.diff import diff

    deliveries, home = series
    catalog = open_catalog(Settings(home=home))
    assert resolve(catalog, deliveries[0].name).manifest["peringkat"]["stabilitas"] is None
    reasons = dict.fromkeys(("sebab_masukan", "sebab_model", "sebab_batas"), 0)
    for before, after in itertools.pairwise(deliveries):
        peringkat = resolve(catalog, after.name).manifest["peringkat"]
        found = peringkat["stabilitas"]
        assert found["terhadap"] == before.name
        if found["model_lalu"] == peringkat["model"]["id"]:  # the sample is too small to fit: one stored model
            assert found["jumlah"]["sebab_model"] == 0
        con = _snapshot(home, before.name, prefix="a_")
        _snapshot(home, after.name, con, prefix="b_")
        diff(con)
        expected = con.execute("""
            SELECT b.kode_prov, count(*), count(*) FILTER (WHERE a.desil_nasional <> b.desil_nasional)
            FROM a_keluarga a JOIN b_keluarga b USING (no_kk) GROUP BY ALL ORDER BY ALL""").fetchall()
        got = [(p["kode_prov"], p["keluarga_di_keduanya"], p["desil_berubah"]) for p in found["per_provinsi"]]
        assert got == expected, after.name
        for p in found["per_provinsi"]:
            assert p["sebab_masukan"] + p["sebab_model"] + p["sebab_batas"] == p["desil_berubah"]
        reasons = {k: v + found["jumlah"][k] for k, v in reasons.items()}
    # members are born, age and die, and families enter and leave: both reasons occur
    assert reasons["sebab_masukan"] and reasons["sebab_batas"], reasons


def _applied(deliveries: list[Path]):
    """Per verified proposal of a real family, the first month the pipeline could apply it:
    verified by that month's cut-off while still in that month's feed."""
    months = " UNION ALL ".join(
        f"SELECT {k} AS bulan_ke, * FROM '{d}/truth/usulan.parquet'" for k, d in enumerate(deliveries)
    )
    return duckdb.sql(f"""
        SELECT id_usulan, any_value(jenis) AS jenis, any_value(alasan) AS alasan, any_value(no_kk) AS no_kk,
            any_value(tanggal) AS tanggal, min(bulan_ke) AS sejak
        FROM ({months})
        WHERE status = 'TERVERIFIKASI_DINSOS' AND dalam_feed AND NOT hantu
        GROUP BY id_usulan""").df()


def test_decisions_hold_after_the_feed_dropped_them(series):
    import json

    deliveries, home = series
    applied = _applied(deliveries)
    carried = 0
    for k, delivery in enumerate(deliveries):
        con = _snapshot(home, delivery.name)
        listed = dict(con.execute("SELECT no_kk, layak_sasaran FROM keluarga").fetchall())
        alive = {
            r[0]
            for r in duckdb.sql(
                f"SELECT DISTINCT NO_KK FROM '{delivery}/dukcapil/penduduk.parquet' WHERE TGL_MATI IS NULL"
            ).fetchall()
        }
        now = applied[applied.sejak <= k]
        # Every approved new family stays listed in every later month, while anyone on its card lives.
        for no_kk in now[now.jenis == "USUL_BARU"].no_kk:
            assert no_kk not in alive or no_kk in listed, (delivery.name, "USUL_BARU")
        # An approved MAMPU objection keeps its family from targeting, unless a newer approved
        # new-family proposal of the family came after it.
        new_families = now[now.jenis == "USUL_BARU"]
        for _, row in now[(now.jenis == "SANGGAHAN") & (now.alasan == "MAMPU")].iterrows():
            newer = new_families[(new_families.no_kk == row.no_kk) & (new_families.tanggal > row.tanggal)]
            if row.no_kk in listed and newer.empty:
                assert listed[row.no_kk] is False, (delivery.name, "MAMPU")
        # A correction in force is what its family's fields say.
        for no_kk, perubahan in con.execute(
            "SELECT no_kk, perubahan FROM usulan WHERE berlaku AND jenis = 'PERBAIKAN'"
        ).fetchall():
            fields = json.loads(perubahan)
            got = con.execute(f"SELECT {', '.join(fields)} FROM keluarga WHERE no_kk = $kk", {"kk": no_kk}).fetchall()
            assert list(got[0]) == pytest.approx(list(fields.values())), (delivery.name, "PERBAIKAN")
        carried += con.execute("SELECT count(*) FROM usulan WHERE berlaku AND NOT dalam_feed").fetchall()[0][0]
    kinds = set(applied[applied.sejak <= len(deliveries) - 4].jenis)
    assert carried > 0 and {"USUL_BARU", "PERBAIKAN", "SANGGAHAN"} <= kinds, "no decision outlived the feed"
