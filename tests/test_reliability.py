"""Never silently wrong: divergence, overflow and empty classes fail loudly or follow a rule."""

import numpy as np
import pytest
from tiny_models import tiny_net

from skimbnet import BalancedNetClassifier


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    y = (np.arange(200) % 10 == 0).astype(int)
    return rng.normal(size=(200, 4)) + y[:, None], y


@pytest.mark.parametrize("loss", ["ce", "ldam", "focal"])
def test_a_diverging_fit_stops_with_an_error_naming_lr(data, loss):
    X, y = data
    net = tiny_net(lr=1e9, loss=loss, max_epochs=5)
    with pytest.raises(FloatingPointError, match=r"diverged.*lr=1000000000\.0"):
        net.fit(X, y)
    assert 1 <= len(net.history) <= 5  # the epochs so far are kept


def test_values_beyond_float32_get_an_error_at_fit_and_predict(data):
    X, y = data
    big = X.copy()
    big[0, 0] = 1e39
    with pytest.raises(ValueError, match='dtype="float64"'):
        tiny_net(dtype="float32").fit(big, y)
    net = tiny_net(dtype="float32").fit(X, y)
    with pytest.raises(ValueError, match="beyond float32's range"):
        net.predict(big)
    assert np.isfinite(tiny_net(dtype="float64").fit(big, y).predict_proba(big)).all()
    assert X[0, 0] != 1e39  # the caller's arrays are untouched


def test_class_weights_beyond_float32_get_an_error(data):
    X, y = data
    with pytest.raises(ValueError, match="beyond float32's range"):
        tiny_net(dtype="float32", class_weight={1: 1e39}).fit(X, y)


@pytest.mark.parametrize("loss", ["ce", "focal"])
@pytest.mark.parametrize("class_weight", ["auto", "effective"])
def test_a_class_with_zero_sample_weight_is_an_error(data, loss, class_weight):
    X, y = data
    weight = np.where(y == 1, 0.0, 1.0)
    with pytest.raises(ValueError, match="zero total sample_weight"):
        tiny_net(loss=loss, class_weight=class_weight).fit(X, y, sample_weight=weight)


def test_a_validation_split_that_takes_every_rare_row_is_an_error(data):
    X, y = data
    with pytest.raises(ValueError, match="train_split=0.99 leaves no training rows of class 1"):
        tiny_net(train_split=0.99).fit(X, y)


def test_all_zero_class_weights_are_an_error(data):
    X, y = data
    with pytest.raises(ValueError, match="at least one must be positive"):
        tiny_net(class_weight={0: 0, 1: 0}).fit(X, y)


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(max_epochs=True), "max_epochs=True must be an int"),
        (dict(n_bins=True), "n_bins=True must be an int"),
        (dict(module__hidden_layer_sizes=(0,)), "must be a sequence of positive ints"),
    ],
)
def test_degenerate_parameters_are_rejected(data, params, message):
    X, y = data
    with pytest.raises(ValueError, match=message):
        tiny_net(**params).fit(X, y)


def test_partial_fit_accumulates_counts_and_a_declared_class_counts_as_the_rarest(data):
    X, y = data
    net = BalancedNetClassifier(hidden_layer_sizes=(8,), loss="ldam", max_epochs=1, random_state=0)
    first = y == 0
    net.partial_fit(X[first][:60], y[first][:60], classes=[0, 1, 2])
    # classes 1 and 2 are declared but unseen: they count as the rarest seen class
    np.testing.assert_array_equal(net.class_counts_, [60, 0, 0])
    np.testing.assert_allclose(net.class_prior_, [1 / 3] * 3)
    assert np.isfinite(net.class_weight_).all()
    y3 = np.where(np.arange(200) % 7 == 0, 2, y)
    net.partial_fit(X, y3)
    np.testing.assert_array_equal(net.class_counts_, [60 + (y3 == 0).sum(), (y3 == 1).sum(), 29])
    assert net.class_prior_[2] == pytest.approx(29 / net.class_counts_.sum())
    assert np.isfinite(net.predict_proba(X)).all()
    assert set(net.predict(X)) <= {0, 1, 2}


@pytest.mark.parametrize("device", ["cuda", "cuda:7", "mps", "tpu", "gpu0"])
def test_an_unavailable_device_is_named(data, device):
    import torch

    if device.startswith("cuda") and torch.cuda.is_available() and device == "cuda":
        pytest.skip("CUDA is available here")
    X, y = data
    with pytest.raises(ValueError, match=r"device=.*available here: \['cpu'"):
        tiny_net(device=device).fit(X, y)


def test_ensemble_members_on_an_unavailable_device_fail_in_the_workers(data):
    import torch
    from tiny_models import tiny_ensemble

    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    X, y = data
    member = tiny_net(device="cuda", class_weight=None)
    with pytest.raises(ValueError, match="device='cuda' is not available"):
        tiny_ensemble(estimator=member, n_estimators=2, n_jobs=2).fit(X, y)


def test_an_interrupt_inside_an_epoch_leaves_a_complete_history_row(data):
    from skorch.callbacks import Callback

    class InterruptAtBatch(Callback):
        def on_batch_end(self, net, training=None, **kwargs):
            if training and len(net.history) == 2 and len(net.history[-1, "batches"]) == 2:
                raise KeyboardInterrupt

    X, y = data
    net = tiny_net(batch_size=32, max_epochs=5, callbacks=[InterruptAtBatch()]).fit(X, y)
    assert len(net.history) == 2
    last = net.history[-1]
    assert last["interrupted"] is True
    losses = [b["train_loss"] for b in last["batches"]]
    assert last["train_loss"] == pytest.approx(np.mean(losses))
    assert net.predict(X).shape == y.shape
