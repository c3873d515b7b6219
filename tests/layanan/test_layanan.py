"""The service (`dtsen serve`) as an agency meets it: each finding of the review of the old
access (issue 19) as a request, the credential's provinces in every endpoint, the audit."""

from __future__ import annotations

import json

import pytest

from tests.layanan.conftest import GALAT, KK_JABAR, KK_JATENG, N, audit_lines, bearer
from warehouse.access import pseudonym_key, token

PERSONAL = {*N.values(), KK_JABAR, KK_JATENG}


def test_no_key_a_wrong_a_revoked_or_an_expired_key_is_refused_and_audited(client, keys, published):
    assert client.get("/snapshot").status_code == 401
    assert client.get("/snapshot", headers=bearer("dtsen_000000000000_" + "x" * 43)).status_code == 401
    revoked = client.get("/snapshot", headers=bearer(keys.revoked))
    assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]
    expired = client.get("/snapshot", headers=bearer(keys.expired))
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]
    assert client.get("/snapshot", headers=bearer(keys.analis)).status_code == 200
    lines = audit_lines(published)
    assert [(e["status"], e["pengguna"]) for e in lines] == [("DITOLAK", "(tanpa kredensial yang sah)")] * 4 + [
        ("OK", "KEMENSOS")
    ]
    assert "revoked" in lines[2]["detail"]["alasan"] and lines[-1]["perintah"] == "GET /snapshot"


def test_the_role_and_the_agency_come_from_the_credential_not_from_the_request(client, keys, published):
    # The old `--akses penuh` and DTSEN_PENGGUNA, as a caller would try them on the service.
    asked = client.get(
        "/snapshot/current/keluarga",
        params={"akses": "penuh", "peran": "penuh"},
        headers=bearer(keys.analis) | {"X-Akses": "penuh", "X-Pengguna": "PRESIDEN", "X-DTSEN-Pengguna": "PRESIDEN"},
    )
    assert asked.status_code == 200
    rows = asked.json()["baris"]
    assert rows and all("token_no_kk" in r and "no_kk" not in r and "nik_kepala_keluarga" not in r for r in rows)
    assert not any(p in asked.text for p in PERSONAL)
    full = client.get("/snapshot/current/keluarga", headers=bearer(keys.penuh)).json()["baris"]
    assert {r["no_kk"] for r in full} == {KK_JABAR, KK_JATENG}
    assert [e["pengguna"] for e in audit_lines(published)] == ["KEMENSOS", "KEMENSOS PKH"]


def test_a_credential_for_one_province_sees_no_other_in_any_endpoint(client, keys, published):
    h = bearer(keys.jabar)
    families = client.get("/snapshot/current/keluarga", headers=h).json()
    assert families["jumlah"] == 1 and {r["kode_prov"] for r in families["baris"]} == {"32"}
    assert client.get("/snapshot/current/keluarga", params={"wilayah": "33"}, headers=h).status_code == 403
    sql = client.post(
        "/snapshot/current/sql",
        json={"sql": "SELECT kode_prov, count(*) AS n FROM individu GROUP BY ALL ORDER BY ALL"},
        headers=h,
    )
    assert sql.status_code == 200 and sql.json()["baris"] == [{"kode_prov": "32", "n": 3}]
    for table in ("tautan_sumber", "verifikasi", "karantina", "usulan"):
        seen = client.post(
            "/snapshot/current/sql", json={"sql": f"SELECT DISTINCT kode_prov FROM {table}"}, headers=h
        ).json()["baris"]
        assert {r["kode_prov"] for r in seen} <= {"32"}, table
    # A person of Jawa Tengah is not found with a Jawa Barat credential; one of Jawa Barat is.
    other = client.post("/snapshot/current/status", json={"nik": N[10]}, headers=h).json()
    assert other["terdaftar"] is False and other["kode_desa"] is None
    own = client.post("/snapshot/current/status", json={"nik": N[1]}, headers=h).json()
    assert own["terdaftar"] is True and own["desil_nasional"] == 2
    changes = client.get("/snapshot/2026-10-17/diff/2026-11-17", headers=h).json()["baris"]
    assert [r["kode_prov"] for r in changes] == ["32"]
    everywhere = client.get("/snapshot/2026-10-17/diff/2026-11-17", headers=bearer(keys.analis)).json()["baris"]
    assert [r["kode_prov"] for r in everywhere] == ["32"] and everywhere[0]["keluarga_keluar"] == 1


def test_the_status_look_up_never_echoes_the_nik_to_an_analyst(client, keys, published):
    found = client.post("/snapshot/current/status", json={"nik": N[1]}, headers=bearer(keys.analis))
    body = found.json()
    assert found.status_code == 200 and body["terdaftar"] and body["sejak"] == "2026-10-17"
    assert not any(p in found.text for p in PERSONAL)
    assert body["token_nik"] == token(N[1], pseudonym_key(published))  # the server's key, not the caller's
    assert [u["jenis"] for u in body["usulan"]] == ["PERBAIKAN", "SANGGAHAN"] and "token_id_usulan" in body["usulan"][0]
    dead = client.post("/snapshot/current/status", json={"nik": N[3]}, headers=bearer(keys.analis)).json()
    assert dead["terdaftar"] is False and dead["alasan"] == [{"sumber": "DTKS", "alasan": "MENINGGAL"}]
    full = client.post("/snapshot/current/status", json={"nik": N[1]}, headers=bearer(keys.penuh)).json()
    assert full["nik"] == N[1] and full["no_kk"] == KK_JABAR
    refused = client.post("/snapshot/current/status", json={"nik": N[1][:-1] + "x"}, headers=bearer(keys.analis))
    assert refused.status_code == 422 and N[1][:10] not in refused.text
    # The NIK travels in the body: no URL, and so no proxy's log, holds it; the audit keeps a token.
    lines = audit_lines(published)
    assert all("/status" in e["perintah"] for e in lines) and not any(
        p in json.dumps(lines, default=str) for p in PERSONAL
    )
    assert lines[0]["detail"]["orang"] == body["token_nik"][:16]


def test_the_analyst_tables_link_no_family_back_to_its_source_rows(client, keys):
    h = bearer(keys.analis)
    for sql in (
        "SELECT unnest(rumah_tangga_sumber) AS r FROM keluarga",
        "SELECT * FROM usulan",
        "SELECT * FROM karantina",
        "SELECT * FROM tautan_sumber",
        "SELECT * FROM verifikasi",
    ):
        answer = client.post("/snapshot/current/sql", json={"sql": sql}, headers=h)
        assert answer.status_code == 200, answer.text
        text = answer.text
        assert "KK3201" not in text and '"U0"' not in text and '"U1"' not in text and ":U0" not in text, sql
        assert not any(p in text for p in PERSONAL) and '"baris": 7' not in text, sql


@pytest.mark.parametrize(
    "sql",
    [
        "DETACH analis",
        "ATTACH 'var/analis/x.duckdb' AS w",
        "UPDATE keluarga SET desil_nasional = 1",
        "SET memory_limit = '100GB'",
        "CALL enable_logging('HTTP')",
        "COPY (SELECT * FROM individu) TO '.tmp/x.csv'",
        "SELECT * FROM read_parquet('var/warehouse/**/*.parquet')",
        "SELECT 1; SELECT 2",
    ],
)
def test_analyst_sql_that_writes_escapes_or_reconfigures_is_refused_and_audited(client, keys, published, sql):
    answer = client.post("/snapshot/current/sql", json={"sql": sql}, headers=bearer(keys.analis))
    assert answer.status_code == 400, answer.text
    (line,) = audit_lines(published)
    assert line["status"] == "DITOLAK" and line["pengguna"] == "KEMENSOS" and line["detail"]["alasan"]
    # Nothing was changed: every family keeps its decile for the next analyst.
    after = client.post(
        "/snapshot/current/sql",
        json={"sql": "SELECT desil_nasional FROM keluarga ORDER BY 1"},
        headers=bearer(keys.analis),
    )
    assert [r["desil_nasional"] for r in after.json()["baris"]] == [2, 9]


def test_the_audit_keeps_a_refused_failed_or_stopped_query_and_no_name_or_nik(client, keys, published, monkeypatch):
    h = bearer(keys.analis)
    nik = N[1]
    with_underscores = "_".join(nik[i : i + 4] for i in range(0, 16, 4))
    refused = client.post("/snapshot/current/sql", json={"sql": f"SELECT * FROM read_csv('/{nik}.csv')"}, headers=h)
    failed = client.post(
        "/snapshot/current/sql",
        json={"sql": f'SELECT nama AS "SITI AMINAH" FROM individu -- SITI {nik}\nWHERE token_nik = {with_underscores}'},
        headers=h,
    )
    assert refused.status_code == 400 and failed.status_code == 400  # analysts have no `nama`
    assert nik not in failed.text and "SITI" not in failed.text
    # An unbounded query is stopped at the service's time limit.
    monkeypatch.setattr(client.app.state.gudang.settings, "layanan_sql_detik", 0.5)
    endless = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r"
    stopped = client.post("/snapshot/current/sql", json={"sql": endless}, headers=h)
    assert stopped.status_code == 504, stopped.text
    lines = audit_lines(published)
    assert [e["status"] for e in lines] == ["DITOLAK", "DITOLAK", "WAKTU_HABIS"]
    assert "read_csv" in lines[0]["detail"]["kueri"] and lines[2]["detail"]["kueri"].startswith("WITH RECURSIVE")
    text = json.dumps(lines, default=str)
    assert nik not in text and "SITI" not in text and "0101_" not in text


def test_a_query_returns_at_most_the_row_limit_and_says_so(client, keys):
    client.app.state.gudang.settings.layanan_sql_baris = 2
    answer = client.post("/snapshot/current/sql", json={"sql": "SELECT * FROM individu"}, headers=bearer(keys.analis))
    assert answer.status_code == 200 and len(answer.json()["baris"]) == 2 and answer.json()["terpotong"] is True


def test_lists_come_as_json_csv_or_parquet_and_are_paged(client, keys):
    import io

    import pyarrow.parquet as pq

    h = bearer(keys.analis)
    page = client.get("/snapshot/2026-10-17/keluarga", params={"per_halaman": 2, "halaman": 2}, headers=h).json()
    assert page["jumlah"] == 3 and len(page["baris"]) == 1 and page["snapshot"] == "2026-10-17"
    poor = client.get("/snapshot/2026-10-17/keluarga", params={"desil_sampai": 5, "format": "csv"}, headers=h)
    assert poor.headers["content-type"].startswith("text/csv") and poor.text.count("\n") == 3  # header + 2
    parquet = client.get("/snapshot/2026-10-17/keluarga", params={"format": "parquet"}, headers=h)
    assert pq.read_table(io.BytesIO(parquet.content)).num_rows == 3
    assert client.get("/snapshot/2026-09-17/keluarga", headers=h).status_code == 404
    listed = client.get("/snapshot", headers=h).json()["snapshot"]
    assert [(s["tag"], s["current"]) for s in listed] == [("2026-11-17", True), ("2026-10-17", False)]
    assert [s["galat_penargetan"] for s in listed] == [GALAT, None]  # October's model: not fitted on its sample
    assert client.get("/openapi.json").json()["paths"]["/snapshot/{tag}/keluarga"]


def test_the_service_refuses_to_start_without_a_proper_key(published):
    from fastapi.testclient import TestClient
    from pydantic import SecretStr

    from layanan.app import buat_app
    from warehouse.access import AccessError

    short = published.model_copy(update={"pseudonym_key": SecretStr("kunci-pendek")})
    with pytest.raises(AccessError, match="32 bytes"), TestClient(buat_app(short)):
        pass


def test_behind_the_parser_the_engine_itself_is_locked(published):
    """Should a query pass the check that should not, the request's DuckDB still refuses."""
    import duckdb

    from layanan.baca import Dilihat, Gudang
    from warehouse.access import Akses

    gudang = Gudang(published)
    con = gudang.connect(gudang.snapshot("current"), Dilihat(Akses.analis, ("32",)))
    assert con.execute("SELECT count(*) FROM keluarga").fetchall() == [(1,)]  # its views read
    for sql in (
        "SET memory_limit = '100GB'",
        "SET enable_external_access = true",
        "SELECT * FROM read_parquet('/etc/hostname')",
        "COPY (SELECT 1) TO '/tmp/dtsen-uji.csv'",
        "ATTACH '/tmp/dtsen-uji.duckdb' AS w",
    ):
        with pytest.raises(duckdb.Error):
            con.execute(sql)
    assert con.execute("SELECT current_setting('temp_directory')").fetchall() == [("",)]  # nothing spills
