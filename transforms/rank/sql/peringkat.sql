-- The published ranking. National deciles weighted by persons, from the summaries of the
-- partitions (desil.py; one file of no_kk, desil_nasional per partition in $desil): a
-- family's decile is where its first member falls among all persons, families in order of
-- score (ties by no_kk), so desil 1 holds the families of the poorest 10% of people, give
-- or take one family. Ranks within province and regency: 1 = the poorest. Grain: one row
-- per no_kk.
CREATE OR REPLACE TABLE keluarga_peringkat AS
WITH urut AS (
    -- The windows sort only the columns they need: the families' rows are wide (lineage,
    -- contributions, source households), and sorting them three times cost 49 s at 10M.
    SELECT no_kk,
        row_number() OVER (PARTITION BY kode_prov ORDER BY skor_kesejahteraan, no_kk) AS peringkat_provinsi,
        row_number() OVER (PARTITION BY left(kode_desa, 4) ORDER BY skor_kesejahteraan, no_kk) AS peringkat_kabupaten
    FROM (SELECT no_kk, kode_prov, kode_desa, skor_kesejahteraan FROM keluarga_skor)
)
SELECT s.*, d.desil_nasional, u.peringkat_provinsi, u.peringkat_kabupaten
FROM keluarga_skor s
JOIN urut u USING (no_kk)
JOIN read_parquet($desil) d USING (no_kk);

-- Members carry their family's decile.
CREATE OR REPLACE TABLE individu_peringkat AS
SELECT i.*, k.desil_nasional
FROM individu i
JOIN keluarga_peringkat k USING (no_kk);
