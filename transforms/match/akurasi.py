"""Matching accuracy against a synthetic delivery's ground truth (`truth/tautan.parquet`).

Used by benchmarks and tests, never by a refresh: real deliveries have no truth.
Precision = correct links / links made; recall = correct links / records of a real person.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

SQL = """
WITH t AS (SELECT * FROM read_parquet($truth)),
l AS (SELECT sumber, id_sumber, nik, metode_padan FROM read_parquet($tautan)),
j AS (
    SELECT t.sumber, coalesce(l.metode_padan, 'TIDAK_PADAN') AS metode_padan,
        l.nik IS NOT NULL AND l.metode_padan <> 'TIDAK_PADAN' AS ditautkan,
        l.nik = t.nik_benar AS benar, t.nik_benar IS NOT NULL AS orang_nyata{extra}
    FROM t LEFT JOIN l USING (sumber, id_sumber)
)
SELECT {group} AS kelompok, count(*) AS catatan, count(*) FILTER (WHERE ditautkan) AS tautan,
    count(*) FILTER (WHERE benar) AS benar, count(*) FILTER (WHERE orang_nyata) AS orang_nyata
FROM j GROUP BY ALL ORDER BY ALL
"""


def _scores(catatan: int, tautan: int, benar: int, orang_nyata: int) -> dict:
    precision = benar / tautan if tautan else 1.0
    recall = benar / orang_nyata if orang_nyata else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "catatan": catatan,
        "tautan": tautan,
        "salah": tautan - benar,
        "precision": round(precision, 6),
        "recall": round(recall, 6),
        "f1": round(f1, 6),
    }


def accuracy(tautan: Path, truth: Path) -> dict:
    """Overall, per source and per method (precision of the links each method made)."""
    con = duckdb.connect()
    params = {"truth": str(truth), "tautan": str(tautan)}
    # The kind of error the generator made, per record, where the truth says (galat_nik, galat_nama).
    columns = con.sql("SELECT * FROM read_parquet($truth) LIMIT 0", params={"truth": str(truth)}).columns
    kinds = [c for c in ("galat_nik", "galat_nama") if c in columns]
    extra = "".join(f", t.{c}" for c in kinds)
    groups = [("keseluruhan", "'semua'"), ("per_sumber", "sumber"), ("per_metode", "metode_padan")]
    groups += [(f"per_{c}", f"coalesce({c}, 'tanpa')") for c in kinds]
    report = {}
    for name, group in groups:
        rows = con.execute(SQL.format(group=group, extra=extra), params).fetchall()
        report[name] = {r[0]: _scores(*r[1:]) for r in rows}
    report["keseluruhan"] = report["keseluruhan"]["semua"]
    for scores in report["per_metode"].values():  # recall is a whole-pipeline figure
        scores.pop("recall"), scores.pop("f1")
    return report


class TruthMismatch(ValueError):
    """The truth given is not the truth of the delivery the run refreshed."""


def check_truth(tautan: Path, truth: Path, cutoff: str) -> None:
    """Refuse a truth folder that belongs to another delivery, before any figure is written:
    its cut-off must be the run's, and the persons it names must be the persons the run
    linked (another seed or size shares almost none of them)."""
    truth = Path(truth)
    for name in ("tautan.parquet", "keluarga.parquet"):
        if not (truth / name).is_file():
            raise TruthMismatch(f"{truth}: {name} is missing; pass the truth/ folder of a synthetic delivery")
    metadata = truth / "metadata.json"
    if metadata.is_file():
        import json

        theirs = json.loads(metadata.read_text()).get("cutoff")
        if theirs and theirs != cutoff:
            raise TruthMismatch(
                f"{truth}: this truth is of the delivery cut off {theirs}, the run's is {cutoff}; "
                f"pass <root>/{cutoff}/truth"
            )
    shared, linked = (
        duckdb.connect()
        .execute(
            "WITH r AS (SELECT DISTINCT nik FROM read_parquet($tautan) WHERE nik IS NOT NULL) "
            "SELECT count(*) FILTER (WHERE r.nik IN (SELECT nik_benar FROM read_parquet($truth))), count(*) FROM r",
            {"tautan": str(tautan), "truth": str(truth / "tautan.parquet")},
        )
        .fetchall()[0]
    )
    if linked and shared < 0.5 * linked:
        raise TruthMismatch(
            f"{truth}: only {shared:,} of the {linked:,} persons the run linked are in this truth; "
            "it is the truth of another delivery (another seed or size)"
        )
