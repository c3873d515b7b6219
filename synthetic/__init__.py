"""The synthetic delivery generator: realistic source extracts with ground truth."""

from synthetic.config import GENERATOR_VERSION as __version__
from synthetic.generator import ErrorRates, GeneratorConfig, generate_delivery

__all__ = ["ErrorRates", "GeneratorConfig", "__version__", "generate_delivery"]
