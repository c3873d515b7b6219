-- Civil registry. Grain: one row per NIK. The registry is the authority on identity, so a
-- row whose NIK is not a well-formed 16-digit number cannot be linked to and is quarantined.
-- The run's parameters as variables: a view cannot hold prepared parameters.
SET VARIABLE cutoff = $cutoff;

CREATE OR REPLACE TEMP VIEW dukcapil_hasil AS
WITH source AS (
    SELECT * FROM raw_dukcapil
), renamed AS (
    SELECT
        baris,
        "NIK"::VARCHAR AS nik_teks,
        id_bersih("NIK") AS nik_b,
        "NO_KK"::VARCHAR AS kk_teks,
        id_bersih("NO_KK") AS kk_b,
        "NAMA_LGKP" AS nama_teks,
        TRY_CAST("TGL_LHR" AS DATE) AS tgl_lahir_asli,
        "TGL_LHR"::VARCHAR AS tgl_lahir_teks,
        CASE WHEN TRY_CAST("JENIS_KLMIN" AS INTEGER) IN (1, 2) THEN TRY_CAST("JENIS_KLMIN" AS INTEGER) END AS jenis_kelamin,
        TRY_CAST("STAT_HBKEL" AS INTEGER) AS stat_hbkel,
        TRY_CAST("STATUS_KAWIN" AS INTEGER) AS status_kawin,
        kosong_ke_null("TMPT_LHR") AS tempat_lahir,
        kosong_ke_null("NAMA_LGKP_IBU") AS nama_ibu,
        printf('%02d%02d%02d%04d', TRY_CAST("NO_PROP" AS INTEGER), TRY_CAST("NO_KAB" AS INTEGER),
               TRY_CAST("NO_KEC" AS INTEGER), TRY_CAST("NO_KEL" AS INTEGER)) AS kode_wilayah,
        kosong_ke_null("ALAMAT") AS alamat,
        kosong_ke_null("NO_RT") AS no_rt,
        kosong_ke_null("NO_RW") AS no_rw,
        TRY_CAST("TGL_MATI" AS DATE) AS tgl_mati
    FROM source
), ganda AS (
    -- Later copies of an id: a hash aggregate, not a window (a sort of every id was 30% of the step).
    SELECT id_angka(nik_teks, nik_b) AS nik, min(baris) AS baris_pertama FROM renamed GROUP BY 1 HAVING count(*) > 1
), coded AS (
    SELECT r.*,
        identitas(nik_teks, nik_b, kk_teks, kk_b, nama_teks, nk.baku, tgl_lahir_asli, tgl_lahir_teks, jenis_kelamin, getvariable('cutoff')) AS idn,
        w.kode AS kode_desa,
        CASE WHEN r.baris > g.baris_pertama THEN 2 ELSE 1 END AS urutan_nik
    FROM renamed r
    LEFT JOIN ref_wilayah w ON w.kode = r.kode_wilayah AND w.tingkat = 'DESA'
    LEFT JOIN ganda g ON g.nik = id_angka(r.nik_teks, r.nik_b)
    LEFT JOIN nama_kamus nk ON nk.teks = r.nama_teks
), final AS (
    SELECT
        baris,
        'DUKCAPIL' AS sumber,
        idn.nik AS id_sumber,
        idn.*,
        CASE WHEN jenis_kelamin IS NULL THEN 'JENIS_KELAMIN_TIDAK_VALID' END AS jenis_kelamin_cacat,
        stat_hbkel,
        -- Registry relations (1-11) on the 1-8 scale the surveys use.
        CASE stat_hbkel WHEN 1 THEN 1 WHEN 2 THEN 2 WHEN 3 THEN 2 WHEN 4 THEN 3 WHEN 5 THEN 4
            WHEN 6 THEN 5 WHEN 7 THEN 6 WHEN 8 THEN 6 WHEN 9 THEN 7 WHEN 10 THEN 8 WHEN 11 THEN 8 END AS hubungan,
        CASE WHEN stat_hbkel IS NULL OR stat_hbkel NOT BETWEEN 1 AND 11 THEN 'HUBUNGAN_TIDAK_VALID' END AS hubungan_cacat,
        CASE WHEN status_kawin BETWEEN 1 AND 4 THEN status_kawin END AS status_kawin,
        tempat_lahir,
        nama_ibu,  -- no other source carries a mother's name: nothing to match it against
        kode_desa,
        left(kode_desa, 2) AS kode_prov,
        alamat, no_rt, no_rw,
        tgl_mati,
        CASE
            WHEN idn.nik_cacat IN ('NIK_KOSONG', 'NIK_NOTASI_ILMIAH', 'NIK_BUKAN_ANGKA', 'NIK_PANJANG_SALAH')
                THEN {'aturan': idn.nik_cacat, 'kolom': 'NIK', 'nilai': samar_nik(nik_teks)}
            WHEN urutan_nik > 1 THEN {'aturan': 'ID_GANDA', 'kolom': 'NIK', 'nilai': samar_nik(nik_teks)}
            WHEN kode_desa IS NULL THEN {'aturan': 'WILAYAH_TIDAK_DIKENAL', 'kolom': 'NO_PROP..NO_KEL', 'nilai': kode_wilayah}
            WHEN nama_tidak_wajar(idn.nama_baku) IS NOT NULL THEN nama_tidak_wajar(idn.nama_baku)
        END AS tolak
    FROM coded
)
SELECT * FROM final;
