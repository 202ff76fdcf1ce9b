"""What the analyses read that demand-driven analysis did not parse.

A demand-driven project (:mod:`pbtlint.demand`) holds the files the fixpoint chose; bodies it left
out stay in their skeletons as :class:`ElidedBlock` s. While :func:`recording` is active, reading
such a body's statements, asking for its call sites, or asking for the callers of a procedure is
noted in :class:`Needs`. A full parse might have given those reads something to find; demand mode
checks the text (:mod:`pbtlint.demand_audit`), runs its closure again with an :class:`Extra` for
what could matter, and stops when the analyses read nothing that is missing.

A reader that looks for something particular says so with :data:`Words` (an enqueue site, an
assignment to a global), so that a body whose text cannot hold it is not parsed for nothing. The
model is built while recording too, but resolution only notes which procedures are left out
(:attr:`pbtlint.call_sites.Resolution.elided`), it does not read them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from pbtlint import nodes as n
from pbtlint.span import Span

BodyPlace = tuple[str, int, int, int]
"""A body left out: its file (as shown) and the line and column of its ``begin``, the line of its ``end``."""

Words = frozenset[tuple[str, bool | None]]
"""What a reader looks for: case-folded names, each with True when only an assignment to it counts
(``Name :=``), None when any mention does."""


def words(*names: str, assigned: bool | None = None) -> Words:
    """What a reader looks for: ``names`` (case-folded), mentioned at all or, with ``assigned``, assigned."""
    return frozenset((name, assigned) for name in names)


@dataclass(slots=True)
class Needs:
    """Bodies read while left out, and procedures whose callers were asked for (by model key), each
    with the words the reader looked for (None: anything; for callers, a word one of the callers'
    files must hold for the answer to change)."""

    bodies: dict[BodyPlace, Words | None] = field(default_factory=dict)
    callers: dict[str, Words | None] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.bodies or self.callers)

    def add_body(self, place: BodyPlace, words: Words | None) -> None:
        self.bodies[place] = _widest(self.bodies, place, words)

    def add_callers(self, key: str, words: Words | None) -> None:
        self.callers[key] = _widest(self.callers, key, words)

    def add(self, other: Needs) -> None:
        """What ``other`` noted, noted here too (reads recorded while an earlier stage built the project)."""
        for place, words in other.bodies.items():
            self.add_body(place, words)
        for key, words in other.callers.items():
            self.add_callers(key, words)


def _widest(noted: dict, key: object, words: Words | None) -> Words | None:
    if key not in noted:
        return words
    had = noted[key]
    return None if had is None or words is None else had | words


@dataclass(frozen=True, slots=True)
class Extra:
    """What demand mode adds to the fixpoint's seeds after an audit found reads of what it left out:
    bodies to read as callers do (file, line of the ``begin``) and mention groups (object names and
    procedure names) whose files' procedures that mention both are read as callers."""

    bodies: frozenset[tuple[object, int]] = frozenset()
    groups: frozenset[tuple[tuple[str, ...], tuple[str, ...]]] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.bodies or self.groups)

    def __or__(self, other: Extra) -> Extra:
        return Extra(self.bodies | other.bodies, self.groups | other.groups)

    def covers(self, other: Extra) -> bool:
        return other.bodies <= self.bodies and other.groups <= self.groups


_needs: Needs | None = None


@contextlib.contextmanager
def recording() -> Iterator[Needs]:
    """Note, until the block ends, every read of a body that was left out."""
    global _needs
    outer, _needs = _needs, Needs()
    try:
        yield _needs
    finally:
        _needs = outer


def note_callers(key: str, words: Words | None = None) -> None:
    """The callers of the procedure ``key`` (a model key) were asked for; with ``words``, only callers
    in files that hold one of them could change the answer."""
    if _needs is not None:
        _needs.add_callers(key, words)


class ElidedBlock(n.Block):
    """A body a skeleton parse left out: no statements, and a read of them is noted (see the module)."""

    __slots__ = ("path",)
    path: str

    def __init__(self, span: Span, path: str) -> None:  # Block's frozen __init__ would set statements
        object.__setattr__(self, "span", span)
        object.__setattr__(self, "path", path)

    @property  # type: ignore[override]
    def statements(self) -> tuple[n.Stmt, ...]:
        self.note()
        return ()

    def note(self, words: Words | None = None) -> None:
        """This body was read; with ``words``, only a body whose text has one of them could have
        given the reader something."""
        if _needs is not None:
            _needs.add_body((self.path, self.span.line, self.span.column, self.span.end_line), words)

    def __reduce__(self) -> tuple[object, ...]:
        return (ElidedBlock, (self.span, self.path))

    def __repr__(self) -> str:
        return f"ElidedBlock({self.path}:{self.span.line}:{self.span.column})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ElidedBlock) and (self.span, self.path) == (other.span, other.path)

    def __hash__(self) -> int:
        return hash((self.span, self.path))
