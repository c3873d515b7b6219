-- What unification reads: the registry, every record's link, the households the records
-- were listed in, and the source households' attributes.

-- The registry, with who is alive on the cut-off date. Grain: one row per NIK.
CREATE OR REPLACE TABLE penduduk AS
SELECT nik, no_kk, nama, tgl_lahir, jenis_kelamin, stat_hbkel, kode_desa, kode_prov,
    tgl_mati IS NULL OR tgl_mati > $cutoff AS hidup
FROM read_parquet($penduduk);

-- Every person-level record's outcome from matching. Grain: one row per (sumber, id_sumber).
CREATE OR REPLACE TABLE tautan AS
SELECT sumber, id_sumber, nik, metode_padan FROM read_parquet($tautan);

-- The household each person record was listed in, and the person's place in it.
-- Grain: one row per (sumber, id_sumber). Proposals' members wait for the proposals stage.
CREATE OR REPLACE TABLE anggota_sumber AS
SELECT sumber, id_sumber, id_keluarga_sumber, hubungan, kode_desa, kode_prov FROM read_parquet($dtks_individu, union_by_name = true)
UNION ALL SELECT sumber, id_sumber, id_keluarga_sumber, hubungan, kode_desa, kode_prov FROM read_parquet($regsosek_anggota)
UNION ALL SELECT sumber, id_sumber, id_keluarga_sumber, hubungan, kode_desa, kode_prov FROM read_parquet($p3ke_anggota);

-- Source households with their attributes, one column set (a source lacking a field has
-- NULL there). Grain: one row per (sumber, id_keluarga_sumber).
CREATE OR REPLACE TABLE keluarga_sumber AS
SELECT 'DTKS' AS sumber, * FROM read_parquet($dtks_keluarga, union_by_name = true)
UNION ALL BY NAME
SELECT * EXCLUDE (baris, id_sumber, kk_cacat, kode_bps, kode_tidak_valid) FROM read_parquet($regsosek_keluarga)
UNION ALL BY NAME
SELECT * EXCLUDE (baris, id_sumber, kk_cacat, nik_kepala_keluarga, nik_kepala_cacat, alamat, label_tidak_dikenal)
FROM read_parquet($p3ke_keluarga);
