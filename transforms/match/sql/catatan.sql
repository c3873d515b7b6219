-- Every person-level source record, one shape. Grain: one row per (sumber, id_sumber).
CREATE OR REPLACE TABLE catatan AS
SELECT sumber, id_sumber, nik, nik_cacat, nama, nama_baku, tgl_lahir, jenis_kelamin, kode_desa, kode_prov, no_kk
FROM read_parquet($dtks, union_by_name = true)
UNION ALL BY NAME
SELECT sumber, id_sumber, nik, nik_cacat, nama, nama_baku, tgl_lahir, jenis_kelamin, kode_desa, kode_prov, no_kk
FROM read_parquet($regsosek)
UNION ALL BY NAME
SELECT sumber, id_sumber, nik, nik_cacat, nama, nama_baku, tgl_lahir, jenis_kelamin, kode_desa, kode_prov, no_kk
FROM read_parquet($p3ke)
UNION ALL BY NAME
SELECT sumber, id_sumber, nik, nik_cacat, nama, nama_baku, tgl_lahir, jenis_kelamin, kode_desa, kode_prov, no_kk
FROM read_parquet($usulan);

-- The registry side. Grain: one row per NIK.
CREATE OR REPLACE TABLE penduduk AS
SELECT nik, nama, nama_baku, tgl_lahir, jenis_kelamin, kode_desa, no_kk, tgl_mati
FROM read_parquet($dukcapil);
