-- Susenas survey sample (for the welfare model). Grain: one row per sampled household.
CREATE OR REPLACE TEMP VIEW susenas_hasil AS
WITH source AS (
    SELECT * FROM raw_susenas
), final AS (
    SELECT
        s.* EXCLUDE (kode_wilayah, jumlah_art, pengeluaran_per_kapita, no_kk, /*KODE_COLUMNS*/),
        'SUSENAS' AS sumber,
        s.baris::VARCHAR AS id_sumber,
        w.kode AS kode_desa,
        left(w.kode, 2) AS kode_prov,
        TRY_CAST(s.jumlah_art AS INTEGER) AS jumlah_art,
        TRY_CAST(s.pengeluaran_per_kapita AS DOUBLE) AS pengeluaran_per_kapita,
        -- the family card, only to find the household in the sources (galat.py): a card that
        -- is no 16 digits is no link, and the household still counts for the model
        CASE WHEN id_cacat(s.no_kk, id_bersih(s.no_kk), 'KK') IS NULL THEN id_bersih(s.no_kk) END AS no_kk,
        /*KODE_KELUARGA*/,
        CASE
            WHEN w.kode IS NULL THEN {'aturan': 'WILAYAH_TIDAK_DIKENAL', 'kolom': 'kode_wilayah', 'nilai': s.kode_wilayah::VARCHAR}
            WHEN NOT coalesce(TRY_CAST(s.jumlah_art AS INTEGER) >= 1, false)
                THEN {'aturan': 'JUMLAH_ART_TIDAK_VALID', 'kolom': 'jumlah_art', 'nilai': s.jumlah_art::VARCHAR}
            WHEN NOT coalesce(TRY_CAST(s.pengeluaran_per_kapita AS DOUBLE) > 0, false)
                THEN {'aturan': 'PENGELUARAN_TIDAK_VALID', 'kolom': 'pengeluaran_per_kapita', 'nilai': s.pengeluaran_per_kapita::VARCHAR}
        END AS tolak
    FROM source s
    LEFT JOIN ref_wilayah w ON w.kode = kode_tanpa_titik(s.kode_wilayah::VARCHAR) AND w.tingkat = 'DESA'
)
SELECT * FROM final;
