-- Citizens' proposals, corrections and objections (usulan): which ones count, and the
-- households and members that verified proposals of new families bring.

-- Every entry of the feed, kept whatever its status. Grain: one row per id_usulan.
CREATE OR REPLACE TABLE usulan AS
SELECT id_sumber AS id_usulan, kanal, jenis, tanggal, status, no_kk, kode_desa, kode_prov, alasan,
    perubahan, keluarga
FROM read_parquet($usulan);

-- Only TERVERIFIKASI_DINSOS entries change the register. Several verified entries of the
-- same kind for the same family contradict each other: the latest (then the last id) wins,
-- the others are superseded and reported. Grain: one row per verified id_usulan.
CREATE OR REPLACE TABLE usulan_terverifikasi AS
SELECT *,
    first_value(id_usulan) OVER keluarga_jenis AS pemenang,
    count(*) OVER (PARTITION BY jenis, coalesce(no_kk, id_usulan), coalesce(alasan, '')) > 1 AS bertentangan
FROM usulan
WHERE status = 'TERVERIFIKASI_DINSOS'
WINDOW keluarga_jenis AS (PARTITION BY jenis, coalesce(no_kk, id_usulan), coalesce(alasan, '')
                          ORDER BY tanggal DESC NULLS LAST, id_usulan DESC);

CREATE OR REPLACE TABLE usulan_berlaku AS
SELECT * FROM usulan_terverifikasi WHERE id_usulan = pemenang;

-- A verified proposal of a new family is one more source household: its members were
-- matched with everyone else's records, and its housing is the Regsosek-coded `keluarga`.
INSERT INTO anggota_usulan BY NAME
SELECT a.sumber, a.id_sumber, a.id_keluarga_sumber, a.hubungan, a.kode_desa, a.kode_prov
FROM read_parquet($usulan_anggota) a
JOIN usulan_berlaku u ON u.id_usulan = a.id_keluarga_sumber AND u.jenis = 'USUL_BARU';
