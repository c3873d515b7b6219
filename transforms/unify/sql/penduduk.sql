-- The registry, with who is alive on the cut-off date. Grain: one row per NIK.
-- A bare SELECT: the national unify keeps it as table `penduduk`, the partitioned one
-- routes it to the partitions of the KKs (terbagi.py).
SELECT nik, no_kk, nama, tgl_lahir, jenis_kelamin, stat_hbkel, kode_desa, kode_prov,
    tgl_mati IS NULL OR tgl_mati > $cutoff AS hidup
FROM read_parquet($penduduk)
