"""Loss study: every loss strategy on imbalanced problems, mean of 5 seeds.

Reproduce (about 5 minutes on one CPU core)::

    python benchmarks/losses_study.py

It prints a markdown table per problem and rewrites the generated section of
``benchmarks/results/losses.md`` (between the ``<!-- generated -->`` markers;
the hand-written findings around them are kept).

Protocol: for each seed, the data set (synthetic ones are redrawn with the
seed) is split 70/30, stratified; the network (default MLP, ``hidden_layer_sizes``
below) trains a fixed ``max_epochs`` with no internal validation split and no
early stopping, so every loss gets the same budget and LDAM's deferred
re-weighting starts at 80% of it, as in the paper. Metrics are computed on the
held-out 30%: balanced accuracy and macro-F1 of ``predict``; ROC-AUC and average
precision of ``predict_proba`` (minority class for binary problems; macro
one-vs-rest for multi-class).
"""

from __future__ import annotations

import argparse
import platform
import re
import sys
import time
from pathlib import Path

import numpy as np
import sklearn
import torch
from scipy.stats import rankdata
from sklearn.datasets import load_digits, make_classification
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    f1_score,
    roc_auc_score,
)
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import label_binarize

from skimbnet import BalancedNetClassifier

RESULTS = Path(__file__).parent / "results" / "losses.md"
COMMAND = "python benchmarks/losses_study.py"
BEGIN, END = "<!-- generated:begin -->", "<!-- generated:end -->"

#: (label, BalancedNetClassifier parameters)
CONFIGS = [
    ("ce", dict(loss="ce", class_weight=None)),
    ("ce + balanced weights", dict(loss="ce", class_weight="balanced")),
    ("ce + post-hoc LA (tau=1)", dict(loss="ce", class_weight=None, logit_adjustment=1.0)),
    ("focal (gamma=2)", dict(loss="focal", class_weight=None)),
    ("focal (gamma=2) + balanced weights", dict(loss="focal", class_weight="balanced")),
    ("ldam (DRW at 0.8)", dict(loss="ldam", class_weight=None)),
    ("logit_adjusted (tau=1)", dict(loss="logit_adjusted", class_weight=None)),
    ("balanced_softmax", dict(loss="balanced_softmax", class_weight=None)),
    ("soft_f1", dict(loss="soft_f1", class_weight=None)),
]

#: the reference of the paired comparison (the classifier's default loss)
BASELINE = "ce + balanced weights"

METRICS = ["balanced_accuracy", "macro_f1", "roc_auc", "average_precision"]


def _synthetic(weights, n_samples, n_classes=2):
    def make(seed):
        return make_classification(
            n_samples=n_samples,
            n_features=20,
            n_informative=6,
            n_redundant=4,
            n_classes=n_classes,
            n_clusters_per_class=2,
            weights=weights,
            class_sep=0.8,
            flip_y=0.0,
            random_state=seed,
        )

    return make


def _digits_8_vs_rest(seed):
    X, y = load_digits(return_X_y=True)
    return X, (y == 8).astype(int)


#: (name, description, loader(seed) -> X, y)
PROBLEMS = [
    (
        "binary-ir10",
        "make_classification, 3000 rows, 20 features, 1:10",
        _synthetic([10 / 11], 3000),
    ),
    (
        "binary-ir100",
        "make_classification, 5000 rows, 20 features, 1:100",
        _synthetic([100 / 101], 5000),
    ),
    (
        "4-class long tail",
        "make_classification, 3000 rows, shares 0.80/0.15/0.04/0.01",
        _synthetic([0.8, 0.15, 0.04, 0.01], 3000, n_classes=4),
    ),
    ("digits 8-vs-rest", "sklearn load_digits, 1797 rows, 64 features, 1:9.3", _digits_8_vs_rest),
]


def evaluate(clf, X_test, y_test):
    pred = clf.predict(X_test)
    proba = clf.predict_proba(X_test)
    scores = {
        "balanced_accuracy": balanced_accuracy_score(y_test, pred),
        "macro_f1": f1_score(y_test, pred, average="macro"),
    }
    if len(clf.classes_) == 2:
        scores["roc_auc"] = roc_auc_score(y_test, proba[:, 1])
        scores["average_precision"] = average_precision_score(y_test, proba[:, 1])
    else:
        scores["roc_auc"] = roc_auc_score(y_test, proba, multi_class="ovr", average="macro")
        onehot = label_binarize(y_test, classes=clf.classes_)
        scores["average_precision"] = average_precision_score(onehot, proba, average="macro")
    return scores


def run(seeds, max_epochs, hidden, configs, problems, log=sys.stderr):
    """Scores[problem][config] = array of shape (n_seeds, n_metrics), plus fit seconds."""
    results, seconds = {}, {}
    for pname, _, load in problems:
        results[pname], seconds[pname] = {}, {}
        for seed in seeds:
            X, y = load(seed)
            X_train, X_test, y_train, y_test = train_test_split(
                X, y, test_size=0.3, stratify=y, random_state=seed
            )
            for cname, params in configs:
                clf = BalancedNetClassifier(
                    hidden_layer_sizes=hidden,
                    max_epochs=max_epochs,
                    train_split=None,
                    weight_decay=0.01,  # the setting these results were measured with
                    n_members=1,  # one network, as then (the default has 8 since)
                    n_bins=None,  # no encoding, as then (the default checks one since)
                    random_state=seed,
                    **params,
                )
                start = time.perf_counter()
                clf.fit(X_train, y_train)
                seconds[pname].setdefault(cname, []).append(time.perf_counter() - start)
                s = evaluate(clf, X_test, y_test)
                results[pname].setdefault(cname, []).append([s[m] for m in METRICS])
            print(f"{pname} seed {seed} done", file=log, flush=True)
    return results, seconds


def markdown(results, seconds, problems, seeds):
    lines = []
    header = "| loss | balanced acc. | macro-F1 | ROC-AUC | avg. precision | fit s |"
    rule = "|---|---|---|---|---|---|"
    for pname, description, _ in problems:
        lines += [f"### {pname} ({description})", "", header, rule]
        table = {c: np.asarray(v) for c, v in results[pname].items()}
        best = np.max([v.mean(axis=0) for v in table.values()], axis=0)
        for cname, values in table.items():
            mean, std = values.mean(axis=0), values.std(axis=0)
            cells = []
            for j in range(len(METRICS)):
                cell = f"{mean[j]:.3f} ± {std[j]:.3f}"
                cells.append(f"**{cell}**" if mean[j] >= best[j] - 1e-12 else cell)
            fit_s = np.mean(seconds[pname][cname])
            lines.append(f"| {cname} | " + " | ".join(cells) + f" | {fit_s:.1f} |")
        lines.append("")
    # average rank over problems and seeds, by balanced accuracy and by macro-F1
    names = [c for c, _ in CONFIGS if c in results[problems[0][0]]]
    lines += [
        "### Mean rank over problems (1 = best; ranks of the seed-averaged scores)",
        "",
        "| loss | balanced acc. | macro-F1 | ROC-AUC | avg. precision |",
        "|---|---|---|---|---|",
    ]
    ranks = np.zeros((len(names), len(METRICS)))
    for pname, _, _ in problems:
        means = np.array([np.mean(results[pname][c], axis=0) for c in names])
        for j in range(len(METRICS)):
            # ties (e.g. logit_adjusted and balanced_softmax, the same loss) share a rank
            ranks[:, j] += rankdata(-np.round(means[:, j], 4)) / len(problems)
    for i, cname in enumerate(names):
        lines.append(f"| {cname} | " + " | ".join(f"{x:.1f}" for x in ranks[i]) + " |")
    lines.append("")
    # paired by (problem, seed): same data, split and initial seed as the baseline
    base = BASELINE
    pairs = len(problems) * len(seeds)
    lines += [
        f"### Paired against `{base}` ({pairs} problem x seed pairs)",
        "",
        "Wins (strictly better) / mean paired difference.",
        "",
        "| loss | balanced acc. | macro-F1 | ROC-AUC | avg. precision |",
        "|---|---|---|---|---|",
    ]
    for cname in names:
        if cname == base:
            continue
        diff = np.concatenate(
            [np.asarray(results[p][cname]) - np.asarray(results[p][base]) for p, _, _ in problems]
        )
        cells = [
            f"{int((diff[:, j] > 1e-12).sum())}/{pairs}, {diff[:, j].mean():+.3f}"
            for j in range(len(METRICS))
        ]
        lines.append(f"| {cname} | " + " | ".join(cells) + " |")
    lines.append("")
    return "\n".join(lines)


def write_results(table, args, elapsed):
    meta = (
        f"Command: `{COMMAND}`"
        + ("" if args.argv == [] else f" (this run: `{COMMAND} {' '.join(args.argv)}`)")
        + f"\n\nSeeds {args.seeds[0]}..{args.seeds[-1]} ({len(args.seeds)}), "
        f"max_epochs={args.max_epochs}, hidden_layer_sizes={tuple(args.hidden)}, "
        f"no validation split / early stopping, batch_size='auto', AdamW lr=1e-3, "
        f"1 torch thread. Mean ± std over seeds; bold = best mean in the column. "
        f"Total {elapsed / 60:.1f} min.\n\n"
        f"torch {torch.__version__}, scikit-learn {sklearn.__version__}, "
        f"Python {platform.python_version()}, {platform.machine()}.\n"
    )
    generated = f"{BEGIN}\n{meta}\n{table}\n{END}"
    if RESULTS.exists() and BEGIN in RESULTS.read_text():
        text = RESULTS.read_text()
        text = re.sub(
            re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: generated, text, flags=re.S
        )
    else:
        text = f"# Loss study\n\n{generated}\n"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="number of seeds (0..n-1)")
    parser.add_argument("--max-epochs", type=int, default=40)
    parser.add_argument("--hidden", type=int, nargs="*", default=[64, 32])
    parser.add_argument("--no-write", action="store_true", help="only print the table")
    args = parser.parse_args(argv)
    args.argv = argv
    args.seeds = list(range(args.seeds))
    torch.set_num_threads(1)
    start = time.perf_counter()
    results, seconds = run(args.seeds, args.max_epochs, tuple(args.hidden), CONFIGS, PROBLEMS)
    elapsed = time.perf_counter() - start
    table = markdown(results, seconds, PROBLEMS, args.seeds)
    print(table)
    if not args.no_write:
        write_results(table, args, elapsed)
        print(f"wrote {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
