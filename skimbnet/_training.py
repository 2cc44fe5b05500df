"""The data path behind ``BalancedNetClassifier``'s skorch hooks.

``fit`` prepares the training split once (:class:`TrainingRows`: the rows as
tensors, their weights, the sampler and any per-epoch resampler) and hands it
to skorch's ``fit_loop`` as one :class:`PreparedData` object. skorch then runs
its own loop: ``get_iterator`` returns :class:`EpochBatches`, which gathers each
mini-batch from the device tensors by index (no per-row ``__getitem__``, no
collate), ``train_step`` -> ``train_step_single`` -> ``infer`` -> ``get_loss``,
callbacks notified per batch, validation through ``validation_step``.

A batch is ``(X, y)`` as in skorch; when rows carry weights (``sample_weight``
or class weights) ``X`` is ``{"X": rows, "sample_weight": weights}``, skorch's
documented way to pass sample weights to ``get_loss``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch
from skorch.dataset import Dataset

from .resampling import redraw_training_split

#: rows per forward pass when predicting or validating (memory bound, not speed bound)
PREDICT_CHUNK = 65536
#: values per densified chunk of a sparse ``X`` (64 MiB in float32)
SPARSE_CHUNK_VALUES = 1 << 24


def epoch_seed(seed: int, epoch: int) -> int:
    """The torch seed of ``epoch`` (dropout, augmentation): resumed epochs draw anew."""
    return int(np.random.SeedSequence([seed, epoch]).generate_state(1)[0])


def start_epoch(fraction: float, max_epochs: int) -> int:
    """The first (0-based) epoch at ``fraction`` of ``max_epochs``: ``ceil(fraction * max_epochs)``.

    Rounded first: 0.7 * 10 is 7.000000000000001 in floating point, and means 7.
    LDAM's deferred re-weighting and the weight averaging start here.
    """
    return math.ceil(round(fraction * max_epochs, 9))


def batch_rows(batch_size, n_rows: int) -> int:
    """Rows per batch: ``batch_size``, or for ``"auto"`` ``n // 16`` clipped to [32, 256]
    and never more than the epoch's ``n_rows``."""
    if batch_size == "auto":
        return int(max(1, min(n_rows, np.clip(n_rows // 16, 32, 256))))
    return int(batch_size)


class Rows(Dataset):
    """Rows already on the device: ``X`` in the network's dtype, ``y`` class indices.

    A ``skorch.dataset.Dataset`` (its ``X``/``y`` attributes are what skorch's
    scoring callbacks read), batched by index instead of per row. ``y``
    holds class indices (positions in ``classes_``), as the loss sees them.

    ``X`` may also be a scipy sparse CSR matrix in the network's dtype: it
    stays sparse on the host, and each batch is densified on its way to the
    ``device`` (only the batch's rows are ever dense).
    """

    def __init__(self, X, y: torch.Tensor | None = None, weight=None, device=None):
        self.X, self.y, self.weight = X, y, weight
        self.sparse = sp.issparse(X)
        self.device = torch.device(device) if self.sparse else X.device

    def __len__(self) -> int:
        return self.X.shape[0]

    def rows_of(self, rows):
        """``X[rows]`` as a tensor on the device (a sparse ``X`` densified)."""
        if not self.sparse:
            # a slice or a row number gives a view: a module that works in place must not
            # change the stored rows, nor the user's X, whose memory they may share
            return self.X[rows] if isinstance(rows, torch.Tensor) else self.X[rows].clone()
        if isinstance(rows, torch.Tensor):
            rows = rows.cpu().numpy()
        if isinstance(rows, (int, np.integer)):
            dense = self.X[[int(rows)]].toarray()[0]
        else:
            dense = self.X[rows].toarray()
        return torch.from_numpy(dense).to(self.device)

    def batch(self, rows):
        """The batch of ``rows`` (a slice or an index tensor) in skorch's ``(X, y)`` form."""
        Xb = self.rows_of(rows)
        if self.weight is not None:
            Xb = {"X": Xb, "sample_weight": self.weight[rows]}
        return Xb, None if self.y is None else self.y[rows]

    def __getitem__(self, i):
        # skorch's generic path (a user's iterator_train or DataLoader settings); a
        # DataLoader cannot collate None, so unlabelled rows get skorch's placeholder 0
        Xi, yi = self.batch(i)
        return Xi, torch.zeros(1) if yi is None else yi


class TrainingRows(Rows):
    """The training split, with what decides each epoch's rows.

    ``start_epoch(epoch)`` redraws a per-epoch resampler when it is due and
    points the sampler at ``epoch``; everything an epoch draws is a function
    of the fit's seed and the epoch number, so a resumed fit continues the
    stream instead of replaying it.
    """

    def __init__(
        self, X, y, weight, *, sampler_strategy, max_epochs, seed, to_rows, redraw=None, device=None
    ):
        super().__init__(X, y, weight, device=device)
        self.sampler_strategy, self.max_epochs, self.seed = sampler_strategy, max_epochs, seed
        # redraw = (resampler, X, y, sample_weight, classes) of the split before resampling
        self.to_rows, self.redraw = to_rows, redraw
        self.sampler = self._build_sampler()
        self.epoch = 0

    def _build_sampler(self):
        # one process's view: a classifier inside a torch.distributed group still sees
        # its whole training split (sharding is for users' own DataLoaders)
        return self.sampler_strategy.build(
            self.y.cpu().numpy(),
            max_epochs=self.max_epochs,
            random_state=self.seed,
            num_replicas=1,
            rank=0,
        )

    def start_epoch(self, epoch: int) -> None:
        if self.redraw is not None:
            resampler, X, y, w, classes = self.redraw
            rows = redraw_training_split(resampler, X, y, w, self.seed, epoch, classes=classes)
            if rows is not None:
                self.X, self.y, self.weight = self.to_rows(*rows)
                self.sampler = self._build_sampler()
        self.epoch = int(epoch)
        self.sampler.set_epoch(epoch)

    def order(self) -> torch.Tensor:
        """The row indices of the current epoch, in the order they are shown."""
        return torch.as_tensor(self.sampler.indices(), device=self.device)


class CurrentSampler(torch.utils.data.Sampler):
    """The sampler of the training rows' current epoch, for skorch's ``DataLoader``.

    skorch builds its ``DataLoader`` once per fit, but a per-epoch redraw
    (:class:`~skimbnet.resampling.EpochResampler`) gives the rows a new
    sampler (over new rows) each time it redraws: this one always reads the
    current sampler.
    """

    def __init__(self, rows: TrainingRows):
        self.rows = rows

    def __iter__(self):
        return iter(self.rows.sampler)

    def __len__(self) -> int:
        return len(self.rows.sampler)


@dataclass
class PreparedData:
    """What ``fit`` hands to skorch's ``fit_loop``: the training and validation rows."""

    train: TrainingRows
    valid: Rows | None


class EpochBatches:
    """skorch's training iterator: the epoch's batches, gathered by index.

    Each pass over it is one epoch: it reads the sampler's order for the
    current epoch and yields skorch batches.
    """

    def __init__(self, rows: TrainingRows, batch_size):
        self.rows, self.batch_size = rows, batch_size

    def __len__(self) -> int:
        n = len(self.rows.sampler)
        return -(-n // batch_rows(self.batch_size, n))

    def __iter__(self):
        order = self.rows.order()
        size = batch_rows(self.batch_size, len(order))
        for start in range(0, len(order), size):
            yield self.rows.batch(order[start : start + size])


class Augmented:
    """The training batches of ``batches`` (either iterator path) with ``augment`` applied.

    Its generator is seeded from the fit's seed and the epoch, so every
    epoch's perturbations are reproducible and a resumed fit draws anew.
    """

    def __init__(self, batches, rows: TrainingRows, augment):
        self.batches, self.rows, self.augment = batches, rows, augment
        self.generator = torch.Generator(device=rows.device)

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self):
        self.generator.manual_seed(epoch_seed(self.rows.seed, self.rows.epoch))
        for Xb, yb in self.batches:
            if isinstance(Xb, dict):
                Xb = {**Xb, "X": self.augment(Xb["X"], yb, self.generator)}
            else:
                Xb = self.augment(Xb, yb, self.generator)
            yield Xb, yb


class Chunks:
    """Consecutive chunks of rows, in order (validation and prediction)."""

    def __init__(self, rows: Rows, size: int = PREDICT_CHUNK):
        if rows.sparse:
            # a sparse X is densified a chunk at a time: bound the chunk's values
            size = min(size, max(1, SPARSE_CHUNK_VALUES // max(1, rows.X.shape[1])))
        self.rows, self.size = rows, size

    def __len__(self) -> int:
        return -(-len(self.rows) // self.size)

    def __iter__(self):
        for start in range(0, len(self.rows), self.size):
            yield self.rows.batch(slice(start, start + self.size))
