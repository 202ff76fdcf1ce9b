"""The dataclasses that the cache and the workers move around pickle through their own ``__init__``,
and the frozen ones with slots get an ``__init__`` that sets their slots directly
(:mod:`pbtlint.pickling`): same arguments, same defaults, still frozen."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass, field

import pytest

from pbtlint import nodes as n
from pbtlint.pickling import fast_pickling
from pbtlint.span import Span


@dataclass(frozen=True, slots=True)
class Sample(n.Expr):  # its span slot is the base class's
    name: str
    count: int = 3
    tags: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Checked:
    value: int

    def __post_init__(self) -> None:
        if self.value < 0:
            raise ValueError("negative")


fast_pickling(globals())
SPAN = Span(1, 2, 3, 4)


def test_the_fast_init_is_installed_where_it_applies() -> None:
    def ours(cls: type) -> bool:
        return cls.__init__.__code__.co_filename.startswith("<slot init of ")  # built by _slot_init

    assert ours(Sample) and ours(Span) and ours(n.Identifier)
    assert not ours(Checked)  # __post_init__: the dataclass's own


def test_arguments_and_defaults_are_those_of_the_dataclass() -> None:
    a = Sample(SPAN, "x")
    assert (a.span, a.name, a.count, a.tags, a.notes) == (SPAN, "x", 3, (), [])
    b = Sample(SPAN, "y", count=5, notes=["n"])
    assert (b.count, b.notes) == (5, ["n"])
    assert Sample(SPAN, "z").notes is not Sample(SPAN, "z").notes  # a fresh list each time
    assert Sample(span=SPAN, name="k") == Sample(SPAN, "k")
    with pytest.raises(TypeError):
        Sample(SPAN)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Sample(SPAN, "x", 1, (), [], "extra")  # type: ignore[call-arg]


def test_objects_stay_frozen_hashable_and_replaceable() -> None:
    a = Sample(SPAN, "x", 1, ("t",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.name = "y"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        SPAN.line = 9  # type: ignore[misc]
    assert hash(Span(1, 2, 3, 4)) == hash(SPAN)
    assert dataclasses.replace(a, count=2) == Sample(SPAN, "x", 2, ("t",))
    assert Checked(1).value == 1
    with pytest.raises(ValueError):
        Checked(-1)


def test_trees_round_trip_through_pickle() -> None:
    callee = n.MemberAccess(SPAN, n.Identifier(SPAN, "Rec"), "Modify", Span(1, 5, 1, 11))
    tree = n.Call(SPAN, callee, (n.Identifier(SPAN, "true"),))
    again = pickle.loads(pickle.dumps(tree, protocol=pickle.HIGHEST_PROTOCOL))
    assert again == tree and type(again.callee) is n.MemberAccess
    assert pickle.loads(pickle.dumps(Sample(SPAN, "x", notes=["a"]))) == Sample(SPAN, "x", notes=["a"])
