"""Sampler strategies: which training rows each epoch shows the network.

A sampler strategy is a clonable spec (a scikit-learn ``BaseEstimator``); its
``build(y, max_epochs, random_state)`` returns an :class:`EpochSampler`, a
:class:`torch.utils.data.Sampler` over the row indices of ``y`` with
``set_epoch(epoch)`` (as torch's ``DistributedSampler`` has) and
``len()`` = rows per epoch. Over-sampling repeats indices; X is never copied.

Built samplers also work in a plain :class:`torch.utils.data.DataLoader`.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from torch.utils.data import Sampler


class EpochSampler(Sampler):
    """A sampler whose draw depends on the epoch and a fixed seed.

    Subclasses implement :meth:`indices`, which returns the whole epoch's row
    indices as one numpy array (drawn in numpy, no per-row Python work).

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Integer-encoded class of each row (``0 .. n_classes - 1``).
    max_epochs : int
        Number of epochs the training will run (for schedules).
    random_state : int
        Seed; epoch ``e`` draws from ``numpy.random.default_rng([seed, e])``.
    """

    def __init__(self, y, max_epochs: int = 1, random_state: int = 0):
        self.y = np.asarray(y)
        self.max_epochs = int(max_epochs)
        self.random_state = int(random_state)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch whose draw :meth:`indices` and iteration return."""
        self.epoch = int(epoch)

    def _rng(self) -> np.random.Generator:
        return np.random.default_rng([self.random_state, self.epoch])

    def indices(self) -> np.ndarray:
        """Row indices of the current epoch, in the order they are shown."""
        raise NotImplementedError

    def __iter__(self):
        return iter(self.indices().tolist())

    def __len__(self) -> int:
        return len(self.y)


class SamplerStrategy(BaseEstimator):
    """Base class of sampler strategies: subclasses implement :meth:`build`."""

    #: string alias usable as ``BalancedNetClassifier(sampler=<name>)``
    name: str = ""

    def build(self, y, max_epochs: int = 1, random_state: int = 0) -> EpochSampler:
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


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def available_samplers() -> dict[str, type[SamplerStrategy]]:
    """The sampler aliases accepted by ``BalancedNetClassifier(sampler=...)``."""
    return {cls.name: cls for cls in _all_subclasses(SamplerStrategy) if cls.name}


def resolve_sampler(sampler) -> SamplerStrategy:
    """Turn ``sampler`` (an alias or a strategy object) into a fresh strategy.

    Raises
    ------
    ValueError
        For an unknown alias; the message lists the valid ones.
    TypeError
        For anything that is neither an alias nor a :class:`SamplerStrategy`.
    """
    from sklearn.base import clone

    if isinstance(sampler, str):
        samplers = available_samplers()
        if sampler not in samplers:
            raise ValueError(
                f"sampler={sampler!r} is not a known sampler; use one of "
                f"{sorted(samplers)} or a skimbnet.sampling.SamplerStrategy instance."
            )
        return samplers[sampler]()
    if isinstance(sampler, SamplerStrategy):
        return clone(sampler)
    raise TypeError(
        f"sampler must be a string alias {sorted(available_samplers())} or a "
        f"skimbnet.sampling.SamplerStrategy instance, got {type(sampler).__name__}."
    )
