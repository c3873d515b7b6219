-- What became of every person-level source record. Grain: one row per (sumber, id_sumber).
-- Only a proposal's record can be missing from its household (matching reads the same
-- member files as anggota_sumber; a proposal's members join it only if the proposal
-- holds), so the check joins the few proposed members, not every member listed (25
-- million rows at 10M persons, which made this table spill).
CREATE OR REPLACE TABLE hasil_catatan AS
SELECT t.sumber, t.id_sumber,
    CASE
        WHEN t.nik IS NULL THEN 'TIDAK_PADAN'                   -- in verification since matching
        WHEN NOT p.hidup THEN 'MENINGGAL'                       -- the person has died: to verification
        WHEN t.sumber = 'USULAN' AND a.id_sumber IS NULL AND u.status IN ('DIAJUKAN', 'DISETUJUI_DESA')
            THEN 'MENUNGGU_USULAN'                              -- a pending proposal's member
        WHEN t.sumber = 'USULAN' AND a.id_sumber IS NULL
            THEN 'USULAN_TIDAK_DITERAPKAN'                      -- of a rejected or superseded proposal
        WHEN p.no_kk IS NULL THEN 'TANPA_KK'                    -- alive but on no family card: to verification
        ELSE 'DITERBITKAN'                                      -- a member of a published family
    END AS hasil
FROM tautan t
LEFT JOIN penduduk p ON p.nik = t.nik
LEFT JOIN anggota_usulan a ON t.sumber = 'USULAN' AND a.id_sumber = t.id_sumber
LEFT JOIN usulan u ON t.sumber = 'USULAN' AND u.id_usulan = split_part(t.id_sumber, ':', 1);
