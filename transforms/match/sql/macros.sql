-- Plausibility of a record against a registry person (used by the NIK steps).

-- Birth dates agree: equal, day and month swapped, or the year one off (typing errors).
CREATE OR REPLACE MACRO tgl_cocok(a, b) AS
    a = b
    OR (day(a) = month(b) AND month(a) = day(b) AND year(a) = year(b))
    OR (day(a) = day(b) AND month(a) = month(b) AND abs(year(a) - year(b)) = 1);

-- The names module's level for two names (transforms/names, tingkat.csv). Where the
-- standardized names already agree (equal, reordered, one's words among the other's) SQL
-- says so, and where they differ by one nickname the module's word rule alone says so
-- (`nama_hanya_panggilan`); only the rest goes to the module's whole comparison (a Python
-- UDF, `nama_tingkat`, on the names as written: titles, bin/binti, nicknames, spelling).
CREATE OR REPLACE MACRO tingkat_nama(asli_a, baku_a, asli_b, baku_b) AS CASE
    WHEN baku_a IS NULL OR baku_b IS NULL THEN 'KOSONG'
    WHEN baku_a = baku_b THEN 'SAMA'
    WHEN list_sort(string_split(baku_a, ' ')) = list_sort(string_split(baku_b, ' ')) THEN 'URUTAN'
    WHEN list_has_all(string_split(baku_a, ' '), string_split(baku_b, ' '))
        OR list_has_all(string_split(baku_b, ' '), string_split(baku_a, ' ')) THEN 'SUBSET'
    WHEN nama_hanya_panggilan(baku_a, baku_b) THEN 'PANGGILAN'
    ELSE nama_tingkat(asli_a, asli_b)
END;

-- A name level that is evidence for the same person (anything but BEDA and KOSONG).
CREATE OR REPLACE MACRO nama_setara(tingkat) AS tingkat NOT IN ('BEDA', 'KOSONG');

-- Birth-date evidence: SAMA, TERTUKAR (day and month swapped), SELISIH_SETAHUN, BEDA, KOSONG.
CREATE OR REPLACE MACRO bukti_tgl(a, b) AS CASE
    WHEN a IS NULL OR b IS NULL THEN 'KOSONG'
    WHEN a = b THEN 'SAMA'
    WHEN day(a) = month(b) AND month(a) = day(b) AND year(a) = year(b) THEN 'TERTUKAR'
    WHEN day(a) = day(b) AND month(a) = month(b) AND abs(year(a) - year(b)) = 1 THEN 'SELISIH_SETAHUN'
    ELSE 'BEDA'
END;

-- Evidence from one value that must be equal: SAMA, BEDA, KOSONG.
CREATE OR REPLACE MACRO bukti_sama(a, b) AS CASE
    WHEN a IS NULL OR b IS NULL THEN 'KOSONG' WHEN a = b THEN 'SAMA' ELSE 'BEDA' END;
