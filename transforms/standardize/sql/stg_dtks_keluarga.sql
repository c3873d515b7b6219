-- DTKS households from the kept person rows. Grain: one row per ID_KELUARGA.
-- Household attributes are repeated on every member's row; the head's row speaks for it.
SELECT
    k.id_keluarga_sumber,
    k.no_kk,
    k.kode_desa,
    k.kode_prov,
    k.r303, k.r304, k.r305, k.r306a, k.r307a, k.r307b, k.r309a,
    a.pkh, a.bpnt, a.pbi,
    a.tanggal_data,
    a.jumlah_anggota_sumber
FROM (
    SELECT * FROM dtks_diterima
    QUALIFY row_number() OVER (PARTITION BY id_keluarga_sumber ORDER BY hubungan = 1 DESC NULLS LAST, baris) = 1
) k
JOIN (
    SELECT id_keluarga_sumber, bool_or(pkh) AS pkh, bool_or(bpnt) AS bpnt, bool_or(pbi) AS pbi,
        max(tanggal_data) AS tanggal_data, count(*) AS jumlah_anggota_sumber
    FROM dtks_diterima GROUP BY id_keluarga_sumber
) a USING (id_keluarga_sumber)
WHERE k.id_keluarga_sumber IS NOT NULL
ORDER BY k.kode_prov, k.id_keluarga_sumber
