"""Telling a real Ctrl-C from skorch's own ``KeyboardInterrupt`` (early stopping)."""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager


@contextmanager
def noting_sigint():
    """Record in the yielded list whether SIGINT (Ctrl-C) arrived during the block.

    skorch stops a training by raising ``KeyboardInterrupt`` (its
    ``EarlyStopping`` does), and a net's ``fit`` returns after either kind, so
    the exception cannot tell a user's Ctrl-C apart; the signal can. The handler
    in place still runs (Python's raises ``KeyboardInterrupt``). Nothing is
    recorded outside the main thread, where handlers cannot be set (the signal
    goes to the main thread), nor when SIGINT is ignored or handled outside
    Python.
    """
    arrived: list[int] = []
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.getsignal(signal.SIGINT)
    if not callable(previous):  # another thread, or SIGINT ignored or not Python's
        yield arrived
        return

    def handler(signum, frame):
        arrived.append(signum)
        previous(signum, frame)

    signal.signal(signal.SIGINT, handler)
    try:
        yield arrived
    finally:
        signal.signal(signal.SIGINT, previous)
