"""Sparse input: scipy matrices stay sparse, a batch is densified at a time, results as dense."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils import get_tags
from tiny_models import tiny_ensemble, tiny_net

from skimbnet import BalancedNetClassifier, GaussianNoise
from skimbnet.data import weighted_mean_and_std

TOLERANCE = 1e-6


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 12))
    X[rng.random(X.shape) < 0.7] = 0.0
    y = (X[:, 0] + X[:, 1] + rng.normal(size=300) > 0.8).astype(int)
    return X, y, rng.random(300)


def _same(dense_model, sparse_model, X, fmt="csr"):
    expected = dense_model.predict_proba(X)
    got = sparse_model.predict_proba(sp.csr_matrix(X).asformat(fmt))
    assert np.abs(got - expected).max() <= TOLERANCE
    assert np.array_equal(sparse_model.predict_proba(X), got)  # dense input to a sparse fit


def test_tag():
    assert get_tags(BalancedNetClassifier()).input_tags.sparse


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo", "dok"])  # a dok_matrix is a dict too
@pytest.mark.parametrize(
    "params",
    [
        dict(),
        dict(train_split=0.2, loss="ldam"),
        dict(n_members=3, dtype="float32"),
        dict(sampler="balanced"),
        dict(iterator_train__num_workers=0),  # skorch's DataLoader path, row by row
    ],
    ids=["ce", "validation-ldam", "members-float32", "balanced-sampler", "dataloader"],
)
def test_same_as_dense(data, fmt, params):
    X, y, w = data
    dense = tiny_net(**params).fit(X, y, sample_weight=w)
    sparse = tiny_net(**params).fit(sp.csr_matrix(X).asformat(fmt), y, sample_weight=w)
    np.testing.assert_allclose(sparse.feature_mean_, dense.feature_mean_, rtol=0, atol=1e-12)
    np.testing.assert_allclose(sparse.feature_scale_, dense.feature_scale_, rtol=0, atol=1e-12)
    _same(dense, sparse, X, fmt)


@pytest.mark.parametrize(
    "resampler",
    ["SMOTE", "RandomOverSampler", "RandomUnderSampler", "EpochResampler"],
)
def test_resamplers_keep_sparse_rows_as_dense_ones(data, resampler):
    from imblearn.over_sampling import SMOTE, RandomOverSampler
    from imblearn.under_sampling import RandomUnderSampler

    from skimbnet import EpochResampler

    X, y, w = data
    make = {
        "SMOTE": SMOTE,
        "RandomOverSampler": RandomOverSampler,
        "RandomUnderSampler": RandomUnderSampler,
        "EpochResampler": lambda: EpochResampler(RandomUnderSampler()),
    }[resampler]
    dense = tiny_net(resampler=make()).fit(X, y, sample_weight=w)
    sparse = tiny_net(resampler=make()).fit(sp.csr_matrix(X), y, sample_weight=w)
    np.testing.assert_array_equal(sparse.class_counts_, dense.class_counts_)
    _same(dense, sparse, X)


def test_partial_fit_and_warm_start(data):
    X, y, _ = data
    dense = tiny_net().partial_fit(X, y).partial_fit(X, y)
    sparse = tiny_net().partial_fit(sp.csr_matrix(X), y).partial_fit(sp.csr_matrix(X), y)
    _same(dense, sparse, X)


def test_statistics_are_chunked(data):
    X, _, w = data
    for weights in (None, w):
        mean, std = weighted_mean_and_std(X, weights)
        chunked = weighted_mean_and_std(sp.csc_matrix(X), weights, chunk_rows=7)
        np.testing.assert_allclose(chunked[0], mean, rtol=0, atol=1e-14)
        np.testing.assert_allclose(chunked[1], std, rtol=0, atol=1e-14)


def test_fit_never_densifies_all_rows(monkeypatch):
    # 2,000 rows x 3,000 features: the statistics densify at most 2**22 values a chunk
    rng = np.random.default_rng(1)
    X = sp.random(2000, 3000, density=0.002, format="csr", random_state=1)
    y = (rng.random(2000) < 0.2).astype(int)
    densified = []
    toarray = sp.csr_matrix.toarray

    def recording_toarray(self, *args, **kwargs):
        densified.append(self.shape[0])
        return toarray(self, *args, **kwargs)

    monkeypatch.setattr(sp.csr_matrix, "toarray", recording_toarray)
    tiny_net(hidden_layer_sizes=(4,), max_epochs=1).fit(X, y)
    assert densified and max(densified) < X.shape[0]


def test_one_hot_column_transformer():
    rng = np.random.default_rng(2)
    n = 400
    frame = pd.DataFrame(
        {
            "colour": rng.choice([f"c{i}" for i in range(12)], n),
            "shape": rng.choice([f"s{i}" for i in range(9)], n),
            "size": rng.normal(size=n),
        }
    )
    y = ((frame.colour == "c1") | (frame["size"] > 1.2)).astype(int).to_numpy()

    def pipeline(encoder):
        columns = ColumnTransformer(
            [("cat", encoder, ["colour", "shape"]), ("num", StandardScaler(), ["size"])]
        )
        return make_pipeline(columns, tiny_net(max_epochs=6))

    sparse = pipeline(OneHotEncoder()).fit(frame, y)
    assert sp.issparse(sparse[0].transform(frame))
    dense = pipeline(OneHotEncoder(sparse_output=False)).fit(frame, y)
    assert np.abs(sparse.predict_proba(frame) - dense.predict_proba(frame)).max() <= TOLERANCE
    assert (sparse.predict(frame) == y).mean() > 0.8


def test_ensemble(data):
    X, y, _ = data
    dense = tiny_ensemble().fit(X, y)
    for fmt in ("csr", "dok"):
        sparse = tiny_ensemble().fit(sp.csr_matrix(X).asformat(fmt), y)
        got = sparse.predict_proba(sp.csr_matrix(X).asformat(fmt))
        assert np.abs(got - dense.predict_proba(X)).max() <= 1e-6


def test_augment_needs_dense(data):
    X, y, _ = data
    with pytest.raises(TypeError, match="augment needs dense X"):
        tiny_net(augment=GaussianNoise()).fit(sp.csr_matrix(X), y)
