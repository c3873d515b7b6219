"""What every source writer needs: the settings, the regions, the registry and the truth."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthetic.config import GeneratorConfig, stream
from synthetic.population import Penduduk
from synthetic.regions import Regions
from synthetic.welfare import Kesejahteraan


@dataclass
class Konteks:
    config: GeneratorConfig
    regions: Regions
    pop: Penduduk
    wel: Kesejahteraan
    cutoff: int  # days
    nik_terurut: np.ndarray = field(init=False)  # registry NIKs, sorted: fabricated ones avoid them
    kk_terurut: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.nik_terurut = np.sort(self.pop.nik)
        self.kk_terurut = np.sort(self.pop.kk)

    def rng(self, name: str) -> np.random.Generator:
        return stream(self.config.seed, name)

    def rates(self, sumber: str) -> dict[str, float]:
        return self.config.effective_rates.for_source(sumber)

    def peringkat(self, noise_sd: float, rng: np.random.Generator) -> np.ndarray:
        """Each family's place (0-1) in a noisy national welfare ranking, weighted by persons:
        how a targeting list sees the families."""
        score = self.wel.log_pengeluaran + rng.normal(0, noise_sd, self.pop.n_keluarga)
        weight = np.maximum(self.wel.komposisi["jumlah_art"], 1).astype(float)
        order = np.argsort(score, kind="stable")
        cum = np.cumsum(weight[order]) - weight[order] / 2
        out = np.empty(len(score))
        out[order] = cum / weight.sum()
        return out

    def village_elsewhere(self, desa: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Another village of the same province (where a family lived before it moved)."""
        prov = self.regions.prov
        first = np.searchsorted(prov, prov[desa], "left")  # villages are in code order
        count = np.searchsorted(prov, prov[desa], "right") - first
        step = 1 + np.floor(rng.random(len(desa)) * np.maximum(count - 1, 1)).astype(np.int64)  # never 0
        other = first + (desa - first + step) % count
        return np.where(count > 1, other, desa).astype(np.int32)


def ids(prefix: str, n: int, width: int, rng: np.random.Generator) -> pa.Array:
    """Increasing record ids with random gaps, as a database sequence leaves them: D0000012345."""
    start = int(rng.integers(1, 10 ** (width - 3)))
    num = start + np.cumsum(rng.integers(1, 8, n))
    if n and num[-1] >= 10**width:
        raise ValueError(f"{n} ids do not fit {width} digits")
    text = pc.utf8_lpad(pc.cast(pa.array(num), pa.string()), width, "0")
    return pc.binary_join_element_wise(pa.scalar(prefix), text, "")
