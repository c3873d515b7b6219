-- The bins that hold the decile boundaries, from every partition's summary. A family's
-- decile is 1 + floor(10 * persons before it / all persons), persons before it counted in
-- the order (score, no_kk): so boundary d lies after the last family with
-- 10 * persons before < d * all persons, and that family is in the last bin whose first
-- family is below the boundary (the persons before a bin's first family are the persons of
-- all earlier bins). Grain: one row per boundary d = 1..9; bin is NULL when there are no
-- persons at all (then no family lies below any boundary).
WITH ringkasan AS (
    SELECT bin, sum(keluarga) AS keluarga, sum(orang) AS orang, any_value(resolusi) AS resolusi
    FROM read_parquet($ringkasan)
    GROUP BY bin
),
kumulatif AS (
    SELECT *,
        coalesce(sum(orang) OVER (ORDER BY bin ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
            AS orang_sebelum
    FROM ringkasan
),
total AS (SELECT coalesce(sum(orang), 0) AS orang_total FROM ringkasan),
batas AS (
    SELECT d, t.orang_total FROM range(1, 10) r(d), total t
),
bin_batas AS (
    SELECT b.d, b.orang_total, max(k.bin) AS bin
    FROM batas b
    LEFT JOIN kumulatif k ON 10 * k.orang_sebelum < b.d * b.orang_total
    GROUP BY ALL
)
-- Sums of BIGINT are HUGEINT, which Parquet would hold as DOUBLE.
SELECT b.d::INTEGER AS d, b.bin, k.orang_sebelum::BIGINT AS orang_sebelum, b.orang_total::BIGINT AS orang_total,
    k.keluarga::BIGINT AS keluarga, k.resolusi
FROM bin_batas b
LEFT JOIN kumulatif k USING (bin)
ORDER BY b.d
