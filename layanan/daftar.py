"""The targeting list: families of a region, a decile range and (optionally) eligibility,
as the API and the web page both give it, over one request's locked DuckDB (layanan/baca.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

# The list's columns, the family's key first (the analyst tables' or the full ones').
COLUMNS = (
    "token_no_kk",
    "no_kk",
    "nik_kepala_keluarga",
    "kode_desa",
    "kode_prov",
    "jumlah_anggota",
    "desil_nasional",
    "peringkat_kabupaten",
    "peringkat_provinsi",
    "skor_kesejahteraan",
    "layak_sasaran",
    "status_sanggahan",
    "pkh",
    "bpnt",
    "pbi",
)


@dataclass(frozen=True)
class Pilihan:
    """Which families: a region code prefix ('' = all the caller sees), deciles, eligibility."""

    wilayah: str = ""
    desil_dari: int = 1
    desil_sampai: int = 10
    layak: bool | None = None

    def where(self, have: set[str]) -> tuple[str, dict[str, Any]]:
        sql = "starts_with(kode_desa, $prefix) AND desil_nasional BETWEEN $lo AND $hi"
        params: dict[str, Any] = {"prefix": self.wilayah, "lo": self.desil_dari, "hi": self.desil_sampai}
        if self.layak is not None and "layak_sasaran" in have:
            sql += " AND layak_sasaran = $layak"
            params["layak"] = self.layak
        return sql, params


def _have(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("DESCRIBE keluarga").fetchall()}


def families(con: duckdb.DuckDBPyConnection, pilihan: Pilihan, limit: int, offset: int = 0) -> tuple[int, pa.Table]:
    """How many families the choice holds, and `limit` of them from `offset`, by village and rank."""
    have = _have(con)
    columns = [c for c in COLUMNS if c in have]
    where, params = pilihan.where(have)
    total = con.execute(f"SELECT count(*) FROM keluarga WHERE {where}", params).fetchall()[0][0]
    order = ["kode_desa", *(["peringkat_kabupaten"] if "peringkat_kabupaten" in have else []), columns[0]]
    table = con.sql(
        f"SELECT {', '.join(columns)} FROM keluarga WHERE {where} ORDER BY {', '.join(order)} LIMIT $n OFFSET $o",
        params=params | {"n": limit, "o": offset},
    ).to_arrow_table()
    return total, table


def per_decile(con: duckdb.DuckDBPyConnection, pilihan: Pilihan) -> list[tuple]:
    """(decile, families, persons) of the choice."""
    where, params = pilihan.where(_have(con))
    return con.execute(
        f"SELECT desil_nasional, count(*), sum(jumlah_anggota) FROM keluarga WHERE {where} GROUP BY 1 ORDER BY 1",
        params,
    ).fetchall()


def per_village(con: duckdb.DuckDBPyConnection, pilihan: Pilihan, limit: int) -> list[tuple]:
    """(village, families, persons, eligible families) of the choice, by village code."""
    have = _have(con)
    where, params = pilihan.where(have)
    eligible = "count(*) FILTER (WHERE layak_sasaran)" if "layak_sasaran" in have else "NULL"
    return con.execute(
        f"SELECT kode_desa, count(*), sum(jumlah_anggota), {eligible} FROM keluarga WHERE {where} "
        "GROUP BY 1 ORDER BY 1 LIMIT $n",
        params | {"n": limit},
    ).fetchall()
