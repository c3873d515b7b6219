-- The provinces whose families lie in more than one partition, with those partitions, from
-- every partition's families per province: their province rank crosses partitions.
-- Grain: one row per such province.
SELECT kode_prov, list(DISTINCT partisi ORDER BY partisi) AS partisi
FROM read_parquet($provinsi)
GROUP BY kode_prov
HAVING count(DISTINCT partisi) > 1
ORDER BY kode_prov
