"""Generate one synthetic delivery: every extract of the delivery contract (docs/contract.md)
plus the truth behind them.

The delivery is built in a hidden folder beside the target and moved into place at the
end, so a half-written delivery is never visible under its cut-off date.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from synthetic import population, tanggal, welfare
from synthetic.config import GENERATOR_VERSION, SOURCE_FACTOR, WELFARE_R2, ErrorRates, GeneratorConfig, stream
from synthetic.context import Konteks
from synthetic.regions import make_regions
from synthetic.sources import Hasil, dtks, dukcapil, p3ke, referensi, regsosek, susenas, truth, usulan

__all__ = ["ErrorRates", "GeneratorConfig", "build_delivery", "generate_delivery"]

Progress = Callable[[str], None]
SUMBER = ("DTKS", "REGSOSEK", "P3KE", "USULAN")  # the person-level sources, in the truth's order


def generate_delivery(
    out_root: Path,
    persons: int,
    seed: int,
    cutoff: dt.date,
    regions: Path | None = None,
    rates: ErrorRates | None = None,
    error_scale: float = 1.0,
    welfare_r2: float = WELFARE_R2,
    progress: Progress | None = None,
    *,
    overwrite: bool = False,
) -> Path:
    """Write one delivery to out_root/<cutoff ISO>/ and return that folder.

    Refuses (ValueError) when that folder exists, unless overwrite=True."""
    config = GeneratorConfig(
        persons=persons,
        seed=seed,
        cutoff=cutoff,
        regions=regions,
        rates=rates or ErrorRates(),
        error_scale=error_scale,
        welfare_r2=welfare_r2,
    )
    return build_delivery(config, Path(out_root), progress=progress, overwrite=overwrite)


def build_delivery(
    config: GeneratorConfig, out_root: Path, progress: Progress | None = None, overwrite: bool = False
) -> Path:
    return write_atomically(
        out_root, config.cutoff, overwrite, lambda tmp: _write(config, tmp, progress or (lambda step: None))
    )


def write_atomically(out_root: Path, cutoff: dt.date, overwrite: bool, fill: Callable[[Path], None]) -> Path:
    """out_root/<cutoff>/ filled by `fill` in a hidden folder, then moved into place."""
    target = out_root / cutoff.isoformat()
    if target.exists() and not overwrite:
        raise ValueError(
            f"{target} already exists; pass overwrite=True (--overwrite) to replace it, or choose another cut-off date"
        )
    out_root.mkdir(parents=True, exist_ok=True)
    tmp = out_root / f".{cutoff.isoformat()}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        fill(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if target.exists():
        old = out_root / f".{cutoff.isoformat()}.old-{os.getpid()}"
        os.replace(target, old)
        os.replace(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, target)
    return target


def _write(config: GeneratorConfig, out: Path, progress: Progress) -> None:
    ctx = konteks(config, progress)
    results = write_sources(ctx, out, progress)
    progress("truth")
    rows = write_truth(ctx, results, out)
    truth.write_metadata(metadata(config, ctx, rows, results), out)
    progress("done")


def konteks(config: GeneratorConfig, progress: Progress) -> Konteks:
    """The regions, the registry and the welfare truth of a delivery."""
    progress("regions")
    regions = make_regions(config.persons, config.regions, stream(config.seed, "regions"))
    progress("population")
    pop = population.build(regions, config.persons, config.cutoff, stream(config.seed, "population"))
    progress("welfare")
    wel = welfare.build(pop, regions, config.cutoff, config.welfare_r2, stream(config.seed, "welfare"))
    return Konteks(config, regions, pop, wel, tanggal.days(config.cutoff))


def write_sources(ctx: Konteks, out: Path, progress: Progress) -> dict[str, Hasil]:
    """Every extract of the delivery; what each source left behind, by source."""
    results = {}
    progress("dukcapil")
    results["DUKCAPIL"] = dukcapil.generate(ctx, out)
    progress("dtks")
    results["DTKS"] = dtks.generate(ctx, out)
    progress("regsosek")
    results["REGSOSEK"] = regsosek.generate(ctx, out)
    progress("p3ke")
    results["P3KE"] = p3ke.generate(ctx, out)
    progress("usulan")
    listed_dtks, listed_p3ke, listed_regsosek = (results[s].keluarga for s in ("DTKS", "P3KE", "REGSOSEK"))
    ganda = results["DTKS"].ganda
    # These three generators always list their families, and DTKS its families with a person twice.
    assert listed_dtks is not None and listed_p3ke is not None and listed_regsosek is not None and ganda is not None
    results["USULAN"] = usulan.generate(ctx, out, listed_dtks, listed_p3ke, listed_regsosek, ganda)
    progress("susenas")
    results["SUSENAS"] = susenas.generate(ctx, out)
    progress("referensi")
    results["REFERENSI"] = referensi.generate(ctx, out)
    return results


def write_truth(ctx: Konteks, results: dict[str, Hasil], out: Path) -> dict[str, int]:
    """truth/tautan.parquet and truth/keluarga.parquet; the data rows of every file written."""
    rows = {name: n for r in results.values() for name, n in r.rows.items()}
    parts = [t for t in (results[s].tautan for s in SUMBER) if t is not None]
    assert len(parts) == len(SUMBER)  # every person-level source leaves its truth
    rows[truth.TAUTAN] = truth.write_tautan(parts, out)
    rows[truth.KELUARGA] = truth.write_keluarga(ctx, out)
    return rows


def metadata(config: GeneratorConfig, ctx: Konteks, rows: dict[str, int], results: dict[str, Hasil]) -> dict:
    rates = config.effective_rates
    return {
        "generator": "dtsen synthetic",
        "version": GENERATOR_VERSION,
        "seed": config.seed,
        "persons": config.persons,
        "cutoff": config.cutoff.isoformat(),
        "regions": ctx.regions.sumber,
        "villages": ctx.regions.n,
        "families": ctx.pop.n_keluarga,
        "error_scale": config.error_scale,
        "error_rates": rates.model_dump(),
        "source_factor": SOURCE_FACTOR,
        "error_rates_per_source": {s: rates.for_source(s) for s in SOURCE_FACTOR},
        "errors_applied": {s: results[s].info for s in SUMBER},
        "welfare_r2_requested": config.welfare_r2,
        "welfare_r2_achieved": round(ctx.wel.r2, 6),
        "welfare_model": ctx.wel.model,
        "rows": dict(sorted(rows.items())),
    }
