"""imbalanced-learn resamplers applied to the training split only.

The classifier takes its internal validation split first and hands only the
training rows to :func:`resample_training_split`, so no synthetic or repeated
row ever reaches the validation score. :class:`EpochResampler` wraps a
resampler to redraw it every epoch (or every ``every`` epochs) instead of once.
"""

from __future__ import annotations

import re
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, clone

from ._strategies import got
from .data import python_scalar

__all__ = [
    "EpochResampler",
    "check_resampler",
    "checked_fit_resample",
    "redraw_training_split",
    "resample_training_split",
]

#: parameters of imbalanced-learn samplers that count neighbours within a class
_NEIGHBOUR_PARAMS = ("k_neighbors", "n_neighbors")


def check_resampler(resampler) -> None:
    """Reject anything that is not an imbalanced-learn style sampler."""
    if resampler is not None and (
        isinstance(resampler, type) or not hasattr(resampler, "fit_resample")
    ):
        raise TypeError(
            "resampler must be None or an imbalanced-learn sampler with a "
            f"fit_resample method (e.g. imblearn.over_sampling.SMOTE()), got "
            f"{got(resampler, 'resampler')}."
        )
    if isinstance(resampler, EpochResampler):
        resampler._check()


def _epoch_seed(random_state: int, draw: int) -> int:
    """A seed for the ``draw``-th redraw; draw 0 uses ``random_state`` itself."""
    if draw == 0:
        return int(random_state)
    state = np.random.SeedSequence([int(random_state), int(draw)]).generate_state(1)
    return int(state[0] % np.iinfo(np.int32).max)


def resample_training_split(
    resampler,
    X,
    y,
    sample_weight,
    random_state: int,
    *,
    classes=None,
    param_prefix="resampler",
    split="training split",
    hint=None,
):
    """Run ``resampler.fit_resample`` on the training rows.

    Parameters
    ----------
    resampler : imbalanced-learn sampler or EpochResampler
        Cloned, never fitted in place; its ``random_state`` (when it has one)
        is set to ``random_state``, and nested ones to seeds derived from it
        (the steps of a Pipeline, say). An :class:`EpochResampler` gives its first
        (epoch 0) draw.
    X, y, sample_weight : arrays
        The training split (``y`` encoded as class indices); ``sample_weight``
        may be None.
    random_state : int
        Seed of the draw.
    classes : array-like, default=None
        The class labels (sorted, as ``classes_``): the sampler is given
        ``classes[y]``, so that a ``sampling_strategy`` dict or callable names
        the user's labels, and its output is encoded back. ``None``: it is
        given ``y`` as it is.
    param_prefix : str, default="resampler"
        How the classifier's parameter that holds the resampler is spelled in
        error messages (``resampler__k_neighbors=...``).
    split : str, default="training split"
        Where the rows come from, for error messages.
    hint : str, default=None
        One more fix the too-few-rows message suggests (the classifier's:
        ``train_split=None``, when its validation split took rows).

    Returns
    -------
    X, y, sample_weight
        Rows an over- or under-sampler keeps or repeats keep their weight
        (found through the sampler's ``sample_indices_``); synthetic rows
        (SMOTE and relatives) weigh the mean weight of their class's rows.

    Raises
    ------
    ValueError
        When a class has too few rows for a neighbour-based sampler (SMOTE,
        ADASYN, ...): the message names the class, its count and the
        ``resampler__k_neighbors`` value that would work.
    """
    if isinstance(resampler, EpochResampler):
        return resampler.resample_epoch(
            X,
            y,
            sample_weight,
            random_state,
            0,
            classes=classes,
            param_prefix=param_prefix,
            split=split,
            hint=hint,
        )
    check_resampler(resampler)
    if not sp.issparse(X):
        X = np.asarray(X)  # a list of rows, say: the output keeps its dtype
    sampler = _seeded(clone(resampler), random_state)
    _check_column_names(sampler, param_prefix)
    y = np.asarray(y)
    # the sampler sees the user's labels: a sampling_strategy dict or callable names them
    labels = y if classes is None else np.asarray(classes)[y]
    X_res, y_res = checked_fit_resample(
        sampler,
        X,
        labels,
        y_encoded=y,
        classes=classes,
        param_prefix=param_prefix,
        split=split,
        hint=hint,
    )
    y_res = np.asarray(y_res) if classes is None else _encoded(y_res, classes, sampler)
    # imbalanced-learn keeps a CSR matrix sparse (SMOTE's new rows too)
    X_res = sp.csr_matrix(X_res, dtype=X.dtype) if sp.issparse(X) else np.asarray(X_res, X.dtype)
    if sample_weight is None:
        return X_res, y_res, None
    sample_weight = np.asarray(sample_weight, dtype=float)
    indices = getattr(sampler, "sample_indices_", None)
    if indices is not None:
        return X_res, y_res, sample_weight[indices]
    return X_res, y_res, _generated_weights(X, y, sample_weight, X_res, y_res, sampler)


def _check_column_names(sampler, param_prefix):
    """SMOTENC's columns by name (or ``"auto"``) need a DataFrame; the resampler is
    given the training rows as an array."""
    columns = sampler.get_params(deep=False).get("categorical_features")
    named = isinstance(columns, str) or (
        isinstance(columns, (list, tuple, np.ndarray)) and any(isinstance(c, str) for c in columns)
    )
    if named:
        raise ValueError(
            f"{param_prefix}__categorical_features={columns!r} needs a DataFrame's column "
            "names or dtypes, but the resampler is given the training rows as an array: "
            "give the columns' positions (integers) or a boolean mask."
        )


def _seeded(sampler, random_state: int):
    """``sampler`` with every ``random_state`` it holds set from ``random_state``.

    Its own is set to ``random_state``; nested ones (the steps of an
    imbalanced-learn ``Pipeline``, ``SMOTETomek(smote=SMOTE())``) get seeds
    derived from it, so that a fit with a fixed seed draws the same rows.
    """
    params = sampler.get_params(deep=True)
    nested = sorted(k for k in params if k.endswith("__random_state"))
    seeds = np.random.SeedSequence([int(random_state), 1]).generate_state(len(nested))
    values = {k: int(s % np.iinfo(np.int32).max) for k, s in zip(nested, seeds)}
    if "random_state" in params:
        values["random_state"] = int(random_state)
    return sampler.set_params(**values) if values else sampler


def _encoded(y_res, classes, sampler):
    """The resampled labels as class indices; a label outside ``classes`` is an error."""
    y_res = np.asarray(y_res)
    classes = np.asarray(classes)
    known = np.isin(y_res, classes)
    if not known.all():
        raise ValueError(
            f"resampler={type(sampler).__name__}() returned label "
            f"{python_scalar(y_res[~known][0])!r}, which is not one of the classes "
            f"{classes.tolist()}."
        )
    return np.searchsorted(classes, y_res)


def checked_fit_resample(
    sampler,
    X,
    y,
    *,
    y_encoded=None,
    classes=None,
    param_prefix="resampler",
    split="training split",
    hint=None,
):
    """``sampler.fit_resample(X, y)``, with imbalanced-learn's neighbour error explained.

    A neighbour-based sampler (SMOTE, ADASYN, ...) given a class with too few
    rows fails with "Expected n_neighbors <= n_samples_fit"; this raises a
    ValueError instead that names the class, its count and the
    ``<param_prefix>__k_neighbors`` value that would work. Any other error is
    raised as it is.

    Parameters
    ----------
    sampler : imbalanced-learn sampler
        Fitted in place (clone it first to keep the original unfitted).
    X, y : arrays
        What ``fit_resample`` receives, unchanged.
    y_encoded : array of int, default=None
        ``y`` as class indices (positions in ``classes``), to count the rows of
        each class; ``None``: ``y`` holds class indices already.
    classes : array-like, default=None
        The class labels, to name classes in the message.
    param_prefix : str, default="resampler"
        How the parameter that holds the sampler is spelled in the message.
    split : str, default="training split"
        Where the rows were counted.
    hint : str, default=None
        One more fix for the message to suggest.

    Returns
    -------
    X_res, y_res
        ``sampler.fit_resample(X, y)``.
    """
    try:
        return sampler.fit_resample(X, y)
    except ValueError as exc:
        counted = np.asarray(y if y_encoded is None else y_encoded)
        message = _too_few_neighbours(sampler, counted, exc, classes, param_prefix, split, hint)
        if message is None:
            raise
        raise ValueError(message) from exc


def _generated_weights(X, y, sample_weight, X_res, y_res, sampler):
    """Weights for the output of a sampler that generates rows (no ``sample_indices_``)."""
    n = len(y)
    if np.all(sample_weight == sample_weight[0]):
        return np.full(len(y_res), sample_weight[0])
    if len(y_res) >= n and np.array_equal(y_res[:n], y) and _same_rows(X_res[:n], X):
        # SMOTE and relatives return the original rows first, then the new ones
        weights = np.empty(len(y_res))
        weights[:n] = sample_weight
        sums = np.bincount(y, weights=sample_weight, minlength=int(y_res.max()) + 1)
        counts = np.bincount(y, minlength=len(sums))
        class_mean = np.divide(sums, counts, out=np.ones(len(sums)), where=counts > 0)
        weights[n:] = class_mean[y_res[n:]]
        return weights
    raise ValueError(
        f"resampler={type(sampler).__name__}() replaces the training rows by new ones, "
        "so the non-uniform sample_weight cannot follow them; fit without "
        "sample_weight or use a sampler that keeps rows (it sets sample_indices_)."
    )


def _same_rows(A, B) -> bool:
    """Whether two row blocks (dense or sparse, same shape) hold the same values."""
    if sp.issparse(A) or sp.issparse(B):
        return A.shape == B.shape and (sp.csr_matrix(A) != sp.csr_matrix(B)).nnz == 0
    return np.array_equal(A, B)


def _owner(sampler, params, key):
    """The (nested) sampler whose parameter ``key`` is, in ``get_params(deep=True)``."""
    prefix = key.rpartition("__")[0]
    return params[prefix] if prefix else sampler


def _over_samples(sampler) -> bool:
    """Whether an imbalanced-learn sampler over-samples (SMOTE, ADASYN, ...)."""
    return getattr(sampler, "_sampling_type", None) == "over-sampling"


def _too_few_neighbours(sampler, y, exc, classes, param_prefix, split, hint):
    """An explanation of imbalanced-learn's "Expected n_neighbors <= n_samples_fit".

    ``split`` names where the rows were counted; ``hint``, when given, is one
    more fix to suggest.
    """
    if "n_neighbors" not in str(exc) and "n_samples" not in str(exc):
        return None
    # nested too: an imbalanced-learn Pipeline's steps, SMOTETomek(smote=SMOTE(...)); the
    # over-sampler's count is the one that failed (not a cleaning step's, ENN's n_neighbors)
    params = sampler.get_params(deep=True)
    counts_neighbours = [
        p
        for p in sorted(params, key=lambda p: (p.count("__"), p))
        if p.rsplit("__", 1)[-1] in _NEIGHBOUR_PARAMS
        and isinstance(params[p], Integral)
        and not isinstance(params[p], bool)
    ]
    over = [p for p in counts_neighbours if _over_samples(_owner(sampler, params, p))]
    if over:
        name = over[0]
        k = int(params[name])
    elif "smote" in params and params["smote"] is None:
        # SMOTETomek() and SMOTEENN() build SMOTE(k_neighbors=5) themselves
        name, k = "smote", 5
    elif counts_neighbours:
        name = counts_neighbours[0]
        k = int(params[name])
    else:
        return None
    counts = np.bincount(y)
    present = np.flatnonzero(counts)
    # over-samplers fit neighbours within each class they grow, never the largest
    small = [j for j in present if counts[j] <= k and counts[j] < counts.max()]
    if not small:
        match = re.search(r"n_samples_fit = (\d+)", str(exc))
        fit = int(match.group(1)) if match else None
        small = [j for j in present if fit is not None and counts[j] == fit]
        if not small:
            return None
    j = min(small, key=lambda c: counts[c])
    n = int(counts[j])
    if classes is not None:
        label = classes[j]
        label = repr(python_scalar(label))
    else:
        label = f"index {j}"
    if n >= 2 and name == "smote":
        fix = f"use {param_prefix}__smote=SMOTE(k_neighbors={n - 1}), RandomOverSampler"
    elif n >= 2:
        fix = (
            f"use {param_prefix}__{name}={n - 1} (at most the class's rows minus one), "
            f"RandomOverSampler"
        )
    else:
        fix = "a class with one row cannot be interpolated: use RandomOverSampler"
    if hint:
        fix += f", or {hint}"
    where = f"in the {split}"
    setting = "k_neighbors" if name == "smote" else name
    shown = f"{type(sampler).__name__}()" if name == "smote" else (
        f"{type(sampler).__name__}({name}={k})"
    )
    return (
        f"resampler={shown} needs at least {setting}+1 = {k + 1} rows of every class it "
        f"over-samples, but class {label} has only {n} row{'s' if n != 1 else ''} {where}; "
        f"{fix}."
    )


class EpochResampler(BaseEstimator):
    """Redraw an imbalanced-learn resampler every epoch instead of once per fit.

    ``BalancedNetClassifier(resampler=EpochResampler(RandomUnderSampler()))``
    under-samples afresh every ``every`` epochs (so no row is thrown away for
    good), ``EpochResampler(SMOTE())`` creates new synthetic rows every time.
    Each draw sees the training split only and is seeded from the fit's
    ``random_state`` and the draw number, so fits are reproducible; the first
    draw is the one the plain resampler gives. The wrapped resampler's
    parameters are ``resampler__resampler__<name>`` on the classifier.

    Used where a one-off resampler is expected (``fit_resample``), it draws once.

    Parameters
    ----------
    resampler : imbalanced-learn sampler
        The sampler to redraw (cloned for every draw).
    every : int, default=1
        Redraw every ``every`` epochs.

    Examples
    --------
    >>> import numpy as np
    >>> from imblearn.under_sampling import RandomUnderSampler
    >>> from skimbnet.resampling import EpochResampler
    >>> X, y = np.arange(20.0).reshape(10, 2), np.array([0] * 8 + [1] * 2)
    >>> redraw = EpochResampler(RandomUnderSampler())
    >>> first = redraw.resample_epoch(X, y, None, random_state=0, epoch=0)[0]
    >>> second = redraw.resample_epoch(X, y, None, random_state=0, epoch=1)[0]
    >>> len(first), len(second)
    (4, 4)
    """

    def __init__(self, resampler=None, every: int = 1):
        self.resampler = resampler
        self.every = every

    def _check(self):
        if (
            self.resampler is None
            or isinstance(self.resampler, type)
            or not hasattr(self.resampler, "fit_resample")
        ):
            raise TypeError(
                "EpochResampler(resampler=...) needs an imbalanced-learn sampler with a "
                f"fit_resample method, got {got(self.resampler, 'resampler')}."
            )
        if isinstance(self.resampler, EpochResampler):
            raise TypeError("EpochResampler(resampler=...) cannot wrap another EpochResampler.")
        if not isinstance(self.every, Integral) or isinstance(self.every, bool) or self.every < 1:
            raise ValueError(f"EpochResampler(every={self.every!r}) must be an integer >= 1.")

    def redraws_at(self, epoch: int) -> bool:
        """Whether ``epoch`` starts with a new draw (epoch 0 is the fit's first draw)."""
        self._check()
        return epoch > 0 and epoch % self.every == 0

    def resample_epoch(
        self,
        X,
        y,
        sample_weight,
        random_state: int,
        epoch: int,
        *,
        classes=None,
        param_prefix="resampler",
        split="training split",
        hint=None,
    ):
        """The training rows of ``epoch``: ``(X, y, sample_weight)`` of its draw.

        Epochs between two redraws get the draw of the last redraw.
        """
        self._check()
        seed = _epoch_seed(random_state, int(epoch) // self.every)
        return resample_training_split(
            self.resampler,
            X,
            y,
            sample_weight,
            seed,
            classes=classes,
            param_prefix=f"{param_prefix}__resampler",
            split=split,
            hint=hint,
        )

    def fit_resample(self, X, y, **params):
        """Resample once with the wrapped resampler (for use outside the classifier)."""
        self._check()
        sampler = clone(self.resampler)
        out = sampler.fit_resample(X, y, **params)
        if hasattr(sampler, "sample_indices_"):
            self.sample_indices_ = sampler.sample_indices_
        return out


def redraw_training_split(
    resampler, X, y, sample_weight, random_state: int, epoch: int, *, classes=None
):
    """The new training rows at the start of ``epoch``, or None if there is no redraw.

    The one call the classifier's epoch loop needs: ``resampler`` is the fit's
    resampler (None, a plain imbalanced-learn sampler, or an
    :class:`EpochResampler`); ``X``, ``y``, ``sample_weight`` are the training
    split *before* any resampling. Returns ``(X, y, sample_weight)`` when
    ``resampler`` is an :class:`EpochResampler` due for a redraw at ``epoch``,
    else None (keep training on the current rows).
    """
    if not isinstance(resampler, EpochResampler) or not resampler.redraws_at(epoch):
        return None
    return resampler.resample_epoch(X, y, sample_weight, random_state, epoch, classes=classes)
