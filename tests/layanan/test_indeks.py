"""The status index answers what the direct look-up of the warehouse answers (warehouse/status.py),
for every person of every snapshot, listed or not, with and without a province limit."""

from __future__ import annotations

import pytest

from layanan.baca import Dilihat, Gudang
from layanan.indeks import Indeks
from tests.layanan.conftest import N
from warehouse.access import Akses
from warehouse.status import look_up


@pytest.mark.parametrize("wilayah", [(), ("32",), ("33",)])
def test_the_index_answers_as_the_warehouse_does(published, wilayah):
    gudang = Gudang(published)
    indeks = Indeks(gudang)
    snapshots, _ = gudang.snapshots()
    view = Dilihat(Akses.penuh, wilayah)
    for snapshot in snapshots:
        for nik in [*N.values(), "3201010101999999"]:
            direct = look_up(snapshot, nik, snapshots, lambda s, t: gudang.connect(s, view, t))
            assert indeks.look_up(snapshot, nik, wilayah) == direct, (snapshot.tag, nik)
    # one file per snapshot, built once, in the operator's home
    name = gudang.catalog.name
    assert sorted(p.name for p in indeks.folder.iterdir()) == [f"{name}-2026-10-17.duckdb", f"{name}-2026-11-17.duckdb"]
