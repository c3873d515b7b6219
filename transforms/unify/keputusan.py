"""Decisions carried forward: what only citizens' proposals create, kept month after month.

The feed holds an entry for three months; a verified new family, a verified correction and
a verified `MAMPU` objection must outlive that. The published `usulan` table says, per
entry, whether its decision is still in force after the run (`berlaku`), since when
(`diterapkan_sejak`) and, when it stopped, why (`berakhir`). The next refresh reads the
previous snapshot's entries in force (warehouse/keputusan.py) and applies them again, until
something newer decides:

- a new family (`USUL_BARU`): until a source lists its KK (the proposal has done its work)
  or nobody on the KK is alive (`DICANTUMKAN_SUMBER`, `KELUARGA_TIDAK_HIDUP`);
- a correction (`PERBAIKAN`), field by field: until a newer correction of the same field
  wins (`DIGANTIKAN:<id>`) or a source's value for the field is no longer the one the
  correction overrode (`DIUBAH_SUMBER`: the source is newer than the correction);
- a `MAMPU` objection: until a newer verified new-family proposal for the same KK
  (`DIGANTIKAN:<id>`), or the KK is no longer published (`KELUARGA_TIDAK_TERDAFTAR`).

Carried entries are listed in the published `usulan` with `dalam_feed = false`; a carried
family's fields keep the lineage `USULAN`, and `keluarga.keputusan` lists the decisions in
force for it, with their ids and dates.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from transforms.engine import run_sql_file

SQL = Path(__file__).parent / "sql"

# The carried columns, as the published `usulan` holds them: what the next refresh reads back.
CARRIED: tuple[tuple[str, str], ...] = (
    ("id_usulan", "VARCHAR"), ("kanal", "VARCHAR"), ("jenis", "VARCHAR"), ("tanggal", "DATE"),
    ("status", "VARCHAR"), ("no_kk", "VARCHAR"), ("kode_desa", "VARCHAR"), ("kode_prov", "VARCHAR"),
    ("alasan", "VARCHAR"), ("diterapkan_sejak", "DATE"), ("perubahan", "VARCHAR"),
    ("nilai_sumber", "VARCHAR"), ("rumah", "VARCHAR"),
)  # fmt: skip
CARRIED_COLUMNS = ", ".join(c for c, _ in CARRIED)
# None carried (before the first snapshot, or from one made before decisions were kept).
EMPTY = "SELECT " + ", ".join(f"NULL::{t} AS {c}" for c, t in CARRIED) + " WHERE false"


def carry_in(con: duckdb.DuckDBPyConnection, bawaan: Path | None) -> str:
    """`keputusan_lama` (the previous snapshot's decisions in force, from the file `bawaan`;
    none without one) and `keputusan_bawaan` (those the feed no longer carries)."""
    if bawaan is not None and Path(bawaan).exists():
        con.read_parquet(str(bawaan)).select(CARRIED_COLUMNS).create_view("keputusan_masuk")
    else:
        con.execute(f"CREATE OR REPLACE TEMP VIEW keputusan_masuk AS {EMPTY}")
    run_sql_file(con, SQL / "keputusan.sql")
    return "keputusan_bawaan"


def carry_families(con: duckdb.DuckDBPyConnection, housing: list[str], types: dict[str, str]) -> str:
    """Carried new families whose KK no source lists yet and someone on it is alive: one more
    household of source USULAN for that KK (its housing as proposed), outcome `DIBAWA`."""
    values = ", ".join(f"TRY_CAST(json_extract(rumah, '$.{f}') AS {types[f]}) AS {f}" for f in housing)
    con.execute("""
        CREATE OR REPLACE TABLE usul_baru_bawaan AS
        SELECT b.*, CASE
            WHEN b.no_kk IN (SELECT no_kk FROM rumah_tangga_kk WHERE sumber <> 'USULAN') THEN 'DICANTUMKAN_SUMBER'
            WHEN b.no_kk NOT IN (SELECT no_kk FROM penduduk WHERE hidup AND no_kk IS NOT NULL)
                THEN 'KELUARGA_TIDAK_HIDUP'
        END AS berakhir
        FROM keputusan_bawaan b WHERE jenis = 'USUL_BARU'""")
    con.execute(f"""
        INSERT INTO keluarga_sumber BY NAME
        SELECT 'USULAN' AS sumber, id_usulan AS id_keluarga_sumber, no_kk, kode_desa, kode_prov,
            tanggal AS tanggal_data{", " + values if values else ""}
        FROM usul_baru_bawaan WHERE berakhir IS NULL""")
    con.execute("""
        INSERT INTO rumah_tangga_kk BY NAME
        SELECT 'USULAN' AS sumber, b.id_usulan AS id_keluarga_sumber, b.no_kk,
            (SELECT count(*) FROM penduduk p WHERE p.no_kk = b.no_kk AND p.hidup) AS anggota_hidup,
            true AS memuat_kepala, true AS utama
        FROM usul_baru_bawaan b WHERE berakhir IS NULL""")
    con.execute("""
        INSERT INTO hasil_rumah_tangga BY NAME
        SELECT 'USULAN' AS sumber, id_usulan AS id_keluarga_sumber, kode_desa, kode_prov, no_kk, 1 AS jumlah_kk,
            'DIBAWA' AS hasil
        FROM usul_baru_bawaan WHERE berakhir IS NULL""")
    return "usul_baru_bawaan"


def corrections(con: duckdb.DuckDBPyConnection, fields: list[str], types: dict[str, str], cutoff: dt.date) -> str:
    """`perbaikan` (per KK, the corrected value of each field, NULL where none wins) from the
    feed's applied corrections and the carried ones, field by field; `koreksi` keeps every
    (correction, field) with whether it won and why it stopped."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE koreksi_calon AS
        WITH semua AS (
            SELECT u.id_usulan, u.no_kk, u.tanggal, u.perubahan, l.nilai_sumber,
                coalesce(l.diterapkan_sejak, $cutoff) AS diterapkan_sejak
            FROM usulan_berlaku u
            JOIN hasil_usulan h USING (id_usulan)
            LEFT JOIN keputusan_lama l USING (id_usulan)
            WHERE h.hasil = 'DITERAPKAN' AND u.jenis = 'PERBAIKAN'
            UNION ALL
            SELECT id_usulan, no_kk, tanggal, perubahan, nilai_sumber, diterapkan_sejak
            FROM keputusan_bawaan WHERE jenis = 'PERBAIKAN'
        )
        SELECT *, unnest(json_keys(perubahan::JSON)) AS bidang FROM semua""",
        {"cutoff": cutoff},
    )
    known = [f for f in fields if f in types]
    as_text = ", ".join(f"CAST({f} AS VARCHAR) AS {f}" for f in known)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE nilai_kini AS
        SELECT no_kk, bidang, nilai
        FROM (SELECT no_kk, {as_text} FROM keluarga WHERE no_kk IN (SELECT no_kk FROM koreksi_calon))
        UNPIVOT INCLUDE NULLS (nilai FOR bidang IN ({", ".join(known)}))""")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE koreksi AS
        WITH diperiksa AS (
            SELECT c.*, n.nilai AS nilai_kini, CASE
                WHEN c.no_kk NOT IN (SELECT no_kk FROM keluarga) THEN 'KELUARGA_TIDAK_TERDAFTAR'
                WHEN n.bidang IS NULL THEN 'BIDANG_TIDAK_DIKENAL'
                -- the source's value is no longer the one the correction overrode: the source is newer
                WHEN c.nilai_sumber IS NOT NULL
                    AND json_extract_string(c.nilai_sumber, '$.' || c.bidang) IS DISTINCT FROM n.nilai
                    THEN 'DIUBAH_SUMBER'
            END AS berakhir
            FROM koreksi_calon c LEFT JOIN nilai_kini n USING (no_kk, bidang)
        ), urut AS (
            SELECT *, first_value(id_usulan) OVER (PARTITION BY no_kk, bidang
                ORDER BY tanggal DESC NULLS LAST, id_usulan DESC) AS pemenang
            FROM diperiksa WHERE berakhir IS NULL
        )
        SELECT d.*, u.pemenang, coalesce(u.pemenang = d.id_usulan, false) AS menang,
            coalesce(d.berakhir, CASE WHEN u.pemenang <> d.id_usulan THEN 'DIGANTIKAN:' || u.pemenang END)
                AS alasan_akhir
        FROM diperiksa d LEFT JOIN urut u USING (id_usulan, bidang)""")
    wide = ", ".join(
        f"max(TRY_CAST(json_extract(perubahan, '$.{f}') AS {types[f]})) FILTER (WHERE menang AND bidang = '{f}') AS {f}"
        for f in known
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE perbaikan AS SELECT no_kk, {wide} FROM koreksi GROUP BY no_kk")
    return "perbaikan"


def objections(con: duckdb.DuckDBPyConnection) -> str:
    """`sanggahan` per KK: whether a MAMPU objection holds (from the feed, or carried and not
    superseded by a newer verified new-family proposal), and every objection's status."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE mampu_bawaan AS
        WITH usul_baru AS (
            SELECT no_kk, id_usulan, tanggal FROM hasil_usulan WHERE jenis = 'USUL_BARU' AND hasil = 'DITERAPKAN'
            UNION ALL
            SELECT no_kk, id_usulan, tanggal FROM usul_baru_bawaan WHERE berakhir IS NULL
        )
        SELECT b.*, CASE
            WHEN b.no_kk NOT IN (SELECT no_kk FROM keluarga) THEN 'KELUARGA_TIDAK_TERDAFTAR'
            ELSE (SELECT 'DIGANTIKAN:' || max(u.id_usulan) FROM usul_baru u
                  WHERE u.no_kk = b.no_kk AND u.tanggal > b.tanggal)
        END AS berakhir
        FROM keputusan_bawaan b WHERE jenis = 'SANGGAHAN' AND alasan = 'MAMPU'""")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE sanggahan AS
        WITH semua AS (
            SELECT no_kk, alasan, hasil, tanggal, id_usulan FROM hasil_usulan
            WHERE jenis = 'SANGGAHAN' AND hasil <> 'DITOLAK'
            UNION ALL
            SELECT no_kk, alasan, 'DITERAPKAN', tanggal, id_usulan FROM mampu_bawaan WHERE berakhir IS NULL
        )
        SELECT no_kk, bool_or(alasan = 'MAMPU' AND hasil = 'DITERAPKAN') AS mampu,
            string_agg(alasan || ':' || hasil, ', ' ORDER BY tanggal, id_usulan) AS status_sanggahan
        FROM semua GROUP BY no_kk""")
    return "sanggahan"


def in_force_per_family(con: duckdb.DuckDBPyConnection) -> str:
    """`keputusan_keluarga`: per published KK, the decisions in force (id, kind, date, since)."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE keputusan_keluarga AS
        SELECT no_kk, list({'id_usulan': id_usulan, 'jenis': jenis, 'alasan': alasan, 'tanggal': tanggal,
                            'diterapkan_sejak': diterapkan_sejak} ORDER BY tanggal, id_usulan) AS keputusan
        FROM usulan_terbit WHERE berlaku GROUP BY no_kk""")
    return "keputusan_keluarga"


def decide(con: duckdb.DuckDBPyConnection, cutoff: dt.date, housing: list[str]) -> str:
    """`usulan_terbit`: the published `usulan`, every feed entry with its outcome and the
    carried decisions, each saying whether it is in force after this run and why not."""
    rumah = "to_json(struct_pack(" + ", ".join(f"{f} := k.{f}" for f in housing) + "))::VARCHAR" if housing else "NULL"
    con.execute(
        f"""
        CREATE OR REPLACE TABLE usulan_terbit AS
        WITH per_koreksi AS (
            SELECT id_usulan,
                CASE WHEN bool_or(menang) THEN to_json(map_from_entries(
                    list(struct_pack(k := bidang, v := json_extract(perubahan, '$.' || bidang)))
                        FILTER (WHERE menang)))::VARCHAR
                END AS perubahan_berlaku,
                -- the sources' values it overrode, from its first application on
                coalesce(any_value(nilai_sumber),
                         to_json(map_from_entries(list(struct_pack(k := bidang, v := nilai_kini))))::VARCHAR)
                    AS nilai_sumber,
                bool_or(menang) AS berlaku, min(alasan_akhir) AS berakhir
            FROM koreksi GROUP BY id_usulan
        ), usul_baru AS (
            SELECT h.id_usulan, h.no_kk,
                h.no_kk IN (SELECT no_kk FROM rumah_tangga_kk WHERE sumber <> 'USULAN') AS dicantumkan, {rumah} AS rumah
            FROM hasil_usulan h
            LEFT JOIN keluarga_sumber k ON k.sumber = 'USULAN' AND k.id_keluarga_sumber = h.id_usulan
            WHERE h.jenis = 'USUL_BARU' AND h.hasil = 'DITERAPKAN'
        ), dari_feed AS (
            SELECT h.*, true AS dalam_feed,
                CASE WHEN h.hasil = 'DITERAPKAN' THEN coalesce(l.diterapkan_sejak, $cutoff) END AS diterapkan_sejak,
                CASE
                    WHEN h.hasil <> 'DITERAPKAN' THEN NULL
                    WHEN h.jenis = 'USUL_BARU' THEN CASE WHEN b.dicantumkan THEN 'DICANTUMKAN_SUMBER' END
                    WHEN h.jenis = 'PERBAIKAN' THEN CASE WHEN NOT coalesce(c.berlaku, false) THEN c.berakhir END
                END AS berakhir,
                CASE WHEN h.jenis = 'PERBAIKAN' THEN c.perubahan_berlaku END AS perubahan,
                CASE WHEN h.jenis = 'PERBAIKAN' THEN c.nilai_sumber END AS nilai_sumber,
                CASE WHEN h.jenis = 'USUL_BARU' THEN coalesce(l.rumah, b.rumah) END AS rumah
            FROM hasil_usulan h
            LEFT JOIN keputusan_lama l USING (id_usulan)
            LEFT JOIN usul_baru b USING (id_usulan)
            LEFT JOIN per_koreksi c USING (id_usulan)
        ), dibawa AS (
            SELECT k.id_usulan, k.kanal, k.jenis, k.tanggal, k.status, k.no_kk, k.kode_desa, k.kode_prov, k.alasan,
                false AS dalam_feed, k.diterapkan_sejak,
                CASE k.jenis WHEN 'USUL_BARU' THEN u.berakhir WHEN 'PERBAIKAN' THEN
                    CASE WHEN NOT coalesce(c.berlaku, false) THEN coalesce(c.berakhir, 'KELUARGA_TIDAK_TERDAFTAR') END
                    ELSE m.berakhir END AS berakhir,
                CASE WHEN k.jenis = 'PERBAIKAN' THEN c.perubahan_berlaku END AS perubahan,
                k.nilai_sumber, k.rumah
            FROM keputusan_bawaan k
            LEFT JOIN usul_baru_bawaan u USING (id_usulan)
            LEFT JOIN per_koreksi c USING (id_usulan)
            LEFT JOIN mampu_bawaan m USING (id_usulan)
        )
        SELECT id_usulan, kanal, jenis, tanggal, status, no_kk, kode_desa, kode_prov, alasan, hasil, keterangan,
            bertentangan, dalam_feed,
            hasil = 'DITERAPKAN' AND berakhir IS NULL
                AND (jenis IN ('USUL_BARU', 'PERBAIKAN') OR alasan = 'MAMPU') AS berlaku,
            diterapkan_sejak, berakhir, perubahan, nilai_sumber, rumah
        FROM dari_feed
        UNION ALL
        SELECT id_usulan, kanal, jenis, tanggal, status, no_kk, kode_desa, kode_prov, alasan,
            CASE WHEN berakhir IS NULL THEN 'DITERAPKAN' ELSE 'BERAKHIR' END AS hasil,
            CASE WHEN berakhir IS NULL THEN 'KEPUTUSAN_DIBAWA' ELSE berakhir END AS keterangan,
            false AS bertentangan, dalam_feed, berakhir IS NULL AS berlaku, diterapkan_sejak, berakhir,
            perubahan, nilai_sumber, rumah
        FROM dibawa""",
        {"cutoff": cutoff},
    )
    return "usulan_terbit"
