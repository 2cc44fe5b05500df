"""Quality benchmark: skimbnet against the peers a user would pick, on real data.

Reproduce (the whole thing takes hours on one core; parts can be run alone,
results accumulate in ``benchmarks/results/quality_raw.json`` and the report is
rebuilt from everything measured so far)::

    python benchmarks/quality.py                              # suite + game
    python benchmarks/quality.py --part suite --datasets yeast4 vowel0 --n-jobs 2
    python benchmarks/quality.py --part game --episodes 5 10
    python benchmarks/quality.py --part game --game-seeds 0 1 2 3 4  # 5 model seeds
    python benchmarks/quality.py --report                     # only rebuild the markdown

Suite: every data set of ``skimbnet.datasets.DEVELOPMENT_SUITE``, stratified
5-fold cross-validation (shuffled, seed 0, the same folds for every model);
balanced accuracy of ``predict`` and average precision of the rare class's
``predict_proba``; per data set every model is ranked by its mean (1 = best),
and the ranks are averaged over the data sets that every listed model finished.

Game: LunarLander-v3 demonstrations from gymnasium's heuristic expert
(state -> action, 4 actions, two of them rare); the cloned policy is trained on
5, 10 and 50 episodes, scored by balanced accuracy on 20 held-out episodes of
demonstrations and by its mean return over 20 fixed seeds, next to the expert's;
with ``--game-seeds`` every model is fitted once per model seed and the report
gives the means and each seed's return.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
RAW = HERE / "results" / "quality_raw.json"
REPORT = HERE / "results" / "quality.md"


# --------------------------------------------------------------------------- models


def _skorch_plain(seed):
    """skorch's NeuralNetClassifier, plain cross-entropy, what a user writes by hand."""
    import torch
    from sklearn.base import BaseEstimator, ClassifierMixin
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


def models(seed=0):
    """name -> (family, factory). ``neural`` models compete for the defaults."""
    from imblearn.ensemble import BalancedBaggingClassifier, BalancedRandomForestClassifier
    from imblearn.over_sampling import SMOTE, RandomOverSampler
    from imblearn.pipeline import make_pipeline as imb_pipeline
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skimbnet import BalancedNetClassifier, BootstrapEnsembleClassifier
    from skimbnet.compare import _build, strategies

    out = {
        "BalancedNetClassifier()": ("skimbnet", lambda: BalancedNetClassifier(random_state=seed)),
        "BootstrapEnsembleClassifier()": (
            "skimbnet",
            lambda: BootstrapEnsembleClassifier(random_state=seed, n_jobs=1),
        ),
    }
    # the other neural configurations of `skimbnet compare` (candidates for the defaults)
    for s in strategies(random_state=seed):
        if s.key in ("ldam", "bootstrap_ensemble", "logistic_regression"):
            continue  # the default, the ensemble, and a non-neural reference
        if s.missing() is None:
            out[f"skimbnet {s.name}"] = ("skimbnet", lambda code=s.code: _build(code))
    out.update(
        {
            "MLPClassifier": (
                "peer-neural",
                lambda: make_pipeline(StandardScaler(), MLPClassifier(random_state=seed)),
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
            "LogisticRegression(balanced)": (
                "peer",
                lambda: make_pipeline(
                    StandardScaler(),
                    LogisticRegression(class_weight="balanced", max_iter=2000),
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
        }
    )
    return out


# --------------------------------------------------------------------------- suite


def _fold(name, X, y, train, test, seed):
    import torch
    from sklearn.metrics import average_precision_score, balanced_accuracy_score
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = models(seed)[name][1]()
        start = time.perf_counter()
        model.fit(X[train], y[train])
        fit_time = time.perf_counter() - start
        proba = model.predict_proba(X[test])
        pred = model.classes_[proba.argmax(axis=1)]
    rare_col = int(np.flatnonzero(model.classes_ == 1)[0])
    return {
        "balanced_accuracy": float(balanced_accuracy_score(y[test], pred)),
        "average_precision": float(average_precision_score(y[test] == 1, proba[:, rare_col])),
        "fit_time": fit_time,
    }


def load_raw():
    return json.loads(RAW.read_text()) if RAW.exists() else {"suite": {}, "game": {}}


def save_raw(raw):
    """Merge ``raw`` into the file (re-read first: a suite and a game run may overlap)."""
    RAW.parent.mkdir(parents=True, exist_ok=True)
    current = load_raw()
    for section, entries in raw.items():
        current.setdefault(section, {}).update(entries)
    tmp = RAW.with_suffix(".tmp")
    tmp.write_text(json.dumps(current, indent=1) + "\n")
    tmp.replace(RAW)


def run_suite(dataset_names, model_names, cv, n_jobs, seed, redo=False, cv_seed=0):
    from joblib import Parallel, delayed
    from sklearn.model_selection import StratifiedKFold

    from skimbnet.datasets import load_dataset

    raw = load_raw()
    for ds in dataset_names:
        X, y = load_dataset(ds)
        folds = list(StratifiedKFold(cv, shuffle=True, random_state=cv_seed).split(X, y))
        todo = [m for m in model_names if redo or f"{ds}|{m}" not in raw["suite"]]
        if not todo:
            continue
        start = time.perf_counter()
        results = Parallel(n_jobs=n_jobs)(
            delayed(_fold)(m, X, y, tr, te, seed) for m in todo for tr, te in folds
        )
        for i, m in enumerate(todo):
            per_fold = results[i * cv : (i + 1) * cv]
            raw["suite"][f"{ds}|{m}"] = {
                k: [r[k] for r in per_fold]
                for k in ("balanced_accuracy", "average_precision", "fit_time")
            }
        raw.setdefault("meta", {})["suite_cv"] = cv
        save_raw(raw)
        print(
            f"{ds}: {len(todo)} models x {cv} folds in {time.perf_counter() - start:.0f} s",
            flush=True,
        )


# --------------------------------------------------------------------------- game


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


def report(command):
    raw = load_raw()
    suite = raw.get("suite", {})
    lines = [
        "# Quality benchmark",
        "",
        "Generated by `benchmarks/quality.py` (protocol in its docstring). "
        "Everything below was measured; what was not run is listed as missing.",
        "",
        f"Command(s): {command}",
        "",
        f"torch {_version('torch')}, scikit-learn {_version('sklearn')}, "
        f"imbalanced-learn {_version('imblearn')}, Python {platform.python_version()}, "
        "1 torch/BLAS thread per fit.",
        "",
    ]
    names = list(models())
    datasets = sorted({k.split("|")[0] for k in suite})
    if datasets:
        cv = raw.get("meta", {}).get("suite_cv", "?")
        lines += [f"## Development suite ({cv}-fold stratified CV, mean over folds)", ""]
        for metric, label in (
            ("balanced_accuracy", "balanced accuracy"),
            ("average_precision", "average precision"),
        ):
            lines += [f"### {label}", ""]
            lines.append("| model | " + " | ".join(datasets) + " | mean rank |")
            lines.append("|---" * (len(datasets) + 2) + "|")
            complete = [
                d
                for d in datasets
                if all(
                    f"{d}|{m}" in suite for m in names if any(k.endswith(f"|{m}") for k in suite)
                )
            ]
            shown = [m for m in names if any(f"{d}|{m}" in suite for d in datasets)]
            ranks = {m: [] for m in shown}
            for d in complete:
                row = [m for m in shown if f"{d}|{m}" in suite]
                if len(row) < len(shown):
                    continue
                r = _ranks([np.mean(suite[f"{d}|{m}"][metric]) for m in row])
                for m, rk in zip(row, r):
                    ranks[m].append(rk)
            for m in shown:
                cells = []
                for d in datasets:
                    v = suite.get(f"{d}|{m}")
                    cells.append(f"{np.mean(v[metric]):.3f}" if v else "not run")
                mr = f"{np.mean(ranks[m]):.2f}" if ranks[m] else "-"
                lines.append(f"| {m} | " + " | ".join(cells) + f" | {mr} |")
            n_ranked = len(next(iter(ranks.values()), []))
            lines += ["", f"Mean rank over the {n_ranked} data set(s) every model finished.", ""]
        lines += ["### fit time (s, mean per fold)", ""]
        lines.append("| model | " + " | ".join(datasets) + " |")
        lines.append("|---" * (len(datasets) + 1) + "|")
        for m in names:
            if not any(f"{d}|{m}" in suite for d in datasets):
                continue
            cells = [
                f"{np.mean(suite[f'{d}|{m}']['fit_time']):.1f}" if f"{d}|{m}" in suite else "-"
                for d in datasets
            ]
            lines.append(f"| {m} | " + " | ".join(cells) + " |")
        lines.append("")
    game = raw.get("game", {})
    if game:
        expert = game.get("expert", {}).get("mean_return")
        lines += ["## LunarLander-v3 behaviour cloning", ""]
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
    except ImportError:
        return "not installed"


def main(argv=None):
    from skimbnet.datasets import DEVELOPMENT_SUITE

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=["suite", "game", "all"], default="all")
    parser.add_argument("--datasets", nargs="+", default=list(DEVELOPMENT_SUITE))
    parser.add_argument("--models", nargs="+", default=None, help="default: all")
    parser.add_argument("--cv", type=int, default=5)
    parser.add_argument("--episodes", nargs="+", type=int, default=[5, 10, 50])
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--game-seeds",
        nargs="+",
        type=int,
        default=None,
        help="model seeds of the game part (default: --seed); the report averages them",
    )
    parser.add_argument("--redo", action="store_true")
    parser.add_argument("--cv-seed", type=int, default=0, help="seed of the fold shuffle")
    parser.add_argument(
        "--raw", default=None, help="raw results file (default benchmarks/results/quality_raw.json)"
    )
    parser.add_argument("--no-report", action="store_true", help="do not rewrite quality.md")
    parser.add_argument("--report", action="store_true", help="only rebuild the markdown")
    parser.add_argument("--command-note", default=None, help="command(s) to cite in the report")
    args = parser.parse_args(argv)
    if args.raw:
        global RAW
        RAW = Path(args.raw)
    command = (
        args.command_note
        or "`python benchmarks/quality.py "
        + " ".join(argv if argv is not None else sys.argv[1:])
        + "`"
    )
    if not args.report:
        if args.part in ("suite", "all"):
            run_suite(
                args.datasets,
                args.models or list(models()),
                args.cv,
                args.n_jobs,
                args.seed,
                args.redo,
                args.cv_seed,
            )
        if args.part in ("game", "all"):
            run_game(args.episodes, args.models or GAME_MODELS, args.game_seeds or [args.seed])
    if not args.no_report:
        report(command)


if __name__ == "__main__":
    main()
