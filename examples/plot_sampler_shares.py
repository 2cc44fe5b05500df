"""Class shares per epoch for each sampler of ``skimbnet.sampling``.

No network is trained: each sampler strategy is built on the labels of a
long-tailed 4-class problem (70/20/8/2%) and asked, with
``skimbnet.sampling.class_shares``, which share of each class it draws in
each of 30 epochs. These are the rows a ``BalancedNetClassifier(sampler=...)``
shows its network, epoch by epoch.

    python examples/plot_sampler_shares.py [OUTPUT_DIR]   # default: docs/figures/
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from _figure import output_dir, save_figure  # noqa: E402

from skimbnet.sampling import (  # noqa: E402
    ClassBalancedSampler,
    NaturalSampler,
    ProgressiveSampler,
    SquareRootSampler,
    UnderSampler,
    class_shares,
)

FILENAME = "sampler_shares.png"
EPOCHS = 30
COUNTS = (3500, 1000, 400, 100)  # 70/20/8/2%


def main(argv=None) -> Path:
    out = output_dir(__doc__, argv)
    start = time.perf_counter()

    y = np.repeat(np.arange(len(COUNTS)), COUNTS)
    samplers = {
        '"natural"': NaturalSampler(),
        '"balanced"': ClassBalancedSampler(),
        '"sqrt"': SquareRootSampler(),
        '"progressive" (linear)': ProgressiveSampler(),
        '"progressive", schedule="cosine"': ProgressiveSampler(schedule="cosine"),
        '"undersample"': UnderSampler(),
    }
    fig, axes = plt.subplots(2, 3, figsize=(12, 6.5), sharex=True, sharey=True,
                             layout="constrained")
    colors = plt.get_cmap("viridis")(np.linspace(0.1, 0.9, len(COUNTS)))
    epochs = np.arange(EPOCHS)
    for ax, (name, strategy) in zip(axes.flat, samplers.items()):
        sampler = strategy.build(y, max_epochs=EPOCHS, random_state=0)
        shares = class_shares(sampler)  # (EPOCHS, n_classes)
        ax.stackplot(epochs, shares.T, colors=colors,
                     labels=[f"class {k} ({c / len(y):.0%} of rows)" for k, c in enumerate(COUNTS)])
        ax.set_title(f"sampler={name}\n{len(sampler)} rows per epoch", fontsize=10)
        ax.set_xlim(0, EPOCHS - 1)
        ax.set_ylim(0, 1)
    for ax in axes[-1]:
        ax.set_xlabel("epoch")
    for ax in axes[:, 0]:
        ax.set_ylabel("share of the epoch's rows")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles[::-1], labels[::-1], loc="outside right center", fontsize=9)
    fig.suptitle("Class shares drawn per epoch, by sampler (long tail 70/20/8/2%)")

    return save_figure(fig, out, FILENAME, start)


if __name__ == "__main__":
    main(sys.argv[1:])
