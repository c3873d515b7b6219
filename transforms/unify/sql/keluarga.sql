-- Head, address and size of each published family, from its living members. The head is
-- the registry's head when alive, else the spouse, else the eldest.
-- Grain: one row per no_kk.
CREATE OR REPLACE TABLE keluarga_inti AS
WITH urut AS (
    SELECT *, struct_pack(
        bukan_kepala := hubungan_keluarga IS DISTINCT FROM 1,
        bukan_pasangan := hubungan_keluarga NOT IN (2, 3) OR hubungan_keluarga IS NULL,
        lahir := coalesce(tgl_lahir, DATE '9999-12-31'),
        nik := nik) AS urutan_kepala
    FROM individu
)
SELECT no_kk, arg_min(nik, urutan_kepala) AS nik_kepala_keluarga, arg_min(kode_desa, urutan_kepala) AS kode_desa,
    count(*) AS jumlah_anggota
FROM urut
GROUP BY no_kk;
