"""The web page for people who do not write SQL: log in with the agency's key, pick a
snapshot, a province and regency, a decile range; see the families per decile and per
village; download the list as CSV.

Plain server-rendered HTML (Jinja2, in the lock through Prefect), no script. The key is kept
in an HttpOnly, same-site-only cookie and checked on every page like the API's header; the
forms are read with the standard library (`urllib.parse`), so no form-parsing dependency is
added. Every page is audited by the same middleware as the API.
"""

from __future__ import annotations

import io
import urllib.parse
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated

import pyarrow.csv as pacsv
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment

from dtsen.referensi import province_codes, region_names
from dtsen.settings import Settings
from warehouse.kredensial import Kredensial, Refused
from warehouse.registry import Snapshot

_ENV = Environment(autoescape=True)

_LAYOUT = """<!doctype html>
<html lang="id"><head><meta charset="utf-8"><title>DTSEN{% if judul %}: {{ judul }}{% endif %}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 64rem; color: #1b1b1b; }
h1 { font-size: 1.4rem; } table { border-collapse: collapse; margin: 1rem 0; }
td, th { border: 1px solid #ccc; padding: .25rem .6rem; text-align: right; } th { background: #f2f2f2; }
td.nama, th.nama { text-align: left; } form.pilih label { margin-right: 1rem; }
.galat { color: #a00; font-weight: bold; } .kecil { color: #555; font-size: .9rem; }
</style></head><body>
<h1>DTSEN: Data Tunggal Sosial dan Ekonomi Nasional</h1>
{% block isi %}{% endblock %}
</body></html>"""

_MASUK = _ENV.from_string(
    _LAYOUT.replace(
        "{% block isi %}{% endblock %}",
        """<p>Masuk dengan kunci instansi Anda (dari operator DTSEN).</p>
{% if galat %}<p class="galat" id="galat">{{ galat }}</p>{% endif %}
<form method="post" action="/masuk">
<label>Kunci <input type="password" name="kunci" id="kunci" size="70" autocomplete="off"></label>
<button type="submit" id="masuk">Masuk</button>
</form>""",
    )
)

_DAFTAR = _ENV.from_string(
    _LAYOUT.replace(
        "{% block isi %}{% endblock %}",
        """<p class="kecil">Masuk sebagai <b>{{ k.nama }}</b> ({{ k.peran.value }}{% if k.wilayah %},
provinsi {{ k.wilayah|join(", ") }}{% endif %}). <a href="/keluar">Keluar</a></p>
<form class="pilih" method="get" action="/halaman">
<label>Snapshot <select name="snapshot" id="snapshot">
{% for s in snapshots %}<option value="{{ s.tag }}" {% if s.tag == pilih.snapshot %}selected{% endif %}>
{{ s.tag }}{% if s.tag == current %} (current){% endif %}</option>{% endfor %}</select></label>
<label>Provinsi <select name="provinsi" id="provinsi">
{% if not k.wilayah %}<option value="">semua</option>{% endif %}
{% for kode, nama in provinsi %}<option value="{{ kode }}" {% if kode == pilih.provinsi %}selected{% endif %}>
{{ kode }} {{ nama }}</option>{% endfor %}</select></label>
<label>Kabupaten/kota <select name="kabupaten" id="kabupaten"><option value="">semua</option>
{% for kode, nama in kabupaten %}<option value="{{ kode }}" {% if kode == pilih.kabupaten %}selected{% endif %}>
{{ kode }} {{ nama }}</option>{% endfor %}</select></label>
<label>Desil <input name="desil_dari" id="desil_dari" type="number" min="1" max="10" value="{{ pilih.desil_dari }}">
sampai <input name="desil_sampai" id="desil_sampai" type="number" min="1" max="10" value="{{ pilih.desil_sampai }}">
</label>
<button type="submit" id="tampilkan">Tampilkan</button>
</form>
{% if galat %}<p class="galat" id="galat">{{ galat }}</p>{% endif %}
{% if desil is not none %}
<h2>Keluarga per desil: snapshot {{ pilih.snapshot }}, wilayah {{ wilayah_nama }}</h2>
<table id="per-desil"><tr><th>desil</th><th>keluarga</th><th>jiwa</th></tr>
{% for d, kel, jiwa in desil %}<tr><td>{{ d }}</td><td>{{ "{:,}".format(kel) }}</td>
<td>{{ "{:,}".format(jiwa or 0) }}</td></tr>{% endfor %}
<tr><th>jumlah</th><th id="jumlah">{{ "{:,}".format(jumlah) }}</th><th>{{ "{:,}".format(jiwa) }}</th></tr></table>
<p><a id="unduh" href="/halaman/unduh?{{ query }}">Unduh daftar keluarga (CSV, {{ "{:,}".format(jumlah) }} baris)</a>
{% if jumlah > batas %}<span class="kecil">: {{ "{:,}".format(batas) }} baris pertama; persempit pilihan
untuk sisanya</span>{% endif %}</p>
<h2>Per desa/kelurahan</h2>
<table id="per-desa"><tr><th class="nama">desa/kelurahan</th><th>kode</th><th>keluarga</th><th>jiwa</th>
<th>layak sasaran</th></tr>
{% for kode, nama, kel, jiwa, layak in desa %}<tr><td class="nama">{{ nama }}</td><td>{{ kode }}</td>
<td>{{ "{:,}".format(kel) }}</td><td>{{ "{:,}".format(jiwa or 0) }}</td>
<td>{{ "" if layak is none else "{:,}".format(layak) }}</td></tr>{% endfor %}</table>
{% if desa|length == batas_desa %}<p class="kecil">{{ batas_desa }} desa pertama; pilih kabupaten untuk
sisanya.</p>{% endif %}
{% endif %}""",
    )
)

VILLAGES_SHOWN = 500


@dataclass(frozen=True)
class Form:
    """What the page's form asks for, checked against the caller's credential."""

    published: list[Snapshot]
    now: Snapshot | None
    tag: str | None
    provinces: list[str]
    province: str
    regency: str
    lo: int
    hi: int

    @property
    def wilayah(self) -> str:
        return self.regency or self.province


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    return region_names()


def _page(html: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def _caller(request: Request) -> Kredensial | None:
    from layanan.app import catatan

    try:
        k = request.app.state.checker.check(request.cookies.get("dtsen_kunci"))
    except Refused as e:
        catatan(request).detail["alasan"] = str(e)
        return None
    catatan(request).kredensial = k
    return k


def _signed_in(request: Request) -> Kredensial:
    """The page's caller; one without a good key in the cookie is sent to the login."""
    k = _caller(request)
    if k is None:
        raise HTTPException(303, "not signed in", headers={"Location": "/"})
    return k


SignedIn = Annotated[Kredensial, Depends(_signed_in)]


def pasang(app: FastAPI, settings: Settings) -> None:
    """The page's routes on the service's app."""
    from layanan.app import COOKIE, catatan, dilihat
    from layanan.daftar import Pilihan, families, per_decile, per_village

    @app.get("/", include_in_schema=False)
    def awal(request: Request) -> Response:
        if _caller(request) is not None:
            return RedirectResponse("/halaman", status_code=303)
        return _page(_MASUK.render(judul="masuk", galat=None))

    @app.post("/masuk", include_in_schema=False)
    async def masuk(request: Request) -> Response:
        form = urllib.parse.parse_qs((await request.body()).decode("utf-8", "replace"))
        key = (form.get("kunci") or [""])[0].strip()
        try:
            k = request.app.state.checker.check(key)
        except Refused as e:
            catatan(request).detail["alasan"] = str(e)
            return _page(_MASUK.render(judul="masuk", galat=f"Ditolak: {e}"), status=401)
        catatan(request).kredensial = k
        response = RedirectResponse("/halaman", status_code=303)
        response.set_cookie(
            COOKIE, key, httponly=True, samesite="strict", secure=request.url.scheme == "https", max_age=8 * 3600
        )
        return response

    @app.get("/keluar", include_in_schema=False)
    def keluar(request: Request) -> Response:
        _caller(request)
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    def _form(request: Request, k: Kredensial) -> Form:
        q = request.query_params
        published, now = request.app.state.gudang.snapshots()
        tag = q.get("snapshot") or (now.tag if now else published[-1].tag if published else None)
        provinces = sorted(p for p in province_codes() if k.sees(p))
        province = q.get("provinsi") or (provinces[0] if k.wilayah else "")
        regency = q.get("kabupaten") or ""
        if province and province not in provinces:
            raise HTTPException(403, f"provinsi {province}: di luar wilayah kredensial ini")
        if regency and (len(regency) != 4 or not regency.isdigit() or not regency.startswith(province or "xx")):
            raise HTTPException(422, "kabupaten: 4 digits of the chosen province")
        try:
            lo, hi = int(q.get("desil_dari", 1)), int(q.get("desil_sampai", 10))
        except ValueError:
            raise HTTPException(422, "desil: 1 to 10") from None
        if not (1 <= lo <= hi <= 10):
            raise HTTPException(422, "desil: 1 to 10, the first not above the second")
        return Form(published, now, tag, provinces, province, regency, lo, hi)

    def _opened(request: Request, k: Kredensial, form: Form):
        """The chosen snapshot's families, as the caller may see them."""
        snap = request.app.state.gudang.snapshot(form.tag)
        catatan(request).snapshot = snap.tag
        catatan(request).detail.update(wilayah=form.wilayah or None, desil=[form.lo, form.hi])
        return snap, request.app.state.gudang.connect(snap, dilihat(k), ["keluarga"])

    @app.get("/halaman", include_in_schema=False)
    def halaman(request: Request, k: SignedIn) -> Response:
        form = _form(request, k)
        names = _names()
        chosen = {"snapshot": form.tag, "provinsi": form.province, "kabupaten": form.regency,
                  "desil_dari": form.lo, "desil_sampai": form.hi}  # fmt: skip
        context = {
            "judul": "daftar",
            "k": k,
            "snapshots": list(reversed(form.published)),
            "current": form.now.tag if form.now else None,
            "provinsi": [(p, names.get(p, "")) for p in form.provinces],
            "kabupaten": [
                (c, n) for c, n in names.items() if len(c) == 4 and form.province and c.startswith(form.province)
            ],
            "pilih": chosen,
            "desil": None,
            "galat": None,
        }
        if form.tag is not None and "snapshot" in request.query_params:  # the form was sent
            pilihan = Pilihan(form.wilayah, form.lo, form.hi)
            _, con = _opened(request, k, form)
            try:
                deciles = per_decile(con, pilihan)
                villages = per_village(con, pilihan, VILLAGES_SHOWN)
            finally:
                con.close()
            catatan(request).baris = len(villages)
            where = form.wilayah
            context |= {
                "desil": deciles,
                "jumlah": sum(d[1] for d in deciles),
                "jiwa": sum(d[2] or 0 for d in deciles),
                "desa": [(c, names.get(c, "(tidak dikenal)"), n, p, e) for c, n, p, e in villages],
                "batas_desa": VILLAGES_SHOWN,
                "batas": settings.layanan_sql_baris,
                "wilayah_nama": f"{where} {names.get(where, '')}" if where else "semua",
                "query": urllib.parse.urlencode(chosen),
            }
        elif form.tag is None:
            context["galat"] = "Belum ada snapshot yang diterbitkan."
        return _page(_DAFTAR.render(**context))

    @app.get("/halaman/unduh", include_in_schema=False)
    def unduh(request: Request, k: SignedIn) -> Response:
        form = _form(request, k)
        if form.tag is None:
            raise HTTPException(404, "nothing is published yet")
        snap, con = _opened(request, k, form)
        try:
            _, table = families(con, Pilihan(form.wilayah, form.lo, form.hi), settings.layanan_sql_baris)
        finally:
            con.close()
        catatan(request).baris = table.num_rows
        catatan(request).detail["format"] = "csv"
        out = io.BytesIO()
        pacsv.write_csv(table, out)
        name = f"keluarga_{snap.tag}_{form.wilayah or 'semua'}_desil{form.lo}-{form.hi}.csv"
        return Response(
            out.getvalue(), media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'}
        )
