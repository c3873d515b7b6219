-- What the input error reads (galat.py): the published families whose card a survey
-- household gave, and their living members, from the run's national files. Grain: one
-- row per no_kk; one row per NIK.
CREATE OR REPLACE TABLE keluarga AS
SELECT * FROM read_parquet($keluarga) WHERE no_kk IN (SELECT no_kk FROM sampel WHERE no_kk IS NOT NULL);

CREATE OR REPLACE TABLE individu AS
SELECT * FROM read_parquet($individu) WHERE no_kk IN (SELECT no_kk FROM keluarga);
