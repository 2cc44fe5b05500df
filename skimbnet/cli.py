"""The ``skimbnet`` command: ``compare`` (a strategy leaderboard) and ``demo``."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time

import numpy as np
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split

from ._threads import limited_threads
from .classifier import BalancedNetClassifier
from .leaderboard import METRICS
from .metrics import VALIDATION_METRICS, average_precision, class_recall


def _demo(args) -> int:
    # networks this small train fastest on one thread (more only add OpenMP overhead)
    with limited_threads(1):
        return _run_demo(args)


def _run_demo(args) -> int:
    from .compare import _warm_up

    X, y = make_classification(
        n_samples=args.n_samples,
        weights=[1 - args.rare_share],
        class_sep=0.8,
        random_state=args.random_state,
    )
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.5, stratify=y, random_state=args.random_state
    )
    print(
        f"Imbalanced problem: {len(y)} rows, rare class {np.mean(y == 1):.1%} "
        "(make_classification, held out 50/50)\n"
    )
    contenders = {
        "plain network (cross-entropy)": BalancedNetClassifier(
            loss="ce", class_weight=None, random_state=args.random_state
        ),
        "BalancedNetClassifier() default": BalancedNetClassifier(random_state=args.random_state),
    }
    header = f"{'model':34s} {'bal.acc':>8s} {'rare recall':>12s} {'macro-F1':>9s} "
    header += f"{'ROC-AUC':>8s} {'avg.prec':>9s} {'fit s':>6s}"
    print(header)
    print("-" * len(header))
    _warm_up()  # torch's one-off set-up is not the first model's fit time
    for name, model in contenders.items():
        start = time.perf_counter()
        model.fit(X_tr, y_tr)
        seconds = time.perf_counter() - start
        proba = model.predict_proba(X_te)  # columns: classes 0 and 1, the values of y_te
        scores = (
            VALIDATION_METRICS["balanced_accuracy"](y_te, proba),
            class_recall(y_te, proba, 1),
            VALIDATION_METRICS["f1_macro"](y_te, proba),
            VALIDATION_METRICS["roc_auc"](y_te, proba),
            average_precision(y_te, proba),
        )
        cells = " ".join(f"{v:{w}.3f}" for v, w in zip(scores, (8, 12, 9, 8, 9)))
        print(f"{name:34s} {cells} {seconds:6.1f}")
    return 0


#: the demo's options when not given (``--random-state`` is compare's too)
DEMO_DEFAULTS = {"n_samples": 6000, "rare_share": 0.04, "random_state": 0}


def _add_demo_options(p) -> None:
    """The demo's options, on the top-level parser and on ``demo``'s, both without
    defaults (``main`` fills :data:`DEMO_DEFAULTS`), so that neither overwrites what was
    given before or after the word ``demo``."""
    suppress = argparse.SUPPRESS
    p.add_argument("--n-samples", type=int, default=suppress, help="rows (default 6000)")
    p.add_argument(
        "--rare-share", type=float, default=suppress, help="share of the rare class (0.04)"
    )
    p.add_argument("--random-state", type=int, default=suppress, help="seed (default 0)")


def _add_compare_options(p) -> None:
    p.add_argument(
        "csv", nargs="?", help="a CSV file (with --target); default: a shipped real data set"
    )
    p.add_argument("--target", help="the CSV's column to predict")
    p.add_argument(
        "--dataset",
        help="a shipped data set (see --list-datasets); default yeast4 (digits_8 without the "
        "datasets extra)",
    )
    p.add_argument("--list-datasets", action="store_true", help="list shipped data sets and exit")
    p.add_argument("--cv", type=int, default=5, help="stratified folds (default 5)")
    p.add_argument(
        "--strategies", help="comma-separated strategy keys to run (default all; see --list)"
    )
    p.add_argument("--list", action="store_true", help="list the strategies and exit")
    p.add_argument(
        "--max-epochs", type=int, default=None, help="cap on the networks' epochs (quick runs)"
    )
    p.add_argument(
        "--rank-by",
        default="balanced_accuracy",
        choices=list(METRICS),
        help="metric that picks the winner (default balanced_accuracy)",
    )
    p.add_argument("--n-jobs", type=int, default=-1, help="parallel fits (default -1: all cores)")
    p.add_argument(
        "--backend", choices=["loky", "threading", "dask"], default="loky", help="joblib backend"
    )
    p.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://host:8786")
    p.add_argument("--plot", metavar="PNG", help="write a bar chart and the winner's PR curve")
    p.add_argument("--json", metavar="PATH", help="write the leaderboard as JSON")
    # no default here: a seed given before the word ``compare`` carries through
    p.add_argument("--random-state", type=int, default=argparse.SUPPRESS, help="seed (default 0)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="skimbnet",
        description="Neural networks that learn rare classes. `skimbnet compare` cross-validates "
        "a leaderboard of imbalance strategies on your data (or a shipped real data set); "
        "`skimbnet demo` (also with no command) compares a plain network with "
        "BalancedNetClassifier on a synthetic problem.",
    )
    sub = parser.add_subparsers(dest="command")
    demo = sub.add_parser("demo", help="plain network vs BalancedNetClassifier (the default)")
    compare = sub.add_parser(
        "compare",
        help="leaderboard of imbalance strategies, cross-validated",
        description="Stratified k-fold leaderboard of imbalance strategies: "
        "skimbnet compare [CSV --target COL | --dataset NAME]",
    )
    # no defaults on either: main tells a demo option given before the word compare
    # (an error) from one not given
    _add_demo_options(parser)
    _add_demo_options(demo)
    _add_compare_options(compare)
    return parser


def _error(message: str, command: str = "") -> int:
    prog = f"skimbnet {command}".strip()
    print(f"{prog}: error: {message}", file=sys.stderr)
    return 2


def _strategy_keys(text: str) -> list[str]:
    """The keys of ``--strategies``: comma-separated; a stray comma or space names none."""
    return [key.strip() for key in text.split(",") if key.strip()]


def _compare(args) -> int:
    from .compare import (
        DEFAULT_DATASET,
        FALLBACK_DATASET,
        CompareInputError,
        _select_strategies,
        load_csv,
        run_comparison,
        strategies,
    )

    if args.list:
        for s in strategies(args.random_state, args.max_epochs):
            print(f"{s.key:22s} {s.code}")
        return 0
    if args.list_datasets:
        from .datasets import list_datasets

        print("\n".join(list_datasets()))
        return 0
    if args.csv and args.dataset:
        return _error("give a CSV or --dataset, not both", "compare")
    if args.csv and not args.target:
        return _error("a CSV needs --target COLUMN (the column to predict)", "compare")
    if args.target and not args.csv:
        return _error("--target goes with a CSV file", "compare")
    if args.scheduler and args.backend != "dask":
        return _error("--scheduler goes with --backend dask", "compare")
    if not 0 <= args.random_state < 2**32:
        return _error("--random-state must be in [0, 2**32 - 1]", "compare")
    only = None if args.strategies is None else _strategy_keys(args.strategies)
    if only == []:
        return _error("--strategies needs at least one strategy key (see --list)", "compare")
    try:  # the keys are checked before the data is read
        _select_strategies(only, args.random_state, args.max_epochs)
    except CompareInputError as exc:
        return _error(str(exc), "compare")
    if args.cv < 2:
        return _error("--cv must be at least 2", "compare")
    if args.max_epochs is not None and args.max_epochs < 1:
        return _error("--max-epochs must be at least 1", "compare")
    if args.n_jobs == 0:
        return _error(
            "--n-jobs must be a positive number of workers or negative (-1: all cores)", "compare"
        )
    for flag, path in (("--json", args.json), ("--plot", args.plot)):
        problem = _unwritable(path)
        if problem:
            return _error(f"{flag} {path}: {problem}", "compare")
        if path and args.csv and os.path.realpath(path) == os.path.realpath(args.csv):
            return _error(f"{flag} {path} is the input CSV; write the report elsewhere", "compare")
    if args.json and args.plot and os.path.realpath(args.json) == os.path.realpath(args.plot):
        return _error(f"--json and --plot are the same file ({args.json})", "compare")
    problem = _unplottable(args.plot)
    if problem:
        return _error(f"--plot {args.plot}: {problem}", "compare")
    prep, notes = None, []
    try:
        if args.csv:
            X, y, prep, notes = load_csv(args.csv, args.target)
            name = args.csv
        else:
            from .datasets import load_dataset

            name = args.dataset or DEFAULT_DATASET
            try:
                X, y = load_dataset(name)
            except ImportError as exc:
                if args.dataset:
                    return _error(str(exc), "compare")
                notes.append(f"{exc}; using {FALLBACK_DATASET} (scikit-learn) instead")
                name = FALLBACK_DATASET
                X, y = load_dataset(name)
            except ValueError as exc:
                return _error(str(exc), "compare")
        rare_share = min(np.mean(y == c) for c in np.unique(y))
        print(
            f"Data: {name}, {len(y)} rows x {X.shape[1]} columns, "
            f"{len(np.unique(y))} classes, rarest class {rare_share:.1%}; "
            f"{args.cv}-fold stratified cross-validation"
        )
        for note in notes:
            print(f"  note: {note}")
        kwargs = dict(
            dataset_name=name,
            cv=args.cv,
            preprocessing=prep,
            notes=notes,
            only=only,
            max_epochs=args.max_epochs,
            rank_by=args.rank_by,
            n_jobs=args.n_jobs,
            random_state=args.random_state,
            progress=not args.no_progress,
        )
        if args.backend == "dask":
            board = _run_on_dask(args.scheduler, run_comparison, X, y, kwargs)
            if isinstance(board, int):
                return board
        else:
            import joblib

            # n_jobs in the backend too: nested Parallel calls (the bootstrap ensemble's
            # members) then inherit it, and --n-jobs 1 starts no worker process
            with joblib.parallel_backend(args.backend, n_jobs=args.n_jobs):
                board = run_comparison(X, y, **kwargs)
    except CompareInputError as exc:
        return _error(str(exc), "compare")
    print()
    print(board.table())
    for note in board.notes[len(notes) :]:  # what the run itself noted (e.g. left out)
        print(f"  note: {note}")
    print()
    if board.winner is None:
        print("No strategy finished; see the errors above.")
        if args.json:  # it holds the errors
            board.write_json(args.json)
            print(f"Wrote {args.json}")
        return 1
    print(f"Winner by {args.rank_by.replace('_', ' ')}: {board.winner['name']}. Build it with:\n")
    print(board.winner_code())
    if args.json:
        board.write_json(args.json)
        print(f"Wrote {args.json}")
    if args.plot:
        try:
            board.plot(args.plot)
        except ImportError:
            return _error("--plot needs matplotlib: pip install matplotlib", "compare")
        # matplotlib adds its default format's suffix to a name without one
        written = args.plot if os.path.splitext(args.plot)[1] else f"{args.plot}.png"
        print(f"Wrote {written}")
    return 0


def _unplottable(path):
    """Why matplotlib cannot write a figure to ``path`` (checked before any fit), or None."""
    suffix = os.path.splitext(path or "")[1].lstrip(".").lower()
    if not suffix:
        return None  # matplotlib's default format (PNG) and its suffix
    try:
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError:
        return None  # said after the fits, where the plot is drawn
    formats = FigureCanvasBase.get_supported_filetypes()
    if suffix not in formats:
        return f"matplotlib cannot write .{suffix} files; use one of {', '.join(sorted(formats))}"
    return None


def _unwritable(path):
    """Why ``path`` cannot be written (checked before any fit), or None."""
    if not path:
        return None
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return f"the folder {folder} does not exist"
    if os.path.isdir(path):
        return "is a folder, not a file"
    if not os.access(folder, os.W_OK):
        return f"the folder {folder} is not writable"
    return None


class _Interrupted(BaseException):
    """Ctrl-C in the command line: not a KeyboardInterrupt, which a network's fit keeps
    as skorch's "stop training, keep the epochs done", so that the whole run stops."""


def _raise_interrupted(signum, frame):
    raise _Interrupted


def _run_on_dask(address, run, X, y, kwargs):
    try:
        import joblib
        from dask.distributed import Client
    except ImportError:
        return _error('--backend dask needs dask: pip install "dask[distributed]"', "compare")
    try:
        client = Client(address) if address else Client(processes=True, dashboard_address=None)
    except (OSError, TimeoutError, ValueError) as exc:
        return _error(f"cannot reach the Dask scheduler {address!r}: {exc}", "compare")
    with client, joblib.parallel_backend("dask"):
        print(f"  Dask scheduler: {client.scheduler.address}")
        return run(X, y, **kwargs)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``skimbnet`` console script and ``python -m skimbnet``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "compare":
        demo_only = [f"--{k.replace('_', '-')}" for k in ("n_samples", "rare_share") if k in args]
        if demo_only:
            names = " and ".join(demo_only)
            print(f"skimbnet: error: {names} belong to demo, not to compare", file=sys.stderr)
            return 2
    for name, value in DEMO_DEFAULTS.items():
        vars(args).setdefault(name, value)
    if args.command == "compare":
        in_main_thread = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, _raise_interrupted) if in_main_thread else None
        try:
            return _compare(args)
        except (_Interrupted, KeyboardInterrupt):
            print("skimbnet compare: interrupted", file=sys.stderr)
            return 130
        finally:
            if in_main_thread:
                signal.signal(signal.SIGINT, previous)
    if not 0 < args.rare_share < 0.5:
        print("skimbnet: error: --rare-share must be in (0, 0.5)", file=sys.stderr)
        return 2
    if args.n_samples < 200:
        print("skimbnet: error: --n-samples must be at least 200", file=sys.stderr)
        return 2
    if not 0 <= args.random_state < 2**32:
        print("skimbnet: error: --random-state must be in [0, 2**32 - 1]", file=sys.stderr)
        return 2
    return _demo(args)


if __name__ == "__main__":
    sys.exit(main())
