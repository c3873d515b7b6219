-- Source households onto the registry's family cards. A household's living members may
-- sit on more than one KK today (a married child split off after the source listed them):
-- the household then reaches each of those KKs, and speaks first (`utama`) for the KK
-- that holds its head, else most of its members.
-- Grain: one row per (sumber, id_keluarga_sumber, no_kk).
CREATE OR REPLACE TABLE rumah_tangga_kk AS
SELECT a.sumber, a.id_keluarga_sumber, p.no_kk,
    count(*) AS anggota_hidup,
    bool_or(a.hubungan = 1) AS memuat_kepala,
    row_number() OVER (PARTITION BY a.sumber, a.id_keluarga_sumber
                       ORDER BY bool_or(a.hubungan = 1) DESC, count(*) DESC, p.no_kk) = 1 AS utama
FROM anggota_sumber a
JOIN tautan t USING (sumber, id_sumber)
JOIN penduduk p ON p.nik = t.nik
WHERE p.hidup AND p.no_kk IS NOT NULL
GROUP BY a.sumber, a.id_keluarga_sumber, p.no_kk;

-- What became of every source household. Grain: one row per (sumber, id_keluarga_sumber).
CREATE OR REPLACE TABLE hasil_rumah_tangga AS
WITH padan AS (
    SELECT a.sumber, a.id_keluarga_sumber, count(t.nik) AS anggota_padan,
        count(t.nik) FILTER (WHERE p.hidup) AS anggota_padan_hidup
    FROM anggota_sumber a
    JOIN tautan t USING (sumber, id_sumber)
    LEFT JOIN penduduk p ON p.nik = t.nik
    GROUP BY ALL
), kk AS (
    SELECT sumber, id_keluarga_sumber, any_value(no_kk) FILTER (WHERE utama) AS no_kk, count(*) AS jumlah_kk
    FROM rumah_tangga_kk GROUP BY ALL
)
SELECT k.sumber, k.id_keluarga_sumber, k.kode_desa, k.kode_prov, kk.no_kk, coalesce(kk.jumlah_kk, 0) AS jumlah_kk,
    CASE
        WHEN kk.no_kk IS NOT NULL THEN 'DIGABUNG'                           -- merged into a published KK
        WHEN coalesce(p.anggota_padan, 0) = 0 THEN 'TANPA_ANGGOTA_PADAN'    -- nobody in it found in the registry
        ELSE 'SEMUA_ANGGOTA_MENINGGAL'                                      -- everyone found has died
    END AS hasil
FROM keluarga_sumber k
LEFT JOIN kk USING (sumber, id_keluarga_sumber)
LEFT JOIN padan p USING (sumber, id_keluarga_sumber);
