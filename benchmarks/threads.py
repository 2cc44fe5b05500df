"""torch_threads: the default BalancedNetClassifier's fit at 1, 2 and "auto" threads.

Run as ``python benchmarks/threads.py`` (``--rows 1000 100000``). Every fit is the
default classifier (only ``torch_threads`` and ``random_state`` set) on a table of
20 Gaussian features with a 5% rare class, in this process, one after the other,
first on the machine as it is ("no added load") and then with one competing CPU-bound
process (a Python busy loop) running. A fit stops after ``--cap`` seconds (a
callback interrupts it, as Ctrl-C would); the table then gives the epochs done and
the projected time of the whole fit. Updates the "Torch threads" section of
``benchmarks/results/speed.md``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from skorch.callbacks import Callback

from skimbnet import BalancedNetClassifier

RESULTS = Path(__file__).parent / "results" / "speed.md"
MARKER = "## Torch threads (benchmarks/threads.py)"


class TimeCap(Callback):
    """Interrupt the fit after ``cap`` seconds; record the batches and epochs done."""

    def __init__(self, cap):
        self.cap = cap

    def on_train_begin(self, net, **kwargs):
        self.start, self.batches, self.epochs = time.perf_counter(), 0, 0
        self.threads = torch.get_num_threads()

    def on_batch_end(self, net, **kwargs):
        self.batches += 1
        if time.perf_counter() - self.start > self.cap:
            raise KeyboardInterrupt

    def on_epoch_end(self, net, **kwargs):
        self.epochs += 1


def table(n_rows, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_rows, 20))
    y = (X[:, :3].sum(axis=1) + rng.standard_normal(n_rows) > 3.3).astype(int)
    return X, y


def fit_once(X, y, threads, cap):
    timer = TimeCap(cap)
    # n_bins=None: the 8-member network without encodings, as the recorded numbers timed
    net = BalancedNetClassifier(
        torch_threads=threads, n_bins=None, random_state=0, callbacks=[timer]
    )
    start = time.perf_counter()
    net.fit(X, y)
    elapsed = time.perf_counter() - start
    # the default batch size ("auto": n // 16 clipped to [32, 256]) and sampler (all rows)
    batch = int(max(1, min(len(X), np.clip(len(X) // 16, 32, 256))))
    batches_per_epoch = -(-len(X) // batch)
    done = timer.batches / batches_per_epoch  # epochs, fractional when interrupted
    chosen = getattr(net, "_auto_threads", None)
    used = next(iter(chosen.values())) if chosen else (threads if threads != "auto" else 1)
    return {
        "elapsed": elapsed,
        "epochs": done,
        "projected": elapsed * net.max_epochs / max(done, 1e-9),
        "used": used,
        "n_members": net.n_members,
        "dtype": net.dtype_,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--cap", type=float, default=60.0, help="seconds per fit at most")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    settings = [1, 2, "auto"]
    rows = []
    fit_once(*table(500), 1, 5)  # warm-up
    for condition in ("no added load", "one competing process"):
        busy = None
        if condition != "no added load":
            busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        try:
            for n_rows in args.rows:
                X, y = table(n_rows)
                for threads in settings:
                    load = os.getloadavg()[0]
                    result = fit_once(X, y, threads, args.cap)
                    rows.append((condition, n_rows, threads, load, result))
                    print(condition, n_rows, threads, f"load {load:.1f}", result, flush=True)
        finally:
            if busy is not None:
                busy.kill()
                busy.wait()

    first = rows[0][4]
    lines = [
        MARKER,
        "",
        f"Command: `python benchmarks/threads.py --rows {' '.join(map(str, args.rows))} "
        f"--cap {args.cap:g}`",
        "",
        f"Default BalancedNetClassifier (n_members={first['n_members']}, 60 epochs; "
        "20 features), in one process; `os.cpu_count()` = "
        f"{os.cpu_count()}, torch {torch.__version__}. Load average: the 1-minute "
        "figure when the fit started (the machine's other tenants included). A fit "
        f"stops after {args.cap:g} s; 'fit s' is then projected from the epochs done.",
        "",
        "| condition | rows | torch_threads | threads used | dtype | load | epochs done "
        "| fit s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for condition, n_rows, threads, load, r in rows:
        complete = r["epochs"] >= 59.999
        projected = r["elapsed"] if complete else r["projected"]
        mark = "" if complete else " (projected)"
        lines.append(
            f"| {condition} | {n_rows:,} | {threads} | {r['used']} | {r['dtype']} | {load:.1f} "
            f"| {r['epochs']:.1f} | {projected:.1f}{mark} |"
        )
    section = "\n".join(lines) + "\n"
    print(section)
    if not args.no_write:
        text = RESULTS.read_text() if RESULTS.exists() else ""
        head = text.split(MARKER)[0].rstrip("\n")
        RESULTS.write_text((head + "\n\n" if head else "") + section)
        print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
