-- A partition's families that the decile rule cannot place: a score missing, not a number,
-- infinite or negative, or a member count missing or negative. How many, and the first of
-- them: its file, its row (from 1) and the column at fault. One row.
WITH salah AS (
    SELECT filename, file_row_number + 1 AS baris,
        CASE WHEN skor_kesejahteraan IS NULL OR NOT isfinite(skor_kesejahteraan) OR skor_kesejahteraan < 0
             THEN 'skor_kesejahteraan' ELSE 'jumlah_anggota' END AS kolom
    FROM read_parquet($keluarga, filename = true, file_row_number = true)
    WHERE skor_kesejahteraan IS NULL OR NOT isfinite(skor_kesejahteraan) OR skor_kesejahteraan < 0
        OR jumlah_anggota IS NULL OR jumlah_anggota < 0
)
SELECT count(*) AS n, min({'file': filename, 'baris': baris, 'kolom': kolom}) AS pertama
FROM salah
