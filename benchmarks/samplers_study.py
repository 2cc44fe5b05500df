"""Study: which rows the network sees (samplers, resamplers, augmentation).

Compares, with ``class_weight=None`` so that the sampler is the only remedy,

- the sampler strategies ``natural``, ``balanced``, ``sqrt``, ``progressive``,
  ``undersample`` (also with ``batch_size=32``: when the study was written,
  "auto" sized batches from the training rows, so an under-sampled epoch was
  one or two steps; "auto" now follows the epoch's rows, which gives 32 here,
  so the two rows agree);
- the imbalanced-learn resamplers ``SMOTE`` and ``RandomOverSampler`` (applied to
  the training split only);
- ``GaussianNoise`` augmentation on top of the balanced sampler (the noise turns
  repeated rare rows into distinct points);
- the out-of-the-box classifier (``class_weight="balanced"``, natural sampler)
  as the reference,

on three imbalanced problems (binary ratio ~10, binary ratio ~100, a 5-class long
tail), on a held-out stratified test split, mean of 5 seeds (each seed draws a
new split and a new network). It then measures the peak memory (max RSS, one
fresh subprocess per configuration) of a one-epoch fit on a 1M x 32 float32
table with ``sampler="balanced"`` versus ``"natural"``: over-sampling repeats
indices, it never copies X, so the two must be within 10%.

Run from the repository root (about 5 minutes on one CPU core)::

    python benchmarks/samplers_study.py

It prints the tables and writes them to ``benchmarks/results/samplers.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

N_THREADS = 1
SEEDS = (0, 1, 2, 3, 4)
MAX_EPOCHS = 60
MEMORY_ROWS, MEMORY_FEATURES = 1_000_000, 32
RESULTS = Path(__file__).resolve().parent / "results" / "samplers.md"
COMMAND = "python benchmarks/samplers_study.py"


def _torch_single_thread():
    import torch

    torch.set_num_threads(N_THREADS)
    return torch


# ------------------------------------------------------------------ problems


def problems():
    from sklearn.datasets import make_classification

    common = dict(n_features=20, n_informative=6, n_redundant=4, class_sep=1.0, flip_y=0.0)
    return {
        "binary, ratio ~10 (3000 rows)": make_classification(
            n_samples=3000, weights=[0.91], random_state=10, **common
        ),
        "binary, ratio ~100 (6000 rows)": make_classification(
            n_samples=6000, weights=[0.99], random_state=100, **common
        ),
        "5 classes, long tail 60/25/10/4/1% (4000 rows)": make_classification(
            n_samples=4000,
            n_classes=5,
            n_clusters_per_class=1,
            weights=[0.60, 0.25, 0.10, 0.04, 0.01],
            random_state=5,
            **common,
        ),
    }


def configs():
    from imblearn.over_sampling import SMOTE, RandomOverSampler

    from skimbnet import GaussianNoise

    # cross-entropy, early stopping on a 15% split, AdamW's weight decay 0.01:
    # the early-stopped recipe these results were measured with
    recipe = dict(loss="ce", n_members=1, train_split="auto", weight_decay=0.01)
    plain = dict(recipe, class_weight=None)
    return {
        "natural": dict(plain, sampler="natural"),
        "balanced": dict(plain, sampler="balanced"),
        "sqrt": dict(plain, sampler="sqrt"),
        # the curriculum ends on balanced batches at max_epochs: no early stopping
        "progressive, patience=None": dict(plain, sampler="progressive", patience=None),
        "undersample": dict(plain, sampler="undersample"),
        # batch_size="auto" follows the epoch's rows (the K * m an under-sampled epoch
        # draws): at these sizes that is 32 already, so the two rows agree
        "undersample, batch_size=32": dict(plain, sampler="undersample", batch_size=32),
        "resampler=SMOTE()": dict(plain, resampler=SMOTE()),
        "resampler=RandomOverSampler()": dict(plain, resampler=RandomOverSampler()),
        "balanced + GaussianNoise(0.1)": dict(plain, sampler="balanced", augment=GaussianNoise()),
        'reference: class_weight="balanced"': dict(
            recipe, class_weight="balanced", sampler="natural"
        ),
    }


def scores(y_true, proba, classes):
    from sklearn.metrics import (
        average_precision_score,
        balanced_accuracy_score,
        f1_score,
        roc_auc_score,
    )
    from sklearn.preprocessing import label_binarize

    pred = classes[proba.argmax(axis=1)]
    if len(classes) == 2:
        auc = roc_auc_score(y_true, proba[:, 1])
        ap = average_precision_score(y_true == classes[1], proba[:, 1])
    else:
        auc = roc_auc_score(y_true, proba, multi_class="ovr", average="macro", labels=classes)
        ap = average_precision_score(label_binarize(y_true, classes=classes), proba)
    return {
        "balanced accuracy": balanced_accuracy_score(y_true, pred),
        "macro-F1": f1_score(y_true, pred, average="macro"),
        "ROC-AUC": auc,
        "average precision": ap,
    }


METRICS = ("balanced accuracy", "macro-F1", "ROC-AUC", "average precision")


def quality_study(log):
    _torch_single_thread()
    from sklearn.model_selection import train_test_split

    from skimbnet import BalancedNetClassifier

    tables = {}
    for problem, (X, y) in problems().items():
        counts = np.bincount(y)
        log(f"\n### {problem}\nclass counts {counts.tolist()}, test split 30%\n")
        rows = {}
        for name, params in configs().items():
            per_seed, seconds = [], 0.0
            for seed in SEEDS:
                X_tr, X_te, y_tr, y_te = train_test_split(
                    X, y, test_size=0.3, stratify=y, random_state=seed
                )
                # n_bins=None: no encoding, as when these results were recorded
                clf = BalancedNetClassifier(
                    max_epochs=MAX_EPOCHS, n_bins=None, random_state=seed, **params
                )
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    clf.fit(X_tr, y_tr)
                seconds += time.perf_counter() - start
                per_seed.append(scores(y_te, clf.predict_proba(X_te), clf.classes_))
            mean = {m: float(np.mean([s[m] for s in per_seed])) for m in METRICS}
            std = {m: float(np.std([s[m] for s in per_seed])) for m in METRICS}
            rows[name] = (mean, std, seconds / len(SEEDS))
            log(
                f"  {name:36s} "
                + "  ".join(f"{m} {mean[m]:.3f}±{std[m]:.3f}" for m in METRICS[:2])
                + f"  ({seconds / len(SEEDS):.1f} s/fit)"
            )
        tables[problem] = (counts, rows)
    return tables


# ------------------------------------------------------------------ memory


def _rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def memory_child(sampler: str, standardize: bool) -> None:
    """Runs in a fresh process: one epoch over 1M x 32 rows, prints JSON."""
    _torch_single_thread()
    from skimbnet import BalancedNetClassifier

    rng = np.random.default_rng(0)
    X = rng.standard_normal((MEMORY_ROWS, MEMORY_FEATURES), dtype=np.float32)
    y = (rng.random(MEMORY_ROWS) < 0.01).astype(np.int64)  # 1% minority
    X[y == 1, :4] += 1.0
    # the sampler's own allocations: build it and draw one epoch (numpy reports to tracemalloc)
    import tracemalloc

    from skimbnet.sampling import resolve_sampler

    tracemalloc.start()
    resolve_sampler(sampler).build(y, max_epochs=1, random_state=0).indices()
    sampler_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    before = _rss_mib()
    start = time.perf_counter()
    clf = BalancedNetClassifier(
        sampler=sampler,
        standardize=standardize,
        n_members=1,
        max_epochs=1,
        train_split=None,
        class_weight=None,
        random_state=0,
    ).fit(X, y)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(
        json.dumps(
            {
                "sampler": sampler,
                "standardize": standardize,
                "rss_before_fit_mib": before,
                "sampler_alloc_peak_mib": sampler_peak,
                "peak_rss_mib": peak,
                "fit_seconds": seconds,
                "epochs": len(clf.history),
            }
        )
    )


def memory_study(log):
    results = {}
    for standardize in (True, False):
        for sampler in ("natural", "balanced"):
            flags = [] if standardize else ["--no-standardize"]
            out = subprocess.run(
                [sys.executable, __file__, "--memory-child", sampler, *flags],
                check=True,
                capture_output=True,
                text=True,
            )
            r = results[sampler, standardize] = json.loads(out.stdout.strip().splitlines()[-1])
            log(
                f"  sampler={sampler!r}, standardize={standardize}: peak RSS "
                f"{r['peak_rss_mib']:.0f} MiB (data loaded {r['rss_before_fit_mib']:.0f} MiB), "
                f"fit {r['fit_seconds']:.1f} s"
            )
    return results


# ------------------------------------------------------------------ report


def markdown(tables, memory, total_seconds):
    import sklearn
    import torch

    import skimbnet

    lines = [
        "# Samplers, resamplers and augmentation: quality and memory",
        "",
        f"Reproduce: `{COMMAND}` (from the repository root; {total_seconds / 60:.1f} min here).",
        "",
        f"skimbnet {skimbnet.__version__}, torch {torch.__version__}, scikit-learn "
        f"{sklearn.__version__}, Python {platform.python_version()}, {N_THREADS} torch thread, "
        f"{platform.machine()}.",
        "",
        "Every configuration uses `class_weight=None` (so the sampler, resampler or "
        "augmentation is the only remedy), except the reference row, the out-of-the-box "
        'classifier (`class_weight="balanced"`, natural sampler). Defaults otherwise '
        f"(MLP (128, 64), AdamW lr 1e-3, batch 'auto', 15% validation split scored by "
        f"balanced accuracy, early stopping with patience 20), `max_epochs={MAX_EPOCHS}`. "
        "Held-out stratified 30% test split; mean ± standard deviation over seeds "
        f"{list(SEEDS)} (each seed draws a new split and a new network). Average precision "
        "is the minority class's for binary problems, the macro mean over classes otherwise.",
        "",
    ]
    for problem, (counts, rows) in tables.items():
        lines += [
            f"## {problem}",
            "",
            f"Class counts: {counts.tolist()}.",
            "",
            "| configuration | " + " | ".join(METRICS) + " | s / fit |",
            "|---|" + "---:|" * (len(METRICS) + 1),
        ]
        best = {m: max(r[0][m] for r in rows.values()) for m in METRICS}
        for name, (mean, std, sec) in rows.items():
            cells = []
            for m in METRICS:
                cell = f"{mean[m]:.3f} ± {std[m]:.3f}"
                cells.append(f"**{cell}**" if mean[m] == best[m] else cell)
            lines.append(f"| {name} | " + " | ".join(cells) + f" | {sec:.1f} |")
        lines.append("")
    lines += [
        "## Peak memory on 1M rows",
        "",
        f"One epoch (`max_epochs=1, train_split=None`) on a {MEMORY_ROWS:,} x "
        f"{MEMORY_FEATURES} float32 table (1% minority), each configuration in a fresh "
        "subprocess; peak = `resource.getrusage(RUSAGE_SELF).ru_maxrss`, which includes the "
        f"data itself ({MEMORY_ROWS * MEMORY_FEATURES * 4 / 2**20:.0f} MiB for X) and the "
        "imported libraries. The sampler's own allocation is measured apart with "
        "`tracemalloc` (build + one epoch's indices). `standardize=False` removes the "
        "classifier's standardisation step, whose float64 temporaries set the peak otherwise.",
        "",
        "| standardize | sampler | RSS with the data loaded (MiB) | peak RSS during fit (MiB) "
        "| sampler's own peak allocation (MiB) | fit (s) | balanced / natural peak |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    verdicts = []
    for standardize in (True, False):
        nat, bal = memory["natural", standardize], memory["balanced", standardize]
        ratio = bal["peak_rss_mib"] / nat["peak_rss_mib"]
        verdicts.append(abs(ratio - 1) <= 0.10)
        for name, r in (("natural", nat), ("balanced", bal)):
            cell = f"**{ratio:.3f}** ({(ratio - 1) * 100:+.1f}%)" if name == "balanced" else ""
            lines.append(
                f"| {standardize} | {name} | {r['rss_before_fit_mib']:.0f} | "
                f"{r['peak_rss_mib']:.0f} | {r['sampler_alloc_peak_mib']:.0f} | "
                f"{r['fit_seconds']:.1f} | {cell} |"
            )
    lines += [
        "",
        f"Requirement (balanced within 10% of natural): {'met' if all(verdicts) else 'NOT met'}.",
        "",
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory-child", choices=["natural", "balanced"], help=argparse.SUPPRESS)
    parser.add_argument("--no-standardize", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--output", default=str(RESULTS), help="where to write the markdown")
    args = parser.parse_args(argv)
    if args.memory_child:
        memory_child(args.memory_child, standardize=not args.no_standardize)
        return
    os.environ.setdefault("OMP_NUM_THREADS", str(N_THREADS))
    start = time.perf_counter()
    print("## Quality (mean of 5 seeds)")
    tables = quality_study(print)
    print("\n## Peak memory, 1M x 32 float32, one epoch")
    memory = memory_study(print)
    text = markdown(tables, memory, time.perf_counter() - start)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(text)
    print(f"\nwrote {args.output}")


if __name__ == "__main__":
    main()
