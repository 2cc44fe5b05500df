"""Big data: a 2M x 32 float32 fit with ``sampler="balanced"`` at a 1000:1 class ratio.

Not a test: run it by hand (a few minutes on 2 cores)::

    python benchmarks/big_data.py                       # 2M rows, 2 epochs, train_split="auto"
    python benchmarks/big_data.py --train-split none    # no validation split

The data are drawn chunk-wise into one preallocated float32 array (standard
normal features; the rare class's rows are shifted by ``--shift`` on the first
8 features), so generating them costs no more memory than the array itself.
The script reports the data size, the process's peak RSS
(``resource.getrusage(...).ru_maxrss``) before ``fit`` (after the imports, a
tiny warm-up fit and the data) and after it, the fit's
wall time and the rare-class recall on a fresh 200k-row sample, and prints one
markdown table row (recorded in ``benchmarks/results/reliability.md``).
"""

from __future__ import annotations

import argparse
import platform
import resource
import sys
import time

import numpy as np


def make_data(n_rows, n_features, ratio, shift, seed, chunk=262_144):
    """``X`` (float32) and ``y``: class 1 holds about one row in ``ratio + 1``."""
    rng = np.random.default_rng(seed)
    X = np.empty((n_rows, n_features), dtype=np.float32)
    y = np.empty(n_rows, dtype=np.int64)
    for start in range(0, n_rows, chunk):
        stop = min(start + chunk, n_rows)
        block = X[start:stop]
        rng.standard_normal(out=block, dtype=np.float32)
        rare = rng.random(stop - start) < 1.0 / (ratio + 1)
        block[rare, :8] += shift
        y[start:stop] = rare
    return X, y


def peak_rss_mb():
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 2**20


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--features", type=int, default=32)
    parser.add_argument("--ratio", type=float, default=1000.0, help="majority:minority")
    parser.add_argument("--shift", type=float, default=1.0)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--train-split", default="auto", help='"auto", "none" or a fraction')
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)

    import torch

    from skimbnet import BalancedNetClassifier

    torch.set_num_threads(args.threads)
    split = {"auto": "auto", "none": None}.get(args.train_split.lower())
    if split is None and args.train_split.lower() != "none":
        split = float(args.train_split)

    # torch's one-off set-up (kernels, thread pool, allocator) is not the fit's doing:
    # a tiny warm-up fit pays it before the "before fit" RSS is read
    X_warm, y_warm = make_data(2000, args.features, 10, args.shift, seed=2)
    BalancedNetClassifier(hidden_layer_sizes=(128, 64), max_epochs=1, random_state=0).fit(
        X_warm, y_warm
    )
    start = time.perf_counter()
    X, y = make_data(args.rows, args.features, args.ratio, args.shift, seed=0)
    gen_seconds = time.perf_counter() - start
    data_mb = X.nbytes / 2**20  # MiB, as ru_maxrss (2M x 32 x 4 bytes = 256 MB = 244 MiB)
    rss_before = peak_rss_mb()
    print(
        f"data: {X.shape[0]:,} x {X.shape[1]} float32 = {data_mb:.0f} MiB, "
        f"{int(y.sum()):,} rare rows ({y.mean():.3%}), generated in {gen_seconds:.1f} s; "
        f"peak RSS so far {rss_before:.0f} MiB",
        flush=True,
    )

    clf = BalancedNetClassifier(
        hidden_layer_sizes=(128, 64),
        n_bins=None,  # no encoding: what the recorded results timed
        loss="ce",  # with weight_decay=0.01: the settings the recorded results used
        weight_decay=0.01,
        sampler="balanced",
        max_epochs=args.epochs,
        batch_size=args.batch_size,
        train_split=split,
        progress_bar=not args.no_progress,
        random_state=0,
    )
    start = time.perf_counter()
    clf.fit(X, y)
    fit_seconds = time.perf_counter() - start
    rss_after = peak_rss_mb()

    X_test, y_test = make_data(200_000, args.features, args.ratio, args.shift, seed=1)
    pred = clf.predict(X_test)
    recall = float((pred[y_test == 1] == 1).mean())
    specificity = float((pred[y_test == 0] == 0).mean())
    added = rss_after - rss_before
    print(
        f"fit: {fit_seconds:.1f} s for {len(clf.history)} epoch(s); peak RSS {rss_after:.0f} MiB, "
        f"{added:.0f} MiB more than before fit ({added / data_mb:.2f}x the data); "
        f"rare recall {recall:.3f}, majority recall {specificity:.3f}",
        flush=True,
    )
    print()
    print(
        "| rows x features | ratio | train_split | epochs | threads | data MiB | peak RSS "
        "before fit MiB | peak RSS after fit MiB | fit added MiB | added / data | fit s | "
        "rare recall | majority recall | machine |"
    )
    print("|" + "---|" * 14)
    print(
        f"| {args.rows:,} x {args.features} | {args.ratio:g}:1 | {args.train_split} | "
        f"{args.epochs} | {args.threads} | {data_mb:.0f} | {rss_before:.0f} | {rss_after:.0f} | "
        f"{added:.0f} | {added / data_mb:.2f} | {fit_seconds:.1f} | {recall:.3f} | "
        f"{specificity:.3f} | {platform.machine()}, torch {torch.__version__} |"
    )


if __name__ == "__main__":
    main()
