"""A held-out check between configurations of one estimator (``n_bins="auto"``).

Model selection the way a practitioner does it by hand: fit each candidate on a
stratified part of the training rows, score it on the rest, keep the best, and
train the final model on all the rows (the check's rare rows are not lost).
The score is the mean of balanced accuracy (the decision) and macro
one-vs-rest ROC-AUC (the ranking), so neither is bought with the other.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import balanced_accuracy_score, roc_auc_score
from sklearn.model_selection import StratifiedShuffleSplit

#: the share of the training rows the check scores on
CHECK_FRACTION = 0.25
#: the check runs only when every class has at least this many rows (>= 1 to score on)
CHECK_MIN_CLASS_ROWS = 4


def check_score(estimator, X, y, sample_weight=None) -> float:
    """Mean of balanced accuracy and macro one-vs-rest ROC-AUC of a fitted ``estimator``."""
    proba = estimator.predict_proba(X)
    classes = estimator.classes_
    ba = balanced_accuracy_score(y, estimator.predict(X), sample_weight=sample_weight)
    if len(classes) == 2:
        auc = roc_auc_score(y == classes[1], proba[:, 1], sample_weight=sample_weight)
    else:
        auc = roc_auc_score(
            y, proba, multi_class="ovr", labels=classes, sample_weight=sample_weight
        )
    return float(0.5 * (ba + auc))


def held_out_scores(candidates, X, y, sample_weight, seed):
    """Each candidate's :func:`check_score` on a stratified held-out part of ``(X, y)``.

    Rows of zero weight take no part (a split could otherwise leave a class with
    no weight to train on); the check's scores weigh its rows by ``sample_weight``.

    Parameters
    ----------
    candidates : list of estimators
        Unfitted estimators, each fitted on the same rows.
    X, y, sample_weight : arrays
        The training rows (``X`` a numpy array or a CSR matrix).
    seed : int
        The split's seed.

    Returns
    -------
    list of float or None
        One score per candidate, or ``None`` where a class has fewer than
        ``CHECK_MIN_CLASS_ROWS`` rows of positive weight (too few to hold any out).
    """
    rows = np.flatnonzero(sample_weight > 0)
    classes, counts = np.unique(y[rows], return_counts=True)
    if len(classes) < len(np.unique(y)) or counts.min() < CHECK_MIN_CLASS_ROWS:
        return None
    split = StratifiedShuffleSplit(1, test_size=CHECK_FRACTION, random_state=seed)
    fit_part, check_part = next(split.split(np.zeros((len(rows), 1)), y[rows]))
    fit_rows, check_rows = rows[fit_part], rows[check_part]
    scores = []
    for model in candidates:
        model.fit(X[fit_rows], y[fit_rows], sample_weight=sample_weight[fit_rows])
        scores.append(
            check_score(model, X[check_rows], y[check_rows], sample_weight[check_rows])
        )
    return scores
