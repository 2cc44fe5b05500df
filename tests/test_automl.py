"""search_space, Optuna's OptunaSearchCV and a FLAML learner.

The Optuna and FLAML tests need the ``automl`` extra
(``pip install "skimbnet[automl]"``) and are skipped without it; the search
space itself and the lazy imports are tested always.
"""

import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.model_selection import ParameterSampler
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted
from tiny_models import imbalanced, tiny_ensemble, tiny_net

from skimbnet import BalancedNetClassifier, BootstrapEnsembleClassifier, search_space
from skimbnet.losses import available_losses
from skimbnet.sampling import available_samplers

# ------------------------------------------------------------ the space


def test_default_space_covers_every_loss_and_corrects_once():
    space = search_space(backend="sklearn")
    assert space["loss"] == list(available_losses())
    # ldam, logit_adjusted and balanced_softmax correct already: no sampler beside them
    assert "sampler" not in space
    for losses in (["ce", "focal"], ["soft_f1"]):
        narrowed = search_space(backend="sklearn", losses=losses)
        assert narrowed["sampler"] == list(available_samplers())
    assert "sampler" not in search_space(backend="sklearn", losses=None)  # the default ldam
    own = search_space(BalancedNetClassifier(loss="ce"), backend="sklearn", losses=None)
    assert own["sampler"] == list(available_samplers())
    # the network's own corrections count as the classifier counts them
    for net, options in [
        (BalancedNetClassifier(loss="ce", logit_adjustment=1.0), {}),
        (BalancedNetClassifier(class_weight="balanced"), dict(class_weights=None)),
    ]:
        assert "sampler" not in search_space(net, backend="sklearn", losses=["ce"], **options)
    weighted = BalancedNetClassifier(class_weight="balanced")
    searched = search_space(weighted, backend="sklearn", losses=["ce"])
    assert "sampler" in searched  # the searched "auto"/None replace the explicit weights
    # the network's own sampler__*/loss__* parameters are no trouble
    tuned = BalancedNetClassifier(loss="ce", sampler="progressive", sampler__reverse=True)
    assert "sampler" in search_space(tuned, backend="sklearn", losses=None)
    focal = BalancedNetClassifier(loss="focal", loss__gamma=3.0)
    assert "sampler" in search_space(focal, backend="sklearn", losses=["ce", "focal"])
    # "effective" beside a correcting loss or sampler would correct twice
    assert space["class_weight"] == ["auto", None]
    assert all(isinstance(s, tuple) for s in space["hidden_layer_sizes"])
    assert {"lr", "optimizer__weight_decay", "dropout"} <= set(space)
    assert "max_epochs" not in space and "n_estimators" not in space


def test_options_narrow_and_drop_parameters():
    space = search_space(
        backend="sklearn",
        losses=["ce", "focal"],
        samplers=None,
        class_weights=[None],
        hidden_layer_sizes=[[8], (16, 8)],
        weight_decay=None,
        max_epochs=(5, 50),
    )
    assert space["loss"] == ["ce", "focal"]
    assert space["hidden_layer_sizes"] == [(8,), (16, 8)]
    assert "sampler" not in space and "optimizer__weight_decay" not in space
    epochs = space["max_epochs"].rvs(size=200, random_state=0)
    assert epochs.min() >= 5 and epochs.max() <= 50
    lr = space["lr"].rvs(size=200, random_state=0)
    assert lr.min() >= 1e-4 and lr.max() <= 3e-2


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"hidden_layer_sizes": [(64.5,)]}, "hidden_layer_sizes must hold tuples of positive ints"),
        ({"hidden_layer_sizes": [(8, 0)]}, "hidden_layer_sizes must hold tuples of positive ints"),
        ({"hidden_layer_sizes": [64]}, "hidden_layer_sizes must hold tuples of positive ints"),
        ({"max_epochs": (5.5, 50)}, "'max_epochs' must be whole numbers"),
    ],
)
def test_shapes_and_integer_ranges_are_not_rounded(options, match):
    # a width of 64.5 or 5.5 epochs is a typo: refused, not silently rounded
    with pytest.raises(ValueError, match=match):
        search_space(backend="sklearn", **options)


def test_custom_module_has_no_shape_parameters():
    space = search_space(tiny_net(module=lambda n_features, n_classes: None), backend="sklearn")
    assert "hidden_layer_sizes" not in space and "dropout" not in space
    assert "loss" in space


def test_pipeline_keys_get_the_step_prefix():
    pipe = make_pipeline(StandardScaler(), tiny_net())
    space = search_space(pipe, backend="sklearn")
    assert space and all(k.startswith("balancednetclassifier__") for k in space)
    # and they are parameters the pipeline accepts
    pipe.set_params(**next(iter(ParameterSampler(space, n_iter=1, random_state=0))))


def test_ensemble_space_searches_members_and_size():
    space = search_space(tiny_ensemble(n_estimators=2), backend="sklearn")
    assert {"estimator__loss", "estimator__lr", "n_estimators"} <= set(space)
    # members train on balanced draws: no sampler or class weights by default
    assert "estimator__sampler" not in space and "estimator__class_weight" not in space
    sizes = space["n_estimators"].rvs(size=100, random_state=0)
    assert sizes.min() >= 3 and sizes.max() <= 30
    with pytest.raises(ValueError, match="estimator=None"):
        search_space(BootstrapEnsembleClassifier(), backend="sklearn")


def test_an_ensemble_of_pipelines_searches_the_network_inside():
    from sklearn.linear_model import LogisticRegression

    from skimbnet import L1FeatureSelector

    member = make_pipeline(L1FeatureSelector(C=0.1), tiny_net())
    ensemble = make_pipeline(StandardScaler(), tiny_ensemble(estimator=member))
    space = search_space(ensemble, backend="sklearn")
    outer = "bootstrapensembleclassifier__"
    assert {f"{outer}estimator__balancednetclassifier__loss", f"{outer}n_estimators"} <= set(
        space
    )
    ensemble.set_params(**next(iter(ParameterSampler(space, n_iter=1, random_state=0))))
    with pytest.raises(TypeError, match="member LogisticRegression is not a BalancedNetClass"):
        search_space(tiny_ensemble(estimator=LogisticRegression()), backend="sklearn")


def test_bad_options_are_reported():
    with pytest.raises(ValueError, match="unknown names"):
        search_space(backend="sklearn", losses=["no_such_loss"])
    with pytest.raises(ValueError, match="backend"):
        search_space(backend="hyperopt")
    with pytest.raises(ValueError, match="low > 0"):
        search_space(backend="sklearn", lr=(0, 1e-2))
    with pytest.raises(ValueError, match="ensembles only"):
        search_space(backend="sklearn", n_estimators=(2, 5))
    with pytest.raises(TypeError, match="cannot build a search space"):
        search_space(StandardScaler(), backend="sklearn")
    with pytest.raises(ValueError, match=r"range of 'dropout' must lie in \[0, 1\)"):
        search_space(backend="sklearn", dropout=(0.2, 1.5))
    with pytest.raises(ValueError, match="class_weight='bogus'"):
        search_space(backend="sklearn", class_weights=["bogus"])


def test_every_sampled_configuration_fits():
    X, y = imbalanced(n=200)
    space = search_space(backend="sklearn", hidden_layer_sizes=[(8,), (8, 4)])
    for params in ParameterSampler(space, n_iter=6, random_state=0):
        model = tiny_net(max_epochs=2).set_params(**params).fit(X, y)
        assert np.isfinite(model.predict_proba(X)).all()


def test_skimbnet_imports_and_searches_without_optuna_or_flaml():
    code = textwrap.dedent(
        """
        import sys
        for name in ("optuna", "optuna_integration", "flaml"):
            sys.modules[name] = None  # as if not installed
        import skimbnet
        from skimbnet.search import flaml_learner
        assert skimbnet.search_space(backend="sklearn")
        for build in (lambda: skimbnet.search_space(), flaml_learner):
            try:
                build()
            except ImportError as exc:
                assert "skimbnet[automl]" in str(exc), exc
            else:
                raise AssertionError("expected an ImportError")
        print("ok")
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


# ---------------------------------------------------------------- Optuna


def optuna_search_cv():
    pytest.importorskip("optuna")
    integration = pytest.importorskip("optuna_integration")
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return integration.OptunaSearchCV


@pytest.mark.filterwarnings("ignore:OptunaSearchCV is experimental")
@pytest.mark.filterwarnings("ignore:.*optuna.terminator.*:FutureWarning")
def test_optuna_search_over_the_net():
    OptunaSearchCV = optuna_search_cv()
    import optuna

    X, y = imbalanced()
    space = search_space(hidden_layer_sizes=[(8,), (16,)])
    assert all(isinstance(d, optuna.distributions.BaseDistribution) for d in space.values())
    search = OptunaSearchCV(
        tiny_net(),
        space,
        n_trials=4,
        cv=3,
        scoring="balanced_accuracy",
        random_state=0,
        error_score="raise",
    ).fit(X, y)

    assert len(search.trials_) == 4
    assert set(search.best_params_) == set(space)
    best = search.best_estimator_
    check_is_fitted(best)
    for name, value in search.best_params_.items():
        assert best.get_params()[name] == value
    assert 0 <= search.best_score_ <= 1
    assert search.predict(X).shape == y.shape


@pytest.mark.filterwarnings("ignore:OptunaSearchCV is experimental")
@pytest.mark.filterwarnings("ignore:.*optuna.terminator.*:FutureWarning")
def test_optuna_search_over_an_ensemble_in_a_pipeline():
    OptunaSearchCV = optuna_search_cv()

    X, y = imbalanced()
    pipe = make_pipeline(StandardScaler(), tiny_ensemble(n_estimators=2))
    space = search_space(
        pipe, losses=["ce", "focal"], hidden_layer_sizes=[(8,)], n_estimators=(2, 3)
    )
    search = OptunaSearchCV(
        pipe, space, n_trials=3, cv=3, scoring="f1_macro", random_state=0, error_score="raise"
    ).fit(X, y)
    ensemble = search.best_estimator_[-1]
    n = search.best_params_["bootstrapensembleclassifier__n_estimators"]
    assert len(ensemble.estimators_) == n
    loss = search.best_params_["bootstrapensembleclassifier__estimator__loss"]
    assert {m.loss_.name for m in ensemble.estimators_} == {loss}


# ----------------------------------------------------------------- FLAML


def flaml_automl():
    pytest.importorskip("flaml")
    pytest.importorskip("flaml.automl.model", reason="needs flaml[automl]")
    from flaml import AutoML

    return AutoML


def test_flaml_picks_the_skimbnet_learner():
    AutoML = flaml_automl()
    from skimbnet.search import FLAMLBalancedNet, flaml_learner

    X, y = imbalanced()
    learner = flaml_learner(tiny_net(), losses=["ce", "focal"], hidden_layer_sizes=[(8,), (16, 8)])
    assert issubclass(learner, FLAMLBalancedNet)
    space = learner.search_space(data_size=X.shape, task="binary")
    assert {"loss", "hidden_width", "hidden_depth", "lr"} <= set(space)

    automl = AutoML()
    automl.add_learner("skimbnet", learner)
    automl.fit(
        X,
        y,
        task="classification",
        estimator_list=["skimbnet"],
        metric="macro_f1",
        max_iter=3,
        eval_method="holdout",
        split_ratio=0.3,
        seed=0,
        verbose=0,
    )
    assert automl.best_estimator == "skimbnet"
    model = automl.model.estimator
    assert isinstance(model, BalancedNetClassifier)
    check_is_fitted(model)
    # the trial's parameters were set on a clone of the given net
    assert model.loss in ("ce", "focal")
    assert model.max_epochs == 4
    assert len(model.hidden_layer_sizes) in (1, 2)
    assert 8 <= model.hidden_layer_sizes[0] <= 16
    assert set(automl.best_config) >= {"loss", "hidden_width", "hidden_depth"}
    pred = automl.predict(X)
    assert pred.shape == y.shape and set(pred) <= {0, 1}
    assert automl.predict_proba(X).shape == (len(X), 2)
    # the fitted network pickles on its own
    assert_array_equal(pickle.loads(pickle.dumps(model)).predict(X), model.predict(X))


def test_flaml_learner_for_an_ensemble():
    flaml_automl()
    from skimbnet.search import flaml_learner

    learner = flaml_learner(tiny_ensemble(n_estimators=2), losses=["ce"], n_estimators=(2, 4))
    space = learner.search_space(data_size=(300, 6), task="binary")
    assert {"estimator__loss", "estimator__hidden_width", "n_estimators"} <= set(space)
    assert space["n_estimators"]["low_cost_init_value"] == 2

    X, y = imbalanced()
    trial = learner(task="binary", n_jobs=1, estimator__loss="ce", n_estimators=2)
    trial.fit(X, y)
    assert len(trial.model.estimators_) == 2
    assert trial.predict_proba(X).shape == (len(X), 2)


def test_flaml_learner_rejects_regression_and_unknown_options():
    flaml_automl()
    from skimbnet.search import FLAMLBalancedNet, flaml_learner

    with pytest.raises(ValueError, match="classifier; FLAML's task is 'regression'"):
        FLAMLBalancedNet(task="regression")
    with pytest.raises(TypeError, match="unknown search-space options"):
        flaml_learner(tiny_net(), backend="optuna")
