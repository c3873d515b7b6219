"""`dtsen status NIK`: the Cek Bansos question. Is this person listed, in which family and
decile, since which snapshot, and why not when not (e.g. the registry records a death); and
the family's proposals and objections, pending or decided."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
from pyiceberg.catalog import Catalog

from warehouse.access import Akses
from warehouse.read import open_snapshot
from warehouse.registry import Snapshot, snapshots

# A snapshot's tables, full, as views of one DuckDB (the service passes its own, region-limited).
Opener = Callable[[Snapshot, list[str]], duckdb.DuckDBPyConnection]


@dataclass
class Status:
    snapshot: str
    terdaftar: bool
    no_kk: str | None = None
    desil_nasional: int | None = None
    layak_sasaran: bool | None = None  # false: a MAMPU objection holds, the family is not targeted
    kode_desa: str | None = None
    sejak: str | None = None  # the first snapshot of the unbroken run of listings up to this one
    alasan: list[tuple[str, str]] = field(default_factory=list)  # (source, reason) of unlisted records
    # the family's proposals and objections: (id, kind, date, status, outcome, reason, in force since)
    usulan: list[tuple] = field(default_factory=list)


def _listing(open_: Opener, snapshot: Snapshot, nik: str) -> tuple | None:
    con = open_(snapshot, ["individu"])
    rows = con.execute(
        "SELECT no_kk, desil_nasional, kode_desa FROM individu WHERE nik = $nik", {"nik": nik}
    ).fetchall()
    return rows[0] if rows else None


def status(catalog: Catalog, snapshot: Snapshot, nik: str) -> Status:
    """The look-up on the warehouse directly (the operator's `dtsen status`)."""
    return look_up(snapshot, nik, snapshots(catalog), lambda s, t: open_snapshot(catalog, s, Akses.penuh, tables=t))


def look_up(snapshot: Snapshot, nik: str, published: list[Snapshot], open_: Opener) -> Status:
    """The person's status in `snapshot`; `published`: every snapshot, for since when."""
    found = _listing(open_, snapshot, nik)
    if found is None:
        con = open_(snapshot, ["tautan_sumber", "verifikasi"])
        reasons = con.execute(
            "SELECT DISTINCT t.sumber, v.alasan FROM tautan_sumber t JOIN verifikasi v USING (sumber, id_sumber) "
            "WHERE t.nik = $nik ORDER BY ALL",
            {"nik": nik},
        ).fetchall()
        return Status(snapshot.tag, False, alasan=reasons)
    since = snapshot.tag
    earlier = [s for s in published if (s.cutoff, s.revisi) < (snapshot.cutoff, snapshot.revisi)]
    for s in reversed(earlier):
        if _listing(open_, s, nik) is None:
            break
        since = s.tag
    no_kk, desil, desa = found
    con = open_(snapshot, ["usulan", "keluarga"])
    has_flag = "layak_sasaran" in {r[0] for r in con.execute("DESCRIBE keluarga").fetchall()}
    eligible = (
        con.execute("SELECT layak_sasaran FROM keluarga WHERE no_kk = $kk", {"kk": no_kk}).fetchall()
        if has_flag
        else []
    )
    # A decision in force says since when; a snapshot from before decisions were kept cannot.
    kept = "berlaku" in {r[0] for r in con.execute("DESCRIBE usulan").fetchall()}
    since_sql = "CASE WHEN berlaku THEN diterapkan_sejak END" if kept else "NULL::DATE"
    proposals = con.execute(
        f"SELECT id_usulan, jenis, tanggal, status, hasil, alasan, {since_sql} FROM usulan WHERE no_kk = $kk "
        "ORDER BY tanggal, id_usulan",
        {"kk": no_kk},
    ).fetchall()
    return Status(
        snapshot.tag,
        True,
        no_kk=no_kk,
        desil_nasional=desil,
        layak_sasaran=eligible[0][0] if eligible else None,
        kode_desa=desa,
        sejak=since,
        usulan=proposals,
    )
