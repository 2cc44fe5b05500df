"""Rare-class augmentation applied to training batches, in torch.

An augmenter is a clonable spec (a scikit-learn ``BaseEstimator``); its
``build(X_train, y_train, class_counts)`` (``class_counts``: the training
split's rows per class, ``sample_weight`` left out) sees the training split once at
``fit`` and returns a callable ``(X_batch, y_batch, generator) -> X_batch``
that the classifier applies to every training batch, never to validation or
prediction data. The callable draws from the ``torch.Generator`` it is given,
so a fit with a fixed ``random_state`` is reproducible.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator

from ._strategies import got
from .data import weighted_mean_and_std

__all__ = ["Augmenter", "GaussianNoise", "check_augment"]


class Augmenter(BaseEstimator):
    """Base class: ``build(X_train, y_train, class_counts)`` returns a callable
    ``(X_batch, y_batch, generator) -> X_batch`` applied to every training batch
    (never to validation or prediction data)."""

    def build(self, X, y, class_counts):
        raise NotImplementedError


def check_augment(augment) -> None:
    """Reject anything that is not an :class:`Augmenter`."""
    if augment is not None and not isinstance(augment, Augmenter):
        raise TypeError(
            "augment must be None or a skimbnet.augmentation.Augmenter "
            f"(e.g. GaussianNoise(std=0.1)), got {got(augment, 'augment')}."
        )


def _selected_classes(classes, class_counts) -> np.ndarray:
    """Boolean mask over the classes that ``classes`` names."""
    counts = np.asarray(class_counts, dtype=float)
    n_classes = len(counts)
    if isinstance(classes, str):
        if classes == "all":
            return np.ones(n_classes, dtype=bool)
        if classes == "minority":
            # every class smaller than the largest one; ties with it are not minority
            return counts < counts.max()
        raise ValueError(
            f'classes={classes!r} is not supported; use "minority", "all" or a list of '
            "class indices (positions in classes_)."
        )
    try:
        chosen = [int(c) for c in classes if isinstance(c, Integral) and not isinstance(c, bool)]
        ok = len(chosen) == len(list(classes))
    except TypeError:
        ok = False
    if not ok:
        raise ValueError(
            f'classes={classes!r} is not supported; use "minority", "all" or a list of '
            "class indices (positions in classes_)."
        )
    bad = [c for c in chosen if not 0 <= c < n_classes]
    if bad:
        raise ValueError(
            f"classes={list(classes)!r} names class indices {bad} that do not exist; "
            f"the indices run from 0 to {n_classes - 1} (positions in classes_)."
        )
    mask = np.zeros(n_classes, dtype=bool)
    mask[chosen] = True
    return mask


class _GaussianNoise:
    """The built callable: adds ``scale``-sized Gaussian noise to rows of chosen classes."""

    def __init__(self, scale: torch.Tensor, class_mask: torch.Tensor):
        self.scale = scale
        self.class_mask = class_mask

    def __call__(self, X, y, generator=None):
        rows = self.class_mask.to(y.device)[y]
        if not bool(rows.any()):
            return X
        noise = torch.randn(X.shape, generator=generator, dtype=X.dtype, device=X.device)
        noise.mul_(self.scale.to(device=X.device, dtype=X.dtype))
        noise.mul_(rows.unsqueeze(1).to(X.dtype))
        return X + noise

    def __repr__(self):
        return (
            f"_GaussianNoise(classes={torch.nonzero(self.class_mask).flatten().tolist()}, "
            f"n_features={len(self.scale)})"
        )


class GaussianNoise(Augmenter):
    """Add Gaussian noise to the rows of rare classes in every training batch.

    Each feature gets noise of standard deviation ``std`` times its standard
    deviation in the training split (as the network sees it, i.e. after the
    classifier's standardisation), so the noise is scale free. Repeated rows
    of a rare class (a balanced sampler or an over-sampler repeats them)
    become distinct points around the originals. Validation and prediction
    data are never perturbed.

    Parameters
    ----------
    std : float, default=0.1
        Noise size, as a fraction of each feature's standard deviation.
    classes : "minority", "all" or list of int, default="minority"
        Whose rows get noise: ``"minority"`` every class with fewer rows than
        the largest one (rows, not ``sample_weight``: balanced weights leave
        the rare rows few; in the training split the network learns from, so
        after a resampler that balanced it, no class is minority: use ``"all"``),
        ``"all"`` every row, or the class indices (positions in ``classes_``).

    Examples
    --------
    >>> import torch
    >>> from skimbnet.augmentation import GaussianNoise
    >>> X = torch.randn(100, 3)
    >>> y = torch.tensor([0] * 90 + [1] * 10)
    >>> noise = GaussianNoise(std=0.1).build(X, y, class_counts=[90, 10])
    >>> Xb = noise(X[85:95], y[85:95], torch.Generator().manual_seed(0))
    >>> bool((Xb[:5] == X[85:90]).all()), bool((Xb[5:] != X[90:95]).all())
    (True, True)
    """

    def __init__(self, std: float = 0.1, classes="minority"):
        self.std = std
        self.classes = classes

    def build(self, X, y, class_counts):
        if (
            not isinstance(self.std, Real)
            or isinstance(self.std, bool)
            or not 0 <= self.std < float("inf")
        ):
            raise ValueError(f"GaussianNoise(std={self.std!r}) must be a finite number >= 0.")
        mask = _selected_classes(self.classes, class_counts)
        X = torch.as_tensor(X)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-dimensional, got shape {tuple(X.shape)}.")
        # the standard deviation in float64, by chunks of rows (no float64 copy of X)
        scale = (float(self.std) * weighted_mean_and_std(X)[1]).to(X.dtype)
        return _GaussianNoise(scale, torch.as_tensor(mask, device=X.device))
