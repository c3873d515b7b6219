-- Step 1, NIK_EXACT: the record's NIK is a registry NIK and the person is plausibly the
-- same: the names agree, and the birth date or the sex does too. A NIK typed wrong that
-- happens to be someone else's (same district and birthday, another name) is not a match.
-- Grain: one row per matched record.
CREATE OR REPLACE TABLE padan_nik_exact AS
SELECT c.sumber, c.id_sumber, p.nik, 'NIK_EXACT' AS metode_padan,
    CASE WHEN tgl_cocok(c.tgl_lahir, p.tgl_lahir) AND c.jenis_kelamin = p.jenis_kelamin THEN 1.0 ELSE 0.99 END
        AS probabilitas
FROM catatan c
JOIN penduduk p ON p.nik = c.nik
WHERE length(c.nik) = 16
  AND nama_cocok(c.nama_baku, p.nama_baku)
  AND (coalesce(tgl_cocok(c.tgl_lahir, p.tgl_lahir), false)
       OR coalesce(c.jenis_kelamin = p.jenis_kelamin, false));
