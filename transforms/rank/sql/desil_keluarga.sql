-- One partition's families with their national decile: 1 + the boundaries they lie above
-- (after the boundary's last family in (score, no_kk) order, or any family at all when the
-- boundary has none). Grain: one row per family of the partition.
SELECT f.no_kk,
    (1 + count(b.d))::INTEGER AS desil_nasional
FROM read_parquet($keluarga) f
LEFT JOIN read_parquet($batas) b
    ON b.no_kk IS NULL
    OR f.skor_kesejahteraan > b.skor_kesejahteraan
    OR (f.skor_kesejahteraan = b.skor_kesejahteraan AND f.no_kk > b.no_kk)
GROUP BY f.no_kk
