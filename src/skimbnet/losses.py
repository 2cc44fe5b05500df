"""Loss strategies for imbalanced classification.

A loss strategy is a small, clonable object (a scikit-learn ``BaseEstimator``, so
``clone``, ``get_params`` and grid searches over ``loss__<param>`` work). Its
``build(class_counts)`` receives the class counts of the training split, in
``classes_`` order, and returns a :class:`torch.nn.Module` that maps
``(logits, target, sample_weight=None)`` to the mean loss of the batch.

Weighted means follow one rule everywhere: ``sum(w_i * l_i) / sum(w_i)``, so a
weight of 2 means the same as a duplicated row.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import BaseEstimator
from torch import nn
from torch.nn import functional as F


def weighted_mean(losses: torch.Tensor, sample_weight: torch.Tensor | None) -> torch.Tensor:
    """Mean of per-sample ``losses``, weighted as ``sum(w * l) / sum(w)``."""
    if sample_weight is None:
        return losses.mean()
    # clamp: a batch whose rows all weigh 0 contributes a zero loss, not NaN
    return (losses * sample_weight).sum() / sample_weight.sum().clamp_min(1e-12)


class LossModule(nn.Module):
    """Base of the built losses: ``forward(logits, target, sample_weight=None)``.

    Subclasses implement :meth:`per_sample`; losses that do not decompose over
    samples (soft-F1) override :meth:`forward` instead.
    """

    def per_sample(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(
        self,
        logits: torch.Tensor,
        target: torch.Tensor,
        sample_weight: torch.Tensor | None = None,
    ) -> torch.Tensor:
        return weighted_mean(self.per_sample(logits, target), sample_weight)

    def set_epoch(self, epoch: int, max_epochs: int) -> None:
        """Hook for epoch-aware losses; called by the classifier each epoch."""


class LossStrategy(BaseEstimator):
    """Base class of loss strategies: subclasses implement :meth:`build`."""

    #: string alias usable as ``BalancedNetClassifier(loss=<name>)``
    name: str = ""

    def build(self, class_counts: np.ndarray) -> LossModule:
        """Return the loss module for a training split with ``class_counts``."""
        raise NotImplementedError


class _CrossEntropyModule(LossModule):
    def per_sample(self, logits, target):
        return F.cross_entropy(logits, target, reduction="none")


class CrossEntropy(LossStrategy):
    """Plain softmax cross-entropy, ``-log softmax(z)_y``.

    Class weights (``class_weight=``) and ``sample_weight`` enter as the
    per-row weights of the weighted mean.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skimbnet.losses import CrossEntropy
    >>> loss = CrossEntropy().build(np.array([90, 10]))
    >>> float(loss(torch.zeros(4, 2), torch.tensor([0, 1, 0, 1])))  # log(2)
    0.693...
    """

    name = "ce"

    def build(self, class_counts):
        return _CrossEntropyModule()


def available_losses() -> dict[str, type[LossStrategy]]:
    """The loss aliases accepted by ``BalancedNetClassifier(loss=...)``."""
    return {cls.name: cls for cls in _all_subclasses(LossStrategy) if cls.name}


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def resolve_loss(loss) -> LossStrategy:
    """Turn ``loss`` (an alias or a strategy object) into a fresh strategy.

    Raises
    ------
    ValueError
        For an unknown alias; the message lists the valid ones.
    TypeError
        For anything that is neither an alias nor a :class:`LossStrategy`.
    """
    from sklearn.base import clone

    if isinstance(loss, str):
        losses = available_losses()
        if loss not in losses:
            raise ValueError(
                f"loss={loss!r} is not a known loss; use one of {sorted(losses)} "
                "or a skimbnet.losses.LossStrategy instance."
            )
        return losses[loss]()
    if isinstance(loss, LossStrategy):
        return clone(loss)
    raise TypeError(
        f"loss must be a string alias {sorted(available_losses())} or a "
        f"skimbnet.losses.LossStrategy instance, got {type(loss).__name__}."
    )
