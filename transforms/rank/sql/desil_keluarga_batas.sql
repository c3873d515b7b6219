-- One partition's families in the bins that hold a decile boundary ($bins, at $resolusi):
-- all the national step needs to place the boundaries exactly. Grain: one row per family of
-- those bins. Needs the macro of desil_bin.sql.
SELECT no_kk, skor_kesejahteraan, jumlah_anggota, desil_bin(skor_kesejahteraan, $resolusi) AS bin
FROM read_parquet($keluarga)
WHERE list_contains($bins, desil_bin(skor_kesejahteraan, $resolusi))
