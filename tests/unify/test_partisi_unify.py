"""Unification by partition equals the national unify, whatever the split: on hand-made
runs whose rows cross partitions (a household reaching KKs in two provinces, one NIK in two
provinces' lists, proposals and carried decisions about a family of another province), and
on a generated delivery through standardize and match, split one way, by province and by
groups of regencies."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.gathered import assert_partitions_one_after_another
from tests.unify.test_unify import BOOLEAN_FIELDS
from transforms import partisi, unify
from transforms.standardize import RunPaths
from transforms.unify import keputusan, survivorship, terbagi

CUTOFF = dt.date(2026, 11, 17)
DESA_BOGOR, DESA_SUKABUMI, DESA_DENPASAR = "3201051001", "3202011001", "5171011004"
KK_A, KK_B, KK_D, KK_E, KK_F = (
    "3201050202100001",  # parents, Bogor
    "5171010303200002",  # their son's own KK since he moved to Denpasar
    "3202010404300003",  # a family in Sukabumi
    "5171010505400004",  # a family in Denpasar
    "5171010606500005",  # a family in Denpasar no source lists
)
# nik, no_kk, stat_hbkel, kode_desa
REGISTRY = [
    ("3201050101700001", KK_A, 1, DESA_BOGOR),
    ("3201054202720002", KK_A, 3, DESA_BOGOR),
    ("3201050303950003", KK_B, 1, DESA_DENPASAR),  # first registered in Bogor, lives in Bali
    ("5171014404960004", KK_B, 3, DESA_DENPASAR),
    ("3202010505800005", KK_D, 1, DESA_SUKABUMI),
    ("5171010606810006", KK_E, 1, DESA_DENPASAR),
    ("5171010707820007", KK_F, 1, DESA_DENPASAR),
]
NIK = [r[0] for r in REGISTRY]
FIELDS = [f for g in survivorship.load() for f in g.fields]
TYPES = {f: pa.bool_() if f in BOOLEAN_FIELDS else pa.float64() if f == "r302" else pa.int32() for f in FIELDS}
# Which source carries which fields (together: every configured field, as survivorship checks).
SOURCE_FIELDS = {
    "DTKS": ["pkh", "bpnt", "pbi", "r303", "r304"],
    "REGSOSEK": [f for f in FIELDS if f.startswith("r")],
    "P3KE": ["desil_p3ke", "bpnt", "pkh", "bpum", "rumah_tidak_layak_huni", "air_minum_tidak_layak",
             "jamban_tidak_layak"],
}  # fmt: skip
S = pa.string()


def write(path: Path, rows: list[dict], schema: pa.Schema) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)


class Run:
    """A hand-made run folder as standardize and match leave it: persons, households,
    proposals, and the link of every record."""

    def __init__(self, root: Path):
        self.paths = RunPaths(root / "run")
        self.members: list[dict] = []
        self.households: list[dict] = []
        self.proposals: list[dict] = []
        self.links: list[dict] = []

    def person(self, sumber, id_sumber, household, hubungan, nik, desa):
        self.members.append(
            {"sumber": sumber, "id_sumber": id_sumber, "id_keluarga_sumber": household, "hubungan": hubungan,
             "kode_desa": desa, "kode_prov": desa[:2]}
        )  # fmt: skip
        self.links.append({"sumber": sumber, "id_sumber": id_sumber, "nik": nik, "metode_padan": "NIK_EXACT"})

    def household(self, sumber, household, desa, tanggal, **fields):
        self.households.append(
            {"sumber": sumber, "id_keluarga_sumber": household, "no_kk": None, "kode_desa": desa,
             "kode_prov": desa[:2], "tanggal_data": tanggal, **fields}
        )  # fmt: skip

    def proposal(self, id_usulan, jenis, no_kk, desa, tanggal, alasan=None, perubahan=None, keluarga=None):
        self.proposals.append(
            {"id_sumber": id_usulan, "kanal": "APLIKASI", "jenis": jenis, "tanggal": tanggal,
             "status": "TERVERIFIKASI_DINSOS", "no_kk": no_kk, "kode_desa": desa, "kode_prov": desa[:2],
             "alasan": alasan, "perubahan": json.dumps(perubahan), "keluarga": json.dumps(keluarga)}
        )  # fmt: skip

    def write(self) -> RunPaths:
        p = self.paths
        registry = pa.schema(
            [("nik", S), ("no_kk", S), ("nama", S), ("tgl_lahir", pa.date32()), ("jenis_kelamin", pa.int32()),
             ("stat_hbkel", pa.int32()), ("kode_desa", S), ("kode_prov", S), ("tgl_mati", pa.date32())]
        )  # fmt: skip
        write(
            p.standardized("dukcapil_penduduk"),
            [{"nik": n, "no_kk": k, "nama": "X", "tgl_lahir": dt.date(1970, 1, 1), "jenis_kelamin": 1,
              "stat_hbkel": h, "kode_desa": d, "kode_prov": d[:2], "tgl_mati": None} for n, k, h, d in REGISTRY],
            registry,
        )  # fmt: skip
        member = pa.schema([(c, S) for c in ("sumber", "id_sumber", "id_keluarga_sumber")] + [("hubungan", pa.int32())])
        member = member.append(pa.field("kode_desa", S)).append(pa.field("kode_prov", S))
        provinces = {m["kode_prov"] for m in self.members if m["sumber"] == "DTKS"} | {"32"}
        for prov in sorted(provinces):  # DTKS comes one file per province
            rows = [m for m in self.members if m["sumber"] == "DTKS" and m["kode_prov"] == prov]
            write(p.run_dir / "standardized" / "dtks_individu" / f"{prov}.parquet", rows, member)
        for sumber in ("REGSOSEK", "P3KE", "USULAN"):
            rows = [m for m in self.members if m["sumber"] == sumber]
            write(p.standardized(f"{sumber.lower()}_anggota"), rows, member)
        self._write_households()
        usulan = pa.schema(
            [(c, S) for c in ("id_sumber", "kanal", "jenis")] + [("tanggal", pa.date32())]
            + [(c, S) for c in ("status", "no_kk", "kode_desa", "kode_prov", "alasan", "perubahan", "keluarga")]
        )  # fmt: skip
        write(p.standardized("usulan"), self.proposals, usulan)
        link = pa.schema([(c, S) for c in ("sumber", "id_sumber", "nik", "metode_padan")])
        write(p.run_dir / "matched" / "tautan_sumber.parquet", self.links, link)
        check = pa.schema([(c, S) for c in ("sumber", "id_sumber", "alasan", "nik_cacat", "kode_desa", "kode_prov")])
        write(p.run_dir / "matched" / "verifikasi.parquet", [], check)
        return p

    def _write_households(self) -> None:
        base = [("id_keluarga_sumber", S), ("no_kk", S), ("kode_desa", S), ("kode_prov", S),
                ("tanggal_data", pa.date32())]  # fmt: skip
        for sumber, fields in SOURCE_FIELDS.items():
            extra = {"DTKS": [], "REGSOSEK": ["baris", "id_sumber", "kk_cacat", "kode_bps", "kode_tidak_valid"],
                     "P3KE": ["baris", "id_sumber", "kk_cacat", "nik_kepala_keluarga", "nik_kepala_cacat", "alamat",
                              "label_tidak_dikenal"]}[sumber]  # fmt: skip
            schema = pa.schema(
                ([] if sumber == "DTKS" else [("sumber", S)]) + base + [(f, TYPES[f]) for f in fields]
                + [(c, S) for c in extra]
            )  # fmt: skip
            rows = [h for h in self.households if h["sumber"] == sumber]
            if sumber == "DTKS":
                for prov in sorted({h["kode_prov"] for h in rows} | {"32"}):
                    mine = [h for h in rows if h["kode_prov"] == prov]
                    write(self.paths.run_dir / "standardized" / "dtks_keluarga" / f"{prov}.parquet", mine, schema)
            else:
                write(self.paths.standardized(f"{sumber.lower()}_keluarga"), rows, schema)


def plans(paths: RunPaths, max_persons: int = 2) -> dict[str, tuple[bool, int]]:
    """One partition; provinces; provinces split into groups of regencies (Jawa Barat in two)."""
    return {"satu": (True, 10**9), "provinsi": (False, 10**9), "kabupaten": (False, max_persons)}


def national(paths: RunPaths, bawaan: Path | None = None) -> tuple[dict, Path]:
    """Today's national unify, its tables kept aside as the reference."""
    counts = unify.unify(duckdb.connect(), paths, CUTOFF, bawaan)
    ref = paths.run_dir / "acuan"
    shutil.rmtree(ref, ignore_errors=True)
    shutil.copytree(paths.run_dir / "unified", ref, ignore=shutil.ignore_patterns("kerja"))
    return counts, ref


def partitioned(paths: RunPaths, single: bool, max_persons: int, bawaan: Path | None = None) -> tuple[dict, Path]:
    plan_file = paths.run_dir / "partisi.parquet"
    partisi.plan(duckdb.connect(), paths.standardized("dukcapil_penduduk"), plan_file, max_persons, single)
    counts = terbagi.unify_by_partition(duckdb.connect, paths, CUTOFF, bawaan, plan_file)
    return counts, terbagi.work_dir(paths.run_dir, plan_file, terbagi._digest(bawaan))


def assert_same_tables(ref: Path, got: Path) -> None:
    con = duckdb.connect()
    for table in unify.TABLES:
        a, b = str(ref / f"{table}.parquet"), str(got / f"{table}.parquet")
        schema = "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet($f))"
        assert con.execute(schema, {"f": a}).fetchall() == con.execute(schema, {"f": b}).fetchall(), table
        # Same rows in the same order: the row number is part of each row compared.
        numbered = "SELECT row_number() OVER () AS baris_ke, * FROM read_parquet($f)"
        differ = f"SELECT count(*) FROM (({numbered.replace('$f', '$a')}) EXCEPT ALL ({numbered.replace('$f', '$b')}))"
        assert con.execute(differ, {"a": a, "b": b}).fetchall() == [(0,)], table
        assert con.execute(differ, {"a": b, "b": a}).fetchall() == [(0,)], table


def assert_every_split_is_national(paths: RunPaths, bawaan: Path | None = None, max_persons: int = 2) -> dict:
    """The partitioned unify under every plan gives today's national tables and counts;
    returns each plan's work folder (to see where rows went)."""
    expected, ref = national(paths, bawaan)
    work = {}
    for name, (single, limit) in plans(paths, max_persons).items():
        counts, work[name] = partitioned(paths, single, limit, bawaan)
        assert counts == expected, name
        assert_same_tables(ref, paths.run_dir / "unified")
    return work


def routed(work: Path, table: str, where: str = "true") -> set[tuple]:
    """(partisi, row id) of a routed table's rows matching `where`."""
    key = {"rumah_tangga_kk": "id_keluarga_sumber", "keluarga_sumber": "id_keluarga_sumber", "anggota": "nik",
           "usulan": "id_usulan", "keputusan": "id_usulan", "penduduk": "no_kk"}[table]  # fmt: skip
    return set(
        duckdb.connect()
        .execute(
            f"SELECT partisi, {key} FROM read_parquet($f, hive_partitioning = true, hive_types_autocast = false) "
            f"WHERE {where}",
            {"f": str(work / "rute" / table / "*" / "*.parquet")},
        )
        .fetchall()
    )


def families(paths: RunPaths) -> dict[str, dict]:
    cur = duckdb.connect().execute(
        "SELECT * FROM read_parquet($f)", {"f": str(paths.run_dir / "unified/keluarga.parquet")}
    )
    names = [d[0] for d in cur.description]
    return {row[0]: dict(zip(names, row)) for row in cur.fetchall()}


def test_a_household_reaching_kks_in_two_provinces_is_decided_with_both(tmp_path):
    run = Run(tmp_path)
    # DTKS (Jawa Barat's file) still lists the son and his wife with his parents; he has
    # since moved to Denpasar on a KK of his own. Regsosek lists the son's own household.
    run.person("DTKS", "d1", "K1", 1, NIK[0], DESA_BOGOR)
    run.person("DTKS", "d2", "K1", 2, NIK[1], DESA_BOGOR)
    run.person("DTKS", "d3", "K1", 3, NIK[2], DESA_BOGOR)
    run.person("DTKS", "d4", "K1", 4, NIK[3], DESA_BOGOR)
    run.person("REGSOSEK", "r1", "R1", 1, NIK[2], DESA_DENPASAR)
    run.household("DTKS", "K1", DESA_BOGOR, dt.date(2024, 3, 1), r303=2, r304=1, pkh=True, bpnt=True)
    run.household("REGSOSEK", "R1", DESA_DENPASAR, dt.date(2022, 10, 1), r303=9)
    paths = run.write()
    work = assert_every_split_is_national(paths)
    # Really across partitions: the household's pairs went to Jawa Barat and to Bali.
    assert routed(work["provinsi"], "rumah_tangga_kk", "id_keluarga_sumber = 'K1'") == {("32", "K1"), ("51", "K1")}
    assert routed(work["kabupaten"], "keluarga_sumber", "id_keluarga_sumber = 'K1'") == {("32-1", "K1"), ("51-1", "K1")}
    fam = families(paths)
    # The son's family: his own Regsosek household speaks first, the parents' DTKS household
    # still gives the programme flags; utama was chosen over both of K1's KKs.
    assert (fam[KK_B]["r303"], fam[KK_B]["bpnt"], fam[KK_B]["asal_bidang"]["bpnt"]) == (9, True, "DTKS")
    assert {(h["id_keluarga_sumber"], h["utama"]) for h in fam[KK_B]["rumah_tangga_sumber"]} == {
        ("K1", False),
        ("R1", True),
    }
    assert fam[KK_A]["r303"] == 2


def test_one_nik_in_two_provinces_lists_is_one_person(tmp_path):
    run = Run(tmp_path)
    # The son is listed by DTKS in Jawa Barat's file and again in Bali's.
    run.person("DTKS", "d3", "K1", 1, NIK[2], DESA_BOGOR)
    run.person("DTKS", "d9", "K9", 1, NIK[2], DESA_DENPASAR)
    run.person("DTKS", "d10", "K9", 2, NIK[3], DESA_DENPASAR)
    run.household("DTKS", "K1", DESA_BOGOR, dt.date(2024, 3, 1), r303=2)
    run.household("DTKS", "K9", DESA_DENPASAR, dt.date(2025, 3, 1), r303=4)
    paths = run.write()
    work = assert_every_split_is_national(paths)
    # The two records came from two provinces' files, and both went to his KK's partition.
    assert routed(work["provinsi"], "anggota", f"nik = '{NIK[2]}' AND kode_prov = '32'") == {("51", NIK[2])}
    assert routed(work["provinsi"], "anggota", f"nik = '{NIK[2]}' AND kode_prov = '51'") == {("51", NIK[2])}
    con = duckdb.connect()
    individu = con.execute(
        "SELECT nik, count(*), any_value(sumber) FROM read_parquet($f) GROUP BY nik",
        {"f": str(paths.run_dir / "unified/individu.parquet")},
    ).fetchall()
    assert sorted(individu) == [(NIK[2], 1, ["DTKS"]), (NIK[3], 1, ["DTKS"])]
    assert families(paths)[KK_B]["r303"] == 4  # the newer listing


def test_proposals_and_objections_are_decided_where_the_kk_they_name_is(tmp_path):
    run = Run(tmp_path)
    run.person("REGSOSEK", "r1", "R1", 1, NIK[2], DESA_DENPASAR)
    run.person("REGSOSEK", "r5", "R5", 1, NIK[4], DESA_SUKABUMI)
    run.household("REGSOSEK", "R1", DESA_DENPASAR, dt.date(2022, 10, 1), r303=9, r304=2)
    run.household("REGSOSEK", "R5", DESA_SUKABUMI, dt.date(2022, 10, 1), r303=9)
    # Filed in Bogor (Jawa Barat) about the son's family in Denpasar (Bali).
    run.proposal("P1", "PERBAIKAN", KK_B, DESA_BOGOR, dt.date(2026, 10, 2), perubahan={"r303": 7})
    run.proposal("S1", "SANGGAHAN", KK_B, DESA_BOGOR, dt.date(2026, 10, 3), alasan="MAMPU")
    run.proposal("S2", "SANGGAHAN", KK_D, DESA_DENPASAR, dt.date(2026, 10, 3), alasan="PINDAH")
    # A new family proposed in Sukabumi's name whose member lives on a Denpasar KK.
    run.proposal("U1", "USUL_BARU", KK_D, DESA_SUKABUMI, dt.date(2026, 10, 4), keluarga={"r303": 5})
    run.person("USULAN", "U1:1", "U1", 1, NIK[5], DESA_SUKABUMI)
    paths = run.write()
    work = assert_every_split_is_national(paths)
    # Filed in one province, decided in the other.
    assert routed(work["provinsi"], "usulan") == {("51", "P1"), ("51", "S1"), ("32", "S2"), ("51", "U1")}
    assert routed(work["kabupaten"], "usulan", "id_usulan = 'S2'") == {("32-2", "S2")}
    fam = families(paths)
    assert (fam[KK_B]["r303"], fam[KK_B]["asal_bidang"]["r303"], fam[KK_B]["layak_sasaran"]) == (7, "USULAN", False)
    assert fam[KK_E]["sumber"] == ["USULAN"] and fam[KK_E]["r303"] == 5
    outcome = dict(
        duckdb.connect()
        .execute("SELECT id_usulan, hasil FROM read_parquet($f)", {"f": str(paths.run_dir / "unified/usulan.parquet")})
        .fetchall()
    )
    assert outcome == {"P1": "DITERAPKAN", "S1": "DITERAPKAN", "S2": "DITERAPKAN", "U1": "DITERAPKAN"}


def carried_decisions(path: Path, rows: list[dict]) -> Path:
    types = {"VARCHAR": S, "DATE": pa.date32()}
    write(path, rows, pa.schema([(c, types[t]) for c, t in keputusan.CARRIED]))
    return path


def test_carried_decisions_reach_a_family_of_another_partition(tmp_path):
    run = Run(tmp_path)
    run.person("REGSOSEK", "r1", "R1", 1, NIK[2], DESA_DENPASAR)
    run.household("REGSOSEK", "R1", DESA_DENPASAR, dt.date(2022, 10, 1), r303=9, r304=2)
    run.person("DTKS", "d1", "K1", 1, NIK[0], DESA_BOGOR)
    run.household("DTKS", "K1", DESA_BOGOR, dt.date(2024, 3, 1), r303=2)
    # The feed still holds one decision (S9, an objection to the parents' KK): it goes with its entry.
    run.proposal("S9", "SANGGAHAN", KK_A, DESA_DENPASAR, dt.date(2026, 9, 1), alasan="MAMPU")
    paths = run.write()
    october = dt.date(2026, 10, 17)

    def decision(id_usulan, jenis, no_kk, **kw):
        return {"id_usulan": id_usulan, "kanal": "APLIKASI", "jenis": jenis, "tanggal": dt.date(2026, 9, 1),
                "status": "TERVERIFIKASI_DINSOS", "no_kk": no_kk, "kode_desa": DESA_BOGOR, "kode_prov": "32",
                "alasan": None, "diterapkan_sejak": october, "perubahan": None, "nilai_sumber": None, "rumah": None,
                **kw}  # fmt: skip

    bawaan = carried_decisions(
        paths.run_dir / "bawaan" / "keputusan.parquet",
        [
            # given in Bogor, about families in Denpasar
            decision(
                "P1", "PERBAIKAN", KK_B, perubahan=json.dumps({"r303": 7}), nilai_sumber=json.dumps({"r303": "9"})
            ),
            decision("S1", "SANGGAHAN", KK_B, alasan="MAMPU"),
            decision("U1", "USUL_BARU", KK_F, rumah=json.dumps({"r303": 3})),
            decision("S9", "SANGGAHAN", KK_A, alasan="MAMPU"),
        ],
    )
    work = assert_every_split_is_national(paths, bawaan)
    assert routed(work["provinsi"], "keputusan") == {("51", "P1"), ("51", "S1"), ("51", "U1"), ("32", "S9")}
    fam = families(paths)
    assert (fam[KK_B]["r303"], fam[KK_B]["layak_sasaran"]) == (7, False)
    assert (fam[KK_F]["sumber"], fam[KK_F]["r303"]) == (["USULAN"], 3)
    assert fam[KK_A]["layak_sasaran"] is False
    assert [d["id_usulan"] for d in fam[KK_B]["keputusan"]] == ["P1", "S1"]


@pytest.fixture(scope="module")
def matched_run(tmp_path_factory) -> RunPaths:
    """A generated delivery of Aceh and Bali (real regency codes), standardized and matched."""
    from synthetic import generate_delivery
    from tests.match.tabel import match_run
    from tests.test_synthetic_through_standardize import _two_provinces, standardize_all

    tmp = tmp_path_factory.mktemp("terbagi")
    delivery = generate_delivery(tmp / "deliveries", 2500, 7, CUTOFF, regions=_two_provinces(tmp))
    paths, _ = standardize_all(delivery, tmp)
    match_run(paths)
    return paths


def test_a_generated_delivery_unifies_the_same_whatever_the_split(matched_run):
    con = duckdb.connect()
    persons = con.execute(
        "SELECT count(*) FROM read_parquet($f)", {"f": str(matched_run.standardized("dukcapil_penduduk"))}
    ).fetchall()[0][0]
    work = assert_every_split_is_national(matched_run, max_persons=persons // 6)
    split = {p for p, _ in routed(work["kabupaten"], "penduduk")}
    assert {"11", "51"} == {p for p, _ in routed(work["provinsi"], "penduduk")}
    assert len(split) >= 4 and any(p.startswith("11-") for p in split)
    # Records were routed away from the partition of the village their source gives: the
    # cross-partition routing is met, not only allowed.
    con = duckdb.connect()
    partisi.load(con, matched_run.run_dir / "partisi.parquet")
    moved = con.execute(
        "SELECT count(*) FROM read_parquet($f, hive_partitioning = true, hive_types_autocast = false) "
        "WHERE partisi <> partisi_desa(kode_desa)",
        {"f": str(work["kabupaten"] / "rute" / "anggota" / "*" / "*.parquet")},
    ).fetchall()[0][0]
    assert moved > 0
    # The last split's families and members: its partitions' sorted files one after another,
    # in the order of their ids, without a national sort.
    for table in ("keluarga", "individu"):
        gathered = matched_run.run_dir / "unified" / f"{table}.parquet"
        assert_partitions_one_after_another(work["kabupaten"] / "partisi", table, gathered)
