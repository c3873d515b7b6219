-- The points of the NIK evidence (poin_nik.csv), and every combination of the five pieces
-- the record-to-holder fit is made of, with its sum: one join prices a pair.
CREATE OR REPLACE TABLE poin_nik AS
SELECT bukti, tingkat, poin::INTEGER AS poin FROM read_csv($poin, header = true, all_varchar = true);

CREATE OR REPLACE TABLE poin_kombinasi AS
SELECT n.tingkat AS nama, t.tingkat AS tgl_lahir, j.tingkat AS jenis_kelamin, k.tingkat AS no_kk,
    d.tingkat AS kode_desa, n.poin + t.poin + j.poin + k.poin + d.poin AS cocok
FROM poin_nik n, poin_nik t, poin_nik j, poin_nik k, poin_nik d
WHERE n.bukti = 'nama' AND t.bukti = 'tgl_lahir' AND j.bukti = 'jenis_kelamin' AND k.bukti = 'no_kk'
  AND d.bukti = 'kode_desa';
