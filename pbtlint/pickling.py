"""Fast pickling for the dataclasses that the cache and the worker processes move around.

A dataclass with ``slots=True`` pickles through the ``__getstate__``/``__setstate__`` pair that
:mod:`dataclasses` generates, and that ``__setstate__`` calls :func:`dataclasses.fields` for every
object it restores: on the Base Application's trees, about nine tenths of the time spent loading a
cached tree. :func:`fast_pickling` gives each class a ``__reduce__`` that rebuilds the object through
its own ``__init__`` from its field values instead.

That ``__init__``, for a frozen dataclass, sets each field through ``object.__setattr__``, by name:
about three quarters of the time it takes to build a :class:`~pbtlint.span.Span`, for the parser as
for a cached tree. A frozen dataclass with slots gets an ``__init__`` that sets its fields through their
slot descriptors instead (:func:`_slot_init`): the same arguments and defaults, still frozen afterwards.
"""

from __future__ import annotations

import dataclasses
import operator
import types
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


def _slot_init(cls: type) -> Callable[..., None] | None:
    """An ``__init__`` for a frozen dataclass with slots that sets its fields through the slots'
    descriptors; None when the class is not one, or has what this does not reproduce (keyword-only
    fields, ``__post_init__``)."""
    params = cls.__dataclass_params__  # type: ignore[attr-defined]
    fields = dataclasses.fields(cls)
    if not params.frozen or hasattr(cls, "__post_init__") or any(f.kw_only or not f.init for f in fields):
        return None
    namespace: dict[str, Any] = {"_FACTORY": object()}
    args: list[str] = []
    body: list[str] = []
    for i, f in enumerate(fields):
        slot = next((k.__dict__[f.name] for k in cls.__mro__ if f.name in k.__dict__), None)
        if not isinstance(slot, types.MemberDescriptorType):
            return None
        namespace[f"_set{i}"] = slot.__set__
        if f.default is not dataclasses.MISSING:
            namespace[f"_default{i}"] = f.default
            args.append(f"{f.name}=_default{i}")
        elif f.default_factory is not dataclasses.MISSING:
            namespace[f"_factory{i}"] = f.default_factory
            args.append(f"{f.name}=_FACTORY")
            body.append(f"    if {f.name} is _FACTORY: {f.name} = _factory{i}()")
        else:
            args.append(f.name)
        body.append(f"    _set{i}(self, {f.name})")
    source = f"def __init__(self, {', '.join(args)}):\n" + "\n".join(body or ["    pass"]) + "\n"
    exec(compile(source, f"<slot init of {cls.__qualname__}>", "exec"), namespace)  # noqa: S102 - our own text
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


def _dataclasses(namespace: dict[str, Any]) -> list[type]:
    module = namespace.get("__name__")
    return [value for value in list(namespace.values())
            if isinstance(value, type) and dataclasses.is_dataclass(value) and value.__module__ == module]


def fast_init(namespace: dict[str, Any]) -> None:
    """Give every frozen dataclass with slots defined in ``namespace`` (a module's ``globals()``) a
    faster ``__init__`` (:func:`_slot_init`)."""
    for cls in _dataclasses(namespace):
        init = _slot_init(cls)
        if init is not None:
            cls.__init__ = init  # type: ignore[misc]


def fast_pickling(namespace: dict[str, Any]) -> None:
    """Give every dataclass defined in ``namespace`` (a module's ``globals()``) its own ``__reduce__``,
    and the frozen ones with slots a faster ``__init__``."""
    for cls in _dataclasses(namespace):
        cls.__reduce__ = _reducer(cls)  # type: ignore[method-assign]
    fast_init(namespace)
