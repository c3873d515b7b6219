"""Housekeeping (`dtsen cleanup`) on hand-made runs: after a killed publish and a cleanup the
orphans are gone and every tag reads the same rows; a dry run removes nothing; the retention
keeps every tagged and every published snapshot; stale analyst copies and landed copies of
deliveries never published go, live ones stay. The Iceberg tests run on both catalog databases;
those of the home's own folders (analis, landed) on SQLite, where nothing of them differs."""

from __future__ import annotations

import importlib
import json
import os
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dtsen.settings import Settings
from tests.warehouse.runs import family, write_run
from warehouse import Akses, open_catalog, open_snapshot, publish, snapshots
from warehouse.audit import entries
from warehouse.catalog import TABLES, identifier, local_path
from warehouse.isi import content_hash
from warehouse.rapikan import analyst_dir, rencana, terapkan

KK1, KK2, KK3, KK4 = "3201010101000001", "3201010101000002", "3301010101000003", "3301010101000004"
N = {i: f"32010101019{i:05d}" for i in range(1, 10)} | {i: f"33010101019{i:05d}" for i in range(10, 20)}
OCTOBER = [family(KK1, 1, N[1], N[2]), family(KK2, 5, N[3]), family(KK3, 9, N[10], N[11])]
NOVEMBER = [family(KK1, 2, N[1], N[2], N[4]), family(KK3, 9, N[10], N[11]), family(KK4, 3, N[12])]
DECEMBER = [family(KK1, 2, N[1], N[2], N[4]), family(KK4, 4, N[12], N[13])]
MONTH = 30 * 24 * 3600


def now_for_all(settings: Settings) -> Settings:
    """No retention and no grace: everything that may go, goes."""
    return settings.model_copy(update={"snapshot_retention_days": 0, "cleanup_grace_hours": 0})


def every_tag(catalog, settings: Settings) -> dict[str, dict[str, tuple[int, str]]]:
    """Per published tag and table: its rows and their content hash."""
    out = {}
    for snapshot in snapshots(catalog):
        con = open_snapshot(catalog, snapshot, Akses.penuh)
        out[snapshot.tag] = {t: content_hash(con, f"SELECT * FROM {t}") for t in TABLES}
    return out


def warehouse_files(settings: Settings) -> dict[str, int]:
    """The warehouse's files and sizes; not the SQLite catalog database, which the audit log
    (also of a dry run) writes to."""
    return {
        str(p): p.stat().st_size
        for p in (settings.home_dir / "warehouse").rglob("*")
        if p.is_file() and p.name != "catalog.db"
    }


def killed_publish(catalog, run: Path) -> None:
    """A publish that dies after staging its third table's files, before committing them (and
    so before the registry hears of it): two tables and their analyst tables committed, one
    folder of orphans."""
    P = importlib.import_module("warehouse.publish")  # the module (the package exports its function)
    commit, calls = P.commit, []

    def commit_or_die(*args, **kwargs):
        calls.append(1)
        if len(calls) == 5:  # keluarga, analis_keluarga, individu, analis_individu, then tautan_sumber
            raise KeyboardInterrupt("killed")
        return commit(*args, **kwargs)

    P.commit = commit_or_die
    try:
        with pytest.raises(KeyboardInterrupt):
            publish(catalog, run)
    finally:
        P.commit = commit


@pytest.fixture
def three_publishes(catalog, tmp_path):
    runs = tmp_path / "runs"
    publish(catalog, write_run(runs, "2026-10-17", "a" * 64, OCTOBER))
    publish(catalog, write_run(runs, "2026-11-17", "b" * 64, NOVEMBER, dead=(N[3],)))
    december = write_run(runs, "2026-12-17", "c" * 64, DECEMBER)
    killed_publish(catalog, december)
    return december


def test_after_a_killed_publish_and_a_cleanup_the_orphans_are_gone_and_every_tag_reads_the_same(
    catalog, settings, three_publishes
):
    settings = now_for_all(settings)
    before = every_tag(catalog, settings)
    assert set(before) == {"2026-10-17", "2026-11-17"}
    staged = sorted((settings.home_dir / "warehouse" / "dtsen" / "tautan_sumber" / "data").glob("2026-12-17-*/*/*"))
    assert staged, "the killed publish staged tautan_sumber's files"

    plan = rencana(catalog, settings)
    orphans = {i.target for i in plan.items if i.kind == "data"}
    assert {str(p) for p in staged} <= orphans
    assert all("never committed" in i.why for i in plan.items if i.kind == "data")
    done = terapkan(catalog, settings, plan)
    assert {i.key for i in done.removed} == {i.key for i in plan.items} and not done.skipped

    assert not any(p.exists() for p in staged)
    assert every_tag(catalog, settings) == before
    # What is left is exactly what the tables reach: no file under data/ that no snapshot lists.
    for name in TABLES:
        table = catalog.load_table(identifier(name))
        listed = {
            local_path(e.data_file.file_path)
            for s in table.snapshots()
            for m in s.manifests(table.io)
            for e in m.fetch_manifest_entry(table.io)
        }
        on_disk = {str(p) for p in Path(local_path(table.location()), "data").rglob("*.parquet")}
        assert on_disk == listed, name
    assert not rencana(catalog, settings).items  # nothing more to remove
    # The warehouse goes on: December publishes, every tag still reads as before.
    assert publish(catalog, three_publishes).snapshot.tag == "2026-12-17"
    after = every_tag(catalog, settings)
    assert {t: after[t] for t in before} == before


def test_a_dry_run_removes_nothing(catalog, settings, three_publishes):
    settings = now_for_all(settings)
    files = warehouse_files(settings)
    pointers = {n: catalog.load_table(identifier(n)).metadata_location for n in TABLES}
    plan = rencana(catalog, settings)
    assert {k for k, (n, _) in plan.per_kind().items() if n} >= {"snapshot", "data", "metadata"}
    assert plan.bytes == sum(i.bytes for i in plan.items) > 0
    assert warehouse_files(settings) == files
    assert {n: catalog.load_table(identifier(n)).metadata_location for n in TABLES} == pointers


def test_the_retention_keeps_every_tagged_and_every_published_snapshot(catalog, settings, three_publishes):
    # Within the retention (the default, 90 days) no snapshot goes, and nothing else is touched yet.
    assert not [i for i in rencana(catalog, settings).items if i.kind == "snapshot"]
    published = snapshots(catalog)
    # A tag lost to a kill between registering and tagging: the registry still protects it.
    keluarga = catalog.load_table(identifier("keluarga"))
    keluarga.manage_snapshots().remove_tag("2026-10-17").commit()
    before = every_tag(catalog, settings)

    settings = now_for_all(settings)
    terapkan(catalog, settings)
    for name in TABLES:
        table = catalog.load_table(identifier(name))
        left = {s.snapshot_id for s in table.snapshots()}
        registered = {s.snapshot_tabel[name] for s in published if s.snapshot_tabel.get(name) is not None}
        tagged = {ref.snapshot_id for ref in table.refs().values()}  # the tags and the head (`main`)
        assert left == registered | tagged, name
    assert every_tag(catalog, settings) == before


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_analyst_copies_of_the_old_kind_go_the_published_analyst_tables_stay(catalog, settings, tmp_path):
    publish(catalog, write_run(tmp_path / "runs", "2026-10-17", "a" * 64, OCTOBER))
    folder = analyst_dir(settings)
    folder.mkdir(parents=True)
    old = folder / f"{catalog.name}-2026-10-17-{'0' * 12}.duckdb"
    half = folder / f".{catalog.name}-2026-10-17-{'0' * 12}.duckdb.4242.tmp"
    young = folder / f"{catalog.name}-2026-09-17-{'1' * 12}.duckdb"
    others = folder / f"lain-2026-09-17-{'0' * 12}.duckdb"  # another catalog's: not this one's to judge
    for p in (old, half, young, others):
        p.write_bytes(b"x" * 100)
        if p is not young:
            os.utime(p, (time.time() - MONTH,) * 2)

    done = terapkan(catalog, settings)  # the default grace (a week): a month-old copy may go
    assert {i.target for i in done.removed if i.kind == "analis"} == {str(old), str(half)}
    assert sorted(p.name for p in folder.iterdir()) == sorted([young.name, others.name])
    con = open_snapshot(catalog, snapshots(catalog)[0], Akses.analis)
    assert con.execute("SELECT count(*) FROM keluarga").fetchall() == [(3,)]


def landed_copy(settings: Settings, cutoff: str, fingerprint: str, age: float) -> Path:
    """A landed copy as transforms/ingest/land.py leaves it: read-only files, checksums.json."""
    copy = settings.landed_dir / cutoff / fingerprint[:16]
    (copy / "dtks").mkdir(parents=True)
    (copy / "dtks" / "dtks_32.csv").write_text("NIK,NAMA\n")
    (copy / "checksums.json").write_text(json.dumps({"fingerprint": fingerprint, "cutoff": cutoff}))
    for p in sorted(copy.rglob("*"), reverse=True):
        if p.is_file():
            p.chmod(0o444)
        os.utime(p, (time.time() - age,) * 2)
    os.utime(copy, (time.time() - age,) * 2)  # a copy's age is its newest change, folders too
    return copy


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_a_landed_copy_of_a_delivery_never_published_goes_a_published_one_stays(catalog, settings, tmp_path):
    publish(catalog, write_run(tmp_path / "runs", "2026-10-17", "a" * 64, OCTOBER))
    published = landed_copy(settings, "2026-10-17", "a" * 64, MONTH)
    failed = landed_copy(settings, "2026-11-17", "d" * 64, MONTH)
    failed_today = landed_copy(settings, "2026-11-17", "e" * 64, 3600)
    half = settings.landed_dir / "2026-12-17" / ".staging-4242"
    half.mkdir(parents=True)
    (half / "p3ke.csv").write_text("x")
    for p in (half / "p3ke.csv", half):
        os.utime(p, (time.time() - MONTH,) * 2)

    plan = rencana(catalog, settings)  # the default grace, a week: today's failure is kept
    assert {i.target for i in plan.items if i.kind == "landed"} == {str(failed), str(half)}
    assert all(i.bytes > 0 for i in plan.items if i.kind == "landed")
    terapkan(catalog, settings, plan)
    assert published.is_dir() and failed_today.is_dir()
    assert not failed.exists() and not half.exists() and not half.parent.exists()


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_a_catalog_sharing_the_warehouse_folder_keeps_its_files_and_landed_copies(catalog, settings, tmp_path):
    """Two catalog names in one database and one home share the table folders: one's cleanup
    must not take the other's files for orphans."""
    other = open_catalog(settings, name=f"{catalog.name}_lain")
    publish(other, write_run(tmp_path / "lain", "2026-10-17", "f" * 64, OCTOBER))
    kept = landed_copy(settings, "2026-10-17", "f" * 64, MONTH)
    before = every_tag(other, settings)
    done = terapkan(catalog, now_for_all(settings))
    assert not [i for i in done.removed if i.kind in ("data", "landed")]
    assert kept.is_dir() and every_tag(other, settings) == before


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_the_command_shows_a_dry_run_then_removes_and_audits_without_personal_data(
    catalog, settings, three_publishes, monkeypatch
):
    import dtsen.settings
    from flows.cli import app

    settings = now_for_all(settings).model_copy(update={"catalog_name": catalog.name})
    monkeypatch.setattr(dtsen.settings, "get_settings", lambda: settings)
    files = warehouse_files(settings)

    dry = CliRunner().invoke(app, ["cleanup"], env={"COLUMNS": "200"})
    assert dry.exit_code == 0, dry.output
    assert "a dry run" in dry.output and "nothing was removed" in dry.output
    assert "data" in dry.output and "never committed" in dry.output and "total" in dry.output
    assert warehouse_files(settings) == files
    # The command's console took its width when flows.rapikan was imported (Rich reads COLUMNS
    # then): a path under pytest-xdist's deeper temporary folders needs it wider.
    from flows import rapikan

    monkeypatch.setattr(rapikan.console, "width", 400)
    every = CliRunner().invoke(app, ["cleanup", "--rinci"], env={"COLUMNS": "400"})
    orphan = next(i.target for i in rencana(catalog, settings).items if i.kind == "data")
    assert every.exit_code == 0 and orphan in every.output.replace("\n", "")

    # Another run holds the warehouse (another thread: the lock re-enters within one call chain):
    # refused in one line, nothing removed.
    from warehouse.kunci import warehouse_lock

    held, done = threading.Event(), threading.Event()

    def other_run():
        with warehouse_lock(settings, "a refresh on another machine"):
            held.set()
            done.wait(30)

    holder = threading.Thread(target=other_run)
    holder.start()
    held.wait(30)
    try:
        busy = CliRunner().invoke(app, ["cleanup", "--terapkan"], env={"COLUMNS": "200"})
    finally:
        done.set()
        holder.join()
    assert busy.exit_code == 2 and "warehouse is busy" in busy.output and "Traceback" not in busy.output
    assert warehouse_files(settings) == files

    applied = CliRunner().invoke(app, ["cleanup", "--terapkan"], env={"COLUMNS": "200"})
    assert applied.exit_code == 0, applied.output
    assert "removed" in applied.output
    assert CliRunner().invoke(app, ["cleanup"], env={"COLUMNS": "200"}).output.count("nothing to remove") == 1

    lines = entries(settings)
    assert [(e["perintah"], e["detail"]["terapkan"]) for e in lines] == [("rapikan", False)] * 2 + [
        ("rapikan", True)
    ] + [("rapikan", False)]
    assert lines[2]["detail"]["jumlah"]["data"] >= 1 and lines[2]["detail"]["total_bytes"] > 0
    logged = json.dumps(lines, default=str)
    assert not any(nik in logged for nik in N.values()) and KK1 not in logged and "/" not in logged


@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_the_flow_removes_what_the_month_left_behind(catalog, settings, three_publishes, monkeypatch):
    import dtsen.settings
    from flows.rapikan import rapikan_flow

    settings = now_for_all(settings).model_copy(update={"catalog_name": catalog.name})
    monkeypatch.setattr(dtsen.settings, "get_settings", lambda: settings)
    before = every_tag(catalog, settings)
    result = rapikan_flow(terapkan=True)
    assert result["terapkan"] and result["jumlah"]["data"] >= 1 and result["jumlah"]["snapshot"] >= 1
    assert every_tag(catalog, settings) == before
    assert not rencana(catalog, settings).items


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_a_plan_that_would_delete_a_published_file_is_refused_before_anything_goes(
    catalog, settings, three_publishes, monkeypatch
):
    """The last guard, by another road (pyiceberg's scan of every published snapshot): were the
    plan ever wrong, nothing is deleted."""
    import warehouse.rapikan as R

    settings = now_for_all(settings)
    october = snapshots(catalog)[0]
    keluarga = catalog.load_table(identifier("keluarga"))
    victim = local_path(
        next(iter(keluarga.scan(snapshot_id=october.snapshot_tabel["keluarga"]).plan_files())).file.file_path
    )
    planned = R._iceberg_items

    def wrong(state, settings, now, notes):
        yield from planned(state, settings, now, notes)
        yield R.Item("data", "dtsen.keluarga", victim, 1, "a wrong plan")

    monkeypatch.setattr(R, "_iceberg_items", wrong)
    files = {p for p in warehouse_files(settings) if p.endswith(".parquet")}
    with pytest.raises(RuntimeError, match="refused"):
        terapkan(catalog, settings)
    assert {p for p in warehouse_files(settings) if p.endswith(".parquet")} == files
