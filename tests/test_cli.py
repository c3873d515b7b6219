"""Every command refuses a user error the way an operator needs it: before Prefect starts,
in one line on stderr naming what to fix, exit 2, no traceback. Run as the installed
`dtsen` command, the way an operator types it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import command_env

ROOT = Path(__file__).resolve().parent.parent
DTSEN = str(ROOT / ".venv" / "bin" / "dtsen")


def dtsen(home: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = command_env()
    environment |= {"DTSEN_HOME": str(home), "COLUMNS": "200"} | (env or {})
    return subprocess.run(
        [DTSEN, *args],
        cwd=home.parent,
        env=environment,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )


def assert_refused(done: subprocess.CompletedProcess, *words: str) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for w in words:
        assert w in lines[0], lines[0]


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path / "var"


def prefect_started(home: Path) -> bool:
    """The temporary Prefect server creates its database on first start."""
    return any((home / "prefect").glob("*.db"))


def test_refresh_checks_its_arguments_before_prefect_starts(home, delivery, tmp_path):
    assert_refused(
        dtsen(home, "refresh", "--delivery", str(tmp_path / "nowhere" / "2026-11-17")),
        "nowhere/2026-11-17",
        "delivery folder not found",
    )
    wrong_name = delivery.rename(delivery.with_name("november"))
    assert_refused(dtsen(home, "refresh", "--delivery", str(wrong_name)), "november", "YYYY-MM-DD")
    delivery = wrong_name.rename(delivery)
    sample = delivery / "susenas" / "sampel.parquet"
    sample.rename(tmp_path / "sampel.parquet")
    assert_refused(
        dtsen(home, "refresh", "--delivery", str(delivery)),
        "susenas/sampel.parquet",
        "missing",
        "Nothing was published",
    )
    (tmp_path / "sampel.parquet").rename(sample)

    for content, why in (
        ("{not json", "not a JSON model file"),
        ("[]", "not a model file"),
        ('{"konstanta": 1}', "'koefisien' is missing"),
    ):
        model = tmp_path / "model.json"
        model.write_text(content)
        assert_refused(dtsen(home, "refresh", "--delivery", str(delivery), "--model-pmt", str(model)), why)
    assert_refused(
        dtsen(home, "refresh", "--delivery", str(delivery), "--model-pmt", str(tmp_path / "none.json")),
        "no such model file",
    )
    changed = json.loads((ROOT / "transforms/rank/model_pmt_cadangan.json").read_text())
    changed["konstanta"] += 0.5
    (tmp_path / "changed.json").write_text(json.dumps(changed))
    assert_refused(
        dtsen(home, "refresh", "--delivery", str(delivery), "--model-pmt", str(tmp_path / "changed.json")),
        "changed by hand",
    )

    with_password = "dtks=postgresql+psycopg://reader:rahasia@127.0.0.1/test::dtks"
    done = dtsen(home, "refresh", "--delivery", str(delivery), "--sql", with_password)
    assert_refused(done, "DTSEN_SQL_")
    assert "rahasia" not in done.stderr
    assert_refused(
        dtsen(home, "refresh", "--delivery", str(delivery), "--sql", "dtks=DTSEN_SQL_DTKS::dtks"),
        "DTSEN_SQL_DTKS is not set",
    )
    assert_refused(
        dtsen(home, "refresh", "--delivery", str(delivery), "--sql", "gaji=DTSEN_SQL_X::t"), "no such extract"
    )
    assert not prefect_started(home)


def test_a_broken_row_found_during_the_run_ends_in_one_line(home, delivery):
    """Headers pass the checks before Prefect; a row is broken further down. The operator
    sees Prefect's progress, then one line naming file and row: no traceback, no dump."""
    f = delivery / "p3ke" / "p3ke_anggota.csv"
    lines = f.read_text().splitlines(keepends=True)
    lines[2] = lines[2].rstrip("\r\n") + ",a stray field\n"
    f.write_text("".join(lines))
    done = dtsen(home, "refresh", "--delivery", str(delivery))
    assert done.returncode == 2, done.stderr[-3000:]
    assert "Traceback" not in done.stderr and "nanobind" not in done.stderr, done.stderr[-3000:]
    verdict = [line for line in done.stderr.splitlines() if line.startswith("refresh failed: ")]
    assert len(verdict) == 1 and "p3ke_anggota.csv, row 2" in verdict[0], done.stderr[-3000:]
    assert "Nothing was published" in verdict[0]


def finished_run(home: Path, niks: list[str], cutoff: str = "2026-11-17") -> Path:
    run = home / "runs" / f"{cutoff}_000000000000"
    (run / "matched").mkdir(parents=True)
    (run / "manifest.json").write_text(json.dumps({"run_id": run.name, "cutoff": cutoff}))
    pq.write_table(
        pa.table(
            {
                "sumber": ["DTKS"] * len(niks),
                "id_sumber": [f"D{i}" for i in range(len(niks))],
                "nik": niks,
                "metode_padan": ["NIK_EXACT"] * len(niks),
            }
        ),
        run / "matched" / "tautan_sumber.parquet",
    )
    return run


def truth(folder: Path, niks: list[str], cutoff: str) -> Path:
    folder.mkdir(parents=True)
    pq.write_table(
        pa.table({"sumber": ["DTKS"] * len(niks), "id_sumber": [f"D{i}" for i in range(len(niks))], "nik_benar": niks}),
        folder / "tautan.parquet",
    )
    pq.write_table(pa.table({"no_kk": ["1"], "pengeluaran_per_kapita_benar": [1.0]}), folder / "keluarga.parquet")
    (folder / "metadata.json").write_text(json.dumps({"cutoff": cutoff}))
    return folder


def test_commands_on_a_run_refuse_a_wrong_run_or_truth(home, tmp_path):
    for command in (["akurasi", "--truth", str(tmp_path)], ["jelaskan", "--no-kk", "3201"], ["publish"]):
        assert_refused(dtsen(home, command[0], "--run", str(tmp_path / "no-run"), *command[1:]), "no such run folder")
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    assert_refused(dtsen(home, "explain", "--run", str(unfinished), "--no-kk", "1"), "no manifest.json")

    ours = [f"32010101019{i:05d}" for i in range(10)]
    run = finished_run(home, ours)
    assert_refused(dtsen(home, "explain", "--run", str(run), "--no-kk", "1"), "ranked/keluarga.parquet is missing")
    other = truth(tmp_path / "other" / "truth", [f"35010101019{i:05d}" for i in range(10)], "2026-11-17")
    before = (run / "manifest.json").read_text()
    assert_refused(dtsen(home, "accuracy", "--run", str(run), "--truth", str(other)), "another delivery")
    older = truth(tmp_path / "older" / "truth", ours, "2026-10-17")
    assert_refused(dtsen(home, "akurasi", "--run", str(run), "--truth", str(older)), "2026-10-17", "2026-11-17")
    assert (run / "manifest.json").read_text() == before  # no figure written from a wrong truth
    right = truth(tmp_path / "right" / "truth", ours, "2026-11-17")
    done = dtsen(home, "accuracy", "--run", str(run), "--truth", str(right))
    assert done.returncode == 0, done.stderr
    assert json.loads((run / "manifest.json").read_text())["akurasi_padan"]["keseluruhan"]["precision"] == 1.0


def test_reading_and_generating_commands_refuse_bad_values(home, tmp_path):
    done = dtsen(home, "status", "12345")
    assert_refused(done, "16 digits")
    assert "12345" not in done.stderr  # not even a wrong NIK is echoed
    assert_refused(dtsen(home, "status", "3201010101900001"), "nothing is published yet")
    assert_refused(
        dtsen(home, "status", "3201010101900001", env={"DTSEN_PARTITION_WORKERS": "two"}),
        "DTSEN_PARTITION_WORKERS",
        "valid integer",
    )
    assert_refused(dtsen(home, "query", "SELECT 1", "--akses", "semua"), "analis or penuh")
    assert_refused(
        dtsen(home, "synth", "--out", str(tmp_path / "d"), "--regions", "../shared/wilayah.csv"),
        "../shared/wilayah.csv",
        "kemendagri",
    )
    assert_refused(dtsen(home, "synth", "--out", str(tmp_path / "d"), "--cutoff", "2020-01-01"), "2023-01-01")
    assert_refused(dtsen(home, "synth", "--out", str(tmp_path / "d"), "--cutoff", "17-11-2026"), "YYYY-MM-DD")
    assert_refused(
        dtsen(home, "backfill", "--root", str(tmp_path / "none"), "--start", "2026-01-01", "--end", "2026-02-01"),
        "no such folder",
    )
    assert_refused(
        dtsen(home, "backfill", "--root", str(tmp_path), "--start", "2026-03-01", "--end", "2026-02-01"), "is after"
    )
    assert not prefect_started(home)


def test_make_clean_removes_only_a_data_folder_inside_the_project(tmp_path):
    outside = tmp_path / "precious"
    outside.mkdir()
    (outside / "keep.txt").write_text("x")

    def clean(home: Path | str) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if k != "DTSEN_HOME"} | {"DTSEN_HOME": str(home)}
        return subprocess.run(["make", "-s", "clean"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)

    for home in (outside, ROOT, ROOT / "transforms", f"{ROOT}/var/../.."):
        done = clean(home)
        assert done.returncode != 0 and "make clean:" in done.stderr, done.stderr
    assert (outside / "keep.txt").exists() and (ROOT / "transforms" / "engine.py").exists()
    inside = ROOT / f"var-test-clean-{os.getpid()}"
    (inside / "runs").mkdir(parents=True)
    assert clean(inside).returncode == 0 and not inside.exists()


def test_make_clean_refuses_where_it_cannot_ask_git(tmp_path):
    """A copy without .git (an archive, a tarball): git cannot say which files are the
    project's, so nothing is removed (it once took the copy's transforms/)."""
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(ROOT / "Makefile", copy / "Makefile")
    (copy / "transforms").mkdir()
    (copy / "transforms" / "engine.py").write_text("x")
    env = {k: v for k, v in os.environ.items() if k not in ("DTSEN_HOME", "GIT_DIR")}
    env |= {"DTSEN_HOME": str(copy / "transforms"), "GIT_CEILING_DIRECTORIES": str(tmp_path)}
    done = subprocess.run(["make", "-s", "clean"], cwd=copy, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "not a git checkout" in done.stderr, done.stderr
    assert (copy / "transforms" / "engine.py").exists()


def test_the_old_names_of_renamed_verbs_still_work(home, tmp_path):
    """`akurasi`, `jelaskan`, `rapikan` became `accuracy`, `explain`, `cleanup`: scripts keep working."""
    for old, new in (("akurasi", "accuracy"), ("jelaskan", "explain")):
        done, renamed = dtsen(home, old, "--run", str(tmp_path / "nothing")), dtsen(home, new, "--run", str(tmp_path))
        assert done.returncode == renamed.returncode == 2 and "No such command" not in done.stderr
    assert "rapikan" not in dtsen(home, "--help").stdout  # hidden, not listed
