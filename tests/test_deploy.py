"""Saving models for deployment: skops with the documented trusted types, MLflow, pickle.

Each model is saved here and loaded in a fresh interpreter (cwd a temporary
folder, so the installed skimbnet is imported) that compares its predictions.
"""

from __future__ import annotations

import pickle
import re
import textwrap
from pathlib import Path

import numpy as np
import pytest
from tiny_models import imbalanced, run_python

from skimbnet import BalancedNetClassifier, BootstrapEnsembleClassifier
from skimbnet.export import SKOPS_TRUSTED_TYPES
from skimbnet.losses import available_losses


def _run_python(code, cwd):
    return run_python(["-c", textwrap.dedent(code)], cwd).stdout


@pytest.fixture(scope="module")
def data():
    return imbalanced(200)


def _default_net(**params):
    # the default model, on a short budget (the epochs do not change what is saved)
    return BalancedNetClassifier(max_epochs=3, random_state=0, **params)


def test_progress_bar_model_pickles(data):
    X, y = data
    net = _default_net(progress_bar=True).fit(*data)
    assert np.array_equal(pickle.loads(pickle.dumps(net)).predict_proba(X), net.predict_proba(X))


# ------------------------------------------------------------------- skops


@pytest.fixture(scope="module")
def skops_io():
    return pytest.importorskip(
        "skops.io", reason='skops is not installed (pip install "skimbnet[deploy]")'
    )


def test_skops_default_types_are_the_documented_ones(skops_io, data):
    untrusted = skops_io.get_untrusted_types(data=skops_io.dumps(_default_net().fit(*data)))
    documented = set(SKOPS_TRUSTED_TYPES)
    assert set(untrusted) <= documented
    # what the default model holds beyond the list's other losses, callbacks and ensemble
    rest = {
        "skimbnet.callbacks.EpochProgressBar",
        "skimbnet.ensemble.BootstrapEnsembleClassifier",
        "skorch.callbacks.logging.PrintLog",
    } | {f"skimbnet.losses.{cls.__name__}" for cls in available_losses().values()}
    assert set(untrusted) | rest == documented


@pytest.mark.parametrize("loss", sorted(set(available_losses()) - {"ldam"}))
def test_skops_every_loss_is_covered(skops_io, data, loss):
    dumped = skops_io.dumps(_default_net(loss=loss, verbose=0).fit(*data))
    assert set(skops_io.get_untrusted_types(data=dumped)) <= set(SKOPS_TRUSTED_TYPES)


def test_skops_load_in_fresh_process(skops_io, data, tmp_path):
    X, y = data
    net = _default_net().fit(X, y)
    ensemble = BootstrapEnsembleClassifier(n_estimators=2, random_state=0)
    ensemble.estimator = BalancedNetClassifier(loss="ce", class_weight=None, max_epochs=3)
    ensemble.fit(X, y)
    skops_io.dump(net, tmp_path / "net.skops")
    skops_io.dump(ensemble, tmp_path / "ensemble.skops")
    assert set(skops_io.get_untrusted_types(file=tmp_path / "ensemble.skops")) <= set(
        SKOPS_TRUSTED_TYPES
    )
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "net.npy", net.predict_proba(X))
    np.save(tmp_path / "ensemble.npy", ensemble.predict_proba(X))
    out = _run_python(
        f"""
        import numpy as np
        import skops.io as sio

        trusted = {SKOPS_TRUSTED_TYPES!r}
        X = np.load("X.npy")
        for name in ("net", "ensemble"):
            model = sio.load(name + ".skops", trusted=trusted)
            assert np.array_equal(model.predict_proba(X), np.load(name + ".npy")), name
        print("ok")
        """,
        tmp_path,
    )
    assert out.strip() == "ok"


def test_the_guide_lists_exactly_the_trusted_types():
    guide = Path(__file__).parents[1] / "docs" / "guide" / "deploy.md"
    text = guide.read_text()
    block = text[text.index("trusted = [") : text.index("]", text.index("trusted = ["))]
    assert re.findall(r'"([^"]+)"', block) == SKOPS_TRUSTED_TYPES


def test_skops_refuses_an_unlisted_type(skops_io, data):
    dumped = skops_io.dumps(_default_net().fit(*data))
    with pytest.raises(skops_io.exceptions.UntrustedTypesFoundException):
        skops_io.loads(dumped, trusted=[t for t in SKOPS_TRUSTED_TYPES if "LDAM" not in t])


# ------------------------------------------------------------------ MLflow


@pytest.mark.slow
def test_mlflow_log_and_load_in_fresh_process(data, tmp_path):
    pytest.importorskip("mlflow", reason='mlflow is not installed (pip install "skimbnet[deploy]")')
    X, y = data
    np.save(tmp_path / "X.npy", X)
    code = """
        import sys
        import numpy as np
        import mlflow

        mlflow.set_tracking_uri("sqlite:///mlflow.db")
        X = np.load("X.npy")
        if sys.argv[1] == "log":
            from skimbnet import BalancedNetClassifier

            y = np.load("y.npy")
            net = BalancedNetClassifier(max_epochs=3, random_state=0).fit(X, y)
            mlflow.set_experiment("skimbnet")
            with mlflow.start_run():
                info = mlflow.sklearn.log_model(
                    net, name="model", serialization_format="cloudpickle",
                    pip_requirements=["skimbnet"],
                )
            np.save("expected.npy", net.predict_proba(X))
            open("uri.txt", "w").write(info.model_uri)
        else:
            uri = open("uri.txt").read()
            model = mlflow.sklearn.load_model(uri)
            assert np.array_equal(model.predict_proba(X), np.load("expected.npy"))
            labels = mlflow.pyfunc.load_model(uri).predict(X)
            assert np.array_equal(labels, model.predict(X))
            print("ok")
        """
    np.save(tmp_path / "y.npy", y)
    script = tmp_path / "mlflow_job.py"
    script.write_text(textwrap.dedent(code))
    for step in ("log", "load"):
        result = run_python([str(script), step], tmp_path)
    assert result.stdout.strip().endswith("ok")
