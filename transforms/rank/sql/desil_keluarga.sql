-- One partition's families with their national decile: 1 + the boundaries they lie above
-- (after the boundary's last family in (score, no_kk) order, or any family at all when the
-- boundary has none). Grain: one row per family of the partition.
WITH batas AS (
    SELECT list(skor_kesejahteraan ORDER BY d) AS skor, list(no_kk ORDER BY d) AS no_kk
    FROM read_parquet($batas)
)
SELECT f.no_kk,
    (1 + len(list_filter(range(1, len(b.skor) + 1), lambda d:
        b.no_kk[d] IS NULL
        OR f.skor_kesejahteraan > b.skor[d]
        OR (f.skor_kesejahteraan = b.skor[d] AND f.no_kk > b.no_kk[d]))))::INTEGER AS desil_nasional
FROM read_parquet($keluarga) f, batas b
