-- The national cut-offs: for each boundary d = 1..9, the last family (score, no_kk) below
-- it, found among the families of its bin only. A family lies above boundary d when it
-- comes after that family in (score, no_kk) order. No family when there are no persons at
-- all: then every family lies above every boundary (0 / 0 put them in desil 10 in the
-- national window). Grain: one row per boundary d.
WITH bin_batas AS (SELECT * FROM read_parquet($bin_batas)),
urut AS (
    -- Persons before each family: all earlier bins, then the earlier families of its bin.
    SELECT k.no_kk, k.skor_kesejahteraan, k.bin,
        b.orang_sebelum + coalesce(sum(k.jumlah_anggota) OVER (
            PARTITION BY k.bin ORDER BY k.skor_kesejahteraan, k.no_kk
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS orang_sebelum
    FROM read_parquet($keluarga_batas) k
    JOIN (SELECT DISTINCT bin, orang_sebelum FROM bin_batas) b USING (bin)
),
terakhir AS (
    SELECT b.d, b.orang_total,
        max({'skor': u.skor_kesejahteraan, 'no_kk': u.no_kk}) AS keluarga
    FROM bin_batas b
    LEFT JOIN urut u ON u.bin = b.bin AND 10 * u.orang_sebelum < b.d * b.orang_total
    GROUP BY ALL
)
SELECT d, keluarga.skor AS skor_kesejahteraan, keluarga.no_kk, orang_total::BIGINT AS orang_total
FROM terakhir
ORDER BY d
