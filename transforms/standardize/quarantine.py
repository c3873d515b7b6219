"""Splitting a stage result into kept rows and quarantined rows, and counting both.

Every `<x>_hasil` table built by a standardize SQL file has `baris`, `id_sumber` and a
`tolak` struct (aturan, kolom, nilai): NULL keeps the row, a rule name rejects it with the
column and the (already masked) offending value. Defect flags on kept rows are the
`*_cacat` columns and the list columns named in FLAG_LISTS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from transforms.engine import copy_atomic, one_row, sql_path

FLAG_LISTS = ("label_tidak_dikenal", "kode_tidak_valid")

KARANTINA_SQL = """
    SELECT $sumber AS sumber, $berkas AS berkas, baris, {id_sumber} AS id_sumber,
           tolak.aturan AS aturan, tolak.kolom AS kolom, tolak.nilai AS nilai
    FROM {table} WHERE tolak IS NOT NULL ORDER BY baris
"""


@dataclass
class Counts:
    """Row accounting of one extract file: read = kept + quarantined, always."""

    sumber: str
    berkas: str
    dibaca: int = 0
    diterima: int = 0
    dikarantina: int = 0
    karantina_per_aturan: dict[str, int] = field(default_factory=dict)
    cacat_per_aturan: dict[str, int] = field(default_factory=dict)

    @property
    def seimbang(self) -> bool:
        return self.dibaca == self.diterima + self.dikarantina


def split(
    con: duckdb.DuckDBPyConnection,
    table: str,
    *,
    sumber: str,
    berkas: str,
    out: Path,
    karantina: Path,
    expected_rows: int | None = None,
    drop: tuple[str, ...] = (),
    id_is_nik: bool = False,
) -> Counts:
    """Write kept rows of `table` to `out`, rejected ones to `karantina`; return the counts.
    `id_is_nik`: the rows' id is a NIK (the registry's), so the quarantine shows it masked;
    file and line (`berkas`, `baris`) name the row."""
    counts = Counts(sumber, berkas)
    counts.dibaca = one_row(con, f"SELECT count(*) FROM {table}")[0]
    if expected_rows is not None and expected_rows != counts.dibaca:
        raise RuntimeError(f"{berkas}: read {expected_rows} rows but the stage saw {counts.dibaca}")
    exclude = ", ".join(("tolak", *drop))
    # Kept rows in the order they come (no sort): a sort of a national file holds all of it.
    copy_atomic(con, f"SELECT * EXCLUDE ({exclude}) FROM {table} WHERE tolak IS NULL", out)
    shown_id = "samar_nik(id_sumber)" if id_is_nik else "id_sumber"
    copy_atomic(
        con, KARANTINA_SQL.format(table=table, id_sumber=shown_id), karantina, {"sumber": sumber, "berkas": berkas}
    )
    counts.diterima = one_row(con, f"SELECT count(*) FROM read_parquet('{sql_path(out)}')")[0]
    counts.karantina_per_aturan = dict(
        con.execute(
            f"SELECT aturan, count(*) FROM read_parquet('{sql_path(karantina)}') GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    )
    counts.dikarantina = sum(counts.karantina_per_aturan.values())
    counts.cacat_per_aturan = flag_counts(con, out)
    if not counts.seimbang:
        raise RuntimeError(
            f"{berkas}: {counts.dibaca} read != {counts.diterima} kept + {counts.dikarantina} quarantined"
        )
    return counts


def flag_counts(con: duckdb.DuckDBPyConnection, parquet: Path) -> dict[str, int]:
    """Defect flags on kept rows, by rule name (list flags as `<list>:<column>`)."""
    columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{sql_path(parquet)}')").fetchall()]
    parts = [
        f"SELECT {c} AS aturan FROM read_parquet('{sql_path(parquet)}') WHERE {c} IS NOT NULL"
        for c in columns
        if c.endswith("_cacat")
    ]
    parts += [
        f"SELECT '{c}:' || unnest({c}) AS aturan FROM read_parquet('{sql_path(parquet)}')"
        for c in columns
        if c in FLAG_LISTS
    ]
    if not parts:
        return {}
    return dict(
        con.execute(f"SELECT aturan, count(*) FROM ({' UNION ALL '.join(parts)}) GROUP BY ALL ORDER BY ALL").fetchall()
    )
