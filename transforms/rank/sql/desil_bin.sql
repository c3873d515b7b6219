-- The bin of a welfare score in the decile summaries: equal steps of its eighth root.
-- A bin must never hold a score above one of a later bin, to the last bit, or the persons
-- counted before a bin would be wrong. sqrt is exactly rounded (IEEE 754), and so is a
-- product; exact rounding keeps order, so a root of roots, times a number, floored, keeps
-- it too (the C library's ln() promises no such thing). On the scores' range (Rp 10^5 to
-- 10^8 a month) the eighth root's steps are within a factor of 2.4 of equal steps of the
-- log: a bin is about as narrow, relative to its score, at the bottom as at the top.
CREATE OR REPLACE TEMP MACRO desil_bin(skor, resolusi) AS floor(resolusi * sqrt(sqrt(sqrt(skor))))::BIGINT;
