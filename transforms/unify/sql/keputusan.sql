-- Decisions carried from the previous snapshot: the verified new families, corrections and
-- MAMPU objections still in force there (its `usulan` rows with `berlaku`). A citizen told
-- "your status will be updated" must stay updated after the three months the feed keeps an
-- entry; the next refresh applies the decision again until something newer decides.

-- As the previous snapshot left them (`keputusan_masuk`: the file the refresh exported, in
-- the columns of keputusan.CARRIED). Grain: one row per id_usulan.
CREATE OR REPLACE TABLE keputusan_lama AS
SELECT * FROM keputusan_masuk;

-- Those this delivery's feed no longer carries: applied again here. An entry still in the
-- feed is decided by the feed, keeping its first application's date and source values.
-- Grain: one row per id_usulan.
CREATE OR REPLACE TABLE keputusan_bawaan AS
SELECT * FROM keputusan_lama
WHERE id_usulan NOT IN (SELECT id_usulan FROM usulan);
