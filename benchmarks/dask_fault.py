"""A Dask worker killed in the middle of a BootstrapEnsembleClassifier fit: time and result.

A ``distributed.LocalCluster`` of 2 worker processes (one thread each, loopback only).
The ensemble is fitted three times through ``joblib.parallel_backend("dask")``:
undisturbed, then with one member's fit SIGKILLing its worker after epoch
``--kill-epoch`` (``tests/tiny_models.KillProcessOnce``; the nanny restarts the worker and
the scheduler re-runs the lost member), and once in this process without Dask. Prints
the fit seconds, the worker processes before and after, and whether the predictions
equal the undisturbed and the local fits'::

    OMP_NUM_THREADS=1 python benchmarks/dask_fault.py
"""

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import joblib
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=8)
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--kill-epoch", type=int, default=15)
    args = parser.parse_args(argv)

    import distributed
    from sklearn.datasets import make_classification
    from tiny_models import KillProcessOnce, local_cluster

    from skimbnet import BalancedNetClassifier, BootstrapEnsembleClassifier

    X, y = make_classification(
        n_samples=args.rows, n_features=20, n_informative=6, weights=[0.95], random_state=0
    )

    def ensemble(callbacks=None):
        member = BalancedNetClassifier(
            loss="ce",
            class_weight=None,
            n_members=1,
            n_bins=None,
            max_epochs=args.epochs,
            train_split=None,
            callbacks=callbacks,
        )
        return BootstrapEnsembleClassifier(
            member, n_estimators=args.members, random_state=0, torch_threads=1
        )

    tmp = Path(tempfile.mkdtemp())
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with (
            local_cluster(tmp, silence_logs=50) as cluster,
            distributed.Client(cluster) as client,
        ):
            for label, callbacks in [
                ("undisturbed", None),
                (
                    "one worker killed",
                    [("kill", KillProcessOnce(str(tmp / "killed"), args.kill_epoch))],
                ),
            ]:
                client.wait_for_workers(2, timeout=60)
                pids = sorted(client.run(os.getpid).values())
                start = time.perf_counter()
                with joblib.parallel_backend("dask"):
                    fitted = ensemble(callbacks).fit(X, y)
                seconds = time.perf_counter() - start
                client.wait_for_workers(2, timeout=60)
                after = sorted(client.run(os.getpid).values())
                rows.append((label, seconds, pids, after, fitted.predict_proba(X)))
    start = time.perf_counter()
    local = ensemble().fit(X, y).predict_proba(X)
    local_seconds = time.perf_counter() - start

    print(
        f"{args.members} members x {args.epochs} epochs, {args.rows} rows, 2 Dask workers; "
        f"killed after epoch {args.kill_epoch} of one member; local fit {local_seconds:.1f} s"
    )
    print()
    print(
        "| fit | seconds | worker pids before | after | predict_proba == undisturbed | == local |"
    )
    print("|---|---|---|---|---|---|")
    for label, seconds, before, after, proba in rows:
        print(
            f"| {label} | {seconds:.1f} | {before} | {after} | "
            f"{np.array_equal(proba, rows[0][4])} | {np.array_equal(proba, local)} |"
        )


if __name__ == "__main__":
    main()
