"""Parse AL source text into a Lark tree (grammar: pbtlint/al.lark).

The parser is Lark LALR(1) with a contextual lexer of our own (:class:`ALLexer`). Its tables are
cached in a file under the user cache directory (``$PBTLINT_CACHE_DIR``, else
``$XDG_CACHE_HOME/pbtlint``, else ``~/.cache/pbtlint``); when that directory cannot be written the
parser is simply built in memory.

:func:`parse_source` never raises: a syntax error becomes one PBT0000 finding whose message says in
words what was found and what was expected.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

import lark
from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedToken
from lark.lexer import Lexer, LexerState, PatternStr

from pbtlint.cache import user_cache_dir
from pbtlint.findings import Finding, syntax_error
from pbtlint.first_chars import dispatch_table
from pbtlint.span import Span

START_SYMBOLS = ("compilation_unit", "statements", "expression", "block")

# AL-SYNTAX.md §3: words that are never unquoted names (the grammar's `_reserved` rule).
RESERVED_WORDS = (
    "begin", "end", "if", "then", "else", "case", "of", "for", "to", "downto", "do", "while", "repeat",
    "until", "foreach", "exit", "with", "asserterror", "procedure", "trigger", "var", "and", "or", "xor",
    "not", "div", "mod", "in", "true", "false", "temporary", "this",
)


@dataclass(frozen=True)
class LexerParts:
    """What :class:`ALLexer` is built from: the keywords (by lower-case word, their terminal), the other
    terminals as (name, regular expression) in the order they are tried, the regular expression flags
    and the terminals skipped (whitespace, comments)."""

    keywords: dict[str, str]
    branches: list[tuple[str, str]]
    flags: int
    ignore: frozenset[str]


@dataclass(frozen=True)
class ParseResult:
    """A parse tree (None when the text does not parse) and the syntax errors found."""

    tree: Tree | None
    findings: tuple[Finding, ...]


def grammar_text() -> str:
    """The text of pbtlint/al.lark."""
    return resources.files("pbtlint").joinpath("al.lark").read_text(encoding="utf-8")


def _cache_file(grammar: str) -> str | None:
    """A writable cache file path for the parser tables, or None when no directory can be used."""
    base = user_cache_dir()
    key = hashlib.sha256(
        "\0".join((grammar, lark.__version__, sys.version, ",".join(START_SYMBOLS))).encode("utf-8")
    ).hexdigest()[:20]
    try:
        os.makedirs(base, exist_ok=True)
    except OSError:
        return None
    if not os.access(base, os.W_OK | os.X_OK):
        path = os.path.join(base, f"al-{key}.lark-cache")
        return path if os.access(path, os.R_OK) else None
    return os.path.join(base, f"al-{key}.lark-cache")


def build_parser(cache: bool = True, debug: bool = False) -> Lark:
    """Build the AL parser (``debug=True`` logs every LALR conflict to Lark's logger)."""
    grammar = grammar_text()
    cache_path = _cache_file(grammar) if cache and not debug else None
    return Lark(
        grammar,
        parser="lalr",
        lexer=ALLexer,
        propagate_positions=True,
        maybe_placeholders=True,
        start=list(START_SYMBOLS),
        cache=cache_path if cache_path else False,
        debug=debug,
    )


@functools.cache
def get_parser() -> Lark:
    """The process-wide AL parser, built (or loaded from the cache) on first use."""
    return build_parser()


def parse_source(text: str, path: str, start: str = "compilation_unit") -> ParseResult:
    """Parse ``text`` (already preprocessed) from ``start``; ``path`` is only used in findings."""
    try:
        tree = get_parser().parse(text, start=start)
        return ParseResult(tree, ())
    except LarkError as exc:
        return ParseResult(None, (_finding_for(exc, text, path),))
    except RecursionError:
        msg = "the code is nested too deeply to parse"
        return ParseResult(None, (syntax_error(path, Span.point(1), msg),))
    except Exception as exc:  # noqa: BLE001 - the caller must never see a traceback
        msg = f"internal parser error: {type(exc).__name__}: {exc}"
        return ParseResult(None, (syntax_error(path, Span.point(1), msg),))


def tokenize(text: str) -> Iterator[Token]:
    """The lexer's tokens for ``text`` without parsing it (comments and whitespace skipped).

    Without a parser state every keyword comes out as its keyword terminal, where the parser may
    take a contextual keyword as a name. Raises UnexpectedCharacters on text no terminal matches.
    Meant for benchmarks and tools.
    """
    lexer = get_parser().parser.lexer
    assert isinstance(lexer, ALLexer)
    return lexer.tokens(text)


# --------------------------------------------------------------------------- lexer

_new_str = str.__new__


def _fast_token(kind: str, value: str, start: int, line: int, column: int, end_line: int, end_column: int,
                end_pos: int) -> Token:
    """``Token(kind, value, start, line, column, end_line, end_column, end_pos)`` without going through
    Lark's constructor (which accepts old argument names): a third of the time, and the lexer makes a
    token for every word and sign of every file."""
    token = _new_str(Token, value)
    token.type = kind
    token.value = value
    token.start_pos = start
    token.line = line
    token.column = column
    token.end_line = end_line
    token.end_column = end_column
    token.end_pos = end_pos
    return token


# Lark's Token keeps exactly these slots; with another layout its own constructor is used
_token = _fast_token if set(getattr(Token, "__slots__", ())) == {
    "type", "start_pos", "value", "line", "column", "end_line", "end_column", "end_pos"} else Token


class ALLexer(Lexer):
    """The contextual lexer: one regular expression for all tokens, then a word is a keyword when it is
    reserved (AL-SYNTAX.md §3, always) or when the parser state accepts that keyword; otherwise a name.

    Lark's own contextual lexer keeps one scanner per parser state and tests every word against all
    keywords with a regular expression; this one looks words up in a dictionary, which makes lexing
    several times faster. It also keeps reserved words reserved where no rule accepts them, so
    `if a then b; else c` reports the `else`.
    """

    __future_interface__ = 2

    def __init__(self, conf: lark.common.LexerConf) -> None:
        word = re.compile(r"[^\W\d]\w*")
        keywords: dict[str, str] = {}
        scanned = []
        for term in conf.terminals:
            pattern = term.pattern
            if isinstance(pattern, PatternStr) and word.fullmatch(pattern.value) and "i" in pattern.flags:
                keywords[pattern.value.lower()] = term.name
            else:
                scanned.append(term)
        # the order Lark's basic lexer uses: longer fixed strings before their prefixes
        scanned.sort(key=lambda t: (-t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name))
        branches = [(t.name, t.pattern.to_regexp()) for t in scanned]
        self._setup(LexerParts(keywords, branches, conf.g_regex_flags, frozenset(conf.ignore)))
        self.terminals_by_name = conf.terminals_by_name

    @classmethod
    def from_parts(cls, parts: LexerParts) -> ALLexer:
        """The lexer that ``parts`` (another's :attr:`parts`) describe, built without Lark's grammar:
        its errors name no terminal patterns (:mod:`pbtlint.astparse` hands text that does not lex to
        the plain parser, whose own lexer reports it)."""
        lexer = cls.__new__(cls)
        lexer._setup(parts)
        lexer.terminals_by_name = {}
        return lexer

    def _setup(self, parts: LexerParts) -> None:
        self.parts = parts
        self.keywords = parts.keywords
        flags = parts.flags
        self.regex = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in parts.branches), flags)
        # per first character, only the terminals that can start with it: most tokens no longer fail
        # a dozen branches first (matching was 2.3 times faster on 1,500 Base Application files)
        self.matchers = {c: r.match for c, r in dispatch_table(parts.branches, flags).items()}
        self.ignore = parts.ignore
        self.reserved = frozenset(self.keywords[w] for w in RESERVED_WORDS if w in self.keywords)

    def lex(self, lexer_state: LexerState, parser_state: Any) -> Iterator[Token]:
        text_slice = lexer_state.text
        states = parser_state.parse_conf.parse_table.states
        for token in self._scan(text_slice.text, text_slice.start, text_slice.end, states, parser_state):
            lexer_state.last_token = token
            yield token

    def tokens_for(self, text: str, states: dict, parser_state: Any) -> Iterator[Token]:
        """The tokens of ``text`` for a parser whose current state is ``parser_state.position`` in the
        LALR table ``states`` (for :mod:`pbtlint.astparse`)."""
        return self._scan(text, 0, len(text), states, parser_state)

    def tokens(self, text: str) -> Iterator[Token]:
        """All tokens of ``text``, every keyword as its keyword terminal."""
        return self._scan(text, 0, len(text), None, None)

    def _scan(self, text: str, pos: int, end: int, states: dict | None, parser_state: Any) -> Iterator[Token]:
        """Tokens from ``pos`` to ``end``; ``states`` (the LALR table) is None when not parsing."""
        match = self.regex.match
        matchers = self.matchers
        keywords = self.keywords
        reserved = self.reserved
        ignore = self.ignore
        line = text.count("\n", 0, pos) + 1
        line_start = text.rfind("\n", 0, pos) + 1
        while pos < end:
            m = matchers.get(text[pos], match)(text, pos)
            if m is None:
                column = pos - line_start + 1
                accepted = set(states[parser_state.position]) if states else set()
                raise UnexpectedCharacters(text, pos, line, column, allowed=accepted or {"<END-OF-FILE>"},
                                           state=parser_state, terminals_by_name=self.terminals_by_name)
            kind = m.lastgroup
            value = m.group()
            start, pos = pos, m.end()
            column = start - line_start + 1
            if "\n" in value:  # whitespace, block comments, multi-line text
                line_before = line
                line += value.count("\n")
                line_start = start + value.rfind("\n") + 1
                if kind in ignore:
                    continue
                yield _token(kind, value, start, line_before, column, line, pos - line_start + 1, pos)
                continue
            if kind in ignore:
                continue
            if kind == "IDENT":
                keyword = keywords.get(value.lower())
                if keyword is not None:
                    if states is None or keyword in reserved:
                        kind = keyword
                    else:
                        accepts = states[parser_state.position]
                        if keyword in accepts or "IDENT" not in accepts:
                            kind = keyword
            yield _token(kind, value, start, line, column, line, column + len(value), pos)


# --------------------------------------------------------------------------- error messages


def _finding_for(exc: LarkError, text: str, path: str) -> Finding:
    error_pos = _error_offset(exc, text)
    unterminated = unterminated_at(text, error_pos)
    if unterminated is not None:
        span, message = unterminated
        return syntax_error(path, span, message)
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        if token.type == "$END":
            span = _end_span(text)
            found = "end of file"
        else:
            span = _token_span(token)
            found = describe_token(token)
        return syntax_error(path, span, f"unexpected {found}; expected {describe_expected(_expected(exc))}")
    if isinstance(exc, UnexpectedCharacters):
        char = text[exc.pos_in_stream] if 0 <= exc.pos_in_stream < len(text) else ""
        span = Span(exc.line, exc.column, exc.line, exc.column + 1)
        shown = repr(char) if char.isprintable() else f"U+{ord(char):04X}" if char else "nothing"
        return syntax_error(path, span, f"unexpected character {shown}")
    if isinstance(exc, UnexpectedEOF):
        return syntax_error(path, _end_span(text),
                            f"unexpected end of file; expected {describe_expected(exc.expected)}")
    return syntax_error(path, Span.point(1), f"syntax error: {exc}")


def _expected(exc: UnexpectedToken) -> set[str]:
    """The terminals the parser really accepts at the error.

    LALR merges states, so ``exc.expected`` may hold terminals that only fit elsewhere (``until`` after
    a `;` in a `begin` block); trying each one on a copy of the parser removes them.
    """
    try:
        if exc.interactive_parser is not None:
            accepted = set(exc.interactive_parser.accepts())
            if accepted:
                return accepted
    except Exception:  # noqa: BLE001 - fall back to Lark's own set
        pass
    return set(exc.expected)


def _error_offset(exc: LarkError, text: str) -> int:
    if isinstance(exc, UnexpectedToken):
        if exc.token.type == "$END":
            return len(text)
        pos = exc.token.start_pos
        return pos if pos is not None else len(text)
    if isinstance(exc, UnexpectedCharacters):
        return exc.pos_in_stream
    return len(text)


def _token_span(token: Token) -> Span:
    line = token.line or 1
    column = token.column or 1
    end_line = token.end_line or line
    end_column = token.end_column or column + max(len(token.value), 1)
    if (end_line, end_column) <= (line, column):
        end_line, end_column = line, column + 1
    return Span(line, column, end_line, end_column)


def _end_span(text: str) -> Span:
    """A point just after the last non-blank character of ``text``."""
    stripped = text.rstrip()
    line = stripped.count("\n") + 1
    column = len(stripped) - (stripped.rfind("\n") + 1) + 1
    return Span.point(line, column)

# --------------------------------------------------------------------------- words for terminals

# Terminals that are keywords: their readable form is the word itself.
_RESERVED = {
    "BEGIN", "END", "IF", "THEN", "ELSE", "CASE", "OF", "FOR", "TO", "DOWNTO", "DO", "WHILE", "REPEAT",
    "UNTIL", "FOREACH", "EXIT", "WITH", "ASSERTERROR", "PROCEDURE", "TRIGGER", "VAR", "AND", "OR", "XOR",
    "NOT", "DIV", "MOD", "IN", "TRUE", "FALSE", "TEMPORARY", "THIS",
}
_CONTEXTUAL = {
    "TABLE", "TABLEEXTENSION", "PAGE", "PAGEEXTENSION", "PAGECUSTOMIZATION", "CODEUNIT", "REPORT",
    "REPORTEXTENSION", "QUERY", "XMLPORT", "ENUM", "ENUMEXTENSION", "INTERFACE", "CONTROLADDIN", "DOTNET",
    "PROFILE", "PROFILEEXTENSION", "PERMISSIONSET", "PERMISSIONSETEXTENSION", "ENTITLEMENT", "EXTENDS",
    "IMPLEMENTS", "CUSTOMIZES", "NAMESPACE", "USING", "LOCAL", "INTERNAL", "PROTECTED", "EVENT", "ARRAY",
    "OPTION", "LABEL", "TEXTCONST", "IS", "AS",
    "SOURCETABLE", "SOURCETABLETEMPORARY", "TABLETYPE", "TABLENO", "SUBTYPE", "SINGLEINSTANCE",
    "EVENTSUBSCRIBERINSTANCE", "ACCESS", "OBSOLETESTATE", "PAGETYPE", "IMPLEMENTATION",
    "DEFAULTIMPLEMENTATION", "UNKNOWNVALUEIMPLEMENTATION", "VISIBLE", "ENABLED", "EDITABLE", "HIDEVALUE",
    "SHOWMANDATORY", "QUICKENTRY",
}
_SPELLING = {
    "SOURCETABLE": "SourceTable", "SOURCETABLETEMPORARY": "SourceTableTemporary", "TABLETYPE": "TableType",
    "TABLENO": "TableNo", "SUBTYPE": "Subtype", "SINGLEINSTANCE": "SingleInstance",
    "EVENTSUBSCRIBERINSTANCE": "EventSubscriberInstance", "ACCESS": "Access",
    "OBSOLETESTATE": "ObsoleteState", "PAGETYPE": "PageType", "IMPLEMENTATION": "Implementation",
    "DEFAULTIMPLEMENTATION": "DefaultImplementation",
    "UNKNOWNVALUEIMPLEMENTATION": "UnknownValueImplementation", "VISIBLE": "Visible",
    "ENABLED": "Enabled", "EDITABLE": "Editable", "HIDEVALUE": "HideValue",
    "SHOWMANDATORY": "ShowMandatory", "QUICKENTRY": "QuickEntry",
}
_PUNCTUATION = {
    "LPAR": "(", "RPAR": ")", "LSQB": "[", "RSQB": "]", "LBRACE": "{", "RBRACE": "}", "COMMA": ",",
    "SEMICOLON": ";", "DOT": ".", "DOTDOT": "..", "COLON": ":", "DCOLON": "::", "QMARK": "?",
    "ASSIGN": ":=", "PLUS_ASSIGN": "+=", "MINUS_ASSIGN": "-=", "STAR_ASSIGN": "*=", "SLASH_ASSIGN": "/=",
    "EQ": "=", "NE": "<>", "LT": "<", "GT": ">", "LE": "<=", "GE": ">=", "PLUS": "+", "MINUS": "-",
    "STAR": "*", "SLASH": "/",
}
_LITERALS = {
    "INTEGER_LIT": "a number", "DECIMAL_LIT": "a number", "BIGINT_LIT": "a number",
    "DATE_LIT": "a date", "TIME_LIT": "a time", "DATETIME_LIT": "a datetime",
    "STRING": "a text literal", "ML_STRING": "a text literal", "IDENT": "a name",
    "QUOTED_IDENT": "a name", "OTHER_CHAR": "a filter character",
}

_NAME_TOKENS = {"IDENT", "QUOTED_IDENT"} | _CONTEXTUAL
_LITERAL_TOKENS = {"INTEGER_LIT", "DECIMAL_LIT", "BIGINT_LIT", "DATE_LIT", "TIME_LIT", "DATETIME_LIT",
                   "STRING", "ML_STRING", "TRUE", "FALSE"}
_EXPRESSION_START = _NAME_TOKENS | _LITERAL_TOKENS | {"NOT", "MINUS", "PLUS", "LPAR", "THIS"}
_STATEMENT_START = {"IF", "CASE", "WHILE", "REPEAT", "FOR", "FOREACH", "WITH", "EXIT", "ASSERTERROR", "BEGIN"}
_BINARY_OPERATORS = {"EQ", "NE", "LT", "GT", "LE", "GE", "IN", "IS", "AS", "PLUS", "MINUS", "OR",
                     "STAR", "SLASH", "DIV", "MOD", "AND", "XOR", "QMARK"}
_POSTFIX_OPERATORS = {"DOT", "LPAR", "LSQB", "DCOLON"}
_ASSIGN_OPERATORS = {"ASSIGN", "PLUS_ASSIGN", "MINUS_ASSIGN", "STAR_ASSIGN", "SLASH_ASSIGN"}

_MAX_LISTED = 6


def terminal_words(name: str) -> str:
    """A terminal as an error message shows it: ``'end'``, ``';'``, ``a name``."""
    if name in _RESERVED or name in _CONTEXTUAL:
        return f"'{_SPELLING.get(name, name.lower())}'"
    if name in _PUNCTUATION:
        return f"'{_PUNCTUATION[name]}'"
    if name in _LITERALS:
        return _LITERALS[name]
    if name == "$END":
        return "end of file"
    return name.lower()


def describe_token(token: Token) -> str:
    """The found token: ``'end'``, ``name 'Foo'``, ``text 'abc'``, ``number 42``, ``';'``."""
    kind = token.type
    value = str(token)
    if len(value) > 40:
        value = value[:37] + "..."
    if kind in _RESERVED or kind in _CONTEXTUAL:
        return f"'{value}'"
    if kind == "IDENT":
        return f"name '{value}'"
    if kind == "QUOTED_IDENT":
        return f"name {value}"
    if kind in ("STRING", "ML_STRING"):
        return f"text {value}"
    if kind in _LITERALS:
        return f"{_LITERALS[kind][2:]} {value}"
    return f"'{value}'"


def describe_expected(expected: Iterable[str]) -> str:
    """Collapse the parser's expected terminals to a short phrase: "';', 'else' or an operator"."""
    remaining = {name for name in expected if not name.startswith("__")}
    groups: list[str] = []
    if "OTHER_CHAR" in remaining:  # inside an opaque property value: anything but its end goes
        remaining &= {"SEMICOLON", "RPAR", "RSQB"}
        groups.append("more of the property value")
    if {"DOWNTO", "UNTIL", "ASSERTERROR"} <= remaining:  # reserved words accepted as names (`value(1; IN)`)
        remaining -= _RESERVED - _EXPRESSION_START
        remaining.add("IDENT")
    if {"IF", "WHILE", "BEGIN"} <= remaining:
        groups.append("a statement")
        remaining -= _STATEMENT_START | _EXPRESSION_START
    elif {"IDENT", "NOT", "INTEGER_LIT", "STRING"} <= remaining:
        groups.append("an expression")
        remaining -= _EXPRESSION_START
    elif "IDENT" in remaining:
        groups.append("a name")
        remaining -= _NAME_TOKENS
    if len(remaining & _BINARY_OPERATORS) >= 3:
        groups.append("an operator")
        remaining -= _BINARY_OPERATORS | _POSTFIX_OPERATORS
    if len(remaining & _ASSIGN_OPERATORS) >= 3:  # `:=` stands for all assignment operators
        remaining = (remaining - _ASSIGN_OPERATORS) | {"ASSIGN"}
    if remaining >= _POSTFIX_OPERATORS:  # `(` and `.` stand for calls, members, indexes, scopes
        remaining -= {"LSQB", "DCOLON"}
    if len(remaining & _LITERAL_TOKENS) >= 3:
        groups.append("a literal")
        remaining -= _LITERAL_TOKENS
    words = sorted({terminal_words(name) for name in remaining}, key=_word_order)
    if len(words) > _MAX_LISTED:
        words = words[:_MAX_LISTED] + ["something else"]
    items = words + groups
    if not items:
        return "something else"
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " or " + items[-1]


def _word_order(word: str) -> tuple[int, str]:
    # punctuation first, then keywords, then categories
    if word.startswith("'") and not word[1:2].isalpha():
        return (0, word)
    if word.startswith("'"):
        return (1, word)
    return (2, word)


# --------------------------------------------------------------------------- unterminated literals

_SCAN = re.compile(
    r"""//[^\n]*                      # line comment
      | /\*(?:[^*]|\*(?!/))*(?:\*/)?  # block comment, maybe unterminated
      | @'(?:[^']|'')*'?              # multi-line text
      | '(?:[^'\r\n]|'')*'?           # text
      | "(?:[^"\r\n]|"")*"?           # quoted name
      | [^/'"@]+ | [/@]               # anything else
    """,
    re.VERBOSE,
)


def unterminated_at(text: str, limit: int) -> tuple[Span, str] | None:
    """The first unterminated comment, text or quoted name that starts at or before offset ``limit``."""
    pos = 0
    while pos <= limit and pos < len(text):
        match = _SCAN.match(text, pos)
        if match is None:  # pragma: no cover - the pattern matches every character
            return None
        piece = match.group(0)
        problem = None
        if piece.startswith("/*") and not (len(piece) >= 4 and piece.endswith("*/")):
            problem = "unterminated comment: '/*' has no closing '*/'"
        elif piece.startswith("@'") and (len(piece) < 3 or not _closed(piece[1:])):
            problem = "unterminated text: @' has no closing '"
        elif piece.startswith("'") and not _closed(piece):
            problem = "unterminated text: ' has no closing ' on the same line"
        elif piece.startswith('"') and not _closed(piece, '"'):
            problem = "unterminated quoted name: \" has no closing \" on the same line"
        if problem is not None:
            line = text.count("\n", 0, pos) + 1
            column = pos - (text.rfind("\n", 0, pos) + 1) + 1
            return Span(line, column, line, column + (2 if piece.startswith(("/*", "@'")) else 1)), problem
        pos = match.end()
    return None


def _closed(piece: str, quote: str = "'") -> bool:
    """Whether a scanned literal ``piece`` (starting with ``quote``) ends with its closing quote."""
    if len(piece) < 2 or not piece.endswith(quote):
        return False
    body = piece[1:-1]
    # the body is pairs of quotes and other characters; an odd trailing quote means it is open
    return (len(body) - len(body.rstrip(quote))) % 2 == 0
