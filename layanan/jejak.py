"""One audit line per request, committed before the answer leaves (a plain ASGI middleware).

Handlers fill the request's `Catatan` (who the credential says, the snapshot, rows, the
query's shape); the middleware holds the response back until the line of that request is
committed (warehouse/audit.py's writer), then sends it. A request whose line cannot be
written gets 503 instead of its answer; a request that fails with a bug gets 500, and its
line says so.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import traceback
from dataclasses import dataclass, field

from warehouse.audit import Entry, Writer
from warehouse.kredensial import Kredensial


@dataclass
class Catatan:
    """What a request's audit line says, filled in as the request goes."""

    kredensial: Kredensial | None = None
    snapshot: str | None = None
    baris: int | None = None
    status: str | None = None  # set by a handler that knows better than the HTTP code
    detail: dict = field(default_factory=dict)


def outcome(code: int) -> str:
    if code < 400:
        return "OK"
    if code in (401, 403, 400, 422):
        return "DITOLAK"
    if code == 404:
        return "TIDAK_ADA"
    if code in (408, 504):
        return "WAKTU_HABIS"
    return "GAGAL"


def _answer(code: int, detail: str) -> list[dict]:
    body = json.dumps({"detail": detail}).encode()
    return [
        {"type": "http.response.start", "status": code, "headers": [(b"content-type", b"application/json")]},
        {"type": "http.response.body", "body": body},
    ]


class Jejak:
    """The audit middleware around the whole app (`writer`: the app's audit writer, set at start)."""

    def __init__(self, app, writer: Writer | None = None):
        self.app = app
        self.writer = writer

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        note = Catatan()
        scope.setdefault("state", {})["catatan"] = note
        started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        held: list[dict] = []

        async def hold(message: dict) -> None:
            held.append(message)

        try:
            await self.app(scope, receive, hold)
        except Exception:  # a bug: the caller gets 500, the operator's log the traceback
            text = re.sub(r"\d{10,}", "?", traceback.format_exc())  # a query's NIK can be in a message
            logging.getLogger("dtsen.layanan").error("%s %s failed:\n%s", scope["method"], scope["path"], text)
            held = _answer(500, "internal error; the operator has the log")
        code = next((m["status"] for m in held if m["type"] == "http.response.start"), 500)
        route = scope.get("route")
        k = note.kredensial
        entry = Entry(
            perintah=f"{scope['method']} {getattr(route, 'path', '?')}",
            akses=k.peran.value if k else "-",
            snapshot=note.snapshot,
            pengguna=k.nama if k else "(tanpa kredensial yang sah)",
            kredensial=k.id if k else None,
            status=note.status or outcome(code),
            baris=note.baris,
            detail=note.detail | {"http": code},
            waktu=started,
        )
        writer = self.writer or scope["app"].state.audit
        try:
            await writer.write_async(entry)
        except RuntimeError:
            held = _answer(503, "the audit log cannot be written: nothing is answered")
        for message in held:
            await send(message)
