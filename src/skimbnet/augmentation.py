"""Rare-class augmentation applied to training batches, in torch."""

from __future__ import annotations

from sklearn.base import BaseEstimator


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
            f"(e.g. GaussianNoise(std=0.1)), got {type(augment).__name__}."
        )

