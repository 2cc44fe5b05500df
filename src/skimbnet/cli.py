"""The ``skimbnet`` command: show what the library does on an imbalanced problem."""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from sklearn.datasets import make_classification
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    f1_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import train_test_split

from .classifier import BalancedNetClassifier


def _demo(args) -> int:
    X, y = make_classification(
        n_samples=args.n_samples,
        weights=[1 - args.rare_share],
        class_sep=0.8,
        random_state=args.random_state,
    )
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.5, stratify=y, random_state=args.random_state
    )
    print(
        f"Imbalanced problem: {len(y)} rows, rare class {np.mean(y == 1):.1%} "
        "(make_classification, held out 50/50)\n"
    )
    contenders = {
        "plain network (cross-entropy)": BalancedNetClassifier(
            class_weight=None, random_state=args.random_state
        ),
        "BalancedNetClassifier() default": BalancedNetClassifier(random_state=args.random_state),
    }
    header = f"{'model':34s} {'bal.acc':>8s} {'rare recall':>12s} {'macro-F1':>9s} "
    header += f"{'ROC-AUC':>8s} {'avg.prec':>9s} {'fit s':>6s}"
    print(header)
    print("-" * len(header))
    for name, model in contenders.items():
        start = time.perf_counter()
        model.fit(X_tr, y_tr)
        seconds = time.perf_counter() - start
        pred, score = model.predict(X_te), model.predict_proba(X_te)[:, 1]
        print(
            f"{name:34s} {balanced_accuracy_score(y_te, pred):8.3f} "
            f"{recall_score(y_te, pred):12.3f} {f1_score(y_te, pred, average='macro'):9.3f} "
            f"{roc_auc_score(y_te, score):8.3f} {average_precision_score(y_te, score):9.3f} "
            f"{seconds:6.1f}"
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="skimbnet",
        description="Neural networks that learn rare classes. With no command, "
        "compare a plain network with BalancedNetClassifier on an imbalanced problem.",
    )
    sub = parser.add_subparsers(dest="command")
    demo = sub.add_parser("demo", help="plain network vs BalancedNetClassifier (the default)")
    for p in (parser, demo):
        p.add_argument("--n-samples", type=int, default=6000, help="rows (default 6000)")
        p.add_argument(
            "--rare-share", type=float, default=0.04, help="share of the rare class (0.04)"
        )
        p.add_argument("--random-state", type=int, default=0, help="seed (default 0)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``skimbnet`` console script and ``python -m skimbnet``."""
    args = build_parser().parse_args(argv)
    if not 0 < args.rare_share < 0.5:
        print("skimbnet: error: --rare-share must be in (0, 0.5)", file=sys.stderr)
        return 2
    if args.n_samples < 200:
        print("skimbnet: error: --n-samples must be at least 200", file=sys.stderr)
        return 2
    return _demo(args)


if __name__ == "__main__":
    sys.exit(main())
