"""skimbnet: scikit-learn neural network classifiers that learn rare classes."""

from .augmentation import GaussianNoise
from .classifier import BalancedNetClassifier
from .resampling import EpochResampler
from .sampling import (
    ClassBalancedSampler,
    NaturalSampler,
    ProgressiveSampler,
    SquareRootSampler,
    UnderSampler,
)

__version__ = "0.1.0"

__all__ = [
    "BalancedNetClassifier",
    "ClassBalancedSampler",
    "EpochResampler",
    "GaussianNoise",
    "NaturalSampler",
    "ProgressiveSampler",
    "SquareRootSampler",
    "UnderSampler",
    "__version__",
]
