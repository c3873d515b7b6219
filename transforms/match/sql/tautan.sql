-- Every source record with its outcome. Grain: one row per (sumber, id_sumber): linked by
-- one method, or TIDAK_PADAN (then also in verifikasi, with the reason).
CREATE OR REPLACE TABLE tautan_sumber AS
WITH links AS (
    SELECT sumber, id_sumber, nik, metode_padan, probabilitas FROM padan_nik_exact
    UNION ALL SELECT sumber, id_sumber, nik, metode_padan, probabilitas FROM padan_nik_repair
    UNION ALL SELECT sumber, id_sumber, nik, metode_padan, probabilitas FROM padan_probabilistik
)
SELECT c.sumber, c.id_sumber, l.nik, coalesce(l.metode_padan, 'TIDAK_PADAN') AS metode_padan, l.probabilitas,
    c.kode_prov
FROM catatan c
LEFT JOIN links l ON l.sumber = c.sumber AND l.id_sumber = c.id_sumber;

-- Source records no registry person could be found for: a field check is needed.
-- A record whose NIK is a registry NIK but whose evidence fell short says what disagreed
-- (bukti_nik.alasan): NAMA_BERBEDA, TGL_LAHIR_BERBEDA, JENIS_KELAMIN_BERBEDA, BUKTI_KURANG;
-- NIK_MILIK_ORANG_LAIN only when the evidence is not mixed (a family member fits better,
-- or neither the name nor the birth date agrees). Grain: one row per unlinked record.
CREATE OR REPLACE TABLE verifikasi_padan AS
SELECT c.sumber, c.id_sumber, c.kode_desa, c.kode_prov,
    CASE
        WHEN g.id_sumber IS NOT NULL THEN 'CALON_GANDA'        -- two registry persons are both probable
        WHEN c.nik IS NULL THEN 'TIDAK_PADAN_TANPA_NIK'       -- no usable NIK, no probable person
        WHEN b.alasan IS NOT NULL THEN b.alasan               -- the NIK exists, the evidence fell short
        ELSE 'NIK_TIDAK_TERDAFTAR'                             -- not in the registry, nothing one edit away
    END AS alasan,
    c.nik_cacat
FROM tautan_sumber t
JOIN catatan c ON c.sumber = t.sumber AND c.id_sumber = t.id_sumber
LEFT JOIN bukti_nik b ON b.sumber = c.sumber AND b.id_sumber = c.id_sumber
LEFT JOIN padan_probabilistik_ganda g ON g.sumber = c.sumber AND g.id_sumber = c.id_sumber
WHERE t.metode_padan = 'TIDAK_PADAN';
