"""Trees that are the same but for where their lines are, and findings moved along.

An edit that adds a line to a comment, or to a body no analysis parsed, leaves every tree the
analysis reads as it was, except that the lines below the edit moved. :func:`tree_line_map` compares
the previous parse of a file with the new one and gives the line each old line of the tree is on now,
when the trees are otherwise equal: the same nodes, names, values and columns, and lines that keep
their order. The analysis then sees the same input with its lines renumbered in order, so its findings
are the previous ones with their locations in that file renumbered too (:func:`moved_finding`).
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import re
from collections.abc import Iterable

from pbtlint.findings import Finding, Location
from pbtlint.span import Span

LineMap = dict[int, int]
"""Old line -> new line, for every line a span of the trees starts or ends on."""

_fields: dict[type, tuple[str, ...] | None] = {}


def _field_names(cls: type) -> tuple[str, ...] | None:
    if cls not in _fields:
        _fields[cls] = tuple(f.name for f in dataclasses.fields(cls)) if dataclasses.is_dataclass(cls) else None
    return _fields[cls]


def _same_shape(old: object, new: object, pairs: list[tuple[int, int]]) -> bool:
    """Whether ``old`` and ``new`` are equal but for the lines of their spans, whose (old, new) pairs
    are added to ``pairs``."""
    if old is new:
        return True
    cls = type(old)
    if cls is not type(new):
        return False
    if cls is Span:
        if old.column != new.column or old.end_column != new.end_column:  # type: ignore[attr-defined]
            return False
        pairs.append((old.line, new.line))  # type: ignore[attr-defined]
        pairs.append((old.end_line, new.end_line))  # type: ignore[attr-defined]
        return True
    if cls is tuple or cls is list:
        return len(old) == len(new) and all(  # type: ignore[arg-type]
            _same_shape(a, b, pairs) for a, b in zip(old, new, strict=True))  # type: ignore[call-overload]
    names = _field_names(cls)
    if names is None:
        return old == new
    return all(_same_shape(getattr(old, name), getattr(new, name), pairs) for name in names)


def tree_line_map(old: object, new: object) -> LineMap | None:
    """The new line of every line a span of ``old`` is on, when ``new`` is ``old`` with its lines
    renumbered in order (see the module doc); None otherwise, or when the trees nest too deeply to
    compare."""
    if not _fields:
        from pbtlint.audit import ElidedBlock  # here: the trees' module, for runs that compare trees only

        _fields[ElidedBlock] = ("span", "path")  # an elided body's statements are not there to compare
    pairs: list[tuple[int, int]] = []
    try:
        if not _same_shape(old, new, pairs):
            return None
    except RecursionError:
        return None
    return from_pairs(pairs)


def from_pairs(pairs: Iterable[tuple[int, int]]) -> LineMap | None:
    """The map of these (old line, new line) pairs, when no old line has two new ones and the lines
    keep their order; else None."""
    return _joined({}, pairs)


def extend(mapping: LineMap, more: LineMap) -> LineMap | None:
    """The two maps as one, when they agree and keep the lines' order together; else None."""
    return _joined(mapping, more.items())


def _joined(mapping: LineMap, pairs: Iterable[tuple[int, int]]) -> LineMap | None:
    joined = dict(mapping)
    for a, b in pairs:
        if joined.setdefault(a, b) != b:  # one old line on two new ones
            return None
    if any(later[1] <= earlier[1] for earlier, later in itertools.pairwise(sorted(joined.items()))):
        return None
    return joined


def moved_lines(mapping: LineMap, lines: Iterable[int]) -> list[int] | None:
    """``lines`` (of text, not necessarily of the tree) on their new lines, in order: a line between two
    lines of the map that moved by the same amount moves by it too, and so does a line before the first
    or after the last (the edit was not there); None for a line between two that moved differently
    (around the edit). Renumbered so, lines keep their order among themselves and with every line
    of the tree, which is all the analysis compares them for (which procedure or body holds a line)."""
    known = sorted(mapping)
    if not known:
        return None
    out: list[int] = []
    for line in lines:
        if line in mapping:
            out.append(mapping[line])
            continue
        i = bisect.bisect_left(known, line)
        shift = mapping[known[min(i, len(known) - 1)]] - known[min(i, len(known) - 1)]
        if 0 < i < len(known) and mapping[known[i - 1]] - known[i - 1] != shift:
            return None
        if line + shift < 1:
            return None
        out.append(line + shift)
    return sorted(out)


def _moved_location(loc: Location, path: str, mapping: LineMap) -> Location | None:
    if loc.path != path:
        return loc
    span = loc.span
    if span.line not in mapping or span.end_line not in mapping:
        return None
    if mapping[span.line] == span.line and mapping[span.end_line] == span.end_line:
        return loc
    return dataclasses.replace(loc, span=Span(mapping[span.line], span.column, mapping[span.end_line],
                                              span.end_column))


_NUMBER = re.compile(r"\d+")


def moved_finding(finding: Finding, path: str, mapping: LineMap) -> Finding | None:
    """``finding`` with its locations in ``path`` on their new lines; None when one of them is not on a
    line of the map, or when the message quotes a number that is a line which moved (a message may
    name a line: it cannot be renumbered safely)."""
    located = (finding.location, *finding.related, *finding.call_path)
    if all(loc.path != path for loc in located):
        return finding
    moved = [_moved_location(loc, path, mapping) for loc in located]
    if any(loc is None for loc in moved):
        return None
    shifted = {str(line) for loc in located if loc.path == path
               for line in (loc.span.line, loc.span.end_line) if mapping[line] != line}
    if shifted and shifted & set(_NUMBER.findall(finding.message)):
        return None
    count = len(finding.related)
    return dataclasses.replace(finding, location=moved[0], related=tuple(moved[1:1 + count]),  # type: ignore[arg-type]
                               call_path=tuple(moved[1 + count:]))  # type: ignore[arg-type]

