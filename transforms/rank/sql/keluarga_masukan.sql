-- Each published family in the survey's shape: size and composition from its living
-- members (ages on the cut-off date), the head's schooling and work, housing and assets
-- as survivorship chose them. A count no member has data for stays NULL (missing), it is
-- not a zero. Grain: one row per no_kk.
CREATE OR REPLACE TABLE keluarga_masukan AS
WITH anggota AS (
    SELECT i.no_kk, i.nik, i.jenis_kelamin, date_sub('year', i.tgl_lahir, $cutoff::DATE) AS umur,
        a.r413, a.r416, a.r417, a.r428, a.r430
    FROM individu i
    LEFT JOIN atribut_orang a USING (nik)
), komposisi AS (
    SELECT no_kk,
        count(*) FILTER (WHERE umur < 5) AS jumlah_balita,
        count(*) FILTER (WHERE umur >= 5 AND umur < 18) AS jumlah_anak,
        count(*) FILTER (WHERE umur >= 60) AS jumlah_lansia,
        CASE WHEN count(r428) > 0 THEN count(*) FILTER (WHERE r428 = 1) END AS jumlah_disabilitas,
        CASE WHEN count(r430) > 0 THEN count(*) FILTER (WHERE r430 = 1) END AS jumlah_sakit_kronis,
        CASE WHEN count(r416) > 0 THEN count(*) FILTER (WHERE r416 = 1) END AS jumlah_bekerja
    FROM anggota
    GROUP BY no_kk
)
SELECT k.*, k.jumlah_anggota AS jumlah_art, c.* EXCLUDE (no_kk),
    h.umur AS umur_kepala, h.jenis_kelamin AS jenis_kelamin_kepala,
    h.r413 AS r413_kepala, h.r416 AS r416_kepala, h.r417 AS r417_kepala
FROM keluarga k
JOIN komposisi c USING (no_kk)
LEFT JOIN anggota h ON h.nik = k.nik_kepala_keluarga;
