"""Inputs left alone, determinism (also across processes), interruption and checkpoints."""

from __future__ import annotations

import hashlib
import pickle
import textwrap
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from imblearn.over_sampling import RandomOverSampler
from skorch.callbacks import Callback, Checkpoint
from tiny_models import run_python, shifted_rare_rows, tiny_ensemble, tiny_net

# the data and models of the cross-process checks: run here and in a fresh interpreter
SETUP = """
import numpy as np
import torch
from skimbnet import BalancedNetClassifier, BootstrapEnsembleClassifier

torch.set_num_threads(1)
rng = np.random.default_rng(7)
y = (np.arange(300) % 10 == 0).astype(int)
X = rng.normal(size=(300, 5)) + y[:, None]
net = BalancedNetClassifier(
    hidden_layer_sizes=(8,), max_epochs=3, dropout=0.1, train_split=0.2, random_state=3
)
member = BalancedNetClassifier(hidden_layer_sizes=(8,), max_epochs=3, class_weight=None)
ensemble = BootstrapEnsembleClassifier(member, n_estimators=2, random_state=3)
"""


def _digest(value):
    """A hash of an array, DataFrame or Series, including its dtypes and names."""
    h = hashlib.sha256()
    if isinstance(value, (pd.DataFrame, pd.Series)):
        h.update(pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes())
        if isinstance(value, pd.DataFrame):
            h.update(repr((value.dtypes.to_dict(), list(value.columns))).encode())
        else:
            h.update(repr((value.dtype, value.name)).encode())
    else:
        array = np.asarray(value)
        h.update(np.ascontiguousarray(array).tobytes())
        h.update(f"{array.dtype}{array.shape}{array.flags.writeable}".encode())
    return h.hexdigest()


def _run_python(code, tmp_path):
    """Run ``code`` in a fresh interpreter (the installed skimbnet: cwd is a temporary folder)."""
    return run_python(["-c", code], tmp_path, timeout=240)


@pytest.fixture(scope="module")
def data():
    return shifted_rare_rows(200, 4, every=8)


# ------------------------------------------------------------- inputs left alone


def _inputs(X, y):
    frame = pd.DataFrame(X.astype(np.float32), columns=[f"f{i}" for i in range(X.shape[1])])
    labels = pd.Series(np.where(y == 1, "rare", "common"), name="label")
    return {
        "float64": (X.copy(), y.copy()),
        "float32": (X.astype(np.float32), y.copy()),
        "int": ((X * 10).astype(np.int64), y.copy()),
        "pandas": (frame, labels),
        "read-only": (_read_only(X.copy()), _read_only(y.copy())),
    }


def _read_only(array):
    array.flags.writeable = False
    return array


@pytest.mark.parametrize("kind", ["net", "ensemble"])
@pytest.mark.parametrize("flavour", ["float64", "float32", "int", "pandas", "read-only"])
def test_callers_data_is_never_modified(data, kind, flavour):
    X, y = _inputs(*data)[flavour]
    weights = np.linspace(0.5, 2.0, len(y))
    before = [_digest(v) for v in (X, y, weights)]
    if kind == "net":
        # standardisation, a resampler and sample weights all touch copies only
        models = [
            tiny_net(max_epochs=2).fit(X, y, sample_weight=weights),
            tiny_net(max_epochs=2, resampler=RandomOverSampler(), sampler="balanced").fit(X, y),
            tiny_net(max_epochs=2, train_split=0.25).fit(X, y, sample_weight=weights),
        ]
    else:
        models = [tiny_ensemble(n_estimators=2).fit(X, y)]
    for model in models:
        model.predict_proba(X)
        model.predict(X)
    assert [_digest(v) for v in (X, y, weights)] == before


# ------------------------------------------------------------------- determinism


def _models(kind):
    namespace: dict = {}
    exec(SETUP, namespace)  # noqa: S102 - the test's own constant
    return namespace[kind], namespace["X"], namespace["y"]


@pytest.mark.parametrize("kind", ["net", "ensemble"])
def test_same_seed_same_model_different_seed_different_model(kind):
    from sklearn.base import clone

    model, X, y = _models(kind)
    first = clone(model).fit(X, y)
    second = clone(model).fit(X, y)
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    np.testing.assert_array_equal(first.predict(X), second.predict(X))
    other = clone(model).set_params(random_state=4).fit(X, y)
    assert not np.allclose(first.predict_proba(X), other.predict_proba(X))
    nets = [first] if kind == "net" else first.estimators_
    other_nets = [other] if kind == "net" else other.estimators_
    for a, b in zip(nets, other_nets):
        # the first layer's weights (the default's two views: "features.layers.0.weight")
        key = next(k for k in a.module_.state_dict() if k.endswith("layers.0.weight"))
        assert not torch.equal(a.module_.state_dict()[key], b.module_.state_dict()[key])


def test_same_seed_same_predictions_in_another_process(tmp_path):
    code = SETUP + textwrap.dedent(
        """
        for name, model in (("net", net), ("ensemble", ensemble)):
            model.fit(X, y)
            np.save(f"{name}_proba.npy", model.predict_proba(X))
            np.save(f"{name}_pred.npy", model.predict(X))
        """
    )
    _run_python(code, tmp_path)
    for kind in ("net", "ensemble"):
        model, X, y = _models(kind)
        model.fit(X, y)
        np.testing.assert_array_equal(
            np.load(tmp_path / f"{kind}_proba.npy"), model.predict_proba(X)
        )
        np.testing.assert_array_equal(np.load(tmp_path / f"{kind}_pred.npy"), model.predict(X))


# ------------------------------------------------------------------ interruption


class InterruptAt(Callback):
    """Raise KeyboardInterrupt (as Ctrl-C would) at the end of epoch ``epoch``, once."""

    def __init__(self, epoch):
        self.epoch = epoch

    def initialize(self):
        self.fired_ = getattr(self, "fired_", False)
        return self

    def on_epoch_end(self, net, **kwargs):
        if not self.fired_ and len(net.history) == self.epoch:
            self.fired_ = True
            raise KeyboardInterrupt


def test_interrupted_fit_keeps_the_epochs_done_and_warm_start_continues(data):
    X, y = data
    interrupted = tiny_net(max_epochs=10, callbacks=[InterruptAt(3)], warm_start=True).fit(X, y)
    assert len(interrupted.history) == 3
    assert set(interrupted.predict(X)) <= {0, 1}
    # the model is the one of those 3 epochs: a 3-epoch fit with the same seed
    three = tiny_net(max_epochs=3).fit(X, y)
    np.testing.assert_array_equal(interrupted.predict_proba(X), three.predict_proba(X))

    before = {k: v.clone() for k, v in interrupted.module_.state_dict().items()}
    interrupted.fit(X, y)  # warm_start: 10 more epochs on the same network
    assert len(interrupted.history) == 13
    after = interrupted.module_.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)


def test_interrupted_ensemble_members_keep_their_epochs(data):
    X, y = data
    member = tiny_net(max_epochs=10, class_weight=None, callbacks=[InterruptAt(2)])
    ensemble = tiny_ensemble(n_estimators=2, estimator=member).fit(X, y)
    assert [len(m.history) for m in ensemble.estimators_] == [2, 2]
    proba = ensemble.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


# ------------------------------------------------------------------- checkpoints


def test_checkpoint_saves_the_best_epoch_and_a_new_process_restores_it(data, tmp_path):
    X, y = data
    checkpoint = Checkpoint(
        monitor="valid_balanced_accuracy_best",
        dirname=str(tmp_path),
        f_params="best_params.pt",
        f_pickle="best.pkl",
    )
    params = dict(max_epochs=15, patience=4, train_split=0.3, lr=3e-3)
    clf = tiny_net(**params, callbacks=[checkpoint]).fit(X, y)
    scores = clf.history[:, "valid_balanced_accuracy"]
    saved = [i for i, row in enumerate(clf.history) if row.get("event_cp")]
    assert saved and saved[-1] == int(np.argmax(scores))  # the last save is the best epoch
    # early stopping restored the same best epoch into the fitted model
    expected = clf.predict_proba(X)
    with open(tmp_path / "best.pkl", "rb") as fh:
        np.testing.assert_array_equal(pickle.load(fh).predict_proba(X), expected)

    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    code = textwrap.dedent(
        f"""
        import pickle
        import numpy as np
        import torch
        from skimbnet import BalancedNetClassifier

        torch.set_num_threads(1)
        X, y = np.load("X.npy"), np.load("y.npy")
        with open("best.pkl", "rb") as fh:
            np.save("pickled.npy", pickle.load(fh).predict_proba(X))
        # the parameters file loads into a fitted classifier of the same shape
        skeleton = BalancedNetClassifier(
            hidden_layer_sizes=(16,), n_members=1, loss="ce", n_bins=None, random_state=0,
            **{dict(params, max_epochs=1)!r}
        ).fit(X, y)
        skeleton.load_params(f_params="best_params.pt")
        np.save("params.npy", skeleton.predict_proba(X))
        """
    )
    _run_python(code, tmp_path)
    np.testing.assert_array_equal(np.load(tmp_path / "pickled.npy"), expected)
    np.testing.assert_array_equal(np.load(tmp_path / "params.npy"), expected)


def test_default_checkpoint_monitors_valid_loss(data, tmp_path):
    # skorch's default monitor is "valid_loss_best"; without validation, "train_loss_best"
    X, y = data
    for split, monitor in ((0.3, "valid_loss_best"), (None, "train_loss_best")):
        checkpoint = Checkpoint(monitor=monitor, dirname=str(tmp_path / str(split)))
        clf = tiny_net(max_epochs=3, train_split=split, callbacks=[checkpoint]).fit(X, y)
        assert clf.history[0, "event_cp"] is True
        assert (tmp_path / str(split) / "params.pt").exists()
        losses = clf.history[:, monitor[: -len("_best")]]
        flags = clf.history[:, monitor]
        assert flags == [loss == min(losses[: i + 1]) for i, loss in enumerate(losses)]


def test_read_only_input_gives_no_torch_warning(data):
    # pandas' copy-on-write arrays are read-only; torch would warn on sharing them
    X, y = (_read_only(a.copy()) for a in data)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tiny_net(max_epochs=1, standardize=False).fit(X, y).predict(X)
    assert not [w for w in caught if "not writable" in str(w.message)]


def test_refit_starts_from_the_new_data(data):
    """A second ``fit`` on other data equals a fresh fit (no statistics of the first)."""
    X, y = data
    X_other = X[:, :3] * 100 + 50
    net = tiny_net().fit(X, y)
    net.fit(X_other, y)  # other scale, other number of features
    fresh = tiny_net().fit(X_other, y)
    np.testing.assert_array_equal(net.predict_proba(X_other), fresh.predict_proba(X_other))
    restored = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(restored.predict_proba(X_other), fresh.predict_proba(X_other))


@pytest.mark.parametrize(
    "params",
    [dict(), dict(dropout=0.2), dict(n_bins="auto", n_members=2)],
    ids=["no-dropout", "dropout", "two-views"],
)
def test_fits_in_threads_equal_the_sequential_fit(data, params):
    """Seeded fits in threads of one process (joblib's threading backend) do not race on
    torch's global generator, and leave it as it was."""
    from concurrent.futures import ThreadPoolExecutor

    X, y = data
    expected = tiny_net(**params).fit(X, y).predict_proba(X)
    state = torch.get_rng_state()
    with ThreadPoolExecutor(2) as pool:
        got = list(pool.map(lambda _: tiny_net(**params).fit(X, y).predict_proba(X), range(4)))
    for proba in got:
        np.testing.assert_array_equal(proba, expected)
    assert torch.equal(torch.get_rng_state(), state)


@pytest.mark.parametrize("params", [dict(dropout=0.3), dict(module__dropout=0.3)])
def test_dropout_fits_repeat_whatever_the_global_torch_state(data, params):
    """Dropout given either way seeds the fit's stream and leaves torch's generator alone."""
    X, y = data
    torch.manual_seed(1)
    first = tiny_net(**params).fit(X, y).predict_proba(X)
    torch.manual_seed(2)
    state = torch.get_rng_state()
    second = tiny_net(**params).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, second)
    assert torch.equal(torch.get_rng_state(), state)


@pytest.fixture
def lock_use(monkeypatch):
    """Whether torch's generator lock is held while the network is built and trained."""
    from skimbnet import BalancedNetClassifier, _seeding

    held = {"initialize": [], "train": []}
    build, step = BalancedNetClassifier.initialize_module, BalancedNetClassifier.train_step

    def initialize_module(self):
        held["initialize"].append(_seeding.TORCH_RNG_LOCK._is_owned())
        return build(self)

    def train_step(self, batch, **fit_params):
        held["train"].append(_seeding.TORCH_RNG_LOCK._is_owned())
        return step(self, batch, **fit_params)

    monkeypatch.setattr(BalancedNetClassifier, "initialize_module", initialize_module)
    monkeypatch.setattr(BalancedNetClassifier, "train_step", train_step)
    return held


@pytest.mark.parametrize(
    "params, whole_training",
    [
        (dict(), False),
        (dict(n_bins="auto", n_members=2), False),
        (dict(dropout=0.2), True),
        (dict(module__dropout=0.2), True),
        (dict(iterator_train__drop_last=True), True),
        (dict(iterator_valid__batch_size=64), True),
    ],
    ids=["no-dropout", "two-views", "dropout", "module-dropout", "train-loader", "valid-loader"],
)
def test_the_generator_is_held_for_the_initialisation_and_where_training_may_draw(
    data, lock_use, params, whole_training
):
    X, y = data
    tiny_net(**params).fit(X, y)
    assert lock_use["initialize"] == [True]
    assert lock_use["train"] and set(lock_use["train"]) == {whole_training}


def test_a_warm_start_that_keeps_dropout_layers_holds_the_generator(data, lock_use):
    X, y = data
    net = tiny_net(dropout=0.2, warm_start=True).fit(X, y)
    net.set_params(dropout=0.0)  # the warm start keeps the network and its dropout layers
    lock_use["train"].clear()
    net.fit(X, y)
    assert any(isinstance(m, torch.nn.Dropout) for m in net.module_.modules())
    assert set(lock_use["train"]) == {True}


def test_initialize_called_directly_holds_the_generator(lock_use):
    from skimbnet import BalancedNetClassifier

    class Linear(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(3, 2)

        def forward(self, X):
            return self.linear(X)

    BalancedNetClassifier(module=Linear, classes=[0, 1]).initialize()
    assert lock_use["initialize"] == [True]


def test_a_subclass_holds_the_generator_for_the_whole_training(data):
    """A subclass's hooks may draw from torch's generator: its fits are seeded throughout."""
    from skimbnet import BalancedNetClassifier, _seeding

    held = []

    class Noisy(BalancedNetClassifier):
        def train_step_single(self, batch, **fit_params):
            held.append(_seeding.TORCH_RNG_LOCK._is_owned())
            Xb, yb = batch
            return super().train_step_single((Xb + 0.1 * torch.randn_like(Xb), yb), **fit_params)

    X, y = data
    params = dict(hidden_layer_sizes=(8,), max_epochs=3, n_members=1, n_bins=None, random_state=0)
    first = Noisy(**params).fit(X, y).predict_proba(X)
    torch.manual_seed(5)
    second = Noisy(**params).fit(X, y).predict_proba(X)
    assert held and set(held) == {True}
    np.testing.assert_array_equal(first, second)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_a_child_forked_while_another_thread_holds_the_generator_gets_a_fresh_lock():
    import os
    import threading

    from skimbnet import _seeding

    taken, release = threading.Event(), threading.Event()

    def hold():
        with _seeding.TORCH_RNG_LOCK:
            taken.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert taken.wait(30)
        pid = os.fork()
        if pid == 0:  # the child: the holding thread does not exist here
            os._exit(0 if _seeding.TORCH_RNG_LOCK.acquire(timeout=10) else 1)
        _, status = os.waitpid(pid, 0)
    finally:
        release.set()
        holder.join()
    assert os.waitstatus_to_exitcode(status) == 0
