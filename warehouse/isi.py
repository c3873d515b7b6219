"""A table's content as one hash that changes when its rows mean something else, and only then.

The manifest's `isi` holds, per published table, its row count and this hash: how a re-run is
checked against the original (the same delivery must publish the same content), whatever order
the files hold the rows in. Two computations of the same float can differ in their last bits (a
sum taken in another order by another thread, an EM that stops one iteration apart), so a row is
hashed in a canonical form, built from the table's DuckDB schema:

- a float is rounded to `SIGNIFICANT_DIGITS` significant digits (a relative precision, so a match
  probability keeps 6 digits and a monthly spending of Rp 1,234,567 is kept to Rp 10), and one
  smaller in size than `ZERO` counts as zero (a difference that cancels leaves noise around zero,
  which no relative precision removes);
- a STRUCT is canonical field by field, a LIST or ARRAY element by element, a MAP entry by entry
  (the welfare model's `kontribusi`, a struct of doubles, is rounded inside);
- everything else is exact: integers, DECIMAL, strings, dates, times, booleans;
- the columns are taken in the order of their names.

A value lying within noise of a rounding boundary can still round two ways; with the noise of a
few units in the last place of a double that is about one value in 10^9.

Each canonical row, written as JSON, is hashed with MD5 (128 bits) and the table's hash is the
sum of its rows' hashes modulo 2^128: independent of row order, and a change of one row changes
it. DuckDB's own `hash()` is 64-bit and weak on short strings: NIK-like 16-digit strings two
digits apart collide (4,617,000 strings of the form 32PPKKCC + 8 digits: 406,800 collisions),
so a change of one KK number could go unseen.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
from duckdb.sqltypes import DuckDBPyType

SIGNIFICANT_DIGITS = {"double": 6, "float": 4}  # a FLOAT (32 bits) is noisy from its 7th digit
ZERO = 1e-9
_HALF = 1 << 64


def _name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _children(dtype: DuckDBPyType) -> dict[str, DuckDBPyType]:
    """A nested type's parts: a struct's fields, a list's `child`, a map's `key` and `value`."""
    return {name: t for name, t in dtype.children if isinstance(t, DuckDBPyType)}


def canonical_sql(expr: str, dtype: DuckDBPyType, depth: int = 0) -> str | None:
    """The SQL of `expr`'s canonical form, or None when it is its own (nothing inexact in it)."""
    kind = dtype.id
    if kind in SIGNIFICANT_DIGITS:
        digits = SIGNIFICANT_DIGITS[kind] - 1
        x = f"({expr})::DOUBLE"
        return (
            f"CASE WHEN {x} IS NULL OR NOT isfinite({x}) THEN {x} WHEN abs({x}) < {ZERO} THEN 0.0::DOUBLE "
            f"ELSE round({x}, ({digits} - floor(log10(abs({x}))))::INTEGER) END"
        )
    if kind == "struct":
        fields = [
            (name, canonical_sql(f"struct_extract({expr}, {_literal(name)})", t, depth))
            for name, t in _children(dtype).items()
        ]
        if all(c is None for _, c in fields):
            return None
        packed = ", ".join(
            f"{_name(name)} := {c if c is not None else f'struct_extract({expr}, {_literal(name)})'}"
            for name, c in fields
        )
        return f"CASE WHEN ({expr}) IS NULL THEN NULL ELSE struct_pack({packed}) END"
    if kind in ("list", "array"):
        element = f"x{depth}"
        inner = canonical_sql(element, _children(dtype)["child"], depth + 1)
        return None if inner is None else f"list_transform({expr}, lambda {element}: {inner})"
    if kind == "map":
        entry = f"x{depth}"
        types = _children(dtype)
        key = canonical_sql(f"{entry}.key", types["key"], depth + 1)
        value = canonical_sql(f"{entry}.value", types["value"], depth + 1)
        if key is None and value is None:
            return None
        return (
            f"list_transform(map_entries({expr}), lambda {entry}: "
            f"struct_pack(key := {key or f'{entry}.key'}, value := {value or f'{entry}.value'}))"
        )
    return None


def canonical_row_sql(columns: Sequence[str], types: Sequence[DuckDBPyType], alias: str = "t") -> str:
    """One row's canonical form as a struct: its columns by name, each canonical."""
    parts = []
    for name, dtype in sorted(zip(columns, types), key=lambda c: c[0]):
        column = f"{alias}.{_name(name)}"
        parts.append(f"{_name(name)} := {canonical_sql(column, dtype) or column}")
    return f"struct_pack({', '.join(parts)})"


def content_hash(con: duckdb.DuckDBPyConnection, query: str) -> tuple[int, str]:
    """The rows of `query` and their order-independent content hash (32 hex digits)."""
    relation = con.sql(f"SELECT * FROM ({query}) LIMIT 0")
    row = canonical_row_sql(relation.columns, relation.types)
    # The 128-bit row hashes summed in two 64-bit halves (exact in HUGEINT), combined mod 2^128.
    rows, high, low = con.execute(
        f"SELECT count(*), sum((h >> 64)::HUGEINT), sum((h & {_HALF - 1}::UHUGEINT)::HUGEINT) "
        f"FROM (SELECT md5_number(to_json({row})) AS h FROM ({query}) t)"
    ).fetchall()[0]
    total = (int(high or 0) * _HALF + int(low or 0)) % (_HALF * _HALF)
    return rows, format(total, "032x")
