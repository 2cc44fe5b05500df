"""Torch (and BLAS/OpenMP) thread limits: fits side by side, and ``torch_threads="auto"``."""

from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager

import torch
from threadpoolctl import threadpool_limits

_LOCK = threading.Lock()
_STATE = {"depth": 0, "torch": None, "limiter": None}

#: ``torch_threads="auto"`` gives a batch one more thread per this many multiply-adds
#: (forward pass), so small networks run on one thread: a parallel region costs more
#: than it saves on their small matrices, and far more on a machine whose cores are busy
AUTO_WORK_PER_THREAD = 8_000_000


@contextmanager
def limited_threads(threads, blas=True):
    """Run with at most ``threads`` torch (and BLAS/OpenMP) threads; ``None``: as is.

    Torch's thread count is global to the process, so fits that run
    concurrently in one process (joblib's threading backend: ensemble members,
    ``skimbnet compare``'s folds) share one limit, set by the first to enter
    and restored, to what it was before, by the last to leave. ``blas=False``
    sets torch's own count only (threadpoolctl's limit costs about a
    millisecond, much for predicting a few rows).
    """
    if threads is None:
        yield
        return
    with _LOCK:
        state = _STATE
        if state["depth"] == 0:
            state["torch"] = torch.get_num_threads()
            state["limiter"] = threadpool_limits(limits=threads) if blas else None
            torch.set_num_threads(threads)
        state["depth"] += 1
    try:
        yield
    finally:
        with _LOCK:
            state["depth"] -= 1
            if state["depth"] == 0:
                torch.set_num_threads(state["torch"])
                if state["limiter"] is not None:
                    state["limiter"].restore_original_limits()
                state["torch"] = state["limiter"] = None


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS tells it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


def work_per_row(module: torch.nn.Module) -> int:
    """Multiply-adds of one row's forward pass, estimated from the parameter count.

    Each weight is used once per row in a stack of linear layers; a module of
    ``k`` members (``n_members``, TabM-mini) runs its shared layers ``k`` times;
    a module of ``views`` (:class:`~skimbnet.modules.TwoViewMLP`) runs each.
    """
    views = getattr(module, "views", None)
    if views:
        return sum(work_per_row(view) for view in views)
    params = sum(p.numel() for p in module.parameters())
    return int(params * max(1, int(getattr(module, "n_members", 1) or 1)))


def wanted_threads(work: int) -> int:
    """Threads a batch of ``work`` multiply-adds can use: one per ``AUTO_WORK_PER_THREAD``,
    at most the process's torch setting and its cores."""
    upper = min(torch.get_num_threads(), available_cores())
    return int(max(1, min(upper, work // AUTO_WORK_PER_THREAD)))


def faster_threads(run, threads: int, repeats: int = 10) -> int:
    """``threads`` or 1, whichever runs ``run()`` faster now (a short timing probe).

    Several threads pay off only when their cores are free: on a machine
    whose cores other processes keep busy, each parallel region waits for a
    descheduled thread and a step can take 50 times as long as on one thread.
    The probe times ``repeats`` calls on each setting (their total, not the
    best call, which hides the waits; the slower setting stops early) and
    restores torch's setting; ``threads`` must be clearly (20%) faster.
    """
    if threads <= 1:
        return 1
    previous = torch.get_num_threads()
    best = {}
    try:
        for count in (1, threads):
            torch.set_num_threads(count)
            run()  # warm-up
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                run()
                times.append(time.perf_counter() - start)
                if count != 1 and sum(times) > best[1]:
                    break
            best[count] = sum(times) * repeats / len(times)
    finally:
        torch.set_num_threads(previous)
    return threads if best[threads] < 0.8 * best[1] else 1
