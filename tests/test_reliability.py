"""Never silently wrong: divergence, overflow and empty classes fail loudly or follow a rule."""

import os
import pickle
import signal
import sys

import numpy as np
import pytest
import torch
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback, Checkpoint
from tiny_models import Linear, fit_and_restore, tiny_ensemble, tiny_net

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


class ClipInPlace(Linear):
    def forward(self, X):
        return self.linear(X.clamp_(-0.5, 0.5))  # changes its input


def test_a_module_that_works_in_place_leaves_x_unchanged(data):
    X, y = data
    X = X.copy()
    X0 = X.copy()
    params = dict(module=ClipInPlace, classes=[0, 1], dtype="float64", train_split=0.2)
    net = tiny_net(**params, patience=None).fit(X, y)  # the validation rows are chunks
    first = net.predict_proba(X)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(net.predict_proba(X), first)  # and the next call agrees


def test_outputs_that_overflowed_are_an_error_at_predict(data):
    # a float64 training can grow its weights past any useful size with a finite loss
    X, y = data
    net = tiny_net(module=Linear, classes=[0, 1], dtype="float64").fit(X, y)
    with torch.no_grad():
        net.module_.linear.weight[0, 0] = float("inf")
    for predict in (net.predict, net.predict_proba, net.decision_function):
        with pytest.raises(ValueError, match=r"outputs are NaN or infinite for \d+ of 200 rows"):
            predict(X)
    with torch.no_grad():  # every class at -inf: no probability either
        net.module_.linear.weight.zero_()
        net.module_.linear.bias.fill_(-float("inf"))
    with pytest.raises(ValueError, match="outputs are NaN or infinite for 200 of 200 rows"):
        net.predict_proba(X)


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


def test_a_validation_split_without_a_class_is_an_error(data):
    from skorch.dataset import Dataset
    from skorch.helper import predefined_split

    X, y = data  # 20 rare rows in 200
    few = y.copy()
    few[np.flatnonzero(y == 1)[3:]] = 0  # 3 rare rows: 15% of them rounds to none
    with pytest.raises(ValueError, match="train_split=0.15 leaves no validation rows of class 1"):
        tiny_net(train_split=0.15, scoring="average_precision").fit(X, few)
    common = Dataset(X[y == 0][:30].astype(np.float32), y[y == 0][:30])
    with pytest.raises(ValueError, match="leaves no validation rows of class 1 \\(20 rows"):
        tiny_net(train_split=predefined_split(common)).fit(X, y)
    # a later partial_fit batch may lack a class, in validation as in training
    net = tiny_net(train_split=0.15, patience=None).partial_fit(X, y)
    net.partial_fit(X[:100], few[:100])
    assert len(net.history) == 2 * net.max_epochs


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


class CtrlCAfterFirstEpoch(Callback):
    """Send this process SIGINT, as Ctrl-C does, at the end of the first epoch."""

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == 1:
            os.kill(os.getpid(), signal.SIGINT)


class FailAtEpochEnd(Callback):
    def on_epoch_end(self, net, **kwargs):
        raise RuntimeError("boom")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to this process")
@pytest.mark.parametrize("in_pipeline", [False, True])
def test_ctrl_c_in_a_member_stops_the_ensemble(data, in_pipeline):
    X, y = data
    member = tiny_net(max_epochs=3, callbacks=[CtrlCAfterFirstEpoch()])
    if in_pipeline:
        member = make_pipeline(StandardScaler(), member)
    ensemble = tiny_ensemble(estimator=member, n_estimators=3, n_jobs=1)
    # the member's own fit keeps its epoch and returns (skorch's convention)
    with pytest.raises(KeyboardInterrupt, match="Ctrl-C in the fit of a"):
        ensemble.fit(X, y)
    assert not hasattr(ensemble, "classes_") and not hasattr(ensemble, "n_features_in_")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back


def test_early_stopping_in_members_does_not_stop_the_ensemble(data):
    # skorch's EarlyStopping ends a training by raising KeyboardInterrupt as well
    X, y = data
    member = tiny_net(max_epochs=40, train_split=0.25, patience=1, lr=0.3)
    ensemble = tiny_ensemble(estimator=member, n_estimators=2, n_jobs=1).fit(X, y)
    epochs = [len(m.history) for m in ensemble.estimators_]
    assert all(e < 40 for e in epochs), epochs  # each member stopped early


def test_a_refit_that_fails_in_a_member_keeps_the_fitted_ensemble(data):
    X, y = data
    ensemble = tiny_ensemble(n_estimators=2, n_jobs=1).fit(X, y)
    before = ensemble.predict_proba(X)
    ensemble.set_params(estimator__callbacks=[FailAtEpochEnd()])
    with pytest.raises(RuntimeError, match="boom"):
        ensemble.fit(X[:, :3], np.where(y == 1, "rare", "common"))
    assert ensemble.classes_.tolist() == [0, 1] and ensemble.n_features_in_ == 4
    np.testing.assert_allclose(ensemble.predict_proba(X), before)


def test_a_checkpoint_pickles_a_net_with_a_progress_bar(data, tmp_path):
    checkpoint = Checkpoint(
        monitor=None, f_pickle="net.pkl", f_params=None, f_optimizer=None,
        f_criterion=None, f_history=None, dirname=str(tmp_path),
    )  # fmt: skip
    X, y = data
    net = tiny_net(max_epochs=2, progress_bar=True, callbacks=[checkpoint]).fit(X, y)
    with open(tmp_path / "net.pkl", "rb") as f:
        saved = pickle.load(f)  # pickled at the last epoch's end, in the middle of fit
    np.testing.assert_allclose(saved.predict_proba(X), net.predict_proba(X), atol=1e-6)


def test_a_fit_that_fails_mid_training_closes_its_progress_bar(data):
    X, y = data
    net = tiny_net(max_epochs=3, progress_bar=True, callbacks=[FailAtEpochEnd()])
    with pytest.raises(RuntimeError, match="boom"):
        net.fit(X, y)
    assert dict(net.callbacks_)["progress_bar"].bar_ is None
    pickle.loads(pickle.dumps(net))  # the estimator stays picklable


def test_logit_adjustment_after_load_params_says_what_is_missing(data, tmp_path):
    X, y = data
    params = dict(module=Linear, module__n_features=4, classes=[0, 1], logit_adjustment=1.0)
    _, restored = fit_and_restore(tiny_net, params, X, y, tmp_path)
    with pytest.raises(ValueError, match=r"logit_adjustment=1.0 subtracts log\(class_prior_\)"):
        restored.predict(X)
    restored.set_params(logit_adjustment=None)
    assert restored.predict(X).shape == y.shape
