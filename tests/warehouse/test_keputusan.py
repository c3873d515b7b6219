"""The decisions a refresh carries in come from the snapshot before its cut-off, whatever is current."""

from __future__ import annotations

import datetime as dt

import duckdb

from tests.warehouse.runs import family, write_run
from warehouse import publish
from warehouse.current import pin
from warehouse.keputusan import export_in_force, predecessor

KK1, KK2 = "3201010101000001", "3301010101000002"
FAMILIES = [family(KK1, 1, "3201010101900001"), family(KK2, 5, "3301010101900003")]


def with_decisions(run, in_force: list[str]):
    """The run's published usulan with the columns decisions are kept in; `in_force`: ids in force."""
    path = run / "unified" / "usulan.parquet"
    ids = ", ".join(repr(i) for i in in_force) or "NULL"
    duckdb.execute(
        f"""COPY (SELECT *, true AS dalam_feed, id_usulan IN ({ids}) AS berlaku,
                DATE '2026-10-17' AS diterapkan_sejak, NULL::VARCHAR AS berakhir, NULL::VARCHAR AS perubahan,
                NULL::VARCHAR AS nilai_sumber, NULL::VARCHAR AS rumah FROM read_parquet('{path}'))
            TO '{path}.baru' (FORMAT parquet)"""
    )
    (path.parent / "usulan.parquet.baru").replace(path)
    return run


def test_the_decisions_in_force_come_from_the_snapshot_before_the_cut_off(catalog, settings, tmp_path):
    out = tmp_path / "bawaan.parquet"
    nothing = export_in_force(catalog, settings, dt.date(2026, 11, 17), out)
    assert (nothing["dari"], nothing["keputusan"]) == (None, 0) and out.exists()
    # A snapshot from before decisions were kept: nothing to carry.
    publish(catalog, write_run(tmp_path / "a", "2026-09-17", "a" * 64, FAMILIES))
    assert export_in_force(catalog, settings, dt.date(2026, 11, 17), out)["keputusan"] == 0
    october = with_decisions(write_run(tmp_path / "b", "2026-10-17", "b" * 64, FAMILIES), ["U1"])
    publish(catalog, october)
    november = with_decisions(write_run(tmp_path / "c", "2026-11-17", "c" * 64, FAMILIES), ["U0", "U1"])
    publish(catalog, november)
    # Pinning an earlier month as current does not change what November's successor carries.
    pin(catalog, "2026-09-17", "rollback", "operator")
    carried = export_in_force(catalog, settings, dt.date(2026, 12, 17), out)
    assert (carried["dari"], carried["keputusan"]) == ("2026-11-17", 2)
    # A re-run of November carries October's, never its own.
    assert predecessor(catalog, dt.date(2026, 11, 17)).tag == "2026-10-17"
    carried = export_in_force(catalog, settings, dt.date(2026, 11, 17), out)
    assert (carried["dari"], carried["keputusan"]) == ("2026-10-17", 1)
    assert duckdb.sql(f"SELECT id_usulan FROM '{out}'").fetchall() == [("U1",)]
