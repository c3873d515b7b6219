"""The Cek Bansos look-up's index: one DuckDB file per snapshot, built by the service from the
snapshot's full tables the first time the snapshot is asked about, then read by point
look-ups on ART indexes (a status question is a handful of index probes, not a scan of
every person of the country).

`<home>/layanan/status/<catalog>-<tag>.duckdb`, beside the warehouse in the operator's home
and holding what its full tables hold (NIKs): never given to a caller. It is derived only:
deleting it costs a rebuild. `sejak` (the first snapshot of the unbroken run of listings up
to this one, as warehouse/status.py walks it) is carried from the previous snapshot's
index: listed there, the same `sejak`; else this tag.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import duckdb

from layanan.baca import Gudang
from transforms.engine import sql_path
from warehouse.read import source_sql
from warehouse.registry import Snapshot
from warehouse.status import Status


class Indeks:
    def __init__(self, gudang: Gudang):
        self.gudang = gudang
        self.folder = gudang.settings.home_dir / "layanan" / "status"
        self._open: dict[str, duckdb.DuckDBPyConnection] = {}
        self._lock = threading.Lock()
        self._building: dict[str, threading.Lock] = {}

    def path(self, snapshot: Snapshot) -> Path:
        return self.folder / f"{self.gudang.catalog.name}-{snapshot.tag}.duckdb"

    def connection(self, snapshot: Snapshot) -> duckdb.DuckDBPyConnection:
        """A cursor on the snapshot's index (built first when there is none)."""
        opened = self._open.get(snapshot.tag)
        if opened is None:
            self._ensure(snapshot)
            with self._lock:
                if snapshot.tag not in self._open:
                    self._open[snapshot.tag] = duckdb.connect(str(self.path(snapshot)), read_only=True)
            opened = self._open[snapshot.tag]
        return opened.cursor()

    def _ensure(self, snapshot: Snapshot) -> None:
        """The snapshot's index file, built after the one before it (its `sejak`). A build
        holds only its own snapshot's lock: look-ups in the other snapshots go on."""
        with self._lock:
            building = self._building.setdefault(snapshot.tag, threading.Lock())
        with building:
            if self.path(snapshot).exists():
                return
            published, _ = self.gudang.snapshots()
            earlier = [s for s in published if (s.cutoff, s.revisi) < (snapshot.cutoff, snapshot.revisi)]
            if earlier:
                self._ensure(earlier[-1])
            self._build(snapshot, earlier[-1] if earlier else None)

    def _build(self, snapshot: Snapshot, previous: Snapshot | None) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path(snapshot)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.unlink(missing_ok=True)
        con = duckdb.connect(str(tmp))
        try:
            con.execute("SET enable_progress_bar = false")

            def source(table: str) -> str:
                files, schema = self.gudang.files(snapshot, table)
                if files:
                    return source_sql(files)
                con.register(f"_kosong_{table}", schema.empty_table())
                return f"_kosong_{table}"

            before = "SELECT NULL::VARCHAR AS nik, NULL::VARCHAR AS sejak LIMIT 0"
            if previous is not None:
                con.execute(f"ATTACH '{sql_path(self.path(previous))}' AS sebelum (READ_ONLY)")
                before = "SELECT nik, sejak FROM sebelum.orang"
            family = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source('keluarga')}").fetchall()}
            eligible = "layak_sasaran" if "layak_sasaran" in family else "NULL::BOOLEAN AS layak_sasaran"
            entries = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source('usulan')}").fetchall()}
            since = "CASE WHEN berlaku THEN diterapkan_sejak END" if "berlaku" in entries else "NULL::DATE"
            # One row per listed person with all a look-up answers: one probe per question.
            con.execute(
                f"""CREATE TABLE orang AS
                WITH keluarga AS (SELECT no_kk, kode_prov AS prov_keluarga, {eligible} FROM {source("keluarga")}),
                usulan AS (
                    SELECT no_kk, list(struct_pack(id_usulan, jenis, tanggal, status, hasil, alasan,
                        sejak := {since}, kode_prov) ORDER BY tanggal, id_usulan) AS usulan
                    FROM {source("usulan")} GROUP BY no_kk)
                SELECT i.nik, i.no_kk, i.desil_nasional, i.kode_desa, i.kode_prov, coalesce(b.sejak, $tag) AS sejak,
                    k.prov_keluarga, k.layak_sasaran, u.usulan
                FROM {source("individu")} i LEFT JOIN ({before}) b USING (nik)
                LEFT JOIN keluarga k USING (no_kk) LEFT JOIN usulan u USING (no_kk)
                ORDER BY i.nik""",
                {"tag": snapshot.tag},
            )
            con.execute(
                f"""CREATE TABLE alasan AS
                SELECT DISTINCT t.nik, t.sumber, v.alasan, t.kode_prov AS prov_tautan, v.kode_prov AS prov_verifikasi
                FROM {source("tautan_sumber")} t JOIN {source("verifikasi")} v USING (sumber, id_sumber)
                WHERE t.nik IS NOT NULL ORDER BY t.nik"""
            )
            for table in ("orang", "alasan"):
                con.execute(f"CREATE INDEX {table}_nik ON {table} (nik)")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp, path)  # whole or absent

    def look_up(self, snapshot: Snapshot, nik: str, wilayah: tuple[str, ...]) -> Status:
        """What warehouse/status.py answers, from the index; only `wilayah`'s provinces (all when empty)."""

        def ours(kode: str | None) -> bool:
            return not wilayah or kode in wilayah

        con = self.connection(snapshot)
        try:
            found = con.execute(
                "SELECT no_kk, desil_nasional, kode_desa, sejak, kode_prov, prov_keluarga, layak_sasaran, usulan "
                "FROM orang WHERE nik = $nik",
                {"nik": nik},
            ).fetchall()
            if not found or not ours(found[0][4]):
                reasons = con.execute(
                    "SELECT DISTINCT sumber, alasan, prov_tautan, prov_verifikasi FROM alasan WHERE nik = $nik "
                    "ORDER BY ALL",
                    {"nik": nik},
                ).fetchall()
                kept = sorted({(s, a) for s, a, pt, pv in reasons if ours(pt) and ours(pv)})
                return Status(snapshot.tag, False, alasan=kept)
        finally:
            con.close()
        no_kk, desil, desa, sejak, _, prov_keluarga, eligible, proposals = found[0]
        return Status(
            snapshot.tag,
            True,
            no_kk=no_kk,
            desil_nasional=desil,
            layak_sasaran=eligible if prov_keluarga is not None and ours(prov_keluarga) else None,
            kode_desa=desa,
            sejak=sejak,
            usulan=[
                (u["id_usulan"], u["jenis"], u["tanggal"], u["status"], u["hasil"], u["alasan"], u["sejak"])
                for u in proposals or []
                if ours(u["kode_prov"])
            ],
        )
