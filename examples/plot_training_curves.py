"""Validation balanced accuracy per epoch, one curve per imbalance strategy.

Each network trains a fixed 60 epochs (``patience=None``: no early stopping,
so every curve runs to the end) on the same 97/3 rows, holding out the same
stratified 20% for validation. The curves are read from the fitted
estimator's skorch history: ``net.history_[:, "valid_balanced_accuracy"]``.
The dotted line marks where LDAM's deferred re-weighting (DRW) starts.

    python examples/plot_training_curves.py [OUTPUT_DIR]   # default: docs/figures/
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
from sklearn.datasets import make_classification  # noqa: E402

from skimbnet import BalancedNetClassifier, LDAMLoss  # noqa: E402

FILENAME = "training_curves.png"
EPOCHS = 60


def strategies(seed=0):
    """Name -> unfitted model; everything that matters here is spelled out."""
    # n_bins=None: every strategy on the same plain network (no feature encoding)
    common = dict(max_epochs=EPOCHS, patience=None, train_split=0.2, n_bins=None,
                  scoring="balanced_accuracy", random_state=seed)
    return {
        "plain network": BalancedNetClassifier(
            loss="ce", class_weight=None, sampler="natural", **common),
        'class_weight="balanced"': BalancedNetClassifier(
            loss="ce", class_weight="balanced", **common),
        'loss="focal", balanced weights': BalancedNetClassifier(
            loss="focal", class_weight="balanced", **common),
        'loss="logit_adjusted"': BalancedNetClassifier(
            loss="logit_adjusted", class_weight=None, **common),
        'loss="ldam" (DRW)': BalancedNetClassifier(loss="ldam", class_weight=None, **common),
        'sampler="balanced"': BalancedNetClassifier(
            loss="ce", sampler="balanced", class_weight=None, **common),
        'sampler="progressive"': BalancedNetClassifier(
            loss="ce", sampler="progressive", class_weight=None, **common),
    }


def main(argv=None) -> Path:
    out = output_dir(__doc__, argv)
    torch.set_num_threads(1)
    start = time.perf_counter()

    X, y = make_classification(n_samples=4000, n_features=20, n_informative=4,
                               weights=[0.97], class_sep=0.8, flip_y=0.0, random_state=3)
    fig, ax = plt.subplots(figsize=(10, 5), layout="constrained")
    colors = plt.get_cmap("tab10").colors
    for i, (name, net) in enumerate(strategies().items()):
        net.fit(X, y)
        scores = net.history_[:, "valid_balanced_accuracy"]
        epochs = net.history_[:, "epoch"]
        ax.plot(epochs, scores, color=colors[i % 10], linestyle="--" if i == 0 else "-",
                linewidth=1.4, label=name)
    drw_start = LDAMLoss().get_params()["drw_start"]
    if isinstance(drw_start, float) and 0 < drw_start < 1:
        ax.axvline(drw_start * EPOCHS, color="grey", linestyle=":", label="LDAM: DRW starts")
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation balanced accuracy")
    ax.set_title(f"Validation balanced accuracy per epoch (97/3 data, {EPOCHS} epochs, "
                 "no early stopping)", fontsize=11)
    ax.set_ylim(0.45, 1.0)
    fig.legend(loc="outside right center", fontsize=8)

    return save_figure(fig, out, FILENAME, start)


if __name__ == "__main__":
    main(sys.argv[1:])
