"""imbalanced-learn resamplers applied to the training split only."""

from __future__ import annotations

import numpy as np
from sklearn.base import clone


def check_resampler(resampler) -> None:
    """Reject anything that is not an imbalanced-learn style sampler."""
    if resampler is not None and not hasattr(resampler, "fit_resample"):
        raise TypeError(
            "resampler must be None or an imbalanced-learn sampler with a "
            f"fit_resample method (e.g. imblearn.over_sampling.SMOTE()), got "
            f"{type(resampler).__name__}."
        )


def resample_training_split(resampler, X, y, sample_weight, random_state: int):
    """Run ``resampler.fit_resample`` on the training rows.

    Returns ``(X, y, sample_weight)``; rows an over-sampler repeats keep their
    weight (found through the sampler's ``sample_indices_``), synthetic rows
    (SMOTE and relatives) weigh 1.
    """
    sampler = clone(resampler)
    if "random_state" in sampler.get_params():
        sampler.set_params(random_state=random_state)
    X_res, y_res = sampler.fit_resample(X, y)
    X_res = np.asarray(X_res, dtype=X.dtype)
    y_res = np.asarray(y_res)
    if sample_weight is None:
        return X_res, y_res, None
    indices = getattr(sampler, "sample_indices_", None)
    if indices is not None:
        return X_res, y_res, sample_weight[indices]
    # generating samplers return the original rows first, then the new ones
    weights = np.ones(len(y_res))
    weights[: len(y)] = sample_weight
    return X_res, y_res, weights
