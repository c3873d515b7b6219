-- A member's schooling, work, disability and chronic illness. Regsosek asks all of them;
-- P3KE has schooling and work. Only the members of `individu` (a partition's): their
-- records are found by NIK in the national links, wherever the source listed them.
-- Grain: one row per NIK.
CREATE OR REPLACE TABLE atribut_orang AS
WITH tautan AS (
    SELECT sumber, id_sumber, nik FROM read_parquet($tautan)
    WHERE nik IN (SELECT nik FROM individu)
), catatan AS (
    SELECT t.nik, {'urutan': 1, 'id': a.id_sumber} AS urutan, a.r413, a.r416, a.r417, a.r428, a.r430
    FROM read_parquet($regsosek_anggota) a JOIN tautan t USING (sumber, id_sumber)
    UNION ALL
    SELECT t.nik, {'urutan': 2, 'id': a.id_sumber}, a.r413, a.r416, a.r417, NULL, NULL
    FROM read_parquet($p3ke_anggota) a JOIN tautan t USING (sumber, id_sumber)
)
SELECT nik,
    arg_min(r413, urutan) FILTER (WHERE r413 IS NOT NULL) AS r413,
    arg_min(r416, urutan) FILTER (WHERE r416 IS NOT NULL) AS r416,
    arg_min(r417, urutan) FILTER (WHERE r416 IS NOT NULL) AS r417,
    arg_min(r428, urutan) FILTER (WHERE r428 IS NOT NULL) AS r428,
    arg_min(r430, urutan) FILTER (WHERE r430 IS NOT NULL) AS r430
FROM catatan
GROUP BY nik;
