"""Procedure bodies found without parsing, and text with some of them blanked out.

Demand-driven analysis (:mod:`pbtlint.demand`) parses most files as *skeletons*: every procedure and
trigger body that no page background task reaches is replaced by spaces (line breaks kept, so every
position in the file stays where it was), and the Lark parse of the rest costs a fraction of the whole.
A body that turns out to be reachable is parsed on its own later (:func:`body_text`) and put back into the
tree (:func:`splice`).

A body is what lies between a ``begin`` at the top level of an object and its matching ``end``; at that
level ``begin`` only ever opens a procedure or trigger body. Inside, ``begin`` and ``case`` open and
``end`` closes. Text literals, quoted names and comments are skipped, so a word in them never counts.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping

from pbtlint import nodes as n

_SKIPPED = r"""'(?:[^']|'')*'?|"(?:[^"\n]|"")*"?|//[^\n]*|/\*.*?(?:\*/|\Z)"""
"""Text, quoted names and comments: the scans below step over them whole (each branch begins with one
character, ', " or /)."""

_BLOCK_WORDS = ("begin", "end", "case")


def _word_branch(first: str, rest: str) -> str:
    """A block word starting with the character ``first``, not inside a longer name: each branch then
    begins with one character, and Python's engine skips to those at once (a third faster than a
    lookahead for them, which was twice as fast as no lookahead). The first letter is matched by case:
    right for b, e and c, which no other character folds to (a word starting with i, k or s would
    also need the dotless i, the Kelvin sign or the long s)."""
    return rf"""{first}(?<![\w"]{first})(?i:{rest})(?![\w"])"""


_WORDS = re.compile(
    _SKIPPED + "|"
    + "|".join(_word_branch(c, w[1:]) for w in _BLOCK_WORDS for c in (w[0], w[0].upper())),
    re.DOTALL,
)


def body_ranges(text: str) -> list[tuple[int, int]]:
    """Offsets ``(start, stop)`` of every top-level body's inside: just after its ``begin`` to just
    before its ``end``. Unbalanced text gives what could be matched; the caller checks the parse."""
    out: list[tuple[int, int]] = []
    depth = 0
    start = 0
    for m in _WORDS.finditer(text):
        if text[m.start()] in "'\"/":  # text, a quoted name or a comment
            continue
        w = m.group().lower()
        if w == "end":
            if depth:
                depth -= 1
                if depth == 0:
                    out.append((start, m.start()))
        elif depth or w == "begin":
            if depth == 0:
                start = m.end()
            depth += 1
    return out


def _blank(segment: str) -> str:
    return "\n".join(" " * len(line) for line in segment.split("\n"))


def elide(text: str, ranges: Iterable[tuple[int, int]]) -> str:
    """``text`` with the given ranges blanked: every character but line breaks becomes a space."""
    parts: list[str] = []
    at = 0
    for start, stop in ranges:
        parts.append(text[at:start])
        parts.append(_blank(text[start:stop]))
        at = stop
    parts.append(text[at:])
    return "".join(parts)


def body_text(text: str, starts: list[int], span: n.Span) -> str:
    """The source of the block at ``span`` (``begin`` ... ``end``), preceded by line breaks and spaces so
    that a parse of it alone gives the same positions as in the whole file."""
    begin = starts[span.line - 1] + span.column - 1
    stop = starts[span.end_line - 1] + span.end_column - 1
    return "\n" * (span.line - 1) + " " * (span.column - 1) + text[begin:stop]


BodyKey = tuple[int, int]
"""A body by the line and column of its ``begin``."""


def splice(unit: n.CompilationUnit, bodies: Mapping[BodyKey, n.Block]) -> n.CompilationUnit:
    """``unit`` with the body of each procedure or trigger whose ``begin`` is at a key of ``bodies``
    replaced by that block; the rest of the tree is shared, not copied."""
    if not bodies:
        return unit

    def proc(p: n.Procedure) -> n.Procedure:
        if p.body is None:
            return p
        block = bodies.get((p.body.span.line, p.body.span.column))
        return p if block is None else dataclasses.replace(p, body=block)

    def procs(ps: tuple[n.Procedure, ...]) -> tuple[n.Procedure, ...]:
        new = tuple(proc(p) for p in ps)
        return ps if all(a is b for a, b in zip(new, ps, strict=True)) else new

    def element(e: n.Element) -> n.Element:
        triggers = procs(e.triggers)
        children = tuple(element(c) for c in e.children)
        if triggers is e.triggers and all(a is b for a, b in zip(children, e.children, strict=True)):
            return e
        return dataclasses.replace(e, triggers=triggers, children=children)

    objects = []
    for obj in unit.objects:
        sections = tuple(element(s) for s in obj.sections)
        objects.append(dataclasses.replace(obj, procedures=procs(obj.procedures), triggers=procs(obj.triggers),
                                           sections=sections))
    return dataclasses.replace(unit, objects=tuple(objects))


KEPT_PROPERTIES = frozenset({
    "sourcetable", "sourcetabletemporary", "tableno", "tabletype", "eventsubscriberinstance",
    "defaultimplementation", "implementation", "subtype",
})
"""The properties the project model reads; a skeleton drops every other one (Caption, ToolTip,
ApplicationArea...), which is most of a page's or table's text."""

_NAME_IS = r"[ \t]*([A-Za-z_]\w*)[ \t]*=(?!=)"
_PROPERTY_SCAN = re.compile(  # every branch begins with one character: the engine skips to those at once
    _SKIPPED
    + rf"""|;(?:{_NAME_IS})?|\{{(?:{_NAME_IS})?|\}}(?:{_NAME_IS})?|\n{_NAME_IS}""",
    re.DOTALL,
)


def property_ranges(text: str, keep: frozenset[str] = KEPT_PROPERTIES, comments: bool = False) -> list[tuple[int, int]]:
    """Offsets of ``Name = value;`` properties (with their ``;``) whose name is not in ``keep``. A
    property starts a line or follows ``;``, ``{`` or ``}`` (with only blanks between, so a ``Comment =``
    continuing a Label declaration is not one) and ends at the first ``;`` outside text and names. With
    ``comments``, the comments outside those properties too (a skeleton's parse then steps over blanks:
    the Base Application's doc comments are a good part of what its tables keep)."""
    out: list[tuple[int, int]] = []
    last = "{"  # the last significant character before the current position
    start = -1
    for m in _PROPERTY_SCAN.finditer(text):
        first = text[m.start()]
        if first in ";{}":
            if first == ";" and start >= 0:
                out.append((start, m.start() + 1))
                start = -1
            last = first
            group = " ;{}".index(first)
        elif first == "\n":
            group = 4
        else:  # text or a quoted name (significant), or a comment (not)
            if first != "/":
                last = "x"
            elif comments and start < 0:  # one inside a property goes with it
                out.append(m.span())
            continue
        name = m.group(group)
        if name is not None:
            if start < 0 and last in ";{}" and name.lower() not in keep:
                start = m.start(group)
            last = "="
    return out
