"""The run manifest: what went in (checksums), what code and configuration ran, and how
every row was accounted for. Counts and checksums only: never personal data."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG_FILES = sorted(p for p in (ROOT / "transforms").rglob("*") if p.suffix in {".sql", ".csv", ".json", ".toml"})


def code_version() -> str:
    try:
        rev = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        rev = ""
    return rev or "unknown"


CODE_DIRS = ("transforms", "expectations", "warehouse", "flows", "dtsen")


def code_fingerprint() -> str:
    """SHA-256 (16 hex) of every source, SQL and configuration file a stage runs: unlike
    `git describe --dirty`, it changes with every edit, committed or not."""
    digest = hashlib.sha256()
    for p in sorted(
        q
        for d in CODE_DIRS
        for q in (ROOT / d).rglob("*")
        if q.suffix in {".py", ".sql", ".csv", ".json", ".toml"} and "__pycache__" not in q.parts
    ):
        digest.update(str(p.relative_to(ROOT)).encode())
        digest.update(p.read_bytes())
    return digest.hexdigest()[:16]


def config_versions() -> dict[str, str]:
    """SHA-256 (12 hex) of every rule, mapping and SQL file that shapes the output."""
    return {str(p.relative_to(ROOT)): hashlib.sha256(p.read_bytes()).hexdigest()[:12] for p in CONFIG_FILES}


def reconcile(counts: list[dict]) -> dict:
    """Per extract: read = kept + quarantined, summed over its files and partitions."""
    per: dict[str, dict] = {}
    for c in counts:
        r = per.setdefault(
            c["sumber"],
            {
                "berkas": 0,
                "dibaca": 0,
                "diterima": 0,
                "dikarantina": 0,
                "karantina_per_aturan": {},
                "cacat_per_aturan": {},
            },
        )
        r["berkas"] += 1
        for k in ("dibaca", "diterima", "dikarantina"):
            r[k] += c[k]
        for field in ("karantina_per_aturan", "cacat_per_aturan"):
            for rule, n in c[field].items():
                r[field][rule] = r[field].get(rule, 0) + n
    for r in per.values():
        r["seimbang"] = r["dibaca"] == r["diterima"] + r["dikarantina"]
    return per


ATTEMPTS = "percobaan"


def attempt_dir(run_dir: Path, attempt: int) -> Path:
    """Where one attempt at a run keeps its own manifest and report (`percobaan/<n>/`)."""
    return Path(run_dir) / ATTEMPTS / str(attempt)


def next_attempt(run_dir: Path) -> int:
    """The number of a new attempt at this run: one more than the attempts already there."""
    done = [int(p.name) for p in (Path(run_dir) / ATTEMPTS).glob("*") if p.name.isdigit()]
    return max(done, default=0) + 1


def write_manifest(run_dir: Path, manifest: dict) -> Path:
    """The run's manifest (`manifest.json`, the latest attempt's) and, for a numbered attempt,
    its own copy that no later attempt overwrites. Returns the run's manifest path."""
    text = json.dumps(manifest, indent=1, sort_keys=False, default=_json_default)
    targets = [run_dir / "manifest.json"]
    if "percobaan" in manifest:
        targets.append(attempt_dir(run_dir, manifest["percobaan"]) / "manifest.json")
    for path in targets:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".manifest.json.tmp-{os.getpid()}")
        tmp.write_text(text)
        os.replace(tmp, path)
    return targets[0]


def _json_default(value: object) -> str:
    if isinstance(value, (dt.date, dt.datetime, Path)):
        return str(value)
    raise TypeError(type(value).__name__)
