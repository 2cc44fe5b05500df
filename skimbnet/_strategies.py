"""The alias registry shared by the loss and sampler strategies."""

from __future__ import annotations

from sklearn.base import clone


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def aliases(base: type) -> dict[str, type]:
    """``{alias: class}`` of every subclass of ``base`` that has a ``name``."""
    return {cls.name: cls for cls in _all_subclasses(base) if cls.name}


def got(value, param: str) -> str:
    """What a message says it got: the type's name, or for a class the fix
    (``SMOTE``, a class, where ``SMOTE()`` was meant)."""
    if isinstance(value, type):
        return f"the class {value.__name__}; pass an instance: {param}={value.__name__}()"
    return type(value).__name__


def resolve(value, base: type, param: str, kind: str):
    """A fresh strategy from an alias of ``base`` or an instance (cloned).

    ``param`` is the classifier parameter (for messages) and ``kind`` the
    thing it names ("loss", "sampler").

    Raises
    ------
    ValueError
        For an unknown alias; the message lists the valid ones.
    TypeError
        For anything that is neither an alias nor an instance of ``base``.
    """
    known = aliases(base)
    qualified = f"{base.__module__}.{base.__name__}"
    if isinstance(value, str):
        if value not in known:
            raise ValueError(
                f"{param}={value!r} is not a known {kind}; use one of {sorted(known)} "
                f"or a {qualified} instance."
            )
        return known[value]()
    if isinstance(value, base):
        return clone(value)
    raise TypeError(
        f"{param} must be a string alias {sorted(known)} or a {qualified} instance, "
        f"got {got(value, param)}."
    )
