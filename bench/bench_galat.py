"""The published out-of-sample targeting error against the delivery's truth (issue 20).

    .venv/bin/python bench/bench_galat.py --delivery <synthetic delivery> --home <fresh home>

Refreshes the delivery into the home (`dtsen refresh`), then prints, for desil 1-4: the
cross-validated exclusion error the manifest publishes (with its 95% interval); the error of
the published ranking against the delivery's truth (`transforms/rank/akurasi.py`); the
ceiling (the published families ranked by the generator's own model on their true
features, `akurasi.ceiling`); and what the cross-validation costs: its own time, re-run on
the run's survey sample, against the rank stage's seconds in the manifest (which include it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from transforms.engine import run_sql_file  # noqa: E402
from transforms.rank import SQL, akurasi, galat  # noqa: E402
from transforms.rank import model as pmt  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--delivery", type=Path, required=True)
    ap.add_argument("--home", type=Path, required=True)
    args = ap.parse_args()
    env = os.environ | {"DTSEN_HOME": str(args.home)}
    subprocess.run(
        [str(ROOT / ".venv/bin/dtsen"), "refresh", "--delivery", str(args.delivery)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    run = max((args.home / "runs").iterdir(), key=lambda p: p.stat().st_mtime)
    manifest = json.loads((run / "manifest.json").read_text())
    cv = manifest["peringkat"]["galat_penargetan"]
    truth = akurasi.accuracy(run / "ranked/keluarga.parquet", args.delivery / "truth/keluarga.parquet")
    best = akurasi.ceiling(run / "ranked/keluarga.parquet", args.delivery / "truth/keluarga.parquet")

    con = duckdb.connect()
    run_sql_file(con, SQL / "fitur.sql")
    sample = str(run / "standardized/susenas/*.parquet")
    con.execute("CREATE TABLE sampel AS SELECT * FROM read_parquet($f)", {"f": sample})
    started = time.perf_counter()
    galat.cross_validate(con, "sampel", pmt.config())
    cv_seconds = time.perf_counter() - started
    rank_seconds = manifest["seconds"]["rank"]
    d14 = cv["program"]["desil_1_4"]
    print(
        json.dumps(
            {
                "delivery": str(args.delivery),
                "r2_dalam_sampel": manifest["peringkat"]["model"]["statistik"]["r2"],
                "rumah_tangga_sampel": cv["rumah_tangga"],
                "cv_eksklusi_desil_1_4": round(d14["galat_eksklusi"], 4),
                "cv_selang_95": [round(x, 4) for x in d14["selang_eksklusi_95"]],
                "kebenaran_eksklusi_desil_1_4": truth["exclusion_error_40"],
                "selisih_poin": round(100 * (d14["galat_eksklusi"] - truth["exclusion_error_40"]), 2),
                "plafon_eksklusi_desil_1_4": best,
                "di_atas_plafon_poin": round(100 * (truth["exclusion_error_40"] - best), 2),
                "cv_spearman": round(cv["spearman"]["nilai"], 4),
                "kebenaran_spearman": truth["spearman"],
                "detik_cv": round(cv_seconds, 2),
                "detik_tahap_rank": rank_seconds,
                "tambahan_pada_rank": round(cv_seconds / max(rank_seconds - cv_seconds, 1e-9), 3),
                "penduga_dipilih": cv["penduga"],
                "alasan_pilihan": cv["alasan_pilihan"],
                "kandidat": {
                    m: {
                        "cv_eksklusi_desil_1_4": round(f["program"]["desil_1_4"]["galat_eksklusi"], 4),
                        "selisih_dari_wls_95": [round(x, 4) for x in f["selisih_eksklusi_dari_bawaan_95"]],
                    }
                    for m, f in cv["kandidat"].items()
                },
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
