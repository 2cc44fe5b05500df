"""LunarLander: returns of policies cloned from an expert's demonstrations.

Behavioural cloning as classification: gymnasium's heuristic LunarLander-v3
expert plays a few episodes, every (state, action) pair becomes a row, and a
classifier learns state -> action. Two of the four actions (the side engines)
are rare, and they are the ones that keep the lander upright. The cloned
policies then play episodes on seeds none of them trained on; the figure shows
each policy's return per episode next to the expert's on the same seeds, and
each policy's recall of every action on held-out demonstrations.

Needs the ``games`` extra (``pip install "skimbnet[games]"``, gymnasium with
Box2D); without it the script says so and exits with status 0. The numbers of
the larger study are in benchmarks/results/quality.md
(``python benchmarks/quality.py --part game``).

    python examples/plot_lunar_lander.py [OUTPUT_DIR]   # default: docs/figures/
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from _figure import output_dir, save_figure  # noqa: E402
from sklearn.metrics import recall_score  # noqa: E402

from skimbnet import BalancedNetClassifier  # noqa: E402

FILENAME = "lunar_lander.png"
TRAIN_EPISODES = 10  # demonstrations seeds 0..9
TEST_SEEDS_FROM = 10_000  # held-out demonstrations (as benchmarks/quality.py)
ROLLOUT_SEEDS_FROM = 20_000  # episodes the cloned policies play (as benchmarks/quality.py)
N_TEST, N_ROLLOUTS = 5, 10
ACTIONS = ["noop", "left engine", "main engine", "right engine"]


def policies(seed=0):
    """Name -> unfitted classifier; everything that matters here is spelled out."""
    return {
        "plain network": BalancedNetClassifier(
            loss="ce", class_weight=None, sampler="natural", random_state=seed),
        "BalancedNetClassifier() (LDAM-DRW)": BalancedNetClassifier(random_state=seed),
        "early-stopped, class weights": BalancedNetClassifier(
            loss="ce", class_weight="balanced", train_split="auto", max_epochs=200,
            weight_decay=0.01, random_state=seed),
    }


def play(model, seeds):
    """The return of ``model`` (state -> action) on one episode per seed."""
    from skimbnet.datasets import lunar_lander_returns

    return lunar_lander_returns(model, seeds)


def main(argv=None) -> Path | None:
    out = output_dir(__doc__, argv)
    if not (importlib.util.find_spec("gymnasium") and importlib.util.find_spec("Box2D")):
        print('skipped: needs gymnasium with Box2D: pip install "skimbnet[games]"')
        return None
    from skimbnet.datasets import load_lunar_lander

    torch.set_num_threads(1)
    start = time.perf_counter()
    X, y = load_lunar_lander(TRAIN_EPISODES, first_seed=0)
    X_test, y_test = load_lunar_lander(N_TEST, first_seed=TEST_SEEDS_FROM)
    seeds = np.arange(ROLLOUT_SEEDS_FROM, ROLLOUT_SEEDS_FROM + N_ROLLOUTS)
    _, _, expert = load_lunar_lander(N_ROLLOUTS, first_seed=ROLLOUT_SEEDS_FROM,
                                     return_returns=True)

    results = {}
    for name, model in policies().items():
        model.fit(X, y)
        recall = recall_score(y_test, model.predict(X_test), labels=range(4), average=None,
                              zero_division=0)
        results[name] = (play(model, seeds), recall)

    fig, (ax_ret, ax_rec) = plt.subplots(1, 2, figsize=(12, 4.8), layout="constrained",
                                         width_ratios=[1.2, 1])
    names = ["expert (heuristic)", *results]
    all_returns = [expert] + [r for r, _ in results.values()]
    ax_ret.boxplot(all_returns, showmeans=True, showfliers=False, widths=0.5)
    rng = np.random.default_rng(0)
    for i, returns in enumerate(all_returns, start=1):
        ax_ret.scatter(i + rng.uniform(-0.12, 0.12, len(returns)), returns, s=12, alpha=0.6,
                       color="black", zorder=3)
    ax_ret.set_xticks(range(1, len(names) + 1), [n.replace(" (", "\n(") for n in names],
                      fontsize=8)
    ax_ret.axhline(200, color="grey", linestyle=":", linewidth=1)
    ax_ret.set_ylabel("return per episode (200 = solved)")
    ax_ret.set_title(f"Returns on {N_ROLLOUTS} unseen episodes (triangle: mean)", fontsize=10)

    width = 0.8 / len(results)
    shares = np.bincount(y, minlength=4) / len(y)
    for k, (name, (_, recall)) in enumerate(results.items()):
        ax_rec.bar(np.arange(4) + (k - (len(results) - 1) / 2) * width, recall, width,
                   label=name)
    ax_rec.set_xticks(range(4), [f"{a}\n({s:.0%} of rows)" for a, s in zip(ACTIONS, shares)],
                      fontsize=8)
    ax_rec.set_ylim(0, 1)
    ax_rec.set_ylabel("recall on held-out demonstrations")
    ax_rec.set_title("Recall of each action (side engines are rare)", fontsize=10)
    ax_rec.legend(fontsize=8, loc="upper left")
    fig.suptitle(f"LunarLander-v3 behavioural cloning from {TRAIN_EPISODES} expert episodes "
                 f"({len(y)} rows)")

    return save_figure(fig, out, FILENAME, start)


if __name__ == "__main__":
    main(sys.argv[1:])
