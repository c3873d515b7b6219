"""Ranking accuracy against a synthetic delivery's truth (`truth/keluarga.parquet`).

Used by benchmarks and `dtsen accuracy`, never by a refresh. Weighted by persons, as the
targeting is: the truly poor are the families holding the poorest 40% of people by true
spending; the selected are desil 1-4. Exclusion error (World Bank): the share of the truly
poor not selected; inclusion error: the share of the selected who are not truly poor.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

SQL = """
WITH j AS (
    SELECT k.no_kk, k.jumlah_anggota AS w, k.skor_kesejahteraan AS skor, k.desil_nasional <= 4 AS dipilih,
        t.pengeluaran_per_kapita_benar AS benar
    FROM read_parquet($keluarga) k
    JOIN read_parquet($truth) t USING (no_kk)
), r AS (
    SELECT *, rank() OVER (ORDER BY skor) AS rank_skor, rank() OVER (ORDER BY benar) AS rank_benar,
        coalesce(sum(w) OVER (ORDER BY benar, no_kk ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
            < 0.4 * sum(w) OVER () AS miskin
    FROM j
)
SELECT count(*) AS keluarga, corr(rank_skor, rank_benar) AS spearman,
    sum(w) FILTER (WHERE miskin AND NOT dipilih) / sum(w) FILTER (WHERE miskin) AS exclusion_error_40,
    sum(w) FILTER (WHERE dipilih AND NOT miskin) / sum(w) FILTER (WHERE dipilih) AS inclusion_error_40
FROM r
"""


def accuracy(keluarga: Path, truth: Path) -> dict:
    """Spearman of score and true spending, and the bottom-40% targeting errors."""
    con = duckdb.connect()
    row = con.execute(SQL, {"keluarga": str(keluarga), "truth": str(truth)}).fetchall()[0]
    names = ("keluarga", "spearman", "exclusion_error_40", "inclusion_error_40")
    return {n: (round(v, 5) if isinstance(v, float) else v) for n, v in zip(names, row)}


CEILING = """
WITH j AS (
    SELECT k.no_kk, k.jumlah_anggota AS w, t.pengeluaran_per_kapita_benar AS benar,
        t.pengeluaran_per_kapita_ideal AS ideal
    FROM read_parquet($keluarga) k
    JOIN read_parquet($truth) t USING (no_kk)
), r AS (
    SELECT *,
        coalesce(sum(w) OVER (ORDER BY benar, no_kk ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
            < 0.4 * sum(w) OVER () AS miskin,
        coalesce(sum(w) OVER (ORDER BY ideal, no_kk ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
            < 0.4 * sum(w) OVER () AS dipilih
    FROM j
)
SELECT sum(w) FILTER (WHERE miskin AND NOT dipilih) / sum(w) FILTER (WHERE miskin) FROM r
"""


def ceiling(keluarga: Path, truth: Path) -> float:
    """The bottom-40% exclusion error of the published families ranked by the generator's
    own model on their true features (`pengeluaran_per_kapita_ideal`): what no PMT on these
    features can beat, the noise being all it misses."""
    con = duckdb.connect()
    return round(con.execute(CEILING, {"keluarga": str(keluarga), "truth": str(truth)}).fetchall()[0][0], 5)
