-- Shared building blocks of standardization. Each macro is one rule or one cleaning step;
-- the rule names they return are what the quarantine and the manifest show.
-- Needs the reference tables ref_kecamatan(kode) from reference.sql.

-- Blank, whitespace-only and dash placeholders are missing values.
CREATE OR REPLACE MACRO kosong_ke_null(s) AS nullif(nullif(trim(s::VARCHAR), ''), '-');

-- NIK and KK as typed: spaces, dots, dashes and quotes that typing and spreadsheets add
-- are dropped; what is left must be 16 digits.
CREATE OR REPLACE MACRO id_bersih(s) AS nullif(regexp_replace(trim(s::VARCHAR), '[\s.\-''`]', '', 'g'), '');

-- A spreadsheet turned the number into scientific notation (3.27E+15): digits are lost.
CREATE OR REPLACE MACRO id_notasi_ilmiah(s) AS
    regexp_full_match(trim(s::VARCHAR), '[0-9]+([.,][0-9]+)?\s*[eE]\s*[+]?[0-9]+');

-- The identifier macros take what was typed (`s`) and its id_bersih (`b`), computed once
-- in the calling query: DuckDB inlines a macro argument at every use, and cleaning ten
-- times per row made standardization four times slower.

-- First failing identifier rule (prefix NIK or KK), NULL when the identifier is well formed.
CREATE OR REPLACE MACRO id_cacat(s, b, jenis) AS CASE
    WHEN b IS NULL THEN jenis || '_KOSONG'
    WHEN id_notasi_ilmiah(s) THEN jenis || '_NOTASI_ILMIAH'
    WHEN NOT regexp_full_match(b, '[0-9]+') THEN jenis || '_BUKAN_ANGKA'
    WHEN length(b) <> 16 THEN jenis || '_PANJANG_SALAH'
    WHEN substr(b, 1, 6) NOT IN (SELECT kode FROM ref_kecamatan) THEN jenis || '_WILAYAH_TIDAK_ADA'
END;

-- The digits worth keeping for repair and matching: NULL when there are none to trust.
CREATE OR REPLACE MACRO id_angka(s, b) AS CASE
    WHEN NOT id_notasi_ilmiah(s) AND regexp_full_match(b, '[0-9]+') THEN b
END;

-- Date of birth coded in a 16-digit NIK (DDMMYY, day + 40 for women). Two-digit years
-- are read in the century that does not put the birth after the cut-off.
-- (TRY_CAST: the macro is also evaluated on rows an earlier rule already failed.)
CREATE OR REPLACE MACRO nik_tanggal_lahir(n, cutoff) AS try(make_date(
    CASE WHEN 2000 + TRY_CAST(substr(n, 11, 2) AS INT) > year(cutoff) THEN 1900 ELSE 2000 END
        + TRY_CAST(substr(n, 11, 2) AS INT),
    TRY_CAST(substr(n, 9, 2) AS INT),
    CASE WHEN TRY_CAST(substr(n, 7, 2) AS INT) > 40 THEN TRY_CAST(substr(n, 7, 2) AS INT) - 40
         ELSE TRY_CAST(substr(n, 7, 2) AS INT) END));

-- 1 male, 2 female as the NIK encodes it.
CREATE OR REPLACE MACRO nik_jenis_kelamin(n) AS CASE WHEN TRY_CAST(substr(n, 7, 2) AS INT) > 40 THEN 2 ELSE 1 END;

-- First failing NIK rule. `jk` is the sex the record states (1/2) or NULL.
CREATE OR REPLACE MACRO nik_cacat(s, b, jk, cutoff) AS coalesce(id_cacat(s, b, 'NIK'), CASE
    WHEN nik_tanggal_lahir(b, cutoff) IS NULL THEN 'NIK_TANGGAL_TIDAK_VALID'
    WHEN jk IS NOT NULL AND nik_jenis_kelamin(b) <> jk THEN 'NIK_JENIS_KELAMIN_TIDAK_COCOK'
END);

-- Dates in every format the contract allows (DTKS DD-MM-YYYY and DD/MM/YYYY, ISO elsewhere).
CREATE OR REPLACE MACRO tanggal_teks(s) AS coalesce(
    try_strptime(trim(s::VARCHAR), '%d-%m-%Y'),
    try_strptime(trim(s::VARCHAR), '%d/%m/%Y'),
    try_strptime(trim(s::VARCHAR), '%Y-%m-%d'))::DATE;

-- A birth date is plausible between 1900 and the cut-off.
CREATE OR REPLACE MACRO tgl_lahir_wajar(d, cutoff) AS
    CASE WHEN d BETWEEN DATE '1900-01-01' AND cutoff THEN d END;

CREATE OR REPLACE MACRO tgl_lahir_cacat(teks, d, cutoff) AS CASE
    WHEN kosong_ke_null(teks) IS NULL THEN 'TGL_LAHIR_KOSONG'
    WHEN d IS NULL THEN 'TGL_LAHIR_TIDAK_TERBACA'
    WHEN tgl_lahir_wajar(d, cutoff) IS NULL THEN 'TGL_LAHIR_TIDAK_WAJAR'
END;

-- Name normalisation for matching. The original is always kept beside it.
-- Titles and honorifics (Haji, degrees) say nothing about who someone is.
CREATE OR REPLACE MACRO nama_tanpa_gelar(s) AS regexp_replace(
    upper(strip_accents(s::VARCHAR)),
    '\b(HJ|H|DRS|DRA|DR|IR|PROF|S\.?\s?PD\.I|S\.?\s?PD|S\.?\s?KOM|S\.?\s?SOS|S\.?\s?AG|S\.?\s?KEP|S\.?\s?KM|S\.?\s?IP|S\.?\s?HUT|S\.?\s?E|S\.?\s?H|S\.?\s?T|A\.?\s?MD|M\.?\s?PD|M\.?\s?SI|M\.?\s?M)\b\.?',
    ' ', 'g');

-- One letter for a doubled one (NANNA/NANA, SITTI/SITI). RE2 has no backreferences in a
-- pattern, but a replacement may name up to nine groups: three passes cover A-Z. (A lambda
-- over the characters was 30x slower: DuckDB inlines a macro's argument at every use.)
CREATE OR REPLACE MACRO huruf_tunggal(s) AS regexp_replace(regexp_replace(regexp_replace(s,
    '(A)A+|(B)B+|(C)C+|(D)D+|(E)E+|(F)F+|(G)G+|(H)H+|(I)I+', '\1\2\3\4\5\6\7\8\9', 'g'),
    '(J)J+|(K)K+|(L)L+|(M)M+|(N)N+|(O)O+|(P)P+|(Q)Q+|(R)R+', '\1\2\3\4\5\6\7\8\9', 'g'),
    '(S)S+|(T)T+|(U)U+|(V)V+|(W)W+|(X)X+|(Y)Y+|(Z)Z+', '\1\2\3\4\5\6\7\8', 'g');

-- Old (pre-1972) spellings to the current ones: OE->U, DJ->J, TJ->C, SJ->SY, CH->KH.
CREATE OR REPLACE MACRO ejaan_baru(s) AS
    replace(replace(replace(replace(replace(s, 'OE', 'U'), 'DJ', 'J'), 'TJ', 'C'), 'SJ', 'SY'), 'CH', 'KH');

-- Common spellings of one given name, to one form (after doubled letters and old spelling:
-- MUHAMMAD is MUHAMAD by then, MOCHAMMAD is MOKHAMAD). Word-bounded regexes: a MAP looked up
-- per word inside a lambda cost four times the rest of the normalisation.
CREATE OR REPLACE MACRO nama_varian_baku(s) AS regexp_replace(regexp_replace(regexp_replace(s,
    '\b(MOHAMAD|MOHAMED|MUHAMED|MOKHAMAD|MUKHAMAD|MOHD|MHD|MUH|MOH|MAMAD|M)\b', 'MUHAMAD', 'g'),
    '\b(AKHMAD|AHMED)\b', 'AHMAD', 'g'),
    '\bABD\b', 'ABDUL', 'g');

-- Order matters for idempotence: doubled letters go before titles (HH. is H.), and again
-- after the old spellings (DDJ -> DJ -> J, OEU -> UU -> U).
CREATE OR REPLACE MACRO nama_baku(s) AS nullif(trim(nama_varian_baku(huruf_tunggal(ejaan_baru(
    regexp_replace(nama_tanpa_gelar(huruf_tunggal(regexp_replace(upper(strip_accents(s::VARCHAR)), '[''`’]', '', 'g'))),
        '[^A-Z]+', ' ', 'g'))))), '');

-- Masks for the quarantine: personal data never leaves the pipeline unmasked.
CREATE OR REPLACE MACRO samar_nik(s) AS left(trim(s::VARCHAR, ' '), 6) || regexp_replace(substr(trim(s::VARCHAR, ' '), 7), '[0-9]', '*', 'g');
CREATE OR REPLACE MACRO samar_nama(s) AS regexp_replace(s::VARCHAR, '(\w)\w*', '\1***', 'g');
CREATE OR REPLACE MACRO samar_tanggal(s) AS regexp_replace(s::VARCHAR, '[0-9]', '#', 'g');

-- Labels from free text (DTKS housing, P3KE relations): case and spacing do not matter.
-- (The regex only where there is a double space: DTKS has ten label columns per row.)
CREATE OR REPLACE MACRO label_baku(s) AS nullif(upper(trim(CASE WHEN contains(s::VARCHAR, '  ')
    THEN regexp_replace(s::VARCHAR, '\s+', ' ', 'g') ELSE s::VARCHAR END)), '');

-- Region code as 10 digits without dots, whatever the source wrote.
CREATE OR REPLACE MACRO kode_tanpa_titik(s) AS nullif(regexp_replace(trim(s::VARCHAR), '[.\s]', '', 'g'), '');

-- The identity block every person-level record gets, whatever its source.
-- `tgl` is the parsed date; `tgl_teks` what the source wrote (for the rule and the mask).
-- `nik_b` and `kk_b` are id_bersih of the typed values, computed once by the caller;
-- `nama_b` is nama_baku(nama_teks), looked up in the file's nama_kamus (standardize.name_dictionary).
CREATE OR REPLACE MACRO identitas(nik_teks, nik_b, kk_teks, kk_b, nama_teks, nama_b, tgl, tgl_teks, jk, cutoff) AS {
    'nik': id_angka(nik_teks, nik_b),
    'nik_cacat': nik_cacat(nik_teks, nik_b, jk, cutoff),
    'no_kk': id_angka(kk_teks, kk_b),
    'kk_cacat': id_cacat(kk_teks, kk_b, 'KK'),
    'nama': kosong_ke_null(nama_teks),
    'nama_baku': nama_b,
    'tgl_lahir': tgl_lahir_wajar(tgl, cutoff),
    'tgl_lahir_cacat': tgl_lahir_cacat(tgl_teks, tgl, cutoff),
    'jenis_kelamin': jk
};

-- A name no person carries: longer than any name with every title (a field run together
-- with others, a paste). Shown masked and cut, never published.
CREATE OR REPLACE MACRO nama_tidak_wajar(nama_baku) AS CASE WHEN length(nama_baku) > 150
    THEN {'aturan': 'NAMA_TIDAK_WAJAR', 'kolom': 'nama', 'nilai': samar_nama(left(nama_baku, 30)) || '...'} END;

-- Why a person-level record cannot go on at all (first rule that holds), or NULL.
-- Everything else is a defect flag on a kept row: matching can still repair or link it.
CREATE OR REPLACE MACRO tolak_orang(id, urutan_id, kode_desa_teks, kode_desa, nik, nik_teks, nama_baku, tgl_lahir) AS CASE
    WHEN id IS NULL THEN {'aturan': 'ID_KOSONG', 'kolom': 'id', 'nilai': NULL}
    WHEN urutan_id > 1 THEN {'aturan': 'ID_GANDA', 'kolom': 'id', 'nilai': id}
    WHEN kode_desa IS NULL THEN {'aturan': 'WILAYAH_TIDAK_DIKENAL', 'kolom': 'kode_wilayah', 'nilai': kode_desa_teks}
    WHEN nik IS NULL AND (nama_baku IS NULL OR tgl_lahir IS NULL)
        THEN {'aturan': 'IDENTITAS_TIDAK_CUKUP', 'kolom': 'nik', 'nilai': samar_nik(nik_teks)}
    WHEN nama_tidak_wajar(nama_baku) IS NOT NULL THEN nama_tidak_wajar(nama_baku)
END;

-- P3KE yes/no.
CREATE OR REPLACE MACRO ya_tidak(s) AS CASE label_baku(s) WHEN 'YA' THEN true WHEN 'TIDAK' THEN false END;
