-- What one partition's ranking reads back: its scored families (its score step's file) and
-- their unified rows and members, from the run's national files. Grain: one row per no_kk;
-- one row per NIK.
CREATE OR REPLACE TABLE keluarga_skor AS SELECT * FROM read_parquet($skor);

CREATE OR REPLACE TABLE keluarga AS
SELECT * FROM read_parquet($keluarga) WHERE no_kk IN (SELECT no_kk FROM keluarga_skor);

CREATE OR REPLACE TABLE individu AS
SELECT * FROM read_parquet($individu) WHERE no_kk IN (SELECT no_kk FROM keluarga_skor);
