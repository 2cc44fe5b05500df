"""L1FeatureSelector: the first step of the ensemble's default member."""

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.utils.estimator_checks import parametrize_with_checks

from skimbnet.feature_selection import L1FeatureSelector


@parametrize_with_checks([L1FeatureSelector()])
def test_scikit_learn_compatible(estimator, check):
    check(estimator)


def noisy_problem(n_classes=2, seed=0):
    # shuffle=False: the informative columns come first, the rest is noise
    return make_classification(
        n_samples=400,
        n_features=20,
        n_informative=3,
        n_redundant=0,
        n_classes=n_classes,
        weights=[0.9] + [0.1 / (n_classes - 1)] * (n_classes - 1),
        shuffle=False,
        random_state=seed,
    )


def test_keeps_the_informative_columns_and_drops_most_noise():
    X, y = noisy_problem()
    selector = L1FeatureSelector(C=0.05, random_state=0).fit(X, y)
    assert selector.support_[:3].any()
    assert selector.support_[3:].sum() <= 4  # of 17 noise columns
    assert np.array_equal(selector.transform(X), X[:, selector.support_])
    # a weaker penalty keeps more
    assert L1FeatureSelector(C=1.0, random_state=0).fit(X, y).support_.sum() > 10


def test_one_model_per_class_for_more_than_two_classes():
    X, y = noisy_problem(n_classes=3)
    selector = L1FeatureSelector(random_state=0).fit(X, y)
    assert len(selector.estimators_) == 3
    assert 1 <= selector.support_.sum() < X.shape[1]
    binary = L1FeatureSelector(random_state=0).fit(*noisy_problem())
    assert len(binary.estimators_) == 1


def test_keeps_every_feature_when_the_penalty_zeroes_them_all():
    X, y = noisy_problem()
    selector = L1FeatureSelector(C=1e-6).fit(X, y)
    assert all(np.all(est.coef_ == 0) for est in selector.estimators_)
    assert selector.support_.all()
    assert selector.transform(X).shape == X.shape


def test_leaves_the_input_alone_and_names_the_kept_columns():
    pd = pytest.importorskip("pandas")
    X, y = noisy_problem()
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    before = frame.copy()
    selector = L1FeatureSelector(random_state=0).fit(frame, y)
    pd.testing.assert_frame_equal(frame, before)
    names = selector.get_feature_names_out()
    assert list(names) == [f"f{i}" for i in np.flatnonzero(selector.support_)]


@pytest.mark.parametrize(
    "params, match",
    [({"C": 0.0}, "C"), ({"C": -1.0}, "C"), ({"C": "big"}, "C")],
)
def test_bad_parameters_are_named(params, match):
    X, y = noisy_problem()
    with pytest.raises(ValueError, match=match):
        L1FeatureSelector(**params).fit(X, y)


def test_one_class_is_refused_with_a_clear_message():
    X, _ = noisy_problem()
    with pytest.raises(ValueError, match="at least 2 classes"):
        L1FeatureSelector().fit(X, np.zeros(len(X)))
