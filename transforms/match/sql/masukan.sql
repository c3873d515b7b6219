-- What matching reads, as views over the standardized files: the shuffle into buckets
-- (ember.py) reads them once, without holding them. A view holds no parameter: the paths
-- are variables.
SET VARIABLE masuk_dtks = $dtks;
SET VARIABLE masuk_regsosek = $regsosek;
SET VARIABLE masuk_p3ke = $p3ke;
SET VARIABLE masuk_usulan = $usulan;
SET VARIABLE masuk_dukcapil = $dukcapil;

-- Every person-level source record, one shape. Grain: one row per (sumber, id_sumber).
CREATE OR REPLACE VIEW catatan_masuk AS
SELECT sumber, id_sumber, nik, nik_cacat, nama, nama_baku, tgl_lahir, jenis_kelamin, kode_desa, kode_prov, no_kk
FROM read_parquet(getvariable('masuk_dtks'), union_by_name = true)
UNION ALL BY NAME
SELECT sumber, id_sumber, nik, nik_cacat, nama, nama_baku, tgl_lahir, jenis_kelamin, kode_desa, kode_prov, no_kk
FROM read_parquet(getvariable('masuk_regsosek'))
UNION ALL BY NAME
SELECT sumber, id_sumber, nik, nik_cacat, nama, nama_baku, tgl_lahir, jenis_kelamin, kode_desa, kode_prov, no_kk
FROM read_parquet(getvariable('masuk_p3ke'))
UNION ALL BY NAME
SELECT sumber, id_sumber, nik, nik_cacat, nama, nama_baku, tgl_lahir, jenis_kelamin, kode_desa, kode_prov, no_kk
FROM read_parquet(getvariable('masuk_usulan'));

-- The registry side. Grain: one row per NIK.
CREATE OR REPLACE VIEW penduduk_masuk AS
SELECT nik, nama, nama_baku, tgl_lahir, jenis_kelamin, kode_desa, no_kk, tgl_mati
FROM read_parquet(getvariable('masuk_dukcapil'));
