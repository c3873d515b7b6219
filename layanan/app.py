"""`dtsen serve`: the only door ministries and local governments read the register through.

FastAPI (in the lock already, through Prefect's server) on uvicorn. The server holds what
callers must not: the catalog's credentials, the pseudonymisation key, the audit log.
A caller holds one key (`dtsen akses buat`); its role (`analis`: the analyst tables;
`penuh`: the full ones) and its provinces come from the credential row, never from the
request. Every request, answered or refused, failed or stopped, is one audit line, written
and committed before the answer leaves (warehouse/audit.py); a request whose line cannot be
written is answered 503.

The endpoints (OpenAPI at /docs): the snapshots, a targeting list of families, the Cek Bansos
status of one NIK (sent in the body, never in a URL a proxy would log), the changes between
two snapshots per province, and checked read-only SQL (layanan/kueri.py) over one snapshot.
The web page for people who do not write SQL is layanan/halaman.py.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from typing import Annotated, Any, Literal

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from fastapi import Body, Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from dtsen.privacy import mask_nik
from dtsen.settings import Settings, get_settings
from layanan.baca import Dilihat, Gudang, TimedOut, run_limited
from layanan.daftar import Pilihan, families
from layanan.indeks import Indeks
from layanan.jejak import Catatan, Jejak
from layanan.kueri import SqlRefused, check
from warehouse.access import Akses, pseudonym_key, token
from warehouse.audit import Writer
from warehouse.catalog import TABLES
from warehouse.current import why_not_current
from warehouse.diff import diff as compare
from warehouse.kredensial import Checker, Kredensial, Peran, Refused
from warehouse.registry import Snapshot, SnapshotNotFound

COOKIE = "dtsen_kunci"  # the web page's session: the key itself, HttpOnly and same-site only
Format = Literal["json", "csv", "parquet"]


class JSON(JSONResponse):
    """JSON whose dates and decimals are written as text."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, default=str, ensure_ascii=False).encode()


def catatan(request: Request) -> Catatan:
    return request.state.catatan


def kredensial(request: Request) -> Kredensial:
    """The caller, as the server's check of its key says; 401 otherwise."""
    header = request.headers.get("authorization", "")
    key = header[7:].strip() if header.lower().startswith("bearer ") else request.cookies.get(COOKIE)
    try:
        k = request.app.state.checker.check(key)
    except Refused as e:
        catatan(request).detail["alasan"] = str(e)
        raise HTTPException(401, str(e), headers={"WWW-Authenticate": "Bearer"}) from None
    catatan(request).kredensial = k
    return k


Caller = Annotated[Kredensial, Depends(kredensial)]


def dilihat(k: Kredensial) -> Dilihat:
    return Dilihat(Akses.analis if k.peran is Peran.analis else Akses.penuh, k.wilayah)


def _snapshot(request: Request, tag: str) -> Snapshot:
    try:
        snap = request.app.state.gudang.snapshot(tag)
    except SnapshotNotFound as e:
        raise HTTPException(404, str(e)) from None
    catatan(request).snapshot = snap.tag
    return snap


def _answer(request: Request, table: pa.Table, format: Format, name: str, **meta) -> Response:
    catatan(request).baris = table.num_rows
    if format == "csv":
        out = io.BytesIO()
        pacsv.write_csv(table, out)
        return Response(
            out.getvalue(), media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}.csv"'}
        )
    if format == "parquet":
        out = io.BytesIO()
        pq.write_table(table, out)
        return Response(
            out.getvalue(),
            media_type="application/vnd.apache.parquet",
            headers={"Content-Disposition": f'attachment; filename="{name}.parquet"'},
        )
    return JSON(meta | {"baris": table.to_pylist()})


def _wilayah(k: Kredensial, wilayah: str | None) -> str:
    """A region prefix (province 2, regency 4, district 6 or village 10 digits) the caller may see."""
    if not wilayah:
        return ""
    if not re.fullmatch(r"\d{2}(\d{2}(\d{2}(\d{4})?)?)?", wilayah):
        raise HTTPException(422, "wilayah: a region code of 2, 4, 6 or 10 digits")
    if not k.sees(wilayah):
        raise HTTPException(403, f"wilayah {wilayah}: outside this credential's provinces")
    return wilayah


class StatusRequest(BaseModel):
    nik: str = Field(description="the person's NIK (16 digits); never echoed back in clear to an analyst")


class SqlRequest(BaseModel):
    sql: str = Field(description="one SELECT (or WITH ... SELECT) over the snapshot's tables")
    format: Format = "json"


def buat_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.gudang = Gudang(settings)
        app.state.indeks = Indeks(app.state.gudang)
        app.state.checker = Checker(settings, remember_seconds=settings.layanan_segar_detik)
        app.state.audit = Writer(settings)
        app.state.key = pseudonym_key(settings)  # refused at start when missing or short
        yield
        app.state.gudang.close()
        app.state.audit.close()

    app = FastAPI(
        title="DTSEN",
        summary="The national social-economic register (Data Tunggal Sosial dan Ekonomi Nasional), for agencies",
        description="Send your agency's key as `Authorization: Bearer <key>`. Every request is audited.",
        lifespan=lifespan,
    )

    app.add_middleware(Jejak)

    @app.get("/snapshot", summary="The published snapshots and their quality status")
    def daftar_snapshot(request: Request, k: Caller) -> JSON:
        published, now = request.app.state.gudang.snapshots()
        rows = [
            {
                "tag": s.tag,
                "cutoff": s.cutoff.isoformat(),
                "revisi": s.revisi,
                "diterbitkan": s.diterbitkan.isoformat(timespec="seconds"),
                "status_mutu": s.status_mutu,
                "current": now is not None and s.tag == now.tag,
                "boleh_current": why_not_current(s, settings.peringatan_diterima) is None,
                "untuk_analis": all(f"analis_{t}" in s.snapshot_tabel for t in TABLES),
                # The model's out-of-sample targeting error (transforms/rank/galat.py).
                "galat_penargetan": s.galat_penargetan,
            }
            for s in reversed(published)
        ]
        catatan(request).baris = len(rows)
        return JSON({"snapshot": rows})

    @app.get("/snapshot/{tag}/keluarga", summary="A targeting list: families by region, decile and eligibility")
    def keluarga(
        request: Request,
        k: Caller,
        tag: str,
        wilayah: Annotated[str | None, Query(description="region code prefix: 32, 3201, 320101 or a village")] = None,
        desil_dari: Annotated[int, Query(ge=1, le=10)] = 1,
        desil_sampai: Annotated[int, Query(ge=1, le=10)] = 10,
        layak: Annotated[bool | None, Query(description="true: eligible families only")] = None,
        halaman: Annotated[int, Query(ge=1)] = 1,
        per_halaman: Annotated[int, Query(ge=1)] = 1000,
        format: Format = "json",
    ) -> Response:
        snap = _snapshot(request, tag)
        prefix = _wilayah(k, wilayah)
        per_halaman = min(per_halaman, settings.layanan_halaman_baris)
        pilihan = Pilihan(prefix, desil_dari, desil_sampai, layak)
        con = request.app.state.gudang.connect(snap, dilihat(k), ["keluarga"])
        try:
            total, table = families(con, pilihan, per_halaman, (halaman - 1) * per_halaman)
        finally:
            con.close()
        catatan(request).detail.update(wilayah=prefix or None, desil=[desil_dari, desil_sampai], halaman=halaman)
        return _answer(
            request,
            table,
            format,
            f"keluarga_{snap.tag}_{prefix or 'semua'}",
            snapshot=snap.tag,
            jumlah=total,
            halaman=halaman,
            per_halaman=per_halaman,
        )

    @app.post("/snapshot/{tag}/status", summary="Cek Bansos: is this person listed, in which decile, since when")
    def status(request: Request, k: Caller, tag: str, body: Annotated[StatusRequest, Body()]) -> JSON:
        snap = _snapshot(request, tag)
        nik = body.nik.strip()
        if not re.fullmatch(r"\d{16}", nik):
            raise HTTPException(422, "nik: 16 digits")
        found = request.app.state.indeks.look_up(snap, nik, k.wilayah)
        key = request.app.state.key
        analyst = k.peran is Peran.analis
        person = token(nik, key)
        catatan(request).detail["orang"] = person[:16]  # the audit's way to say who was looked up
        catatan(request).baris = 1 if found.terdaftar else 0
        kk = None if found.no_kk is None else token(found.no_kk, key) if analyst else found.no_kk
        return JSON(
            {
                "snapshot": found.snapshot,
                "nik": mask_nik(nik) if analyst else nik,
                "token_nik": person,
                "terdaftar": found.terdaftar,
                "token_no_kk" if analyst else "no_kk": kk,
                "desil_nasional": found.desil_nasional,
                "layak_sasaran": found.layak_sasaran,
                "kode_desa": found.kode_desa,
                "sejak": found.sejak,
                "alasan": [{"sumber": s, "alasan": a} for s, a in found.alasan],
                "usulan": [
                    {
                        "token_id_usulan" if analyst else "id_usulan": token(i, key) if analyst else i,
                        "jenis": jenis,
                        "tanggal": tanggal,
                        "status": state,
                        "hasil": hasil,
                        "alasan": alasan,
                        "berlaku_sejak": since,
                    }
                    for i, jenis, tanggal, state, hasil, alasan, since in found.usulan
                ],
                "catatan": "only this credential's provinces are searched" if k.wilayah else None,
            }
        )

    @app.get(
        "/snapshot/{tag_a}/diff/{tag_b}", summary="Families and persons in, out, with another decile, per province"
    )
    def perubahan(request: Request, k: Caller, tag_a: str, tag_b: str, format: Format = "json") -> Response:
        a, b = _snapshot(request, tag_a), _snapshot(request, tag_b)
        catatan(request).snapshot = f"{a.tag}..{b.tag}"
        view = dilihat(k)
        gudang: Gudang = request.app.state.gudang
        con = gudang.connect(a, view, ["keluarga", "individu"], prefix="a_", more=[(b, "b_")])
        try:
            keys = ("token_no_kk", "token_nik") if view.akses is Akses.analis else ("no_kk", "nik")
            compare(con, *keys)
            table = con.sql("SELECT * FROM perubahan_provinsi").to_arrow_table()
        finally:
            con.close()
        return _answer(request, table, format, f"diff_{a.tag}_{b.tag}", dari=a.tag, ke=b.tag)

    @app.post("/snapshot/{tag}/sql", summary="Read-only SQL over one snapshot (checked, limited, audited)")
    def sql(request: Request, k: Caller, tag: str, body: Annotated[SqlRequest, Body()]) -> Response:
        snap = _snapshot(request, tag)
        note = catatan(request)
        con = request.app.state.gudang.connect(snap, dilihat(k))
        try:
            columns = {r[0] for t in TABLES for r in con.execute(f"DESCRIBE {t}").fetchall()}
            try:
                checked = check(body.sql, TABLES, columns)
            except SqlRefused as e:
                note.detail.update(kueri=e.shape, alasan=e.reason)
                raise HTTPException(400, e.reason) from None
            note.detail.update(kueri=checked.shape, tabel=checked.tables)
            try:
                table, more = run_limited(con, body.sql, None, settings.layanan_sql_detik, settings.layanan_sql_baris)
            except TimedOut as e:
                note.status = "WAKTU_HABIS"
                raise HTTPException(504, str(e)) from None
            except Exception as e:  # DuckDB's own words: a binder or memory error, about the query's shape
                note.detail["alasan"] = type(e).__name__
                raise HTTPException(400, _error_text(e)) from None
        finally:
            con.close()
        note.detail["terpotong"] = more
        return _answer(request, table, body.format, f"kueri_{snap.tag}", snapshot=snap.tag, terpotong=more)

    from layanan.halaman import pasang

    pasang(app, settings)
    return app


def _error_text(e: Exception) -> str:
    """DuckDB's message, with any literal it quotes back blanked (a NIK typed into the query)."""
    first = str(e).splitlines()[0] if str(e) else type(e).__name__
    return re.sub(r"\d{4,}", "?", re.sub(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"", "'?'", first))[:300]
