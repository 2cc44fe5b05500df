"""ONNX export: onnxruntime's probabilities equal predict_proba (float32, 1e-5)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from tiny_models import TinyModule, imbalanced, tiny_ensemble, tiny_net

from skimbnet import BootstrapEnsembleClassifier
from skimbnet.losses import available_losses

_MISSING = '{} is not installed (pip install "skimbnet[onnx]")'
ort = pytest.importorskip("onnxruntime", reason=_MISSING.format("onnxruntime"))
pytest.importorskip("onnxscript", reason=_MISSING.format("onnxscript"))
onnx = pytest.importorskip("onnx", reason=_MISSING.format("onnx"))

TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def data():
    X, y = imbalanced(240, n_classes=3, weights=[0.7, 0.2], n_clusters_per_class=1)
    return X, y


def _onnx_proba(model_bytes, X):
    session = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    return session.run(None, {"X": np.asarray(X, dtype=np.float32)})[0]


def _check(model, X):
    expected = model.predict_proba(X)
    got = _onnx_proba(model.to_onnx(), X)
    assert got.dtype == np.float32 and got.shape == expected.shape
    assert np.abs(got - expected).max() <= TOLERANCE


@pytest.mark.parametrize("loss", sorted(available_losses()))
def test_every_loss(data, loss):
    X, y = data
    _check(tiny_net(loss=loss).fit(X, y), X)


@pytest.mark.parametrize(
    "params",
    [
        dict(logit_adjustment=1.0),
        dict(module__n_members=4),
        dict(loss="ldam", n_members=3, logit_adjustment=0.5, dtype="float32"),
        dict(module=TinyModule, module__width=5),  # a custom module, no standardisation
        dict(module=TinyModule, standardize=True),
        dict(n_bins=8, n_members=4),  # piecewise-linear encoding inside the module
    ],
    ids=[
        "logit_adjustment",
        "n_members",
        "ldam-members-adjusted-float32",
        "custom",
        "custom-std",
        "n_bins",
    ],
)
def test_settings(data, params):
    X, y = data
    _check(tiny_net(**params).fit(X, y), X)


def test_default_model_any_batch_size(data, tmp_path):
    X, y = data
    net = tiny_net(loss="ldam", hidden_layer_sizes=(128, 64), max_epochs=2).fit(X, y)
    path = tmp_path / "net.onnx"
    model_bytes = net.to_onnx(path)
    assert path.read_bytes() == model_bytes
    for rows in (X[:1], X[:7], X):
        assert np.abs(_onnx_proba(str(path), rows) - net.predict_proba(rows)).max() <= TOLERANCE


def test_ensemble(data):
    X, y = data
    ensemble = tiny_ensemble(n_estimators=3).fit(X, y)
    _check(ensemble, X)


@pytest.mark.parametrize("opset", [17, 15, True, "18"])
def test_an_opset_older_than_18_is_refused(data, opset):
    X, y = data
    net = tiny_net().fit(X, y)
    with pytest.raises(ValueError, match=rf"opset={opset!r}: .* opset 18 or later"):
        net.to_onnx(opset=opset)


@pytest.mark.parametrize("bad", [float("nan"), -5.0])
def test_a_bad_logit_adjustment_set_after_fit_is_refused(data, bad):
    X, y = data
    net = tiny_net().fit(X, y).set_params(logit_adjustment=bad)
    with pytest.raises(ValueError, match=rf"logit_adjustment={bad!r} must be None or a finite"):
        net.to_onnx()


def test_metadata_and_opset(data):
    X, y = data
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    labels = np.array(["a", "b", "c"], dtype=object)[y]
    net = tiny_net().fit(frame, labels)
    proto = onnx.load_from_string(net.to_onnx(opset=18))
    meta = {p.key: p.value for p in proto.metadata_props}
    assert json.loads(meta["classes"]) == ["a", "b", "c"]
    assert json.loads(meta["feature_names"]) == list(frame.columns)
    assert {o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")} == {18}
    assert [i.name for i in proto.graph.input] == ["X"]
    assert [o.name for o in proto.graph.output] == ["probabilities"]
    got = _onnx_proba(proto.SerializeToString(), X)
    assert np.abs(got - net.predict_proba(frame)).max() <= TOLERANCE


def test_refused(data):
    X, y = data
    with pytest.raises(ValueError, match="voting='soft'"):
        tiny_ensemble(n_estimators=2, voting="hard").fit(X, y).to_onnx()
    other = BootstrapEnsembleClassifier(LogisticRegression(), n_estimators=2, random_state=0)
    with pytest.raises(TypeError, match="LogisticRegression"):
        other.fit(X, y).to_onnx()
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        tiny_net().to_onnx()


class _BranchesOnBatchSize(TinyModule):
    """A forward whose output depends on the batch size: traced at 2 rows, one branch."""

    def __init__(self, n_features, n_classes, width=8, below=3):
        super().__init__(n_features, n_classes, width)
        self.below = below

    def forward(self, X):
        z = super().forward(X)
        return z * 3 if X.shape[0] < self.below else z


@pytest.mark.parametrize("below", [3, 2])  # 3: the graph's batch is bounded; 2: one row differs
def test_a_forward_that_branches_on_the_batch_size_is_refused(data, below):
    X, y = data
    net = tiny_net(module=_BranchesOnBatchSize, module__below=below).fit(X, y)
    with pytest.raises(ValueError, match=r"differs from the network on a batch of \d+ rows"):
        net.to_onnx()


def test_a_network_restored_without_its_feature_count_is_refused(data, tmp_path):
    X, y = data
    params = dict(
        module=TinyModule, module__n_features=X.shape[1], standardize=False, classes=[0, 1, 2]
    )
    tiny_net(**params).fit(X, y).save_params(f_params=tmp_path / "p.pt")
    restored = tiny_net(**params)
    restored.initialize()
    restored.load_params(f_params=tmp_path / "p.pt")
    with pytest.raises(ValueError, match=r"does not know its feature count \(n_features_in_\)"):
        restored.to_onnx()


class _Counts(TinyModule):
    """A module for counts: log1p of N(0, 1) probe rows is NaN, in the graph as in torch."""

    def forward(self, X):
        return super().forward(torch.log1p(X))


class _Indices(torch.nn.Module):
    """A module for indices: random probe rows are out of its range."""

    def __init__(self, n_features, n_classes):
        super().__init__()
        self.embedding = torch.nn.Embedding(10, n_classes)

    def forward(self, X):
        return self.embedding(X[:, 0].long())


def test_modules_for_other_inputs_still_export(data):
    X, y = data
    counts = np.abs(np.round(3 * X))
    net = tiny_net(module=_Counts, standardize=False).fit(counts, y)
    _check(net, counts)  # NaN on the probe rows in both: no mismatch
    indices = np.column_stack([np.arange(len(X)) % 10, X[:, 1:]])
    net = tiny_net(module=_Indices, standardize=False).fit(indices, y)
    with pytest.warns(UserWarning, match="could not run the graph beside the network"):
        graph = net.to_onnx()
    got = _onnx_proba(graph, indices)
    assert np.abs(got - net.predict_proba(indices)).max() <= TOLERANCE
