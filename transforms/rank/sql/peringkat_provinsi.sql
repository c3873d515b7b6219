-- The rank within one province whose families lie in several partitions (a province split
-- into groups of regencies): one window over the narrow projection of its families' scores
-- from each of those partitions, the order of peringkat.sql's. `filename` says which
-- partition's file the family came from, so each gets its own ranks back. Grain: one row
-- per no_kk of the province.
CREATE OR REPLACE TEMP TABLE peringkat_provinsi_lintas AS
SELECT filename, no_kk,
    row_number() OVER (ORDER BY skor_kesejahteraan, no_kk) AS peringkat_provinsi
FROM read_parquet($skor, filename = true)
WHERE kode_prov IS NOT DISTINCT FROM $kode_prov;
