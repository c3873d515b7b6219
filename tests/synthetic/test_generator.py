"""Determinism, atomic writing, refusing to overwrite, the region list, the welfare model."""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pyarrow.parquet as pq
import pytest

from synthetic import ErrorRates, generate_delivery, population, welfare
from synthetic.config import WELFARE_R2, stream
from synthetic.regions import synthetic_regions
from tests.synthetic.conftest import CUTOFF, metadata, read_csv_str, read_dtks


def _digests(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes(tmp_path):
    a = generate_delivery(tmp_path / "a", 2_000, 42, CUTOFF)
    b = generate_delivery(tmp_path / "b", 2_000, 42, CUTOFF)
    c = generate_delivery(tmp_path / "c", 2_000, 43, CUTOFF)
    da, db, dc = _digests(a), _digests(b), _digests(c)
    assert da == db
    assert da["dukcapil/penduduk.parquet"] != dc["dukcapil/penduduk.parquet"]
    assert da["truth/tautan.parquet"] != dc["truth/tautan.parquet"]


def test_refuses_existing_target(tmp_path):
    generate_delivery(tmp_path, 500, 1, CUTOFF)
    with pytest.raises(ValueError, match="already exists"):
        generate_delivery(tmp_path, 500, 1, CUTOFF)
    steps = []
    path = generate_delivery(tmp_path, 600, 1, CUTOFF, overwrite=True, progress=steps.append)
    assert metadata(path)["persons"] == 600
    assert steps[0] == "regions" and "dtks" in steps and steps[-1] == "done"
    assert sorted(p.name for p in tmp_path.iterdir()) == [CUTOFF.isoformat()]


def test_failure_leaves_nothing(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("kode,nama\n11,Aceh\n11.0X,Rusak\n")
    with pytest.raises(ValueError, match="row 3"):
        generate_delivery(tmp_path / "out", 500, 1, CUTOFF, regions=bad)
    assert list((tmp_path / "out").iterdir()) == []


def test_invalid_settings(tmp_path):
    with pytest.raises(ValueError, match="cutoff"):
        generate_delivery(tmp_path, 500, 1, dt.date(2021, 1, 1))
    with pytest.raises(ValueError, match="error_scale"):
        generate_delivery(tmp_path, 500, 1, CUTOFF, error_scale=10)
    with pytest.raises(ValueError):
        ErrorRates(nik_missing=1.5)


def test_rates_override(tmp_path):
    path = generate_delivery(tmp_path, 5_000, 1, CUTOFF, rates=ErrorRates(nik_missing=0.0, ghost=0.0))
    nik = read_dtks(path)["NIK"].to_pylist()
    assert "" not in nik
    truth = pq.read_table(path / "truth/tautan.parquet").to_pandas()
    assert truth["nik_benar"].notna().all()


def test_real_region_list(delivery_real_regions, region_subset):
    d = delivery_real_regions
    assert (d / "referensi/wilayah.csv").read_bytes() == region_subset.read_bytes()
    listed = {k.replace(".", "") for k in read_csv_str(region_subset)["kode"].to_pylist() if len(k) == 13}
    pen = pq.read_table(d / "dukcapil/penduduk.parquet").to_pandas()
    used = {
        f"{p:02d}{k:02d}{c:02d}{v:04d}"
        for p, k, c, v in zip(pen["NO_PROP"], pen["NO_KAB"], pen["NO_KEC"], pen["NO_KEL"])
    }
    used |= set(read_dtks(d)["KODE_WILAYAH"].to_pylist())
    used |= {k.replace(".", "") for k in read_csv_str(d / "p3ke/p3ke_keluarga.csv")["KODE_DESA"].to_pylist()}
    used |= set(pq.read_table(d / "susenas/sampel.parquet")["kode_wilayah"].to_pylist())
    bps = read_csv_str(d / "referensi/bps_kemendagri.csv")
    crosswalk = dict(zip(bps["kode_bps"].to_pylist(), bps["kode_kemendagri"].to_pylist()))
    regsosek = pq.read_table(d / "regsosek/keluarga.parquet")["kode_wilayah_bps"].to_pylist()
    used |= {crosswalk[k].replace(".", "") for k in regsosek}
    assert used <= listed and {u[:2] for u in used} == {"11", "51"}
    assert len(crosswalk) == len(listed)
    assert "wilayah_11_51.csv" in metadata(d)["regions"]


@pytest.mark.parametrize("target", [0.3, 0.7])
def test_welfare_r2(target):
    """The ideal model (OLS on exactly the generating features) reaches the requested R²:
    checked with an independent least-squares fit on ~20k families."""
    regions = synthetic_regions(72_000, stream(9, "r"))
    pop = population.build(regions, 72_000, CUTOFF, stream(9, "p"))
    wel = welfare.build(pop, regions, CUTOFF, target, stream(9, "w"))
    assert pop.n_keluarga > 19_000
    x = welfare.design(wel.rumah, wel.komposisi, regions.perkotaan[pop.desa])
    prov = regions.prov[pop.desa]
    a = np.column_stack(
        [np.ones(pop.n_keluarga), *x.values(), (prov[:, None] == np.unique(prov)[None, 1:]).astype(float)]
    )
    coef, *_ = np.linalg.lstsq(a, wel.log_pengeluaran, rcond=None)
    resid = wel.log_pengeluaran - a @ coef
    r2 = 1 - resid.var() / wel.log_pengeluaran.var()
    assert abs(r2 - target) < 0.05
    assert abs(wel.r2 - r2) < 1e-6
    assert 800_000 < np.median(wel.pengeluaran) < 1_250_000


def test_metadata_r2(delivery_20k):
    meta = metadata(delivery_20k)
    assert abs(meta["welfare_r2_achieved"] - WELFARE_R2) < 0.05
    assert set(meta["welfare_model"]["koefisien"]) == set(welfare.BETA)
