"""The lexer tries, at each character, only the terminals that can start with it
(:mod:`pbtlint.first_chars`): it must match exactly what the one alternation of every terminal does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbtlint import first_chars
from pbtlint.first_chars import dispatch_table, first_characters
from pbtlint.parser import ALLexer, get_parser
from pbtlint.source import read_source

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.mark.parametrize(("pattern", "flags", "expected"), [
    (r"\d+t\b", 0, "0123456789"),
    (r"(?i:x\d)", 0, "xX"),
    (r"abc", re.IGNORECASE, "aA"),
    (r"[^\W\d]\w*", 0, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"),
    (r"(?:-|\+)?=", 0, "-+="),  # an optional part lets the next one start the match
    (r"(?=a)[ab]", 0, "ab"),  # a lookahead only narrows: ignored, never wrongly excluding
    (r"[\s\ufeff]+", 0, "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f "),
    (r"/\*.*?\*/", re.DOTALL, "/"),
    (r"(?i)abc", 0, "aA"),  # the pattern's own global flags count
])
def test_first_characters_of_patterns(pattern: str, flags: int, expected: str) -> None:
    assert first_characters(pattern, flags) == frozenset(expected)


@pytest.mark.parametrize("pattern", [
    r"a*",  # can match nothing: it may "start" anywhere
    r"(?P<q>a)?(?P=q)b",  # a back reference is not read
    r"(?:x|)",  # an empty branch
])
def test_what_is_not_known_counts_as_anywhere(pattern: str) -> None:
    assert first_characters(pattern) is None


def test_an_opcode_this_python_lacks_counts_as_anywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    constants = first_chars._c

    class Renamed:  # the private constants module of a future Python, without one of them
        def __getattr__(self, name: str) -> object:
            if name == "SUBPATTERN":
                raise AttributeError(name)
            return getattr(constants, name)

    monkeypatch.setattr(first_chars, "_c", Renamed())
    assert first_characters(r"(a)b") is None
    assert first_characters(r"ab") == frozenset("a")


def test_an_unreadable_terminal_is_tried_at_every_character() -> None:
    unread = r"(?P<q>x)?(?P=q)b"
    table = dispatch_table([("A", "a"), ("ANY", unread)], 0)
    assert table["a"].pattern == f"(?P<A>a)|(?P<ANY>{unread})"
    assert table["z"].pattern == f"(?P<ANY>{unread})"


def _lexer() -> ALLexer:
    lexer = get_parser().parser.lexer
    assert isinstance(lexer, ALLexer)
    return lexer


def _both(text: str) -> None:
    """At every place in ``text`` (not only token starts), the dispatched match is the full one."""
    lexer = _lexer()
    for pos in range(len(text)):
        full = lexer.regex.match(text, pos)
        fast = lexer.matchers.get(text[pos], lexer.regex.match)(text, pos)
        assert (full and (full.lastgroup, full.end())) == (fast and (fast.lastgroup, fast.end())), (text, pos)


def test_every_fixture_file_lexes_the_same_at_every_place() -> None:
    files = sorted(FIXTURES.rglob("*.al"))
    assert len(files) > 50
    for path in files:
        text = read_source(path).text
        if text is not None:  # some fixtures are deliberately not text
            _both(text)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="aZ_9.0d'\"/*@:=<>-+ \t\n{};#|é\ufeffıſK", max_size=40))
def test_random_text_lexes_the_same_at_every_place(text: str) -> None:
    _both(text)
