"""Hyper-parameter search spaces for Optuna, scikit-learn and FLAML.

:func:`search_space` returns the distributions to search for a
:class:`~skimbnet.BalancedNetClassifier` (or a
:class:`~skimbnet.BootstrapEnsembleClassifier`, or a pipeline ending in one),
ready for Optuna's ``OptunaSearchCV`` (``backend="optuna"``, the default) or
scikit-learn's ``RandomizedSearchCV`` (``backend="sklearn"``).
:func:`flaml_learner` (and :data:`FLAMLBalancedNet`) turns the same space into a
FLAML learner, for ``AutoML.add_learner``; the learner's machinery lives in
``skimbnet/_flaml.py``, this module holds the space, free of any search library.

Optuna and FLAML are optional (``pip install "skimbnet[automl]"``): they are
imported only when a space or a learner for them is built, so ``import
skimbnet`` never needs them.

Examples
--------
>>> from skimbnet import search_space
>>> space = search_space(backend="sklearn", losses=["ce", "focal"])
>>> sorted(space)  # doctest: +NORMALIZE_WHITESPACE
['class_weight', 'dropout', 'hidden_layer_sizes', 'loss', 'lr',
 'optimizer__weight_decay', 'sampler']
>>> space["loss"]
['ce', 'focal']
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from numbers import Integral

import numpy as np

from ._flaml import flaml_class, flaml_learner
from .classifier import BalancedNetClassifier
from .data import check_class_weight_param
from .ensemble import BootstrapEnsembleClassifier

# FLAMLBalancedNet is built on first access (it subclasses FLAML's learner)
__all__ = ["search_space", "flaml_learner", "BACKENDS"]

#: the ``backend`` names :func:`search_space` accepts
BACKENDS = ("optuna", "sklearn")

#: network shapes searched by default (the default MLP only)
DEFAULT_HIDDEN_LAYER_SIZES = ((32,), (64,), (128,), (64, 32), (128, 64), (256, 128))
#: class weightings searched by default (networks; ensemble members train on balanced draws):
#: "auto" is "balanced" unless the loss or sampler corrects for the class mix already
#: ("effective" would correct twice beside a correcting loss or sampler: pass it in
#: class_weights to search it)
DEFAULT_CLASS_WEIGHTS = ("auto", None)
#: learning-rate range (log scale)
DEFAULT_LR = (1e-4, 3e-2)
#: decoupled weight decay (``optimizer__weight_decay`` of AdamW), log scale: a
#: network, and an ensemble member (whose small balanced draws want strong decay)
DEFAULT_WEIGHT_DECAY = (1e-6, 1e-1)
DEFAULT_MEMBER_WEIGHT_DECAY = (1e-2, 3.0)
DEFAULT_DROPOUT = (0.0, 0.5)
DEFAULT_N_ESTIMATORS = (3, 30)

AUTO = "auto"


@dataclass(frozen=True)
class Dimension:
    """One searched parameter, independent of the search library.

    ``kind`` is ``"float"``, ``"int"`` or ``"categorical"``; ``low``/``high``
    bound the numeric kinds (both included), ``log`` searches them on a log
    scale and ``choices`` lists a categorical one's values.
    """

    name: str
    kind: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple = ()


def search_space(
    estimator=None,
    *,
    backend: str = "optuna",
    losses="all",
    samplers=AUTO,
    class_weights=AUTO,
    hidden_layer_sizes=AUTO,
    lr=DEFAULT_LR,
    weight_decay=AUTO,
    dropout=AUTO,
    max_epochs=None,
    n_estimators=AUTO,
    prefix: str = "",
) -> dict:
    """Hyper-parameter distributions for searching a skimbnet estimator.

    Every option below is either a set of values to search or ``None`` to
    leave that parameter out of the space (it then keeps the estimator's
    value).

    Parameters
    ----------
    estimator : None, "net", "ensemble" or estimator, default=None
        What is searched: ``None``/``"net"`` a
        :class:`~skimbnet.BalancedNetClassifier`, ``"ensemble"`` a
        :class:`~skimbnet.BootstrapEnsembleClassifier` with an explicit member
        ``estimator`` (its member parameters are ``estimator__*``), or the
        estimator itself. A :class:`~sklearn.pipeline.Pipeline` is searched
        through its last step (the keys get ``<step name>__``), also as an
        ensemble's member (``estimator__balancednetclassifier__*``); a member
        that is not a network is a ``TypeError``. A network with
        a custom ``module`` has no ``hidden_layer_sizes``/``dropout`` in its
        space (set ``module__*`` ranges yourself).
    backend : {"optuna", "sklearn"}, default="optuna"
        ``"optuna"``: :mod:`optuna.distributions` for
        ``optuna_integration.OptunaSearchCV``. ``"sklearn"``: lists and
        :mod:`scipy.stats` distributions for
        :class:`~sklearn.model_selection.RandomizedSearchCV` (integers are
        drawn uniformly there, also where Optuna uses a log scale).
    losses : "all", list of str or None, default="all"
        Loss aliases to search; ``"all"`` is every alias in
        :func:`skimbnet.losses.available_losses`.
    samplers : "auto", list of str or None, default="auto"
        Sampler aliases; ``"auto"`` is every alias in
        :func:`skimbnet.sampling.available_samplers` for a network whose
        candidates correct for the class mix by no other means, and none
        otherwise: a balancing sampler beside a correcting loss (the default
        ``"all"`` holds ``ldam``, ``logit_adjusted`` and ``balanced_softmax``;
        with ``losses=None``, the network's own loss), the network's
        ``logit_adjustment`` or its explicit ``class_weight`` (when class
        weights are not searched) corrects twice, which the classifier warns
        of. ``losses=["ce", "focal"]`` searches the samplers. None for an
        ensemble's members (their draws are balanced already).
    class_weights : "auto", list or None, default="auto"
        ``class_weight`` values; ``"auto"`` is ``["auto", None]`` for a
        network (the classifier's ``"auto"`` is ``"balanced"`` unless the
        loss, the sampler or a resampler already corrects for the class mix,
        so no combination corrects twice) and none for an ensemble's members.
        ``"effective"`` is left out: the loss and sampler are drawn apart
        from it, and it would correct a second time beside a loss or sampler
        that does.
    hidden_layer_sizes : "auto", list of tuples or None, default="auto"
        Network shapes; ``"auto"`` is ``(32,), (64,), (128,), (64, 32),
        (128, 64), (256, 128)`` (none with a custom ``module``).
    lr : (low, high) or None, default=(1e-4, 3e-2)
        Learning-rate range, searched on a log scale.
    weight_decay : "auto", (low, high) or None, default="auto"
        ``optimizer__weight_decay`` range (log scale); ``"auto"`` is
        ``(1e-6, 1e-1)`` for a network and ``(1e-2, 3.0)`` for ensemble
        members (strong decay suits their small draws).
    dropout : "auto", (low, high) or None, default="auto"
        Dropout range of the default MLP; ``"auto"`` is ``(0.0, 0.5)`` for a
        network and none for ensemble members (it measured no better there).
    max_epochs : (low, high) or None, default=None
        Epoch budget range (log scale). Not searched by default: each
        candidate keeps the estimator's ``max_epochs``, a fixed budget with
        the defaults (``train_split=None``: no validation split, no early
        stopping); give the estimator ``train_split="auto"`` to have early
        stopping on a validation split choose the epoch instead.
    n_estimators : "auto", (low, high) or None, default="auto"
        Ensemble size range (ensembles only); ``"auto"`` is ``(3, 30)``.
    prefix : str, default=""
        Put in front of every key, e.g. ``"clf__"`` for a pipeline step.

    Returns
    -------
    dict
        ``{parameter name: distribution}``, for ``param_distributions``.

    Notes
    -----
    Optuna stores ``hidden_layer_sizes`` choices (tuples) in memory only;
    with a database ``storage`` leave them out (``hidden_layer_sizes=None``)
    and search the shape some other way.

    Examples
    --------
    >>> from skimbnet import BalancedNetClassifier, search_space
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> pipe = make_pipeline(StandardScaler(), BalancedNetClassifier())
    >>> space = search_space(pipe, backend="sklearn", samplers=None)
    >>> sorted(space)[:2]
    ['balancednetclassifier__class_weight', 'balancednetclassifier__dropout']
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend={backend!r} is not supported; use one of {list(BACKENDS)}.")
    dims = _dimensions(
        estimator,
        losses=losses,
        samplers=samplers,
        class_weights=class_weights,
        hidden_layer_sizes=hidden_layer_sizes,
        lr=lr,
        weight_decay=weight_decay,
        dropout=dropout,
        max_epochs=max_epochs,
        n_estimators=n_estimators,
        prefix=prefix,
    )
    convert = _to_optuna if backend == "optuna" else _to_sklearn
    return {d.name: convert(d) for d in dims}


# ------------------------------------------------------------------ dimensions


def _target(estimator, prefix=""):
    """``(kind, prefix, net_prefix, net)`` of the searched estimator: kind "net" or
    "ensemble", the key prefix of its parameters and of the network's (they differ for an
    ensemble), and the network (``None``: the default)."""
    if estimator is None or (isinstance(estimator, str) and estimator == "net"):
        return "net", prefix, prefix, None
    if isinstance(estimator, str):
        if estimator == "ensemble":
            return "ensemble", prefix, f"{prefix}estimator__", None
        raise ValueError(f"estimator={estimator!r} must be 'net', 'ensemble' or an estimator.")
    steps = getattr(estimator, "steps", None)
    if isinstance(steps, list) and steps:
        name, last = steps[-1]
        return _target(last, f"{prefix}{name}__")
    if isinstance(estimator, type):
        if issubclass(estimator, BalancedNetClassifier):
            return "net", prefix, prefix, None
        if issubclass(estimator, BootstrapEnsembleClassifier):
            return "ensemble", prefix, f"{prefix}estimator__", None
    elif isinstance(estimator, BalancedNetClassifier):
        return "net", prefix, prefix, estimator
    elif isinstance(estimator, BootstrapEnsembleClassifier):
        if estimator.estimator is None:
            raise ValueError(
                "a BootstrapEnsembleClassifier with estimator=None has no member parameters "
                "to search; pass the member explicitly, e.g. "
                "BootstrapEnsembleClassifier(estimator=skimbnet.ensemble.default_estimator())."
            )
        # the member may be a Pipeline ending in the network (an L1FeatureSelector in front)
        try:
            kind, _, net_prefix, net = _target(estimator.estimator, f"{prefix}estimator__")
        except TypeError:
            kind = net = None
        if kind != "net" or net is None:
            raise TypeError(
                f"the ensemble's member {type(estimator.estimator).__name__} is not a "
                "BalancedNetClassifier or a Pipeline ending in one: search_space has no "
                "parameters for it; write its space by hand (estimator__<name>)."
            )
        return "ensemble", prefix, net_prefix, net
    raise TypeError(
        f"cannot build a search space for {type(estimator).__name__}; pass a "
        "BalancedNetClassifier, a BootstrapEnsembleClassifier, a Pipeline ending in one, "
        "'net' or 'ensemble'."
    )


def _dimensions(
    estimator,
    *,
    losses,
    samplers,
    class_weights,
    hidden_layer_sizes,
    lr,
    weight_decay,
    dropout,
    max_epochs,
    n_estimators,
    prefix,
) -> list[Dimension]:
    kind, prefix, net_prefix, member = _target(estimator, prefix)
    ensemble = kind == "ensemble"
    custom_module = isinstance(member, BalancedNetClassifier) and member.module is not None

    def pick(value, net_default, member_default):
        if isinstance(value, str) and value == AUTO:
            return member_default if ensemble else net_default
        return value

    losses = _names("losses", losses, _loss_names())
    class_weights = pick(class_weights, DEFAULT_CLASS_WEIGHTS, None)
    if isinstance(samplers, str) and samplers == AUTO and not ensemble:
        samplers = None if _corrects_already(losses, member, class_weights) else "all"
    samplers = _names("samplers", pick(samplers, "all", None), _sampler_names())
    sizes = hidden_layer_sizes
    if isinstance(sizes, str) and sizes == AUTO:
        sizes = None if custom_module else DEFAULT_HIDDEN_LAYER_SIZES
    dropout = pick(dropout, DEFAULT_DROPOUT, None)
    if custom_module and isinstance(dropout, tuple) and dropout == DEFAULT_DROPOUT:
        dropout = None
    weight_decay = pick(weight_decay, DEFAULT_WEIGHT_DECAY, DEFAULT_MEMBER_WEIGHT_DECAY)
    if isinstance(n_estimators, str) and n_estimators == AUTO:
        n_estimators = DEFAULT_N_ESTIMATORS if ensemble else None

    dims: list[Dimension] = []

    def categorical(name, values, choice=lambda v: v):
        if values is None:
            return
        values = tuple(choice(v) for v in values)
        if not values:
            raise ValueError(f"the choices for {name!r} are empty; pass None to leave it out.")
        dims.append(Dimension(name, "categorical", choices=values))

    def numeric(name, bounds, kind, log, below=None):
        if bounds is None:
            return
        low, high = _bounds(name, bounds, log)
        if below is not None and not (low >= 0 and high < below):
            raise ValueError(f"the range of {name!r} must lie in [0, {below}); got {bounds!r}.")
        if kind == "int":
            if not (low.is_integer() and high.is_integer()):
                raise ValueError(f"the range of {name!r} must be whole numbers; got {bounds!r}.")
            low, high = int(low), int(high)
        dims.append(Dimension(name, kind, low, high, log=log))

    categorical(f"{net_prefix}loss", losses)
    categorical(f"{net_prefix}sampler", samplers)
    for value in class_weights or ():
        check_class_weight_param(value)  # a bad choice fails now, not in every fit
    categorical(f"{net_prefix}class_weight", class_weights)
    categorical(f"{net_prefix}hidden_layer_sizes", sizes, _layer_sizes)
    numeric(f"{net_prefix}lr", lr, "float", log=True)
    numeric(f"{net_prefix}optimizer__weight_decay", weight_decay, "float", log=True)
    numeric(f"{net_prefix}dropout", dropout, "float", log=False, below=1)
    numeric(f"{net_prefix}max_epochs", max_epochs, "int", log=True)
    if n_estimators is not None and not ensemble:
        raise ValueError("n_estimators is searched for ensembles only; pass n_estimators=None.")
    numeric(f"{prefix}n_estimators", n_estimators, "int", log=True)
    return dims


def _loss_names():
    from .losses import available_losses

    return list(available_losses())


def _corrects_already(losses, net, class_weights) -> bool:
    """Whether a candidate corrects for the class mix without a sampler, as the
    classifier counts corrections: a searched loss (with ``losses=None``, the
    network's own, the default's for ``net=None``), the network's
    ``logit_adjustment``, or its explicit ``class_weight`` when class weights
    are not searched (the searched ``"auto"`` and ``None`` never add a second)."""
    from .losses import resolve_loss

    net = BalancedNetClassifier() if net is None else net
    if losses is None:
        # its own loss with its loss__* parameters (a torch loss with weight= corrects)
        loss_corrects = net._strategy("loss", resolve_loss).corrects_class_mix
    else:
        loss_corrects = any(resolve_loss(loss).corrects_class_mix for loss in losses)
    explicit_weights = class_weights is None and net.class_weight not in ("auto", None)
    return loss_corrects or bool(net.logit_adjustment) or explicit_weights


def _sampler_names():
    from .sampling import available_samplers

    return list(available_samplers())


def _names(what, value, known):
    if value is None:
        return None
    if isinstance(value, str):
        if value == "all":
            return known
        raise ValueError(f"{what}={value!r} must be 'all', a list of names or None.")
    value = list(value)
    unknown = [v for v in value if isinstance(v, str) and v not in known]
    if unknown:
        raise ValueError(f"{what} has unknown names {unknown}; the known ones are {known}.")
    return value


def _layer_sizes(value):
    """One network shape as a tuple of positive ints (a list is accepted, as JSON gives)."""
    sizes = tuple(value) if isinstance(value, list | tuple) else None
    if sizes is None or not all(
        isinstance(s, Integral | np.integer) and not isinstance(s, bool) and s > 0 for s in sizes
    ):
        msg = "hidden_layer_sizes must hold tuples of positive ints, such as (64, 32)"
        raise ValueError(f"{msg}; got {value!r}.")
    return tuple(int(s) for s in sizes)


def _bounds(name, bounds, log):
    try:
        low, high = (float(b) for b in bounds)
    except (TypeError, ValueError):
        msg = f"the range of {name!r} must be (low, high) or None; got {bounds!r}."
        raise ValueError(msg) from None
    if not low <= high or (log and low <= 0):
        raise ValueError(
            f"the range of {name!r} must have low <= high"
            + (" and low > 0 (log scale)" if log else "")
            + f"; got {bounds!r}."
        )
    return low, high


# ------------------------------------------------------------------ backends


def _to_optuna(dim: Dimension):
    try:
        from optuna import distributions
    except ImportError as exc:
        raise ImportError(
            'search_space(backend="optuna") needs Optuna: pip install "skimbnet[automl]" '
            '(or use backend="sklearn").'
        ) from exc
    if dim.kind == "categorical":
        with warnings.catch_warnings():
            # tuples (network shapes) are fine in memory; Optuna warns for databases
            warnings.filterwarnings("ignore", message="Choices for a categorical distribution")
            return distributions.CategoricalDistribution(dim.choices)
    if dim.kind == "int":
        return distributions.IntDistribution(int(dim.low), int(dim.high), log=dim.log)
    return distributions.FloatDistribution(dim.low, dim.high, log=dim.log)


def _to_sklearn(dim: Dimension):
    from scipy import stats

    if dim.kind == "categorical":
        return list(dim.choices)
    if dim.kind == "int":
        return stats.randint(int(dim.low), int(dim.high) + 1)
    if dim.low == dim.high:
        return [dim.low]
    if dim.log:
        return stats.loguniform(dim.low, dim.high)
    return stats.uniform(dim.low, dim.high - dim.low)


def __getattr__(name):
    # FLAMLBalancedNet subclasses FLAML's learner, so it exists once FLAML is imported
    if name == "FLAMLBalancedNet":
        return flaml_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
