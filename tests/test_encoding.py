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


def test_module_docstring_examples():
    import skimbnet.modules as modules

    result = doctest.testmod(modules)
    assert result.attempted >= 5 and result.failed == 0


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
    for bad in ([0.0, 1.0, np.nan], [0.0, np.inf]):
        with pytest.raises(ValueError, match="finite edges"):
            PiecewiseLinearEncoding([np.array(bad)])


@pytest.mark.parametrize("value", [0.0, 3.5, -1.7e18, 1.7e18])  # v + 1 == v beyond 2**53
def test_a_constant_feature_gets_one_dummy_bin(value):
    X = np.column_stack([np.arange(8.0), np.full(8, value)])
    edges = quantile_bin_edges(X, None, n_bins=4)[1]
    assert len(edges) == 2 and edges[0] == value and edges[1] > edges[0]
    PiecewiseLinearEncoding([edges])  # a valid edge array
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=(60, 3)), np.full(60, value)])
    tiny_net(n_bins="auto", max_epochs=1).fit(X, np.arange(60) % 4 == 0)


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
    assert BalancedNetClassifier().n_bins == "auto"  # the default adds an encoded view
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


def test_auto_adds_an_encoded_view_to_the_features_view():
    import pickle

    from skimbnet.modules import TwoViewMLP

    X, y = _steps()
    X0 = X.copy()
    net = tiny_net(n_bins="auto", n_members=2, max_epochs=8).fit(X, y)
    np.testing.assert_array_equal(X, X0)  # the user's array is never modified
    module = net.module_
    assert isinstance(module, TwoViewMLP) and net.n_bins_ == 4 and module.n_members == 4
    assert module.features.encoding is None and module.features.n_members == 2
    assert module.encoded.encoding is not None and module.encoded.n_members == 2
    assert module.encoded.layers[0].in_features == sum(len(e) - 1 for e in net.bin_edges_)
    # prediction: the mean of the four members' probabilities, both views
    X_t = net._standardize(torch.as_tensor(X, dtype=net._torch_dtype))
    with torch.no_grad():
        members = torch.softmax(module(X_t), dim=-1).mean(dim=1).numpy()
    np.testing.assert_allclose(net.predict_proba(X), members, rtol=0, atol=1e-12)
    # the encoded members see the steps sooner than the features' view alone
    plain = tiny_net(n_bins=None, n_members=2, max_epochs=8).fit(X, y)
    assert (net.predict(X) == y).mean() > (plain.predict(X) == y).mean() + 0.04  # 0.805, 0.755
    again = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(again.predict_proba(X), net.predict_proba(X))
    # one member per view still gives the member axis
    single = tiny_net(n_bins="auto", n_members=1).fit(X, y)
    assert single.module_(X_t).shape == (len(X), 2, 2)


def test_two_view_mlp_needs_bin_edges():
    from skimbnet.modules import TwoViewMLP

    with pytest.raises(ValueError, match="TwoViewMLP needs bin_edges"):
        TwoViewMLP(3, 2, bin_edges=None)


def test_auto_means_no_encoding_with_a_custom_module_or_in_partial_fit():
    X, y = _steps(200)
    custom = tiny_net(module=TinyModule, n_bins="auto").fit(X, y)  # no error: no encoding
    assert custom.n_bins_ is None and custom.bin_edges_ is None
    streamed = tiny_net(n_bins="auto", n_members=2).partial_fit(X, y)
    assert streamed.n_bins_ is None and type(streamed.module_).__name__ == "MLP"
    # an explicit n_bins encodes every member (a plain MLP)
    four = tiny_net(n_bins=4, n_members=2).fit(X, y)
    assert type(four.module_).__name__ == "MLP" and four.module_.encoding is not None
    # a warm start keeps the first fit's edges and network
    warm = tiny_net(n_bins="auto", n_members=2, warm_start=True).fit(X, y)
    edges, module = warm.bin_edges_, warm.module_
    warm.fit(X, y)
    assert warm.bin_edges_ is edges and warm.module_ is module


def test_bad_n_bins_names_the_parameter():
    X, y = _steps(100)
    with pytest.raises(ValueError, match="n_bins"):
        tiny_net(n_bins="quantile").fit(X, y)
