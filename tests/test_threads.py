"""torch_threads: the thread count fit and predict use, and the process's own setting restored."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback
from tiny_models import imbalanced, tiny_net

import skimbnet._threads as threads_module
from skimbnet._threads import faster_threads, wanted_threads


class RecordingModule(torch.nn.Module):
    """A linear model that records torch's thread count at every forward pass."""

    seen: list = []

    def __init__(self, n_features, n_classes):
        super().__init__()
        self.linear = torch.nn.Linear(n_features, n_classes)

    def forward(self, X):
        RecordingModule.seen.append(torch.get_num_threads())
        return self.linear(X)


class Fails(Callback):
    def on_epoch_end(self, net, **kwargs):
        raise RuntimeError("stop here")


@pytest.fixture
def two_threads():
    torch.set_num_threads(2)  # the autouse fixture restores the setting afterwards
    RecordingModule.seen = []
    return 2


@pytest.fixture(scope="module")
def data():
    return imbalanced(200)


def _seen():
    seen, RecordingModule.seen = RecordingModule.seen, []
    return set(seen)


@pytest.mark.parametrize("setting, inside", [(1, 1), ("auto", 1), (None, 2), (2, 2)])
def test_fit_and_predict_restore_the_setting(data, two_threads, setting, inside):
    X, y = data
    net = tiny_net(module=RecordingModule, torch_threads=setting).fit(X, y)
    assert _seen() == {inside}  # a tiny network: "auto" is one thread
    assert torch.get_num_threads() == two_threads
    net.predict_proba(X)
    net.predict(X[:3])
    assert _seen() == {inside}
    assert torch.get_num_threads() == two_threads


def test_restored_when_fit_raises(data, two_threads):
    X, y = data
    with pytest.raises(RuntimeError, match="stop here"):
        tiny_net(torch_threads=1, callbacks=[Fails()]).fit(X, y)
    assert torch.get_num_threads() == two_threads


def test_auto_uses_more_threads_when_the_probe_says_so(data, two_threads, monkeypatch):
    X, y = data
    monkeypatch.setattr(threads_module, "AUTO_WORK_PER_THREAD", 1)
    monkeypatch.setattr("skimbnet.classifier.faster_threads", lambda run, n: (run(), n)[1])
    net = tiny_net(module=RecordingModule).fit(X, y)
    assert _seen() == {2} and torch.get_num_threads() == 2
    torch.set_num_threads(1)
    net.predict(X)  # "auto" never exceeds the process's own setting
    assert _seen() == {1} and torch.get_num_threads() == 1


def test_probe_leaves_the_fit_unchanged(data, two_threads, monkeypatch):
    # the probe runs on a copy of the network, on its own random numbers
    X, y = data
    monkeypatch.setattr(threads_module, "AUTO_WORK_PER_THREAD", 1)
    auto = tiny_net(dropout=0.2).fit(X, y)
    (chosen,) = auto._auto_threads.values()
    fixed = tiny_net(dropout=0.2, torch_threads=chosen).fit(X, y)
    assert np.array_equal(auto.predict_proba(X), fixed.predict_proba(X))
    assert "_auto_threads" not in auto.__getstate__()


def test_faster_threads_probe():
    assert faster_threads(lambda: time.sleep(0.002 * torch.get_num_threads()), 2) == 1
    assert faster_threads(lambda: time.sleep(0.004 / torch.get_num_threads()), 2) == 2
    assert faster_threads(lambda: None, 1) == 1


def test_wanted_threads(two_threads):
    per_thread = threads_module.AUTO_WORK_PER_THREAD
    assert wanted_threads(per_thread - 1) == 1
    assert wanted_threads(10 * per_thread) == 2  # at most the process's setting
    torch.set_num_threads(1)
    assert wanted_threads(10 * per_thread) == 1


def test_invalid(data):
    with pytest.raises(ValueError, match="torch_threads"):
        tiny_net(torch_threads=0).fit(*data)
