"""torch's global random generator, seeded per fit without racing other threads' fits.

Weight initialisation and dropout draw from torch's one global generator.
``fit`` seeds it from ``random_state`` and restores it afterwards
(``torch.random.fork_rng``), so the user's torch random state is left as it
was; two fits in threads of one process (joblib's threading backend) would
otherwise seed, draw from and restore the same generator at the same time,
and fits with the same ``random_state`` would differ. A fit holds
:data:`TORCH_RNG_LOCK` while it uses the generator: for the initialisation
only, when training draws nothing from it (the library's MLP without dropout
layers, its own batches, strategies, no user callbacks and no subclass), else for the whole
training, so such fits in threads run one at a time. ``initialize()`` called
directly holds it too (it draws the weights from the user's generator state).

The lock is re-entrant: a callback may fit another network in its own thread
(a nested fit), but not wait on a fit running in another thread while its own
fit holds the lock (that other fit waits for the lock: a deadlock). A child
process forked while another thread held the lock gets a fresh one.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager

import torch

#: held while a fit seeds, draws from or restores torch's global generator
TORCH_RNG_LOCK = threading.RLock()


def _fresh_lock_in_child():
    # a fork copies the lock as it is; the thread that held it does not exist in the child
    global TORCH_RNG_LOCK
    TORCH_RNG_LOCK = threading.RLock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_fresh_lock_in_child)


@contextmanager
def torch_rng_locked():
    """Hold :data:`TORCH_RNG_LOCK` without seeding or restoring the generator."""
    with TORCH_RNG_LOCK:
        yield


def _cuda_devices(device: torch.device) -> list:
    return [device] if device.type == "cuda" else []


@contextmanager
def torch_rng_held(device: torch.device):
    """Hold torch's global generator (CPU and ``device``'s); restore it on the way out."""
    with TORCH_RNG_LOCK, torch.random.fork_rng(devices=_cuda_devices(device)):
        yield


@contextmanager
def seeded_torch(seed: int, device: torch.device):
    """:func:`torch_rng_held`, seeded with ``seed``."""
    with torch_rng_held(device):
        torch.manual_seed(seed)
        yield
