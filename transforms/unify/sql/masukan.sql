-- What unification reads besides the registry and the households (penduduk.sql,
-- keluarga_sumber.sql): every record's link and the households the records were listed in.
-- Both are narrow, and views over the run's files, not tables: the partitioned unify
-- (terbagi.py) reads them nationally, where at 10M persons each is 25 million rows it
-- would otherwise hold (and spill). A view holds no parameter: the paths are variables.
SET VARIABLE satukan_tautan = $tautan;
SET VARIABLE satukan_dtks = $dtks_individu;
SET VARIABLE satukan_regsosek = $regsosek_anggota;
SET VARIABLE satukan_p3ke = $p3ke_anggota;

-- Every person-level record's outcome from matching. Grain: one row per (sumber, id_sumber).
CREATE OR REPLACE TEMP VIEW tautan AS
SELECT sumber, id_sumber, nik, metode_padan FROM read_parquet(getvariable('satukan_tautan'));

-- The members of the verified proposals of new families (usulan.sql adds them).
CREATE OR REPLACE TABLE anggota_usulan (
    sumber VARCHAR, id_sumber VARCHAR, id_keluarga_sumber VARCHAR, hubungan INTEGER, kode_desa VARCHAR,
    kode_prov VARCHAR
);

-- The household each person record was listed in, and the person's place in it.
-- Grain: one row per (sumber, id_sumber).
CREATE OR REPLACE TEMP VIEW anggota_sumber AS
SELECT sumber, id_sumber, id_keluarga_sumber, hubungan, kode_desa, kode_prov
FROM read_parquet(getvariable('satukan_dtks'), union_by_name = true)
UNION ALL SELECT sumber, id_sumber, id_keluarga_sumber, hubungan, kode_desa, kode_prov
FROM read_parquet(getvariable('satukan_regsosek'))
UNION ALL SELECT sumber, id_sumber, id_keluarga_sumber, hubungan, kode_desa, kode_prov
FROM read_parquet(getvariable('satukan_p3ke'))
UNION ALL BY NAME SELECT * FROM anggota_usulan;
