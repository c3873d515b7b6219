-- DTKS, one province file. Grain: one row per person record (ID_DTKS).
-- Housing labels become Regsosek codes through label_dtks (label_dtks.csv).
-- The run's parameters as variables: a view cannot hold prepared parameters.
SET VARIABLE cutoff = $cutoff;
SET VARIABLE prov_berkas = $prov_berkas;

CREATE OR REPLACE TEMP VIEW dtks_hasil AS
WITH source AS (
    SELECT * FROM raw_dtks
), renamed AS (
    SELECT
        baris,
        kosong_ke_null("ID_DTKS") AS id_sumber,
        kosong_ke_null("ID_KELUARGA") AS id_keluarga_sumber,
        "NIK" AS nik_teks,
        id_bersih("NIK") AS nik_b,
        "NO_KK" AS kk_teks,
        id_bersih("NO_KK") AS kk_b,
        "NAMA" AS nama_teks,
        "TGL_LAHIR" AS tgl_lahir_teks,
        CASE label_baku("JNS_KEL") WHEN 'L' THEN 1 WHEN 'P' THEN 2 END AS jenis_kelamin,
        label_baku("JNS_KEL") AS jns_kel_label,
        TRY_CAST(trim("HUB_KRT") AS INTEGER) AS hub_krt,
        "KODE_WILAYAH" AS kode_wilayah_teks,
        kode_tanpa_titik("KODE_WILAYAH") AS kode_wilayah,
        kosong_ke_null("ALAMAT") AS alamat,
        label_baku("STATUS_PADAN") = 'PADAN' AS status_padan_dtks,
        label_baku("PKH") AS pkh, label_baku("BPNT") AS bpnt, label_baku("PBI") AS pbi,
        label_baku("LANTAI") AS lantai, label_baku("DINDING") AS dinding, label_baku("ATAP") AS atap,
        label_baku("AIR_MINUM") AS air_minum, label_baku("PENERANGAN") AS penerangan,
        label_baku("JAMBAN") AS jamban,
        "TGL_UPDATE" AS tgl_update_teks
    FROM source
), ganda AS (
    -- Later copies of an id: a hash aggregate, not a window (a sort of every id was 30% of the step).
    SELECT id_sumber, min(baris) AS baris_pertama FROM renamed GROUP BY id_sumber HAVING count(*) > 1
), coded AS (
    SELECT r.*,
        identitas(nik_teks, nik_b, kk_teks, kk_b, nama_teks, nk.baku, tanggal_teks(tgl_lahir_teks), tgl_lahir_teks,
                  jenis_kelamin, getvariable('cutoff')) AS idn,
        w.kode AS kode_desa,
        CASE WHEN r.baris > g.baris_pertama THEN 2 ELSE 1 END AS urutan_id,
        l1.kode AS r303, l2.kode AS r304, l3.kode AS r305, l4.kode AS r306a,
        l5.kode AS r307a, l6.kode AS r307b, l7.kode AS r309a
    FROM renamed r
    LEFT JOIN ref_wilayah w ON w.kode = r.kode_wilayah AND w.tingkat = 'DESA'
    LEFT JOIN ganda g ON g.id_sumber = r.id_sumber
    LEFT JOIN nama_kamus nk ON nk.teks = r.nama_teks
    LEFT JOIN label_dtks l1 ON l1.kolom = 'LANTAI' AND l1.variabel = 'r303' AND l1.label = r.lantai
    LEFT JOIN label_dtks l2 ON l2.kolom = 'DINDING' AND l2.variabel = 'r304' AND l2.label = r.dinding
    LEFT JOIN label_dtks l3 ON l3.kolom = 'ATAP' AND l3.variabel = 'r305' AND l3.label = r.atap
    LEFT JOIN label_dtks l4 ON l4.kolom = 'AIR_MINUM' AND l4.variabel = 'r306a' AND l4.label = r.air_minum
    LEFT JOIN label_dtks l5 ON l5.kolom = 'PENERANGAN' AND l5.variabel = 'r307a' AND l5.label = r.penerangan
    LEFT JOIN label_dtks l6 ON l6.kolom = 'PENERANGAN' AND l6.variabel = 'r307b' AND l6.label = r.penerangan
    LEFT JOIN label_dtks l7 ON l7.kolom = 'JAMBAN' AND l7.variabel = 'r309a' AND l7.label = r.jamban
), final AS (
    SELECT
        baris,
        'DTKS' AS sumber,
        id_sumber,
        id_keluarga_sumber,
        idn.*,
        CASE WHEN jenis_kelamin IS NULL THEN 'JENIS_KELAMIN_TIDAK_VALID' END AS jenis_kelamin_cacat,
        CASE WHEN hub_krt BETWEEN 1 AND 8 THEN hub_krt END AS hubungan,
        CASE WHEN hub_krt IS NULL OR hub_krt NOT BETWEEN 1 AND 8 THEN 'HUBUNGAN_TIDAK_VALID' END AS hubungan_cacat,
        kode_desa,
        left(kode_desa, 2) AS kode_prov,
        CASE WHEN left(kode_desa, 2) <> getvariable('prov_berkas') THEN 'WILAYAH_BEDA_BERKAS' END AS wilayah_cacat,
        alamat,
        status_padan_dtks,
        CASE pkh WHEN 'Y' THEN true WHEN 'N' THEN false END AS pkh,
        CASE bpnt WHEN 'Y' THEN true WHEN 'N' THEN false END AS bpnt,
        CASE pbi WHEN 'Y' THEN true WHEN 'N' THEN false END AS pbi,
        r303, r304, r305, r306a, r307a, r307b, r309a,
        -- Labels present but not in the code list: the field stays empty, the flag says why.
        list_filter([
            CASE WHEN lantai IS NOT NULL AND r303 IS NULL THEN 'LANTAI' END,
            CASE WHEN dinding IS NOT NULL AND r304 IS NULL THEN 'DINDING' END,
            CASE WHEN atap IS NOT NULL AND r305 IS NULL THEN 'ATAP' END,
            CASE WHEN air_minum IS NOT NULL AND r306a IS NULL THEN 'AIR_MINUM' END,
            CASE WHEN penerangan IS NOT NULL AND r307a IS NULL THEN 'PENERANGAN' END,
            CASE WHEN jamban IS NOT NULL AND r309a IS NULL THEN 'JAMBAN' END,
            CASE WHEN pkh NOT IN ('Y', 'N') THEN 'PKH' END,
            CASE WHEN bpnt NOT IN ('Y', 'N') THEN 'BPNT' END,
            CASE WHEN pbi NOT IN ('Y', 'N') THEN 'PBI' END
        ], lambda x: x IS NOT NULL) AS label_tidak_dikenal,
        tanggal_teks(tgl_update_teks) AS tanggal_data,
        tolak_orang(id_sumber, urutan_id, kode_wilayah_teks, kode_desa, idn.nik, nik_teks,
                    idn.nama_baku, idn.tgl_lahir) AS tolak
    FROM coded
)
SELECT * FROM final;
