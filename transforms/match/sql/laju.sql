-- Link rates (transforms/match/laju.py): who fails to link, per source, by province, by
-- age band at the cut-off and by welfare decile. Only the last table, counts per group,
-- leaves DuckDB; the record-level tables stay inside it.

-- The fields of a person record the groups need and tautan_sumber does not carry: the
-- birth date and the source's own KK number, from the standardized files matching reads
-- (transforms.match.load_records). Grain: one row per (sumber, id_sumber).
CREATE OR REPLACE TEMP TABLE laju_sumber AS
SELECT sumber, id_sumber, tgl_lahir, no_kk FROM read_parquet($dtks, union_by_name = true)
UNION ALL BY NAME
SELECT sumber, id_sumber, tgl_lahir, no_kk FROM read_parquet($regsosek)
UNION ALL BY NAME
SELECT sumber, id_sumber, tgl_lahir, no_kk FROM read_parquet($p3ke)
UNION ALL BY NAME
SELECT sumber, id_sumber, tgl_lahir, no_kk FROM read_parquet($usulan);

-- Age bands from their lower bounds ($batas_umur, ascending from 0): 0-4, 5-14, ..., 65+.
-- Grain: one row per band.
CREATE OR REPLACE TEMP TABLE laju_kelompok_umur AS
WITH batas AS (
    SELECT unnest($batas_umur) AS dari, unnest(range(1, len($batas_umur) + 1)) AS urutan
)
SELECT urutan, dari, lead(dari) OVER (ORDER BY urutan) - 1 AS sampai,
    CASE WHEN sampai IS NULL THEN dari || '+' ELSE dari || '-' || sampai END AS label
FROM batas;

-- Every matched record in its groups. tautan_sumber is the base, so every record counts
-- once, linked or not; the same key (the record's own KK) places linked and unlinked
-- records in a decile. A group not known (no birth date, a KK that is no ranked family, a
-- family without a decile, no province) is NULL here. Grain: one row per (sumber, id_sumber).
CREATE OR REPLACE TEMP TABLE laju_catatan AS
WITH catatan AS (
    SELECT t.sumber, t.metode_padan <> 'TIDAK_PADAN' AS padan, t.kode_prov, s.no_kk,
        -- whole years at the cut-off; a band is the number of lower bounds at or below it
        nullif(len(list_filter($batas_umur, lambda b: b <= date_sub('year', s.tgl_lahir, $cutoff::DATE))), 0)
            AS urutan_umur
    FROM read_parquet($tautan) t
    LEFT JOIN laju_sumber s ON s.sumber = t.sumber AND s.id_sumber = t.id_sumber
)
SELECT c.sumber, c.padan, c.kode_prov, u.urutan AS urutan_umur, u.label AS kelompok_umur, k.desil_nasional
FROM catatan c
LEFT JOIN laju_kelompok_umur u ON u.urutan = c.urutan_umur
LEFT JOIN (SELECT no_kk, desil_nasional FROM read_parquet($keluarga)) k ON k.no_kk = c.no_kk;

-- Records and links per source and group, for each breakdown. Grain: one row per
-- (sumber, rincian, kelompok). `diketahui` false for the group not known; `urutan` orders
-- the age bands and deciles (provinces go by their code).
CREATE OR REPLACE TEMP TABLE laju_padan AS
WITH per_kelompok AS (
    SELECT sumber,
        CASE WHEN grouping(kode_prov) = 0 THEN 'provinsi'
            WHEN grouping(urutan_umur) = 0 THEN 'kelompok_umur'
            ELSE 'desil' END AS rincian,
        CASE WHEN grouping(kode_prov) = 0 THEN kode_prov
            WHEN grouping(urutan_umur) = 0 THEN kelompok_umur
            ELSE desil_nasional::VARCHAR END AS nama,
        CASE WHEN grouping(urutan_umur) = 0 THEN urutan_umur
            WHEN grouping(desil_nasional) = 0 THEN desil_nasional END AS urutan,
        count(*) AS catatan,
        count(*) FILTER (WHERE padan) AS padan
    FROM laju_catatan
    GROUP BY GROUPING SETS ((sumber, kode_prov), (sumber, urutan_umur, kelompok_umur), (sumber, desil_nasional))
)
SELECT sumber, rincian, coalesce(nama, $tidak_diketahui) AS kelompok, nama IS NOT NULL AS diketahui, urutan,
    catatan, padan
FROM per_kelompok;
