-- Step 2, NIK_REPAIRED: a record not matched by step 1 whose NIK is one edit away from a
-- registry NIK: one digit substituted, two adjacent digits swapped, a woman's day typed
-- without the +40, or (15 or 17 digits) one digit dropped or typed twice. Stricter than
-- step 1: names (a level of the names module other than BEDA) AND birth dates must agree, and exactly one registry person may qualify.
-- An edit in the serial keeps the birth date, so the date proves little there: the
-- person must also live in the same regency, or the names be near identical. Grain: one
-- row per repaired record.
--
-- A record makes up to 160 candidate NIKs, so the records are taken in parts (`bagian`,
-- a hash of the record id) that keep each join within memory at any scale.

-- The records left. Grain: one row per record with a 15-17 digit NIK.
CREATE OR REPLACE TEMP TABLE sisa_repair AS
SELECT c.sumber, c.id_sumber, c.nik, c.nama, c.nama_baku, c.tgl_lahir, c.kode_desa, NULL::UBIGINT AS bagian
FROM catatan c
ANTI JOIN padan_nik_exact e ON e.sumber = c.sumber AND e.id_sumber = c.id_sumber
WHERE length(c.nik) BETWEEN 15 AND 17;

-- Each in one part, once their number (and so the number of parts) is known.
UPDATE sisa_repair SET bagian = hash(sumber, id_sumber) % $bagian;

CREATE OR REPLACE TEMP TABLE cocok_repair (sumber VARCHAR, id_sumber VARCHAR, nik VARCHAR);

-- One part: every candidate NIK, kept where a registry person fits. Run once per part.
INSERT INTO cocok_repair
WITH sisa AS (
    SELECT * FROM sisa_repair WHERE bagian = $bagian_ke
), posisi AS (
    SELECT unnest(range(1, 18)) AS i
), angka AS (
    SELECT unnest(['0','1','2','3','4','5','6','7','8','9']) AS d
), calon AS (
    -- one digit substituted
    SELECT s.sumber, s.id_sumber, left(s.nik, i - 1) || d || substr(s.nik, i + 1) AS nik_calon
    FROM sisa s, posisi, angka
    WHERE length(s.nik) = 16 AND i <= 16 AND substr(s.nik, i, 1) <> d
    UNION ALL
    -- two adjacent digits swapped
    SELECT s.sumber, s.id_sumber,
        left(s.nik, i - 1) || substr(s.nik, i + 1, 1) || substr(s.nik, i, 1) || substr(s.nik, i + 2) AS nik_calon
    FROM sisa s, posisi
    WHERE length(s.nik) = 16 AND i <= 15 AND substr(s.nik, i, 1) <> substr(s.nik, i + 1, 1)
    UNION ALL
    -- a woman's birth day without the +40
    SELECT s.sumber, s.id_sumber,
        left(s.nik, 6) || lpad((TRY_CAST(substr(s.nik, 7, 2) AS INTEGER) + 40)::VARCHAR, 2, '0') || substr(s.nik, 9)
    FROM sisa s
    WHERE length(s.nik) = 16 AND TRY_CAST(substr(s.nik, 7, 2) AS INTEGER) BETWEEN 1 AND 31
    UNION ALL
    -- a digit dropped (15 digits): put one back anywhere
    SELECT s.sumber, s.id_sumber, left(s.nik, i - 1) || d || substr(s.nik, i) AS nik_calon
    FROM sisa s, posisi, angka
    WHERE length(s.nik) = 15 AND i <= 16
    UNION ALL
    -- a digit typed twice or added (17 digits): take one out
    SELECT s.sumber, s.id_sumber, left(s.nik, i - 1) || substr(s.nik, i + 1) AS nik_calon
    FROM sisa s, posisi
    WHERE length(s.nik) = 17
), masuk_akal AS MATERIALIZED (
    -- the cheap tests first: the names module's level is a Python call per pair
    SELECT DISTINCT c.sumber, c.id_sumber, p.nik, s.nama, s.nama_baku, p.nama AS nama_p, p.nama_baku AS nama_baku_p
    FROM calon c
    JOIN penduduk p ON p.nik = c.nik_calon
    JOIN sisa s ON s.sumber = c.sumber AND s.id_sumber = c.id_sumber
    WHERE tgl_cocok(s.tgl_lahir, p.tgl_lahir)
      AND (left(s.kode_desa, 4) = left(p.kode_desa, 4) OR jaro_winkler_similarity(s.nama_baku, p.nama_baku) >= 0.95)
)
SELECT sumber, id_sumber, nik FROM masuk_akal
WHERE nama_setara(tingkat_nama(nama, nama_baku, nama_p, nama_baku_p));

CREATE OR REPLACE TABLE padan_nik_repair AS
SELECT sumber, id_sumber, any_value(nik) AS nik, 'NIK_REPAIRED' AS metode_padan, 0.98 AS probabilitas
FROM cocok_repair
GROUP BY sumber, id_sumber
HAVING count(*) = 1;
