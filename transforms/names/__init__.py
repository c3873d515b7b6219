"""Indonesian personal names: normalisation and comparison, rules as data.

The model. A name is a list of words. `normalisasi(name)` returns a `Nama` that keeps the
original (`asli`) beside: the titles removed (`gelar`), the person's words after cleaning and
title removal (`kata`), the same words after Arabic-origin forms and old spelling are brought
to one form (`baku`), and, for PERSON BIN/BINTI FATHER, the father's words (`ayah_kata`,
`ayah_baku`). `banding(a, b)` compares two names and returns a `Hasil`: a level and a short
reason that names word positions and rules, never the words. The levels, strongest first, are
data (tingkat.csv): SAMA, GELAR_SAJA, VARIAN_EJAAN, URUTAN, TANPA_BIN, SUBSET, PANGGILAN,
MIRIP, BEDA. A comparison is as strong as its weakest step.

The rules, each a table or a small function with its own tests:
- gelar.csv: titles and honorifics before (H., HJ., HAJI, DRS., IR., DR., K.H., ...) and after
  the name (S.PD., S.E., S.H., S.KOM., M.M., A.MD., ...), matched on their letters, so dots,
  commas and spaces do not matter (S.Pd., S. PD, SPD). A name is never all titles.
- ejaan_lama.csv: old-to-new spelling, ordered: OE->U, DJ->J, TJ->C, SJ->SY, word-initial
  NJ->NY, CH->KH. The old J that is a modern Y is NOT rewritten: after DJ->J a J may be a
  modern J (JOKO) or an old Y (TJAHJONO = CAHYONO), and rewriting it would turn every JOKO into
  YOKO. Instead the comparison reads J and Y alike and calls it VARIAN_EJAAN. A medial NJ is the
  modern N+J as often as an old NY (PANJI < PANDJI), so it is left too and read alike through J/Y.
- bentuk_arab.csv: Arabic-origin forms to one form (MUHAMMAD for MUHAMAD, MOCH., M. as a
  first word, ...; ABDUL for ABD.; NUR for NOOR; AHMAD for ACHMAD; SITI for SITTI; ...).
- panggilan.py: nicknames as a rule over syllables (suku_kata.py), not a list: the last
  syllables (RAHMAWATI -> WATI), the last one doubled (SLAMET -> MEMET), the first syllables
  (HENDRAWAN -> HENDRA); at least three letters, on syllable boundaries.
- banding.py: word order (URUTAN), dropped words and mononyms (SUBSET), bin/binti (TANPA_BIN),
  Jaro-Winkler for the rest (MIRIP at `MIRIP_AMBANG`).

Left out of the tables on purpose, so that tests and the generator measure generalisation:
doubled letters (NANNA/NANA, ROHMMAH; only SITTI and the MUHAMMAD forms are listed), a final
T for D (AHMAT), and old spelling written into a modern name where there never was one (the
generator's U -> OE after any consonant only comes back through OE->U). The synthetic
generator produces such forms; they can only reach MIRIP.

The same normalisation runs in DuckDB (`sql.normalisasi_sql` with `sql.sql_params()`), and the
nickname rule and the levels as UDFs (`sql.pasang_udf`).
"""

from transforms.names.banding import MIRIP_AMBANG, TINGKAT, Hasil, banding
from transforms.names.normal import Nama, normalisasi
from transforms.names.panggilan import bentuk_panggilan, panggilan_dari
from transforms.names.sql import normalisasi_sql, pasang_tabel, pasang_udf, sql_params
from transforms.names.suku_kata import suku_kata

__all__ = [
    "MIRIP_AMBANG",
    "TINGKAT",
    "Hasil",
    "Nama",
    "banding",
    "bentuk_panggilan",
    "normalisasi",
    "normalisasi_sql",
    "panggilan_dari",
    "pasang_tabel",
    "pasang_udf",
    "sql_params",
    "suku_kata",
]
