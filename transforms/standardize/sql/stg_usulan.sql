-- Proposals, updates and objections. Grain: usulan_hasil one row per line of usulan.jsonl;
-- usulan_anggota_hasil one row per proposed member of a kept USUL_BARU (id `<id_usulan>:<n>`).
-- The run's parameters as variables: a view cannot hold prepared parameters.
SET VARIABLE cutoff = $cutoff;

CREATE OR REPLACE TEMP VIEW usulan_hasil AS
WITH source AS (
    SELECT baris, json FROM raw_usulan
), parsed AS (
    SELECT baris, json_valid(json) AS valid, CASE WHEN json_valid(json) THEN json::JSON END AS j FROM source
), renamed AS (
    SELECT
        baris,
        valid,
        kosong_ke_null(j ->> 'id_usulan') AS id_sumber,
        label_baku(j ->> 'kanal') AS kanal,
        label_baku(j ->> 'jenis') AS jenis,
        tanggal_teks(j ->> 'tanggal') AS tanggal,
        label_baku(j ->> 'status') AS status,
        j ->> 'no_kk' AS kk_teks,
        id_bersih(j ->> 'no_kk') AS kk_b,
        j ->> 'kode_desa' AS kode_desa_teks,
        label_baku(j ->> 'alasan') AS alasan,
        j -> 'perubahan' AS perubahan,
        j -> 'keluarga' AS keluarga
    FROM parsed
), checked AS (
    SELECT *,
        -- A correction's fields are checked against the code book, as a source's are.
        CASE WHEN jenis = 'PERBAIKAN' THEN /*PERUBAHAN_LUAR_KISARAN*/ END AS perubahan_salah,
        -- A new family's members: a list of objects (a real app once sent one object, or text).
        jenis = 'USUL_BARU' AND (json_type(keluarga, '$.anggota') IS DISTINCT FROM 'ARRAY'
            OR NOT coalesce(list_bool_and(list_transform(json_type(keluarga, '$.anggota[*]'),
                                                         lambda t: t = 'OBJECT')), true)) AS anggota_salah
    FROM renamed
), final AS (
    SELECT r.baris, 'USULAN' AS sumber, r.id_sumber, r.kanal, r.jenis, r.tanggal, r.status,
        id_angka(r.kk_teks, r.kk_b) AS no_kk, id_cacat(r.kk_teks, r.kk_b, 'KK') AS kk_cacat, w.kode AS kode_desa, left(w.kode, 2) AS kode_prov, r.alasan,
        r.perubahan::VARCHAR AS perubahan, r.keluarga::VARCHAR AS keluarga,
        CASE WHEN r.kanal NOT IN ('APLIKASI', 'MUSDES', 'MUSKEL', 'SPTJM') OR r.kanal IS NULL
             THEN 'KANAL_TIDAK_DIKENAL' END AS kanal_cacat,
        CASE WHEN r.tanggal IS NULL THEN 'TANGGAL_TIDAK_TERBACA' END AS tanggal_cacat,
        CASE
            WHEN NOT r.valid THEN {'aturan': 'JSON_TIDAK_VALID', 'kolom': 'baris', 'nilai': NULL}
            WHEN r.id_sumber IS NULL THEN {'aturan': 'ID_KOSONG', 'kolom': 'id_usulan', 'nilai': NULL}
            WHEN row_number() OVER (PARTITION BY r.id_sumber ORDER BY r.baris) > 1
                THEN {'aturan': 'ID_GANDA', 'kolom': 'id_usulan', 'nilai': r.id_sumber}
            WHEN r.jenis IS NULL OR r.jenis NOT IN ('USUL_BARU', 'PERBAIKAN', 'SANGGAHAN')
                THEN {'aturan': 'JENIS_USULAN_TIDAK_DIKENAL', 'kolom': 'jenis', 'nilai': r.jenis}
            WHEN r.status IS NULL OR r.status NOT IN ('DIAJUKAN', 'DISETUJUI_DESA', 'TERVERIFIKASI_DINSOS', 'DITOLAK')
                THEN {'aturan': 'STATUS_USULAN_TIDAK_DIKENAL', 'kolom': 'status', 'nilai': r.status}
            WHEN w.kode IS NULL THEN {'aturan': 'WILAYAH_TIDAK_DIKENAL', 'kolom': 'kode_desa', 'nilai': r.kode_desa_teks}
            WHEN r.jenis = 'SANGGAHAN' AND (r.alasan IS NULL OR r.alasan NOT IN ('MAMPU', 'MENINGGAL', 'PINDAH', 'GANDA'))
                THEN {'aturan': 'ALASAN_SANGGAHAN_TIDAK_DIKENAL', 'kolom': 'alasan', 'nilai': r.alasan}
            WHEN r.jenis = 'PERBAIKAN' AND json_type(r.perubahan) IS DISTINCT FROM 'OBJECT'
                THEN {'aturan': 'PERUBAHAN_TIDAK_VALID', 'kolom': 'perubahan', 'nilai': NULL}
            WHEN r.perubahan_salah IS NOT NULL
                THEN {'aturan': 'PERUBAHAN_TIDAK_VALID', 'kolom': 'perubahan.' || r.perubahan_salah,
                      'nilai': left(json_extract_string(r.perubahan, '$.' || r.perubahan_salah), 40)}
            WHEN r.anggota_salah
                THEN {'aturan': 'ANGGOTA_TIDAK_VALID', 'kolom': 'keluarga.anggota', 'nilai': NULL}
        END AS tolak
    FROM checked r
    LEFT JOIN ref_wilayah w ON w.kode = kode_tanpa_titik(r.kode_desa_teks) AND w.tingkat = 'DESA'
)
SELECT * FROM final;

CREATE OR REPLACE TEMP VIEW usulan_anggota_hasil AS
WITH source AS (
    SELECT u.id_sumber AS id_usulan, u.baris, u.no_kk, u.kode_desa, u.kode_prov,
        unnest(CAST(json_extract(u.keluarga::JSON, '$.anggota') AS JSON[])) AS a,
        generate_subscripts(CAST(json_extract(u.keluarga::JSON, '$.anggota') AS JSON[]), 1) AS urutan
    FROM usulan_hasil u
    WHERE u.tolak IS NULL AND u.jenis = 'USUL_BARU'
), renamed AS (
    SELECT *,
        TRY_CAST(a ->> 'jenis_kelamin' AS INTEGER) AS jk_angka,
        TRY_CAST(a ->> 'hubungan' AS INTEGER) AS hub,
        id_bersih(a ->> 'nik') AS nik_b
    FROM source
), coded AS (
    SELECT *, identitas(a ->> 'nik', nik_b, no_kk, no_kk, a ->> 'nama', nama_baku(a ->> 'nama'), tanggal_teks(a ->> 'tgl_lahir'), a ->> 'tgl_lahir',
                        CASE WHEN jk_angka IN (1, 2) THEN jk_angka END, getvariable('cutoff')) AS idn
    FROM renamed
), final AS (
    SELECT
        baris,
        'USULAN' AS sumber,
        id_usulan || ':' || urutan AS id_sumber,
        id_usulan AS id_keluarga_sumber,
        idn.*,
        CASE WHEN jk_angka IS NULL OR jk_angka NOT IN (1, 2) THEN 'JENIS_KELAMIN_TIDAK_VALID' END AS jenis_kelamin_cacat,
        CASE WHEN hub BETWEEN 1 AND 8 THEN hub END AS hubungan,
        CASE WHEN hub IS NULL OR hub NOT BETWEEN 1 AND 8 THEN 'HUBUNGAN_TIDAK_VALID' END AS hubungan_cacat,
        kode_desa,
        kode_prov,
        CASE
            WHEN idn.nik IS NULL AND (idn.nama_baku IS NULL OR idn.tgl_lahir IS NULL)
                THEN {'aturan': 'IDENTITAS_TIDAK_CUKUP', 'kolom': 'anggota.nik', 'nilai': samar_nik(a ->> 'nik')}
            WHEN nama_tidak_wajar(idn.nama_baku) IS NOT NULL THEN nama_tidak_wajar(idn.nama_baku)
        END AS tolak
    FROM coded
)
SELECT * FROM final;
