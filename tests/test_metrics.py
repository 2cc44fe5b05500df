"""skimbnet.metrics: one rule for classes absent from y_true, and the docstring examples."""

import doctest
import math
import warnings

import numpy as np
import pytest

from skimbnet import metrics
from skimbnet.metrics import VALIDATION_METRICS, average_precision, geometric_mean_score

# three classes; class 2 has no row in y_true but is predicted once
PROBA = np.array([[0.7, 0.2, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7], [0.6, 0.3, 0.1]])
Y = np.array([0, 1, 1, 0])


def test_a_class_absent_from_y_true_is_left_out_of_the_means():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn warns of the predicted absent class
        balanced = VALIDATION_METRICS["balanced_accuracy"](Y, PROBA)
    # recalls 1.0 and 0.5 of the two classes present, whatever is predicted besides
    assert balanced == pytest.approx(0.75)
    assert geometric_mean_score(Y, PROBA.argmax(axis=1)) == pytest.approx(math.sqrt(0.5))
    # F1 of class 0 (2 of 2 found, 2 predicted) and class 1 (1 of 2 found, 1 predicted)
    assert VALIDATION_METRICS["f1_macro"](Y, PROBA) == pytest.approx((1.0 + 2 / 3) / 2)
    # the ranking metrics average the present classes' one-vs-rest scores
    present = [
        metrics.metrics.average_precision_score(Y == c, PROBA[:, c]) for c in np.unique(Y)
    ]
    assert average_precision(Y, PROBA) == pytest.approx(np.mean(present))
    auc = [metrics.metrics.roc_auc_score(Y == c, PROBA[:, c]) for c in np.unique(Y)]
    assert VALIDATION_METRICS["roc_auc"](Y, PROBA) == pytest.approx(np.mean(auc))


def test_nothing_to_rank_is_nan():
    one_class = np.array([0, 0])
    proba = np.array([[0.6, 0.4], [0.3, 0.7]])
    assert math.isnan(average_precision(one_class, proba))
    assert math.isnan(VALIDATION_METRICS["roc_auc"](one_class, proba))
    assert average_precision(one_class, proba, positive=0) == pytest.approx(1.0)


def test_the_docstring_examples_run():
    result = doctest.testmod(metrics)
    assert result.attempted >= 3 and result.failed == 0


def test_the_public_metrics_take_lists():
    proba = PROBA.tolist()
    assert average_precision(Y.tolist(), proba) == pytest.approx(average_precision(Y, PROBA))
    assert metrics.class_recall(Y.tolist(), proba, label=1) == pytest.approx(0.5)
    for name, metric in VALIDATION_METRICS.items():  # the validation metrics too
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert metric(Y.tolist(), proba) == pytest.approx(metric(Y, PROBA)), name


def test_a_class_index_outside_the_columns_is_refused():
    proba = np.array([[0.6, 0.4], [0.3, 0.7]])
    for bad in (2, -1, True, 1.0):
        with pytest.raises(ValueError, match="positive="):
            average_precision([0, 1], proba, positive=bad)
        with pytest.raises(ValueError, match="label="):
            metrics.class_recall([0, 1], proba, label=bad)


def test_the_recall_of_a_class_without_rows_is_nan():
    assert math.isnan(metrics.class_recall([0, 0], [[0.6, 0.4], [0.3, 0.7]], label=1))
