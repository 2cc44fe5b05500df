"""Imbalance-aware metrics: the validation scores of each epoch, ``skimbnet compare``'s
leaderboard and the ``skimbnet demo`` table.

Every metric here takes ``y_true`` as class indices ``0 .. n_classes - 1`` and
``proba`` as predicted probabilities, one column per class; the predicted
class is the column of highest probability. One rule for classes absent from
``y_true``: they are left out of per-class means (as balanced accuracy leaves
them out), and a score with nothing to measure (ROC-AUC with one class
present, the average precision or recall of an absent class) is NaN. A class
index outside ``proba``'s columns (``label``; ``positive`` with two classes,
where it is used) is an error.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn import metrics


def geometric_mean_score(y_true, y_pred) -> float:
    """G-mean: the geometric mean of the per-class recalls.

    Examples
    --------
    >>> from skimbnet.metrics import geometric_mean_score
    >>> round(geometric_mean_score([0, 0, 1, 1], [0, 0, 1, 0]), 3)
    0.707
    """
    # the classes of y_true only: a predicted class with no rows has no recall
    labels = np.unique(y_true)
    recalls = metrics.recall_score(y_true, y_pred, labels=labels, average=None, zero_division=0.0)
    return float(np.prod(recalls) ** (1.0 / len(recalls)))


def _one_vs_rest(y_true, proba):
    n_classes = proba.shape[1]
    if n_classes == 2:
        return y_true, proba[:, 1]
    return np.eye(n_classes)[y_true], proba


def average_precision(y_true, proba, positive: int = 1) -> float:
    """Average precision: of class ``positive`` for two classes, else the macro mean.

    With more than two classes, each class's one-vs-rest average precision is
    averaged (``positive`` is then not used).

    Examples
    --------
    >>> import numpy as np
    >>> from skimbnet.metrics import average_precision
    >>> proba = np.array([[0.9, 0.1], [0.6, 0.4], [0.3, 0.7], [0.8, 0.2]])
    >>> y = [0, 1, 1, 0]
    >>> float(average_precision(y, proba)), float(average_precision(y, proba, positive=0))
    (1.0, 1.0)
    """
    y_true, proba = np.asarray(y_true), np.asarray(proba)
    if proba.shape[1] == 2:
        _check_class_index(positive, 2, "positive")
        if not np.any(y_true == positive):
            return float("nan")  # no row of the class: nothing to rank
        return metrics.average_precision_score(y_true == positive, proba[:, positive])
    target, score = _one_vs_rest(y_true, proba)
    present = np.unique(y_true)
    return metrics.average_precision_score(target[:, present], score[:, present], average="macro")


def class_recall(y_true, proba, label: int) -> float:
    """Recall of class ``label`` (an index): the share of its rows predicted as it.

    Examples
    --------
    >>> import numpy as np
    >>> from skimbnet.metrics import class_recall
    >>> proba = np.array([[0.9, 0.1], [0.6, 0.4], [0.3, 0.7], [0.8, 0.2]])
    >>> float(class_recall([0, 1, 1, 0], proba, label=1))
    0.5
    """
    proba = np.asarray(proba)
    _check_class_index(label, proba.shape[1], "label")
    if not np.any(np.asarray(y_true) == label):
        return float("nan")  # no row of the class: no recall (the module's rule)
    pred = proba.argmax(axis=1)
    return float(
        metrics.recall_score(y_true, pred, labels=[label], average="macro", zero_division=0)
    )


def _check_class_index(index, n_classes, name) -> None:
    """``index`` must name a column of ``proba`` (a silent NaN or 0 otherwise)."""
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
        raise ValueError(f"{name}={index!r} must be a class index, an int.")
    if not 0 <= index < n_classes:
        raise ValueError(
            f"{name}={index!r} is not a class index of these {n_classes} columns; "
            f"use 0 to {n_classes - 1}."
        )


def _roc_auc(y_true, proba):
    y_true, proba = np.asarray(y_true), np.asarray(proba)
    target, score = _one_vs_rest(y_true, proba)
    present = np.unique(y_true)
    if len(present) < 2:
        return float("nan")
    if proba.shape[1] > 2:
        # only classes present in the split have a defined one-vs-rest AUC
        return metrics.roc_auc_score(target[:, present], score[:, present], average="macro")
    return metrics.roc_auc_score(target, score)


def _from_labels(metric):
    def score(y_true, proba):
        return metric(y_true, np.asarray(proba).argmax(axis=1))

    return score


#: name -> function(y_true (encoded ints), proba (n_samples, n_classes)) -> float,
#: all "greater is better"
VALIDATION_METRICS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "balanced_accuracy": _from_labels(metrics.balanced_accuracy_score),
    "f1_macro": _from_labels(
        lambda t, p: metrics.f1_score(
            t, p, labels=np.unique(t), average="macro", zero_division=0.0
        )
    ),
    "g_mean": _from_labels(geometric_mean_score),
    "accuracy": _from_labels(metrics.accuracy_score),
    "average_precision": average_precision,
    "roc_auc": _roc_auc,
    "neg_log_loss": lambda t, p: -metrics.log_loss(t, p, labels=np.arange(np.shape(p)[1])),
}


def validation_metric_name(scoring) -> str:
    """The history key suffix of ``scoring``: ``valid_<name>`` (no validation here)."""
    return scoring if isinstance(scoring, str) else getattr(scoring, "__name__", "score")


def resolve_validation_metric(scoring) -> tuple[str, Callable]:
    """Return ``(name, function)`` for the ``scoring`` parameter.

    ``scoring`` is one of the names in :data:`VALIDATION_METRICS` or a callable
    ``f(y_true, proba) -> float`` (greater is better) where ``y_true`` holds
    class indices ``0 .. n_classes - 1`` and ``proba`` the predicted
    probabilities, one column per class.
    """
    if isinstance(scoring, str):
        if scoring not in VALIDATION_METRICS:
            raise ValueError(
                f"scoring={scoring!r} is not supported; use one of "
                f"{sorted(VALIDATION_METRICS)} or a callable f(y_true, proba) -> float."
            )
        return scoring, VALIDATION_METRICS[scoring]
    if callable(scoring):
        return validation_metric_name(scoring), scoring
    raise TypeError(
        f"scoring must be a metric name {sorted(VALIDATION_METRICS)} or a callable, "
        f"got {type(scoring).__name__}."
    )
