"""One-seed screen of network settings on the LunarLander demonstrations.

A quick look before a 5-seed run of ``quality.py --part game``: the same
demonstrations (episodes 0..n-1), held-out episodes (seeds 10000..10019) and
rollout seeds (20000..20019) as that benchmark, one model seed per row, nothing
recorded. A setting is ``name=value`` pairs joined by ``;`` (values as JSON;
``ros=1`` puts a ``RandomOverSampler`` in ``resampler``), or ``default``::

    python benchmarks/game_screen.py 5,10 0,1 default "n_bins=null;max_epochs=180"
    python benchmarks/game_screen.py 50 0 "n_members=1;n_bins=null;loss=\"ce\";max_epochs=200"

Prints one JSON line per (episodes, setting, seed): held-out balanced accuracy,
recall per action, the mean return over the 20 rollouts and the fit seconds.
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from joblib import Parallel, delayed  # noqa: E402


def parse(setting):
    """``"a=1;b=null"`` -> ``{"a": 1, "b": None}`` (a value that is not JSON stays a string)."""
    if setting == "default":
        return {}
    params = {}
    for pair in setting.split(";"):
        name, value = pair.split("=", 1)
        try:
            params[name] = json.loads(value)
        except json.JSONDecodeError:
            params[name] = value
    return params


def screen(n_episodes, seed, setting):
    import torch
    from imblearn.over_sampling import RandomOverSampler
    from sklearn.metrics import balanced_accuracy_score, recall_score

    from skimbnet import BalancedNetClassifier
    from skimbnet.datasets import load_lunar_lander, lunar_lander_returns

    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    X, y = load_lunar_lander(n_episodes, 0)
    X_test, y_test = load_lunar_lander(20, 10_000)
    params = parse(setting)
    if params.pop("ros", None):
        params["resampler"] = RandomOverSampler(random_state=seed)
    if "hidden_layer_sizes" in params:
        params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
    model = BalancedNetClassifier(random_state=seed, **params)
    start = time.perf_counter()
    model.fit(X, y)
    fit_time = time.perf_counter() - start
    pred = model.predict(X_test)
    returns = lunar_lander_returns(model, np.arange(20_000, 20_020))
    return {
        "episodes": n_episodes,
        "setting": setting,
        "seed": seed,
        "balanced_accuracy": round(float(balanced_accuracy_score(y_test, pred)), 3),
        "recall_per_action": np.round(recall_score(y_test, pred, average=None), 2).tolist(),
        "mean_return": round(float(returns.mean()), 1),
        "fit_s": round(fit_time, 1),
    }


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 3:
        sys.exit(__doc__)
    episodes = [int(e) for e in argv[0].split(",")]
    seeds = [int(s) for s in argv[1].split(",")]
    jobs = [(n, seed, setting) for n in episodes for setting in argv[2:] for seed in seeds]
    results = Parallel(n_jobs=int(os.environ.get("N_JOBS", 2)), return_as="generator")(
        delayed(screen)(*job) for job in jobs
    )
    for result in results:
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
