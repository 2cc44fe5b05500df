"""Seconds per training epoch on big float32 data, for comparing two versions of skimbnet.

One network (128-64), float32, no validation split, batch 256, one torch thread: the
configuration both sides of issue #18's memory change accept. Run it once per checkout,
with that checkout first on ``sys.path`` (the script prints which skimbnet it imported)::

    OMP_NUM_THREADS=1 python benchmarks/epoch_time.py                       # this checkout
    git worktree add /tmp/old e80ea38^                                       # before #18
    OMP_NUM_THREADS=1 PYTHONPATH=/tmp/old python benchmarks/epoch_time.py --source /tmp/old
"""

import argparse
import importlib
import sys
import time

import numpy as np


def make_data(rows, features, ratio, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, features), dtype=np.float32)
    y = (rng.random(rows) < 1.0 / (ratio + 1.0)).astype(np.int64)
    X[y == 1, :8] += 1.0
    return X, y


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--features", type=int, default=32)
    parser.add_argument("--ratio", type=float, default=19.0, help="majority:minority")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--source", help="a checkout to import skimbnet from (put first on sys.path)"
    )
    args = parser.parse_args(argv)
    if args.source:
        sys.path.insert(0, args.source)
    import torch

    skimbnet = importlib.import_module("skimbnet")
    torch.set_num_threads(1)
    print(f"skimbnet from {skimbnet.__file__}", flush=True)
    params = dict(
        hidden_layer_sizes=(128, 64),
        loss="ldam",
        max_epochs=1,
        batch_size=256,
        train_split=None,
        random_state=0,
    )
    # the 8-member default and dtype="auto" came after the change; pin the old behaviour
    accepted = skimbnet.BalancedNetClassifier().get_params()
    params.update(
        {
            k: v
            for k, v in (("n_members", 1), ("dtype", "float32"), ("n_bins", None))
            if k in accepted
        }
    )
    X_warm, y_warm = make_data(2000, args.features, 10, seed=2)
    skimbnet.BalancedNetClassifier(**params).fit(X_warm, y_warm)  # torch's one-off set-up
    X, y = make_data(args.rows, args.features, args.ratio, seed=0)
    seconds = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        skimbnet.BalancedNetClassifier(**params).fit(X, y)
        seconds.append(time.perf_counter() - start)
        print(f"  epoch: {seconds[-1]:.2f} s", flush=True)
    print(f"median seconds per epoch ({args.rows:,} x {args.features}): {np.median(seconds):.2f}")


if __name__ == "__main__":
    main()
