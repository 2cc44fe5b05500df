"""A Dask worker killed in the middle of a BootstrapEnsembleClassifier fit (issue #18).

A real ``distributed.LocalCluster`` of two worker processes on loopback. One
member's fit SIGKILLs its worker process after its second epoch; the nanny
starts a new worker, the scheduler re-runs the lost task, and the ensemble must
come out equal to an undisturbed fit's. (Before the members' rows travelled
inside their tasks, joblib scattered them to one worker, and the fit failed with
``FutureCancelledError: ... already forgotten`` when that worker died.)
"""

import os
import warnings

import joblib
import numpy as np
import pytest
from tiny_models import KillProcessOnce, imbalanced, local_cluster, tiny_ensemble, tiny_net

distributed = pytest.importorskip("distributed")

N_MEMBERS = 4


def _ensemble(callbacks=None):
    member = tiny_net(
        hidden_layer_sizes=(8,),
        class_weight=None,
        max_epochs=6,
        dtype="float64",
        random_state=None,
        callbacks=callbacks,
    )
    return tiny_ensemble(N_MEMBERS, estimator=member, random_state=3, torch_threads=1)



def test_killed_worker_member_is_rerun_and_fit_equals_undisturbed(tmp_path):
    X, y = imbalanced(300)
    marker = tmp_path / "killed"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dask's own warnings about the lost worker
        with local_cluster(tmp_path) as cluster, distributed.Client(cluster) as client:
            pids_before = set(client.run(os.getpid).values())
            with joblib.parallel_backend("dask"):
                ens = _ensemble([("kill", KillProcessOnce(str(marker)))]).fit(X, y)
            client.wait_for_workers(2, timeout=60)
            pids_after = set(client.run(os.getpid).values())
    assert marker.exists()  # one member's fit did die mid-training ...
    assert pids_before != pids_after  # ... and took its worker process with it
    assert all(len(m.history) == 6 for m in ens.estimators_)  # every member trained in full

    undisturbed = _ensemble().fit(X, y)  # sequential, in this process
    np.testing.assert_allclose(
        ens.predict_proba(X), undisturbed.predict_proba(X), rtol=0, atol=1e-12
    )
    for a, b in zip(ens.estimators_samples_, undisturbed.estimators_samples_):
        np.testing.assert_array_equal(a, b)
