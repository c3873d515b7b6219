-- The outcome of every entry of the proposals feed, checked against the registry where an
-- objection claims a fact. Grain: one row per id_usulan.
CREATE OR REPLACE TABLE hasil_usulan AS
WITH kk AS (
    -- what the registry says of each KK an entry names
    SELECT no_kk,
        bool_or(NOT hidup) AS ada_yang_meninggal,
        bool_or(hidup) AS ada_yang_hidup,
        list_distinct(list(kode_desa) FILTER (WHERE hidup)) AS desa_kini
    FROM penduduk WHERE no_kk IN (SELECT no_kk FROM usulan) GROUP BY no_kk
), ganda AS (
    -- a KK that two households of one source reach: listed twice
    SELECT no_kk, true AS terbukti FROM rumah_tangga_kk GROUP BY no_kk, sumber HAVING count(*) > 1
), baru AS (
    SELECT id_keluarga_sumber AS id_usulan, hasil, no_kk AS kk_terbit FROM hasil_rumah_tangga WHERE sumber = 'USULAN'
), keputusan AS (
    SELECT u.*, t.pemenang, t.bertentangan, b.hasil AS hasil_rumah_tangga, b.kk_terbit,
        k.no_kk IS NOT NULL AS kk_di_registri, k.ada_yang_meninggal, k.ada_yang_hidup, k.desa_kini,
        u.no_kk IN (SELECT no_kk FROM kk_terdaftar) AS kk_terbit_lain,
        g.terbukti AS ganda_terbukti
    FROM usulan u
    LEFT JOIN usulan_terverifikasi t USING (id_usulan)
    LEFT JOIN kk k ON k.no_kk = u.no_kk
    LEFT JOIN baru b USING (id_usulan)
    LEFT JOIN (SELECT DISTINCT no_kk, terbukti FROM ganda) g ON g.no_kk = u.no_kk
)
SELECT id_usulan, kanal, jenis, tanggal, status, coalesce(kk_terbit, no_kk) AS no_kk, kode_desa, kode_prov, alasan,
    CASE
        WHEN status = 'DITOLAK' THEN 'DITOLAK'                                  -- kept as history
        WHEN status <> 'TERVERIFIKASI_DINSOS' THEN 'MENUNGGU'                   -- pending: DIAJUKAN, DISETUJUI_DESA
        WHEN id_usulan <> pemenang THEN 'DIGANTIKAN'                            -- a later verified entry won
        WHEN jenis = 'USUL_BARU' THEN CASE WHEN hasil_rumah_tangga = 'DIGABUNG' THEN 'DITERAPKAN' ELSE 'VERIFIKASI' END
        WHEN jenis = 'PERBAIKAN' THEN CASE WHEN kk_terbit_lain THEN 'DITERAPKAN' ELSE 'VERIFIKASI' END
        WHEN alasan = 'MENINGGAL' THEN CASE WHEN ada_yang_meninggal THEN 'DITERAPKAN' ELSE 'VERIFIKASI' END
        WHEN alasan = 'PINDAH' THEN CASE WHEN ada_yang_hidup AND NOT list_contains(desa_kini, kode_desa)
                                         THEN 'DITERAPKAN' ELSE 'VERIFIKASI' END
        WHEN alasan = 'GANDA' THEN CASE WHEN ganda_terbukti THEN 'DITERAPKAN' ELSE 'VERIFIKASI' END
        WHEN alasan = 'MAMPU' THEN CASE WHEN kk_terbit_lain THEN 'DITERAPKAN' ELSE 'VERIFIKASI' END
    END AS hasil,
    -- why: the reason for verification, what was applied, or which entry superseded this one
    CASE
        WHEN status <> 'TERVERIFIKASI_DINSOS' THEN NULL
        WHEN id_usulan <> pemenang THEN 'BERTENTANGAN_DIGANTIKAN_OLEH:' || pemenang
        WHEN jenis = 'USUL_BARU' THEN CASE hasil_rumah_tangga
            WHEN 'DIGABUNG' THEN 'KELUARGA_DITERBITKAN'
            WHEN 'TANPA_ANGGOTA_PADAN' THEN 'ANGGOTA_TIDAK_PADAN'
            ELSE 'SEMUA_ANGGOTA_MENINGGAL' END
        WHEN jenis = 'PERBAIKAN' THEN CASE WHEN kk_terbit_lain THEN 'DATA_DIPERBAIKI' ELSE 'KK_TIDAK_TERDAFTAR' END
        WHEN alasan = 'MENINGGAL' THEN CASE WHEN ada_yang_meninggal THEN 'KEMATIAN_TERCATAT_DUKCAPIL'
                                            ELSE 'KEMATIAN_TIDAK_TERCATAT' END
        WHEN alasan = 'PINDAH' THEN CASE WHEN ada_yang_hidup AND NOT list_contains(desa_kini, kode_desa)
                                         THEN 'ALAMAT_BARU_TERCATAT' ELSE 'PINDAH_TIDAK_TERCATAT' END
        WHEN alasan = 'GANDA' THEN CASE WHEN ganda_terbukti THEN 'GANDA_DIGABUNG' ELSE 'GANDA_TIDAK_TERBUKTI' END
        WHEN alasan = 'MAMPU' THEN CASE WHEN kk_terbit_lain THEN 'TIDAK_LAYAK_SASARAN' ELSE 'KK_TIDAK_TERDAFTAR' END
    END AS keterangan,
    coalesce(bertentangan, false) AS bertentangan
FROM keputusan;
