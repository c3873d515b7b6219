-- One partition's summary of its scores: per bin, its families, their persons, and the
-- lowest and highest score in it (with which the national step checks that the bins keep
-- the scores' order). Grain: one row per non-empty bin. Needs the macro of desil_bin.sql.
SELECT desil_bin(skor_kesejahteraan, $resolusi) AS bin,
    count(*) AS keluarga,
    sum(jumlah_anggota)::BIGINT AS orang,
    min(skor_kesejahteraan) AS skor_min,
    max(skor_kesejahteraan) AS skor_maks,
    $resolusi::INTEGER AS resolusi
FROM read_parquet($keluarga)
GROUP BY ALL
