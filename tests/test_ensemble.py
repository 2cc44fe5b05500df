"""BootstrapEnsembleClassifier: balanced draws, voting, warm start, parallel fits."""

import os
import warnings
from functools import partial

import joblib
import numpy as np
import pytest
import torch
from imblearn.under_sampling import RandomUnderSampler
from imblearn.utils import estimator_checks as imblearn_checks
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.utils.estimator_checks import parametrize_with_checks
from tiny_models import imbalanced, local_cluster, tiny_ensemble, tiny_net

from skimbnet import BalancedNetClassifier, BootstrapEnsembleClassifier
from skimbnet.ensemble import default_estimator
from skimbnet.losses import available_losses

# most tests' members: the default loss, 40 epochs, float64 (their outputs are compared exactly)
_member = partial(
    tiny_net, loss="ldam", max_epochs=40, class_weight=None, dtype="float64", random_state=None
)
#: the three-class problem of most tests (string labels, 80/15/5%)
THREE_CLASSES = dict(
    n_classes=3,
    n_features=20,
    weights=[0.8, 0.15],
    class_sep=1.0,
    flip_y=0,
    labels=("maj", "mid", "rare"),
)


# both estimator-check suites, at the defaults (ten default members), with no expected failures
@pytest.mark.slow
@parametrize_with_checks([BootstrapEnsembleClassifier()])
def test_sklearn_compatible_at_defaults(estimator, check):
    check(estimator)


@pytest.mark.slow
@imblearn_checks.parametrize_with_checks([BootstrapEnsembleClassifier()])
def test_imblearn_compatible_at_defaults(estimator, check):
    check(estimator)


class _Recorder(ClassifierMixin, BaseEstimator):
    """Remembers what it was fitted on (rows, labels, process, torch threads)."""

    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, X, y):
        self.X_seen_ = np.array(X)
        self.y_seen_ = np.array(y)
        self.classes_ = np.unique(y)
        self.pid_ = os.getpid()
        self.torch_threads_ = torch.get_num_threads()
        # a prediction that depends on the seed, so members differ
        rng = np.random.default_rng(self.random_state)
        self.weights_ = rng.uniform(size=len(self.classes_))
        return self

    def predict_proba(self, X):
        scores = np.outer(np.asarray(X)[:, 0], self.weights_) + self.weights_
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        return scores / scores.sum(axis=1, keepdims=True)

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def _rows_of_each_class(y, rows, classes):
    return np.array([np.sum(y[rows] == c) for c in classes])


# ----------------------------------------------------------------------- draws


def test_every_draw_holds_m_rows_of_each_class():
    X, y = imbalanced(600, **THREE_CLASSES)
    classes, counts = np.unique(y, return_counts=True)
    m = counts.min()
    assert m < counts.max() // 4  # the data really is imbalanced
    ens = BootstrapEnsembleClassifier(_Recorder(), n_estimators=6, random_state=0).fit(X, y)

    assert ens.samples_per_class_ == {c: m for c in classes}
    assert list(ens.classes_) == list(classes)
    np.testing.assert_array_equal(ens.class_counts_, counts)
    np.testing.assert_array_equal(ens.member_class_counts_, np.full((6, 3), m))
    assert len(ens.estimators_) == len(ens.estimators_samples_) == 6
    for member, rows in zip(ens.estimators_, ens.estimators_samples_):
        np.testing.assert_array_equal(_rows_of_each_class(y, rows, classes), [m, m, m])
        assert len(np.unique(rows)) == len(rows)  # without replacement
        # the member saw exactly these rows, with their original labels
        np.testing.assert_array_equal(member.X_seen_, X[rows])
        np.testing.assert_array_equal(member.y_seen_, y[rows])
        np.testing.assert_array_equal(member.classes_, ens.classes_)
    # every member holds all rare rows, and the majority rows differ between members
    rare = np.flatnonzero(y == classes[np.argmin(counts)])
    majority_draws = [
        set(rows) - set(np.flatnonzero(y != "maj")) for rows in ens.estimators_samples_
    ]
    assert all(set(rare) <= set(rows) for rows in ens.estimators_samples_)
    assert len(set.union(*majority_draws)) > 3 * m


def test_samples_per_class_int_dict_and_replacement():
    X, y = imbalanced(600, **THREE_CLASSES)
    counts = dict(zip(*np.unique(y, return_counts=True)))

    ens = BootstrapEnsembleClassifier(_Recorder(), n_estimators=3, samples_per_class=20)
    ens.set_params(random_state=1).fit(X, y)
    np.testing.assert_array_equal(ens.member_class_counts_, np.full((3, 3), 20))

    ens.set_params(samples_per_class={"maj": 100, np.str_("mid"): 40}).fit(X, y)
    assert ens.samples_per_class_ == {"maj": 100, "mid": 40, "rare": counts["rare"]}
    for rows in ens.estimators_samples_:
        np.testing.assert_array_equal(
            _rows_of_each_class(y, rows, ens.classes_), [100, 40, counts["rare"]]
        )

    ens.set_params(samples_per_class=2 * counts["rare"], replacement=True).fit(X, y)
    for rows in ens.estimators_samples_:
        np.testing.assert_array_equal(
            _rows_of_each_class(y, rows, ens.classes_), [2 * counts["rare"]] * 3
        )
        rare_rows = rows[y[rows] == "rare"]
        assert len(np.unique(rare_rows)) < len(rare_rows)  # drawn with replacement


def test_resampler_fills_small_classes_up():
    from imblearn.over_sampling import SMOTE

    X, y = imbalanced(600, **THREE_CLASSES)
    counts = dict(zip(*np.unique(y, return_counts=True)))
    ens = BootstrapEnsembleClassifier(
        _Recorder(), n_estimators=3, samples_per_class=100, resampler=SMOTE(), random_state=0
    ).fit(X, y)
    np.testing.assert_array_equal(ens.member_class_counts_, np.full((3, 3), 100))
    for member, rows in zip(ens.estimators_, ens.estimators_samples_):
        # the draw keeps the small classes whole; SMOTE adds synthetic rows up to 100
        np.testing.assert_array_equal(
            _rows_of_each_class(y, rows, ens.classes_), [100, counts["mid"], counts["rare"]]
        )
        assert len(member.y_seen_) == 300
        assert not any((member.X_seen_[-1] == X).all(axis=1))  # a synthetic row
    # different members got different SMOTE seeds
    assert not np.array_equal(ens.estimators_[0].X_seen_, ens.estimators_[1].X_seen_)


# ---------------------------------------------------------------------- voting


def test_soft_and_hard_voting():
    X, y = imbalanced(600, **THREE_CLASSES)
    soft = BootstrapEnsembleClassifier(_Recorder(), n_estimators=5, random_state=0).fit(X, y)
    hard = clone(soft).set_params(voting="hard").fit(X, y)

    member_probas = np.stack([m.predict_proba(X) for m in soft.estimators_])
    np.testing.assert_allclose(soft.predict_proba(X), member_probas.mean(axis=0))
    np.testing.assert_array_equal(
        soft.predict(X), soft.classes_[member_probas.mean(axis=0).argmax(axis=1)]
    )

    votes = np.stack([m.predict(X) for m in hard.estimators_])
    shares = np.stack([(votes == c).mean(axis=0) for c in hard.classes_], axis=1)
    np.testing.assert_allclose(hard.predict_proba(X), shares)
    np.testing.assert_array_equal(hard.predict(X), hard.classes_[shares.argmax(axis=1)])
    assert set(np.unique(hard.predict_proba(X) * 5)) <= {0.0, 1.0, 2.0, 3.0, 4.0, 5.0}
    # the two rules really differ on these members
    assert not np.allclose(soft.predict_proba(X), hard.predict_proba(X))
    np.testing.assert_allclose(soft.predict_log_proba(X), np.log(soft.predict_proba(X)))


def test_hard_voting_takes_members_without_predict_proba():
    X, y = imbalanced(600, **THREE_CLASSES)
    with pytest.raises(ValueError, match="voting='soft'"):
        BootstrapEnsembleClassifier(LinearSVC(), n_estimators=2).fit(X, y)
    ens = BootstrapEnsembleClassifier(LinearSVC(), n_estimators=3, voting="hard", random_state=0)
    ens.fit(X, y)
    assert set(ens.predict(X)) <= set(ens.classes_)
    assert ens.predict_proba(X).shape == (len(X), 3)


# ----------------------------------------------------- warm start, reproducibility


def _state(net):
    return {k: v.clone() for k, v in net.module_.state_dict().items()}


def test_warm_start_adds_members_and_keeps_old_ones():
    X, y = make_classification(n_samples=300, weights=[0.85], random_state=0)
    ens = tiny_ensemble(2, estimator=_member(), warm_start=True, random_state=3).fit(X, y)
    old_members = list(ens.estimators_)
    old_states = [_state(m) for m in old_members]
    old_samples = [rows.copy() for rows in ens.estimators_samples_]

    ens.set_params(n_estimators=4).fit(X, y)
    assert len(ens.estimators_) == len(ens.estimators_samples_) == 4
    assert ens.member_class_counts_.shape == (4, 2)
    for member, state, new in zip(old_members, old_states, ens.estimators_[:2]):
        assert new is member  # not refitted: same object, same weights
        for key, value in _state(new).items():
            torch.testing.assert_close(value, state[key], rtol=0, atol=0)
    for rows, new_rows in zip(old_samples, ens.estimators_samples_[:2]):
        np.testing.assert_array_equal(rows, new_rows)

    # growing 2 -> 4 gives the ensemble that 4 members fitted at once give
    fresh = tiny_ensemble(4, estimator=_member(), random_state=3).fit(X, y)
    for a, b in zip(fresh.estimators_samples_, ens.estimators_samples_):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(fresh.predict_proba(X), ens.predict_proba(X))

    with pytest.warns(UserWarning, match="no member was added"):
        ens.fit(X, y)
    assert len(ens.estimators_) == 4
    with pytest.raises(ValueError, match="n_estimators=3 must be >= len"):
        ens.set_params(n_estimators=3).fit(X, y)
    # without warm start, a refit replaces every member
    ens.set_params(warm_start=False, n_estimators=2).fit(X, y)
    assert all(m is not old for m, old in zip(ens.estimators_, old_members))


def test_reproducible_and_members_differ():
    X, y = make_classification(n_samples=300, weights=[0.85], random_state=1)
    a = tiny_ensemble(3, estimator=_member(), random_state=7).fit(X, y)
    b = tiny_ensemble(3, estimator=_member(), random_state=7).fit(X, y)
    c = tiny_ensemble(3, estimator=_member(), random_state=8).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    for rows_a, rows_b in zip(a.estimators_samples_, b.estimators_samples_):
        np.testing.assert_array_equal(rows_a, rows_b)
    assert not np.array_equal(a.estimators_samples_[0], c.estimators_samples_[0])
    assert not np.allclose(a.predict_proba(X), c.predict_proba(X))
    # members get distinct seeds and distinct draws
    seeds = [m.random_state for m in a.estimators_]
    assert len(set(seeds)) == 3 and all(isinstance(s, int) for s in seeds)
    assert not np.array_equal(a.estimators_samples_[0], a.estimators_samples_[1])
    # the user's estimator is left as it was
    assert a.estimator.random_state is None


# --------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(samples_per_class=10_000), r"samples_per_class=10000 asks for 10000 rows"),
        (dict(samples_per_class={"nope": 3}), r"samples_per_class has keys \['nope'\]"),
        (dict(samples_per_class={"rare": 0}), r"samples_per_class\['rare'\]=0 must be"),
        (dict(samples_per_class=0), r"'samples_per_class' parameter"),
        (dict(voting="majority"), r"'voting' parameter"),
        (dict(n_estimators=0), r"'n_estimators' parameter"),
        (dict(torch_threads=0), r"'torch_threads' parameter"),
        (dict(estimator="net"), r"'estimator' parameter"),
        (dict(estimator=LogisticRegression), r"estimator=LogisticRegression\(\)"),
        (dict(resampler=RandomUnderSampler), r"pass an instance: resampler=RandomUnderSampler\(\)"),
    ],
)
def test_clear_errors(params, match):
    X, y = imbalanced(600, **THREE_CLASSES)
    with pytest.raises(ValueError, match=match):
        BootstrapEnsembleClassifier(**{"estimator": _Recorder(), **params}).fit(X, y)


def test_one_class_and_warm_start_with_new_classes():
    X, y = imbalanced(600, **THREE_CLASSES)
    with pytest.raises(ValueError, match="only one class"):
        BootstrapEnsembleClassifier(_Recorder()).fit(X, np.zeros(len(X)))
    ens = BootstrapEnsembleClassifier(_Recorder(), n_estimators=1, warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match="warm_start=True: y has classes"):
        ens.set_params(n_estimators=2).fit(X[y != "rare"], y[y != "rare"])


def test_warm_start_refuses_members_drawn_otherwise():
    # samples_per_class_ and member_class_counts_ describe every member
    X, y = imbalanced(600, **THREE_CLASSES)
    ens = BootstrapEnsembleClassifier(_Recorder(), n_estimators=1, warm_start=True).fit(X, y)
    before = dict(ens.samples_per_class_)
    with pytest.raises(ValueError, match=r"adds members drawn as the first 1 were"):
        ens.set_params(n_estimators=2, samples_per_class=10).fit(X, y)
    with pytest.raises(ValueError, match=r"samples_per_class or the data changed"):
        ens.set_params(samples_per_class=None).fit(X[50:], y[50:])  # other counts
    assert ens.samples_per_class_ == before and len(ens.estimators_) == 1
    ens.fit(X, y)  # the same draw: added
    assert len(ens.estimators_) == 2


# ------------------------------------------------------------------ threads


def test_members_fit_with_limited_torch_threads():
    X, y = imbalanced(200, **THREE_CLASSES)
    before = torch.get_num_threads()
    ens = BootstrapEnsembleClassifier(_Recorder(), n_estimators=2, random_state=0).fit(X, y)
    assert [m.torch_threads_ for m in ens.estimators_] == [1, 1]
    assert torch.get_num_threads() == before  # restored

    ens.set_params(torch_threads=None).fit(X, y)
    assert [m.torch_threads_ for m in ens.estimators_] == [before, before]

    ens.set_params(torch_threads="auto", n_jobs=2).fit(X, y)
    expected = max(1, joblib.cpu_count() // 2)
    assert [m.torch_threads_ for m in ens.estimators_] == [expected, expected]
    assert all(m.pid_ != os.getpid() for m in ens.estimators_)  # in worker processes
    assert torch.get_num_threads() == before


def test_parallel_fit_equals_sequential_fit():
    X, y = make_classification(n_samples=300, weights=[0.85], random_state=0)
    sequential = tiny_ensemble(2, estimator=_member(), random_state=5).fit(X, y)
    parallel = tiny_ensemble(2, estimator=_member(), random_state=5, n_jobs=2).fit(X, y)
    np.testing.assert_allclose(parallel.predict_proba(X), sequential.predict_proba(X))


def test_dask_cluster_fits_members(tmp_path):
    distributed = pytest.importorskip("distributed")
    X, y = imbalanced(300, **THREE_CLASSES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dask's own deprecation/resource warnings
        with local_cluster(tmp_path) as cluster, distributed.Client(cluster) as client:
            worker_pids = set(client.run(os.getpid).values())
            with joblib.parallel_backend("dask"):
                ens = BootstrapEnsembleClassifier(
                    _Recorder(), n_estimators=4, random_state=0, torch_threads="auto"
                ).fit(X, y)
    assert len(worker_pids) == 2 and os.getpid() not in worker_pids
    member_pids = {m.pid_ for m in ens.estimators_}
    assert member_pids <= worker_pids
    # joblib's dask backend runs 2 jobs at once here, so each member got cores // 2 threads
    expected = max(1, joblib.cpu_count() // 2)
    assert [m.torch_threads_ for m in ens.estimators_] == [expected] * 4
    # the same ensemble as a sequential fit
    local = BootstrapEnsembleClassifier(_Recorder(), n_estimators=4, random_state=0).fit(X, y)
    np.testing.assert_array_equal(ens.predict_proba(X), local.predict_proba(X))
    for a, b in zip(ens.estimators_samples_, local.estimators_samples_):
        np.testing.assert_array_equal(a, b)


# ----------------------------------------------------- model selection, pandas


def test_pipeline_cross_validate_and_grid_search_over_member_loss():
    X, y = make_classification(n_samples=240, weights=[0.8], random_state=0)
    ens = tiny_ensemble(2, estimator=_member(max_epochs=15, dtype="float32"))
    pipe = make_pipeline(StandardScaler(), ens)
    scores = cross_validate(pipe, X, y, cv=StratifiedKFold(2), scoring="balanced_accuracy")
    assert scores["test_score"].shape == (2,)
    assert np.all(scores["test_score"] > 0.6)

    losses = sorted(available_losses())
    assert "ce" in losses
    search = GridSearchCV(ens, {"estimator__loss": losses}, cv=StratifiedKFold(2))
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == len(losses)
    best_loss = search.best_params_["estimator__loss"]
    assert all(m.loss == best_loss for m in search.best_estimator_.estimators_)


def test_string_labels_and_dataframe():
    pd = pytest.importorskip("pandas")
    X, y = imbalanced(300, **THREE_CLASSES)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    ens = tiny_ensemble(2, estimator=_member()).fit(frame, y)
    np.testing.assert_array_equal(ens.feature_names_in_, frame.columns)
    assert ens.n_features_in_ == X.shape[1]
    assert set(ens.predict(frame)) <= {"maj", "mid", "rare"}
    for member in ens.estimators_:
        np.testing.assert_array_equal(member.classes_, ens.classes_)


def test_default_member_is_a_small_unweighted_network():
    X, y = make_classification(n_samples=200, weights=[0.8], random_state=0)
    ens = BootstrapEnsembleClassifier(n_estimators=2, random_state=0)
    ens.set_params(estimator=default_estimator().set_params(max_epochs=3)).fit(X, y)
    assert ens.estimator_.class_weight is None
    # the member was measured without weight averaging (quality.md, eighth pass)
    assert ens.estimator_.weight_averaging is None
    assert "weight_averaging" not in dict(ens.estimators_[0].callbacks_)
    default = BootstrapEnsembleClassifier(n_estimators=1).fit(X[:60], y[:60])
    assert isinstance(default.estimator_, BalancedNetClassifier)
    assert default.estimator_.get_params(deep=False) == default_estimator().get_params(deep=False)
    assert isinstance(default.estimators_[0], BalancedNetClassifier)


def test_other_classifiers_as_members():
    X, y = imbalanced(600, **THREE_CLASSES)
    ens = BootstrapEnsembleClassifier(
        make_pipeline(StandardScaler(), LogisticRegression()), n_estimators=3, random_state=0
    ).fit(X, y)
    # nested random_state parameters are seeded per member too
    seeds = [m.get_params()["logisticregression__random_state"] for m in ens.estimators_]
    assert len(set(seeds)) == 3
    proba = ens.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert ens.score(X, y) > 0.5


def test_verbose_reports_progress(capsys):
    X, y = imbalanced(200, **THREE_CLASSES)
    BootstrapEnsembleClassifier(_Recorder(), n_estimators=2, verbose=0).fit(X, y)
    quiet = capsys.readouterr()
    BootstrapEnsembleClassifier(_Recorder(), n_estimators=2, verbose=11).fit(X, y)
    loud = capsys.readouterr()
    assert quiet.out + quiet.err == ""
    assert "Parallel" in loud.out + loud.err


def test_members_behind_a_feature_selector_cope_with_noise_columns():
    # the 97/3 problem of benchmarks/ensemble_bench.py (seed 0): 2 informative
    # columns, 2 redundant, 16 noise; each member selects columns on its own draw
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import train_test_split

    from skimbnet import L1FeatureSelector

    X, y = make_classification(n_samples=5000, weights=[0.97], class_sep=0.7, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.5, stratify=y, random_state=0
    )
    member = make_pipeline(L1FeatureSelector(C=0.1), default_estimator())
    selected = BootstrapEnsembleClassifier(member, random_state=0).fit(X_train, y_train)
    plain = BootstrapEnsembleClassifier(random_state=0).fit(X_train, y_train)
    score = balanced_accuracy_score(y_test, selected.predict(X_test))
    assert score >= 0.80
    assert score > balanced_accuracy_score(y_test, plain.predict(X_test))
    # every member chose its own columns, fewer than all 20
    kept = [m.named_steps["l1featureselector"].support_.sum() for m in selected.estimators_]
    assert all(1 <= k < 20 for k in kept)


def test_member_parameters_need_an_explicit_member():
    with pytest.raises(ValueError, match=r"estimator__max_epochs .* estimator=None .*"):
        BootstrapEnsembleClassifier().set_params(estimator__max_epochs=5)
    ens = BootstrapEnsembleClassifier().set_params(
        estimator=default_estimator(), estimator__max_epochs=5
    )
    assert ens.estimator.max_epochs == 5


def test_a_member_that_encodes_text_columns_gets_them_as_they_are():
    # scikit-learn's BaggingClassifier convention: the member's own encoder, by position
    from sklearn.compose import make_column_transformer
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import OneHotEncoder

    X, y = make_classification(n_samples=200, n_features=4, weights=[0.85], random_state=0)
    colour = np.where(np.arange(len(X)) % 3 == 0, "red", "blue").astype(object)
    colour[::10] = np.nan  # missing text, which the member imputes
    X_text = np.c_[X.astype(object), colour]
    before = X_text.copy()
    text = make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder())
    member = make_pipeline(
        make_column_transformer((text, [4]), remainder="passthrough"),
        LogisticRegression(),
    )
    ens = BootstrapEnsembleClassifier(member, n_estimators=2, random_state=0).fit(X_text, y)
    assert ens.predict_proba(X_text).shape == (len(X), 2)
    assert all(a == b or (a != a and b != b) for a, b in zip(X_text.ravel(), before.ravel()))
    # the library's own network takes numbers only, and the error names the ensemble
    with pytest.raises(ValueError, match="BootstrapEnsembleClassifier takes numeric features"):
        tiny_ensemble(2, estimator=_member()).fit(X_text, y)


def test_a_member_with_classes_of_its_own_is_refused_at_fit():
    X, y = make_classification(200, 5, n_informative=3, weights=[0.8], random_state=0)
    labels = np.array([3, 10])[y]
    member = tiny_net(classes=[3, 10, 99], max_epochs=2)
    ensemble = tiny_ensemble(n_estimators=2, estimator=member)
    with pytest.raises(ValueError, match=r"fitted with classes \[3, 10, 99\], but y has the"):
        ensemble.fit(X, labels)
    assert not hasattr(ensemble, "estimators_")


def test_a_resampler_that_removes_a_class_from_the_members_is_refused():
    X, y = make_classification(
        200, 5, n_informative=3, n_classes=3, weights=[0.6, 0.3], random_state=0
    )
    ensemble = tiny_ensemble(
        n_estimators=2, resampler=RandomUnderSampler(sampling_strategy={2: 0})
    )
    with pytest.raises(ValueError, match=r"removed every row of class 2 from a member's draw"):
        ensemble.fit(X, y)
