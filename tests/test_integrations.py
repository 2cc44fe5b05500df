"""skimbnet wherever a scikit-learn classifier works.

Pipelines (scikit-learn and imbalanced-learn), searches, cross-validation,
threshold tuning, calibration, metric displays, persistence and metadata
routing of ``sample_weight``, for ``BalancedNetClassifier`` and (where it
applies) ``BootstrapEnsembleClassifier``. Every fit is tiny (a few epochs of a
small network on a few hundred rows).
"""

import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError, UnsetMetadataPassedError
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    get_scorer,
    make_scorer,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import (
    GridSearchCV,
    RandomizedSearchCV,
    StratifiedKFold,
    TunedThresholdClassifierCV,
    cross_validate,
    train_test_split,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted
from tiny_models import TinyModule, imbalanced, tiny_ensemble, tiny_net
from torch import nn

from skimbnet import search_space
from skimbnet.losses import available_losses
from skimbnet.sampling import available_samplers

FACTORIES = {"net": tiny_net, "ensemble": tiny_ensemble}


@pytest.fixture(params=["net", "ensemble"])
def make(request):
    """Each estimator's factory (the tests that apply to both)."""
    return FACTORIES[request.param]


def split(X, y):
    return train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)


def members(estimator):
    return estimator.estimators_ if hasattr(estimator, "estimators_") else [estimator]


def rare_proba(estimator, X, label=1):
    return estimator.predict_proba(X)[:, list(estimator.classes_).index(label)]


# ------------------------------------------------------ pipelines, frames


def customer_frame(n=300, seed=0):
    """A DataFrame with numeric columns of very different scales and categorical ones."""
    X, y = make_classification(
        n_samples=n,
        n_features=3,
        n_informative=3,
        n_redundant=0,
        weights=[0.85],
        class_sep=1.5,
        random_state=seed,
    )
    rng = np.random.default_rng(seed)
    segment = np.where(
        y == 1,
        rng.choice(["b", "c"], n, p=[0.2, 0.8]),
        rng.choice(["a", "b", "c"], n, p=[0.5, 0.4, 0.1]),
    )
    frame = pd.DataFrame(
        {
            "age": 40 + 10 * X[:, 0],
            "income": 50_000 + 20_000 * X[:, 1],
            "ratio": 0.01 * X[:, 2],
            "segment": pd.Categorical(segment),
            "channel": rng.choice(["web", "shop", "phone"], n),
        }
    )
    return frame, np.where(y == 1, "fraud", "ok")


NUMERIC, CATEGORICAL = ["age", "income", "ratio"], ["segment", "channel"]


def frame_pipeline(estimator):
    prep = ColumnTransformer(
        [
            ("num", StandardScaler(), NUMERIC),
            ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), CATEGORICAL),
        ]
    )
    return Pipeline([("prep", prep), ("clf", estimator)]).set_output(transform="pandas")


def test_column_transformer_pipeline_on_a_dataframe(make):
    frame, y = customer_frame()
    f_train, f_test, y_train, y_test = split(frame, y)
    pipe = frame_pipeline(make()).fit(f_train, y_train)

    clf = pipe[-1]
    # the network saw the transformer's pandas output, column names included
    names = list(pipe[:-1].get_feature_names_out())
    assert list(clf.feature_names_in_) == names
    assert "cat__segment_c" in names and "num__income" in names
    assert_array_equal(pipe.classes_, ["fraud", "ok"])

    proba = pipe.predict_proba(f_test)
    assert proba.shape == (len(f_test), 2)
    assert_allclose(proba.sum(axis=1), 1.0)
    pred = pipe.predict(f_test)
    assert set(pred) <= {"fraud", "ok"}
    assert balanced_accuracy_score(y_test, pred) > 0.6

    # columns are found by name, and unseen categories are ignored
    assert_array_equal(pipe.predict(f_test[f_test.columns[::-1]]), pred)
    odd = f_test.assign(channel="carrier pigeon")
    assert pipe.predict(odd).shape == pred.shape

    # and the whole fitted pipeline pickles
    again = pickle.loads(pickle.dumps(pipe))
    assert_array_equal(again.predict_proba(f_test), proba)


def test_standardization_inside_the_net_is_not_needed_after_a_scaler():
    # the pipeline's scaler and the net's own standardisation agree: both see
    # unit-variance columns, so the two pipelines predict alike
    frame, y = customer_frame()
    with_own = frame_pipeline(tiny_net()).fit(frame, y)
    without = frame_pipeline(tiny_net(standardize=False)).fit(frame, y)
    agree = np.mean(with_own.predict(frame) == without.predict(frame))
    assert agree > 0.9


@pytest.mark.parametrize("resampler", ["smote", "undersample"])
def test_imblearn_pipeline_resamples_before_the_net(make, resampler):
    from imblearn.over_sampling import SMOTE
    from imblearn.pipeline import Pipeline as ImbPipeline
    from imblearn.under_sampling import RandomUnderSampler

    X, y = imbalanced()
    step = SMOTE(random_state=0) if resampler == "smote" else RandomUnderSampler(random_state=0)
    pipe = ImbPipeline([("scale", StandardScaler()), ("resample", step), ("clf", make())])
    pipe.fit(X, y)

    counts = np.bincount(y)
    per_class = counts.max() if resampler == "smote" else counts.min()
    # the estimator was trained on the resampled, balanced rows
    assert_array_equal(pipe[-1].class_counts_, [per_class, per_class])
    if hasattr(pipe[-1], "member_class_counts_"):
        # each member's balanced draw of the resampled rows
        assert (pipe[-1].member_class_counts_ == per_class).all()
    # predicting does not resample: one prediction per row, as the net alone
    pred = pipe.predict(X)
    assert pred.shape == y.shape
    assert_array_equal(pred, pipe[-1].predict(pipe[0].transform(X)))
    assert balanced_accuracy_score(y, pred) > 0.6


# ---------------------------------------------------------------- searches


def test_grid_search_over_losses_and_class_weights_in_parallel():
    X, y = imbalanced()
    losses = list(available_losses())
    grid = {"loss": losses, "class_weight": [None, "balanced"]}
    search = GridSearchCV(
        tiny_net(),
        grid,
        scoring="balanced_accuracy",
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
        n_jobs=2,
        error_score="raise",
    ).fit(X, y)

    scores = search.cv_results_["mean_test_score"]
    assert len(scores) == 2 * len(losses)
    assert np.isfinite(scores).all()
    assert {p["loss"] for p in search.cv_results_["params"]} == set(losses)
    # the strategies change what the net learns
    assert len(np.unique(np.round(scores, 8))) > 1
    assert search.best_score_ == pytest.approx(scores.max())
    best = search.best_estimator_
    check_is_fitted(best)
    assert best.loss_.name == search.best_params_["loss"]
    assert best.class_weight == search.best_params_["class_weight"]


def test_grid_search_over_samplers_and_shapes_by_average_precision():
    X, y = imbalanced()
    samplers = list(available_samplers())
    grid = {"sampler": samplers, "hidden_layer_sizes": [(8,), (16, 8)]}
    search = GridSearchCV(
        tiny_net(), grid, scoring="average_precision", cv=3, n_jobs=2, error_score="raise"
    ).fit(X, y)

    scores = search.cv_results_["mean_test_score"]
    assert len(scores) == 2 * len(samplers)
    assert np.isfinite(scores).all() and (scores > 0).all() and (scores <= 1).all()
    best = search.best_estimator_
    assert tuple(best.hidden_layer_sizes) == search.best_params_["hidden_layer_sizes"]
    widths = [m.out_features for m in best.module_.modules() if isinstance(m, nn.Linear)]
    assert widths[:-1] == list(search.best_params_["hidden_layer_sizes"])


def test_grid_search_over_module_parameters_and_lr():
    X, y = imbalanced()
    grid = {"module__width": [4, 32], "lr": [1e-3, 3e-2]}
    search = GridSearchCV(
        tiny_net(module=TinyModule), grid, scoring="f1_macro", cv=3, n_jobs=2, error_score="raise"
    ).fit(X, y)

    assert len(search.cv_results_["params"]) == 4
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    best = search.best_estimator_
    assert isinstance(best.module_, TinyModule)
    assert best.module_.hidden.out_features == search.best_params_["module__width"]
    assert best.optimizer_.param_groups[0]["lr"] == search.best_params_["lr"]


def test_randomized_search_over_skimbnets_search_space():
    X, y = imbalanced()
    space = search_space(
        backend="sklearn",
        losses=["ce", "focal"],  # losses that do not correct: the samplers are searched too
        hidden_layer_sizes=[(8,), (16,)],
        lr=(1e-3, 3e-2),
    )
    search = RandomizedSearchCV(
        tiny_net(),
        space,
        n_iter=4,
        scoring="f1_macro",
        cv=3,
        n_jobs=2,
        random_state=0,
        error_score="raise",
    ).fit(X, y)

    tried = search.cv_results_["params"]
    assert len(tried) == 4
    for params in tried:
        assert params["loss"] in ("ce", "focal")
        assert params["sampler"] in available_samplers()
        assert params["class_weight"] in ("auto", None)
        assert 1e-3 <= params["lr"] <= 3e-2
        assert 0 <= params["dropout"] <= 0.5
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    best = search.best_estimator_
    for name, value in search.best_params_.items():
        assert best.get_params()[name] == value


def test_grid_search_over_an_ensemble_and_its_members():
    X, y = imbalanced()
    grid = {"estimator__loss": ["ce", "focal"], "n_estimators": [2, 3]}
    search = GridSearchCV(
        tiny_ensemble(), grid, scoring="f1_macro", cv=3, n_jobs=2, error_score="raise"
    ).fit(X, y)

    assert len(search.cv_results_["params"]) == 4
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    best = search.best_estimator_
    assert len(best.estimators_) == search.best_params_["n_estimators"]
    assert {m.loss_.name for m in best.estimators_} == {search.best_params_["estimator__loss"]}


def test_randomized_search_over_an_ensembles_search_space():
    X, y = imbalanced()
    ensemble = tiny_ensemble()
    space = search_space(
        ensemble, backend="sklearn", hidden_layer_sizes=[(8,)], n_estimators=(2, 3)
    )
    assert all(k.startswith("estimator__") for k in space if k != "n_estimators")
    search = RandomizedSearchCV(
        ensemble, space, n_iter=2, scoring="balanced_accuracy", cv=3, random_state=0
    ).fit(X, y)
    best = search.best_estimator_
    assert 2 <= len(best.estimators_) <= 3
    assert best.estimators_[0].lr == pytest.approx(search.best_params_["estimator__lr"])


def test_successive_halving_with_epochs_as_the_resource():
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    from sklearn.model_selection import HalvingGridSearchCV

    X, y = imbalanced()
    grid = {"loss": ["ce", "focal", "logit_adjusted", "soft_f1"], "lr": [1e-3, 1e-2]}
    search = HalvingGridSearchCV(
        tiny_net(),
        grid,
        resource="max_epochs",
        min_resources=2,
        max_resources=8,
        factor=2,
        cv=3,
        scoring="balanced_accuracy",
        random_state=0,
        error_score="raise",
    ).fit(X, y)

    assert search.n_resources_ == [2, 4, 8]
    assert search.n_candidates_ == [8, 4, 2]
    best = search.best_estimator_
    # the survivor was refitted with the full budget of epochs
    assert best.max_epochs == search.best_params_["max_epochs"] == 8
    assert len(best.history) == 8


def test_stacking_nets_with_another_model(make):
    from sklearn.ensemble import StackingClassifier
    from sklearn.linear_model import LogisticRegression

    X, y = imbalanced()
    X_train, X_test, y_train, y_test = split(X, y)
    stack = StackingClassifier(
        [("skimbnet", make()), ("linear", LogisticRegression(class_weight="balanced"))],
        final_estimator=LogisticRegression(class_weight="balanced"),
        cv=3,
    ).fit(X_train, y_train)
    check_is_fitted(stack.named_estimators_["skimbnet"])
    proba = stack.predict_proba(X_test)
    assert proba.shape == (len(X_test), 2)
    assert balanced_accuracy_score(y_test, stack.predict(X_test)) > 0.6


# ------------------------------------------------------- cross-validation


def test_cross_validate_with_several_scorers_returns_the_fold_models(make):
    X, y = imbalanced()
    template = make()
    scoring = {
        "bacc": "balanced_accuracy",
        "ap": "average_precision",
        "f1": "f1_macro",
        "auc": "roc_auc",
        "rare_recall": make_scorer(recall_score, pos_label=1),
    }
    result = cross_validate(
        template,
        X,
        y,
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
        scoring=scoring,
        return_estimator=True,
        return_indices=True,
    )

    for name in scoring:
        scores = result[f"test_{name}"]
        assert scores.shape == (3,) and np.isfinite(scores).all()
    with pytest.raises(NotFittedError):
        check_is_fitted(template)  # the template is cloned, never fitted
    for i, fitted in enumerate(result["estimator"]):
        assert fitted is not template
        test = result["indices"]["test"][i]
        pred, proba = fitted.predict(X[test]), rare_proba(fitted, X[test])
        assert balanced_accuracy_score(y[test], pred) == pytest.approx(result["test_bacc"][i])
        assert average_precision_score(y[test], proba) == pytest.approx(result["test_ap"][i])
        assert roc_auc_score(y[test], proba) == pytest.approx(result["test_auc"][i])
        assert recall_score(y[test], pred) == pytest.approx(result["test_rare_recall"][i])
    assert result["test_bacc"].mean() > 0.6


# ------------------------------------------------ thresholds, calibration


def test_tuned_threshold_for_f1_on_the_rare_class(make):
    X, y = imbalanced(labels=["common", "rare"])
    X_train, X_test, y_train, y_test = split(X, y)
    f1_rare = make_scorer(f1_score, pos_label="rare")
    tuned = TunedThresholdClassifierCV(
        make(), scoring=f1_rare, cv=3, store_cv_results=True, random_state=0
    ).fit(X_train, y_train)

    assert 0 < tuned.best_threshold_ < 1
    assert tuned.best_score_ == pytest.approx(np.max(tuned.cv_results_["scores"]))
    # predictions are the refitted model's rare-class probability, thresholded
    proba = rare_proba(tuned.estimator_, X_test, "rare")
    expected = np.where(proba >= tuned.best_threshold_, "rare", "common")
    assert_array_equal(tuned.predict(X_test), expected)
    assert f1_score(y_test, tuned.predict(X_test), pos_label="rare") > 0.4


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_calibration_brings_probabilities_back_to_the_class_prior(make, method):
    X, y = imbalanced(n=400)
    X_train, X_test, y_train, y_test = split(X, y)
    raw = make().fit(X_train, y_train)
    calibrated = CalibratedClassifierCV(make(), method=method, cv=3).fit(X_train, y_train)

    assert len(calibrated.calibrated_classifiers_) == 3
    for fold in calibrated.calibrated_classifiers_:
        assert type(fold.estimator) is type(raw)
        check_is_fitted(fold.estimator)
    proba = calibrated.predict_proba(X_test)
    assert_allclose(proba.sum(axis=1), 1.0)
    # balanced training inflates the rare class's probability; calibration
    # maps it back towards the rare class's share of the rows
    prior = y_train.mean()
    assert rare_proba(raw, X_test).mean() > proba[:, 1].mean() + 0.05
    assert abs(proba[:, 1].mean() - prior) < 0.08


def test_calibrating_a_fitted_net_with_frozen_estimator():
    X, y = imbalanced(n=400)
    X_train, X_cal, y_train, y_cal = split(X, y)
    net = tiny_net().fit(X_train, y_train)
    before = net.predict_proba(X_cal)
    calibrated = CalibratedClassifierCV(FrozenEstimator(net), method="sigmoid").fit(X_cal, y_cal)
    # the frozen net is not refitted
    assert_array_equal(net.predict_proba(X_cal), before)
    assert calibrated.calibrated_classifiers_[0].estimator.estimator is net
    assert abs(calibrated.predict_proba(X_cal)[:, 1].mean() - y_cal.mean()) < 0.05


def test_metric_displays_on_a_fitted_model(make):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay, PrecisionRecallDisplay, RocCurveDisplay

    X, y = imbalanced(labels=["common", "rare"])
    X_train, X_test, y_train, y_test = split(X, y)
    model = make().fit(X_train, y_train)
    proba = rare_proba(model, X_test, "rare")
    try:
        pr = PrecisionRecallDisplay.from_estimator(model, X_test, y_test, pos_label="rare")
        assert pr.average_precision == pytest.approx(
            average_precision_score(y_test, proba, pos_label="rare")
        )
        roc = RocCurveDisplay.from_estimator(model, X_test, y_test, pos_label="rare")
        assert roc.roc_auc == pytest.approx(roc_auc_score(y_test == "rare", proba))
        cm = ConfusionMatrixDisplay.from_estimator(model, X_test, y_test)
        assert_array_equal(cm.confusion_matrix, confusion_matrix(y_test, model.predict(X_test)))
        assert [t.get_text() for t in cm.ax_.get_xticklabels()] == ["common", "rare"]
    finally:
        plt.close("all")


# ------------------------------------------------------------- persistence


def _round_trip(estimator, how, tmp_path):
    if how == "pickle":
        return pickle.loads(pickle.dumps(estimator))
    if how == "joblib":
        path = tmp_path / "model.joblib"
        joblib.dump(estimator, path)
        return joblib.load(path)
    return clone(estimator)


def _all_on_cpu(estimator):
    return all(p.device.type == "cpu" for m in members(estimator) for p in m.module_.parameters())


@pytest.mark.parametrize("how", ["pickle", "joblib", "clone"])
def test_fitted_round_trip_predicts_identically(make, how, tmp_path):
    X, y = imbalanced()
    X_train, X_test, y_train, _ = split(X, y)
    model = make().fit(X_train, y_train)
    expected = model.predict_proba(X_test)

    other = _round_trip(model, how, tmp_path)
    assert other is not model
    if how == "clone":
        # clone gives the unfitted model; the same seed refits it identically
        with pytest.raises(NotFittedError):
            other.predict(X_test)
        other.fit(X_train, y_train)
    assert_array_equal(other.predict_proba(X_test), expected)
    assert_array_equal(other.predict(X_test), model.predict(X_test))
    assert other.get_params(deep=False).keys() == model.get_params(deep=False).keys()
    assert _all_on_cpu(other)


@pytest.mark.parametrize("how", ["pickle", "joblib", "clone"])
def test_unfitted_round_trip_fits_identically(make, how, tmp_path):
    X, y = imbalanced()
    X_train, X_test, y_train, _ = split(X, y)
    model = make()
    other = _round_trip(model, how, tmp_path)
    with pytest.raises(NotFittedError):
        other.predict(X_test)
    assert repr(other) == repr(model)
    expected = model.fit(X_train, y_train).predict_proba(X_test)
    assert_array_equal(other.fit(X_train, y_train).predict_proba(X_test), expected)


def test_unpickled_net_keeps_training():
    X, y = imbalanced()
    net = tiny_net().fit(X, y)
    again = pickle.loads(pickle.dumps(net))
    # the optimizer state came along: one more epoch each continues alike
    net.set_params(max_epochs=1).partial_fit(X, y)
    again.set_params(max_epochs=1).partial_fit(X, y)
    assert len(again.history) == len(net.history) == 5
    assert_allclose(again.predict_proba(X), net.predict_proba(X), rtol=1e-6, atol=1e-7)


# ----------------------------------------------- sample_weight and routing


def weighted_problem():
    X, y = imbalanced()
    weights = np.random.default_rng(0).uniform(0.2, 3.0, len(y))
    return X, y, weights


def test_sample_weight_through_a_pipeline_without_routing():
    X, y, w = weighted_problem()
    pipe = Pipeline([("scale", StandardScaler()), ("clf", tiny_net())])
    pipe.fit(X, y, clf__sample_weight=w)
    assert_allclose(pipe[-1].class_counts_, np.bincount(y, weights=w))


def test_sample_weight_routed_through_pipeline_search_and_cv():
    X, y, w = weighted_problem()
    weighted_counts = np.bincount(y, weights=w)
    with sklearn.config_context(enable_metadata_routing=True):
        net = tiny_net().set_fit_request(sample_weight=True)
        scaler = StandardScaler().set_fit_request(sample_weight=True)
        pipe = Pipeline([("scale", scaler), ("clf", net)])
        # under routing every consumer says whether it wants the weights
        unweighted = get_scorer("balanced_accuracy").set_score_request(sample_weight=False)
        weighted = get_scorer("balanced_accuracy").set_score_request(sample_weight=True)

        pipe.fit(X, y, sample_weight=w)
        assert_allclose(pipe[-1].class_counts_, weighted_counts)
        assert_allclose(pipe[0].mean_, np.average(X, axis=0, weights=w))

        # every fold gets its rows' weights
        result = cross_validate(
            pipe,
            X,
            y,
            params={"sample_weight": w},
            cv=3,
            scoring=unweighted,
            return_estimator=True,
            return_indices=True,
        )
        for fitted, train in zip(result["estimator"], result["indices"]["train"]):
            assert_allclose(fitted[-1].class_counts_, np.bincount(y[train], weights=w[train]))

        # a search refits the best pipeline with all the weights, and weighted
        # scoring (the scorer asks for the weights too) changes the scores
        grid = {"clf__lr": [1e-3, 1e-2]}
        search = GridSearchCV(pipe, grid, cv=3, scoring=unweighted).fit(X, y, sample_weight=w)
        assert_allclose(search.best_estimator_[-1].class_counts_, weighted_counts)
        search_w = GridSearchCV(pipe, grid, cv=3, scoring=weighted).fit(X, y, sample_weight=w)
        assert_allclose(search_w.best_estimator_[-1].class_counts_, weighted_counts)
        assert not np.allclose(
            search_w.cv_results_["mean_test_score"], search.cv_results_["mean_test_score"]
        )

        # weights no step asked for are an error, never silently dropped
        with pytest.raises(UnsetMetadataPassedError):
            Pipeline([("clf", tiny_net())]).fit(X, y, sample_weight=w)
