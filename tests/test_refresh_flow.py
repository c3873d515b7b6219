"""End to end: the refresh flow on a small delivery, under one session-wide Prefect server."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from tests.delivery_kecil import PENDUDUK
from transforms.errors import DeliveryError

pytestmark = pytest.mark.usefixtures("prefect_harness")


def personal_values() -> list[str]:
    return (
        [p[0] for p in PENDUDUK] + [p[2] for p in PENDUDUK] + [w for p in PENDUDUK for w in p[2].split() if len(w) > 4]
    )


def test_refresh_accounts_for_every_row(delivery, dtsen_home):
    from flows.refresh import refresh

    manifest_path = Path(refresh(str(delivery)))
    manifest = json.loads(manifest_path.read_text())
    assert manifest["seimbang"] is True
    r = manifest["rekonsiliasi"]
    assert r["dtks"] == {
        "berkas": 1,
        "dibaca": 6,
        "diterima": 3,
        "dikarantina": 3,
        "seimbang": True,
        "karantina_per_aturan": {"ID_GANDA": 1, "IDENTITAS_TIDAK_CUKUP": 1, "WILAYAH_TIDAK_DIKENAL": 1},
        "cacat_per_aturan": {"NIK_JENIS_KELAMIN_TIDAK_COCOK": 1, "NIK_NOTASI_ILMIAH": 1},
    }
    assert set(r) >= {
        "dukcapil_penduduk",
        "regsosek_keluarga",
        "regsosek_anggota",
        "p3ke_keluarga",
        "p3ke_anggota",
        "usulan",
        "usulan_anggota",
        "wilayah",
        "bps_kemendagri",
        "susenas",
    }
    assert len(manifest["landed"]["files"]) == 10
    # Matching: every standardized person record has an outcome (4 sources' kept records).
    padan = manifest["padan"]
    kept_persons = sum(
        r[k]["diterima"]
        for k in ("dtks", "regsosek_anggota", "p3ke_anggota", "usulan_anggota")
        for r in [manifest["rekonsiliasi"]]
    )
    assert padan["seimbang"] and padan["catatan"] == kept_persons
    assert padan["per_metode"]["DTKS"]["NIK_EXACT"] >= 1
    assert padan["model_probabilistik"]["dilatih"] is False  # a handful of records: no model, and it says so
    assert all(len(m["sha256"]) == 64 for m in manifest["landed"]["files"].values())
    assert "transforms/standardize/sql/macros.sql" in manifest["config_versions"]
    run_dir = manifest_path.parent
    assert (run_dir / "standardized/dtks_individu/32.parquet").exists()
    # Unification: living members of published families only, one row per NIK and per KK.
    satu = manifest["satukan"]
    assert satu["seimbang"] and sum(satu["catatan_per_hasil"].values()) == padan["catatan"]
    individu = duckdb.sql(f"SELECT nik, no_kk FROM '{run_dir}/unified/individu.parquet'").fetchall()
    assert len(individu) == satu["individu"] == len({n for n, _ in individu})
    dead = [p[0] for p in PENDUDUK if p[13] is not None]
    assert dead and not {n for n, _ in individu} & set(dead)
    # The published columns docs/tables.md names (ranking and objections come with their stages).
    assert {"nik", "no_kk", "nama", "tgl_lahir", "jenis_kelamin", "hubungan_keluarga", "kode_desa", "sumber"} <= set(
        duckdb.sql(f"SELECT * FROM '{run_dir}/unified/individu.parquet'").columns
    )
    assert {"no_kk", "kode_desa", "jumlah_anggota", "nik_kepala_keluarga", "sumber", "asal_bidang"} <= set(
        duckdb.sql(f"SELECT * FROM '{run_dir}/unified/keluarga.parquet'").columns
    )
    assert {"sumber", "id_sumber", "nik", "metode_padan", "probabilitas"} <= set(
        duckdb.sql(f"SELECT * FROM '{run_dir}/matched/tautan_sumber.parquet'").columns
    )
    assert {"tingkat", "sumber", "id_sumber", "alasan"} <= set(
        duckdb.sql(f"SELECT * FROM '{run_dir}/unified/verifikasi.parquet'").columns
    )
    keluarga = duckdb.sql(f"SELECT no_kk, jumlah_anggota FROM '{run_dir}/unified/keluarga.parquet'").fetchall()
    assert {k for k, _ in keluarga} == {k for _, k in individu}
    assert sum(n for _, n in keluarga) == len(individu)
    # Ranking: every published family scored and in a decile; the model named in the manifest.
    peringkat = manifest["peringkat"]
    assert peringkat["keluarga"] == satu["keluarga"] and peringkat["model"]["id"].startswith("pmt-")
    ranked = duckdb.sql(
        f"SELECT count(*), min(desil_nasional), max(desil_nasional), count(skor_kesejahteraan) "
        f"FROM '{run_dir}/ranked/keluarga.parquet'"
    ).fetchall()[0]
    assert ranked[0] == satu["keluarga"] == ranked[3] and 1 <= ranked[1] <= ranked[2] <= 10
    assert (run_dir / "ranked/model_pmt.json").exists()
    # Link rates by decile, age band and province: each breakdown sums to the match counts,
    # over the same person records matching read.
    laju = manifest["laju_padan"]
    assert laju["seimbang"] is True
    for key in ("per_desil", "per_kelompok_umur", "per_provinsi"):
        assert set(laju[key]) == set(padan["per_metode"])
        for sumber, methods in padan["per_metode"].items():
            assert sum(g["catatan"] for g in laju[key][sumber].values()) == sum(methods.values())
            linked = sum(methods.values()) - methods.get("TIDAK_PADAN", 0)
            assert sum(g["padan"] for g in laju[key][sumber].values()) == linked
    assert set(laju["per_desil"]["DTKS"]) - {"tidak diketahui"} <= {str(d) for d in range(1, 11)}
    assert set(laju["per_desil"]["DTKS"]) - {"tidak diketahui"}  # some records' KK is a ranked family
    from transforms import match
    from transforms.match.laju import load_source_fields
    from transforms.standardize import RunPaths

    con = duckdb.connect()
    match.load_records(con, RunPaths(run_dir))
    load_source_fields(con, RunPaths(run_dir))
    fields = "SELECT sumber, id_sumber, tgl_lahir, no_kk FROM "
    assert con.execute(f"{fields} catatan EXCEPT ALL {fields} laju_sumber").fetchall() == []
    assert con.execute(f"{fields} laju_sumber EXCEPT ALL {fields} catatan").fetchall() == []
    con.close()
    # Any family's score taken apart: the parts add up to its score.
    from flows.cli import app
    from transforms.rank import explain

    kk = duckdb.sql(f"SELECT min(no_kk) FROM '{run_dir}/ranked/keluarga.parquet'").fetchall()[0][0]
    family = explain(run_dir, kk)
    assert abs(family["konstanta"] + sum(family["kontribusi"].values()) - family["skor_log"]) < 1e-9
    shown = CliRunner().invoke(app, ["explain", "--run", str(run_dir), "--no-kk", kk])
    assert shown.exit_code == 0 and f"desil_nasional {family['desil_nasional']}" in shown.output
    assert CliRunner().invoke(app, ["explain", "--run", str(run_dir), "--no-kk", "0"]).exit_code == 2
    # One source record's link explained: the points add up to the decision, Splink's weights
    # to the pair's match weight; values masked unless --akses penuh.
    from transforms.match.jelaskan import explain_link

    def first_record(method: str) -> str | None:
        rows = duckdb.sql(
            f"SELECT sumber, id_sumber FROM '{run_dir}/matched/tautan_sumber.parquet' "
            f"WHERE metode_padan = '{method}' ORDER BY ALL LIMIT 1"
        ).fetchall()
        return rows[0] if rows else None

    sumber, sid = first_record("NIK_EXACT")
    step = explain_link(run_dir, sumber, sid)["nik_exact"]
    assert step["diterima"] and sum(b["poin"] for b in step["bukti"]) == step["skor"] >= step["ambang"]
    masked = CliRunner().invoke(app, ["explain", "--run", str(run_dir), "--sumber", sumber.lower(), "--id", sid])
    assert masked.exit_code == 0 and "NIK_EXACT" in masked.output and "linked" in masked.output
    assert not [v for v in personal_values() if v in masked.output]
    full = CliRunner().invoke(
        app, ["explain", "--run", str(run_dir), "--sumber", sumber, "--id", sid, "--akses", "penuh"]
    )
    assert full.exit_code == 0 and step["pemegang"]["nama"].split()[0] in full.output
    probable = first_record("PROBABILISTIC")
    if probable:
        splink_step = explain_link(run_dir, *probable)["probabilistik"]
        best = splink_step["calon"][0]
        assert abs(splink_step["bobot_awal"] + sum(s["bobot"] for s in best["langkah"]) - best["bobot"]) < 1e-6
    refused = CliRunner().invoke(app, ["explain", "--run", str(run_dir), "--sumber", "DTKS", "--id", "nobody"])
    assert refused.exit_code == 2 and "no record DTKS" in refused.output
    # Counts and checksums only: no NIK or name anywhere in the manifest.
    text = manifest_path.read_text()
    assert not [v for v in personal_values() if v in text]

    # Published: the snapshot is tagged with the cut-off and holds the ranked families.
    from dtsen.settings import get_settings
    from warehouse import Akses, open_catalog, open_snapshot, resolve

    assert manifest["terbit"]["baru"] is True and manifest["terbit"]["tag"] == manifest["cutoff"]
    catalog = open_catalog()
    snapshot = resolve(catalog)
    assert snapshot.tag == manifest["cutoff"] and snapshot.jumlah_baris["keluarga"] == satu["keluarga"]
    published = open_snapshot(catalog, snapshot, Akses.penuh)
    assert published.execute("SELECT count(*), count(desil_nasional) FROM keluarga").fetchall() == [
        (satu["keluarga"], satu["keluarga"])
    ]

    # The reading commands on it: SQL at both access levels, a diff, a status look-up.
    tag = snapshot.tag
    counted = CliRunner().invoke(
        app, ["query", "SELECT count(*) AS n FROM keluarga", "--akses", "penuh", "--snapshot", tag]
    )
    assert counted.exit_code == 0 and f"{satu['keluarga']}" in counted.output
    out = dtsen_home / "analis.parquet"
    exported = CliRunner().invoke(app, ["query", "SELECT * FROM individu", "--format", "parquet", "--out", str(out)])
    assert exported.exit_code == 0, exported.output  # the analyst tables, published with the snapshot
    assert "nik" not in duckdb.sql(f"SELECT * FROM '{out}'").columns
    same = CliRunner().invoke(app, ["diff", tag, tag, "--akses", "penuh", "--out", str(dtsen_home / "diff")])
    assert same.exit_code == 0 and (dtsen_home / "diff" / "per_provinsi.csv").exists()
    assert duckdb.sql(f"SELECT count(*) FROM '{dtsen_home}/diff/perubahan.parquet'").fetchall() == [(0,)]
    nik = duckdb.sql(f"SELECT min(nik) FROM '{run_dir}/ranked/individu.parquet'").fetchall()[0][0]
    looked_up = CliRunner().invoke(app, ["status", nik])
    assert looked_up.exit_code == 0 and "listed in snapshot" in looked_up.output and nik not in looked_up.output
    from warehouse.audit import entries

    audit = entries(get_settings())
    # Four reads of the warehouse and the full view of one record's link (jelaskan --akses penuh).
    assert [e["perintah"] for e in audit] == ["jelaskan", "query", "query", "diff", "status"]
    assert nik not in json.dumps(audit, default=str)

    # The same delivery again: recognised, same run folder, same counts, no second snapshot.
    again = json.loads(Path(refresh(str(delivery))).read_text())
    assert again["landed"]["reused"] is True and again["run_id"] == manifest["run_id"]
    assert again["rekonsiliasi"] == manifest["rekonsiliasi"]
    assert again["terbit"]["baru"] is False and again["terbit"]["tag"] == manifest["terbit"]["tag"]
    # Each attempt keeps its own manifest: the first one's is not overwritten.
    assert (again["percobaan"], manifest["percobaan"]) == (2, 1)
    first = json.loads((run_dir / "percobaan" / "1" / "manifest.json").read_text())
    assert first["started"] == manifest["started"] != again["started"]
    # The stages are taken from the first run, the last validation too (the raw suite runs
    # again: its baseline, the current snapshot, is now the first run's).
    stages = {"match-national", "unify-gather", "rank-gather", "laju-padan", "validate-terpadu", "validate-terbit"}
    assert stages <= set(again["dipakai_ulang"])
    assert again["laju_padan"] == laju


def test_unreadable_file_fails_the_run_and_writes_nothing(delivery, dtsen_home):
    from flows.refresh import refresh

    before = set((dtsen_home / "runs").glob("*/manifest.json"))
    f = delivery / "p3ke/p3ke_keluarga.csv"
    f.write_text(f.read_text().replace("NO_KK", "NOMOR_KK", 1))
    with pytest.raises(DeliveryError) as e:
        refresh(str(delivery))
    assert e.value.column == "NO_KK" and "p3ke_keluarga.csv" in e.value.file and e.value.row == 1
    assert set((dtsen_home / "runs").glob("*/manifest.json")) == before  # no run was recorded as done


def test_cli_prints_a_clear_error(delivery):
    from flows.cli import app

    (delivery / "dtks/dtks_32.csv").write_bytes("ID_DTKS;NAMA\nD1;é\n".encode())
    result = CliRunner().invoke(app, ["refresh", "--delivery", str(delivery)])
    assert result.exit_code == 2
    assert "dtks_32.csv" in result.output and "Nothing was published" in result.output
    assert "Traceback" not in result.output


def test_synth_refuses_to_overwrite_a_delivery(tmp_path):
    from flows.cli import app

    args = ["synth", "--out", str(tmp_path), "--persons", "300", "--seed", "3", "--cutoff", "2026-10-17"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0 and (tmp_path / "2026-10-17/dukcapil/penduduk.parquet").exists()
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 2 and "already exists" in again.output and "Traceback" not in again.output


def test_a_critical_quality_failure_publishes_nothing(delivery, dtsen_home, monkeypatch, tmp_path):
    """A later delivery whose ranking goes wrong (families left without a decile): the
    quality gate stops the run, and the snapshot published before stays current."""
    from expectations import QualityError
    from flows.refresh import refresh
    from tests.delivery_kecil import write_delivery
    from transforms.rank import per_partisi
    from warehouse import open_catalog, snapshots

    refresh(str(delivery))
    before = [s.tag for s in snapshots(open_catalog())]
    gathered = per_partisi.gather

    def rank_without_deciles(con, paths, *args, **kwargs):
        counts = gathered(con, paths, *args, **kwargs)
        out = paths.run_dir / "ranked" / "keluarga.parquet"
        con.execute(
            f"COPY (SELECT * REPLACE (NULL::INTEGER AS desil_nasional) FROM '{out}') TO '{out}.tmp' (FORMAT parquet)"
        )
        Path(f"{out}.tmp").replace(out)
        return counts

    monkeypatch.setattr(per_partisi, "gather", rank_without_deciles)
    later = write_delivery(tmp_path / "later", cutoff=dt.date(2026, 12, 17))
    with pytest.raises(QualityError, match="SETIAP_KELUARGA_BERDESIL"):
        refresh(str(later))
    assert [s.tag for s in snapshots(open_catalog())] == before
    failed = json.loads(next((dtsen_home / "runs").glob("2026-12-17_*/manifest.json")).read_text())
    assert failed["mutu"]["status"] == "GAGAL" and "terbit" not in failed


def test_the_run_report_has_no_personal_data(delivery, dtsen_home):
    """Prefect artifacts and laporan.html: counts, rates and deciles; no NIK or name."""
    from flows import report
    from flows.refresh import refresh

    manifest_path = Path(refresh(str(delivery)))
    run_dir = manifest_path.parent
    manifest = json.loads(manifest_path.read_text())
    content = report.gather(run_dir, manifest)
    text = report.markdown(content) + json.dumps(report.table(content)) + (run_dir / "laporan.html").read_text()
    assert "Quality: LULUS" in text and "Decile distribution" in text
    assert "Who fails to link" in text and "## Link rate by desil" in text  # from the manifest's laju_padan
    assert sum(p for _, _, p in content["desil"]) == manifest["satukan"]["individu"]
    assert not [v for v in personal_values() if v in text]
    assert set(manifest["isi"]) == {"keluarga", "individu", "tautan_sumber", "verifikasi", "karantina", "usulan"}
