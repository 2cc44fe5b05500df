"""The strategies ``skimbnet compare`` ranks, each written as the code that builds it.

:func:`strategies` lists them in display order; :func:`build_strategy`
evaluates a strategy's code, so the model that is measured is exactly the one
the printed winner's code builds.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from .classifier import BalancedNetClassifier

__all__ = ["EARLY_STOPPED", "Strategy", "build_strategy", "strategies"]

#: what a strategy's code may use (imported before it is evaluated)
IMPORTS = """\
from imblearn.over_sampling import SMOTE
from sklearn.compose import make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import TunedThresholdClassifierCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from skimbnet import BalancedNetClassifier, BootstrapEnsembleClassifier
from skimbnet.ensemble import default_estimator
"""

#: the early-stopped recipe of the network strategies other than the default: one
#: network (no in-network ensemble), the epoch chosen on a stratified 15%
#: validation split (balanced accuracy), training stopped after ``patience``
#: epochs without improvement and the best epoch's weights restored
#: (``BalancedNetClassifier()`` itself trains 8 members on the features and 8 on
#: their 4-bin encodings for a fixed 60 epochs on all the rows, ``n_bins="auto"``,
#: and averages the weights of the last 12),
#: without a feature encoding
EARLY_STOPPED = {
    "n_members": 1,
    "n_bins": None,
    "train_split": "auto",
    "max_epochs": 200,
    "weight_decay": 0.01,
}


@dataclass(frozen=True)
class Strategy:
    """One leaderboard entry: a key, a display name, the code that builds it and its imports.

    ``binary_only``: it works on two classes only (it is left out, with a note, on more).
    """

    key: str
    name: str
    code: str
    imports: tuple[str, ...]
    binary_only: bool = False


class _Raw(str):
    """A keyword value written as code, not as its repr."""


def _net(random_state, cap, **kwargs) -> str:
    if cap is not None:
        default = inspect.signature(BalancedNetClassifier).parameters["max_epochs"].default
        kwargs["max_epochs"] = min(cap, kwargs.get("max_epochs", default))
    kwargs["random_state"] = random_state
    args = ", ".join(f"{k}={v if isinstance(v, _Raw) else repr(v)}" for k, v in kwargs.items())
    return f"BalancedNetClassifier({args})"


def _member_epochs() -> int:
    """The default ensemble member's epochs (what ``max_epochs`` caps)."""
    from .ensemble import default_estimator

    return default_estimator().max_epochs


def strategies(random_state: int = 0, max_epochs: int | None = None) -> list[Strategy]:
    """The leaderboard's strategies, in display order.

    ``max_epochs`` caps the networks' epochs (for quick runs).
    """
    rs, me = random_state, max_epochs
    net = ("from skimbnet import BalancedNetClassifier",)
    if max_epochs is None:
        ensemble = f"BootstrapEnsembleClassifier(random_state={rs})"
        ens_imports = ("from skimbnet import BootstrapEnsembleClassifier",)
    else:
        ensemble = (
            "BootstrapEnsembleClassifier("
            f"estimator=default_estimator().set_params(max_epochs={min(me, _member_epochs())}), "
            f"random_state={rs})"
        )
        ens_imports = (
            "from skimbnet import BootstrapEnsembleClassifier",
            "from skimbnet.ensemble import default_estimator",
        )
    es = EARLY_STOPPED
    smote = _Raw(f"SMOTE(random_state={rs})")
    return [
        Strategy("plain", "plain network", _net(rs, me, loss="ce", class_weight=None, **es), net),
        # BalancedNetClassifier()'s defaults: LDAM-DRW, 60 epochs, one network of 8 members
        # on the features and 8 on their 4-bin encodings
        Strategy("default", "BalancedNetClassifier() (the default)", _net(rs, me), net),
        Strategy(
            "class_weight",
            "class weights",
            _net(rs, me, loss="ce", class_weight="balanced", **es),
            net,
        ),
        Strategy(
            "focal",
            "focal loss",
            _net(rs, me, loss="focal", class_weight="balanced", **es),
            net,
        ),
        Strategy(
            "logit_adjusted",
            "logit-adjusted loss",
            _net(rs, me, loss="logit_adjusted", class_weight=None, **es),
            net,
        ),
        Strategy(
            "balanced_sampler",
            "balanced sampler",
            _net(rs, me, loss="ce", sampler="balanced", class_weight=None, **es),
            net,
        ),
        Strategy(
            "progressive_sampler",
            "progressive sampler",
            # a fixed budget, no early stopping: the curriculum ends on balanced batches
            # only at its last epoch (early stopping would cut it on the natural mix)
            _net(
                rs,
                me,
                loss="ce",
                sampler="progressive",
                class_weight=None,
                **{**es, "train_split": None, "max_epochs": 60},
            ),
            net,
        ),
        Strategy(
            "smote",
            "SMOTE",
            _net(rs, me, loss="ce", resampler=smote, class_weight=None, **es),
            net + ("from imblearn.over_sampling import SMOTE",),
        ),
        Strategy("bootstrap_ensemble", "bootstrap ensemble", ensemble, ens_imports),
        Strategy(
            "logistic_regression",
            "logistic regression (reference)",
            "make_pipeline(StandardScaler(), "
            "LogisticRegression(class_weight='balanced', max_iter=2000))",
            (
                "from sklearn.linear_model import LogisticRegression",
                "from sklearn.pipeline import make_pipeline",
                "from sklearn.preprocessing import StandardScaler",
            ),
        ),
        Strategy(
            "tuned_threshold",
            "logistic regression, tuned threshold (reference)",
            "TunedThresholdClassifierCV(make_pipeline(StandardScaler(), "
            "LogisticRegression(class_weight='balanced', max_iter=2000)), "
            "scoring='balanced_accuracy')",
            (
                "from sklearn.linear_model import LogisticRegression",
                "from sklearn.model_selection import TunedThresholdClassifierCV",
                "from sklearn.pipeline import make_pipeline",
                "from sklearn.preprocessing import StandardScaler",
            ),
            binary_only=True,  # one threshold: scikit-learn's tuning is binary only
        ),
    ]


def build_strategy(code: str):
    """The unfitted model that ``code`` (a strategy's, or one wrapping it) builds."""
    namespace: dict = {}
    exec(IMPORTS, namespace)  # noqa: S102 - our own constant import block
    return eval(code, namespace)  # noqa: S307 - code comes from strategies()
