"""The append-only audit log of every read, and of what operators decide about the warehouse
(a pinned or released current snapshot, a cleanup): who, when, what, which snapshot, which view.

One JSON object per line in `<home>/audit/kueri.jsonl`, opened for appending only. The
query text is kept with its literals blanked, so a NIK or a name typed into a WHERE clause
never reaches the log; a status look-up records the person's pseudonym token, not the NIK.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import re
from pathlib import Path

from dtsen.settings import Settings

_STRING = re.compile(r"'(?:[^']|'')*'")
_NUMBER = re.compile(r"\b\d{4,}\b")


def audit_path(settings: Settings) -> Path:
    return settings.home_dir / "audit" / "kueri.jsonl"


def blank_literals(sql: str) -> str:
    """'3201...' -> '?' and long numbers -> ?: the query's shape without its values."""
    return _NUMBER.sub("?", _STRING.sub("'?'", sql))


def user(settings: Settings) -> str:
    """Who is acting, as the audit log names them: DTSEN_PENGGUNA, else the login name."""
    return settings.pengguna or getpass.getuser()


def record(settings: Settings, perintah: str, akses: str, snapshot: str | None, **detail) -> None:
    entry = {
        "waktu": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "pengguna": user(settings),
        "perintah": perintah,
        "akses": akses,
        "snapshot": snapshot,
        **detail,
    }
    path = audit_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_APPEND: each line lands whole at the end, never over an earlier one.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    with os.fdopen(fd, "a") as f:
        f.write(json.dumps(entry, sort_keys=True) + "\n")
