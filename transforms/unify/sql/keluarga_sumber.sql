-- Source households with their attributes, one column set (a source lacking a field has
-- NULL there). Grain: one row per (sumber, id_keluarga_sumber). A bare SELECT, as penduduk.sql.
SELECT 'DTKS' AS sumber, * FROM read_parquet($dtks_keluarga, union_by_name = true)
UNION ALL BY NAME
SELECT * EXCLUDE (baris, id_sumber, kk_cacat, kode_bps, kode_tidak_valid) FROM read_parquet($regsosek_keluarga)
UNION ALL BY NAME
SELECT * EXCLUDE (baris, id_sumber, kk_cacat, nik_kepala_keluarga, nik_kepala_cacat, alamat, label_tidak_dikenal)
FROM read_parquet($p3ke_keluarga)
