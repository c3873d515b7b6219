"""The published out-of-sample targeting error against the delivery's truth (issue 20).

    .venv/bin/python bench/bench_galat.py --delivery <synthetic delivery> --home <fresh home>

Refreshes the delivery into the home (`dtsen refresh`; `--again` reuses the home's newest
run), then prints, for desil 1-4: the cross-validated exclusion error the manifest publishes
(with its 95% interval: the survey households found in the sources, scored by the sources'
inputs), the model's error alone (survey inputs) and what the sources' inputs cost; the error of
the published ranking against the delivery's truth (`transforms/rank/akurasi.py`); the
ceiling (the published families ranked by the generator's own model on their true
features, `akurasi.ceiling`); and what the cross-validation costs: the whole rank stage re-run
on the run's inputs in a process of its own, fitting and cross-validating the model, against
the same stage reusing the run's model file (medians of `--repeat` runs each).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from transforms.rank import akurasi  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--delivery", type=Path, required=True)
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--again", action="store_true", help="measure the home's newest run, do not refresh")
    ap.add_argument("--repeat", type=int, default=3, help="rank stage timings of each kind (the median is kept)")
    args = ap.parse_args()
    env = os.environ | {"DTSEN_HOME": str(args.home)}
    if not args.again:
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

    cutoff = dt.date.fromisoformat(manifest["cutoff"])
    fitted, reused = stage_seconds(run, cutoff, args.repeat)
    d14 = cv["program"]["desil_1_4"]
    print(
        json.dumps(
            {
                "delivery": str(args.delivery),
                "r2_dalam_sampel": manifest["peringkat"]["model"]["statistik"]["r2"],
                "rumah_tangga_sampel": cv["rumah_tangga"],
                "rumah_tangga_di_sumber": cv["rumah_tangga_di_sumber"],
                "cv_eksklusi_desil_1_4": round(d14["galat_eksklusi"], 4),
                "cv_selang_95": [round(x, 4) for x in d14["selang_eksklusi_95"]],
                "cv_model_saja": round(cv["tanpa_galat_masukan"]["program"]["desil_1_4"]["galat_eksklusi"], 4),
                "cv_galat_masukan_poin": round(100 * cv["galat_masukan_eksklusi_desil_1_4"]["nilai"], 2),
                "kebenaran_eksklusi_desil_1_4": truth["exclusion_error_40"],
                "selisih_poin": round(100 * (d14["galat_eksklusi"] - truth["exclusion_error_40"]), 2),
                "plafon_eksklusi_desil_1_4": best,
                "di_atas_plafon_poin": round(100 * (truth["exclusion_error_40"] - best), 2),
                "cv_spearman": round(cv["spearman"]["nilai"], 4),
                "kebenaran_spearman": truth["spearman"],
                "detik_tahap_rank_dengan_cv": fitted,
                "detik_tahap_rank_model_dipakai_ulang": reused,
                "tambahan_cv_pada_rank": round(fitted / reused - 1, 3),
                "penduga_dipilih": cv["penduga"],
                "alasan_pilihan": cv["alasan_pilihan"],
                "kandidat": {
                    m: {
                        "cv_eksklusi_desil_1_4": round(f["program"]["desil_1_4"]["galat_eksklusi"], 4),
                        "cv_model_saja": round(f["tanpa_galat_masukan"]["program"]["desil_1_4"]["galat_eksklusi"], 4),
                        "selisih_dari_wls_95": [round(x, 4) for x in f["selisih_eksklusi_dari_bawaan_95"]],
                    }
                    for m, f in cv["kandidat"].items()
                },
            },
            indent=1,
        )
    )


# The rank stage alone, in a process of its own (its imports counted), on a copy of the run.
RANK_ONCE = """
import datetime as dt, sys, time
from pathlib import Path
from transforms import rank
from transforms.engine import connect
from transforms.standardize import RunPaths
started = time.perf_counter()
rank.rank(connect("8GB"), RunPaths(Path(sys.argv[1])), dt.date.fromisoformat(sys.argv[2]),
          reuse=Path(sys.argv[3]) if len(sys.argv) > 3 else None)
print(time.perf_counter() - started)
"""


def stage_seconds(run: Path, cutoff: dt.date, repeat: int) -> tuple[float, float]:
    """Median seconds of the whole rank stage on the run's inputs: with the model fitted and
    cross-validated on the sample, and with the run's own model file reused (no fit, no
    cross-validation): the difference is what the cross-validation adds."""
    with tempfile.TemporaryDirectory(dir=run.parent) as tmp:
        copy = Path(tmp) / run.name
        shutil.copytree(run, copy, ignore=shutil.ignore_patterns("ranked", "percobaan", "*.html"))
        model = Path(tmp) / "model_pmt.json"
        shutil.copy(run / "ranked" / "model_pmt.json", model)

        def once(*extra: str) -> float:
            args = [sys.executable, "-c", RANK_ONCE, str(copy), cutoff.isoformat(), *extra]
            return float(subprocess.run(args, check=True, capture_output=True, text=True, cwd=ROOT).stdout.split()[-1])

        fitted = [once() for _ in range(repeat)]
        reused = [once(str(model)) for _ in range(repeat)]
    return round(statistics.median(fitted), 2), round(statistics.median(reused), 2)


if __name__ == "__main__":
    main()
