"""The small models and data sets the tests share (``tests/`` is on pytest's pythonpath).

Models train in a fraction of a second; data sets are a few hundred rows. A
test that needs other settings passes them as keywords (they override the
defaults here), or binds them once with ``functools.partial``.
"""

import os
import signal

import numpy as np
import skorch
import torch
from sklearn.datasets import make_classification

from skimbnet import BalancedNetClassifier, BootstrapEnsembleClassifier

# ----------------------------------------------------------------- models


def tiny_net(**params):
    """A network that trains in a fraction of a second."""
    defaults = dict(
        hidden_layer_sizes=(16,),
        n_members=1,  # a plain MLP: fast, and its layers are the ones tests look at
        loss="ce",  # with class_weight="auto": balanced weights from the first epoch
        max_epochs=4,
        lr=1e-2,
        train_split=None,
        n_bins=None,  # the plain MLP; tests/test_encoding.py checks n_bins="auto"
        random_state=0,
    )
    defaults.update(params)
    return BalancedNetClassifier(**defaults)


class Linear(torch.nn.Module):
    """A custom module: one linear layer (``n_features`` is set from X at fit)."""

    def __init__(self, n_features=5, n_classes=2):
        super().__init__()
        self.linear = torch.nn.Linear(n_features, n_classes)

    def forward(self, X):
        return self.linear(X)


def fit_and_restore(make, params, X, y, directory):
    """Fit ``make(**params)``, then restore a fresh one by skorch's idiom: ``initialize()``
    and ``load_params`` of the fitted one's saved weights. Returns both."""
    fitted = make(**params).fit(X, y)
    fitted.save_params(f_params=str(directory / "params.pt"))
    restored = make(**params)
    restored.initialize()
    restored.load_params(f_params=str(directory / "params.pt"))
    return fitted, restored


def tiny_ensemble(n_estimators=3, **params):
    """An ensemble of ``n_estimators`` tiny networks."""
    member = tiny_net(hidden_layer_sizes=(8,), class_weight=None, lr=2e-2, random_state=None)
    defaults = dict(estimator=member, n_estimators=n_estimators, random_state=0)
    defaults.update(params)
    return BootstrapEnsembleClassifier(**defaults)


def early_stopped_net(**params):
    """The early-stopped recipe (cross-entropy, a validation split when the classes
    allow it) on a budget of 15 epochs, on the features' view only (``n_bins=None``: one
    MLP of 8 members), otherwise the classifier's defaults."""
    defaults = dict(loss="ce", train_split="auto", max_epochs=15, n_bins=None, random_state=0)
    defaults.update(params)
    return BalancedNetClassifier(**defaults)


class TinyModule(torch.nn.Module):
    """A custom module (``module=TinyModule``, ``module__width``): one hidden ReLU layer."""

    def __init__(self, n_features, n_classes, width=8):
        super().__init__()
        self.width = width
        self.hidden = torch.nn.Linear(n_features, width)
        self.out = torch.nn.Linear(width, n_classes)

    def forward(self, X):
        return self.out(torch.relu(self.hidden(X)))


# ------------------------------------------------------------------- data


def imbalanced(n=300, seed=0, labels=None, **params):
    """``make_classification`` with a 15% rare class: 6 features, 4 of them informative.

    ``params`` override ``make_classification``'s arguments (``weights``,
    ``n_classes``, ``class_sep``, ...); ``labels`` names the classes (an object
    array of labels instead of the integers 0, 1, ...).
    """
    options = dict(n_features=6, n_informative=4, weights=[0.85], class_sep=1.5)
    options.update(params)
    X, y = make_classification(n_samples=n, random_state=seed, **options)
    if labels is not None:
        y = np.asarray(labels, dtype=object)[y]
    return X, y


def shifted_rare_rows(n, n_features, every, seed=0):
    """Gaussian rows; every ``every``-th row (from row 0) is class 1, shifted by +1."""
    rng = np.random.default_rng(seed)
    y = (np.arange(n) % every == 0).astype(int)
    X = rng.normal(size=(n, n_features)) + y[:, None]
    return X, y


def run_python(args, cwd, timeout=300):
    """Run ``python ARGS`` in a fresh interpreter in ``cwd`` (the installed skimbnet, one
    torch thread); fail with its stderr unless it exits 0. Returns the completed process."""
    import os
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


# ------------------------------------------------------------- faults


class KillProcessOnce(skorch.callbacks.Callback):
    """Kills the process it runs in (SIGKILL) at the end of epoch ``at_epoch``, once.

    The first fit that creates ``marker`` (a file path; creation is atomic) dies
    there, as a crashed or pre-empted worker would; every later fit, in any
    process, trains normally. Training itself is unchanged, so the fit a
    scheduler re-runs equals an undisturbed one.
    """

    def __init__(self, marker, at_epoch=2):
        self.marker = marker
        self.at_epoch = at_epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) != self.at_epoch:
            return
        try:
            os.close(os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return
        os.kill(os.getpid(), signal.SIGKILL)


def local_cluster(directory, **options):
    """A ``distributed.LocalCluster`` of 2 single-threaded worker processes on loopback
    (no dashboard), its files under ``directory``."""
    import distributed

    settings = dict(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        local_directory=str(directory),
    )
    return distributed.LocalCluster(**{**settings, **options})
