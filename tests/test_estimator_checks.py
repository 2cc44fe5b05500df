"""scikit-learn's and imbalanced-learn's estimator contracts, with no expected failures."""

from imblearn.utils import estimator_checks as imblearn_checks
from sklearn.utils.estimator_checks import parametrize_with_checks

from skimbnet import BalancedNetClassifier


def _small_net(**params):
    # float64: sample-weight equivalence is compared at 1e-7 relative, which
    # float32 rounding over many Adam steps cannot meet (the maths is exact)
    defaults = dict(
        hidden_layer_sizes=(32,), max_epochs=60, lr=1e-2, dtype="float64", random_state=0
    )
    defaults.update(params)
    return BalancedNetClassifier(**defaults)


@parametrize_with_checks([_small_net()])
def test_sklearn_compatible(estimator, check):
    check(estimator)


@imblearn_checks.parametrize_with_checks([_small_net()])
def test_imblearn_compatible(estimator, check):
    check(estimator)
