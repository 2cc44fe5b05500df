"""skimbnet: scikit-learn neural network classifiers that learn rare classes."""

from .classifier import BalancedNetClassifier

__version__ = "0.1.0"

__all__ = ["BalancedNetClassifier", "__version__"]
