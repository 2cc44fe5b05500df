"""Torch (and BLAS/OpenMP) thread limits for fits that run side by side."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import torch
from threadpoolctl import threadpool_limits

_LOCK = threading.Lock()
_STATE = {"depth": 0, "torch": None, "limiter": None}


@contextmanager
def limited_threads(threads):
    """Run with at most ``threads`` torch (and BLAS/OpenMP) threads; ``None``: as is.

    Torch's thread count is global to the process, so fits that run
    concurrently in one process (joblib's threading backend: ensemble members,
    ``skimbnet compare``'s folds) share one limit, set by the first to enter
    and restored, to what it was before, by the last to leave.
    """
    if threads is None:
        yield
        return
    with _LOCK:
        state = _STATE
        if state["depth"] == 0:
            state["torch"] = torch.get_num_threads()
            state["limiter"] = threadpool_limits(limits=threads)
            torch.set_num_threads(threads)
        state["depth"] += 1
    try:
        yield
    finally:
        with _LOCK:
            state["depth"] -= 1
            if state["depth"] == 0:
                torch.set_num_threads(state["torch"])
                state["limiter"].restore_original_limits()
                state["torch"] = state["limiter"] = None
