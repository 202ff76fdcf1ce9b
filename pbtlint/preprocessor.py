"""AL preprocessor: evaluates directives before parsing, keeping every position where it was.

The output text has exactly as many lines as the input. Directive lines and lines of inactive code become
empty lines; active lines are returned untouched, so line and column numbers of active code are those of
the file. Directives may split any construct (a declaration, an ``if`` condition, an object header): blanking
whole lines handles all of that before the parser sees the text.

Handled directives (directive words in any case, ``#`` optionally followed by spaces, trailing ``//``
comments allowed):

- ``#if``/``#elif``/``#else``/``#endif`` with conditions made of symbols, ``not``, ``and``, ``or`` and
  parentheses (``and`` binds tighter than ``or``; ``true``/``false`` are constants);
- ``#define``/``#undef`` (file scope, from that line on);
- ``#region [title]``/``#endregion [text]``;
- ``#pragma warning disable|restore [id, id...]`` (no ids = all warnings) and
  ``#pragma implicitwith disable|restore``.

Symbols are compared case-insensitively. The AL documentation does not say whether they are, and real code
(NaviPartner) uses ``#if DEBUG`` and ``#if Debug`` for the same symbol, so pbtlint treats ``Debug``,
``DEBUG`` and ``debug`` as one symbol.

A line is a directive when its first non-blank character is ``#`` and it does not start inside a ``/* */``
comment or a multi-line ``@'...'`` text literal opened on an earlier active line. Only active lines are
scanned for comments and literals; inactive lines are skipped as a whole, as in C#.

Malformed or unbalanced directives give PBT0000 findings at the ``#`` and processing continues: an
unmatched ``#endif``/``#else``/``#elif``/``#endregion`` is ignored, a missing ``#endif`` closes at the end of
the file, a condition that does not parse counts as false.

Line splitting is on ``"\\n"`` only (``source.read_source`` has already normalized CR and CRLF).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import cast

from pbtlint.findings import Finding, syntax_error
from pbtlint.pickling import fast_pickling
from pbtlint.pragma import Action, PragmaWarning
from pbtlint.span import Span


@dataclass(frozen=True, slots=True)
class PragmaImplicitWith:
    """``#pragma implicitwith disable|restore`` on ``line``."""

    line: int
    action: Action


@dataclass(frozen=True, slots=True)
class Region:
    """A ``#region`` (at ``start_line``) closed by the ``#endregion`` at ``end_line``."""

    start_line: int
    end_line: int
    title: str


@dataclass(frozen=True, slots=True)
class PreprocessResult:
    text: str
    pragmas: tuple[PragmaWarning, ...] = ()
    implicit_with: tuple[PragmaImplicitWith, ...] = ()
    regions: tuple[Region, ...] = ()
    findings: tuple[Finding, ...] = ()


# Blanks that may precede a directive. A search starting with a literal "\n" is much faster than "^" with
# re.MULTILINE, hence two patterns.
_BLANKS = " \t\f\v\r\ufeff"
_FIRST_LINE_DIRECTIVE = re.compile(r"[ \t\f\v\r\ufeff]*#[^\n]*")
_LATER_LINE_DIRECTIVE = re.compile(r"\n[ \t\f\v\r\ufeff]*#[^\n]*")
# '#', optional blanks, the directive word, the rest.
_DIRECTIVE = re.compile(r"#[ \t]*([A-Za-z_][A-Za-z0-9_]*)?(.*)", re.DOTALL)
# Things that change the scanner state in active code.
_CODE_EVENT = re.compile(r"//|/\*|@'|'|\"")
_SINGLE_QUOTED_REST = re.compile(r"[^']*(?:''[^']*)*'")
_DOUBLE_QUOTED_REST = re.compile(r'[^"]*(?:""[^"]*)*"')
# Inside a multi-line literal: text up to the closing quote ('' is an escaped quote).
_MULTILINE_REST = re.compile(r"[^']*(?:''[^']*)*'(?!')")
_EXPR_TOKEN = re.compile(r"\s*(?:([()])|([A-Za-z_][A-Za-z0-9_]*)|(\S))")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WARNING_ID = re.compile(r"[A-Za-z0-9_.]+")

_CODE, _BLOCK_COMMENT, _MULTILINE_TEXT = 0, 1, 2


def preprocess(text: str, symbols: Iterable[str], path: str) -> PreprocessResult:
    """Evaluate the directives of ``text`` (the contents of ``path``) with the given defined symbols."""
    if "#" not in text or next(_directive_lines(text), None) is None:
        return PreprocessResult(text)
    return _Preprocessor(text, symbols, path).run()


def _directive_lines(text: str) -> Iterator[tuple[int, int]]:
    """Start and end offsets of the lines whose first non-blank character is '#' (comments not considered)."""
    first = _FIRST_LINE_DIRECTIVE.match(text)
    if first is not None:
        yield 0, first.end()
    for m in _LATER_LINE_DIRECTIVE.finditer(text):
        yield m.start() + 1, m.end()


def _scan_line(line: str, state: int) -> int:
    """The scanner state after ``line`` of active code, starting in ``state``."""
    pos = 0
    end = len(line)
    while pos < end:
        if state == _BLOCK_COMMENT:
            close = line.find("*/", pos)
            if close < 0:
                return state
            pos = close + 2
            state = _CODE
        elif state == _MULTILINE_TEXT:
            m = _MULTILINE_REST.match(line, pos)
            if m is None:
                return state
            pos = m.end()
            state = _CODE
        else:
            m = _CODE_EVENT.search(line, pos)
            if m is None:
                return state
            token = m.group()
            pos = m.end()
            if token == "//":
                return state
            if token == "/*":
                state = _BLOCK_COMMENT
            elif token == "@'":
                state = _MULTILINE_TEXT
            else:
                rest = (_SINGLE_QUOTED_REST if token == "'" else _DOUBLE_QUOTED_REST).match(line, pos)
                # An unterminated one-line literal or quoted name ends at the end of the line.
                pos = rest.end() if rest is not None else end
    return state


class _ConditionError(Exception):
    pass


class _Condition:
    """Recursive-descent parser and evaluator for ``#if``/``#elif`` conditions.

    condition := or ; or := and ("or" and)* ; and := unary ("and" unary)* ;
    unary := "not" unary | "(" or ")" | symbol | "true" | "false"
    """

    __slots__ = ("tokens", "pos", "defined")

    def __init__(self, source: str, defined: set[str]) -> None:
        self.tokens: list[tuple[str, str]] = []
        for m in _EXPR_TOKEN.finditer(source):
            paren, word, other = m.groups()
            if paren:
                self.tokens.append(("p", paren))
            elif word:
                lower = word.lower()
                kind = lower if lower in ("not", "and", "or", "true", "false") else "sym"
                self.tokens.append((kind, word))
            elif other:
                raise _ConditionError(f"unexpected character '{other}' in condition")
        self.pos = 0
        self.defined = defined

    def evaluate(self) -> bool:
        if not self.tokens:
            raise _ConditionError("missing condition")
        value = self._or()
        if self.pos < len(self.tokens):
            raise _ConditionError(f"unexpected '{self.tokens[self.pos][1]}' in condition")
        return value

    def _peek(self) -> str | None:
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else None

    def _or(self) -> bool:
        value = self._and()
        while self._peek() == "or":
            self.pos += 1
            right = self._and()
            value = value or right
        return value

    def _and(self) -> bool:
        value = self._unary()
        while self._peek() == "and":
            self.pos += 1
            right = self._unary()
            value = value and right
        return value

    def _unary(self) -> bool:
        if self.pos >= len(self.tokens):
            raise _ConditionError("condition ends too early")
        kind, word = self.tokens[self.pos]
        self.pos += 1
        if kind == "not":
            return not self._unary()
        if kind == "sym":
            return word.lower() in self.defined
        if kind in ("true", "false"):
            return kind == "true"
        if word == "(":
            value = self._or()
            if self._peek() != "p" or self.tokens[self.pos][1] != ")":
                raise _ConditionError("missing ')' in condition")
            self.pos += 1
            return value
        raise _ConditionError(f"unexpected '{word}' in condition")


def _strip_comment(rest: str) -> str:
    cut = rest.find("//")
    return (rest if cut < 0 else rest[:cut]).strip()


@dataclass(slots=True)
class _If:
    line: int
    column: int
    parent_active: bool
    taken: bool  # some branch so far was true
    active: bool  # the current branch is active
    seen_else: bool = False


class _Preprocessor:
    def __init__(self, text: str, symbols: Iterable[str], path: str) -> None:
        self.text = text
        self.line_count = 0
        self.defined = {s.lower() for s in symbols}
        self.path = path
        self.ifs: list[_If] = []
        self.active = True
        self.open_regions: list[tuple[int, int, str]] = []
        self.pragmas: list[PragmaWarning] = []
        self.implicit_with: list[PragmaImplicitWith] = []
        self.regions: list[Region] = []
        self.findings: list[Finding] = []

    def run(self) -> PreprocessResult:
        scanning = "/*" in self.text or "@'" in self.text
        text = self._run_scanning() if scanning else self._run_directives_only()
        self._finish()
        return PreprocessResult(
            text,
            tuple(self.pragmas),
            tuple(self.implicit_with),
            tuple(sorted(self.regions, key=lambda r: r.start_line)),
            tuple(sorted(self.findings, key=Finding.sort_key)),
        )

    def _run_directives_only(self) -> str:
        """No block comment or multi-line literal can hide a directive: jump from directive to directive."""
        text = self.text
        pieces: list[str] = []
        line = 1
        pos = 0  # start of the first line not yet copied
        for start, end in _directive_lines(text):
            segment = text[pos:start]
            newlines = segment.count("\n")
            pieces.append(segment if self.active else "\n" * newlines)
            line += newlines
            directive = text[start:end]
            stripped = directive.lstrip(_BLANKS)
            self._directive(line, len(directive) - len(stripped) + 1, stripped.rstrip())
            pos = end
        tail = text[pos:]
        pieces.append(tail if self.active else "\n" * tail.count("\n"))
        self.line_count = line + tail.count("\n")
        return "".join(pieces)

    def _run_scanning(self) -> str:
        """Line by line, tracking block comments and multi-line literals in active code."""
        lines = self.text.split("\n")
        self.line_count = len(lines)
        state = _CODE
        for index, line in enumerate(lines):
            if state == _CODE:
                stripped = line.lstrip(_BLANKS)
                if stripped.startswith("#"):
                    column = len(line) - len(stripped) + 1
                    self._directive(index + 1, column, stripped.rstrip())
                    lines[index] = ""
                    continue
            if not self.active:
                lines[index] = ""
            elif state != _CODE or "/*" in line or "@'" in line:
                state = _scan_line(line, state)
        return "\n".join(lines)

    def _error(self, line: int, column: int, width: int, message: str) -> None:
        span = Span(line, column, line, column + max(width, 1))
        self.findings.append(syntax_error(self.path, span, message))

    def _directive(self, line: int, column: int, directive: str) -> None:
        m = _DIRECTIVE.match(directive)
        assert m is not None
        word, rest = (m.group(1) or "").lower(), m.group(2)
        width = len(directive)
        if word in ("if", "elif", "else", "endif"):
            self._conditional(word, rest, line, column, width)
        elif not self.active:
            return  # everything else in inactive code is skipped text
        elif word == "region":
            self.open_regions.append((line, column, rest.strip()))
        elif word == "endregion":
            if self.open_regions:
                start, _, title = self.open_regions.pop()
                self.regions.append(Region(start, line, title))
            else:
                self._error(line, column, width, "#endregion without a matching #region")
        elif word == "pragma":
            self._pragma(_strip_comment(rest), line, column, width)
        elif word in ("define", "undef"):
            name = _strip_comment(rest)
            if _IDENTIFIER.fullmatch(name) is None:
                self._error(line, column, width, f"#{word} needs one symbol name, found '{name}'")
            elif word == "define":
                self.defined.add(name.lower())
            else:
                self.defined.discard(name.lower())
        elif word:
            self._error(line, column, width, f"unknown directive '#{m.group(1)}'")
        else:
            self._error(line, column, width, "'#' must be followed by a directive name")

    def _condition(self, rest: str, word: str, line: int, column: int, width: int) -> bool:
        try:
            return _Condition(_strip_comment(rest), self.defined).evaluate()
        except _ConditionError as e:
            self._error(line, column, width, f"#{word}: {e}")
            return False

    def _conditional(self, word: str, rest: str, line: int, column: int, width: int) -> None:
        if word == "if":
            value = self._condition(rest, word, line, column, width) if self.active else False
            self.ifs.append(_If(line, column, self.active, value, self.active and value))
        elif not self.ifs:
            self._error(line, column, width, f"#{word} without a matching #if")
            return
        else:
            top = self.ifs[-1]
            if word == "endif":
                if _strip_comment(rest):
                    self._error(line, column, width, "unexpected text after #endif")
                self.ifs.pop()
            elif top.seen_else:
                self._error(line, column, width, f"#{word} after #else (the #if is on line {top.line})")
                top.active = False
            elif word == "else":
                if _strip_comment(rest):
                    self._error(line, column, width, "unexpected text after #else")
                top.seen_else = True
                top.active = top.parent_active and not top.taken
                top.taken = True
            else:  # elif
                value = False
                if top.parent_active:
                    # After a true branch the syntax is still checked, but the value does not matter.
                    value = self._condition(rest, word, line, column, width) and not top.taken
                top.active = top.parent_active and value
                top.taken = top.taken or value
        self.active = self.ifs[-1].active if self.ifs else True

    def _pragma(self, body: str, line: int, column: int, width: int) -> None:
        parts = body.split(None, 2)
        kind = parts[0].lower() if parts else ""
        action = parts[1].lower() if len(parts) > 1 else ""
        if kind not in ("warning", "implicitwith"):
            found = f" '{parts[0]}'" if parts else ""
            self._error(line, column, width, f"unknown #pragma{found}; expected 'warning' or 'implicitwith'")
            return
        if action not in ("disable", "restore"):
            self._error(line, column, width, f"#pragma {kind} needs 'disable' or 'restore'")
            return
        rest = parts[2] if len(parts) > 2 else ""
        if kind == "implicitwith":
            if rest.strip():
                self._error(line, column, width, "unexpected text after #pragma implicitwith")
            self.implicit_with.append(PragmaImplicitWith(line, cast(Action, action)))
            return
        ids: list[str] = []
        if rest.strip():
            for item in rest.split(","):
                item = item.strip()
                if not item:
                    continue  # the compiler accepts a trailing comma (seen in real code)
                if _WARNING_ID.fullmatch(item) is None:
                    self._error(line, column, width, f"#pragma warning: bad warning id '{item}'")
                    return
                ids.append(item.upper())
        self.pragmas.append(PragmaWarning(line, cast(Action, action), tuple(ids)))

    def _finish(self) -> None:
        for frame in self.ifs:
            message = "#if without a matching #endif before the end of the file"
            self._error(frame.line, frame.column, 3, message)
        last = self.line_count
        for start, column, title in self.open_regions:
            self._error(start, column, 7, "#region without a matching #endregion before the end of the file")
            self.regions.append(Region(start, last, title))


fast_pickling(globals())
