-- What became of every person-level source record. Grain: one row per (sumber, id_sumber).
CREATE OR REPLACE TABLE hasil_catatan AS
SELECT t.sumber, t.id_sumber,
    CASE
        WHEN t.nik IS NULL THEN 'TIDAK_PADAN'                   -- in verification since matching
        WHEN NOT p.hidup THEN 'MENINGGAL'                       -- the person has died: to verification
        WHEN a.id_sumber IS NULL AND u.status IN ('DIAJUKAN', 'DISETUJUI_DESA')
            THEN 'MENUNGGU_USULAN'                              -- a pending proposal's member
        WHEN a.id_sumber IS NULL THEN 'USULAN_TIDAK_DITERAPKAN' -- of a rejected or superseded proposal
        WHEN p.no_kk IS NULL THEN 'TANPA_KK'                    -- alive but on no family card: to verification
        ELSE 'DITERBITKAN'                                      -- a member of a published family
    END AS hasil
FROM tautan t
LEFT JOIN penduduk p ON p.nik = t.nik
LEFT JOIN anggota_sumber a ON a.sumber = t.sumber AND a.id_sumber = t.id_sumber
LEFT JOIN usulan u ON t.sumber = 'USULAN' AND u.id_usulan = split_part(t.id_sumber, ':', 1);
