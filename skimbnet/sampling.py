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

Across processes (``DistributedDataParallel``), ``build(y, ..., num_replicas,
rank)`` gives each rank a disjoint shard of the same epoch stream, as torch's
``DistributedSampler`` does (read from ``torch.distributed`` when it is
initialised); see :class:`EpochSampler`. :class:`ImblearnSampler` turns any
index-based imbalanced-learn sampler (``RandomUnderSampler``, ``NearMiss``,
``TomekLinks``, ...) into such a sampler, redrawn every epoch.

=================  ==========================  ==================================================
alias              class                       each epoch draws
=================  ==========================  ==================================================
``"natural"``      :class:`NaturalSampler`     a shuffle of all rows
``"balanced"``     :class:`ClassBalancedSampler`  n rows, each class with probability 1/K
``"sqrt"``         :class:`SquareRootSampler`  n rows, class probability proportional to sqrt(n_j)
``"progressive"``  :class:`ProgressiveSampler`  n rows, natural at the first epoch, balanced at
                                               the last (or the reverse)
``"undersample"``  :class:`UnderSampler`       m rows of every class without replacement,
                                               m = rarest class count
=================  ==========================  ==================================================
"""

from __future__ import annotations

import zlib
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.utils.multiclass import type_of_target
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
    "ImblearnSampler",
    "available_samplers",
    "resolve_sampler",
    "class_shares",
]


def _replicas(num_replicas, rank) -> tuple[int, int]:
    """``(num_replicas, rank)``, read from ``torch.distributed`` where not given."""
    if num_replicas is None or rank is None:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        elif num_replicas is None or num_replicas == 1:
            num_replicas = 1 if num_replicas is None else num_replicas
            rank = 0 if rank is None else rank
        else:
            raise ValueError(
                f"rank=None with num_replicas={num_replicas!r} and no initialised "
                "torch.distributed process group: pass this process's rank "
                f"(an integer in [0, {num_replicas})) or initialise torch.distributed."
            )
    if isinstance(num_replicas, bool) or not isinstance(num_replicas, Integral) or num_replicas < 1:
        raise ValueError(f"num_replicas must be an integer >= 1 or None, got {num_replicas!r}.")
    if isinstance(rank, bool) or not isinstance(rank, Integral) or not 0 <= rank < num_replicas:
        raise ValueError(
            f"rank must be an integer in [0, num_replicas={num_replicas}) or None, got {rank!r}."
        )
    return int(num_replicas), int(rank)


def _fresh_seed() -> int:
    return int(np.random.SeedSequence().generate_state(1)[0])


def _shared_seed(num_replicas: int) -> int:
    """A fresh seed that every rank agrees on (rank 0's, broadcast)."""
    seed = _fresh_seed()
    if num_replicas == 1:
        return seed
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()) or (
        dist.get_world_size() != num_replicas
    ):
        raise ValueError(
            f"random_state=None with num_replicas={num_replicas}: every rank must draw the "
            "same epoch stream, so pass the same integer random_state on every rank (or "
            "initialise torch.distributed with this world size, which shares rank 0's seed)."
        )
    box = [seed]
    dist.broadcast_object_list(box, src=0)
    return int(box[0])


def _checksum(y) -> int:
    y = np.ascontiguousarray(y)
    if y.dtype == object:  # references (pandas' strings): hash the values they point at
        hashes = np.fromiter(map(hash, y.ravel().tolist()), dtype=np.int64, count=y.size)
        return zlib.crc32(hashes)
    return zlib.crc32(y.view(np.uint8).reshape(-1))


class EpochSampler(Sampler):
    """A sampler whose draw depends on the epoch and a fixed seed.

    Subclasses implement :meth:`epoch_indices`, which returns the whole epoch's
    row indices (every process's) as one numpy array, drawn in numpy with no
    per-row Python work; :meth:`indices` returns this process's shard of it.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        The class of each row: integer-encoded classes (``0 .. n_classes - 1``,
        as the classifier passes them) or any labels (strings, a torch tensor).
    max_epochs : int
        Number of epochs the training will run (for schedules).
    random_state : int or None, default=None
        Seed; epoch ``e`` draws from ``numpy.random.default_rng([seed, e])``.
        ``None`` picks a fresh seed when the sampler is built, so two builds
        draw different epochs (across processes, rank 0's fresh seed is
        broadcast, which needs an initialised ``torch.distributed``).
    num_replicas : int or None, default=None
        Number of processes that share each epoch (``DistributedDataParallel``
        ranks). ``None``: the world size of the initialised
        ``torch.distributed`` process group, else 1.
    rank : int or None, default=None
        This process's rank in ``[0, num_replicas)``. ``None``: read from
        ``torch.distributed`` (0 without a process group).

    Attributes
    ----------
    classes : ndarray
        The distinct labels of ``y`` (classes with no row do not exist here).
    class_counts : ndarray
        Rows of each class, in ``classes`` order.
    epoch : int
        The epoch the next :meth:`indices` or iteration draws.
    epoch_size : int
        Rows the whole epoch shows, all ranks together (before padding).

    Notes
    -----
    **Sharding.** Every rank draws the same epoch stream (same seed, same
    epoch) and keeps a disjoint part of it, as torch's ``DistributedSampler``
    does, but dealt out class by class: the stream's rows of each class go to
    the ranks in turn, so every rank's class mix is the epoch's, up to one row
    per class (a plain stride would leave each rank's mix to chance). Each rank
    shows its rows in the stream's order. When ``epoch_size`` is not a multiple
    of ``num_replicas``, the ranks that are one row short get one more,
    wrapping around to the start of the stream (the ``k``-th short rank gets
    its ``k``-th row), so every rank has ``len(sampler) = ceil(epoch_size /
    num_replicas)`` rows and at most ``num_replicas - 1`` rows of an epoch are
    shown twice; that is torch's padding rule. The ranks' shards together are
    the single-process epoch plus that padding. Call ``set_epoch(epoch)`` on
    every rank before each epoch, as with ``DistributedSampler``.

    **Labels that change.** ``y`` is not copied: a sampler built on a numpy
    array (or a torch tensor) that the caller later changes in place, such as
    the label column of a ring buffer, follows the change. Every draw (and
    ``len()``, ``classes``, ``codes``, ``class_counts``) compares a CRC-32
    checksum of the labels with the one of the last draw and recomputes the
    classes when they differ, so an epoch always has the class mix of the
    labels as they are when it is drawn. (A sampler's number of rows is fixed
    when it is built; for a buffer that grows, build a new sampler, which is
    cheap, or use :class:`skimbnet.replay.ActionBalancedReplay`.)
    """

    def __init__(
        self,
        y,
        max_epochs: int = 1,
        random_state: int | None = None,
        num_replicas: int | None = None,
        rank: int | None = None,
    ):
        self._tensor = None
        if hasattr(y, "detach"):  # torch tensor: a CPU one shares its memory with .numpy()
            if y.device.type != "cpu":
                self._tensor = y
            y = y.detach().cpu().numpy()
        # labels the caller can change in place are watched (a list is copied here)
        self._watch = isinstance(y, np.ndarray) or self._tensor is not None
        self.y = np.asarray(y)
        if self.y.ndim != 1:
            raise ValueError(f"y must be 1-dimensional, got an array of shape {self.y.shape}.")
        if len(self.y) == 0:
            raise ValueError("y is empty: a sampler needs at least one row.")
        if not isinstance(max_epochs, Integral) or max_epochs < 1:
            raise ValueError(f"max_epochs must be an integer >= 1, got {max_epochs!r}.")
        self.max_epochs = int(max_epochs)
        self.num_replicas, self.rank = _replicas(num_replicas, rank)
        if random_state is None:
            random_state = _shared_seed(self.num_replicas)
        if (
            isinstance(random_state, bool)
            or not isinstance(random_state, Integral)
            or random_state < 0
        ):
            raise ValueError(
                f"random_state must be a non-negative integer or None, got {random_state!r}."
            )
        self.random_state = int(random_state)
        self.epoch = 0
        self._crc = _checksum(self.y) if self._watch else None

    # ---------------------------------------------------------------- labels

    #: cached attributes computed from the labels, dropped when they change
    _LABEL_CACHES = ("_classes", "_codes", "_class_counts", "_order", "_starts")

    def _refresh(self) -> None:
        """Follow labels changed in place since the last look (see Notes)."""
        if not self._watch:
            return
        if self._tensor is not None:
            current = self._tensor.detach().cpu().numpy()
            if current.shape != self.y.shape:
                raise ValueError(
                    f"the labels this sampler was built on changed shape from {self.y.shape} "
                    f"to {current.shape}; build a new sampler for the new rows."
                )
            self.y = current
        crc = _checksum(self.y)
        if crc != self._crc:
            self._crc = crc
            for name in self._LABEL_CACHES:
                vars(self).pop(name, None)
            self._labels_changed()

    def _labels_changed(self) -> None:
        """Hook for subclasses that cache more than the class encoding."""

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
            _check_class_labels(y)
            classes, codes = np.unique(y, return_inverse=True)
            codes = codes.reshape(-1).astype(np.intp, copy=False)
        self._classes = classes
        self._codes = codes
        self._class_counts = np.bincount(codes, minlength=len(classes))

    def _cached(self, name):
        if name not in vars(self):
            self._encode()
        return vars(self)[name]

    def _grouped(self):
        """Rows of each class, contiguous: ``order[starts[j]:starts[j + 1]]``."""
        if "_order" not in vars(self):
            self._order = np.argsort(self._cached("_codes"), kind="stable")
            self._starts = np.concatenate([[0], np.cumsum(self._cached("_class_counts"))])
        return self._order, self._starts

    @property
    def classes(self) -> np.ndarray:
        """The distinct labels of ``y``."""
        self._refresh()
        return self._cached("_classes")

    @property
    def codes(self) -> np.ndarray:
        """The class of each row as a position in :attr:`classes`."""
        self._refresh()
        return self._cached("_codes")

    @property
    def class_counts(self) -> np.ndarray:
        """Rows of each class, in :attr:`classes` order."""
        self._refresh()
        return self._cached("_class_counts")

    @property
    def n_classes(self) -> int:
        """Number of classes that have rows."""
        return len(self.classes)

    # ---------------------------------------------------------------- epochs

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch whose draw :meth:`indices` and iteration return."""
        if isinstance(epoch, bool) or not isinstance(epoch, Integral) or epoch < 0:
            raise ValueError(f"set_epoch({epoch!r}): the epoch must be an integer >= 0.")
        self.epoch = int(epoch)

    def _rng(self) -> np.random.Generator:
        return np.random.default_rng([self.random_state, self.epoch])

    @property
    def epoch_size(self) -> int:
        """Rows of the whole epoch, every rank's together, before padding."""
        return len(self.y)

    def epoch_indices(self) -> np.ndarray:
        """Row indices of the current epoch for all ranks together (the unsharded stream)."""
        raise NotImplementedError

    def indices(self) -> np.ndarray:
        """Row indices this rank shows in the current epoch, in the order they are shown."""
        self._refresh()
        rows = self.epoch_indices()
        if self.num_replicas == 1:
            return rows
        return self._shard(rows)

    def _shard(self, rows):
        """This rank's part of the epoch stream ``rows`` (see Notes)."""
        n, replicas = len(rows), self.num_replicas
        codes = self._cached("_codes")[rows]
        if len(self._cached("_classes")) < 2**15:
            codes = codes.astype(np.int16)  # stable sort of small ints: a radix sort
        # deal the stream's rows out class by class: position i of this order goes
        # to rank i % num_replicas, so every rank gets its share of every class
        by_class = np.argsort(codes, kind="stable")
        mine = np.zeros(n, dtype=bool)
        mine[by_class[self.rank :: replicas]] = True
        shard = rows[mine]  # in the order of the stream
        extra = n % replicas
        if extra and self.rank >= extra:
            # one row short: pad by wrapping around to the start of the stream
            shard = np.append(shard, rows[(self.rank - extra) % n])
        return shard

    def class_probabilities(self, epoch: int | None = None) -> np.ndarray:
        """The class mix an epoch draws from, by definition (``classes`` order)."""
        counts = self.class_counts
        return counts / counts.sum()

    def __iter__(self):
        # each pass draws the current epoch, then moves on to the next one, so
        # a plain DataLoader sees a fresh draw every epoch (as RandomSampler does)
        rows = self.indices()
        self.epoch += 1
        return iter(rows.tolist())

    def __len__(self) -> int:
        self._refresh()
        return -(-self.epoch_size // self.num_replicas)

    def __repr__(self) -> str:
        shard = (
            f", num_replicas={self.num_replicas}, rank={self.rank}" if self.num_replicas > 1 else ""
        )
        return (
            f"{type(self).__name__}(n_rows={len(self.y)}, n_classes={self.n_classes}, "
            f"rows_per_epoch={len(self)}, max_epochs={self.max_epochs}, epoch={self.epoch}"
            f"{shard})"
        )


def _check_class_labels(y):
    """Class labels, not measurements: NaN or continuous values would each become a class."""
    if y.dtype.kind == "f":
        if np.isnan(y).any():
            raise ValueError(
                "y has NaN labels; a sampler needs a class for every row (drop those rows "
                "or give them a label)."
            )
        if type_of_target(y) == "continuous":
            raise ValueError(
                "y looks continuous (non-integer float values); a sampler balances classes: "
                "pass class labels (e.g. integers or strings), not a regression target."
            )


class SamplerStrategy(BaseEstimator):
    """Base class of sampler strategies: subclasses implement :meth:`build`.

    ``build(y, max_epochs=1, random_state=None, num_replicas=None, rank=None)``
    returns an :class:`EpochSampler`; see there for the seed and for sharding
    across processes.
    """

    #: string alias usable as ``BalancedNetClassifier(sampler=<name>)``
    name: str = ""
    #: whether the epochs it draws correct the class mix themselves, so that
    #: ``class_weight="auto"`` does not correct a second time
    corrects_class_mix: bool = True
    #: whether its class mix moves over ``max_epochs`` (a schedule that early stopping
    #: can cut short: the classifier warns when both are set)
    follows_max_epochs: bool = False

    def build(
        self, y, max_epochs: int = 1, random_state: int | None = None, num_replicas=None, rank=None
    ) -> EpochSampler:
        """Return the sampler over the rows of ``y`` (encoded classes)."""
        raise NotImplementedError


class _ShuffleSampler(EpochSampler):
    def epoch_indices(self):
        return self._rng().permutation(len(self.y))


class NaturalSampler(SamplerStrategy):
    """Each epoch is a shuffle of all rows: the natural class mix.

    Examples
    --------
    >>> from skimbnet.sampling import NaturalSampler
    >>> sampler = NaturalSampler().build([0, 0, 0, 1], random_state=0)
    >>> sorted(sampler)
    [0, 1, 2, 3]

    Two processes share an epoch: each shows its half of it.

    >>> first = NaturalSampler().build([0, 0, 0, 1], random_state=0, num_replicas=2, rank=0)
    >>> second = NaturalSampler().build([0, 0, 0, 1], random_state=0, num_replicas=2, rank=1)
    >>> sorted(list(first) + list(second))
    [0, 1, 2, 3]
    """

    name = "natural"
    corrects_class_mix = False

    def build(self, y, max_epochs=1, random_state=None, num_replicas=None, rank=None):
        return _ShuffleSampler(y, max_epochs, random_state, num_replicas, rank)


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

    def __init__(self, y, strategy, max_epochs=1, random_state=None, num_replicas=None, rank=None):
        super().__init__(y, max_epochs, random_state, num_replicas, rank)
        self.strategy = strategy

    def class_probabilities(self, epoch=None):
        epoch = self.epoch if epoch is None else int(epoch)
        return self.strategy.class_mix(self.class_counts, epoch, self.max_epochs)

    def _draw_counts(self, rng, n_rows):
        counts = self._cached("_class_counts")  # labels already refreshed by indices()
        return rng.multinomial(n_rows, self.strategy.class_mix(counts, self.epoch, self.max_epochs))

    def epoch_indices(self):
        rng = self._rng()
        drawn = self._draw_counts(rng, self.epoch_size)
        order, starts = self._grouped()
        parts = []
        for j, count in enumerate(drawn):
            if count == 0:
                continue
            rows = order[starts[j] : starts[j + 1]]
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

    def build(self, y, max_epochs=1, random_state=None, num_replicas=None, rank=None):
        return _ClassMixSampler(y, clone(self), max_epochs, random_state, num_replicas, rank)


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

    def build(self, y, max_epochs=1, random_state=None, num_replicas=None, rank=None):
        return _ClassMixSampler(y, clone(self), max_epochs, random_state, num_replicas, rank)


_SCHEDULES = ("linear", "cosine", "step")


class ProgressiveSampler(SamplerStrategy):
    """Progressively-balanced sampling: the class mix moves from natural to balanced.

    At epoch ``e`` of ``max_epochs``, with ``t = e / (max_epochs - 1)``, class
    ``j`` is drawn with probability ``p_j = (1 - a) * n_j / n + a / K`` where
    ``a`` follows the schedule:

    - ``"linear"``: ``a = t``, Kang et al. (2020)'s progressively-balanced
      sampling, ``p_j(t) = (1 - t) * p_j^natural + t * p_j^balanced``;
    - ``"cosine"``: ``a = (1 - cos(pi * t)) / 2``, slow at both ends;
    - ``"step"``: ``a = 0`` before ``t = step_at``, ``1`` from there on:
      deferred re-sampling (DRS) of Cao et al. (2019).

    The network learns its features on the natural mix first and ends on
    balanced batches, so the last epochs correct the class mix (and
    ``class_weight="auto"`` adds no class weights). ``reverse=True`` runs
    the other way, balanced first and natural at the end (then add class
    weights or a ``logit_adjustment``: the last epochs do not correct).
    Epochs past ``max_epochs`` keep the last mix; with ``max_epochs=1`` the
    only epoch is the first one. Each epoch draws ``n`` rows.

    Note: the schedule follows ``max_epochs``; when early stopping ends the
    training sooner, the last mix is never reached.

    Parameters
    ----------
    schedule : {"linear", "cosine", "step"}, default="linear"
        How the mix moves between the two ends.
    reverse : bool, default=False
        Go from balanced to natural instead.
    step_at : float in (0, 1], default=0.5
        Where the ``"step"`` schedule switches, as a fraction of the epochs.

    References
    ----------
    B. Kang, S. Xie, M. Rohrbach, Z. Yan, A. Gordo, J. Feng, Y. Kalantidis.
    "Decoupling representation and classifier for long-tailed recognition",
    ICLR 2020. K. Cao, C. Wei, A. Gaidon, N. Arechiga, T. Ma. "Learning
    imbalanced datasets with label-distribution-aware margin loss",
    NeurIPS 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from skimbnet.sampling import ProgressiveSampler
    >>> sampler = ProgressiveSampler().build(np.array([0] * 900 + [1] * 100), max_epochs=11)
    >>> [sampler.class_probabilities(e)[1].round(2) for e in (0, 5, 10)]
    [np.float64(0.1), np.float64(0.3), np.float64(0.5)]
    """

    name = "progressive"
    follows_max_epochs = True

    @property
    def corrects_class_mix(self) -> bool:
        """Whether the last epochs are balanced (``reverse=True`` ends on the natural mix)."""
        return not self.reverse

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
        """The weight ``1 - a`` of the natural mix at ``epoch`` (0 = balanced, 1 = natural)."""
        self._check()
        t = 0.0 if max_epochs <= 1 else min(max(epoch / (max_epochs - 1), 0.0), 1.0)
        if self.schedule == "linear":
            a = t
        elif self.schedule == "cosine":
            a = (1.0 - np.cos(np.pi * t)) / 2.0
        else:
            a = 1.0 if t >= self.step_at else 0.0
        return float(a if self.reverse else 1.0 - a)

    def class_mix(self, class_counts, epoch=0, max_epochs=1) -> np.ndarray:
        """Class probabilities of ``epoch``: ``(1 - a) * n_j / n + a / K``."""
        counts = np.asarray(class_counts, dtype=float)
        natural = self.natural_weight(epoch, max_epochs)
        return (1.0 - natural) * _balanced_mix(counts) + natural * _natural_mix(counts)

    def build(self, y, max_epochs=1, random_state=None, num_replicas=None, rank=None):
        self._check()
        return _ClassMixSampler(y, clone(self), max_epochs, random_state, num_replicas, rank)


class _UnderSampler(EpochSampler):
    @property
    def n_per_class(self) -> int:
        """Rows of every class per epoch: the rarest class's count."""
        return int(self.class_counts.min())

    def class_probabilities(self, epoch=None):
        return _balanced_mix(self.class_counts)

    def epoch_indices(self):
        rng = self._rng()
        m = int(self._cached("_class_counts").min())
        order, starts = self._grouped()
        parts = [
            rng.choice(order[starts[j] : starts[j + 1]], size=m, replace=False)
            for j in range(len(starts) - 1)
        ]
        out = np.concatenate(parts)
        rng.shuffle(out)
        return out

    @property
    def epoch_size(self):
        counts = self._cached("_class_counts")
        return int(counts.min()) * len(counts)


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

    def build(self, y, max_epochs=1, random_state=None, num_replicas=None, rank=None):
        return _UnderSampler(y, max_epochs, random_state, num_replicas, rank)


# ------------------------------------------------- imbalanced-learn samplers


class ImblearnSampler(EpochSampler):
    """A torch sampler from an index-based imbalanced-learn sampler, redrawn each epoch.

    Every epoch fits a clone of ``resampler`` on ``X, y`` and shows, shuffled,
    the rows it keeps (or repeats), read from its ``sample_indices_``: the
    under-samplers ``RandomUnderSampler``, ``NearMiss``, ``TomekLinks``,
    ``EditedNearestNeighbours``, ``OneSidedSelection``, ... and
    ``RandomOverSampler``. X is never copied or resampled into new arrays, so
    the sampler drives a ``DataLoader`` over the original data set
    (imbalanced-learn issue #424).

    A resampler with a ``random_state`` parameter gets a new one every epoch,
    drawn from this sampler's seed and the epoch (its own ``random_state`` is
    replaced), so ``RandomUnderSampler`` shows a fresh subset of the large
    classes each epoch and over the epochs sees all their rows. A resampler
    without one (``TomekLinks``, ``NearMiss``, ...) selects the same rows every
    epoch: it is fitted once, and again only when ``X`` or ``y`` changed in
    place (checked by checksum); the order is reshuffled each epoch.

    Parameters
    ----------
    resampler : imbalanced-learn sampler
        Anything with ``fit_resample`` that sets ``sample_indices_``; cloned,
        never fitted in place. Samplers that make new rows (SMOTE, ADASYN)
        have no indices and are refused.
    X : array-like of shape (n_samples, n_features)
        The features the resampler looks at (neighbour-based ones need them).
    y : array-like of shape (n_samples,)
        The labels.
    random_state : int or None, default=None
        Seed of the epoch draws; ``None`` picks a fresh one.
    num_replicas, rank : int or None, default=None
        Sharding across processes, as in :class:`EpochSampler`.

    Raises
    ------
    TypeError
        If ``resampler`` has no ``fit_resample``, or (at the first draw) sets
        no ``sample_indices_``.
    ValueError
        If ``X`` and ``y`` differ in length.

    Examples
    --------
    >>> import numpy as np
    >>> from imblearn.under_sampling import RandomUnderSampler
    >>> from skimbnet.sampling import ImblearnSampler
    >>> X = np.arange(100, dtype=float).reshape(-1, 1)
    >>> y = np.array([0] * 90 + [1] * 10)
    >>> sampler = ImblearnSampler(RandomUnderSampler(), X, y, random_state=0)
    >>> len(sampler), np.bincount(y[sampler.indices()]).tolist()
    (20, [10, 10])
    >>> rows0 = sampler.indices()
    >>> sampler.set_epoch(1)
    >>> rows1 = sampler.indices()
    >>> set(rows0[y[rows0] == 0]) == set(rows1[y[rows1] == 0])  # a fresh subset of class 0
    False
    >>> set(rows0[y[rows0] == 1]) == set(rows1[y[rows1] == 1])  # all of class 1 every epoch
    True
    """

    def __init__(self, resampler, X, y, random_state=None, num_replicas=None, rank=None):
        if not hasattr(resampler, "fit_resample"):
            raise TypeError(
                "resampler must be an imbalanced-learn sampler with fit_resample that sets "
                "sample_indices_ (e.g. imblearn.under_sampling.RandomUnderSampler()), got "
                f"{type(resampler).__name__}."
            )
        super().__init__(y, 1, random_state, num_replicas, rank)
        if len(X) != len(self.y):
            raise ValueError(f"X has {len(X)} rows but y has {len(self.y)}; they must match.")
        self.resampler = resampler
        self.X = X
        self._redraws = "random_state" in resampler.get_params(deep=False)
        self._fixed = None  # (checksum of X, rows) for a resampler without random_state
        self._last = None  # (epoch, label checksum, rows) of the last draw

    def _labels_changed(self):
        self._last = None

    def _selected_rows(self) -> np.ndarray:
        sampler = clone(self.resampler)
        if self._redraws:
            seed = np.random.SeedSequence([self.random_state, self.epoch, 424])
            sampler.set_params(random_state=int(seed.generate_state(1)[0] % (2**31 - 1)))
        else:
            x_sum = _checksum(np.asarray(self.X))
            if self._fixed is not None and self._fixed[0] == (x_sum, self._crc):
                return self._fixed[1]
        sampler.fit_resample(self.X, self.y)
        rows = getattr(sampler, "sample_indices_", None)
        if rows is None:
            raise TypeError(
                f"{type(sampler).__name__} set no sample_indices_, so its rows cannot be "
                "drawn by index; use an index-based sampler (RandomUnderSampler, NearMiss, "
                "TomekLinks, EditedNearestNeighbours, RandomOverSampler, ...). Samplers "
                "that make new rows (SMOTE, ADASYN) need skimbnet's resampler= instead."
            )
        rows = np.asarray(rows, dtype=np.intp)
        if not self._redraws:
            self._fixed = ((x_sum, self._crc), rows)
        return rows

    def epoch_indices(self):
        key = (self.epoch, self._crc)
        if self._last is None or self._last[0] != key:
            rows = self._selected_rows()
            self._last = (key, self._rng().permutation(rows))
        return self._last[1]

    @property
    def epoch_size(self):
        return len(self.epoch_indices())

    def __getstate__(self):
        state = dict(vars(self))
        state["_last"] = None  # recomputed on the next draw
        return state


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
    >>> sampler = ProgressiveSampler().build(y, max_epochs=3, random_state=0)
    >>> shares = class_shares(sampler, epochs=3)
    >>> shares[:, 1].round(1)
    array([0.1, 0.3, 0.5])
    """
    if epochs is None:
        epochs = range(sampler.max_epochs)
    elif isinstance(epochs, Integral):
        epochs = range(int(epochs))
    saved = sampler.epoch
    try:
        shares = []
        for epoch in epochs:
            sampler.set_epoch(epoch)
            rows = sampler.indices()
            codes = sampler.codes[rows]
            counts = np.bincount(codes, minlength=sampler.n_classes)
            shares.append(counts / max(counts.sum(), 1))
    finally:
        sampler.set_epoch(saved)
    return np.array(shares, dtype=float).reshape(-1, sampler.n_classes)


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
