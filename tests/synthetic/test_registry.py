"""The civil registry: NIK and KK by the real rule, families that make sense."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from tests.synthetic.conftest import read_csv_str


@pytest.fixture(scope="module")
def penduduk(delivery):
    return pq.read_table(delivery / "dukcapil/penduduk.parquet").to_pandas()


@pytest.fixture(scope="module")
def kecamatan(delivery) -> set[str]:
    kode = read_csv_str(delivery / "referensi/wilayah.csv")["kode"].to_pylist()
    return {k.replace(".", "") for k in kode if len(k) == 8}


def test_nik_rule(penduduk, kecamatan):
    nik = penduduk["NIK"]
    assert nik.str.fullmatch(r"\d{16}").all() and nik.is_unique
    assert nik.str[:6].isin(kecamatan).all(), "NIK region part must be a district of the list"
    day = nik.str[6:8].astype(int)
    women = penduduk["JENIS_KLMIN"] == 2
    assert (day[women] > 40).all() and (day[~women] <= 31).all()
    born = penduduk["TGL_LHR"]
    assert (day - 40 * women == born.map(lambda d: d.day)).all()
    assert (nik.str[8:10].astype(int) == born.map(lambda d: d.month)).all()
    assert (nik.str[10:12].astype(int) == born.map(lambda d: d.year % 100)).all()
    assert (nik.str[12:].astype(int) >= 1).all()


def test_some_registered_elsewhere(penduduk):
    here = (penduduk["NO_PROP"] * 10_000 + penduduk["NO_KAB"] * 100 + penduduk["NO_KEC"]).astype(str)
    elsewhere = (penduduk["NIK"].str[:6] != here).mean()
    assert 0.05 < elsewhere < 0.18


def test_kk_numbers(penduduk, kecamatan):
    kk = penduduk["NO_KK"]
    assert kk.str.fullmatch(r"\d{16}").all()
    here = (penduduk["NO_PROP"] * 10_000 + penduduk["NO_KAB"] * 100 + penduduk["NO_KEC"]).astype(str)
    assert (kk.str[:6] == here).all(), "a KK is issued where the family lives"
    families = penduduk.groupby("NO_KK")
    assert (families["STAT_HBKEL"].apply(lambda s: (s == 1).sum()) == 1).all(), "one head per KK"
    assert families["NO_KEL"].nunique().max() == 1
    assert 3.3 < families.size().mean() < 3.9 and families.size().max() <= 10


def test_relations_and_ages(penduduk):
    cutoff = dt.date(2026, 11, 17)
    age = penduduk["TGL_LHR"].map(lambda d: (cutoff - d).days / 365.25)
    head_age = age.groupby(penduduk["NO_KK"]).transform(lambda a: a.iloc[0])
    child = penduduk["STAT_HBKEL"] == 4
    assert (head_age[child] - age[child] >= 16.9).all()
    parent = penduduk["STAT_HBKEL"].isin([7, 8])
    assert (age[parent] > head_age[parent]).all()
    assert (age[penduduk["STAT_HBKEL"] == 1] >= 17).all()
    wives = penduduk["STAT_HBKEL"] == 3
    assert (penduduk.loc[wives, "JENIS_KLMIN"] == 2).all() and (penduduk.loc[wives, "STATUS_KAWIN"] == 2).all()
    # Children carry their mother's (the wife's) name.
    wife_name = penduduk[wives].set_index("NO_KK")["NAMA_LGKP"]
    kids = penduduk[child & penduduk["NO_KK"].isin(wife_name.index)]
    assert (kids["NAMA_LGKP_IBU"].values == wife_name.loc[kids["NO_KK"]].values).all()


def test_deaths(penduduk):
    dead = penduduk["TGL_MATI"].notna()
    assert 0.005 < dead.mean() < 0.03
    assert (penduduk.loc[dead, "TGL_MATI"] > penduduk.loc[dead, "TGL_LHR"]).all()
    born = pd.to_datetime(penduduk["TGL_LHR"])
    assert born[dead].median() < born[~dead].median() - pd.Timedelta(days=365 * 20), "the old die more"


def test_addresses_exist(penduduk, delivery):
    desa = {k.replace(".", "") for k in read_csv_str(delivery / "referensi/wilayah.csv")["kode"].to_pylist()}
    kode = (
        penduduk["NO_PROP"].astype(np.int64) * 10**8
        + penduduk["NO_KAB"] * 10**6
        + penduduk["NO_KEC"] * 10**4
        + penduduk["NO_KEL"]
    ).astype(str)
    assert kode.isin(desa).all()
    assert penduduk["NO_RT"].str.fullmatch(r"\d{3}").all()
