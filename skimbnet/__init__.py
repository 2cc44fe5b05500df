"""skimbnet: scikit-learn neural network classifiers that learn rare classes."""

from .augmentation import GaussianNoise
from .classifier import BalancedNetClassifier
from .ensemble import BootstrapEnsembleClassifier
from .feature_selection import L1FeatureSelector
from .losses import (
    BalancedSoftmaxLoss,
    CrossEntropy,
    FocalLoss,
    LDAMLoss,
    LogitAdjustedLoss,
    LossStrategy,
    SoftF1Loss,
)
from .replay import ActionBalancedReplay
from .resampling import EpochResampler
from .sampling import (
    ClassBalancedSampler,
    ImblearnSampler,
    NaturalSampler,
    ProgressiveSampler,
    SquareRootSampler,
    UnderSampler,
)
from .search import search_space

__version__ = "0.1.0"

__all__ = [
    "BalancedNetClassifier",
    "BootstrapEnsembleClassifier",
    "BalancedSoftmaxLoss",
    "CrossEntropy",
    "FocalLoss",
    "LDAMLoss",
    "LogitAdjustedLoss",
    "LossStrategy",
    "SoftF1Loss",
    "ClassBalancedSampler",
    "EpochResampler",
    "GaussianNoise",
    "L1FeatureSelector",
    "NaturalSampler",
    "ProgressiveSampler",
    "SquareRootSampler",
    "UnderSampler",
    "search_space",
    "__version__",
    "ActionBalancedReplay",
    "ImblearnSampler",
]
