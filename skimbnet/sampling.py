"""Sampler strategies: which training rows each epoch shows the network.

A sampler strategy is a clonable spec (a scikit-learn ``BaseEstimator``); its
``build(y, max_epochs, random_state)`` returns an :class:`EpochSampler`, a
:class:`torch.utils.data.Sampler` over the row indices of ``y`` with
``set_epoch(epoch)`` (as torch's ``DistributedSampler`` has) and
``len()`` = rows per epoch. Over-sampling repeats indices; X is never copied.

The class mix is computed from the labels handed to ``build``; the classifier
calls it at ``fit`` with the training split's labels, so a strategy follows the
folds of a cross-validation or a grid search.

Built samplers also work in a plain :class:`torch.utils.data.DataLoader`::

    loader = DataLoader(dataset, batch_size=64, sampler=ClassBalancedSampler().build(y))

Each pass over such a loader draws the next epoch (as ``RandomSampler`` draws a
new shuffle); call ``set_epoch(e)`` to pick an epoch explicitly.

=================  ==========================  ==================================================
alias              class                       each epoch draws
=================  ==========================  ==================================================
``"natural"``      :class:`NaturalSampler`     a shuffle of all rows
``"balanced"``     :class:`ClassBalancedSampler`  n rows, each class with probability 1/K
``"sqrt"``         :class:`SquareRootSampler`  n rows, class probability proportional to sqrt(n_j)
``"progressive"``  :class:`ProgressiveSampler`  n rows, balanced at the first epoch, natural at
                                               the last (or the reverse)
``"undersample"``  :class:`UnderSampler`       m rows of every class without replacement,
                                               m = rarest class count
=================  ==========================  ==================================================
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, clone
from torch.utils.data import Sampler

from ._strategies import aliases, resolve

__all__ = [
    "EpochSampler",
    "SamplerStrategy",
    "NaturalSampler",
    "ClassBalancedSampler",
    "SquareRootSampler",
    "ProgressiveSampler",
    "UnderSampler",
    "available_samplers",
    "resolve_sampler",
    "class_shares",
]


class EpochSampler(Sampler):
    """A sampler whose draw depends on the epoch and a fixed seed.

    Subclasses implement :meth:`indices`, which returns the whole epoch's row
    indices as one numpy array (drawn in numpy, no per-row Python work).

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        The class of each row: integer-encoded classes (``0 .. n_classes - 1``,
        as the classifier passes them) or any labels (strings, a torch tensor).
    max_epochs : int
        Number of epochs the training will run (for schedules).
    random_state : int or None
        Seed; epoch ``e`` draws from ``numpy.random.default_rng([seed, e])``.
        ``None`` picks a fresh seed when the sampler is built.

    Attributes
    ----------
    classes : ndarray
        The distinct labels of ``y`` (classes with no row do not exist here).
    class_counts : ndarray
        Rows of each class, in ``classes`` order.
    epoch : int
        The epoch the next :meth:`indices` or iteration draws.
    """

    def __init__(self, y, max_epochs: int = 1, random_state: int | None = 0):
        if hasattr(y, "detach"):  # torch tensor
            y = y.detach().cpu().numpy()
        self.y = np.asarray(y)
        if self.y.ndim != 1:
            raise ValueError(f"y must be 1-dimensional, got an array of shape {self.y.shape}.")
        if len(self.y) == 0:
            raise ValueError("y is empty: a sampler needs at least one row.")
        if not isinstance(max_epochs, Integral) or max_epochs < 1:
            raise ValueError(f"max_epochs must be an integer >= 1, got {max_epochs!r}.")
        self.max_epochs = int(max_epochs)
        if random_state is None:
            random_state = int(np.random.SeedSequence().generate_state(1)[0])
        if not isinstance(random_state, Integral) or random_state < 0:
            raise ValueError(
                f"random_state must be a non-negative integer or None, got {random_state!r}."
            )
        self.random_state = int(random_state)
        self.epoch = 0

    def _encode(self):
        # computed on first use: a natural shuffle never needs the classes
        y = self.y
        if y.dtype.kind in "iu" and y.min() >= 0 and y.max() < 2 * len(y) + 1024:
            # encoded labels (the classifier's case): counting, no sort
            counts = np.bincount(y)
            classes = np.flatnonzero(counts)
            if len(classes) == len(counts):
                codes = y.astype(np.intp, copy=False)
            else:
                lookup = np.zeros(len(counts), dtype=np.intp)
                lookup[classes] = np.arange(len(classes))
                codes = lookup[y]
            classes = classes.astype(y.dtype)
        else:
            classes, codes = np.unique(y, return_inverse=True)
            codes = codes.reshape(-1).astype(np.intp, copy=False)
        self._classes = classes
        self._codes = codes
        self._class_counts = np.bincount(codes, minlength=len(classes))

    @property
    def classes(self) -> np.ndarray:
        """The distinct labels of ``y``."""
        if "_classes" not in vars(self):
            self._encode()
        return self._classes

    @property
    def codes(self) -> np.ndarray:
        """The class of each row as a position in :attr:`classes`."""
        if "_codes" not in vars(self):
            self._encode()
        return self._codes

    @property
    def class_counts(self) -> np.ndarray:
        """Rows of each class, in :attr:`classes` order."""
        if "_class_counts" not in vars(self):
            self._encode()
        return self._class_counts

    @property
    def n_classes(self) -> int:
        """Number of classes that have rows."""
        return len(self.classes)

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch whose draw :meth:`indices` and iteration return."""
        self.epoch = int(epoch)

    def _rng(self) -> np.random.Generator:
        return np.random.default_rng([self.random_state, self.epoch])

    def indices(self) -> np.ndarray:
        """Row indices of the current epoch, in the order they are shown."""
        raise NotImplementedError

    def class_probabilities(self, epoch: int | None = None) -> np.ndarray:
        """The class mix an epoch draws from, by definition (``classes`` order)."""
        return self.class_counts / self.class_counts.sum()

    def __iter__(self):
        # each pass draws the current epoch, then moves on to the next one, so
        # a plain DataLoader sees a fresh draw every epoch (as RandomSampler does)
        rows = self.indices()
        self.epoch += 1
        return iter(rows.tolist())

    def __len__(self) -> int:
        return len(self.y)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(n_rows={len(self.y)}, n_classes={self.n_classes}, "
            f"rows_per_epoch={len(self)}, max_epochs={self.max_epochs}, epoch={self.epoch})"
        )


class SamplerStrategy(BaseEstimator):
    """Base class of sampler strategies: subclasses implement :meth:`build`."""

    #: string alias usable as ``BalancedNetClassifier(sampler=<name>)``
    name: str = ""

    def build(self, y, max_epochs: int = 1, random_state: int | None = 0) -> EpochSampler:
        """Return the sampler over the rows of ``y`` (encoded classes)."""
        raise NotImplementedError


class _ShuffleSampler(EpochSampler):
    def indices(self):
        return self._rng().permutation(len(self.y))


class NaturalSampler(SamplerStrategy):
    """Each epoch is a shuffle of all rows: the natural class mix.

    Examples
    --------
    >>> from skimbnet.sampling import NaturalSampler
    >>> sampler = NaturalSampler().build([0, 0, 0, 1], random_state=0)
    >>> sorted(sampler)
    [0, 1, 2, 3]
    """

    name = "natural"

    def build(self, y, max_epochs=1, random_state=0):
        return _ShuffleSampler(y, max_epochs, random_state)


# --------------------------------------------------------------- class mixes


class _ClassMixSampler(EpochSampler):
    """Draws ``len(y)`` rows per epoch from a class mix that may move with the epoch.

    The number of rows of each class is multinomial (the same as choosing the
    class of every row independently with the class probabilities). Within a
    class, rows are drawn with as little repetition as possible: a class drawn
    ``c`` times with ``n_c`` rows shows every row ``c // n_c`` times plus
    ``c % n_c`` distinct rows once more, so repeats happen only where the class
    is drawn more often than it has rows. The epoch is then shuffled.
    """

    def __init__(self, y, strategy, max_epochs=1, random_state=0):
        super().__init__(y, max_epochs, random_state)
        self.strategy = strategy
        # rows of each class, contiguous: order[starts[j]:starts[j + 1]]
        self._order = np.argsort(self.codes, kind="stable")
        self._starts = np.concatenate([[0], np.cumsum(self.class_counts)])

    def class_probabilities(self, epoch=None):
        epoch = self.epoch if epoch is None else int(epoch)
        return self.strategy.class_mix(self.class_counts, epoch, self.max_epochs)

    def _draw_counts(self, rng, n_rows):
        return rng.multinomial(n_rows, self.class_probabilities())

    def indices(self):
        rng = self._rng()
        drawn = self._draw_counts(rng, len(self))
        parts = []
        for j, count in enumerate(drawn):
            if count == 0:
                continue
            rows = self._order[self._starts[j] : self._starts[j + 1]]
            full, rest = divmod(int(count), len(rows))
            if full:
                parts.append(np.tile(rows, full))
            if rest:
                parts.append(rng.choice(rows, size=rest, replace=False))
        out = np.concatenate(parts)
        rng.shuffle(out)
        return out


def _natural_mix(counts):
    return counts / counts.sum()


def _balanced_mix(counts):
    return np.full(len(counts), 1.0 / len(counts))


class ClassBalancedSampler(SamplerStrategy):
    """Each epoch draws ``n`` rows, every class with probability ``1/K``.

    Rare classes are repeated (their indices, never their rows); large classes
    are subsampled without replacement. ``K`` counts the classes that have rows.

    Examples
    --------
    >>> import numpy as np
    >>> from skimbnet.sampling import ClassBalancedSampler
    >>> y = np.array([0] * 900 + [1] * 100)
    >>> sampler = ClassBalancedSampler().build(y, random_state=0)
    >>> len(sampler)
    1000
    >>> round(float((y[sampler.indices()] == 1).mean()), 1)
    0.5
    """

    name = "balanced"

    def class_mix(self, class_counts, epoch=0, max_epochs=1) -> np.ndarray:
        """Class probabilities of ``epoch`` for classes of these counts: ``1/K`` each."""
        return _balanced_mix(np.asarray(class_counts, dtype=float))

    def build(self, y, max_epochs=1, random_state=0):
        return _ClassMixSampler(y, clone(self), max_epochs, random_state)


class SquareRootSampler(SamplerStrategy):
    """Each epoch draws ``n`` rows, class ``j`` with probability proportional to ``sqrt(n_j)``.

    A middle ground between the natural mix and the balanced one (Mahajan et
    al., 2018; Kang et al., 2020).

    Examples
    --------
    >>> import numpy as np
    >>> from skimbnet.sampling import SquareRootSampler
    >>> sampler = SquareRootSampler().build(np.array([0] * 900 + [1] * 100))
    >>> sampler.class_probabilities().round(2)
    array([0.75, 0.25])
    """

    name = "sqrt"

    def class_mix(self, class_counts, epoch=0, max_epochs=1) -> np.ndarray:
        """Class probabilities of ``epoch``: proportional to ``sqrt(n_j)``."""
        root = np.sqrt(np.asarray(class_counts, dtype=float))
        return root / root.sum()

    def build(self, y, max_epochs=1, random_state=0):
        return _ClassMixSampler(y, clone(self), max_epochs, random_state)


_SCHEDULES = ("linear", "cosine", "step")


class ProgressiveSampler(SamplerStrategy):
    """A curriculum: the class mix moves from balanced to natural over the epochs.

    At epoch ``e`` of ``max_epochs``, with ``t = e / (max_epochs - 1)``, class
    ``j`` is drawn with probability ``p_j = (1 - a) / K + a * n_j / n`` where
    ``a`` follows the schedule (Kang et al., 2020, "progressively-balanced"
    sampling):

    - ``"linear"``: ``a = t``;
    - ``"cosine"``: ``a = (1 - cos(pi * t)) / 2``, slow at both ends;
    - ``"step"``: ``a = 0`` before ``t = step_at``, ``1`` from there on.

    ``reverse=True`` runs the other way, natural first and balanced at the end
    (with ``schedule="step"`` this is deferred re-sampling, DRS, of Cao et al.,
    2019). Epochs past ``max_epochs`` keep the last mix; with ``max_epochs=1``
    the only epoch is the first one. Each epoch draws ``n`` rows.

    Note: the schedule follows ``max_epochs``; when early stopping ends the
    training sooner, the last mix is never reached.

    Parameters
    ----------
    schedule : {"linear", "cosine", "step"}, default="linear"
        How the mix moves between the two ends.
    reverse : bool, default=False
        Go from natural to balanced instead.
    step_at : float in (0, 1], default=0.5
        Where the ``"step"`` schedule switches, as a fraction of the epochs.

    Examples
    --------
    >>> import numpy as np
    >>> from skimbnet.sampling import ProgressiveSampler
    >>> sampler = ProgressiveSampler().build(np.array([0] * 900 + [1] * 100), max_epochs=11)
    >>> [sampler.class_probabilities(e)[1].round(2) for e in (0, 5, 10)]
    [np.float64(0.5), np.float64(0.3), np.float64(0.1)]
    """

    name = "progressive"

    def __init__(self, schedule: str = "linear", reverse: bool = False, step_at: float = 0.5):
        self.schedule = schedule
        self.reverse = reverse
        self.step_at = step_at

    def _check(self):
        if self.schedule not in _SCHEDULES:
            raise ValueError(
                f"ProgressiveSampler(schedule={self.schedule!r}) is not a known schedule; "
                f"use one of {list(_SCHEDULES)}."
            )
        if not isinstance(self.step_at, Real) or not 0 < self.step_at <= 1:
            raise ValueError(
                f"ProgressiveSampler(step_at={self.step_at!r}) must be a number in (0, 1]."
            )

    def natural_weight(self, epoch: int, max_epochs: int) -> float:
        """The weight ``a`` of the natural mix at ``epoch`` (0 = balanced, 1 = natural)."""
        self._check()
        t = 0.0 if max_epochs <= 1 else min(max(epoch / (max_epochs - 1), 0.0), 1.0)
        if self.schedule == "linear":
            a = t
        elif self.schedule == "cosine":
            a = (1.0 - np.cos(np.pi * t)) / 2.0
        else:
            a = 1.0 if t >= self.step_at else 0.0
        return float(1.0 - a if self.reverse else a)

    def class_mix(self, class_counts, epoch=0, max_epochs=1) -> np.ndarray:
        """Class probabilities of ``epoch``: ``(1 - a) / K + a * n_j / n``."""
        counts = np.asarray(class_counts, dtype=float)
        a = self.natural_weight(epoch, max_epochs)
        return (1.0 - a) * _balanced_mix(counts) + a * _natural_mix(counts)

    def build(self, y, max_epochs=1, random_state=0):
        self._check()
        return _ClassMixSampler(y, clone(self), max_epochs, random_state)


class _UnderSampler(EpochSampler):
    def __init__(self, y, max_epochs=1, random_state=0):
        super().__init__(y, max_epochs, random_state)
        self._order = np.argsort(self.codes, kind="stable")
        self._starts = np.concatenate([[0], np.cumsum(self.class_counts)])
        self.n_per_class = int(self.class_counts.min())

    def class_probabilities(self, epoch=None):
        return _balanced_mix(self.class_counts)

    def indices(self):
        rng = self._rng()
        m = self.n_per_class
        parts = [
            rng.choice(self._order[self._starts[j] : self._starts[j + 1]], size=m, replace=False)
            for j in range(self.n_classes)
        ]
        out = np.concatenate(parts)
        rng.shuffle(out)
        return out

    def __len__(self):
        return self.n_per_class * self.n_classes


class UnderSampler(SamplerStrategy):
    """Each epoch shows ``m`` rows of every class, ``m`` = the rarest class's count.

    Rows are drawn without replacement, afresh every epoch, so over the epochs
    every row of a large class is seen (random under-sampling that throws no
    row away for good). An epoch has ``K * m`` rows.

    Examples
    --------
    >>> import numpy as np
    >>> from skimbnet.sampling import UnderSampler
    >>> y = np.array([0] * 900 + [1] * 100)
    >>> sampler = UnderSampler().build(y, random_state=0)
    >>> len(sampler), np.bincount(y[sampler.indices()]).tolist()
    (200, [100, 100])
    """

    name = "undersample"

    def build(self, y, max_epochs=1, random_state=0):
        return _UnderSampler(y, max_epochs, random_state)


# ------------------------------------------------------------------ helpers


def class_shares(sampler: EpochSampler, epochs=None) -> np.ndarray:
    """The share of each class among the rows a built sampler draws, per epoch.

    Parameters
    ----------
    sampler : EpochSampler
        A built sampler (``strategy.build(y, ...)``).
    epochs : int, iterable of int or None, default=None
        The epochs to draw; an int ``k`` means ``range(k)``; ``None`` means
        ``range(sampler.max_epochs)``.

    Returns
    -------
    ndarray of shape (n_epochs, n_classes)
        Row ``i`` holds the drawn shares of ``sampler.classes`` in the ``i``-th
        epoch asked for. The sampler's current epoch is left as it was.

    Examples
    --------
    >>> import numpy as np
    >>> from skimbnet.sampling import ProgressiveSampler, class_shares
    >>> y = np.array([0] * 9000 + [1] * 1000)
    >>> shares = class_shares(ProgressiveSampler().build(y, max_epochs=3), epochs=3)
    >>> shares[:, 1].round(1)
    array([0.5, 0.3, 0.1])
    """
    if epochs is None:
        epochs = range(sampler.max_epochs)
    elif isinstance(epochs, Integral):
        epochs = range(int(epochs))
    saved = sampler.epoch
    try:
        rows = []
        for epoch in epochs:
            sampler.set_epoch(epoch)
            codes = sampler.codes[sampler.indices()]
            counts = np.bincount(codes, minlength=sampler.n_classes)
            rows.append(counts / max(counts.sum(), 1))
    finally:
        sampler.set_epoch(saved)
    return np.array(rows, dtype=float).reshape(-1, sampler.n_classes)


def available_samplers() -> dict[str, type[SamplerStrategy]]:
    """The sampler aliases accepted by ``BalancedNetClassifier(sampler=...)``."""
    return aliases(SamplerStrategy)


def resolve_sampler(sampler) -> SamplerStrategy:
    """Turn ``sampler`` (an alias or a strategy object) into a fresh strategy.

    Raises
    ------
    ValueError
        For an unknown alias; the message lists the valid ones.
    TypeError
        For anything that is neither an alias nor a :class:`SamplerStrategy`.
    """
    return resolve(sampler, SamplerStrategy, "sampler", "sampler")
