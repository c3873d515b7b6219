"""Backup and restore of a home, and relocation of a copied one, on both catalog databases: a
home restored at another path, the original gone, reads every tag with the same rows."""

from __future__ import annotations

import hashlib
import shutil
import tarfile
import uuid
from pathlib import Path

import pytest

from dtsen.settings import Settings
from tests.test_cli import assert_refused, dtsen
from tests.warehouse.runs import family, write_run
from transforms.errors import InputError
from warehouse import Akses, kredensial, open_catalog, open_snapshot, publish, snapshots
from warehouse.audit import entries, record
from warehouse.cadangan import INDEX, backup, catalog_rows, reach, read_avro, relocate, restore
from warehouse.catalog import ANALYST_TABLES, TABLES, identifier, warehouse_dir
from warehouse.isi import content_hash

KK1, KK2, KK3, KK4 = "3201010101000001", "3201010101000002", "3301010101000003", "3301010101000004"
N = {i: f"32010101019{i:05d}" for i in range(1, 10)} | {i: f"33010101019{i:05d}" for i in range(10, 20)}
OCTOBER = [family(KK1, 1, N[1], N[2]), family(KK2, 5, N[3]), family(KK3, 9, N[10], N[11])]
NOVEMBER = [family(KK1, 2, N[1], N[2], N[4]), family(KK3, 9, N[10], N[11]), family(KK4, 3, N[12])]
DECEMBER = [family(KK1, 2, N[1], N[2], N[4]), family(KK4, 4, N[12], N[13])]


def own(settings: Settings, home: Path) -> Settings:
    """Settings for one home with a catalog name of its own (tests share the PostgreSQL database)."""
    return settings.model_copy(update={"home": home, "catalog_name": f"uji_{uuid.uuid4().hex[:10]}"})


def published(settings: Settings, runs: Path) -> None:
    catalog = open_catalog(settings)
    publish(catalog, write_run(runs, "2026-10-17", "a" * 64, OCTOBER))
    publish(catalog, write_run(runs, "2026-11-17", "b" * 64, NOVEMBER, dead=(N[3],)))
    # A delivery corrected after publishing: a revision, so one cut-off has two tags.
    publish(catalog, write_run(runs, "2026-11-17", "c" * 64, NOVEMBER[:2]))


def every_tag(settings: Settings) -> dict[str, dict[str, tuple]]:
    """Per tag and table: its rows, their content hash and its family rows in full."""
    catalog = open_catalog(settings)
    out = {}
    for snapshot in snapshots(catalog):
        con = open_snapshot(catalog, snapshot, Akses.penuh)
        out[snapshot.tag] = {t: content_hash(con, f"SELECT * FROM {t}") for t in TABLES}
        out[snapshot.tag]["keluarga_rows"] = tuple(con.execute("SELECT * FROM keluarga ORDER BY ALL").fetchall())
    return out


def data_files(home: Path) -> dict[str, str]:
    """Every Parquet file of the warehouse by its path in the home, with its SHA-256."""
    return {
        str(p.relative_to(home)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in (home / "warehouse").rglob("*.parquet")
    }


def assert_reads_only_its_own_files(settings: Settings) -> None:
    """Every location the restored catalog reaches lies in the new warehouse and is there; each
    manifest list records its manifests' real lengths."""
    warehouse = warehouse_dir(settings)
    for ident, (location, _) in catalog_rows(open_catalog(settings)).items():
        assert location is not None and location.startswith(f"file://{warehouse}/"), (ident, location)
        files = reach(location, lambda loc: Path(loc.removeprefix("file://")))
        for f in files.all():
            assert f.startswith(f"file://{warehouse}/"), (ident, f)
            assert Path(f.removeprefix("file://")).is_file(), f
        for listed in files.manifest_lists:
            avro = read_avro(Path(listed.removeprefix("file://")))
            at, length = avro.column("manifest_path"), avro.column("manifest_length")
            for entry in (r for block in avro.blocks for r in block):
                assert Path(entry[at].removeprefix("file://")).stat().st_size == entry[length]


def test_a_home_restored_at_another_path_reads_every_tag_with_the_same_rows(settings, tmp_path):
    original = own(settings, tmp_path / "asal" / "home")
    published(original, tmp_path / "asal" / "home" / "runs")
    (original.home_dir / "audit").mkdir(parents=True, exist_ok=True)
    (original.home_dir / "audit" / "kueri.jsonl").write_text('{"perintah": "query"}\n')  # an older home's log
    # The audit log and the credentials live in the catalog database: they travel in the index.
    record(original, "query", "penuh", "2026-11-17", baris=7)
    made, key = kredensial.create(original, "KEMENSOS", kredensial.Peran.analis, ("32",), None)
    before, files_before = every_tag(original), data_files(original.home_dir)
    assert set(before) == {"2026-10-17", "2026-11-17", "2026-11-17-r2"}

    done = backup(original, tmp_path / "cadangan.tar")
    assert done.tags == ["2026-10-17", "2026-11-17", "2026-11-17-r2"]
    assert done.tables == len(TABLES) + len(ANALYST_TABLES) + 1  # and the registry
    with tarfile.open(done.path) as tar:
        names = tar.getnames()
    assert names[0] == INDEX
    assert not any(n.endswith("catalog.db") for n in names)  # the catalog's rows travel in the index
    assert "home/audit/kueri.jsonl" in names and any(n.startswith("home/runs/") for n in names)

    # The original goes away (its catalog file with it, on SQLite).
    shutil.move(tmp_path / "asal", tmp_path / "pergi")
    elsewhere = original.model_copy(update={"home": tmp_path / "lain" / "tempat" / "home"})
    if settings.catalog_url:  # PostgreSQL: the old rows are still in the database, under that name
        with pytest.raises(InputError, match="already holds"):
            restore(done.path, elsewhere)
        assert not (elsewhere.home_dir / "warehouse" / "dtsen").exists()  # refused before unpacking
        restored = restore(done.path, elsewhere, replace_catalog=True)
    else:
        restored = restore(done.path, elsewhere)
    assert [c.tag for c in restored.checked] == done.tags

    assert every_tag(elsewhere) == before
    files_after = data_files(elsewhere.home_dir)
    assert files_after == files_before  # the data files byte for byte
    assert_reads_only_its_own_files(elsewhere)
    assert (elsewhere.home_dir / "audit" / "kueri.jsonl").read_text() == '{"perintah": "query"}\n'
    assert [(e["perintah"], e["baris"]) for e in entries(elsewhere)] == [("query", 7)]
    assert kredensial.Checker(elsewhere).check(key).id == made.id  # the agency's key still works

    # The restored home is a working warehouse: the next month publishes, the old tags stay.
    catalog = open_catalog(elsewhere)
    assert publish(catalog, write_run(tmp_path / "runs", "2026-12-17", "d" * 64, DECEMBER)).snapshot.tag == "2026-12-17"
    after = every_tag(elsewhere)
    assert {t: after[t] for t in before} == before


def test_a_backup_restores_into_another_catalog_of_the_same_database(settings, tmp_path):
    original = own(settings, tmp_path / "asal")
    published(original, tmp_path / "runs")
    before = every_tag(original)
    done = backup(original, tmp_path / "cadangan.tar.gz", warehouse_only=True)
    with tarfile.open(done.path) as tar:
        assert not any(n.startswith("home/runs/") for n in tar.getnames())
    # Both homes alive side by side, each with its own catalog name.
    copy = own(settings, tmp_path / "salinan")
    restore(done.path, copy)
    assert every_tag(copy) == before == every_tag(original)


def test_a_home_copied_by_other_means_is_relocated(settings, tmp_path):
    original = own(settings, tmp_path / "asal")
    published(original, tmp_path / "runs")
    before = every_tag(original)
    shutil.copytree(original.home_dir, tmp_path / "baru")
    shutil.move(original.home_dir, tmp_path / "pergi")
    moved = original.model_copy(update={"home": tmp_path / "baru"})
    with pytest.raises(Exception, match="No such file"):
        every_tag(moved)  # the reported fault: its catalog still names the old path
    done = relocate(moved, tmp_path / "asal")
    assert [c.tag for c in done.checked] == list(before)
    assert every_tag(moved) == before
    assert_reads_only_its_own_files(moved)
    # Run again (e.g. after an interruption): nothing left to move, every tag still reads.
    again = relocate(moved, tmp_path / "asal")
    assert [c.tag for c in again.checked] == list(before)
    assert every_tag(moved) == before
    with pytest.raises(InputError, match="that is this home"):
        relocate(moved, moved.home_dir)


def test_backup_and_restore_refuse_what_they_cannot_do_safely(settings, tmp_path):
    original = own(settings, tmp_path / "asal")
    published(original, tmp_path / "runs")
    with pytest.raises(InputError, match="inside DTSEN_HOME"):
        backup(original, original.home_dir / "cadangan.tar")
    with pytest.raises(InputError, match=r"FILE\.tar"):
        backup(original, tmp_path / "cadangan.zip")
    done = backup(original, tmp_path / "cadangan.tar")
    with pytest.raises(InputError, match="never overwrites"):
        backup(original, done.path)
    with pytest.raises(InputError, match="exists"):
        restore(done.path, original)  # onto the home it came from, still there
    stray = tmp_path / "bukan.tar"
    with tarfile.open(stray, "w") as tar:
        tar.add(tmp_path / "runs", arcname="runs")
    with pytest.raises(InputError, match="not a DTSEN backup"):
        restore(stray, own(settings, tmp_path / "kosong"))


def test_the_commands_back_up_and_restore_a_home_in_one_line_each(tmp_path):
    home = tmp_path / "var"
    published(Settings(home=home), home / "runs")
    out = tmp_path / "cadangan.tar"
    done = dtsen(home, "backup", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "3 snapshot(s)" in done.stdout and str(out) in done.stdout
    assert_refused(dtsen(home, "backup", "--out", str(out)), "never overwrites")
    assert_refused(dtsen(home, "restore", str(out)), "exists")  # onto the live home
    shutil.move(home, tmp_path / "pergi")
    target = tmp_path / "pulih" / "var"
    done = dtsen(tmp_path / "x", "restore", str(out), "--home", str(target))
    assert done.returncode == 0, done.stderr
    assert "2026-11-17-r2: 2 families" in done.stdout
    query = ("query", "SELECT no_kk, desil_nasional FROM keluarga ORDER BY 1", "--akses", "penuh", "--format", "csv")
    done = dtsen(target, *query, "--snapshot", "2026-10-17", "--out", str(tmp_path / "oktober.csv"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "oktober.csv").read_text().split() == [
        "no_kk,desil_nasional",
        f"{KK1},1",
        f"{KK2},5",
        f"{KK3},9",
    ]
    assert_refused(dtsen(target, "restore", str(tmp_path / "tidak-ada.tar")), "no such file")
    assert_refused(dtsen(target, "relocate", "--from", str(target)), "that is this home")


def test_the_catalog_rows_name_every_table(settings, tmp_path):
    home = own(settings, tmp_path / "asal")
    published(home, tmp_path / "runs")
    assert set(catalog_rows(open_catalog(home))) == {
        identifier(t) for t in (*TABLES, *ANALYST_TABLES, "daftar_snapshot")
    }
