"""The alias registry shared by the loss and sampler strategies."""

from __future__ import annotations

from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError


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


def refuse_classes(owner, names) -> None:
    """Refuse a class where an instance is meant, naming the fix.

    scikit-learn's constraint check would name the accepted types but not
    the fix (``SMOTE()`` for ``SMOTE``); it runs after this.

    Raises
    ------
    InvalidParameterError
        A ``ValueError`` and ``TypeError``, as scikit-learn raises.
    """
    for name in names:
        value = getattr(owner, name)
        if isinstance(value, type):
            raise InvalidParameterError(
                f"The {name!r} parameter of {type(owner).__name__} takes an instance, "
                f"got {got(value, name)}."
            )


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
