"""The warehouse on hand-made runs, on both catalog databases: publish, time travel,
idempotence, backfills, a publish killed half-way, diff, status, the analyst view, the audit log."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pydantic import SecretStr

from layanan.kueri import shape_of
from tests.warehouse.runs import family, write_run
from warehouse import TABLES, Akses, current, open_snapshot, publish, resolve, snapshots
from warehouse.access import AccessError, key_file, pseudonym_key, token
from warehouse.audit import entries, record
from warehouse.diff import diff
from warehouse.publish import KeyChanged
from warehouse.status import status

ROOT = Path(__file__).resolve().parents[2]
KK1, KK2, KK3, KK4 = "3201010101000001", "3201010101000002", "3301010101000003", "3301010101000004"
N = {i: f"32010101019{i:05d}" for i in range(1, 10)}
N |= {i: f"33010101019{i:05d}" for i in range(10, 20)}

OCTOBER = [family(KK1, 1, N[1], N[2]), family(KK2, 5, N[3]), family(KK3, 9, N[10], N[11])]
# November: KK2 left, KK4 entered, KK1 moved from desil 1 to 2 and gained a member, KK3 kept.
NOVEMBER = [family(KK1, 2, N[1], N[2], N[4]), family(KK3, 9, N[10], N[11]), family(KK4, 3, N[12])]


@pytest.fixture
def two_months(catalog, tmp_path):
    runs = tmp_path / "runs"
    a = write_run(runs, "2026-10-17", "a" * 64, OCTOBER)
    b = write_run(runs, "2026-11-17", "b" * 64, NOVEMBER, dead=(N[3],))
    return a, b


def rows(catalog, settings, sql: str, tag: str | None = None, akses: Akses = Akses.penuh):
    con = open_snapshot(catalog, resolve(catalog, tag), akses)
    return con.execute(sql).fetchall()


def test_time_travel_returns_the_old_rows_after_a_newer_publish(catalog, settings, two_months):
    a, b = two_months
    assert publish(catalog, a).snapshot.tag == "2026-10-17"
    assert publish(catalog, b).snapshot.tag == "2026-11-17"
    families = "SELECT no_kk, desil_nasional FROM keluarga ORDER BY no_kk"
    assert rows(catalog, settings, families, "2026-10-17") == [(KK1, 1), (KK2, 5), (KK3, 9)]
    assert rows(catalog, settings, families) == [(KK1, 2), (KK3, 9), (KK4, 3)]  # current
    assert rows(catalog, settings, "SELECT count(*) FROM karantina WHERE kode_prov = '32'") == [(1,)]
    # Each table is partitioned by province, and tagged for engines reading Iceberg directly.
    table = catalog.load_table("dtsen.keluarga")
    assert [f.name for f in table.spec().fields] == ["kode_prov"]
    assert {"2026-10-17", "2026-11-17"} <= set(table.refs())


def test_publishing_the_same_delivery_twice_makes_no_second_version(catalog, two_months):
    a, _ = two_months
    first = publish(catalog, a)
    again = publish(catalog, a)
    assert first.created and not again.created
    assert again.snapshot.tag == first.snapshot.tag
    assert len(snapshots(catalog)) == 1
    assert len(catalog.load_table("dtsen.keluarga").snapshots()) == 1
    # Identical extracts for the next month are still the next month's snapshot.
    unchanged = write_run(a.parent.parent / "next", "2026-11-17", "a" * 64, OCTOBER)
    assert publish(catalog, unchanged).snapshot.tag == "2026-11-17"


def test_a_backfill_does_not_move_the_current_snapshot_back(catalog, two_months, tmp_path):
    a, b = two_months
    publish(catalog, b)
    publish(catalog, a)  # an older cut-off, published later
    assert current(catalog).tag == "2026-11-17"
    # A corrected delivery for a cut-off already published is a revision, and current.
    fixed = write_run(tmp_path / "fixed", "2026-11-17", "c" * 64, NOVEMBER[:2])
    assert publish(catalog, fixed).snapshot.tag == "2026-11-17-r2"
    assert current(catalog).tag == "2026-11-17-r2"


def test_a_publish_killed_half_way_leaves_readers_on_the_previous_snapshot(catalog, settings, two_months):
    a, b = two_months
    publish(catalog, a)
    # Publish November in a process that kills itself right after its second table commit.
    script = textwrap.dedent(f"""
        import importlib, os, signal
        from dtsen.settings import Settings
        from warehouse import open_catalog
        P = importlib.import_module("warehouse.publish")  # the module (the package exports its function)
        commit = P.commit
        done = []
        def commit_then_die(*args, **kwargs):
            snapshot_id = commit(*args, **kwargs)
            done.append(snapshot_id)
            if len(done) == 2:
                os.kill(os.getpid(), signal.SIGKILL)
            return snapshot_id
        P.commit = commit_then_die
        settings = Settings(home={str(settings.home)!r}, catalog_url={settings.catalog_url!r})
        P.publish(open_catalog(settings, name={catalog.name!r}), {str(b)!r})
    """)
    killed = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert killed.returncode == -9, killed.stderr
    # Two tables took November's files, but the registry never heard of it.
    assert catalog.load_table("dtsen.keluarga").current_snapshot().summary["dtsen.tag"] == "2026-11-17"
    assert [s.tag for s in snapshots(catalog)] == ["2026-10-17"]
    assert rows(catalog, settings, "SELECT count(*) FROM keluarga") == [(3,)]
    assert rows(catalog, settings, "SELECT count(*) FROM individu WHERE no_kk = $kk".replace("$kk", f"'{KK2}'")) == [
        (1,)
    ]
    # Re-run: the publish completes, and November is current.
    assert publish(catalog, b).created
    assert current(catalog).tag == "2026-11-17"
    assert rows(catalog, settings, "SELECT count(*) FROM individu") == [(6,)]


def test_diff_counts_entries_exits_and_decile_changes_per_province(catalog, settings, two_months):
    a, b = two_months
    publish(catalog, a)
    publish(catalog, b)
    con = open_snapshot(catalog, resolve(catalog, "2026-10-17"), Akses.penuh, prefix="a_")
    open_snapshot(catalog, resolve(catalog, "2026-11-17"), Akses.penuh, prefix="b_", con=con)
    diff(con)
    per_province = {r[0]: r[1:] for r in con.execute("SELECT * FROM perubahan_provinsi").fetchall()}
    # families in, out, decile changed; persons in, out, decile changed
    assert per_province == {"32": (0, 1, 1, 1, 1, 2, 0, 0), "33": (1, 0, 0, 1, 0, 0, 0, 0)}  # nobody moved
    detail = set(
        con.execute("SELECT kunci, perubahan, desil_a, desil_b FROM perubahan WHERE tabel = 'keluarga'").fetchall()
    )
    assert detail == {(KK2, "KELUAR", 5, None), (KK4, "MASUK", None, 3), (KK1, "DESIL_BERUBAH", 1, 2)}


def test_status_of_a_listed_an_unlisted_and_a_dead_person(catalog, settings, two_months):
    a, b = two_months
    publish(catalog, a)
    publish(catalog, b)
    now = resolve(catalog)
    listed = status(catalog, now, N[1])
    assert listed.terdaftar and listed.no_kk == KK1 and listed.desil_nasional == 2
    assert listed.sejak == "2026-10-17"  # listed in both snapshots
    assert [(u[1], u[3], u[4]) for u in listed.usulan] == [
        ("PERBAIKAN", "DIAJUKAN", "MENUNGGU"),
        ("SANGGAHAN", "TERVERIFIKASI_DINSOS", "DITERAPKAN"),
    ]
    assert listed.layak_sasaran is False  # its MAMPU objection holds
    newcomer = status(catalog, now, N[12])
    assert newcomer.terdaftar and newcomer.sejak == "2026-11-17" and newcomer.layak_sasaran is True
    unlisted = status(catalog, now, "3201010101999999")
    assert not unlisted.terdaftar and unlisted.alasan == []
    dead = status(catalog, now, N[3])
    assert not dead.terdaftar and dead.alasan == [("DTKS", "MENINGGAL")]
    # Time travel: in October the same person was listed.
    assert status(catalog, resolve(catalog, "2026-10-17"), N[3]).desil_nasional == 5


def test_the_analyst_tables_hold_no_nik_kk_name_birth_date_or_source_id(catalog, settings, two_months):
    _a, b = two_months
    publish(catalog, b)
    con = open_snapshot(catalog, resolve(catalog), Akses.analis)
    full = open_snapshot(catalog, resolve(catalog), Akses.penuh)
    personal = {*N.values(), KK1, KK2, KK3, KK4}
    # every identifier a source row can be found by: household, record and proposal ids
    source_ids = {r[0] for r in full.execute("SELECT DISTINCT id_sumber FROM tautan_sumber").fetchall()}
    source_ids |= {r[0] for r in full.execute("SELECT id_usulan FROM usulan").fetchall()}
    source_ids |= {
        r[0]
        for r in full.execute("SELECT DISTINCT unnest(rumah_tangga_sumber).id_keluarga_sumber FROM keluarga").fetchall()
    }
    assert source_ids
    for table in ("keluarga", "individu", "tautan_sumber", "verifikasi", "karantina", "usulan"):
        columns = [c[0] for c in con.execute(f"DESCRIBE {table}").fetchall()]
        assert not {"nik", "no_kk", "nama", "tgl_lahir", "nik_kepala_keluarga", "nik_cacat", "baris"} & set(columns)
        text = json.dumps(con.execute(f"SELECT * FROM {table}").fetchall(), default=str)
        assert not any(p in text for p in personal | source_ids), table
        assert (
            full.execute(f"SELECT count(*) FROM {table}").fetchall()
            == con.execute(f"SELECT count(*) FROM {table}").fetchall()
        )
    # Tokens are keyed HMAC-SHA256, the same in SQL as in Python, and the same across tables.
    key = pseudonym_key(settings)
    tokens = {r[0] for r in con.execute("SELECT token_nik FROM individu").fetchall()}
    assert token(N[1], key) in tokens
    assert (
        con.execute("SELECT count(*) FROM keluarga k JOIN individu i ON i.token_no_kk = k.token_no_kk").fetchall()
        == full.execute("SELECT count(*) FROM keluarga k JOIN individu i USING (no_kk)").fetchall()
    )
    # They are Iceberg tables of their own, beside the full ones, tagged like them.
    table = catalog.load_table("dtsen.analis_individu")
    assert "2026-11-17" in table.refs() and table.properties["dtsen.kunci_id"]


def test_a_short_key_or_another_key_is_refused_before_anything_is_published(catalog, settings, two_months):
    a, b = two_months
    with pytest.raises(AccessError, match="32 bytes"):
        pseudonym_key(settings.model_copy(update={"pseudonym_key": SecretStr("kunci-uji")}))
    publish(catalog, a)
    other = b"another key of forty bytes or so, chosen by someone"
    with pytest.raises(KeyChanged, match="every token"):
        publish(catalog, b, key=other)
    assert [s.tag for s in snapshots(catalog)] == ["2026-10-17"]


def test_the_key_file_is_made_once_and_read_by_its_owner_only(tmp_path):
    from dtsen.settings import Settings

    bare = Settings(home=tmp_path / "home").model_copy(update={"pseudonym_key": None})
    with pytest.raises(AccessError, match="no pseudonymisation key"):
        pseudonym_key(bare)
    made = pseudonym_key(bare, create=True)
    assert len(made) >= 32 and pseudonym_key(bare, create=True) == made
    assert (key_file(bare).stat().st_mode & 0o077) == 0


def test_the_audit_log_records_reads_without_personal_data(settings):
    sql = f"SELECT * FROM individu WHERE nik = '{N[1]}' OR nama = 'SITI AMINAH' OR no_kk = {KK1}"
    record(settings, "query", "penuh", "2026-11-17", kueri=shape_of(sql, ("nik", "nama", "no_kk"), TABLES), baris=1)
    # whatever a caller puts in the detail, a NIK or KK does not land
    record(settings, "status", "penuh", "2026-11-17", "DITOLAK", orang=N[1], catatan=f"KK {KK1}")
    lines = entries(settings)
    assert len(lines) == 2
    text = json.dumps(lines, default=str)
    assert N[1] not in text and "SITI" not in text and KK1 not in text
    entry = lines[0]
    assert entry["perintah"] == "query" and entry["snapshot"] == "2026-11-17" and entry["baris"] == 1
    assert entry["pengguna"].startswith("operator:") and lines[1]["status"] == "DITOLAK"
    assert re.search(r"nik = '\?'", entry["detail"]["kueri"])


def test_a_reader_with_another_home_on_the_same_catalog_writes_to_the_same_log(catalog, settings, tmp_path):
    elsewhere = settings.model_copy(update={"home": tmp_path / "elsewhere"})
    if settings.catalog_url is None:  # a SQLite catalog lives in the home: point at the same file
        from warehouse.catalog import catalog_url

        elsewhere = elsewhere.model_copy(update={"catalog_url": catalog_url(settings)})
    record(elsewhere, "query", "penuh", "2026-11-17", baris=3)
    assert [e["baris"] for e in entries(settings)] == [3]
