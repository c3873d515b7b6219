-- Step 2, NIK_REPAIRED: a record not matched by step 1 whose NIK is one edit away from a
-- registry NIK: one digit substituted, two adjacent digits swapped, or a woman's day typed
-- without the +40. Stricter than step 1: names AND birth dates must agree, and exactly one
-- registry person may qualify. Grain: one row per repaired record.
CREATE OR REPLACE TABLE padan_nik_repair AS
WITH sisa AS (
    SELECT c.* FROM catatan c
    ANTI JOIN padan_nik_exact e ON e.sumber = c.sumber AND e.id_sumber = c.id_sumber
    WHERE length(c.nik) = 16
), posisi AS (
    SELECT unnest(range(1, 17)) AS i
), angka AS (
    SELECT unnest(['0','1','2','3','4','5','6','7','8','9']) AS d
), calon AS (
    -- one digit substituted
    SELECT s.sumber, s.id_sumber, left(s.nik, i - 1) || d || substr(s.nik, i + 1) AS nik_calon
    FROM sisa s, posisi, angka
    WHERE substr(s.nik, i, 1) <> d
    UNION ALL
    -- two adjacent digits swapped
    SELECT s.sumber, s.id_sumber,
        left(s.nik, i - 1) || substr(s.nik, i + 1, 1) || substr(s.nik, i, 1) || substr(s.nik, i + 2) AS nik_calon
    FROM sisa s, posisi
    WHERE i <= 15 AND substr(s.nik, i, 1) <> substr(s.nik, i + 1, 1)
    UNION ALL
    -- a woman's birth day without the +40
    SELECT s.sumber, s.id_sumber,
        left(s.nik, 6) || lpad((TRY_CAST(substr(s.nik, 7, 2) AS INTEGER) + 40)::VARCHAR, 2, '0') || substr(s.nik, 9)
    FROM sisa s
    WHERE TRY_CAST(substr(s.nik, 7, 2) AS INTEGER) BETWEEN 1 AND 31
), cocok AS (
    SELECT DISTINCT c.sumber, c.id_sumber, p.nik
    FROM calon c
    JOIN penduduk p ON p.nik = c.nik_calon
    JOIN sisa s ON s.sumber = c.sumber AND s.id_sumber = c.id_sumber
    WHERE nama_cocok(s.nama_baku, p.nama_baku) AND tgl_cocok(s.tgl_lahir, p.tgl_lahir)
)
SELECT sumber, id_sumber, any_value(nik) AS nik, 'NIK_REPAIRED' AS metode_padan, 0.98 AS probabilitas
FROM cocok
GROUP BY sumber, id_sumber
HAVING count(*) = 1;
