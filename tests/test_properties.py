"""Property-based tests: random shapes, class mixes (up to 1000:1), dtypes and label types.

Whatever valid data hypothesis draws, ``fit`` and ``predict`` do not raise,
``predict_proba`` rows are probabilities summing to one and every prediction
is one of ``classes_``; data that is not valid (one class, one row) gets one
of the documented ValueErrors. The networks are tiny (one hidden layer of 8,
2 epochs) so that each example takes a fraction of a second.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skimbnet import BalancedNetClassifier, BootstrapEnsembleClassifier
from skimbnet.losses import available_losses
from skimbnet.sampling import available_samplers

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)

X_DTYPES = ["float64", "float32", "int64", "int32", "bool"]
LABEL_KINDS = ["int", "shifted_int", "float", "str", "object", "categorical", "bool"]


def _labels(codes, n_classes, kind):
    """Class ``codes`` (0..K-1) written as labels of ``kind``."""
    if kind == "int":
        return codes
    if kind == "shifted_int":
        return codes * 7 - 3
    if kind == "float":
        return codes.astype(float) + 1.0
    if kind == "str":
        return np.array([f"class_{c}" for c in range(n_classes)])[codes]
    if kind == "object":
        return np.array([f"c{c}" for c in range(n_classes)], dtype=object)[codes]
    if kind == "categorical":
        return pd.Series(pd.Categorical.from_codes(codes, [f"k{c}" for c in range(n_classes)]))
    return codes.astype(bool)  # "bool", two classes only


@st.composite
def problems(draw, max_classes=4):
    """``(X, y, labels)``: a random classification problem, possibly very imbalanced."""
    n_classes = draw(st.integers(2, max_classes))
    rare = draw(st.integers(1, 8))
    ratio = draw(st.sampled_from([1, 2, 10, 100, 1000]))
    # the most frequent class has ratio x the rarest's rows, the others in between
    counts = [rare] + [
        draw(st.integers(rare, max(rare, min(rare * ratio, 1200)))) for _ in range(n_classes - 2)
    ]
    counts.append(min(rare * ratio, 1200) if ratio > 1 else rare)
    counts[-1] = max(counts[-1], 1)
    n_features = draw(st.integers(1, 6))
    dtype = draw(st.sampled_from(X_DTYPES))
    scale = draw(st.sampled_from([1e-3, 1.0, 1e3]))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    codes = rng.permutation(np.repeat(np.arange(n_classes), counts))
    X = rng.normal(size=(len(codes), n_features)) + codes[:, None]
    if draw(st.booleans()):
        X[:, 0] = 5.0  # a constant column
    X = (X * scale).astype(dtype) if dtype != "bool" else X > 0.5
    if draw(st.booleans()):
        X = pd.DataFrame(X, columns=[f"f{i}" for i in range(n_features)])
    kind = draw(st.sampled_from(LABEL_KINDS if n_classes == 2 else LABEL_KINDS[:-1]))
    y = _labels(codes, n_classes, kind)
    return X, y, np.unique(np.asarray(y))


def _check_outputs(model, X, labels):
    np.testing.assert_array_equal(np.asarray(model.classes_), labels)
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), len(labels))
    assert np.all(np.isfinite(proba)) and np.all(proba >= 0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    pred = np.asarray(model.predict(X))
    assert pred.shape == (len(X),)
    assert np.isin(pred, labels).all()
    # the prediction is a most probable class
    columns = np.searchsorted(labels, pred)
    chosen = proba[np.arange(len(X)), columns]
    np.testing.assert_allclose(chosen, proba.max(axis=1), rtol=1e-6, atol=1e-9)


@settings(max_examples=25, **SETTINGS)
@given(
    problem=problems(),
    loss=st.sampled_from(sorted(available_losses())),
    sampler=st.sampled_from(sorted(available_samplers())),
    class_weight=st.sampled_from(["auto", None, "balanced", "effective"]),
    batch_size=st.sampled_from(["auto", 1, 7, 5000]),
    dtype=st.sampled_from(["float32", "float64"]),
    logit_adjustment=st.sampled_from([None, 1.0]),
)
def test_net_fits_and_predicts_any_valid_problem(
    problem, loss, sampler, class_weight, batch_size, dtype, logit_adjustment
):
    X, y, labels = problem
    if batch_size == 1 and len(X) > 300:
        batch_size = 64  # one-row steps over a thousand rows only cost time
    model = BalancedNetClassifier(
        hidden_layer_sizes=(8,),
        max_epochs=2,
        loss=loss,
        sampler=sampler,
        class_weight=class_weight,
        batch_size=batch_size,
        dtype=dtype,
        logit_adjustment=logit_adjustment,
        random_state=0,
    ).fit(X, y)
    _check_outputs(model, X, labels)


@settings(max_examples=15, **SETTINGS)
@given(problem=problems(max_classes=3), voting=st.sampled_from(["soft", "hard"]))
def test_ensemble_fits_and_predicts_any_valid_problem(problem, voting):
    X, y, labels = problem
    member = BalancedNetClassifier(hidden_layer_sizes=(8,), max_epochs=2, class_weight=None)
    model = BootstrapEnsembleClassifier(member, n_estimators=2, voting=voting, random_state=0).fit(
        X, y
    )
    _check_outputs(model, X, labels)


DOCUMENTED = (
    r"needs samples of at least 2 classes in y|Found array with \d+ sample\(s\)"
    r"|cannot make a stratified validation split"
)


@settings(max_examples=20, **SETTINGS)
@given(
    n_rows=st.integers(1, 30),
    n_classes=st.integers(1, 3),
    train_split=st.sampled_from(["auto", None, 0.5]),
    ensemble=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_degenerate_data_fits_or_gets_a_documented_error(
    n_rows, n_classes, train_split, ensemble, seed
):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, 3)).astype(np.float32)
    y = rng.integers(0, n_classes, size=n_rows)
    net = BalancedNetClassifier(
        hidden_layer_sizes=(8,), max_epochs=2, train_split=train_split, random_state=0
    )
    model = BootstrapEnsembleClassifier(net, n_estimators=2, random_state=0) if ensemble else net
    try:
        model.fit(X, y)
    except ValueError as exc:
        assert re.search(DOCUMENTED, str(exc)), str(exc)
        return
    _check_outputs(model, X, np.unique(y))
