"""`python -m synthetic`: the generator on its own (the project CLI is `dtsen synth`).
Prints the steps and the folder written; never any personal data."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from synthetic.config import WELFARE_R2
from synthetic.generator import generate_delivery


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m synthetic", description=__doc__)
    ap.add_argument("--out", type=Path, required=True, help="root folder; the delivery goes to OUT/<cutoff>/")
    ap.add_argument("--persons", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cutoff", type=dt.date.fromisoformat, default=dt.date(2026, 11, 17))
    ap.add_argument("--regions", type=Path, default=None, help="region list in the Kemendagri kode,nama format")
    ap.add_argument("--error-scale", type=float, default=1.0)
    ap.add_argument("--welfare-r2", type=float, default=WELFARE_R2)
    ap.add_argument("--overwrite", action="store_true")
    a = ap.parse_args(argv)
    try:
        path = generate_delivery(
            a.out,
            a.persons,
            a.seed,
            a.cutoff,
            regions=a.regions,
            error_scale=a.error_scale,
            welfare_r2=a.welfare_r2,
            overwrite=a.overwrite,
            progress=lambda step: print(f"generating: {step}", file=sys.stderr, flush=True),
        )
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
