"""The FLAML learner of a skimbnet classifier (:func:`skimbnet.search.flaml_learner`).

``FLAMLBalancedNet`` subclasses FLAML's ``SKLearnEstimator``, so it is built
the first time it is asked for (FLAML is optional: ``pip install
"skimbnet[automl]"``). Its space is :func:`skimbnet.search.search_space`'s,
the library-neutral dimensions written in FLAML's terms; the learner and
:func:`flaml_learner` are public in :mod:`skimbnet.search`.
"""

from __future__ import annotations

import inspect
from functools import partial
from typing import TYPE_CHECKING

from sklearn.base import clone

from .classifier import BalancedNetClassifier

if TYPE_CHECKING:
    from .search import Dimension

#: where ``FLAMLBalancedNet`` and ``flaml_learner`` are documented and found by pickle
PUBLIC_MODULE = "skimbnet.search"

_NONE = "none"  # FLAML's categorical values stay JSON-friendly strings
_HIDDEN_WIDTH, _HIDDEN_DEPTH = "hidden_width", "hidden_depth"


def _flaml_space(dims: list[Dimension]) -> dict:
    """FLAML's ``search_space`` from the dimensions.

    Network shapes become two numeric dimensions (first-layer width, log
    scale, and depth; each further layer is half as wide) so that FLAML's
    cost-frugal local search can move along them.
    """
    from flaml import tune

    space = {}
    for d in dims:
        if d.kind == "categorical" and d.name.endswith("hidden_layer_sizes"):
            stem = d.name[: -len("hidden_layer_sizes")]
            widths = [s[0] for s in d.choices if len(s)]
            depths = [len(s) for s in d.choices]
            lo_w, hi_w = (min(widths), max(widths)) if widths else (1, 1)
            lo_d, hi_d = min(depths), max(depths)
            space[stem + _HIDDEN_WIDTH] = _flaml_int(tune, lo_w, hi_w, log=True)
            space[stem + _HIDDEN_DEPTH] = _flaml_int(tune, lo_d, hi_d, log=False)
        elif d.kind == "categorical":
            choices = [_NONE if c is None else c for c in d.choices]
            entry = {"domain": tune.choice(choices)}
            space[d.name] = entry
        elif d.kind == "int":
            space[d.name] = _flaml_int(tune, int(d.low), int(d.high), log=d.log)
        else:
            if d.low == d.high:
                space[d.name] = {"domain": d.low}
                continue
            domain = tune.loguniform(d.low, d.high) if d.log else tune.uniform(d.low, d.high)
            space[d.name] = {"domain": domain}
    return space


def _flaml_int(tune, low, high, log):
    if low == high:
        return {"domain": int(low)}
    # FLAML's integer domains exclude the upper bound
    domain = tune.lograndint(low, high + 1) if log else tune.randint(low, high + 1)
    return {"domain": domain, "init_value": int(low), "low_cost_init_value": int(low)}


def _flaml_params(config: dict) -> dict:
    """Constructor parameters from a FLAML config (the inverse of the encodings above)."""
    params = {}
    shapes: dict[str, dict] = {}
    for key, value in config.items():
        for part in (_HIDDEN_WIDTH, _HIDDEN_DEPTH):
            if key.endswith(part):
                shapes.setdefault(key[: -len(part)], {})[part] = int(value)
                break
        else:
            params[key] = None if isinstance(value, str) and value == _NONE else value
    for stem, shape in shapes.items():
        width, depth = shape.get(_HIDDEN_WIDTH, 64), shape.get(_HIDDEN_DEPTH, 1)
        params[stem + "hidden_layer_sizes"] = tuple(max(width >> i, 1) for i in range(depth))
    return params


def _configured(prototype, **params):
    """A fresh clone of ``prototype`` with ``params`` set (FLAML's ``estimator_class``)."""
    return clone(prototype).set_params(**params)


def _learner_base():
    try:
        from flaml.automl.model import SKLearnEstimator
    except ImportError as exc:
        raise ImportError(
            'The FLAML learner needs FLAML\'s AutoML: pip install "skimbnet[automl]" '
            '(or pip install "flaml[automl]").'
        ) from exc

    class FLAMLBalancedNet(SKLearnEstimator):
        """FLAML learner for a skimbnet classifier (``AutoML.add_learner``).

        Class attributes: ``prototype`` (the estimator each trial clones;
        ``None`` is ``BalancedNetClassifier()``) and ``space_options`` (the
        keyword arguments of :func:`skimbnet.search_space`). Make variants
        with :func:`skimbnet.search.flaml_learner`.
        """

        prototype = None
        space_options: dict = {}

        def __init__(self, task="binary", n_jobs=None, **config):
            # n_jobs: FLAML passes its own; a network has no such parameter
            super().__init__(task, **config)
            if not self._task.is_classification():
                raise ValueError(
                    f"{type(self).__name__} is a classifier; FLAML's task is "
                    f"{getattr(self._task, 'name', task)!r}."
                )
            self.estimator_class = partial(_configured, self._prototype())

        @classmethod
        def _prototype(cls):
            return BalancedNetClassifier() if cls.prototype is None else cls.prototype

        @classmethod
        def search_space(cls, data_size, task, **params):
            from .search import _dimensions

            options = _with_defaults(dict(cls.space_options))
            return _flaml_space(_dimensions(cls._prototype(), **options))

        def config2params(self, config: dict) -> dict:
            return _flaml_params(super().config2params(config))

    # its public home, where pickle finds it by name
    FLAMLBalancedNet.__module__ = PUBLIC_MODULE
    FLAMLBalancedNet.__qualname__ = "FLAMLBalancedNet"
    return FLAMLBalancedNet


def _with_defaults(options: dict) -> dict:
    """``options`` completed with :func:`~skimbnet.search.search_space`'s defaults."""
    from .search import search_space

    parameters = inspect.signature(search_space).parameters.values()
    # every keyword-only option but the backend (FLAML is the backend here)
    defaults = {p.name: p.default for p in parameters if p.kind is p.KEYWORD_ONLY}
    defaults.pop("backend")
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        raise TypeError(f"unknown search-space options {unknown}; known: {sorted(defaults)}.")
    return {**defaults, **options}


def flaml_learner(estimator=None, **space_options):
    """A FLAML learner class that searches ``estimator``'s hyper-parameters.

    Register it with ``AutoML.add_learner(name, learner)`` and list ``name``
    in ``estimator_list``; FLAML then picks it (or not) against its other
    learners. Each trial fits a clone of ``estimator`` with the trial's
    parameters set, so its other parameters (``max_epochs``,
    ``random_state``, a custom ``module``) stay as given.

    Parameters
    ----------
    estimator : None or estimator, default=None
        A :class:`~skimbnet.BalancedNetClassifier` (``None``: the default
        one), a :class:`~skimbnet.BootstrapEnsembleClassifier` with an
        explicit member, or a pipeline ending in one.
    **space_options
        Keyword arguments of :func:`search_space` (``losses``, ``lr``,
        ``max_epochs``...). Network shapes are searched as a first-layer
        width (log scale) and a depth, each layer half as wide as the one
        before, spanning the ``hidden_layer_sizes`` choices.

    Returns
    -------
    type
        A subclass of ``flaml.automl.model.SKLearnEstimator``. With no
        arguments, :data:`FLAMLBalancedNet` itself (picklable by name).

    Examples
    --------
    >>> from flaml import AutoML  # doctest: +SKIP
    >>> automl = AutoML()  # doctest: +SKIP
    >>> automl.add_learner("skimbnet", flaml_learner(BalancedNetClassifier(max_epochs=50)))
    ... # doctest: +SKIP
    >>> automl.fit(X, y, task="classification", estimator_list=["skimbnet"],
    ...            metric="ap", time_budget=60)  # doctest: +SKIP
    """
    from .search import _target

    base = flaml_class()
    if estimator is None and not space_options:
        return base
    _with_defaults(space_options)  # reject unknown options now
    _target(estimator)  # and estimators without a space
    return type(
        "CustomFLAMLBalancedNet",
        (base,),
        {
            "prototype": estimator,
            "space_options": dict(space_options),
            "__module__": PUBLIC_MODULE,
            "__doc__": base.__doc__,
        },
    )


_FLAML_CLASS = None


def flaml_class():
    """:data:`~skimbnet.search.FLAMLBalancedNet`, built on first use (it needs FLAML)."""
    global _FLAML_CLASS
    if _FLAML_CLASS is None:
        _FLAML_CLASS = _learner_base()
    return _FLAML_CLASS
