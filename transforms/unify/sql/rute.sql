-- Where each row of the partitioned unify is decided (terbagi.py). Every routing key is
-- one the decision groups by, so a decision sees all its inputs in one partition.

-- A family is decided in the partition of its registry KK: that of the lowest village code
-- on the card. Every member goes with the KK, whatever the split. Grain: one row per no_kk.
CREATE OR REPLACE TABLE kk_partisi AS
SELECT no_kk, partisi_desa(min(kode_desa)) AS partisi
FROM penduduk
WHERE no_kk IS NOT NULL
GROUP BY no_kk;

-- A feed entry is decided where the family it concerns is: a new family's proposal at the
-- KK it is published on (its household's main KK: where its lineage, a source listing that
-- KK and a MAMPU objection on it meet), any other entry at the KK it names, and an entry
-- naming a KK the registry does not know at the village it gives.
-- Grain: one row per id_usulan.
CREATE OR REPLACE TABLE rute_usulan AS
SELECT u.id_usulan, coalesce(terbit.partisi, disebut.partisi, partisi_desa(u.kode_desa)) AS partisi
FROM usulan u
LEFT JOIN hasil_rumah_tangga h ON h.sumber = 'USULAN' AND h.id_keluarga_sumber = u.id_usulan
LEFT JOIN kk_partisi terbit ON terbit.no_kk = h.no_kk
LEFT JOIN kk_partisi disebut ON disebut.no_kk = u.no_kk;

-- A household's attributes go to every partition of a KK it reaches: each family's
-- survivorship sees every household that reaches it. Grain: one row per
-- (sumber, id_keluarga_sumber, partisi).
CREATE OR REPLACE TABLE rute_rumah_tangga AS
SELECT DISTINCT r.sumber, r.id_keluarga_sumber, k.partisi
FROM rumah_tangga_kk r
JOIN kk_partisi k USING (no_kk);
