"""BootstrapEnsembleClassifier: quality on a 97/3 problem and fit time with n_jobs=1 vs 2.

Run from the repository root::

    python benchmarks/ensemble_bench.py            # prints and writes results/ensemble.md
    python benchmarks/ensemble_bench.py --seeds 3  # fewer seeds, shorter

(a) ``make_classification(n_samples=5000, weights=[0.97], class_sep=0.7,
random_state=s)``, held out 50/50 (stratified): the default ensemble (10
members) against a single plain network, a single class-weighted network and
imbalanced-learn's BalancedBaggingClassifier (trees; MLPs) and
EasyEnsembleClassifier with the same number of members. Medians over seeds.

(b) Fit time of the default ensemble with n_jobs=1 and n_jobs=2 (median of
3, after one warm-up fit that starts joblib's worker processes), and the cost
of letting each member use 2 torch threads instead of 1.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
import torch
from imblearn.ensemble import BalancedBaggingClassifier, EasyEnsembleClassifier
from sklearn.datasets import make_classification
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    f1_score,
    roc_auc_score,
)
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skimbnet import BalancedNetClassifier, BootstrapEnsembleClassifier, L1FeatureSelector
from skimbnet.catalogue import EARLY_STOPPED  # one early-stopped network, as compare's
from skimbnet.ensemble import default_estimator

N_MEMBERS = 10
RESULTS = Path(__file__).parent / "results" / "ensemble.md"


def models(seed):
    mlp = make_pipeline(StandardScaler(), MLPClassifier((32,), max_iter=300, random_state=seed))
    return {
        "BootstrapEnsemble (default, 10 nets)": BootstrapEnsembleClassifier(
            n_estimators=N_MEMBERS, random_state=seed
        ),
        # the recipe for many noise columns: each member selects features on its draw
        "BootstrapEnsemble, members behind L1FeatureSelector": BootstrapEnsembleClassifier(
            make_pipeline(L1FeatureSelector(C=0.1), default_estimator()),
            n_estimators=N_MEMBERS,
            random_state=seed,
        ),
        "single plain net (class_weight=None)": BalancedNetClassifier(
            loss="ce", class_weight=None, random_state=seed, **EARLY_STOPPED
        ),
        "single BalancedNetClassifier() (default)": BalancedNetClassifier(random_state=seed),
        "single net, class_weight='balanced'": BalancedNetClassifier(
            loss="ce", random_state=seed, **EARLY_STOPPED
        ),
        "imblearn BalancedBagging (10 trees)": BalancedBaggingClassifier(
            n_estimators=N_MEMBERS, random_state=seed
        ),
        "imblearn BalancedBagging (10 MLPs)": BalancedBaggingClassifier(
            mlp, n_estimators=N_MEMBERS, random_state=seed
        ),
        "imblearn EasyEnsemble (10 AdaBoosts)": EasyEnsembleClassifier(
            n_estimators=N_MEMBERS, random_state=seed
        ),
    }


def data(seed):
    X, y = make_classification(n_samples=5000, weights=[0.97], class_sep=0.7, random_state=seed)
    return train_test_split(X, y, test_size=0.5, stratify=y, random_state=seed)


def quality(seeds):
    rows = {}
    for seed in seeds:
        X_train, X_test, y_train, y_test = data(seed)
        for name, model in models(seed).items():
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # MLP convergence warnings
                model.fit(X_train, y_train)
            seconds = time.perf_counter() - start
            score = model.predict_proba(X_test)[:, 1]
            pred = model.predict(X_test)
            result = (
                balanced_accuracy_score(y_test, pred),
                f1_score(y_test, pred, average="macro"),
                roc_auc_score(y_test, score),
                average_precision_score(y_test, score),
                seconds,
            )
            rows.setdefault(name, []).append(result)
            print(
                f"seed={seed} {name:38s} bal_acc={result[0]:.3f} macro_f1={result[1]:.3f} "
                f"roc_auc={result[2]:.3f} ap={result[3]:.3f} fit={seconds:.1f}s",
                flush=True,
            )
    return rows


def timed_fit(model, X, y):
    start = time.perf_counter()
    model.fit(X, y)
    return time.perf_counter() - start


def timing(repeats=3):
    """Fit times: {workload: {setting: [seconds, ...]}} and the torch-threads comparison."""
    X_small, _, y_small, _ = data(0)
    X_large, y_large = make_classification(n_samples=40_000, weights=[0.9], random_state=0)
    workloads = {
        "97/3 training half, 10 members (~85 rows/class each)": (X_small, y_small, N_MEMBERS),
        "40,000 rows 90/10, 4 members (~4,160 rows/class each)": (X_large, y_large, 4),
    }
    # warm-up: starts joblib's loky workers (and imports torch in them) once
    BootstrapEnsembleClassifier(n_estimators=2, n_jobs=2, random_state=0).fit(X_small, y_small)
    results = {}
    for workload, (X, y, n_members) in workloads.items():
        for _ in range(repeats):  # interleaved, so load changes hit both alike
            for n_jobs in (1, 2):
                model = BootstrapEnsembleClassifier(
                    n_estimators=n_members, n_jobs=n_jobs, random_state=0
                )
                seconds = timed_fit(model, X, y)
                results.setdefault(workload, {}).setdefault(n_jobs, []).append(seconds)
                print(f"timing {workload}, n_jobs={n_jobs}: {seconds:.2f}s", flush=True)
    threads = {}
    for _ in range(repeats):
        for value in (1, 2):
            model = BootstrapEnsembleClassifier(n_estimators=1, torch_threads=value, random_state=0)
            seconds = timed_fit(model, X_small, y_small)
            threads.setdefault(value, []).append(seconds)
            print(f"1 member, n_jobs=1, torch_threads={value}: {seconds:.2f}s", flush=True)
    return results, threads


def load():
    return "/".join(f"{v:.2f}" for v in os.getloadavg())


def fmt(values):
    return f"{np.median(values):.3f}"


def report(args, rows, seeds, timings, threads, load_before, load_after, seconds):
    lines = [
        "# BootstrapEnsembleClassifier benchmark",
        "",
        f"Command: `python benchmarks/ensemble_bench.py --seeds {args.seeds}` "
        f"(took {seconds / 60:.1f} min)",
        "",
        f"Machine: {os.cpu_count()} CPU cores, {platform.processor() or platform.machine()}, "
        f"Python {sys.version.split()[0]}, torch {torch.__version__} (CPU), "
        f"scikit-learn {sklearn.__version__}. Load average (1/5/15 min) at the start "
        f"{load_before}, at the end {load_after}: the 2 cores were shared with other "
        "jobs running at the same time when the load is above 2, and the timings are "
        "then noisy (qualities are not: every model is seeded).",
        "",
        "## (a) Quality on a 97/3 problem",
        "",
        "`make_classification(n_samples=5000, weights=[0.97], class_sep=0.7, "
        f"random_state=s)`, held out 50/50 stratified, s in {list(seeds)}; 10 members "
        "for every ensemble. Median over seeds (balanced accuracy per seed in the last "
        "column).",
        "",
        "| model | balanced acc. | macro-F1 | ROC-AUC | avg. precision | fit s "
        "| bal. acc. per seed |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, results in rows.items():
        cols = list(zip(*results))
        per_seed = ", ".join(f"{v:.3f}" for v in cols[0])
        lines.append(
            f"| {name} | {fmt(cols[0])} | {fmt(cols[1])} | {fmt(cols[2])} | {fmt(cols[3])} "
            f"| {np.median(cols[4]):.1f} | {per_seed} |"
        )
    ens = [r[0] for r in rows["BootstrapEnsemble (default, 10 nets)"]]
    plain = [r[0] for r in rows["single plain net (class_weight=None)"]]
    wins = sum(e > p for e, p in zip(ens, plain))
    sel = [r[0] for r in rows["BootstrapEnsemble, members behind L1FeatureSelector"]]
    lines += [
        "",
        f"The default ensemble's median balanced accuracy is **{np.median(ens):.3f}** "
        f"(>= 0.80 on {sum(e >= 0.80 for e in ens)} of {len(ens)} seeds); it beats the "
        f"single plain network (median {np.median(plain):.3f}) on {wins} of {len(ens)} "
        "seeds. On this data (2 informative, 2 redundant and 16 noise features, two "
        "clusters per class) tree ensembles rank better than any network that uses all "
        "the columns. "
        "A single plain network's early stopping watches validation balanced "
        "accuracy, which stays at 0.5 while an unweighted network still predicts only "
        "the majority class: where that lasts 20 epochs (seed 4) it stops and restores "
        "the first epoch's weights (balanced accuracy 0.500, ROC-AUC ~0.52).",
        "",
        "The row 'members behind L1FeatureSelector' is the recipe for data with many "
        "noise columns: `BootstrapEnsembleClassifier(make_pipeline(L1FeatureSelector(C=0.1), "
        f"default_estimator()))`, median **{np.median(sel):.3f}** "
        f"(>= 0.80 on {sum(v >= 0.80 for v in sel)} of {len(sel)} seeds). Each member keeps "
        "the columns an L1-penalised, class-balanced logistic regression uses on its own "
        "draw. It is not the default: on the development suite of real data sets it ranks "
        "well below the default member (third session, `python benchmarks/"
        "default_candidates.py --cv-seed 0 ens_l1sel_C01`: mean rank among the candidate and "
        "the five neural peers 3.89 balanced accuracy / 4.89 average precision, against 2.00 "
        "/ 2.94 for the default member; it loses most on car_good, average precision 0.372 "
        "vs 0.689). A milder penalty keeps more columns and loses the gain here: C=1 ranks "
        "2.44 / 2.83 on the suite (`ens_l1sel_C1`) but reaches a median of only 0.757 on this "
        "problem, C=0.3 0.773 (separate runs, same seeds): the selection strong enough for 16 "
        "noise columns out of 20 is what costs the real data sets.",
        "",
        "The default member (`skimbnet.ensemble.default_estimator()`) is chosen on the "
        "development suite of real data sets (benchmarks/results/quality.md), not here: "
        "the default MLP (128-64) with cross-entropy, no class weights, 60 epochs and "
        "weight decay 0.1 (second session), and since the fifth pass of quality.md's "
        "findings one network on the features and one on their 4-bin encodings "
        f"(`n_bins='auto'`). On this synthetic problem it reaches a median of "
        f"{np.median(ens):.3f}, against 0.754 for the member before the encoding and 0.781 "
        "for an earlier, smaller one (one hidden layer of 32, 50 epochs, weight decay 1.0; "
        "runs of earlier sessions, same seeds).",
        "",
        "How the earlier member was chosen (separate runs, same seeds 0-4, 10 members, "
        "median balanced accuracy): one hidden layer of 32, 50 epochs, lr 1e-3, "
        "weight decay 1.0: 0.781; the same with weight decay 0.01: 0.775; 64 units, "
        "100-200 epochs: 0.73-0.75 on seeds 0-2 (overfits); 16 units: 0.751; (32, 16): "
        "0.774; dropout 0.5: 0.772; Gaussian input noise 0.2/0.5: 0.776/0.771; the "
        "library's default (128, 64) with early stopping on a 15% validation split: "
        "0.773; a linear model: 0.772; 30 members instead of 10: 0.762; "
        "4m rows per class with replacement: 0.745. The differences are within "
        "seed noise: the networks plateau near 0.78 here.",
        "",
        "Tried in the second session (same protocol; member changes relative to the "
        "default member): 20 / 100 epochs 0.775 / 0.777; 16 units, 30 epochs 0.751; "
        "lr 3e-3, 30 epochs 0.774; tanh 0.771; full-batch, lr 1e-2, 200 epochs 0.757; "
        "64 units with dropout 0.3 0.771; linear 0.763; weight decay 5 / 20 0.765 / "
        "0.762; lr 1e-2 with weight decay 1 0.757, with 5 and 30 epochs 0.777; "
        '`loss="ldam"` 0.785; `loss="soft_f1"` 0.770; 128 units, 30 epochs 0.772; '
        "batch 16 0.777; batch 8, 30 epochs 0.781; (64, 32), 60 epochs 0.768. Voting "
        "rules on the default's members: soft 0.781, geometric mean 0.781, hard 0.770, "
        "and even the best threshold chosen on the test half 0.781 (ranking, not the "
        "threshold, is what limits it: ROC-AUC 0.848 vs EasyEnsemble's 0.880). For "
        "reference: balanced logistic regression 0.771, RBF SVC (balanced) 0.660, "
        "HistGradientBoosting (balanced) 0.702; with only the 2 informative features "
        "the ensemble reaches 0.808 and an RBF SVC 0.845, so the 16 noise features are "
        "what costs the networks here.",
    ]
    lines += [
        "",
        "## (b) Fit time, n_jobs=1 vs n_jobs=2",
        "",
        "Default members (`torch_threads=1`: one torch thread per member), median of 3 "
        "interleaved fits after one warm-up fit that starts joblib's worker processes "
        "(loky). The speed-up is the ratio of the medians.",
        "",
        "| workload | n_jobs=1 median s | n_jobs=2 median s | speed-up | all fits s (1 / 2) |",
        "|---|---|---|---|---|",
    ]
    for workload, by_jobs in timings.items():
        one, two = np.median(by_jobs[1]), np.median(by_jobs[2])
        every = " / ".join(", ".join(f"{v:.2f}" for v in by_jobs[n]) for n in (1, 2))
        lines.append(f"| {workload} | {one:.2f} | {two:.2f} | **{one / two:.2f}x** | {every} |")
    t1, t2 = np.median(threads[1]), np.median(threads[2])
    lines += [
        "",
        "A speed-up needs an idle second core (see the load average above): on a quiet "
        "machine (load about 1) both workloads measured about 1.9x; in the first session, "
        "with the load average above 2 (other jobs on both cores), the same command "
        "measured 0.80x and 1.11x, as a second worker process only competed for the "
        "same cores. Process start-up and the torch import in the workers happen in the "
        "warm-up fit; pickling and result transfer remain, which members of a few "
        f"hundred rows (~{t1:.2f} s each) feel more than members of thousands of rows.",
        "",
        "Torch threads per member (1 default member, n_jobs=1, median of 3): "
        f"`torch_threads=1` {t1:.2f}s, `torch_threads=2` {t2:.2f}s (all: "
        f"{', '.join(f'{v:.2f}' for v in threads[1])} vs "
        f"{', '.join(f'{v:.2f}' for v in threads[2])}). Small members gain nothing from "
        "intra-op threads, and on cores that other processes also use, OpenMP's "
        "spinning threads make a 2-thread fit many times slower; hence `torch_threads=1` "
        "by default (with n_jobs=2 on 2 cores, `'auto'` gives 1 thread per worker too).",
        "",
    ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 for part (a)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    torch.set_num_threads(1)  # the single networks too: see part (b)
    start = time.perf_counter()
    load_before = load()
    seeds = range(args.seeds)
    rows = quality(seeds)
    timings, threads = timing()
    load_after = load()
    text = report(
        args, rows, seeds, timings, threads, load_before, load_after, time.perf_counter() - start
    )
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)


if __name__ == "__main__":
    main()
