"""`python -m synthetic`: the generator on its own (the project CLI is `dtsen synth`).
Prints the steps and the folders written; never any personal data.

    python -m synthetic --out DIR --persons N --cutoff 2026-11-17             one delivery
    python -m synthetic --out DIR --persons N --cutoff 2026-06-17 --months 6  a monthly series
    python -m synthetic --previous DIR/2026-11-17 [--cutoff 2026-12-17]       the month after
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from synthetic.config import WELFARE_R2
from synthetic.generator import generate_delivery
from synthetic.series import generate_next, generate_series

# What a series' next month takes from the previous month's metadata, never from the command.
_FROM_PREVIOUS = ("persons", "seed", "error_scale", "welfare_r2", "months")


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m synthetic", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--out", type=Path, help="root folder; a delivery goes to OUT/<cutoff>/")
    ap.add_argument("--persons", type=int, help="registry persons [default 100000]")
    ap.add_argument("--seed", type=int, help="[default 1]")
    ap.add_argument("--cutoff", type=dt.date.fromisoformat, help="cut-off (of the first month) [default 2026-11-17]")
    ap.add_argument(
        "--regions",
        type=Path,
        default=None,
        help="region list in the Kemendagri kode,nama format (with --previous: where the series' list lies now)",
    )
    ap.add_argument("--error-scale", type=float)
    ap.add_argument("--welfare-r2", type=float, help=f"[default {WELFARE_R2}]")
    ap.add_argument("--months", type=int, help="a series of N monthly deliveries of one population")
    ap.add_argument(
        "--previous",
        type=Path,
        help="a month of a series (DIR/<cutoff>): write the month after it (its settings are the series')",
    )
    ap.add_argument("--overwrite", action="store_true")
    return ap


def main(argv: list[str] | None = None) -> int:
    a = _parser().parse_args(argv)

    def say(step: str) -> None:
        print(f"generating: {step}", file=sys.stderr, flush=True)

    try:
        if a.previous is not None:
            given = [f"--{name.replace('_', '-')}" for name in _FROM_PREVIOUS if getattr(a, name) is not None]
            if given:
                raise ValueError(f"{', '.join(given)}: taken from the previous month's metadata with --previous")
            paths = [generate_next(a.previous, a.cutoff, a.out, say, a.overwrite, a.regions)]
        else:
            if a.out is None:
                raise ValueError("--out is required (or --previous to continue a series)")
            persons = a.persons if a.persons is not None else 100_000
            seed = a.seed if a.seed is not None else 1
            error_scale = a.error_scale if a.error_scale is not None else 1.0
            welfare_r2 = a.welfare_r2 if a.welfare_r2 is not None else WELFARE_R2
            cutoff = a.cutoff or dt.date(2026, 11, 17)
            if a.months is not None:
                paths = generate_series(
                    a.out,
                    persons,
                    seed,
                    cutoff,
                    a.months,
                    regions=a.regions,
                    error_scale=error_scale,
                    welfare_r2=welfare_r2,
                    progress=say,
                    overwrite=a.overwrite,
                )
            else:
                paths = [
                    generate_delivery(
                        a.out,
                        persons,
                        seed,
                        cutoff,
                        regions=a.regions,
                        error_scale=error_scale,
                        welfare_r2=welfare_r2,
                        progress=say,
                        overwrite=a.overwrite,
                    )
                ]
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
