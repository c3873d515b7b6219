-- What unification reads besides the registry and the households (penduduk.sql,
-- keluarga_sumber.sql): every record's link and the households the records were listed in.
-- Both are narrow: the partitioned unify (terbagi.py) reads them nationally too.

-- Every person-level record's outcome from matching. Grain: one row per (sumber, id_sumber).
CREATE OR REPLACE TABLE tautan AS
SELECT sumber, id_sumber, nik, metode_padan FROM read_parquet($tautan);

-- The household each person record was listed in, and the person's place in it.
-- Grain: one row per (sumber, id_sumber). Proposals' members wait for the proposals stage.
CREATE OR REPLACE TABLE anggota_sumber AS
SELECT sumber, id_sumber, id_keluarga_sumber, hubungan, kode_desa, kode_prov FROM read_parquet($dtks_individu, union_by_name = true)
UNION ALL SELECT sumber, id_sumber, id_keluarga_sumber, hubungan, kode_desa, kode_prov FROM read_parquet($regsosek_anggota)
UNION ALL SELECT sumber, id_sumber, id_keluarga_sumber, hubungan, kode_desa, kode_prov FROM read_parquet($p3ke_anggota);
