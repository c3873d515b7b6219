"""nik_keluarga: a family member's NIK typed on a person's row. The truth still names the
person; the NIK is another member of the same KK, born on another day."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from synthetic import ErrorRates, errors, generate_delivery, population
from synthetic.config import NIK_KINDS, stream
from synthetic.population import ANAK, KEPALA, ORANG_TUA, SUAMI
from synthetic.regions import synthetic_regions
from tests.synthetic.conftest import CUTOFF, metadata, read_csv_str, read_dtks

KELUARGA = NIK_KINDS.index("nik_keluarga")


@pytest.fixture(scope="module")
def pop() -> population.Penduduk:
    regions = synthetic_regions(6_000, stream(4, "r"))
    return population.build(regions, 6_000, CUTOFF, stream(4, "p"))


def test_serumah_is_another_member_of_the_family(pop):
    orang = np.arange(pop.n)
    ident = errors.Identitas.of(pop, orang)
    fam_of_nik = dict(zip(pop.nik, pop.fam))
    lahir_of_nik = dict(zip(pop.nik, pop.lahir))
    has = ident.serumah >= 0
    alone = pop.size[pop.fam] == 1
    assert not has[alone].any() and has[~alone].mean() > 0.99  # only chance twins lack one
    for p in np.flatnonzero(has)[:3000]:
        other = ident.serumah[p]
        assert other != pop.nik[p] and fam_of_nik[other] == pop.fam[p] and lahir_of_nik[other] != pop.lahir[p]


def test_fathers(pop):
    """A child's father is the male head or the head's husband, never someone outside the KK."""
    ayah = pop.ayah
    child = np.flatnonzero(pop.stat == ANAK)
    head = pop.start[pop.fam[child]]
    male_head = ~pop.female[head]
    assert (ayah[child[male_head]] == head[male_head]).all()
    husband = ~male_head & (pop.stat[np.minimum(head + 1, pop.n - 1)] == SUAMI)
    assert (ayah[child[husband]] == head[husband] + 1).all()
    assert (ayah[child[~male_head & ~husband]] == -1).all()
    known = ayah >= 0
    assert (~pop.female[ayah[known]]).all() and (pop.lahir[ayah[known]] < pop.lahir[known]).all()
    split_heads = np.flatnonzero((pop.stat == KEPALA) & (pop.induk[pop.fam] >= 0))
    # A split-off head's father is the man of the family he left; where a woman heads that
    # alone, a father living in the head's own KK.
    father = ayah[split_heads]
    known = father >= 0
    assert len(split_heads) > 20 and known.mean() > 0.75
    left = pop.fam[father[known]] == pop.induk[pop.fam[split_heads[known]]]
    lives_here = (pop.fam[father[known]] == pop.fam[split_heads[known]]) & (pop.stat[father[known]] == ORANG_TUA)
    assert (left | lives_here).all() and left.mean() > 0.9


def test_nik_kinds_only_where_a_member_exists():
    rates = {k: 0.0 for k in NIK_KINDS} | {"nik_keluarga": 1.0}
    serumah = np.array([-1, 7, 8, -1], np.int64)
    kind = errors.nik_kinds(np.zeros(4, bool), rates, np.random.default_rng(0), serumah)
    assert list(kind) == [errors.TANPA, KELUARGA, KELUARGA, errors.TANPA]
    typed = errors.ketik_nik(np.array([1, 2, 3, 4], np.int64) * 10**15, kind, np.random.default_rng(0), serumah)
    assert typed.to_pylist() == ["1000000000000000", "7", "8", "4000000000000000"]
    with pytest.raises(ValueError, match="serumah"):
        errors.ketik_nik(np.array([1], np.int64), np.array([KELUARGA], np.int8), np.random.default_rng(0))


def _records(path) -> pd.DataFrame:
    """Person records of DTKS, P3KE and Regsosek: typed NIK and birth date, with the truth."""
    dtks = read_dtks(path).to_pandas()
    dtks = pd.DataFrame(
        {
            "sumber": "DTKS",
            "id_sumber": dtks["ID_DTKS"],
            "nik": dtks["NIK"],
            "lahir": pd.to_datetime(dtks["TGL_LAHIR"].str.replace("/", "-"), format="%d-%m-%Y").dt.date,
        }
    )
    p3ke = read_csv_str(path / "p3ke/p3ke_anggota.csv").to_pandas()
    p3ke = pd.DataFrame(
        {
            "sumber": "P3KE",
            "id_sumber": p3ke["ID_ANGGOTA_P3KE"],
            "nik": p3ke["NIK"],
            "lahir": pd.to_datetime(p3ke["TANGGAL_LAHIR"]).dt.date,
        }
    )
    reg = pq.read_table(path / "regsosek/anggota.parquet").to_pandas()
    reg = pd.DataFrame({"sumber": "REGSOSEK", "id_sumber": reg["id_art"], "nik": reg["r403"], "lahir": reg["r407"]})
    truth = pq.read_table(path / "truth/tautan.parquet").to_pandas()
    return pd.concat([dtks, p3ke, reg]).merge(truth, on=["sumber", "id_sumber"])


@pytest.fixture(scope="module")
def family_heavy(tmp_path_factory):
    """A delivery with nik_keluarga at 5% (DTKS; 3% P3KE, 1.5% Regsosek) so the counts are large."""
    rates = ErrorRates(nik_keluarga=0.05)
    return generate_delivery(tmp_path_factory.mktemp("keluarga"), 20_000, 8, CUTOFF, rates=rates)


def test_family_nik_belongs_to_another_member(family_heavy):
    rec = _records(family_heavy)
    reg = pq.read_table(family_heavy / "dukcapil/penduduk.parquet").to_pandas().set_index("NIK")
    wrong = rec[rec["galat_nik"] == "nik_keluarga"]
    assert len(wrong) > 300
    assert wrong["nik"].isin(reg.index).all() and (wrong["nik"] != wrong["nik_benar"]).all()
    owner, person = reg.loc[wrong["nik"]], reg.loc[wrong["nik_benar"]]
    assert (owner["NO_KK"].values == person["NO_KK"].values).all(), "another member of the same KK"
    assert (owner["TGL_LHR"].values != person["TGL_LHR"].values).all(), "another person: another birth date"
    assert 0.2 < (owner["JENIS_KLMIN"].values != person["JENIS_KLMIN"].values).mean() < 0.9
    # The record is still the person's own: their birth date (unless that was mistyped too).
    own_date = np.mean(wrong["lahir"].values == person["TGL_LHR"].values)
    assert own_date > 0.95


@pytest.mark.parametrize(("sumber", "factor"), [("DTKS", 1.0), ("P3KE", 0.6), ("REGSOSEK", 0.3)])
def test_family_nik_rate(family_heavy, sumber, factor):
    """5% times the source's factor, of records of real people with someone else in their KK."""
    rec = _records(family_heavy)
    rec = rec[(rec["sumber"] == sumber) & rec["nik_benar"].notna()]
    reg = pq.read_table(family_heavy / "dukcapil/penduduk.parquet").select(["NIK", "NO_KK"]).to_pandas()
    size = reg["NO_KK"].map(reg["NO_KK"].value_counts())
    with_family = rec["nik_benar"].map(dict(zip(reg["NIK"], size))) > 1
    n, rate = int(with_family.sum()), 0.05 * factor
    got = int((rec.loc[with_family, "galat_nik"] == "nik_keluarga").sum())
    assert (rec.loc[~with_family, "galat_nik"] != "nik_keluarga").all()
    assert abs(got - n * rate) < 4 * np.sqrt(n * rate) + 3, (got, n * rate)
    assert metadata(family_heavy)["errors_applied"][sumber]["nik_keluarga"] == got  # ghosts never get one


def test_default_rate_is_small(delivery_20k):
    applied = metadata(delivery_20k)["errors_applied"]["DTKS"]
    assert 0 < applied["nik_keluarga"] / applied["records_observed"] < 0.005
    assert metadata(delivery_20k)["error_rates"]["nik_keluarga"] == 0.002
