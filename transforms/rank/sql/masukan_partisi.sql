-- What one partition's scoring reads: its published families, routed by their village
-- (`partisi_desa`, transforms/partisi.py: not by their kode_prov column, which ranks them),
-- and their living members, from the run's national files. Grain: one row per no_kk; one
-- row per NIK.
CREATE OR REPLACE TABLE keluarga AS
SELECT * FROM read_parquet($keluarga) WHERE partisi_desa(kode_desa) = $partisi;

CREATE OR REPLACE TABLE individu AS
SELECT * FROM read_parquet($individu) WHERE no_kk IN (SELECT no_kk FROM keluarga);
