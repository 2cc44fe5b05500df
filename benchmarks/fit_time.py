"""Fit time of ``BalancedNetClassifier()`` per fold on the development suite, on a quiet machine.

The quality benchmark records fit times too, but its runs share the cores with
other runs; this script times one fold per data set (the first fold of the
stratified 5-fold split, fold shuffle 0), one process, one torch thread::

    OMP_NUM_THREADS=1 python benchmarks/fit_time.py               # both halves
    OMP_NUM_THREADS=1 python benchmarks/fit_time.py --half selection
    OMP_NUM_THREADS=1 python benchmarks/fit_time.py --params '{"n_bins": null}'

It prints each set's fit time and the median, and the machine's load average
before and after (to show the machine was quiet).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--half", nargs="+", default=["selection", "confirmation"])
    parser.add_argument(
        "--params", type=json.loads, default={}, help="BalancedNetClassifier parameters (JSON)"
    )
    args = parser.parse_args(argv)

    import torch
    from sklearn.model_selection import StratifiedKFold

    sys.path.insert(0, str(HERE))
    from quality import load  # the suite's loader (minority class -> 1)

    from skimbnet import BalancedNetClassifier

    torch.set_num_threads(1)
    suite = json.loads((HERE / "dev-suite.json").read_text())
    print(f"BalancedNetClassifier(**{args.params}, random_state=0)")
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    times = []
    for half in args.half:
        for name in suite[half]:
            X, y = load(name)
            train, _ = next(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y))
            start = time.perf_counter()
            BalancedNetClassifier(**args.params, random_state=0).fit(X[train], y[train])
            times.append(time.perf_counter() - start)
            print(f"{half:12s} {name:34s} {len(train):6d} rows  {times[-1]:6.2f} s", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print(f"median fit {np.median(times):.2f} s over {len(times)} sets (max {max(times):.1f} s)")


if __name__ == "__main__":
    main()
