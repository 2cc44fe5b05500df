"""Benchmark: online behaviour cloning from an action-balanced replay buffer, and its speed.

``--part cloning``: gymnasium's LunarLander-v3 heuristic expert plays one
episode after another (``skimbnet.datasets.load_lunar_lander``, one episode per
seed); its (state, action) pairs go into an ``ActionBalancedReplay`` of
capacity 4000 (about 16 episodes, so the oldest are evicted near the end).
After each episode, ``BalancedNetClassifier.partial_fit`` trains on 40 batches
of 256 drawn from the buffer (``max_epochs=1``, ``batch_size=64``: 4 gradient
steps per batch, ``loss="ce"``, ``class_weight=None``, an MLP (64, 64)). The
replay strategies compared:

- ``natural``: uniform replay (the buffer's own action mix, exact counts);
- ``balanced``: every action a quarter of each batch;
- ``balanced, weighted``: the same batches, trained with the importance weights
  (``sample_weight=batch["weight"]``), i.e. the natural mix in expectation.

After 2, 5, 10 and 20 expert episodes each clone plays the same 20 unseen
episodes (``lunar_lander_returns``, seeds 1000-1019); the table gives the mean
return (mean ± standard deviation over 5 model seeds, each seeding the network
and the buffer's draws), next to the expert's on the same seeds, and the
balanced accuracy and side-engine recall on 10 held-out demonstration episodes
(seeds 2000-2009).

``--part speed``: ``sample(256)`` from a buffer of 1,000,000 transitions (state
and next state of 8 float32, action, reward, done) against a uniform
``torch.randint`` gather of the same fields (``tensor[idx]`` and
``index_select``), and against the same buffer holding 10,000 transitions; the
median of interleaved rounds, wall and CPU time.

Run from the repository root (about 4 minutes on one core for both parts)::

    python benchmarks/replay_cloning.py              # both parts
    python benchmarks/replay_cloning.py --part speed

It prints the tables and writes them to ``benchmarks/results/replay.md`` (each
part rewrites its own section). Needs ``pip install "skimbnet[games]"`` for the
cloning part.
"""

from __future__ import annotations

import argparse
import platform
import re
import sys
import time
import warnings
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results" / "replay.md"
COMMAND = "python benchmarks/replay_cloning.py"

EPISODES = 20
CHECKPOINTS = (2, 5, 10, 20)
UPDATES_PER_EPISODE = 40
BATCH = 256
CAPACITY = 4000
SEEDS = (0, 1, 2, 3, 4)
ROLLOUT_SEEDS = range(1000, 1020)
HELDOUT_SEEDS = (2000, 10)  # first seed, episodes
VARIANTS = {
    "natural": ("natural", False),
    "balanced": ("balanced", False),
    "balanced, weighted": ("balanced", True),
}
CLASSIFIER = dict(
    hidden_layer_sizes=(64, 64),
    n_bins=None,
    max_epochs=1,
    loss="ce",
    class_weight=None,
    batch_size=64,
    lr=2e-3,
)


def _torch():
    import torch

    torch.set_num_threads(1)
    return torch


def _machine():
    import sklearn
    import torch

    import skimbnet

    return (
        f"skimbnet {skimbnet.__version__}, torch {torch.__version__}, scikit-learn "
        f"{sklearn.__version__}, numpy {np.__version__}, Python {platform.python_version()}, "
        f"1 torch thread, {platform.machine()}"
    )


# ------------------------------------------------------------------ cloning


def _clone_run(episodes, strategy, weighted, seed, heldout, on_checkpoint):
    from skimbnet import ActionBalancedReplay, BalancedNetClassifier
    from skimbnet.datasets import lunar_lander_returns

    buffer = ActionBalancedReplay(CAPACITY, strategy=strategy, random_state=seed)
    clf = BalancedNetClassifier(**CLASSIFIER, random_state=seed)
    first = True
    for done, (X, y) in enumerate(episodes, start=1):
        buffer.extend(X.astype(np.float32), y)
        for _ in range(UPDATES_PER_EPISODE):
            batch = buffer.sample(BATCH)
            weight = batch["weight"] if weighted else None
            if first:
                clf.partial_fit(
                    batch["state"], batch["action"], classes=[0, 1, 2, 3], sample_weight=weight
                )
                first = False
            else:
                clf.partial_fit(batch["state"], batch["action"], sample_weight=weight)
        if done in CHECKPOINTS:
            returns = lunar_lander_returns(clf, ROLLOUT_SEEDS)
            X_h, y_h = heldout
            predicted = clf.predict(X_h)
            on_checkpoint(done, returns, y_h, predicted, buffer.action_counts())


def run_cloning():
    from sklearn.metrics import balanced_accuracy_score, recall_score

    from skimbnet.datasets import load_lunar_lander

    _torch()
    warnings.filterwarnings("ignore")
    start = time.perf_counter()
    episodes = [load_lunar_lander(1, first_seed=seed) for seed in range(EPISODES)]
    expert = load_lunar_lander(len(ROLLOUT_SEEDS), ROLLOUT_SEEDS[0], return_returns=True)[2]
    heldout = load_lunar_lander(HELDOUT_SEEDS[1], HELDOUT_SEEDS[0])
    counts_seen = {}
    results = {}  # (variant, checkpoint) -> list over seeds of dict
    for variant, (strategy, weighted) in VARIANTS.items():
        for seed in SEEDS:

            def record(done, returns, y_h, predicted, counts, variant=variant):
                recall = recall_score(y_h, predicted, labels=[0, 1, 2, 3], average=None)
                results.setdefault((variant, done), []).append(
                    {
                        "return": float(returns.mean()),
                        "ba": float(balanced_accuracy_score(y_h, predicted)),
                        "side": float((recall[1] + recall[3]) / 2),
                    }
                )
                counts_seen[done] = counts

            _clone_run(episodes, strategy, weighted, seed, heldout, record)
            print(
                f"{variant:>20} seed {seed}: "
                + ", ".join(
                    f"{c} ep {results[(variant, c)][-1]['return']:7.1f}" for c in CHECKPOINTS
                ),
                flush=True,
            )
    minutes = (time.perf_counter() - start) / 60
    return _cloning_report(results, expert, counts_seen, episodes, minutes)


def _fmt(values, digits=1):
    values = np.asarray(values, dtype=float)
    return f"{values.mean():.{digits}f} ± {values.std():.{digits}f}"


def _cloning_report(results, expert, counts_seen, episodes, minutes):
    rows_seen = np.cumsum([len(y) for _, y in episodes])
    all_actions = np.concatenate([y for _, y in episodes])
    shares = np.bincount(all_actions, minlength=4) / len(all_actions)
    lines = [
        "## Online behaviour cloning (LunarLander-v3)",
        "",
        f"Reproduce: `{COMMAND} --part cloning` ({minutes:.1f} min here).",
        "",
        f"The expert's {EPISODES} episodes (seeds 0-{EPISODES - 1}) arrive one at a time; each "
        f"goes into an `ActionBalancedReplay(capacity={CAPACITY})`, then "
        f'`BalancedNetClassifier(hidden_layer_sizes=(64, 64), max_epochs=1, loss="ce", '
        f"class_weight=None, batch_size=64, lr=2e-3).partial_fit` trains on "
        f"{UPDATES_PER_EPISODE} batches of `sample({BATCH})` (`classes=[0, 1, 2, 3]` on the "
        f"first call). Actions over the {len(all_actions)} expert steps: "
        + ", ".join(f"{a} {s:.1%}" for a, s in zip(["noop", "left", "main", "right"], shares))
        + ". Rows seen after 2 / 5 / 10 / 20 episodes: "
        + " / ".join(str(rows_seen[c - 1]) for c in CHECKPOINTS)
        + f" (the buffer holds at most {CAPACITY}; after 20 episodes: "
        + f"{counts_seen.get(CHECKPOINTS[-1])}).",
        "",
        f"Return: the clone's mean over the same {len(ROLLOUT_SEEDS)} unseen episodes (seeds "
        f"{ROLLOUT_SEEDS[0]}-{ROLLOUT_SEEDS[-1]}), mean ± standard deviation over model seeds "
        f"{list(SEEDS)} (each seeds the network and the buffer's draws); the expert scores "
        f"**{expert.mean():.1f}** on those episodes (median {np.median(expert):.1f}; below "
        f"100 in {int((expert < 100).sum())} of them: "
        + ", ".join(f"{r:.0f}" for r in expert[expert < 100])
        + "), so a clone can beat its mean; 200 counts as solved.",
        "",
        "| replay | " + " | ".join(f"return, {c} ep" for c in CHECKPOINTS) + " |",
        "|---|" + "---:|" * len(CHECKPOINTS),
    ]
    for variant in VARIANTS:
        cells = [_fmt([r["return"] for r in results[(variant, c)]]) for c in CHECKPOINTS]
        lines.append(f"| {variant} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "The same clones on 10 held-out demonstration episodes (seeds "
        f"{HELDOUT_SEEDS[0]}-{HELDOUT_SEEDS[0] + HELDOUT_SEEDS[1] - 1}): balanced accuracy of "
        "the actions, and mean recall of the two side engines (the rare actions).",
        "",
        "| replay | "
        + " | ".join(f"BA, {c} ep" for c in CHECKPOINTS)
        + " | side-engine recall, 20 ep |",
        "|---|" + "---:|" * (len(CHECKPOINTS) + 1),
    ]
    for variant in VARIANTS:
        cells = [_fmt([r["ba"] for r in results[(variant, c)]], 3) for c in CHECKPOINTS]
        side = _fmt([r["side"] for r in results[(variant, CHECKPOINTS[-1])]], 3)
        lines.append(f"| {variant} | " + " | ".join(cells) + f" | {side} |")
    lines += [
        "",
        "Paired by model seed, balanced minus natural replay (mean return difference; seeds "
        "where balanced is higher):",
        "",
        "| episodes | " + " | ".join(str(c) for c in CHECKPOINTS) + " |",
        "|---|" + "---:|" * len(CHECKPOINTS),
    ]
    diffs = []
    for c in CHECKPOINTS:
        b = np.array([r["return"] for r in results[("balanced", c)]])
        n = np.array([r["return"] for r in results[("natural", c)]])
        diffs.append(f"{(b - n).mean():+.1f} ({int((b > n).sum())}/{len(b)})")
    lines.append("| balanced − natural | " + " | ".join(diffs) + " |")
    lines.append("")
    return "\n".join(lines)


# -------------------------------------------------------------------- speed


def run_speed(rounds=15, calls=400):
    torch = _torch()
    from skimbnet import ActionBalancedReplay

    start = time.perf_counter()
    n = 1_000_000
    rng = np.random.default_rng(0)
    state = rng.normal(size=(n, 8)).astype(np.float32)
    next_state = rng.normal(size=(n, 8)).astype(np.float32)
    action = rng.choice(4, size=n, p=[0.53, 0.05, 0.37, 0.05])
    reward = rng.normal(size=n).astype(np.float32)
    done = rng.random(n) < 0.005
    fields = dict(reward=reward, next_state=next_state, done=done)

    def buffer(size, strategy="balanced", device="cpu"):
        b = ActionBalancedReplay(size, strategy=strategy, random_state=0, device=device)
        b.extend(state[:size], action[:size], **{k: v[:size] for k, v in fields.items()})
        return b

    tensors = {
        "state": torch.from_numpy(state),
        "action": torch.from_numpy(action),
        "reward": torch.from_numpy(reward),
        "next_state": torch.from_numpy(next_state),
        "done": torch.from_numpy(done),
    }

    def uniform_indexing():
        idx = torch.randint(0, n, (BATCH,))
        return {k: t[idx] for k, t in tensors.items()}

    def uniform_index_select():
        idx = torch.randint(0, n, (BATCH,))
        return {k: t.index_select(0, idx) for k, t in tensors.items()}

    big, big_natural, small = buffer(n), buffer(n, "natural"), buffer(10_000)
    big_numpy = buffer(n, device=None)
    contenders = {
        "uniform: `torch.randint` + `tensor[idx]`": uniform_indexing,
        "uniform: `torch.randint` + `index_select`": uniform_index_select,
        "`ActionBalancedReplay.sample`, balanced, 1M, torch CPU": lambda: big.sample(BATCH),
        "`ActionBalancedReplay.sample`, natural, 1M, torch CPU": lambda: big_natural.sample(BATCH),
        "`ActionBalancedReplay.sample`, balanced, 10k, torch CPU": lambda: small.sample(BATCH),
        "`ActionBalancedReplay.sample`, balanced, 1M, numpy": lambda: big_numpy.sample(BATCH),
    }
    wall = {name: [] for name in contenders}
    cpu = {name: [] for name in contenders}
    for f in contenders.values():  # warm-up
        for _ in range(100):
            f()
    for _ in range(rounds):  # take turns, so other load on the machine hits all alike
        for name, f in contenders.items():
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(calls):
                f()
            wall[name].append((time.perf_counter() - t0) / calls * 1e6)
            cpu[name].append((time.process_time() - c0) / calls * 1e6)
    median = {
        name: (float(np.median(wall[name])), float(np.median(cpu[name]))) for name in contenders
    }
    base_index, base_select = list(contenders)[:2]
    minutes = (time.perf_counter() - start) / 60
    lines = [
        "## Speed of `sample(256)`",
        "",
        f"Reproduce: `{COMMAND} --part speed` ({minutes:.1f} min here).",
        "",
        "A buffer of 1,000,000 transitions (state and next state: 8 float32; action; reward: "
        "float32; done: bool) with the LunarLander action mix 53/5/37/5%; every contender "
        f"returns the same five fields for {BATCH} rows (the buffer adds `weight`). Median over "
        f"{rounds} rounds of {calls} calls, the contenders taking turns; µs per call, wall and "
        "CPU time of the process; the ratios are to the two uniform gathers (CPU time).",
        "",
        "| contender | µs / call (wall) | µs / call (CPU) | × `tensor[idx]` | × `index_select` |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, (w, c) in median.items():
        lines.append(
            f"| {name} | {w:.1f} | {c:.1f} | {c / median[base_index][1]:.2f} | "
            f"{c / median[base_select][1]:.2f} |"
        )
    lines.append("")
    return "\n".join(lines)


# ------------------------------------------------------------------ the file


def _write(section_name, text):
    marker_start, marker_end = f"<!-- {section_name}:start -->", f"<!-- {section_name}:end -->"
    header = (
        "# Replay buffers: action-balanced online cloning and sampling speed\n\n"
        f"{_machine()}.\n\n"
        f"Sections come from `{COMMAND} --part cloning` and `--part speed`; each run rewrites "
        "its own section.\n"
    )
    old = RESULTS.read_text() if RESULTS.exists() else ""
    pattern = r"<!-- (\w+):start -->\n.*?<!-- \1:end -->\n"
    found = {m.group(1): m.group(0) for m in re.finditer(pattern, old, re.S)}
    found[section_name] = f"{marker_start}\n{text}{marker_end}\n"
    order = [name for name in ("cloning", "speed") if name in found]
    RESULTS.write_text(header + "\n" + "\n".join(found[name] for name in order))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["cloning", "speed", "all"], default="all")
    args = parser.parse_args(argv)
    if args.part in ("speed", "all"):
        text = run_speed()
        print(text)
        _write("speed", text)
    if args.part in ("cloning", "all"):
        text = run_cloning()
        print(text)
        _write("cloning", text)
    print(f"written to {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
