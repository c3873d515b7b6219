-- One partition's families in the bins that hold a decile boundary: all the national step
-- needs to place the boundaries exactly. Grain: one row per family of those bins.
SELECT f.no_kk, f.skor_kesejahteraan, f.jumlah_anggota, b.bin
FROM read_parquet($keluarga) f
JOIN (SELECT DISTINCT bin FROM read_parquet($bin_batas) WHERE bin IS NOT NULL) b
    ON b.bin = desil_bin(f.skor_kesejahteraan, (SELECT any_value(resolusi) FROM read_parquet($bin_batas)))
