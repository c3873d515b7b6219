-- One partition's summary of its scores: per bin, its families and their persons, and the
-- resolution of the bins (the national step refuses summaries of two). Grain: one row per
-- non-empty bin. Needs the macro of desil_bin.sql.
SELECT desil_bin(skor_kesejahteraan, $resolusi) AS bin,
    count(*) AS keluarga,
    sum(jumlah_anggota)::BIGINT AS orang,
    $resolusi::INTEGER AS resolusi
FROM read_parquet($keluarga)
GROUP BY ALL
