"""scikit-learn's and imbalanced-learn's estimator contracts at the defaults, no expected failures.

Only ``random_state`` is set: the checks compare repeated fits, which needs a seed.
"""

from imblearn.utils import estimator_checks as imblearn_checks
from sklearn.utils.estimator_checks import parametrize_with_checks

from skimbnet import BalancedNetClassifier


@parametrize_with_checks([BalancedNetClassifier(random_state=0)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


@imblearn_checks.parametrize_with_checks([BalancedNetClassifier(random_state=0)])
def test_imblearn_compatible(estimator, check):
    check(estimator)
