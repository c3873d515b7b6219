"""National deciles from per-partition summaries, exactly as one national window would give.

The national decile of a family is `1 + floor(10 * persons before it / all persons)`, capped
at 10, with the families in order of score and, between equal scores, of `no_kk`: desil 1
holds the families of the poorest tenth of the population. One window over every family
computes it; a partitioned run cannot, since no step may see every family. So:

1. per partition, `summarize`: a histogram of its scores on fixed edges (`desil_bin.sql`),
   with the families and persons per bin (a few thousand rows, whatever its size);
2. national, `boundary_bins`: from all the summaries, the persons before each bin, and the
   bin that holds each of the nine boundaries;
3. per partition, `boundary_families`: its families in those bins (at most nine);
4. national, `cutoffs`: from those families only, the last family (score, `no_kk`) below each
   boundary, counted exactly as the window counts;
5. per partition, `assign`: each family's decile, from the nine cut-offs.

Every family gets the decile the window gives it, however the families are split: the bins
keep the scores' order, so the persons before a bin are those of the earlier bins in any
partition, and within a bin the order and the tie rule are the window's own. A family that
straddles a boundary, a tie on a boundary across partitions, a partition with no families,
one family in the whole country: each falls out of the same rule (tests/rank/test_desil.py
holds each against the window). The window divides in doubles, the steps compare integers
(10 * persons before < d * all persons): the same answer while all persons stay below about
10^14, since a quotient short of d by 1/all persons never rounds up to d.

The partitions are Parquet files (or globs) with `no_kk`, `skor_kesejahteraan` and
`jumlah_anggota`; `no_kk` is unique across them. Each step takes paths and writes one small
Parquet file, so the per-partition steps can run as separate tasks.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from transforms.engine import copy_atomic, one_row, run_sql_file

SQL = Path(__file__).parent / "sql"

# Bins per unit of the score's eighth root: about 0.14% of the score wide at Rp 1M a month.
# Finer bins make the summaries longer and the boundary bins shorter; a power of two makes
# the bins of half the resolution the unions of pairs of these.
RESOLUSI = 1024


def _query(name: str) -> str:
    return (SQL / name).read_text()


def _macro(con: duckdb.DuckDBPyConnection) -> None:
    run_sql_file(con, SQL / "desil_bin.sql")


def check_scores(con: duckdb.DuckDBPyConnection, keluarga: str | Path) -> None:
    """Refuse a partition the rule cannot rank: a score that is missing, not a number,
    infinite or negative, or a family without a member count (the window would have ordered
    them somewhere; a welfare score is a spending, so each is a fault upstream)."""
    bad, first = one_row(con, _query("desil_periksa.sql"), {"keluarga": str(keluarga)})
    if bad:
        raise ValueError(
            f"{first['file']}, row {first['baris']}, column {first['kolom']}: {bad} families without a usable "
            "score or member count (a score must be a number >= 0, a member count >= 0); "
            "fix the scoring step and run the rank stage again"
        )


def summarize(con: duckdb.DuckDBPyConnection, keluarga: str | Path, out: Path, resolusi: int = RESOLUSI) -> Path:
    """Per partition: its scores' histogram, one row per non-empty bin (`desil_ringkasan.sql`)."""
    check_scores(con, keluarga)
    _macro(con)
    copy_atomic(con, _query("desil_ringkasan.sql"), out, {"keluarga": str(keluarga), "resolusi": resolusi})
    return out


def check_summaries(con: duckdb.DuckDBPyConnection, ringkasan: list[Path]) -> None:
    """The summaries must share one resolution: bins of two would not line up."""
    (resolutions,) = one_row(
        con, "SELECT count(DISTINCT resolusi) FROM read_parquet($r)", {"r": [str(p) for p in ringkasan]}
    )
    if resolutions > 1:
        raise ValueError(
            f"the decile summaries were made at {resolutions} resolutions; summarize every partition again"
        )


def boundary_bins(con: duckdb.DuckDBPyConnection, ringkasan: list[Path], out: Path) -> Path:
    """National: per boundary d = 1..9, the bin that holds it and the persons before that bin
    (`desil_bin_batas.sql`)."""
    if not ringkasan:
        raise ValueError("no partition summaries: the national deciles need at least one partition")
    check_summaries(con, ringkasan)
    copy_atomic(con, _query("desil_bin_batas.sql"), out, {"ringkasan": [str(p) for p in ringkasan]})
    return out


def boundary_families(con: duckdb.DuckDBPyConnection, keluarga: str | Path, bin_batas: Path, out: Path) -> Path:
    """Per partition: its families in the boundary bins (`desil_keluarga_batas.sql`)."""
    _macro(con)
    bins, resolusi = one_row(
        con,
        "SELECT coalesce(list(DISTINCT bin) FILTER (WHERE bin IS NOT NULL), []::BIGINT[]), "
        "coalesce(any_value(resolusi), 0) FROM read_parquet($f)",
        {"f": str(bin_batas)},
    )
    copy_atomic(
        con,
        _query("desil_keluarga_batas.sql"),
        out,
        {"keluarga": str(keluarga), "bins": bins, "resolusi": resolusi},
    )
    return out


def cutoffs(con: duckdb.DuckDBPyConnection, bin_batas: Path, keluarga_batas: list[Path], out: Path) -> Path:
    """National: per boundary, the last family below it (`desil_batas.sql`)."""
    copy_atomic(
        con,
        _query("desil_batas.sql"),
        out,
        {"bin_batas": str(bin_batas), "keluarga_batas": [str(p) for p in keluarga_batas]},
    )
    return out


def assign_sql(boundaries: int) -> str:
    """Each family of `$keluarga` with its decile: 1 + the boundaries it lies above, boundary
    d being its last family below (`$s<d>`, `$k<d>`: score and no_kk; NULL when it has none,
    and then every family lies above it). Grain: one row per family of the partition."""
    above = " + ".join(
        f"($k{d} IS NULL OR f.skor_kesejahteraan > $s{d} "
        f"OR (f.skor_kesejahteraan = $s{d} AND f.no_kk > $k{d}))::INTEGER"
        for d in range(1, boundaries + 1)
    )
    return f"SELECT f.no_kk, (1 + {above})::INTEGER AS desil_nasional FROM read_parquet($keluarga) f"


def assign(con: duckdb.DuckDBPyConnection, keluarga: str | Path, batas: Path, out: Path) -> Path:
    """Per partition: `no_kk`, `desil_nasional` for each of its families, from the cut-offs."""
    # Nine values as parameters: twice as fast as joining the cut-offs' file to each family.
    rows = con.execute(
        "SELECT d, skor_kesejahteraan, no_kk FROM read_parquet($f) ORDER BY d", {"f": str(batas)}
    ).fetchall()
    if [d for d, _, _ in rows] != list(range(1, len(rows) + 1)):
        raise ValueError(f"{batas}: the boundaries are not 1 to {len(rows)}; compute the cut-offs again")
    params: dict = {"keluarga": str(keluarga)}
    for d, skor, no_kk in rows:
        params |= {f"s{d}": skor, f"k{d}": no_kk}
    copy_atomic(con, assign_sql(len(rows)), out, params)
    return out


def national_deciles(
    con: duckdb.DuckDBPyConnection, partitions: Sequence[str | Path], work: Path, resolusi: int = RESOLUSI
) -> list[Path]:
    """All five steps in one process, the partitions one after another; returns each
    partition's decile file, in the order of `partitions`. Under `work`: the summaries, the
    boundary bins, the boundary families, the cut-offs and the deciles."""
    names = [f"{i:04d}.parquet" for i in range(len(partitions))]
    ringkasan = [summarize(con, p, work / "ringkasan" / n, resolusi) for p, n in zip(partitions, names)]
    bins = boundary_bins(con, ringkasan, work / "bin_batas.parquet")
    keluarga_batas = [boundary_families(con, p, bins, work / "keluarga_batas" / n) for p, n in zip(partitions, names)]
    batas = cutoffs(con, bins, keluarga_batas, work / "batas.parquet")
    return [assign(con, p, batas, work / "desil" / n) for p, n in zip(partitions, names)]
