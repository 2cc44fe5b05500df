"""Print the bad-input tables of ``benchmarks/results/reliability.md``: each input, its error.

Run from the repository root (about 20 seconds)::

    python benchmarks/reliability_table.py > /tmp/bad_inputs.md

The estimator rows run the very cases of ``tests/test_bad_input.py`` (imported
from there), so the table lists what the test matrix checks, with the exact
exception type and message each input gets today. The ``skimbnet compare``
rows run the command on small CSV files written to a temporary folder and show
its exit code and the message it writes to stderr.
"""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def _cell(text):
    """One markdown table cell: one line, pipes escaped."""
    return " / ".join(line.strip() for line in str(text).splitlines() if line.strip()).replace(
        "|", "\\|"
    )


def estimator_rows():
    import test_bad_input as cases
    import torch

    torch.set_num_threads(1)
    X, y = cases.make_data()
    groups = [
        ("BalancedNetClassifier", "net", cases.BAD + cases.NET_ONLY),
        ("BootstrapEnsembleClassifier", "ensemble", cases.BAD + cases.ENSEMBLE_ONLY),
    ]
    for estimator, kind, group in groups:
        for name, call, _, _ in group:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    call(kind, X.copy(), y.copy())
                except Exception as exc:  # noqa: BLE001 - reporting what is raised
                    yield estimator, name, type(exc).__name__, _cell(exc)
                else:
                    yield estimator, name, "(no error)", "fitted"
    for estimator, kind in (
        ("BalancedNetClassifier", "net"),
        ("BootstrapEnsembleClassifier", "ensemble"),
    ):
        cases.make(kind, batch_size=10 * len(y)).fit(X, y)
        yield estimator, "batch_size_larger_than_the_data", "(accepted)", "trains on full batches"
        model = cases.make(kind, class_weight={1: 3.0}).fit(X, y)
        member = model if kind == "net" else model.estimators_[0]
        weights = member.class_weight_.tolist()
        yield (
            estimator,
            "class_weight_missing_class",
            "(accepted)",
            f"classes left out weigh 1: class_weight={{1: 3.0}} gives class_weight_={weights}",
        )


def _csv(folder, name, **columns):
    import pandas as pd

    path = Path(folder) / f"{name}.csv"
    pd.DataFrame(columns).to_csv(path, index=False)
    return str(path)


def compare_rows():
    from skimbnet import cli

    n = 60
    x = np.arange(n, dtype=float)
    label = np.where(np.arange(n) % 6 == 0, "a", "b")
    quick = ["--cv", "2", "--max-epochs", "2", "--n-jobs", "1", "--no-progress"]
    with tempfile.TemporaryDirectory() as folder:
        ok = _csv(folder, "ok", x=x, label=label)
        blank = Path(folder) / "blank.csv"
        blank.write_text("")
        tiny = np.where(np.arange(n) < 4, "a", "b")
        argvs = {
            "missing file": [str(Path(folder) / "nope.csv"), "--target", "label"],
            "CSV without --target": [ok],
            "CSV and --dataset": [ok, "--dataset", "yeast4"],
            "unknown --dataset": ["--dataset", "no_such_set"],
            "missing target column": [ok, "--target", "y"],
            "blank file": [str(blank), "--target", "label"],
            "header only (empty X)": [_csv(folder, "h", x=[], label=[]), "--target", "label"],
            "one row": [_csv(folder, "r", x=x[:1], label=label[:1]), "--target", "label"],
            "one class": [_csv(folder, "c", x=x, label=["b"] * n), "--target", "label"],
            "continuous target": [
                _csv(folder, "f", x=x, label=np.linspace(0, 1, n)),
                "--target",
                "label",
            ],
            "float labels 1.5/2.5": [
                _csv(folder, "g", x=x, label=np.where(label == "a", 1.5, 2.5)),
                "--target",
                "label",
            ],
            "NaN in target": [
                _csv(folder, "t", x=x, label=np.where(np.arange(n) % 7 == 0, None, label)),
                "--target",
                "label",
                *quick,
                "--strategies",
                "logistic_regression",
            ],
            "NaN in features": [
                _csv(folder, "nx", x=np.where(np.arange(n) % 9 == 0, np.nan, x), label=label),
                "--target",
                "label",
                *quick,
                "--strategies",
                "logistic_regression",
            ],
            "inf in features": [
                _csv(folder, "i", x=np.r_[np.inf, x[1:]], label=label),
                "--target",
                "label",
            ],
            "all-NaN column": [
                _csv(folder, "e", x=[np.nan] * n, z=x, label=label),
                "--target",
                "label",
            ],
            "no feature columns": [_csv(folder, "nf", label=label), "--target", "label"],
            "identifier (string) column": [
                _csv(folder, "s", x=x, customer=[f"c{i}" for i in range(n)], label=label),
                "--target",
                "label",
            ],
            "class with 1 row": [
                _csv(folder, "one", x=x, label=np.r_[["a"], ["b"] * (n - 1)]),
                "--target",
                "label",
            ],
            "class with 4 rows, SMOTE strategy": [
                _csv(folder, "k", x=x, label=tiny),
                "--target",
                "label",
                *quick,
                "--strategies",
                "smote,plain",
            ],
            "unknown strategy": [ok, "--target", "label", "--strategies", "plain,nope"],
            "--cv 1": [ok, "--target", "label", "--cv", "1"],
            "--max-epochs 0": [ok, "--target", "label", "--max-epochs", "0"],
            "--rank-by accuracy": [ok, "--target", "label", "--rank-by", "accuracy"],
            "--scheduler without dask": [ok, "--target", "label", "--scheduler", "tcp://x:1"],
        }
        for name, argv in argvs.items():
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = cli.main(["compare", *argv])
                except SystemExit as exc:  # argparse's own errors
                    code = exc.code
            message = err.getvalue().strip().splitlines()[-1:] or [""]
            if code == 0:
                failed = [line for line in out.getvalue().splitlines() if "failed:" in line]
                outcome = failed[0].strip() if failed else "no strategy failed"
                message = ["leaderboard printed; " + outcome]
            yield name, code, _cell(message[0].replace(folder, "<tmp>"))


def main():
    print("| estimator | bad input | error | message |")
    print("|---|---|---|---|")
    for estimator, name, error, message in estimator_rows():
        print(f"| {estimator} | {name} | {error} | {message} |")
    print()
    print("| `skimbnet compare` input | exit code | stderr (last line) or outcome |")
    print("|---|---|---|")
    for name, code, message in compare_rows():
        print(f"| {name} | {code} | {message} |")


if __name__ == "__main__":
    main()
