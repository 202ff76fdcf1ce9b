"""Fast pickling for the dataclasses that the cache and the worker processes move around.

A dataclass with ``slots=True`` pickles through the ``__getstate__``/``__setstate__`` pair that
:mod:`dataclasses` generates, and that ``__setstate__`` calls :func:`dataclasses.fields` for every
object it restores: on the Base Application's trees, about nine tenths of the time spent loading a
cached tree. :func:`fast_pickling` gives each class a ``__reduce__`` that rebuilds the object through
its own ``__init__`` from its field values instead.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable
from typing import Any


def _reducer(cls: type) -> Callable[[Any], tuple[Any, tuple[Any, ...]]]:
    names = tuple(f.name for f in dataclasses.fields(cls) if f.init)
    if len(names) != len(dataclasses.fields(cls)):
        raise TypeError(f"{cls.__name__}: every field must be an __init__ argument to pickle fast")
    if not names:
        return lambda self: (type(self), ())
    if len(names) == 1:
        name = names[0]
        return lambda self: (type(self), (getattr(self, name),))
    get = operator.attrgetter(*names)
    return lambda self: (type(self), get(self))


def fast_pickling(namespace: dict[str, Any]) -> None:
    """Give every dataclass defined in ``namespace`` (a module's ``globals()``) its own ``__reduce__``."""
    module = namespace.get("__name__")
    for value in list(namespace.values()):
        if isinstance(value, type) and dataclasses.is_dataclass(value) and value.__module__ == module:
            value.__reduce__ = _reducer(value)  # type: ignore[method-assign]
