"""Which characters a token's regular expression can start with, so the lexer can try only the
terminals that may match where it stands.

The lexer's one regular expression is an alternation of every terminal in priority order; Python's
engine tries the branches one after another, so an identifier first fails the block comment,
quoted name, text and five number patterns. For each ASCII character this module gives the terminals
whose pattern can begin with it (in the same order), read off the pattern's parse by Python's own
:mod:`re` parser. Whatever it cannot read (an unknown construct, a pattern that can match the empty
string, a private module or opcode that moved) counts as able to start anywhere: a terminal is left out of a
character's alternation only when it provably cannot match there, so every alternation matches
exactly what the full one does at a position starting with that character.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

ASCII = tuple(map(chr, range(128)))

try:  # Python's regular-expression parser: private, but the same from 3.11 to 3.13
    from re import _constants as _c
    from re import _parser as _p
except ImportError:  # pragma: no cover - a Python without it: every terminal may start anywhere
    _c = _p = None

_FLAG_MASK = re.IGNORECASE | re.DOTALL | re.ASCII | re.UNICODE


class _Unknown(Exception):
    """A construct this module does not read."""


def first_characters(pattern: str, flags: int = 0) -> frozenset[str] | None:
    """The ASCII characters a non-empty match of ``pattern`` can begin with; None when that is not
    known (the terminal must then be tried everywhere)."""
    if _p is None:
        return None
    try:
        parsed = _p.parse(pattern, flags)
        flags = parsed.state.flags  # with the pattern's own global flags: (?i)abc
        chars, nullable = _sequence(list(parsed), flags)
    except (_Unknown, re.error, AttributeError, TypeError, ValueError):  # AttributeError: an opcode renamed
        return None
    return None if nullable else frozenset(chars)


def _sequence(items: Sequence[Any], flags: int) -> tuple[set[str], bool]:
    """The first characters of a sequence, and whether it can match the empty string."""
    out: set[str] = set()
    for op, arg in items:
        chars, nullable = _item(op, arg, flags)
        out |= chars
        if not nullable:
            return out, False
    return out, True


def _item(op: Any, arg: Any, flags: int) -> tuple[set[str], bool]:
    if op in (_c.LITERAL, _c.NOT_LITERAL, _c.IN, _c.ANY):
        return _one_character(op, arg, flags), False
    if op is _c.SUBPATTERN:
        _group, add, remove, sub = arg
        return _sequence(list(sub), (flags | add) & ~remove)
    if op is _c.ATOMIC_GROUP:
        return _sequence(list(arg), flags)
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", _c.MAX_REPEAT)):
        low, _high, sub = arg
        chars, nullable = _sequence(list(sub), flags)
        return chars, nullable or low == 0
    if op is _c.BRANCH:
        out: set[str] = set()
        any_nullable = False
        for branch in arg[1]:
            chars, nullable = _sequence(list(branch), flags)
            out |= chars
            any_nullable = any_nullable or nullable
        return out, any_nullable
    if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):  # zero width: only narrows what follows
        return set(), True
    raise _Unknown(op)


_CATEGORIES = {
    "CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D", "CATEGORY_WORD": r"\w",
    "CATEGORY_NOT_WORD": r"\W", "CATEGORY_SPACE": r"\s", "CATEGORY_NOT_SPACE": r"\S",
}


def _one_character(op: Any, arg: Any, flags: int) -> set[str]:
    """The ASCII characters a one-character construct matches, asked of the engine itself (which
    knows case folding) through a character class written back from the parse."""
    if op is _c.ANY:
        piece = "."
    elif op is _c.LITERAL:
        piece = f"[{_escape(arg)}]"
    elif op is _c.NOT_LITERAL:
        piece = f"[^{_escape(arg)}]"
    else:
        parts = []
        for kind, value in arg:
            if kind is _c.NEGATE and not parts:
                parts.append("^")
            elif kind is _c.LITERAL:
                parts.append(_escape(value))
            elif kind is _c.RANGE:
                parts.append(f"{_escape(value[0])}-{_escape(value[1])}")
            elif kind is _c.CATEGORY and str(value) in _CATEGORIES:
                parts.append(_CATEGORIES[str(value)])
            else:
                raise _Unknown(kind)
        piece = f"[{''.join(parts)}]"
    test = re.compile(piece, flags & _FLAG_MASK)
    return {c for c in ASCII if test.fullmatch(c)}


def _escape(code: int) -> str:
    return f"\\U{code:08x}"


def dispatch_table(branches: Sequence[tuple[str, str]], flags: int) -> dict[str, re.Pattern[str]]:
    """For each ASCII character, one alternation of the named ``branches`` (name, pattern: in
    priority order) that may match starting with it, in the same order. A character no branch can
    start with is not in the table."""
    starts = [(name, pattern, first_characters(pattern, flags)) for name, pattern in branches]
    table: dict[str, re.Pattern[str]] = {}
    by_choice: dict[tuple[str, ...], re.Pattern[str]] = {}
    for c in ASCII:
        chosen = tuple(name for name, _, first in starts if first is None or c in first)
        if not chosen:
            continue
        if chosen not in by_choice:
            wanted = set(chosen)
            by_choice[chosen] = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern, _ in starts
                                                    if name in wanted), flags)
        table[c] = by_choice[chosen]
    return table
