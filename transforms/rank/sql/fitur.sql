-- The welfare model's variables from Regsosek-coded columns, one macro so that the survey
-- sample (to fit) and the published families (to score) get exactly the same definitions.
-- NULL in, NULL out: a missing input stays visible, and scoring decides what to do with it.
CREATE OR REPLACE MACRO fitur_pmt(t) AS TABLE
SELECT *,
    -- family size and composition
    ln(greatest(jumlah_art, 1)) AS log_jumlah_art,
    -- head of family
    (r416_kepala = 1)::INT AS kepala_bekerja,
    -- a head who does not work has no sector: neither a farmer nor formally employed
    CASE WHEN r416_kepala = 2 THEN 0 ELSE (r417_kepala = 1)::INT END AS kepala_petani,
    CASE WHEN r416_kepala = 2 THEN 0 ELSE (r417_kepala IN (6, 7))::INT END AS kepala_formal,
    (jenis_kelamin_kepala = 2)::INT AS kepala_perempuan,
    -- housing
    (r301a = 1)::INT AS rumah_milik,
    -- not greatest(r302, 1): greatest skips a NULL, and a family whose floor area no source
    -- holds would be scored as living on 1 m2 instead of being counted as missing
    ln(CASE WHEN r302 IS NOT NULL THEN greatest(r302, 1) END / greatest(jumlah_art, 1)) AS log_luas_per_kapita,
    (r303 = 9)::INT AS lantai_tanah,
    (r303 IN (1, 2, 3))::INT AS lantai_baik,
    (r304 = 1)::INT AS dinding_tembok,
    (r305 IN (1, 2))::INT AS atap_baik,
    (r306a IN (1, 2, 3, 4, 5, 7))::INT AS air_layak,
    CASE WHEN r307a = 1 THEN r307b WHEN r307a IS NOT NULL THEN 0 END AS daya_listrik,
    (r307a IN (3, 4))::INT AS listrik_non_pln,
    (r308 IN (1, 2, 3, 4, 5))::INT AS bahan_bakar_gas,
    (r308 IN (8, 9, 10))::INT AS bahan_bakar_kayu,
    (r309a = 1)::INT AS jamban_sendiri,
    -- assets (1 has, 2 has not) and livestock
    (r502a = 1)::INT AS punya_r502a, (r502b = 1)::INT AS punya_r502b, (r502c = 1)::INT AS punya_r502c,
    (r502d = 1)::INT AS punya_r502d, (r502e = 1)::INT AS punya_r502e, (r502f = 1)::INT AS punya_r502f,
    (r502g = 1)::INT AS punya_r502g, (r502h = 1)::INT AS punya_r502h, (r502i = 1)::INT AS punya_r502i,
    (r502j = 1)::INT AS punya_r502j, (r502k = 1)::INT AS punya_r502k, (r502l = 1)::INT AS punya_r502l,
    (r502m = 1)::INT AS punya_r502m, (r502n = 1)::INT AS punya_r502n,
    ln(1 + r504a + r504b + r504c) AS ternak_besar,
    ln(1 + r504d) AS ternak_babi,
    ln(1 + r504e) AS ternak_kambing,
    -- region: a kelurahan (village part starting with 1) is urban
    (substr(kode_desa, 7, 1) = '1')::INT AS perkotaan
FROM query_table(t);
