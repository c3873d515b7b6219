-- Step 1, NIK_EXACT: the record's NIK is a registry NIK, and the evidence says it is that
-- person. A NIK encodes the birth date and, through the day, the sex, so a record whose
-- birth date and sex agree is the holder unless the name says clearly otherwise. Each
-- piece of evidence gets a level and the points of poin_nik.csv (log2 odds: +1 doubles the
-- odds); the record is linked when the sum reaches `ambang_poin_nik` (padan.json). The sum
-- is kept: `probabilitas` is 2^skor / (1 + 2^skor).

-- Every record with a registry NIK, with the evidence and how well it fits the holder, the
-- NIK itself aside. Grain: one row per such record.
CREATE OR REPLACE TEMP TABLE pasangan_nik AS
WITH bukti AS (
    SELECT c.sumber, c.id_sumber, p.nik, p.no_kk AS kk_pemegang,
        tingkat_nama(c.nama, c.nama_baku, p.nama, p.nama_baku) AS nama,
        bukti_tgl(c.tgl_lahir, p.tgl_lahir) AS tgl_lahir,
        bukti_sama(c.jenis_kelamin, p.jenis_kelamin) AS jenis_kelamin,
        bukti_sama(c.no_kk, p.no_kk) AS no_kk,
        bukti_sama(c.kode_desa, p.kode_desa) AS kode_desa
    FROM catatan c
    JOIN penduduk p ON p.nik = c.nik
)
SELECT b.*, k.cocok
FROM bukti b
JOIN poin_kombinasi k USING (nama, tgl_lahir, jenis_kelamin, no_kk, kode_desa);

-- A family member's NIK typed on the wrong row, or a twin's: someone else in the holder's
-- family (registry KK) may fit the record better. Looked for only where the holder's name
-- or birth date is weak evidence (a few percent of the records: only these need the
-- holder's family, ember.py sends only these to the family's bucket).
-- Grain: one row per record with weak evidence.
CREATE OR REPLACE TEMP TABLE pasangan_lemah AS
SELECT sumber, id_sumber, nik, kk_pemegang, cocok
FROM pasangan_nik
WHERE nama NOT IN ('SAMA', 'GELAR_SAJA', 'VARIAN_EJAAN', 'URUTAN', 'TANPA_BIN') OR tgl_lahir <> 'SAMA';

-- Among the members whose birth date fits the record (a sibling's NIK carries the
-- sibling's birth date). Grain: one row per record and member looked at (kept: `dtsen
-- jelaskan` shows them).
CREATE OR REPLACE TEMP TABLE anggota_keluarga AS
WITH anggota AS (
    SELECT l.sumber, l.id_sumber, a.nik, l.cocok AS cocok_pemegang,
        tingkat_nama(c.nama, c.nama_baku, a.nama, a.nama_baku) AS nama, bukti_tgl(c.tgl_lahir, a.tgl_lahir) AS tgl_lahir,
        bukti_sama(c.jenis_kelamin, a.jenis_kelamin) AS jenis_kelamin, bukti_sama(c.no_kk, a.no_kk) AS no_kk,
        bukti_sama(c.kode_desa, a.kode_desa) AS kode_desa
    FROM pasangan_lemah l
    JOIN catatan c ON c.sumber = l.sumber AND c.id_sumber = l.id_sumber
    JOIN penduduk a ON a.no_kk = l.kk_pemegang AND a.nik <> l.nik
    WHERE coalesce(tgl_cocok(c.tgl_lahir, a.tgl_lahir), false)
)
SELECT a.*, k.cocok
FROM anggota a
JOIN poin_kombinasi k USING (nama, tgl_lahir, jenis_kelamin, no_kk, kode_desa);

-- The records with a member who fits better than the holder. Grain: one row per such record.
CREATE OR REPLACE TEMP TABLE saingan_keluarga AS
SELECT sumber, id_sumber, max(cocok) AS cocok_saingan
FROM anggota_keluarga
WHERE cocok > cocok_pemegang
GROUP BY ALL;

-- The decision, with its evidence and the reason when there is no link.
-- Grain: one row per record with a registry NIK.
CREATE OR REPLACE TABLE bukti_nik AS
WITH skor AS (
    SELECT h.* EXCLUDE (kk_pemegang),
        CASE WHEN s.id_sumber IS NULL THEN 'TIDAK_ADA' ELSE 'LEBIH_COCOK' END AS keluarga,
        (SELECT poin FROM poin_nik WHERE bukti = 'dasar') + h.cocok
            + CASE WHEN s.id_sumber IS NULL THEN 0
                ELSE (SELECT poin FROM poin_nik WHERE bukti = 'keluarga' AND tingkat = 'LEBIH_COCOK') END AS skor
    FROM pasangan_nik h
    LEFT JOIN saingan_keluarga s ON s.sumber = h.sumber AND s.id_sumber = h.id_sumber
)
SELECT *, 1.0 / (1.0 + pow(2.0, -skor)) AS probabilitas, skor >= $ambang AS diterima,
    CASE
        WHEN skor >= $ambang THEN NULL
        WHEN keluarga = 'LEBIH_COCOK' THEN 'NIK_MILIK_ORANG_LAIN'             -- a family member fits better
        WHEN nama = 'BEDA' AND tgl_lahir = 'BEDA' THEN 'NIK_MILIK_ORANG_LAIN'  -- only the number ties them
        WHEN nama = 'BEDA' THEN 'NAMA_BERBEDA'
        WHEN tgl_lahir = 'BEDA' THEN 'TGL_LAHIR_BERBEDA'
        WHEN jenis_kelamin = 'BEDA' THEN 'JENIS_KELAMIN_BERBEDA'
        ELSE 'BUKTI_KURANG'                                                   -- too little agrees, nothing clearly not
    END AS alasan
FROM skor;

-- A view: the links are the accepted rows of bukti_nik, and a second copy of 1.5 million
-- rows per million persons cost a tenth of a second.
CREATE OR REPLACE VIEW padan_nik_exact AS
SELECT sumber, id_sumber, nik, 'NIK_EXACT' AS metode_padan, probabilitas
FROM bukti_nik
WHERE diterima;
