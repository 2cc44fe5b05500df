"""Input checks and the class weights derived from the training labels."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from contextlib import contextmanager
from numbers import Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils.multiclass import type_of_target

CLASS_WEIGHT_MODES = ("balanced", "effective")


def check_class_weight_param(class_weight) -> None:
    """Reject a ``class_weight`` of the wrong kind before any work is done."""
    if class_weight is None or isinstance(class_weight, dict):
        return
    if isinstance(class_weight, str) and class_weight in ("auto", *CLASS_WEIGHT_MODES):
        return
    raise ValueError(
        f"class_weight={class_weight!r} is not supported; use 'auto', None, "
        f"{', '.join(repr(m) for m in CLASS_WEIGHT_MODES)} or a dict {{class: weight}}."
    )


#: fragments of numpy's and scikit-learn's messages for features that are not numbers
_NOT_NUMBERS = (
    "could not convert",
    "argument must be a string or a",
    "is not compatible with arrays of bytes/strings",
    "could not be promoted",  # a datetime column beside numbers
    "Cannot cast",  # pandas' category or str column beside a bool one
)


@contextmanager
def numeric_input(estimator_name: str, param: str = "X", value=None):
    """Re-raise numpy's "could not convert string to float" as a message naming ``param``.

    The original message is kept at the end (scikit-learn's estimator checks
    match on it); the exception type is kept too. A dict ``value`` (skorch's
    several-inputs form) is refused first, by name.
    """
    if isinstance(value, Mapping) and not sp.issparse(value):  # a dok_matrix is a dict
        raise TypeError(
            f"{param} is a {type(value).__name__} (keys {sorted(map(str, value))[:5]}): "
            f"{estimator_name} takes one numeric array-like of shape (n_samples, n_features), "
            "not skorch's dict of inputs; join the inputs into one array (a module can split "
            "its columns again)."
        )
    try:
        yield
    except (TypeError, ValueError) as exc:
        if not any(fragment in str(exc) for fragment in _NOT_NUMBERS):
            raise
        if param == "X":
            accepted = (
                f"{estimator_name} takes numeric features only (ints, floats, bools): "
                "encode text or categorical columns first, e.g. with "
                "sklearn.preprocessing.OneHotEncoder in a Pipeline"
            )
        else:
            accepted = f"{param} must be numbers, one per row of X"
        raise type(exc)(f"{param} has values that are not numbers; {accepted} ({exc})") from exc


def check_logit_adjustment(value):
    """``logit_adjustment`` as a float (or ``None``), or a ValueError naming it.

    Checked at fit and wherever it is used, since it may be set after fit.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Real) or not (
        0 <= value < float("inf")
    ):
        raise ValueError(
            f"logit_adjustment={value!r} must be None or a finite float >= 0 "
            "(1.0: the prior correction)."
        )
    return float(value)


def _missing_labels(values: np.ndarray) -> np.ndarray:
    """Where an object array holds a missing label: None, NaN, ``pandas.NA``, NaT."""
    pandas = sys.modules.get("pandas")  # pandas.NA exists only where pandas is loaded
    if pandas is not None:
        return pandas.isna(values)  # pandas.NA's comparisons raise: pandas must judge it
    return np.equal(values, None) | np.not_equal(values, values)


def check_labels(y) -> None:
    """Reject missing labels (``None``, NaN or ``pandas.NA`` in an object ``y``) clearly.

    numpy cannot sort ``None`` among strings, so without this check such a
    ``y`` fails deep in ``np.unique`` with "'<' not supported".
    """
    y = np.asarray(y)
    if y.dtype != object or y.ndim != 1:
        return  # numeric NaN is reported by scikit-learn's own check ("Input y contains NaN")
    missing = np.flatnonzero(_missing_labels(y))
    if len(missing):
        raise ValueError(
            f"y has {len(missing)} missing label(s) (None, NaN or pandas.NA), the first at row "
            f"{missing[0]}; every row needs a class label: drop those rows or give them "
            "a label of their own."
        )


def checked_classes(classes, param: str = "classes") -> np.ndarray:
    """``classes`` as the sorted array of its distinct labels, or an error naming ``param``.

    It must be a 1-d list-like of labels (not a set, whose order and repr
    vary, nor a string or a scalar), without missing values, and not mix
    strings with numbers (numpy would turn the numbers into strings).
    """
    if isinstance(classes, (str, bytes, set, frozenset, Mapping)) or np.ndim(classes) != 1:
        raise ValueError(
            f"{param}={classes!r} must be a 1-d list of class labels, e.g. [0, 1, 2] or "
            "['common', 'rare']."
        )
    values = np.asarray(classes, dtype=object)
    if np.any(_missing_labels(values)):
        raise ValueError(f"{param}={list(values)!r} holds a missing label (None or NaN).")
    kinds = {isinstance(python_scalar(v), str) for v in values}
    if len(kinds) > 1:
        raise ValueError(
            f"{param}={list(values)!r} mixes strings and numbers; give labels of one kind, "
            "as y has them."
        )
    return np.unique(np.asarray(classes))


def check_single_output(y, estimator_name: str) -> None:
    """Reject multilabel and multioutput targets with scikit-learn's message.

    ``validate_data`` would reject a 2-d ``y`` too, but with "y should be a 1d
    array", not the "Multilabel and multioutput targets are not supported."
    that scikit-learn's and imbalanced-learn's checks expect of a classifier.
    """
    kind = type_of_target(y, input_name="y")
    if kind.startswith("multilabel") or kind.endswith("multioutput"):
        raise ValueError(
            f"Multilabel and multioutput targets are not supported. y is {kind!r}; "
            f"{estimator_name} needs one label per row (binary or multiclass)."
        )


def weighted_class_counts(y_encoded, n_classes: int, sample_weight=None) -> np.ndarray:
    """Count the rows of each class; with ``sample_weight``, sum their weights.

    Summing weights keeps "a weight of 2 equals a duplicated row" true for every
    quantity derived from the counts (balanced weights, priors, margins).
    """
    return np.bincount(y_encoded, weights=sample_weight, minlength=n_classes).astype(float)


class _DenseChunks:
    """``X[rows]`` of a sparse matrix as a dense array (for chunked statistics)."""

    def __init__(self, X):
        self.X = X.tocsr()

    def __getitem__(self, rows):
        return self.X[rows].toarray()


def weighted_mean_and_std(X, sample_weight=None, chunk_rows: int = 65536):
    """Per-feature (weighted) mean and population standard deviation, in float64.

    ``X`` is a numpy array or a scipy sparse matrix (the results are numpy
    arrays) or a torch tensor (float64 tensors on its device);
    ``sample_weight=None`` weighs every row 1. Works through ``X`` in chunks of
    rows, so a large float32 table never gets a float64 copy of itself and a
    sparse one is never dense as a whole (two passes: the mean, then the
    squared deviations).
    """
    is_tensor = isinstance(X, torch.Tensor)
    n_rows = X.shape[0]
    if sp.issparse(X):
        # densified a chunk at a time, of at most about 2**22 values
        chunk_rows = max(1, min(chunk_rows, (1 << 22) // max(1, X.shape[1])))
        X = _DenseChunks(X)
    if sample_weight is None:
        total = max(n_rows, 1)
    else:
        total = float(np.sum(np.asarray(sample_weight)))
        if is_tensor:
            sample_weight = torch.as_tensor(sample_weight, dtype=torch.float64, device=X.device)
    chunks = [slice(i, i + chunk_rows) for i in range(0, n_rows, chunk_rows)]

    def column_sum(rows, c):
        if is_tensor:
            rows = rows.double()
            return rows.sum(dim=0) if sample_weight is None else sample_weight[c] @ rows
        if sample_weight is None:
            return rows.sum(axis=0, dtype=np.float64)
        return np.einsum("i,ij->j", sample_weight[c], rows, dtype=np.float64)

    mean = sum(column_sum(X[c], c) for c in chunks) / total
    if is_tensor:
        var = sum(column_sum((X[c].double() - mean) ** 2, c) for c in chunks) / total
        return mean, torch.sqrt(var)
    var = sum(column_sum((X[c] - mean) ** 2, c) for c in chunks) / total
    return mean, np.sqrt(var)


def class_weight_vector(
    class_weight, classes: np.ndarray, counts: np.ndarray, beta: float = 0.999
) -> np.ndarray:
    """The per-class loss weights, in ``classes`` order.

    Parameters
    ----------
    class_weight : None, "balanced", "effective" or dict
        ``"balanced"``: ``n / (K * n_j)`` as in scikit-learn. ``"effective"``:
        Cui et al. (2019), ``(1 - beta) / (1 - beta ** n_j)`` normalised to sum
        to ``K``. A dict maps class labels to weights; classes it leaves out
        weigh 1, as in scikit-learn.
    classes : ndarray
        The class labels.
    counts : ndarray
        (Weighted) count of each class in the training split.
    beta : float, default=0.999
        The effective-number hyper-parameter, in [0, 1).
    """
    n_classes = len(classes)
    if class_weight is None:
        return np.ones(n_classes)
    if isinstance(class_weight, dict):
        known = {python_scalar(c) for c in classes}
        unknown = [c for c in class_weight if python_scalar(c) not in known]
        if unknown:
            raise ValueError(
                f"class_weight has keys {unknown} that are not classes of y; "
                f"the classes are {[python_scalar(c) for c in classes]}."
            )
        weights = np.ones(n_classes)
        for i, label in enumerate(classes):
            for key, value in class_weight.items():
                if python_scalar(key) == python_scalar(label):
                    if not isinstance(value, Real) or not np.isfinite(value) or value < 0:
                        raise ValueError(
                            f"class_weight[{key!r}]={value!r} must be a finite number >= 0."
                        )
                    weights[i] = float(value)
        return weights
    safe = np.maximum(counts, np.finfo(float).tiny)
    if class_weight == "balanced":
        return counts.sum() / (n_classes * safe)
    if class_weight == "effective":
        if not 0 <= beta < 1:
            raise ValueError(f"class_weight_beta={beta!r} must be in [0, 1).")
        weights = (1.0 - beta) / (1.0 - np.power(beta, safe))
        return weights * n_classes / weights.sum()
    check_class_weight_param(class_weight)
    raise AssertionError("unreachable")


def python_scalar(value):
    """A numpy scalar as the Python value (``np.int64(1)`` -> ``1``); anything else as is.

    For comparing labels (``np.str_("a")`` and ``"a"`` alike), messages and JSON.
    """
    return value.item() if isinstance(value, np.generic) else value
