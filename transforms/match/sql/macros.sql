-- Plausibility of a record against a registry person (used by the NIK steps).

-- Names agree: close spelling, or one is the other with words dropped (a nickname, a
-- shortened name: AHMAD for AHMAD SUBAGJA).
CREATE OR REPLACE MACRO nama_cocok(a, b) AS
    jaro_winkler_similarity(a, b) >= 0.90
    OR (length(a) >= 3 AND length(b) >= 3
        AND (list_has_all(string_split(a, ' '), string_split(b, ' '))
             OR list_has_all(string_split(b, ' '), string_split(a, ' '))));

-- Birth dates agree: equal, day and month swapped, or the year one off (typing errors).
CREATE OR REPLACE MACRO tgl_cocok(a, b) AS
    a = b
    OR (day(a) = month(b) AND month(a) = day(b) AND year(a) = year(b))
    OR (day(a) = day(b) AND month(a) = month(b) AND abs(year(a) - year(b)) = 1);
