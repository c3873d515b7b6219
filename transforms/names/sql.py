"""The normalisation as DuckDB SQL, built by small pure functions, and the rules DuckDB cannot say well as UDFs.

Each `*_sql()` returns a string; the regular expressions built from the rule tables go in as
named parameters (`sql_params()`), never spliced into the text. `normalisasi_sql` chains the
steps as CTEs, one step each, in the order of `normal.py`:

    con.execute(normalisasi_sql("orang", "nama"), sql_params()).arrow()

The nickname rule and the comparison levels are Python UDFs (`pasang_udf`), vectorised over
Arrow batches with the per-word results cached: a name's syllables and nicknames are computed
once per distinct word, however many rows carry it.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
from duckdb.func import ARROW, SPECIAL

from transforms.names import data, pola
from transforms.names.banding import banding, hanya_panggilan
from transforms.names.panggilan import bentuk_panggilan, panggilan_dari


def sql_params() -> dict[str, str]:
    """The patterns every `*_sql()` below refers to, by name."""
    g = data.gelar()
    params = {
        "nama_dalam_kata": pola.DALAM_KATA,
        "nama_pemisah": pola.PEMISAH,
        "nama_gelar_depan": pola.gelar_depan_pola(g),
        "nama_gelar_belakang": pola.gelar_belakang_pola(g),
        "nama_bin": pola.bin_pola(),
    }
    for i, (p, r) in enumerate(pola.arab_pola(data.bentuk_arab())):
        params[f"nama_arab_{i}"], params[f"nama_arab_{i}_baku"] = p, r
    for i, (p, r) in enumerate(map(pola.ejaan_pola, data.ejaan_lama())):
        params[f"nama_ejaan_{i}"], params[f"nama_ejaan_{i}_baru"] = p, r
    return params


def bersih_sql(expr: str) -> str:
    """Upper case, accents off, apostrophes dropped inside words, other non-letters split words."""
    inner = f"regexp_replace(upper(strip_accents(CAST({expr} AS VARCHAR))), $nama_dalam_kata, '', 'g')"
    return f"trim(regexp_replace({inner}, $nama_pemisah, ' ', 'g'))"


def tanpa_gelar_sql(expr: str) -> str:
    """Titles after the name, then before it."""
    return f"regexp_replace(regexp_replace({expr}, $nama_gelar_belakang, ''), $nama_gelar_depan, '')"


def gelar_sql(expr: str) -> str:
    """The titles removed, as cleaned text ('' when none)."""
    rest = f"regexp_replace({expr}, $nama_gelar_belakang, '')"
    depan = f"trim(regexp_extract({rest}, $nama_gelar_depan, 0))"
    belakang = f"trim(regexp_extract({expr}, $nama_gelar_belakang, 0))"
    return f"trim({depan} || ' ' || {belakang})"


def diri_sql(expr: str) -> str:
    """The person's part of PERSON BIN/BINTI FATHER (the whole name without one)."""
    return f"CASE WHEN regexp_matches({expr}, $nama_bin) THEN regexp_extract({expr}, $nama_bin, 1) ELSE {expr} END"


def ayah_sql(expr: str) -> str:
    """The father's part ('' without BIN/BINTI)."""
    return f"regexp_extract({expr}, $nama_bin, 2)"


def _arab_sql(expr: str) -> str:
    for i in range(len(pola.arab_pola(data.bentuk_arab()))):
        expr = f"regexp_replace({expr}, $nama_arab_{i}, $nama_arab_{i}_baku, 'g')"
    return expr


def baku_sql(expr: str) -> str:
    """Arabic-origin forms, old spelling, Arabic forms again (as `normal.baku`)."""
    out = _arab_sql(expr)
    for i, e in enumerate(data.ejaan_lama()):
        # A rule for anywhere in a word is a plain replace (several times cheaper than a regex).
        fn = "replace" if e.konteks == "SEMUA" else "regexp_replace"
        flags = "" if e.konteks == "SEMUA" else ", 'g'"
        out = f"{fn}({out}, $nama_ejaan_{i}, $nama_ejaan_{i}_baru{flags})"
    return _arab_sql(out)


def normalisasi_sql(tabel: str, kolom: str) -> str:
    """Every row of `tabel` with the normalised parts of `kolom`: nama_gelar, nama_kata (the
    person's words before spelling), nama_baku, ayah_baku. The original column is kept."""
    return f"""
WITH nama_b AS (SELECT *, {bersih_sql(kolom)} AS _nama_bersih FROM {tabel}),
nama_g AS (
    SELECT *, {tanpa_gelar_sql("_nama_bersih")} AS _nama_tanpa_gelar, {gelar_sql("_nama_bersih")} AS nama_gelar
    FROM nama_b),
nama_p AS (
    SELECT *, {diri_sql("_nama_tanpa_gelar")} AS nama_kata, {ayah_sql("_nama_tanpa_gelar")} AS _ayah_kata
    FROM nama_g)
SELECT * EXCLUDE (_nama_bersih, _nama_tanpa_gelar, _ayah_kata),
    {baku_sql("nama_kata")} AS nama_baku,
    CASE WHEN _ayah_kata = '' THEN _ayah_kata ELSE {baku_sql("_ayah_kata")} END AS ayah_baku
FROM nama_p"""


def pasang_tabel(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The rule tables as DuckDB tables names_<table>, for joins and for the record."""
    out = []
    for t in data.TABLES:
        con.read_csv(str(data.HERE / f"{t}.csv"), all_varchar=True).create(f"names_{t}")
        out.append(f"names_{t}")
    return out


def _panggilan_dari(panggilan: pa.Array, kata: pa.Array) -> pa.Array:
    pairs = zip(panggilan.to_pylist(), kata.to_pylist(), strict=True)
    return pa.array([None if p is None or k is None else panggilan_dari(p, k) for p, k in pairs], pa.bool_())


def _bentuk_panggilan(kata: pa.Array) -> pa.Array:
    out = [None if k is None else sorted(bentuk_panggilan(k)) for k in kata.to_pylist()]
    return pa.array(out, pa.list_(pa.string()))


def _tingkat(a: pa.Array, b: pa.Array) -> pa.Array:
    return pa.array([banding(x, y).tingkat for x, y in zip(a.to_pylist(), b.to_pylist(), strict=True)], pa.string())


def _hanya_panggilan(a: pa.Array, b: pa.Array) -> pa.Array:
    pairs = zip(a.to_pylist(), b.to_pylist(), strict=True)
    return pa.array([None if x is None or y is None else hanya_panggilan(x, y) for x, y in pairs], pa.bool_())


def pasang_udf(con: duckdb.DuckDBPyConnection) -> None:
    """Register nama_panggilan_dari(nick, word), nama_bentuk_panggilan(word), nama_tingkat(a, b)
    and nama_hanya_panggilan(a, b) (on standardized names)."""
    v = duckdb.sqltype("VARCHAR")
    con.create_function("nama_panggilan_dari", _panggilan_dari, [v, v], duckdb.sqltype("BOOLEAN"), type=ARROW)
    con.create_function("nama_bentuk_panggilan", _bentuk_panggilan, [v], duckdb.sqltype("VARCHAR[]"), type=ARROW)
    con.create_function("nama_tingkat", _tingkat, [v, v], v, type=ARROW, null_handling=SPECIAL, side_effects=False)
    con.create_function(
        "nama_hanya_panggilan", _hanya_panggilan, [v, v], duckdb.sqltype("BOOLEAN"), type=ARROW, side_effects=False
    )
