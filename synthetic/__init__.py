"""The synthetic delivery generator: realistic source extracts with ground truth."""

from synthetic.config import GENERATOR_VERSION as __version__
from synthetic.config import ChangeRates
from synthetic.generator import ErrorRates, GeneratorConfig, generate_delivery
from synthetic.series import generate_next, generate_series

__all__ = [
    "ChangeRates",
    "ErrorRates",
    "GeneratorConfig",
    "__version__",
    "generate_delivery",
    "generate_next",
    "generate_series",
]
