"""L1FeatureSelector: keep the features a sparse, class-balanced linear model uses.

A network trained on a few hundred rows (an ensemble member's balanced draw)
cannot tell the informative columns from the noise ones: every extra column is
another direction to overfit in. An L1 penalty answers that question cheaply
and, with balanced class weights, without letting the majority class decide.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
import sklearn
from sklearn.base import BaseEstimator
from sklearn.feature_selection import SelectorMixin
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import Interval
from sklearn.utils.fixes import parse_version
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["L1FeatureSelector"]

# scikit-learn 1.8 deprecated ``penalty``; ``l1_ratio=1`` is its spelling of L1 since
_L1_KWARGS = (
    {"l1_ratio": 1.0} if parse_version(sklearn.__version__).release >= (1, 8) else {"penalty": "l1"}
)


class L1FeatureSelector(SelectorMixin, BaseEstimator):
    """Keep the features that an L1-penalised, class-balanced logistic regression uses.

    The features are standardised, then one L1-penalised logistic regression
    with ``class_weight="balanced"`` is fitted per class (class against the
    rest; a single one for two classes). A feature is kept when any of them
    gives it a non-zero coefficient. When none does (too strong a penalty for
    too little data), every feature is kept, so the next step always gets
    input. ``transform`` returns the kept columns of the input, unscaled.

    It is not part of the default member: put it in front of one,
    ``make_pipeline(L1FeatureSelector(), default_estimator())``, and it is
    fitted on each member's balanced draw (the ensembles guide's recipe for
    many noise columns).

    Parameters
    ----------
    C : float, default=0.1
        Inverse strength of the L1 penalty (scikit-learn's ``C``); smaller
        keeps fewer features.
    random_state : int, RandomState or None, default=None
        Seed of liblinear's coordinate order.

    Attributes
    ----------
    support_ : ndarray of shape (n_features_in_,)
        Boolean mask of the kept features.
    estimators_ : list of LogisticRegression
        The fitted models (one, or one per class).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features, when ``X`` had string column names.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skimbnet.feature_selection import L1FeatureSelector
    >>> X, y = make_classification(n_samples=300, n_features=20, n_informative=2,
    ...                            n_redundant=0, shuffle=False, random_state=0)
    >>> selector = L1FeatureSelector(C=0.1).fit(X, y)  # the 2 informative columns come first
    >>> selector.get_support(indices=True)
    array([0, 1])
    >>> selector.transform(X).shape
    (300, 2)
    """

    _parameter_constraints: dict = {
        "C": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
    }

    def __init__(self, C=0.1, random_state=None):
        self.C = C
        self.random_state = random_state

    def fit(self, X, y):
        """Fit the penalised models on ``X``, ``y`` and choose the features.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric features.
        y : array-like of shape (n_samples,)
            Class labels (at least two classes).

        Returns
        -------
        self : L1FeatureSelector
        """
        self._validate_params()
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(
                "L1FeatureSelector needs at least 2 classes in y; got 1 class "
                f"({classes.tolist()})."
            )
        Z = StandardScaler().fit_transform(X)
        targets = [y == classes[1]] if len(classes) == 2 else [y == c for c in classes]
        self.estimators_ = [
            LogisticRegression(
                C=self.C,
                solver="liblinear",
                class_weight="balanced",
                random_state=self.random_state,
                **_L1_KWARGS,
            ).fit(Z, target)
            for target in targets
        ]
        used = np.any([est.coef_[0] != 0 for est in self.estimators_], axis=0)
        self.support_ = used if used.any() else np.ones(X.shape[1], dtype=bool)
        return self

    def _get_support_mask(self):
        check_is_fitted(self, "support_")
        return self.support_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
