"""Piecewise-linear encoding on quantile bins (``n_bins``, skimbnet.encoding)."""

import doctest

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from tiny_models import TinyModule, imbalanced, tiny_net

import skimbnet.encoding as encoding
from skimbnet import BalancedNetClassifier
from skimbnet.encoding import PiecewiseLinearEncoding, quantile_bin_edges, weighted_quantiles


def _reference(X, edges):
    """The paper's formula, feature by feature, in numpy."""
    parts = []
    for column, e in zip(X.T, edges):
        z = (column[:, None] - e[:-1]) / np.diff(e)
        lower, upper = np.zeros(z.shape[1]), np.ones(z.shape[1])
        lower[0], upper[-1] = -np.inf, np.inf
        parts.append(np.clip(z, lower, upper))
    return np.hstack(parts)


def test_docstring_examples():
    assert doctest.testmod(encoding).failed == 0


def test_encoding_matches_the_formula_with_uneven_bin_counts():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=300), rng.integers(0, 2, 300), rng.exponential(size=300)])
    edges = quantile_bin_edges(X, None, n_bins=8)
    assert [len(e) - 1 for e in edges] == [8, 1, 8]  # a binary feature gets one bin
    out = PiecewiseLinearEncoding(edges)(torch.as_tensor(X)).numpy()
    assert out.shape == (300, 17)
    np.testing.assert_allclose(out, _reference(X, edges), rtol=0, atol=1e-12)
    # outside the training range the end bins extrapolate instead of saturating
    far = PiecewiseLinearEncoding(edges)(torch.tensor([[100.0, 0.0, 0.0]], dtype=torch.float64))
    assert far[0, 7] > 1.0


def test_weighted_quantiles_equal_repeated_rows():
    rng = np.random.default_rng(1)
    values, weights = rng.normal(size=50), rng.integers(0, 4, 50)
    qs = np.linspace(0, 1, 17)
    expected = np.quantile(np.repeat(values, weights), qs, method="inverted_cdf")
    np.testing.assert_array_equal(weighted_quantiles(values, weights.astype(float), qs), expected)


def test_bad_edges_are_refused():
    with pytest.raises(ValueError, match="increasing"):
        PiecewiseLinearEncoding([np.array([1.0, 1.0])])


def test_classifier_encodes_in_its_module_and_predicts_the_same_from_sparse():
    X, y = imbalanced(300)
    net = tiny_net(n_bins=6, n_members=2, module__bins_with_features=True).fit(X, y)
    encoder = net.module_.encoding
    # the standardised features, then their encodings
    assert encoder.n_outputs == X.shape[1] + sum(len(e) - 1 for e in net.bin_edges_)
    Z = torch.as_tensor((X - net.feature_mean_) / net.feature_scale_)
    encoded = encoder(Z).numpy()
    np.testing.assert_allclose(encoded[:, : X.shape[1]], Z.numpy())
    np.testing.assert_allclose(encoded[:, X.shape[1] :], _reference(Z.numpy(), net.bin_edges_))
    only = tiny_net(n_bins=6, n_members=2).fit(X, y)  # the encodings only, by default
    assert only.module_.encoding.n_outputs == encoder.n_outputs - X.shape[1]
    assert net.module_.layers[0].in_features == encoder.n_outputs
    # the edges live where the module sees the features: after standardisation
    raw = quantile_bin_edges(X, None, 6)
    for e, r, m, s in zip(net.bin_edges_, raw, net.feature_mean_, net.feature_scale_):
        np.testing.assert_allclose(e, (r - m) / s)
    sparse = tiny_net(n_bins=6, n_members=2, module__bins_with_features=True).fit(
        sp.csr_matrix(X), y
    )
    np.testing.assert_allclose(
        sparse.predict_proba(sp.csr_matrix(X)), net.predict_proba(X), rtol=0, atol=1e-6
    )


def test_sample_weights_move_the_edges_like_repeated_rows():
    X, y = imbalanced(200)
    w = np.random.default_rng(0).integers(1, 3, len(y))
    weighted = tiny_net(n_bins=5).fit(X, y, sample_weight=w)
    repeated = tiny_net(n_bins=5).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    for a, b in zip(weighted.bin_edges_, repeated.bin_edges_):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)


def test_no_encoding_with_n_bins_none():
    assert BalancedNetClassifier().n_bins == "auto"  # the default checks both
    X, y = imbalanced(200)
    net = BalancedNetClassifier(n_bins=None, max_epochs=1, random_state=0).fit(X, y)
    assert net.bin_edges_ is None and net.module_.encoding is None
    assert net.module_.layers[0].in_features == X.shape[1]
    four = tiny_net(n_bins=4).fit(X, y)
    assert max(len(e) - 1 for e in four.bin_edges_) == 4


def test_n_bins_with_a_custom_module_is_refused():
    X, y = imbalanced(100)
    with pytest.raises(ValueError, match=r"n_bins=4 encodes the default MLP"):
        tiny_net(module=TinyModule, n_bins=4).fit(X, y)


def test_a_search_over_the_encoding():
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV, ParameterGrid, StratifiedKFold

    X, y = imbalanced(240)
    grid = {"n_bins": [None, 4], "module__bins_with_features": [True, False]}
    search = GridSearchCV(tiny_net(), grid, cv=StratifiedKFold(2), scoring="balanced_accuracy")
    assert len(search.fit(X, y).cv_results_["params"]) == 4
    d = X.shape[1]
    for params in ParameterGrid(grid):
        net = clone(tiny_net()).set_params(**params).fit(X, y)
        width = net.module_.layers[0].in_features
        if params["n_bins"] is None:
            assert width == d and net.module_.encoding is None
        else:
            bins = sum(len(e) - 1 for e in net.bin_edges_)
            assert width == (d + bins if params["module__bins_with_features"] else bins)


# ------------------------------------------------------------------ n_bins="auto"


def _steps(n=400, seed=0):
    """A class that lives on alternate quarters of one feature: steps a 4-bin encoding draws
    at once and a tiny plain MLP on the raw value does not learn in a few epochs."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(n, 3))
    y = (np.floor(X[:, 0] * 4) % 2).astype(int)
    return X, y


def test_auto_chooses_by_the_held_out_check_and_refits_on_all_rows():
    from sklearn.base import clone

    from skimbnet._choice import check_score, held_out_scores

    X, y = _steps()
    X0 = X.copy()
    net = tiny_net(n_bins="auto", max_epochs=8).fit(X, y)
    np.testing.assert_array_equal(X, X0)  # the user's array is never modified
    assert list(net.bins_check_) == ["n_bins=None", "n_bins=4"]
    # the same scores as checking the two configurations by hand, and the better one kept
    candidates = [tiny_net(max_epochs=8, n_bins=n) for n in (None, 4)]
    by_hand = held_out_scores(candidates, X, y, np.ones(len(y)), 0)
    assert list(net.bins_check_.values()) == by_hand
    assert net.n_bins_ == 4 and by_hand[1] > by_hand[0]
    # the final network is a plain fit with the chosen n_bins on every row
    plain = clone(net).set_params(n_bins=4).fit(X, y)
    np.testing.assert_array_equal(net.predict_proba(X), plain.predict_proba(X))
    assert net.bins_check_ is not None and plain.bins_check_ is None
    assert 0.0 <= check_score(plain, X, y) <= 1.0


def test_auto_skips_the_check_where_it_cannot_run():
    X, y = _steps(200)
    y = y.copy()
    y[np.flatnonzero(y == 1)[3:]] = 0  # 3 rows of class 1: too few to hold one out
    few = tiny_net(n_bins="auto").fit(X, y)
    assert few.n_bins_ is None and few.bins_check_ is None and few.bin_edges_ is None
    X, y = _steps(200)
    custom = tiny_net(module=TinyModule, n_bins="auto").fit(X, y)  # no error: no encoding
    assert custom.n_bins_ is None and custom.bins_check_ is None
    streamed = tiny_net(n_bins="auto").partial_fit(X, y)
    assert streamed.n_bins_ is None and streamed.bins_check_ is None
    # a warm start keeps the first fit's choice and its edges
    warm = tiny_net(n_bins="auto", warm_start=True).fit(X, y)
    edges = warm.bin_edges_
    assert warm.fit(X, y).bin_edges_ is edges


def test_auto_leaves_rows_of_zero_weight_out_of_the_check():
    X, y = _steps(200)
    w = np.ones(len(y))
    rare = np.flatnonzero(y == 1)
    w[rare[5:]] = 0.0  # 5 rows of class 1 carry weight: the split must keep some to train on
    for seed in range(3):
        net = tiny_net(n_bins="auto", random_state=seed).fit(X, y, sample_weight=w)
        assert net.bins_check_ is not None
    w[rare[3:]] = 0.0  # 3 weighted rows: too few for a check
    assert tiny_net(n_bins="auto").fit(X, y, sample_weight=w).bins_check_ is None


def test_auto_says_what_it_chose(capsys):
    X, y = _steps(200)
    tiny_net(n_bins="auto", verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert "n_bins='auto': held-out score" in out and "training with n_bins=" in out
    assert out.count("epoch") == 1  # the check's fits print nothing


def test_an_interrupting_callback_ends_each_fit_of_the_check_as_it_ends_a_plain_fit():
    # skorch's EarlyStopping (and Ctrl-C) end training with KeyboardInterrupt
    from test_determinism_persistence import InterruptAt

    X, y = _steps(200)
    net = tiny_net(n_bins="auto", max_epochs=6, callbacks=[InterruptAt(2)]).fit(X, y)
    assert len(net.history) == 2 and net.bins_check_ is not None
    early = tiny_net(n_bins="auto", max_epochs=40, train_split="auto", patience=2).fit(X, y)
    assert len(early.history) < 40 and early.bins_check_ is not None


def test_bad_n_bins_names_the_parameter():
    X, y = _steps(100)
    with pytest.raises(ValueError, match="n_bins"):
        tiny_net(n_bins="quantile").fit(X, y)
