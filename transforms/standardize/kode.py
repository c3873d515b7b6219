"""Code lists of the Regsosek code book (docs/contract.md): the valid range of every coded field.

A value outside its range is emptied and the field named in `kode_tidak_valid`; the row
is kept (one bad housing code does not make a family disappear).
"""

from __future__ import annotations

KELUARGA: dict[str, tuple[float, float]] = {
    "r301a": (1, 5),
    "r302": (1, 10_000),
    "r303": (1, 9),
    "r304": (1, 7),
    "r305": (1, 8),
    "r306a": (1, 11),
    "r307a": (1, 4),
    "r307b": (1, 5),
    "r308": (0, 11),
    "r309a": (1, 4),
    **{f"r502{c}": (1, 2) for c in "abcdefghijklmn"},
    **{f"r504{c}": (0, 10_000) for c in "abcde"},
}

ANGGOTA: dict[str, tuple[float, float]] = {
    "r405": (1, 8),
    "r406": (1, 2),
    "r408": (0, 130),
    "r409": (1, 4),
    "r413": (0, 8),
    "r416": (1, 2),
    "r417": (1, 8),
    "r428": (1, 2),
    "r430": (1, 2),
}


def kode_sql(ranges: dict[str, tuple[float, float]], alias: str = "") -> str:
    """Select-list: each coded field kept when in range, plus the `kode_tidak_valid` list."""
    prefix = f"{alias}." if alias else ""
    kept = [
        f"CASE WHEN TRY_CAST({prefix}{c} AS DOUBLE) BETWEEN {lo} AND {hi} "
        f"THEN TRY_CAST({prefix}{c} AS {'DOUBLE' if c == 'r302' else 'INTEGER'}) END AS {c}"
        for c, (lo, hi) in ranges.items()
    ]
    flags = [
        f"CASE WHEN {prefix}{c} IS NOT NULL AND NOT coalesce(TRY_CAST({prefix}{c} AS DOUBLE) "
        f"BETWEEN {lo} AND {hi}, false) THEN '{c}' END"
        for c, (lo, hi) in ranges.items()
    ]
    return ",\n".join(kept) + f",\nlist_filter([{', '.join(flags)}], lambda x: x IS NOT NULL) AS kode_tidak_valid"


def first_out_of_range_sql(ranges: dict[str, tuple[float, float]], json_column: str) -> str:
    """The first field of a JSON object (a proposal's correction) whose value is there but
    outside its code range or no number, or NULL: a correction is checked as a source is."""
    cases = [
        f"WHEN json_type({json_column}, '$.{c}') NOT IN ('NULL') AND NOT coalesce("
        f"TRY_CAST(json_extract_string({json_column}, '$.{c}') AS DOUBLE) BETWEEN {lo} AND {hi}, false) THEN '{c}'"
        for c, (lo, hi) in ranges.items()
    ]
    return "CASE " + " ".join(cases) + " END"
