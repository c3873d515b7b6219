-- P3KE, the extreme-poverty list. Grain: p3ke_keluarga_hasil one row per ID_KELUARGA_P3KE;
-- p3ke_anggota_hasil one row per ID_ANGGOTA_P3KE. Text codes mapped through label_p3ke.csv.
-- The run's parameters as variables: a view cannot hold prepared parameters.
SET VARIABLE cutoff = $cutoff;

CREATE OR REPLACE TEMP VIEW p3ke_keluarga_hasil AS
WITH source AS (
    SELECT * FROM raw_p3ke_keluarga
), renamed AS (
    SELECT s.*,
        kosong_ke_null("ID_KELUARGA_P3KE") AS id_sumber,
        id_bersih(s."NO_KK") AS kk_b,
        id_bersih(s."NIK_KEPALA_KELUARGA") AS nik_kepala_b,
        w.kode AS kode_desa_baku,  -- not kode_desa: identifiers ignore case, KODE_DESA is the raw one
        CASE WHEN s.baris > g.baris_pertama THEN 2 ELSE 1 END AS urutan_id
    FROM source s
    LEFT JOIN (SELECT "ID_KELUARGA_P3KE" AS id, min(baris) AS baris_pertama FROM source GROUP BY 1 HAVING count(*) > 1) g
        ON g.id = s."ID_KELUARGA_P3KE"
    LEFT JOIN ref_wilayah w ON w.kode = kode_tanpa_titik(s."KODE_DESA") AND w.tingkat = 'DESA'
), final AS (
    SELECT
        baris,
        'P3KE' AS sumber,
        id_sumber,
        id_sumber AS id_keluarga_sumber,
        id_angka("NO_KK", kk_b) AS no_kk,
        id_cacat("NO_KK", kk_b, 'KK') AS kk_cacat,
        id_angka("NIK_KEPALA_KELUARGA", nik_kepala_b) AS nik_kepala_keluarga,
        nik_cacat("NIK_KEPALA_KELUARGA", nik_kepala_b, NULL, getvariable('cutoff')) AS nik_kepala_cacat,
        kode_desa_baku AS kode_desa,
        left(kode_desa_baku, 2) AS kode_prov,
        CASE WHEN TRY_CAST("DESIL_KESEJAHTERAAN" AS INTEGER) BETWEEN 1 AND 4
             THEN TRY_CAST("DESIL_KESEJAHTERAAN" AS INTEGER) END AS desil_p3ke,
        ya_tidak("PENERIMA_BPNT") AS bpnt,
        ya_tidak("PENERIMA_PKH") AS pkh,
        ya_tidak("PENERIMA_BPUM") AS bpum,
        ya_tidak("RUMAH_TIDAK_LAYAK_HUNI") AS rumah_tidak_layak_huni,
        ya_tidak("AIR_MINUM_TIDAK_LAYAK") AS air_minum_tidak_layak,
        ya_tidak("JAMBAN_TIDAK_LAYAK") AS jamban_tidak_layak,
        kosong_ke_null("ALAMAT") AS alamat,
        list_filter([
            CASE WHEN kosong_ke_null("DESIL_KESEJAHTERAAN") IS NOT NULL AND desil_p3ke IS NULL THEN 'DESIL_KESEJAHTERAAN' END,
            CASE WHEN kosong_ke_null("PENERIMA_BPNT") IS NOT NULL AND bpnt IS NULL THEN 'PENERIMA_BPNT' END,
            CASE WHEN kosong_ke_null("PENERIMA_PKH") IS NOT NULL AND pkh IS NULL THEN 'PENERIMA_PKH' END,
            CASE WHEN kosong_ke_null("PENERIMA_BPUM") IS NOT NULL AND bpum IS NULL THEN 'PENERIMA_BPUM' END
        ], lambda x: x IS NOT NULL) AS label_tidak_dikenal,
        CASE
            WHEN id_sumber IS NULL THEN {'aturan': 'ID_KOSONG', 'kolom': 'ID_KELUARGA_P3KE', 'nilai': NULL}
            WHEN urutan_id > 1 THEN {'aturan': 'ID_GANDA', 'kolom': 'ID_KELUARGA_P3KE', 'nilai': id_sumber}
            WHEN kode_desa_baku IS NULL THEN {'aturan': 'WILAYAH_TIDAK_DIKENAL', 'kolom': 'KODE_DESA', 'nilai': "KODE_DESA"}
        END AS tolak
    FROM renamed
)
SELECT * FROM final;

CREATE OR REPLACE TEMP VIEW p3ke_anggota_hasil AS
WITH source AS (
    SELECT * FROM raw_p3ke_anggota
), keluarga AS (
    SELECT id_sumber AS id_keluarga, no_kk, kode_desa, kode_prov FROM p3ke_keluarga_hasil WHERE tolak IS NULL
), renamed AS (
    SELECT a.*,
        kosong_ke_null(a."ID_ANGGOTA_P3KE") AS id_sumber,
        id_bersih(a."NIK") AS nik_b,
        k.no_kk AS kk_keluarga, k.kode_desa, k.kode_prov,
        jk.kode AS jk, hub.kode AS hub, sek.kode AS r413, kerja.kode AS r416, sektor.kode AS r417,
        CASE WHEN a.baris > g.baris_pertama THEN 2 ELSE 1 END AS urutan_id
    FROM source a
    LEFT JOIN (SELECT "ID_ANGGOTA_P3KE" AS id, min(baris) AS baris_pertama FROM source GROUP BY 1 HAVING count(*) > 1) g
        ON g.id = a."ID_ANGGOTA_P3KE"
    LEFT JOIN keluarga k ON k.id_keluarga = kosong_ke_null(a."ID_KELUARGA_P3KE")
    LEFT JOIN label_p3ke jk ON jk.kolom = 'JENIS_KELAMIN' AND jk.label = label_baku(a."JENIS_KELAMIN")
    LEFT JOIN label_p3ke hub ON hub.kolom = 'HUBUNGAN' AND hub.label = label_baku(a."HUBUNGAN")
    LEFT JOIN label_p3ke sek ON sek.kolom = 'PENDIDIKAN' AND sek.label = label_baku(a."PENDIDIKAN")
    LEFT JOIN label_p3ke kerja ON kerja.kolom = 'PEKERJAAN' AND kerja.variabel = 'r416' AND kerja.label = label_baku(a."PEKERJAAN")
    LEFT JOIN label_p3ke sektor ON sektor.kolom = 'PEKERJAAN' AND sektor.variabel = 'r417' AND sektor.label = label_baku(a."PEKERJAAN")
), coded AS (
    SELECT r.*, identitas("NIK", nik_b, kk_keluarga, kk_keluarga, "NAMA", nk.baku, tanggal_teks("TANGGAL_LAHIR"), "TANGGAL_LAHIR", jk, getvariable('cutoff')) AS idn
    FROM renamed r
    LEFT JOIN nama_kamus nk ON nk.teks = r."NAMA"
), final AS (
    SELECT
        baris,
        'P3KE' AS sumber,
        id_sumber,
        kosong_ke_null("ID_KELUARGA_P3KE") AS id_keluarga_sumber,
        idn.*,
        CASE WHEN jk IS NULL THEN 'JENIS_KELAMIN_TIDAK_VALID' END AS jenis_kelamin_cacat,
        hub AS hubungan,
        CASE WHEN hub IS NULL THEN 'HUBUNGAN_TIDAK_VALID' END AS hubungan_cacat,
        r413, r416, r417,
        ya_tidak("PADAN_DUKCAPIL") AS padan_dukcapil_p3ke,
        kode_desa,
        kode_prov,
        list_filter([
            CASE WHEN kosong_ke_null("PENDIDIKAN") IS NOT NULL AND r413 IS NULL THEN 'PENDIDIKAN' END,
            CASE WHEN kosong_ke_null("PEKERJAAN") IS NOT NULL AND r416 IS NULL THEN 'PEKERJAAN' END
        ], lambda x: x IS NOT NULL) AS label_tidak_dikenal,
        CASE
            WHEN id_sumber IS NULL THEN {'aturan': 'ID_KOSONG', 'kolom': 'ID_ANGGOTA_P3KE', 'nilai': NULL}
            WHEN urutan_id > 1 THEN {'aturan': 'ID_GANDA', 'kolom': 'ID_ANGGOTA_P3KE', 'nilai': id_sumber}
            WHEN kode_desa IS NULL THEN {'aturan': 'KELUARGA_TIDAK_ADA', 'kolom': 'ID_KELUARGA_P3KE', 'nilai': "ID_KELUARGA_P3KE"}
            WHEN idn.nik IS NULL AND (idn.nama_baku IS NULL OR idn.tgl_lahir IS NULL)
                THEN {'aturan': 'IDENTITAS_TIDAK_CUKUP', 'kolom': 'NIK', 'nilai': samar_nik("NIK")}
            WHEN nama_tidak_wajar(idn.nama_baku) IS NOT NULL THEN nama_tidak_wajar(idn.nama_baku)
        END AS tolak
    FROM coded
)
SELECT * FROM final;
