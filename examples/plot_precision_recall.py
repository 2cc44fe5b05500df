"""Precision-recall curves of the rare class, one per imbalance strategy.

The strategies are those of ``skimbnet compare`` (networks, the bootstrap
ensemble, and balanced logistic regression as a reference), all trained on
the same 97/3 training rows; the curves are drawn from
``predict_proba`` on the same held-out rows, with each curve's average
precision (AP) in the legend and the rare class's share as the chance level.

    python examples/plot_precision_recall.py [OUTPUT_DIR]   # default: docs/figures/
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from _figure import output_dir, save_figure  # noqa: E402
from imblearn.over_sampling import SMOTE  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import average_precision_score, precision_recall_curve  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skimbnet import BalancedNetClassifier, BootstrapEnsembleClassifier  # noqa: E402
from skimbnet.catalogue import EARLY_STOPPED  # noqa: E402

FILENAME = "precision_recall.png"


def strategies(seed=0):
    """Name -> unfitted model: the strategies of ``skimbnet compare``, written out.

    Each is spelled out in full (``class_weight`` included), so the figure
    does not change meaning when a default changes.
    """
    # compare's recipe for the cross-entropy-style strategies: early stopping on a
    # 15% validation split
    es = dict(EARLY_STOPPED, random_state=seed)
    return {
        "plain network": BalancedNetClassifier(
            loss="ce", class_weight=None, sampler="natural", **es),
        'LDAM-DRW (the default)': BalancedNetClassifier(
            loss="ldam", class_weight=None, train_split=None, max_epochs=60, random_state=seed),
        'class_weight="balanced"': BalancedNetClassifier(
            loss="ce", class_weight="balanced", **es),
        'loss="focal"': BalancedNetClassifier(
            loss="focal", class_weight="balanced", **es),
        'loss="logit_adjusted"': BalancedNetClassifier(
            loss="logit_adjusted", class_weight=None, **es),
        'sampler="balanced"': BalancedNetClassifier(
            loss="ce", sampler="balanced", class_weight=None, **es),
        # as in compare: a fixed 60 epochs, so that the curriculum ends on balanced batches
        'sampler="progressive"': BalancedNetClassifier(
            loss="ce", sampler="progressive", class_weight=None,
            **{**es, "train_split": None, "max_epochs": 60}),
        "resampler=SMOTE()": BalancedNetClassifier(
            loss="ce", resampler=SMOTE(random_state=seed), class_weight=None, **es),
        "BootstrapEnsembleClassifier()": BootstrapEnsembleClassifier(random_state=seed),
        "logistic regression (reference)": make_pipeline(
            StandardScaler(), LogisticRegression(class_weight="balanced", max_iter=2000)),
    }


def main(argv=None) -> Path:
    out = output_dir(__doc__, argv)
    torch.set_num_threads(1)
    start = time.perf_counter()

    X, y = make_classification(n_samples=4000, n_features=10, n_informative=5,
                               weights=[0.97], class_sep=1.0, flip_y=0.0, random_state=3)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, stratify=y,
                                                        random_state=0)
    fig, ax = plt.subplots(figsize=(7.5, 5.5), layout="constrained")
    colors = plt.get_cmap("tab10").colors
    for i, (name, model) in enumerate(strategies().items()):
        model.fit(X_train, y_train)
        score = model.predict_proba(X_test)[:, 1]
        precision, recall, _ = precision_recall_curve(y_test, score)
        ap = average_precision_score(y_test, score)
        reference = name.startswith("logistic")
        ax.step(recall, precision, where="post", color="black" if reference else colors[i % 10],
                linestyle="--" if i == 0 or reference else "-", linewidth=1.3,
                label=f"{name} (AP {ap:.2f})")
    ax.axhline(y_test.mean(), color="grey", linestyle=":", label="chance (rare-class share)")
    ax.set_xlabel("recall (rare class)")
    ax.set_ylabel("precision (rare class)")
    ax.set_title("Rare class (3% of rows): precision-recall on held-out rows")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower left", fontsize=8)

    return save_figure(fig, out, FILENAME, start)


if __name__ == "__main__":
    main(sys.argv[1:])
