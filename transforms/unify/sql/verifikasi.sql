-- Everything that needs a field check, person records and households alike, with the
-- reason. Grain: one row per (tingkat, sumber, id_sumber).
CREATE OR REPLACE TABLE verifikasi AS
SELECT 'INDIVIDU' AS tingkat, sumber, id_sumber, alasan, nik_cacat, kode_desa, kode_prov
FROM read_parquet($verifikasi_padan)
UNION ALL
SELECT 'INDIVIDU', h.sumber, h.id_sumber, h.hasil, NULL, a.kode_desa, a.kode_prov
FROM hasil_catatan h
LEFT JOIN anggota_sumber a USING (sumber, id_sumber)
WHERE h.hasil IN ('MENINGGAL', 'TANPA_KK')
UNION ALL
SELECT 'KELUARGA', sumber, id_keluarga_sumber, hasil, NULL, kode_desa, kode_prov
FROM hasil_rumah_tangga
WHERE hasil NOT IN ('DIGABUNG', 'DIBAWA')  -- DIBAWA: a new family carried from an earlier snapshot
UNION ALL
-- Verified proposals that do not hold (a death the registry does not record, a duplicate
-- that is not one, a KK not listed); a new family's proposal is checked at household level.
SELECT 'USULAN', 'USULAN', id_usulan, keterangan, NULL, kode_desa, kode_prov
FROM hasil_usulan
WHERE hasil = 'VERIFIKASI' AND jenis <> 'USUL_BARU';
