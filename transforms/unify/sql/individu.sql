-- The families published: every KK that a source household reaches through a living
-- member. Grain: one row per no_kk.
CREATE OR REPLACE TABLE kk_terdaftar AS
SELECT no_kk, list_sort(list_distinct(list(sumber))) AS sumber
FROM rumah_tangga_kk
GROUP BY no_kk;

-- Every living registry person on a published KK, with the sources that list them (none
-- for a member only the registry knows). The dead are not members any more.
-- Grain: one row per NIK.
CREATE OR REPLACE TABLE individu AS
WITH sumber_orang AS (
    SELECT t.nik, list_sort(list_distinct(list(t.sumber))) AS sumber
    FROM tautan t
    SEMI JOIN anggota_sumber a ON a.sumber = t.sumber AND a.id_sumber = t.id_sumber
    WHERE t.nik IS NOT NULL
    GROUP BY t.nik
)
SELECT p.nik, p.no_kk, p.nama, p.tgl_lahir, p.jenis_kelamin, p.stat_hbkel AS hubungan_keluarga,
    p.kode_desa, p.kode_prov, coalesce(s.sumber, []::VARCHAR[]) AS sumber
FROM penduduk p
LEFT JOIN sumber_orang s ON s.nik = p.nik
WHERE p.hidup AND p.no_kk IN (SELECT no_kk FROM kk_terdaftar);
