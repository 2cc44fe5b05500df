"""Attributes put back when a step fails: a failed call leaves its object as it was."""

from __future__ import annotations


class KeptOnError:
    """A context that restores ``vars(obj)`` when its block raises before :meth:`release`.

    The restore is shallow: it undoes attributes the block rebinds, not
    objects it changes in place, so code inside the block replaces what it
    changes (``self.x = new``, not ``self.x.update(...)``) until it releases.

    Examples
    --------
    >>> class Box:
    ...     size = None
    >>> box = Box()
    >>> box.size = 1
    >>> try:
    ...     with KeptOnError(box):
    ...         box.size = 2
    ...         raise ValueError("bad input")
    ... except ValueError:
    ...     pass
    >>> box.size
    1
    """

    def __init__(self, obj):
        self.obj = obj
        self.before = None

    def __enter__(self) -> KeptOnError:
        self.before = dict(vars(self.obj))
        return self

    def release(self) -> None:
        """From here on, a failure keeps what the block did (e.g. the epochs trained)."""
        self.before = None

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None and self.before is not None:
            state = vars(self.obj)
            state.clear()
            state.update(self.before)
        return False
