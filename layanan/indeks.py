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

    def path(self, snapshot: Snapshot) -> Path:
        return self.folder / f"{self.gudang.catalog.name}-{snapshot.tag}.duckdb"

    def connection(self, snapshot: Snapshot) -> duckdb.DuckDBPyConnection:
        """A cursor on the snapshot's index (built first when there is none)."""
        with self._lock:
            if snapshot.tag not in self._open:
                published, _ = self.gudang.snapshots()
                earlier = [s for s in published if (s.cutoff, s.revisi) < (snapshot.cutoff, snapshot.revisi)]
                previous = None
                for s in [*earlier, snapshot]:  # each index needs the one before it
                    if not self.path(s).exists():
                        self._build(s, previous)
                    previous = s
                self._open[snapshot.tag] = duckdb.connect(str(self.path(snapshot)), read_only=True)
        return self._open[snapshot.tag].cursor()

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
            con.execute(
                f"""CREATE TABLE orang AS
                SELECT i.nik, i.no_kk, i.desil_nasional, i.kode_desa, i.kode_prov, coalesce(b.sejak, $tag) AS sejak
                FROM {source("individu")} i LEFT JOIN ({before}) b USING (nik)""",
                {"tag": snapshot.tag},
            )
            family = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source('keluarga')}").fetchall()}
            eligible = "layak_sasaran" if "layak_sasaran" in family else "NULL::BOOLEAN AS layak_sasaran"
            con.execute(f"CREATE TABLE keluarga AS SELECT no_kk, kode_prov, {eligible} FROM {source('keluarga')}")
            entries = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source('usulan')}").fetchall()}
            since = "CASE WHEN berlaku THEN diterapkan_sejak END" if "berlaku" in entries else "NULL::DATE"
            con.execute(
                f"""CREATE TABLE usulan AS SELECT no_kk, kode_prov, id_usulan, jenis, tanggal, status, hasil, alasan,
                {since} AS sejak FROM {source("usulan")}"""
            )
            con.execute(
                f"""CREATE TABLE alasan AS
                SELECT DISTINCT t.nik, t.sumber, v.alasan, t.kode_prov AS prov_tautan, v.kode_prov AS prov_verifikasi
                FROM {source("tautan_sumber")} t JOIN {source("verifikasi")} v USING (sumber, id_sumber)
                WHERE t.nik IS NOT NULL"""
            )
            for table, column in (("orang", "nik"), ("keluarga", "no_kk"), ("usulan", "no_kk"), ("alasan", "nik")):
                con.execute(f"CREATE INDEX {table}_{column} ON {table} ({column})")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp, path)  # whole or absent

    def look_up(self, snapshot: Snapshot, nik: str, wilayah: tuple[str, ...]) -> Status:
        """What warehouse/status.py answers, from the index; only `wilayah`'s provinces (all when empty)."""
        con = self.connection(snapshot)
        try:
            ours = "(len($w) = 0 OR list_contains($w, {}))"
            found = con.execute(
                "SELECT no_kk, desil_nasional, kode_desa, sejak FROM orang WHERE nik = $nik AND "
                + ours.format("kode_prov"),
                {"nik": nik, "w": list(wilayah)},
            ).fetchall()
            if not found:
                reasons = con.execute(
                    "SELECT DISTINCT sumber, alasan FROM alasan WHERE nik = $nik AND "
                    + ours.format("prov_tautan")
                    + " AND "
                    + ours.format("prov_verifikasi")
                    + " ORDER BY ALL",
                    {"nik": nik, "w": list(wilayah)},
                ).fetchall()
                return Status(snapshot.tag, False, alasan=reasons)
            no_kk, desil, desa, sejak = found[0]
            params = {"kk": no_kk, "w": list(wilayah)}
            eligible = con.execute(
                "SELECT layak_sasaran FROM keluarga WHERE no_kk = $kk AND " + ours.format("kode_prov"), params
            ).fetchall()
            proposals = con.execute(
                "SELECT id_usulan, jenis, tanggal, status, hasil, alasan, sejak FROM usulan WHERE no_kk = $kk AND "
                + ours.format("kode_prov")
                + " ORDER BY tanggal, id_usulan",
                params,
            ).fetchall()
        finally:
            con.close()
        return Status(
            snapshot.tag,
            True,
            no_kk=no_kk,
            desil_nasional=desil,
            layak_sasaran=eligible[0][0] if eligible else None,
            kode_desa=desa,
            sejak=sejak,
            usulan=proposals,
        )
