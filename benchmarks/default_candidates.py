"""Candidates for ``BalancedNetClassifier()``'s defaults, ranked against the neural peers.

Run from the repository root (about 1 minute per candidate and fold shuffle on 2 cores)::

    python benchmarks/default_candidates.py --cv-seed 0 ldam60_wd01 ldam60_wd1
    python benchmarks/default_candidates.py --cv-seed 1 ldam60_wd01

Each candidate runs on the development suite with the folds and the model seed of
``benchmarks/quality.py`` (stratified 5-fold, shuffled with ``--cv-seed``); results are
cached in ``benchmarks/results/default_candidates_cv{seed}.json``. It prints, per
candidate, its mean rank (balanced accuracy, average precision) among itself and the
five neural peers, read from ``quality_raw.json`` (shuffle 0) or
``quality_raw_cvseed1.json`` (shuffle 1), and the best peer's rank.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
RAW = {0: HERE / "results" / "quality_raw.json", 1: HERE / "results" / "quality_raw_cvseed1.json"}
NEURAL_PEERS = (
    "MLPClassifier",
    "ROS + MLPClassifier",
    "SMOTE + MLPClassifier",
    "skorch NeuralNetClassifier (CE)",
    "BalancedBagging(MLP)",
)
LDAM = dict(loss="ldam", train_split=None, max_epochs=60)
CANDIDATES = {
    "previous_default": dict(loss="ce", train_split="auto", max_epochs=200, weight_decay=0.01),
    "ldam60": dict(LDAM, weight_decay=0.01),
    "ldam60_wd01": dict(LDAM, weight_decay=0.1),  # the default since 0.2
    "ldam60_wd03": dict(LDAM, weight_decay=0.3),
    "ldam60_wd1": dict(LDAM, weight_decay=1.0),
    "ldam60_wd3": dict(LDAM, weight_decay=3.0),
    "ldam40_wd01": dict(LDAM, max_epochs=40, weight_decay=0.1),
    "ldam100": dict(LDAM, max_epochs=100, weight_decay=0.01),
    "ldam60_early_stopped": dict(loss="ldam", max_epochs=60, weight_decay=0.01),
    "ce_balanced60": dict(loss="ce", train_split=None, max_epochs=60, weight_decay=0.01),
    "logit_adjusted60": dict(
        loss="logit_adjusted", train_split=None, max_epochs=60, weight_decay=0.01
    ),
}
#: member networks for BootstrapEnsembleClassifier(estimator=...), names start with "ens_"
MEMBER = dict(loss="ce", class_weight=None, train_split=None)
ENSEMBLE_CANDIDATES = {
    # skimbnet.ensemble.default_estimator()
    "ens_default": dict(MEMBER, hidden_layer_sizes=(32,), max_epochs=50, weight_decay=1.0),
    "ens_128x64_60_wd01": dict(MEMBER, max_epochs=60, weight_decay=0.1),
    "ens_64_100_wd01": dict(MEMBER, hidden_layer_sizes=(64,), max_epochs=100, weight_decay=0.1),
    "ens_32_100_wd1": dict(MEMBER, hidden_layer_sizes=(32,), max_epochs=100, weight_decay=1.0),
    # the member behind skimbnet.L1FeatureSelector, fitted on each draw
    "ens_l1sel_C01": dict(MEMBER, max_epochs=60, weight_decay=0.1, select_C=0.1),
    "ens_l1sel_C1": dict(MEMBER, max_epochs=60, weight_decay=0.1, select_C=1.0),
}
CANDIDATES.update(ENSEMBLE_CANDIDATES)


def _fold(params, X, y, train, test):
    import warnings

    import torch
    from sklearn.metrics import average_precision_score, balanced_accuracy_score
    from threadpoolctl import threadpool_limits

    from skimbnet import BalancedNetClassifier, BootstrapEnsembleClassifier

    torch.set_num_threads(1)
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if params in ENSEMBLE_CANDIDATES.values():
            params = dict(params)
            select_C = params.pop("select_C", None)
            member = BalancedNetClassifier(**{"n_members": 1, **params})
            if select_C is not None:
                from sklearn.pipeline import make_pipeline

                from skimbnet import L1FeatureSelector

                member = make_pipeline(L1FeatureSelector(C=select_C), member)
            model = BootstrapEnsembleClassifier(estimator=member, n_jobs=1, random_state=0)
        else:
            # one network, as these candidates were measured (the default has 8 since)
            model = BalancedNetClassifier(random_state=0, **{"n_members": 1, **params})
        model.fit(X[train], y[train])
        proba = model.predict_proba(X[test])
    rare = int(np.flatnonzero(model.classes_ == 1)[0])
    pred = model.classes_[proba.argmax(axis=1)]
    return (
        float(balanced_accuracy_score(y[test], pred)),
        float(average_precision_score(y[test] == 1, proba[:, rare])),
    )


def run(names, cv_seed, n_jobs):
    from joblib import Parallel, delayed
    from sklearn.model_selection import StratifiedKFold

    from skimbnet.datasets import DEVELOPMENT_SUITE, load_dataset

    cache = HERE / "results" / f"default_candidates_cv{cv_seed}.json"
    results = json.loads(cache.read_text()) if cache.exists() else {}
    for name in names:
        if name in results:
            continue
        results[name] = {}
        for ds in DEVELOPMENT_SUITE:
            X, y = load_dataset(ds)
            folds = StratifiedKFold(5, shuffle=True, random_state=cv_seed).split(X, y)
            results[name][ds] = Parallel(n_jobs=n_jobs)(
                delayed(_fold)(CANDIDATES[name], X, y, tr, te) for tr, te in folds
            )
        cache.write_text(json.dumps(results, indent=1) + "\n")
    return results


def ranks(results, cv_seed):
    from scipy.stats import rankdata

    suite = json.loads(RAW[cv_seed].read_text())["suite"]
    datasets = sorted({k.split("|")[0] for k in suite})
    for name, per_ds in results.items():
        cells = []
        for i, metric in enumerate(("balanced_accuracy", "average_precision")):
            table = np.array(
                [
                    [np.mean([fold[i] for fold in per_ds[d]])]
                    + [np.mean(suite[f"{d}|{p}"][metric]) for p in NEURAL_PEERS]
                    for d in datasets
                ]
            )
            mean_rank = np.array([rankdata(-row) for row in table]).mean(axis=0)
            best = int(np.argmin(mean_rank[1:]))
            cells.append(
                f"{metric}: {mean_rank[0]:.2f} (best peer {NEURAL_PEERS[best]} "
                f"{mean_rank[1 + best]:.2f})"
            )
        print(f"{name:22s} " + " | ".join(cells))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=list(CANDIDATES), choices=list(CANDIDATES))
    parser.add_argument("--cv-seed", type=int, default=0, choices=[0, 1])
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()
    ranks(run(args.names, args.cv_seed, args.n_jobs), args.cv_seed)


if __name__ == "__main__":
    main()
