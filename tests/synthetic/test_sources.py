"""Sources against the truth: coverage, encoding, error rates, stale entries."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from synthetic import generate_delivery
from tests.synthetic.conftest import CUTOFF, metadata, read_csv_str, read_dtks


def _truth(delivery):
    t = pq.read_table(delivery / "truth/tautan.parquet")
    return t.to_pandas()


def _usulan_member_ids(delivery) -> list[str]:
    out = []
    for line in (delivery / "usulan/usulan.jsonl").read_text().splitlines():
        u = json.loads(line)
        if u["jenis"] == "USUL_BARU":
            out += [f"{u['id_usulan']}:{i}" for i in range(1, len(u["keluarga"]["anggota"]) + 1)]
    return out


def test_truth_covers_every_record_once(delivery):
    truth = _truth(delivery)
    assert not truth.duplicated(["sumber", "id_sumber"]).any()
    expected = {
        "DTKS": read_dtks(delivery)["ID_DTKS"].to_pylist(),
        "REGSOSEK": pq.read_table(delivery / "regsosek/anggota.parquet")["id_art"].to_pylist(),
        "P3KE": read_csv_str(delivery / "p3ke/p3ke_anggota.csv")["ID_ANGGOTA_P3KE"].to_pylist(),
        "USULAN": _usulan_member_ids(delivery),
    }
    for sumber, ids in expected.items():
        got = truth.loc[truth["sumber"] == sumber, "id_sumber"]
        assert len(ids) == len(set(ids)), f"{sumber} record ids must be unique"
        assert sorted(got) == sorted(ids), sumber
    assert set(truth["sumber"]) == set(expected)
    registry = set(pq.read_table(delivery / "dukcapil/penduduk.parquet")["NIK"].to_pylist())
    assert set(truth["nik_benar"].dropna()) <= registry


def test_typed_nik_points_to_the_truth(delivery_20k):
    """Where DTKS has a registry NIK, it is almost always the person's own; ghosts never
    carry a registry NIK."""
    dtks = read_dtks(delivery_20k).to_pandas()
    truth = _truth(delivery_20k).query("sumber == 'DTKS'").set_index("id_sumber")["nik_benar"]
    registry = set(pq.read_table(delivery_20k / "dukcapil/penduduk.parquet")["NIK"].to_pylist())
    benar = truth.loc[dtks["ID_DTKS"]].values
    in_registry = dtks["NIK"].isin(registry).values
    assert (dtks["NIK"].values[in_registry] == benar[in_registry]).mean() > 0.995
    ghost = pd.isna(benar)
    assert ghost.sum() > 20 and not in_registry[ghost].any()


def test_dtks_is_windows_1252(delivery):
    special = 0
    for f in (delivery / "dtks").glob("*.csv"):
        raw = f.read_bytes()
        raw.decode("cp1252")
        has_special = any(b in raw for b in (b"\x96", b"\x93", b"\x94"))
        special += has_special
        if has_special:
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")
    assert special >= 30, "every province file carries some Windows-1252 punctuation"


def _share(values, pattern) -> float:
    return float(np.mean([bool(re.fullmatch(pattern, v)) for v in values]))


def test_error_rates_dtks(delivery_20k):
    t = read_dtks(delivery_20k)
    nik = t["NIK"].to_pylist()
    assert len(nik) > 6_000
    assert abs(_share(nik, r"") - 0.03) < 0.01
    assert abs(_share(nik, r"\d\.\d*E\+15|\dE\+15") - 0.01) < 0.005
    assert abs(_share(nik, r"\d{15}|\d{17}") - 0.01) < 0.005
    assert abs(_share(nik, r"[ '.\d]+") - _share(nik, r"\d+") - 0.02) < 0.008, "formatted NIKs"
    registry = pq.read_table(delivery_20k / "dukcapil/penduduk.parquet").select(["NIK", "NAMA_LGKP"]).to_pandas()
    name_of = dict(zip(registry["NIK"], registry["NAMA_LGKP"]))
    truth = _truth(delivery_20k).query("sumber == 'DTKS'").set_index("id_sumber")["nik_benar"]
    pairs = [
        (n, name_of[truth[i]])
        for i, n in zip(t["ID_DTKS"].to_pylist(), t["NAMA"].to_pylist())
        if isinstance(truth[i], str)
    ]
    varied = np.mean([a != b for a, b in pairs])
    assert abs(varied - 0.10) < 0.025


def test_error_rates_by_source(delivery_20k):
    applied = metadata(delivery_20k)["errors_applied"]
    regsosek = pq.read_table(delivery_20k / "regsosek/anggota.parquet")
    missing = pc.sum(pc.is_null(regsosek["r403"])).as_py() / regsosek.num_rows
    assert abs(missing - 0.009) < 0.004
    p3ke = read_csv_str(delivery_20k / "p3ke/p3ke_anggota.csv")
    assert abs(_share(p3ke["NIK"].to_pylist(), r"") - 0.018) < 0.007
    assert applied["REGSOSEK"]["nik_spoiled"] == 0 and applied["P3KE"]["nik_formatting"] == 0
    dtks = applied["DTKS"]
    assert abs(dtks["duplicates"] / dtks["records_observed"] - 0.01) < 0.004
    assert abs(dtks["ghost_records"] / dtks["records_observed"] - 0.01) < 0.004


def test_error_scale_doubles_rates(tmp_path, delivery_20k):
    hard = generate_delivery(tmp_path, 20_000, 5, CUTOFF, error_scale=2.0)
    assert metadata(hard)["error_rates"]["nik_missing"] == 0.06
    base = _share(read_dtks(delivery_20k)["NIK"].to_pylist(), r"")
    doubled = _share(read_dtks(hard)["NIK"].to_pylist(), r"")
    assert 1.6 < doubled / base < 2.4
    # Name forms and nik_keluarga scale too.
    assert metadata(hard)["error_rates"]["name_title"] == 0.04
    assert metadata(hard)["error_rates"]["nik_keluarga"] == 0.004
    dtks_base, dtks_hard = (metadata(d)["errors_applied"]["DTKS"] for d in (delivery_20k, hard))
    assert 1.6 < dtks_hard["name_variant"] / dtks_base["name_variant"] < 2.4


def test_dtks_keeps_stale_entries(delivery_20k):
    """The dead stay listed; split-off children appear in their parents' old KK."""
    dtks = read_dtks(delivery_20k).to_pandas()
    truth = _truth(delivery_20k).query("sumber == 'DTKS'").set_index("id_sumber")["nik_benar"]
    reg = pq.read_table(delivery_20k / "dukcapil/penduduk.parquet").to_pandas().set_index("NIK")
    listed = reg.loc[truth.loc[dtks["ID_DTKS"]].dropna()]
    assert listed["TGL_MATI"].notna().sum() > 10
    dtks["kk_now"] = reg["NO_KK"].reindex(truth.loc[dtks["ID_DTKS"]].values).values
    clean = dtks["NO_KK"].str.fullmatch(r"\d{16}") & dtks["kk_now"].notna()
    old_kk = (dtks.loc[clean, "NO_KK"] != dtks.loc[clean, "kk_now"]) & dtks.loc[clean, "NO_KK"].isin(set(reg["NO_KK"]))
    assert old_kk.sum() > 10


def test_dtks_selects_the_poor(delivery_20k):
    kel = pq.read_table(delivery_20k / "truth/keluarga.parquet").to_pandas().set_index("no_kk")
    dtks_kk = set(read_dtks(delivery_20k)["NO_KK"].to_pylist())
    listed = kel.index.isin(list(dtks_kk))
    assert 0.3 < listed.mean() < 0.6
    spending = kel["pengeluaran_per_kapita_benar"]
    assert spending[listed].median() < 0.75 * spending[~listed].median()
    assert 700_000 < spending.median() < 1_400_000


def test_the_ideal_spending_is_the_true_spending_without_its_noise(delivery_20k):
    """The truth's ceiling: log true spending is log ideal spending plus noise of the
    delivery's R² (metadata), not a function of it."""
    kel = pq.read_table(delivery_20k / "truth/keluarga.parquet").to_pandas()
    meta = json.loads((delivery_20k / "truth/metadata.json").read_text())
    residual = np.log(kel["pengeluaran_per_kapita_benar"]) - np.log(kel["pengeluaran_per_kapita_ideal"])
    r2 = 1 - residual.var() / np.log(kel["pengeluaran_per_kapita_benar"]).var()
    assert abs(residual.mean()) < 0.02 and 0.0 < residual.std()
    assert abs(r2 - meta["welfare_r2_requested"]) < 0.03, (r2, meta["welfare_r2_requested"])


def test_regsosek_uses_bps_codes(delivery):
    kel = pq.read_table(delivery / "regsosek/keluarga.parquet")["kode_wilayah_bps"].to_pylist()
    bps = read_csv_str(delivery / "referensi/bps_kemendagri.csv").to_pandas()
    assert set(kel) <= set(bps["kode_bps"])
    kemendagri = set(bps["kode_kemendagri"].str.replace(".", "", regex=False))
    assert not set(kel) & kemendagri, "BPS codes never read as Kemendagri village codes"
    assert (bps["kode_bps"].str[:2] == bps["kode_kemendagri"].str[:2]).all()
    kemendagri_regency = bps["kode_kemendagri"].str[:5].str.replace(".", "", regex=False)
    assert (bps["kode_bps"].str[:4] != kemendagri_regency).mean() > 0.9, "regencies are numbered differently"


def test_usulan_mix(delivery_20k):
    lines = [json.loads(x) for x in (delivery_20k / "usulan/usulan.jsonl").read_text().splitlines()]
    jenis = [u["jenis"] for u in lines]
    assert 0.25 < jenis.count("USUL_BARU") / len(lines) < 0.55
    assert 0.2 < jenis.count("PERBAIKAN") / len(lines) < 0.5
    registry_kk = set(pq.read_table(delivery_20k / "dukcapil/penduduk.parquet")["NO_KK"].to_pylist())
    baru = [u for u in lines if u["jenis"] == "USUL_BARU"]
    dtks_kk = set(read_dtks(delivery_20k)["NO_KK"].to_pylist())
    real = [u for u in baru if u["no_kk"] in registry_kk]
    assert real and sum(u["no_kk"] in dtks_kk for u in real) / len(real) < 0.1, "proposals are for unlisted families"
