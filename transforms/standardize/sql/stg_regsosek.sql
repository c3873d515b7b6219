-- Regsosek 2022. Families are coded by BPS region: the crosswalk gives the Kemendagri village.
-- Grain: regsosek_keluarga_hasil one row per id_keluarga; regsosek_anggota_hasil one row per id_art.
-- The run's parameters as variables: a view cannot hold prepared parameters.
SET VARIABLE cutoff = $cutoff;

CREATE OR REPLACE TEMP VIEW regsosek_keluarga_hasil AS
WITH source AS (
    SELECT * FROM raw_regsosek_keluarga
), renamed AS (
    SELECT s.*,
        kosong_ke_null(s.id_keluarga::VARCHAR) AS id_sumber,
        kode_tanpa_titik(s.kode_wilayah_bps) AS kode_bps,
        id_bersih(s.no_kk) AS kk_b,
        b.kode_desa,
        CASE WHEN s.baris > g.baris_pertama THEN 2 ELSE 1 END AS urutan_id
    FROM source s
    LEFT JOIN (SELECT id_keluarga AS id, min(baris) AS baris_pertama FROM source GROUP BY 1 HAVING count(*) > 1) g
        ON g.id = s.id_keluarga
    LEFT JOIN ref_bps b ON b.kode_bps = kode_tanpa_titik(s.kode_wilayah_bps)
), final AS (
    SELECT
        baris,
        'REGSOSEK' AS sumber,
        id_sumber,
        id_sumber AS id_keluarga_sumber,
        id_angka(no_kk, kk_b) AS no_kk,
        id_cacat(no_kk, kk_b, 'KK') AS kk_cacat,
        kode_bps,
        kode_desa,
        left(kode_desa, 2) AS kode_prov,
        TRY_CAST(tanggal_pendataan AS DATE) AS tanggal_data,
        /*KODE_KELUARGA*/,
        CASE
            WHEN id_sumber IS NULL THEN {'aturan': 'ID_KOSONG', 'kolom': 'id_keluarga', 'nilai': NULL}
            WHEN urutan_id > 1 THEN {'aturan': 'ID_GANDA', 'kolom': 'id_keluarga', 'nilai': id_sumber}
            WHEN kode_desa IS NULL THEN {'aturan': 'WILAYAH_TIDAK_DIKENAL', 'kolom': 'kode_wilayah_bps', 'nilai': kode_wilayah_bps}
        END AS tolak
    FROM renamed
)
SELECT * FROM final;

CREATE OR REPLACE TEMP VIEW regsosek_anggota_hasil AS
WITH source AS (
    SELECT * FROM raw_regsosek_anggota
), keluarga AS (
    SELECT id_sumber AS id_keluarga, no_kk, kode_desa, kode_prov FROM regsosek_keluarga_hasil WHERE tolak IS NULL
), renamed AS (
    SELECT a.*,
        kosong_ke_null(a.id_art::VARCHAR) AS id_sumber,
        id_bersih(a.r403) AS nik_b,
        k.no_kk AS kk_keluarga,
        k.kode_desa,
        k.kode_prov,
        CASE WHEN TRY_CAST(a.r406 AS INTEGER) IN (1, 2) THEN TRY_CAST(a.r406 AS INTEGER) END AS jk,
        CASE WHEN a.baris > g.baris_pertama THEN 2 ELSE 1 END AS urutan_id
    FROM source a
    LEFT JOIN (SELECT id_art AS id, min(baris) AS baris_pertama FROM source GROUP BY 1 HAVING count(*) > 1) g
        ON g.id = a.id_art
    LEFT JOIN keluarga k ON k.id_keluarga = a.id_keluarga::VARCHAR
), coded AS (
    SELECT r.*, identitas(r403, nik_b, kk_keluarga, kk_keluarga, r402, nk.baku, tanggal_teks(r407::VARCHAR), r407::VARCHAR, jk, getvariable('cutoff')) AS idn
    FROM renamed r
    LEFT JOIN nama_kamus nk ON nk.teks = r.r402
), final AS (
    SELECT
        baris,
        'REGSOSEK' AS sumber,
        id_sumber,
        id_keluarga::VARCHAR AS id_keluarga_sumber,
        idn.*,
        CASE WHEN jk IS NULL THEN 'JENIS_KELAMIN_TIDAK_VALID' END AS jenis_kelamin_cacat,
        CASE WHEN TRY_CAST(r405 AS INTEGER) BETWEEN 1 AND 8 THEN TRY_CAST(r405 AS INTEGER) END AS hubungan,
        TRY_CAST(r401 AS INTEGER) AS r401,
        kode_desa,
        kode_prov,
        /*KODE_ANGGOTA*/,
        CASE
            WHEN id_sumber IS NULL THEN {'aturan': 'ID_KOSONG', 'kolom': 'id_art', 'nilai': NULL}
            WHEN urutan_id > 1 THEN {'aturan': 'ID_GANDA', 'kolom': 'id_art', 'nilai': id_sumber}
            WHEN kode_desa IS NULL THEN {'aturan': 'KELUARGA_TIDAK_ADA', 'kolom': 'id_keluarga', 'nilai': id_keluarga::VARCHAR}
            WHEN idn.nik IS NULL AND (idn.nama_baku IS NULL OR idn.tgl_lahir IS NULL)
                THEN {'aturan': 'IDENTITAS_TIDAK_CUKUP', 'kolom': 'r403', 'nilai': samar_nik(r403)}
            WHEN nama_tidak_wajar(idn.nama_baku) IS NOT NULL THEN nama_tidak_wajar(idn.nama_baku)
        END AS tolak
    FROM coded
)
SELECT * FROM final;
