-- Kemendagri region list and the BPS crosswalk, as lookup tables.
-- Grain: ref_wilayah one row per region code at any level; ref_bps one row per BPS village.
CREATE OR REPLACE TABLE wilayah_hasil AS
WITH renamed AS (
    SELECT baris, kode AS kode_teks, kode_tanpa_titik(kode) AS kode, trim(nama) AS nama FROM raw_wilayah
), final AS (
    SELECT *,
        CASE length(kode) WHEN 2 THEN 'PROVINSI' WHEN 4 THEN 'KABKOTA' WHEN 6 THEN 'KECAMATAN' WHEN 10 THEN 'DESA' END AS tingkat,
        row_number() OVER (PARTITION BY kode ORDER BY baris) AS urutan
    FROM renamed
)
SELECT baris, kode AS id_sumber, kode, nama, tingkat, left(kode, 2) AS kode_prov,
    CASE
        WHEN kode IS NULL OR NOT regexp_full_match(kode, '[0-9]+') OR tingkat IS NULL
            THEN {'aturan': 'KODE_WILAYAH_TIDAK_VALID', 'kolom': 'kode', 'nilai': kode_teks}
        WHEN urutan > 1 THEN {'aturan': 'ID_GANDA', 'kolom': 'kode', 'nilai': kode_teks}
    END AS tolak
FROM final;

CREATE OR REPLACE TABLE ref_wilayah AS SELECT kode, nama, tingkat, kode_prov FROM wilayah_hasil WHERE tolak IS NULL;
CREATE OR REPLACE TABLE ref_kecamatan AS SELECT kode FROM ref_wilayah WHERE tingkat = 'KECAMATAN';

CREATE OR REPLACE TABLE bps_hasil AS
WITH renamed AS (
    SELECT baris, kode_tanpa_titik(kode_bps) AS kode_bps, kode_kemendagri AS kode_teks,
        kode_tanpa_titik(kode_kemendagri) AS kode_desa
    FROM raw_bps
)
SELECT r.baris, r.kode_bps AS id_sumber, r.kode_bps, r.kode_desa, left(r.kode_desa, 2) AS kode_prov,
    CASE
        WHEN r.kode_bps IS NULL OR NOT regexp_full_match(r.kode_bps, '[0-9]{10}')
            THEN {'aturan': 'KODE_BPS_TIDAK_VALID', 'kolom': 'kode_bps', 'nilai': r.kode_bps}
        WHEN w.kode IS NULL THEN {'aturan': 'WILAYAH_TIDAK_DIKENAL', 'kolom': 'kode_kemendagri', 'nilai': r.kode_teks}
        WHEN row_number() OVER (PARTITION BY r.kode_bps ORDER BY r.baris) > 1
            THEN {'aturan': 'ID_GANDA', 'kolom': 'kode_bps', 'nilai': r.kode_bps}
    END AS tolak
FROM renamed r
LEFT JOIN ref_wilayah w ON w.kode = r.kode_desa AND w.tingkat = 'DESA';
