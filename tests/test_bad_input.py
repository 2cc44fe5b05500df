"""Bad input to both estimators: a clear ValueError/TypeError naming what is accepted.

One matrix, run against :class:`BalancedNetClassifier` and
:class:`BootstrapEnsembleClassifier` (whose members are tiny networks: network
parameters such as ``loss`` or ``class_weight`` are given to the member).
``benchmarks/reliability_table.py`` prints the messages these inputs get.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from imblearn.over_sampling import SMOTE
from sklearn.datasets import make_classification
from tiny_models import shifted_rare_rows, tiny_ensemble, tiny_net

from skimbnet.augmentation import GaussianNoise
from skimbnet.callbacks import WeightAveraging

N, D = 60, 4


def make_data():
    """60 rows, 4 features, classes 0 (45 rows) and 1 (15 rows)."""
    return shifted_rare_rows(N, D, every=4)


@pytest.fixture(scope="module")
def data():
    return make_data()


def make(kind, **params):
    """The estimator under test, with network parameters on the network itself."""
    net_params = dict(hidden_layer_sizes=(8,), max_epochs=2)
    net_params.update(params)
    if kind == "net":
        return tiny_net(**net_params)
    member = tiny_net(**{"class_weight": None, "random_state": None, **net_params})
    return tiny_ensemble(n_estimators=2, estimator=member)


class WrongOutput(torch.nn.Module):
    """Five logits whatever the number of classes."""

    def __init__(self, n_features, n_classes):
        super().__init__()
        self.linear = torch.nn.Linear(n_features, 5)

    def forward(self, X):
        return self.linear(X)


def _with(X, row, col, value):
    X = X.astype(float)
    X[row, col] = value
    return X


def _words(X):
    # not X.astype(str): strings of numbers convert to floats, as in scikit-learn
    return np.char.add("v", X.astype(str))


def _labels_with(y, value):
    y = y.astype(object)
    y[3] = value
    return y


def _pandas_na_label(y):
    import pandas as pd

    labels = pd.Series(np.where(y == 1, "rare", "common"), dtype="string")
    labels[3] = pd.NA
    return labels


def _three_classes(y, n_rare):
    """A third class of ``n_rare`` rows (too few for SMOTE's 5 neighbours)."""
    y = y.copy()
    y[-n_rare:] = 2
    return y


# (id, call(kind, X, y), exception, message regex); a message may be a dict by kind
BAD = [
    (
        "nan_in_X",
        lambda k, X, y: make(k).fit(_with(X, 0, 0, np.nan), y),
        ValueError,
        "Input X contains NaN",
    ),
    (
        "inf_in_X",
        lambda k, X, y: make(k).fit(_with(X, 0, 0, np.inf), y),
        ValueError,
        "Input X contains infinity",
    ),
    (
        "nan_in_y",
        lambda k, X, y: make(k).fit(X, np.r_[np.nan, y[1:]]),
        ValueError,
        "Input y contains NaN",
    ),
    (
        "inf_in_y",
        lambda k, X, y: make(k).fit(X, np.r_[np.inf, y[1:]]),
        ValueError,
        "Input y contains infinity",
    ),
    (
        "none_label",
        lambda k, X, y: make(k).fit(X, _labels_with(y, None)),
        ValueError,
        r"y has 1 missing label\(s\) \(None, NaN or pandas.NA\), the first at row 3",
    ),
    (
        "nan_label_among_strings",
        lambda k, X, y: make(k).fit(X, _labels_with(y.astype(str), np.nan)),
        ValueError,
        r"y has 1 missing label\(s\)",
    ),
    (
        "pandas_na_label",
        lambda k, X, y: make(k).fit(X, _pandas_na_label(y)),
        ValueError,
        r"y has 1 missing label\(s\) \(None, NaN or pandas.NA\), the first at row 3",
    ),
    (
        "overflowing_X",
        lambda k, X, y: make(k).fit(X * 1e160, y),
        ValueError,
        r"X: the mean or standard deviation of feature\(s\) \[0, 1, 2, 3\] overflows float64",
    ),
    (
        "overflowing_wide_X",
        lambda k, X, y: make(k).fit(np.hstack([X, X]) * 1e160, y),
        ValueError,
        r"feature\(s\) \[0, 1, 2, 3, 4\] and 3 more overflows float64",
    ),
    (
        "empty_X",
        lambda k, X, y: make(k).fit(X[:0], y[:0]),
        ValueError,
        r"Found array with 0 sample\(s\)",
    ),
    (
        "one_row",
        lambda k, X, y: make(k).fit(X[:1], y[:1]),
        ValueError,
        {
            "net": r"Found array with 1 sample\(s\) .* a minimum of 2 is required",
            "ensemble": "needs samples of at least 2 classes in y",
        },
    ),
    (
        "one_class",
        lambda k, X, y: make(k).fit(X, np.zeros(N, int)),
        ValueError,
        r"needs samples of at least 2 classes in y, but y contains only one class",
    ),
    (
        "continuous_y",
        lambda k, X, y: make(k).fit(X, np.linspace(0, 1, N)),
        ValueError,
        "Unknown label type: continuous",
    ),
    (
        "multilabel_y",
        lambda k, X, y: make(k).fit(X, np.c_[y, 1 - y]),
        ValueError,
        "Multilabel and multioutput targets are not supported",
    ),
    (
        "length_mismatch",
        lambda k, X, y: make(k).fit(X, y[:-1]),
        ValueError,
        "inconsistent numbers of samples",
    ),
    (
        "string_features",
        lambda k, X, y: make(k).fit(_words(X), y),
        ValueError,
        "X has values that are not numbers; .* takes numeric features only .*OneHotEncoder",
    ),
    (
        "object_features",
        lambda k, X, y: make(k).fit(np.array([[{"a": 1}] * D] * N, dtype=object), y),
        TypeError,
        "X has values that are not numbers; .*argument must be a string or a real number",
    ),
    (
        "dict_features",
        lambda k, X, y: make(k).fit({"a": X[:, :2], "b": X[:, 2:]}, y),
        TypeError,
        r"X is a dict \(keys \['a', 'b'\]\): .* takes one numeric array-like",
    ),
    (
        "dict_features_at_predict",
        lambda k, X, y: make(k).fit(X, y).predict({"a": X}),
        TypeError,
        r"X is a dict \(keys \['a'\]\)",
    ),
    (
        "wrong_n_features_at_predict",
        lambda k, X, y: make(k).fit(X, y).predict(X[:, :2]),
        ValueError,
        "X has 2 features, but .* is expecting 4 features",
    ),
    (
        "string_features_at_predict",
        lambda k, X, y: make(k).fit(X, y).predict(_words(X)),
        ValueError,
        "X has values that are not numbers",
    ),
    (
        "unknown_loss",
        lambda k, X, y: make(k, loss="hinge").fit(X, y),
        ValueError,
        r"loss='hinge' is not a known loss; use one of \['balanced_softmax', 'ce', ",
    ),
    (
        "unknown_sampler",
        lambda k, X, y: make(k, sampler="smote").fit(X, y),
        ValueError,
        r"sampler='smote' is not a known sampler; use one of \['balanced', 'natural', ",
    ),
    (
        "unknown_scoring",
        lambda k, X, y: make(k, scoring="auc").fit(X, y),
        ValueError,
        r"'scoring' parameter of BalancedNetClassifier must be a str among",
    ),
    (
        "class_weight_unknown_class",
        lambda k, X, y: make(k, class_weight={0: 1.0, 7: 2.0}).fit(X, y),
        ValueError,
        r"class_weight has keys \[7\] that are not classes of y; the classes are",
    ),
    (
        "class_weight_negative",
        lambda k, X, y: make(k, class_weight={1: -2.0}).fit(X, y),
        ValueError,
        r"class_weight\[1\]=-2.0 must be a finite number >= 0",
    ),
    (
        "max_epochs_0",
        lambda k, X, y: make(k, max_epochs=0).fit(X, y),
        ValueError,
        r"'max_epochs' parameter of BalancedNetClassifier must be an int in the range \[1, inf\)",
    ),
    (
        "module_output_size",
        lambda k, X, y: make(k, module=WrongOutput).fit(X, y),
        ValueError,
        r"module returned output of shape \(2, 5\) .* one logit per class, shape \(2, 2\)",
    ),
    (
        "module_input_size",
        lambda k, X, y: make(k, module=torch.nn.Linear(7, 2)).fit(X, y),
        ValueError,
        r"module failed on 2 rows of X's 4 features \(.*\); its input layer must take "
        r"n_features_in_=4 inputs",
    ),
]

NET_ONLY = [
    (
        "weight_averaging_above_1",
        lambda k, X, y: make(k, weight_averaging=1.5).fit(X, y),
        ValueError,
        r"'weight_averaging' parameter of BalancedNetClassifier must be None or a float in "
        r"the range \[0.0, 1.0\]. Got 1.5",
    ),
    (
        "weight_averaging_callback_start",
        lambda k, X, y: make(k, weight_averaging=None, callbacks=[WeightAveraging(start=60)]).fit(
            X, y
        ),
        ValueError,
        r"WeightAveraging\(start=60\): start must be a fraction of max_epochs in \[0, 1\]",
    ),
    (
        "weight_averaging_bool",
        lambda k, X, y: make(k, weight_averaging=True).fit(X, y),
        ValueError,
        r"weight_averaging=True must be a number, not a bool",
    ),
    (
        "lr_bool",
        lambda k, X, y: make(k, lr=True).fit(X, y),
        ValueError,
        r"lr=True must be a number, not a bool",
    ),
    (
        "unknown_module_parameter",
        lambda k, X, y: make(k, module__widht=3).fit(X, y),
        ValueError,
        r"module__widht is not a parameter of the default network \((TwoViewMLP|MLP)\); it "
        r"takes module__activation, module__bin_edges, module__bins_with_features, ",
    ),
    (
        "hidden_layer_sizes_bool",
        lambda k, X, y: make(k, hidden_layer_sizes=(True,)).fit(X, y),
        ValueError,
        r"hidden_layer_sizes=\(True,\) must be a sequence of positive ints",
    ),
    (
        "smote_single_row_class",
        lambda k, X, y: make(k, resampler=SMOTE()).fit(X, _three_classes(y, 1)),
        ValueError,
        r"SMOTE\(k_neighbors=5\) needs at least k_neighbors\+1 = 6 rows .* class 2 has only 1 "
        r"row .* cannot be interpolated: use RandomOverSampler",
    ),
    (
        "smote_three_row_class",
        lambda k, X, y: make(k, resampler=SMOTE()).fit(X, _three_classes(y, 3)),
        ValueError,
        r"class 2 has only 3 rows .* use resampler__k_neighbors=2",
    ),
    (
        "negative_sample_weight",
        lambda k, X, y: make(k).fit(X, y, sample_weight=-np.ones(N)),
        ValueError,
        "Negative values in data passed to `sample_weight`",
    ),
    (
        "nan_sample_weight",
        lambda k, X, y: make(k).fit(X, y, sample_weight=np.r_[np.nan, np.ones(N - 1)]),
        ValueError,
        "Input sample_weight contains NaN",
    ),
    (
        "short_sample_weight",
        lambda k, X, y: make(k).fit(X, y, sample_weight=np.ones(N - 1)),
        ValueError,
        r"sample_weight.shape == \(59,\), expected \(60,\)",
    ),
    (
        "string_sample_weight",
        lambda k, X, y: make(k).fit(X, y, sample_weight=np.array(["a"] * N)),
        ValueError,
        "sample_weight has values that are not numbers; sample_weight must be numbers",
    ),
]

ENSEMBLE_ONLY = [
    (
        "n_jobs_0",
        lambda k, X, y: tiny_ensemble(n_jobs=0).fit(X, y),
        ValueError,
        r"'n_jobs' parameter of BootstrapEnsembleClassifier must be None, an int in the range "
        r"\[1, inf\) or an int in the range \(-inf, -1\]. Got 0",
    ),
    (
        "n_estimators_bool",
        lambda k, X, y: tiny_ensemble(n_estimators=True).fit(X, y),
        ValueError,
        r"n_estimators=True must be an int, not a bool",
    ),
    # the ensemble's own resampler sees each member's draw (every row of a class)
    (
        "smote_single_row_class",
        lambda k, X, y: tiny_ensemble(n_estimators=1, resampler=SMOTE()).fit(
            X, _three_classes(y, 1)
        ),
        ValueError,
        r"SMOTE\(k_neighbors=5\) needs .* class 2 has only 1 row in the member's draw",
    ),
    (
        "smote_three_row_class",
        lambda k, X, y: tiny_ensemble(n_estimators=1, resampler=SMOTE()).fit(
            X, _three_classes(y, 3)
        ),
        ValueError,
        r"class 2 has only 3 rows in the member's draw; use resampler__k_neighbors=2",
    ),
    (
        "sample_weight",
        lambda k, X, y: make(k).fit(X, y, sample_weight=np.ones(N)),
        TypeError,
        "unexpected keyword argument 'sample_weight'",
    ),
    (
        "unknown_voting",
        lambda k, X, y: tiny_ensemble(voting="mean").fit(X, y),
        ValueError,
        r"'voting' parameter of BootstrapEnsembleClassifier must be a str among",
    ),
    (
        "samples_per_class_unknown_class",
        lambda k, X, y: tiny_ensemble(samples_per_class={5: 3}).fit(X, y),
        ValueError,
        r"samples_per_class has keys \[5\] that are not classes of y",
    ),
    (
        "samples_per_class_bool",
        lambda k, X, y: tiny_ensemble(samples_per_class=True).fit(X, y),
        ValueError,
        r"samples_per_class=True must be an int, not a bool",
    ),
    (
        "samples_per_class_too_big",
        lambda k, X, y: tiny_ensemble(samples_per_class=100).fit(X, y),
        ValueError,
        r"asks for 100 rows of class 0, which has only 45; use a smaller samples_per_class",
    ),
]

MATRIX = (
    [pytest.param("net", *case[1:], id=f"net-{case[0]}") for case in BAD + NET_ONLY]
    + [pytest.param("ensemble", *case[1:], id=f"ensemble-{case[0]}") for case in BAD]
    + [pytest.param("ensemble", *case[1:], id=f"ensemble-{case[0]}") for case in ENSEMBLE_ONLY]
)


@pytest.mark.parametrize("kind, call, error, message", MATRIX)
def test_bad_input_gets_a_clear_error(data, kind, call, error, message):
    X, y = data
    if isinstance(message, dict):
        message = message[kind]
    with pytest.raises(error, match=message):
        call(kind, X.copy(), y.copy())


@pytest.mark.parametrize("kind", ["net", "ensemble"])
@pytest.mark.parametrize("error", [NotImplementedError, RuntimeError])
def test_a_modules_own_errors_are_not_called_a_width_mismatch(data, kind, error):
    """Only a shape error of the module's first pass is reworded; others pass through."""

    class Failing(torch.nn.Module):
        def __init__(self, n_features, n_classes):
            super().__init__()
            self.linear = torch.nn.Linear(n_features, n_classes)

        def forward(self, X):
            raise error("a kernel this module lacks")

    X, y = data
    with pytest.raises(error, match="a kernel this module lacks"):
        make(kind, module=Failing).fit(X, y)


@pytest.mark.parametrize("kind", ["net", "ensemble"])
def test_batch_size_larger_than_the_data_trains(data, kind):
    X, y = data
    model = make(kind, batch_size=10 * N).fit(X, y)
    assert set(model.predict(X)) <= {0, 1}


def test_class_weight_with_missing_classes_weighs_them_one(data):
    X, y = data
    net = make("net", class_weight={1: 3.0}).fit(X, y)
    np.testing.assert_allclose(net.class_weight_, [1.0, 3.0])
    ensemble = make("ensemble", class_weight={1: 3.0}).fit(X, y)
    for member in ensemble.estimators_:
        np.testing.assert_allclose(member.class_weight_, [1.0, 3.0])


@pytest.mark.parametrize("kind", ["net", "ensemble"])
def test_bool_and_int_features_are_numbers(data, kind):
    X, y = data
    for X_numeric in (X > 0, (X * 10).astype(np.int32)):
        model = make(kind).fit(X_numeric, y)
        assert model.predict_proba(X_numeric).shape == (N, 2)


def test_numpy_int_layer_sizes_train(data):
    """A grid of ``np.arange`` widths: numpy ints are ints."""
    X, y = data
    net = make("net", hidden_layer_sizes=tuple(np.arange(4, 9, 4))).fit(X, y)
    assert [m.out_features for m in net.module_.modules() if hasattr(m, "out_features")][:2] == [
        4,
        8,
    ]


@pytest.mark.parametrize(
    "bad_refit",
    [
        # a third class whose only rows weigh nothing
        lambda net, X, y: net.fit(
            X, np.where(np.arange(N) < 3, 2, y), sample_weight=(np.arange(N) >= 3) * 1.0
        ),
        # other labels and fewer features, but a negative weight
        lambda net, X, y: net.fit(X[:, :3], np.array(["a", "b"])[y], sample_weight=-np.ones(N)),
        lambda net, X, y: net.set_params(class_weight={7: 2.0}).fit(X, y),
        # failures after the network is rebuilt, before the first epoch
        lambda net, X, y: net.set_params(sampler__bogus=1).fit(X, _three_classes(y, 5)),
        lambda net, X, y: net.set_params(augment=GaussianNoise(std=float("inf"))).fit(X, y),
    ],
    ids=[
        "weightless_class",
        "negative_weight",
        "unknown_class_weight_key",
        "unknown_sampler_parameter",
        "infinite_noise",
    ],
)
def test_a_refit_that_fails_on_its_data_leaves_the_fitted_net_as_it_was(data, bad_refit):
    X, y = data
    net = make("net").fit(X, y)
    proba, fitted, epochs = net.predict_proba(X), dict(vars(net)), len(net.history)
    with pytest.raises((ValueError, RuntimeError)):
        bad_refit(net, X.copy(), y.copy())
    assert net.classes_.tolist() == [0, 1] and net.n_features_in_ == D
    def fitted_names(state):
        return {name for name in state if name.endswith("_")}

    assert fitted_names(vars(net)) == fitted_names(fitted) and len(net.history) == epochs
    np.testing.assert_array_equal(net.predict_proba(X), proba)


def test_a_refit_its_module_cannot_take_leaves_the_fitted_net_as_it_was(data):
    X, y = data
    net = make("net", module=_FixedWidth).fit(X, y)
    proba, epochs = net.predict_proba(X), len(net.history)
    with pytest.raises(ValueError, match="module failed on 2 rows of X.s 3 features"):
        net.fit(X[:, :3], y)
    assert net.n_features_in_ == D and len(net.history) == epochs
    np.testing.assert_array_equal(net.predict_proba(X), proba)


class _FixedWidth(torch.nn.Module):
    """A module for 4 features whatever the data (as a hand-written module may be)."""

    def __init__(self, n_features, n_classes):
        super().__init__()
        self.linear = torch.nn.Linear(D, n_classes)

    def forward(self, X):
        return self.linear(X)


def test_kept_on_error_examples():
    import doctest

    from skimbnet import _atomic

    result = doctest.testmod(_atomic)
    assert result.attempted > 0 and result.failed == 0


def test_a_datetime_column_is_named_as_not_numbers():
    pd = pytest.importorskip("pandas")
    X, y = make_classification(60, 3, n_informative=2, n_redundant=0, random_state=0)
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(when=pd.date_range("2020", periods=60))
    with pytest.raises(TypeError, match="X has values that are not numbers; .*OneHotEncoder"):
        tiny_net(max_epochs=1).fit(frame, y)


@pytest.mark.parametrize("with_y", [False, True])
def test_a_dataset_as_x_at_fit_is_refused_by_name(with_y):
    from skorch.dataset import Dataset

    X, y = make_classification(60, 3, n_informative=2, n_redundant=0, random_state=0)
    with pytest.raises(TypeError, match=r"X is a Dataset \(a torch Dataset\): .*predefined_split"):
        tiny_net(max_epochs=1).fit(Dataset(X, y), y if with_y else None)


def test_a_category_column_beside_a_bool_one_is_named_as_not_numbers():
    pd = pytest.importorskip("pandas")
    _, y = make_classification(60, 3, n_informative=2, n_redundant=0, random_state=0)
    frame = pd.DataFrame({"c": pd.Categorical(["x", "y"] * 30), "b": [True, False] * 30})
    with pytest.raises(ValueError, match="X has values that are not numbers; .*OneHotEncoder"):
        tiny_net(max_epochs=1).fit(frame, y)


@pytest.mark.parametrize(
    "classes, match",
    [
        ({0, 1, 2}, r"must be a 1-d list of class labels"),
        ("abc", r"must be a 1-d list of class labels"),
        ([[0, 1], [2, 3]], r"must be a 1-d list of class labels"),
        ([0.0, 1.0, float("nan")], r"holds a missing label"),
        ([0, 1, None], r"holds a missing label"),
        ([0, "a", 1], r"mixes strings and numbers"),
    ],
    ids=["set", "string", "2d", "nan", "none", "mixed"],
)
def test_bad_classes_are_refused_by_name(classes, match):
    X, y = make_classification(60, 3, n_informative=2, n_redundant=0, random_state=0)
    with pytest.raises(ValueError, match=r"classes=.*" + match):
        tiny_net(max_epochs=1).partial_fit(X, y, classes=classes)


def test_other_classes_on_a_later_partial_fit_are_refused():
    X, y = make_classification(60, 3, n_informative=2, n_redundant=0, random_state=0)
    net = tiny_net(max_epochs=1).partial_fit(X, y)
    net.partial_fit(X, y, classes=[0, 1])  # the same classes: the scikit-learn idiom
    with pytest.raises(ValueError, match=r"classes=\[0, 1, 2\] differs from the classes"):
        net.partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match=r"name every class in classes= at the first call"):
        net.partial_fit(X, np.where(y == 1, 2, y))


def test_a_stratified_split_names_the_class_by_its_label():
    X, y = make_classification(80, 3, n_informative=2, n_redundant=0, random_state=0)
    labels = np.array([3, 700])[y]
    labels[0] = 10  # a class of one row
    with pytest.raises(ValueError, match=r"\(class 10 has 1 row\)"):
        tiny_net(train_split=0.2).fit(X, labels)


def test_a_one_class_batch_with_a_resampler_is_refused_by_name():
    from imblearn.over_sampling import RandomOverSampler

    X, y = make_classification(60, 3, n_informative=2, n_redundant=0, random_state=0)
    net = tiny_net(resampler=RandomOverSampler(), max_epochs=1)
    with pytest.raises(ValueError, match=r"resampler=RandomOverSampler\(\) needs training rows"):
        net.partial_fit(X[y == 0], y[y == 0], classes=[0, 1])


def test_architecture_changes_before_a_warm_fit_are_warned_of():
    X, y = make_classification(60, 3, n_informative=2, n_redundant=0, random_state=0)
    net = tiny_net(max_epochs=1, warm_start=True).fit(X, y)
    net.set_params(hidden_layer_sizes=(4,), weight_decay=0.5)
    with pytest.warns(UserWarning, match=r"hidden_layer_sizes, weight_decay changed since"):
        net.fit(X, y)
    assert net.module_.layers[0].out_features == 16  # the network was kept
