"""Training and prediction speed: skimbnet vs a hand-written PyTorch loop vs skorch.

Run as ``python benchmarks/speed.py`` (``--quick`` for the 100k table only). Every
contender trains the same MLP (32 -> 128 -> 128 -> 2, ReLU) with Adam (lr 1e-3),
batch 256, 3 epochs, no validation split, on the same table, with the same torch
thread count. Each measurement is the median of ``--repeats`` runs after one
warm-up; each run happens in a fresh subprocess so its peak RSS can be read, and
the contenders take turns (round-robin), so a spell of load from other tenants
of a shared machine slows all of them alike.
Writes ``benchmarks/results/speed.md``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "speed.md"
THREADS_SECTION = "## Torch threads (benchmarks/threads.py)"
HIDDEN = (128, 128)
BATCH, EPOCHS, LR = 256, 3, 1e-3
#: timed ensemble fits in one process, after a warm-up fit
ENSEMBLE_REPEATS = 3


def make_table(n_rows, n_features=32, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_rows, n_features)).astype(np.float32)
    logits = X[:, :4].sum(axis=1) - 4.0  # about 5% positives
    y = (logits + rng.standard_normal(n_rows) > 0).astype(np.int64)
    return X, y


def _handwritten_fit(X, y, fused=False):
    import torch

    from skimbnet.modules import MLP

    torch.manual_seed(0)
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
    model = MLP(X.shape[1], 2, HIDDEN)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR, **({"fused": True} if fused else {}))
    loss_fn = torch.nn.CrossEntropyLoss()
    model.train()
    for _ in range(EPOCHS):
        order = torch.randperm(len(X_t))
        for start in range(0, len(order), BATCH):
            rows = order[start : start + BATCH]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(X_t[rows]), y_t[rows])
            loss.backward()
            optimizer.step()
    return model


def _skorch_fit(X, y):
    import torch
    from skorch import NeuralNetClassifier

    from skimbnet.modules import MLP

    net = NeuralNetClassifier(
        MLP,
        module__n_features=X.shape[1],
        module__n_classes=2,
        module__hidden_layer_sizes=HIDDEN,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=LR,
        batch_size=BATCH,
        max_epochs=EPOCHS,
        train_split=None,
        iterator_train__shuffle=True,
        verbose=0,
    )
    return net.fit(X, y)


def _skimbnet_fit(X, y, **params):
    import torch

    from skimbnet import BalancedNetClassifier

    clf = BalancedNetClassifier(
        hidden_layer_sizes=HIDDEN,
        n_members=1,  # the hand-written loop's one network
        n_bins=None,  # no encoding, as in the hand-written loop
        dtype="float32",
        optimizer=torch.optim.Adam,
        weight_decay=None,  # Adam's own default (none), as in the hand-written loop
        lr=LR,
        batch_size=BATCH,
        max_epochs=EPOCHS,
        train_split=None,
        class_weight=None,
        random_state=0,
        **{"loss": "ce", **params},  # the hand-written loop's loss unless told otherwise
    )
    return clf.fit(X, y)


def _loss(name):
    from skimbnet import losses

    return losses.available_losses()[name]()


FIT_CONTENDERS = {
    "hand-written loop": lambda X, y: _handwritten_fit(X, y),
    # reference: the same loop with Adam's fused kernels, which skimbnet turns on
    "hand-written loop, fused Adam": lambda X, y: _handwritten_fit(X, y, fused=True),
    "skorch NeuralNetClassifier": _skorch_fit,
    "skimbnet natural": lambda X, y: _skimbnet_fit(X, y, sampler="natural"),
    "skimbnet balanced": lambda X, y: _skimbnet_fit(X, y, sampler="balanced"),
    "skimbnet progressive": lambda X, y: _skimbnet_fit(X, y, sampler="progressive"),
    "skimbnet focal loss": lambda X, y: _skimbnet_fit(X, y, loss="focal"),
}


def _worker(kind, name, n_rows, threads):
    """One measurement in this (fresh) process; prints a JSON line."""
    import numpy as np
    import torch

    torch.set_num_threads(threads)
    X, y = make_table(n_rows)
    if kind == "fit":
        start, cpu_start = time.perf_counter(), time.process_time()
        FIT_CONTENDERS[name](X, y)
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
    elif kind == "predict":
        model = _handwritten_fit(X[:10_000], y[:10_000])
        if name == "hand-written loop":
            model.eval()
            start, cpu_start = time.perf_counter(), time.process_time()
            with torch.inference_mode():
                X_t = torch.from_numpy(X)
                out = [torch.softmax(model(X_t[i : i + 65536]), 1) for i in range(0, len(X), 65536)]
                np.asarray(torch.cat(out))
            seconds = time.perf_counter() - start
            cpu = time.process_time() - cpu_start
        else:
            clf = _skimbnet_fit(X[:10_000], y[:10_000])
            start, cpu_start = time.perf_counter(), time.process_time()
            clf.predict_proba(X)
            seconds = time.perf_counter() - start
            cpu = time.process_time() - cpu_start
    else:  # ensemble: one process, a warm-up fit starts joblib's workers, then timed fits
        from skimbnet import BootstrapEnsembleClassifier

        def fit():
            start = time.perf_counter()
            BootstrapEnsembleClassifier(n_jobs=int(name), random_state=0).fit(X, y)
            return time.perf_counter() - start

        fit()  # warm-up: loky starts its worker processes, which import torch
        seconds = statistics.median(fit() for _ in range(ENSEMBLE_REPEATS))
        cpu = float("nan")  # the work happens in worker processes
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mb": peak_mb}))


def _run_worker(kind, name, n_rows, threads):
    out = subprocess.run(
        [sys.executable, __file__, "--worker", kind, name, str(n_rows), str(threads)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(kind, names, n_rows, threads, repeats):
    """Median seconds, CPU seconds and peak RSS of each contender in ``names``.

    Every run is a fresh process. The repeats are interleaved (round ``r`` runs
    every contender once before round ``r + 1``), so a spell of load from other
    tenants of the machine slows all contenders alike instead of the one that
    happened to be running.
    """
    runs = {name: [] for name in names}
    for _ in range(repeats + 1):  # the first round is the warm-up (repeats=0: one run)
        for name in names:
            runs[name].append(_run_worker(kind, name, n_rows, threads))
    medians = {}
    for name, results in runs.items():
        results = results[1:] or results
        medians[name] = {
            key: statistics.median(r[key] for r in results) for key in ("seconds", "cpu", "peak_mb")
        }
    return medians


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100k rows only")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, name, n_rows, threads = args.worker
        _worker(kind, name, int(n_rows), int(threads))
        return

    import sklearn
    import skorch
    import torch

    sizes = [100_000] if args.quick else [100_000, 1_000_000]
    lines = [
        "# Speed benchmark",
        "",
        f"Command: `python benchmarks/speed.py{' --quick' if args.quick else ''} "
        f"--repeats {args.repeats} --threads {args.threads}`",
        "",
        f"Machine: {platform.processor() or platform.machine()}, "
        f"{len(__import__('os').sched_getaffinity(0))} cores visible, torch "
        f"{torch.__version__}, skorch {skorch.__version__}, scikit-learn {sklearn.__version__}, "
        f"Python {platform.python_version()}; torch threads = {args.threads}; "
        f"load average at the start: {__import__('os').getloadavg()[0]:.1f}.",
        "",
        f"MLP 32-128-128-2, Adam lr {LR}, batch {BATCH}, {EPOCHS} epochs, no validation split; "
        f"median of {args.repeats} runs after a warm-up, each in a fresh process; the "
        "contenders take turns (one run of each per round), so load from other tenants "
        "of the machine hits them alike.",
        "",
        "Ratios are throughput relative to the hand-written loop, from wall time and from",
        "the process's CPU time (the CPU-time ratio survives other load on the machine).",
        "",
        "| table | contender | fit s | CPU s | samples/s | ratio (wall) | ratio (CPU) "
        "| peak RSS MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for n_rows in sizes:
        base = None
        results = measure("fit", list(FIT_CONTENDERS), n_rows, args.threads, args.repeats)
        for name, result in results.items():
            rate = n_rows * EPOCHS / result["seconds"]
            base = base or result
            lines.append(
                f"| {n_rows:,} x 32 | {name} | {result['seconds']:.2f} | {result['cpu']:.2f} | "
                f"{rate:,.0f} | {base['seconds'] / result['seconds']:.2f} | "
                f"{base['cpu'] / result['cpu']:.2f} | {result['peak_mb']:.0f} |"
            )
            print(lines[-1], flush=True)
    lines += [
        "",
        "| predict_proba on 1,000,000 rows | s | CPU s | ratio (wall) | ratio (CPU) |",
        "|---|---|---|---|---|",
    ]
    base = None
    results = measure(
        "predict", ["hand-written loop", "skimbnet"], 1_000_000, args.threads, args.repeats
    )
    for name, result in results.items():
        base = base or result
        lines.append(
            f"| {name} | {result['seconds']:.3f} | {result['cpu']:.3f} | "
            f"{base['seconds'] / result['seconds']:.2f} | {base['cpu'] / result['cpu']:.2f} |"
        )
        print(lines[-1], flush=True)
    lines += [
        "",
        f"| ensemble (10 default members, 100k rows; median of {ENSEMBLE_REPEATS} fits "
        "after a warm-up fit, one process) | fit s | speed-up |",
        "|---|---|---|",
    ]
    base = None
    for n_jobs in ("1", "2"):
        result = measure("ensemble", [n_jobs], 100_000, args.threads, 0)[n_jobs]
        base = base or result["seconds"]
        lines.append(
            f"| n_jobs={n_jobs} | {result['seconds']:.2f} | {base / result['seconds']:.2f} |"
        )
        print(lines[-1], flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    # benchmarks/threads.py keeps its own section at the end of the file
    old = RESULTS.read_text() if RESULTS.exists() else ""
    kept = old[old.index(THREADS_SECTION) :] if THREADS_SECTION in old else ""
    RESULTS.write_text("\n".join(lines) + "\n" + ("\n" + kept if kept else ""))
    print(f"\nwrote {RESULTS}")


if __name__ == "__main__":
    main()
