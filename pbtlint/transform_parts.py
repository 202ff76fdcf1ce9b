"""The pieces the AST builder (:mod:`pbtlint.transform`) shares between its rules: spans from tokens
and positions, unquoting, and the small intermediate values a rule hands its parent (a qualified
name, element arguments, a procedure header) before the parent builds a public node."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lark import Token

from pbtlint import nodes as n
from pbtlint.span import Span

# --------------------------------------------------------------------------- helpers


def token_span(tok: Token) -> Span:
    return Span(tok.line, tok.column, tok.end_line, tok.end_column)


def meta_span(meta: Any) -> Span:
    """The span of a node from the one-pass parser's extent (a tuple, or None for a node without
    text) or from a Lark tree's ``Meta``."""
    if meta.__class__ is tuple:
        return Span(meta[0], meta[1], meta[2], meta[3])
    if getattr(meta, "empty", True):
        return Span(0, 0, 0, 0)
    return Span(meta.line, meta.column, meta.end_line, meta.end_column)


def unquote_identifier(text: str) -> str:
    """``"Sales Header"`` -> ``Sales Header``; ``""`` inside is one quote."""
    return text[1:-1].replace('""', '"') if text.startswith('"') else text


def unquote_text(text: str) -> str:
    """``'it''s'`` -> ``it's``; ``@'...'`` multi-line text likewise."""
    if text.startswith("@"):
        text = text[1:]
    return text[1:-1].replace("''", "'")


_PLAIN_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _needs_quotes(name: str) -> bool:
    return not name or name[0].isdigit() or any(c not in _PLAIN_NAME_CHARS and not c.isalpha() for c in name)


@dataclass(frozen=True, slots=True)
class _QName:
    """A dotted name (``Microsoft.Sales."Sales-Post"``) while it is being built."""

    parts: tuple[n.Identifier, ...]
    span: Span

    @property
    def text(self) -> str:
        """One segment: as written without quotes. Several: dotted, quoting segments that need it."""
        if len(self.parts) == 1:
            return self.parts[0].name
        return ".".join(f'"{p.name}"' if _needs_quotes(p.name) else p.name for p in self.parts)


@dataclass(frozen=True, slots=True)
class _Args:
    """Arguments of an element header: each argument is a list of comma-separated expressions."""

    groups: tuple[tuple[Any, ...], ...]
    span: Span


@dataclass(frozen=True, slots=True)
class _VarMarker:
    protected: bool


@dataclass(frozen=True, slots=True)
class _Header:
    span: Span
    access: str
    name: n.Identifier
    params: tuple[n.Parameter, ...]
    ret: tuple[str | None, n.TypeRef] | None


_LITERAL_KINDS = {
    "INTEGER_LIT": "integer",
    "DECIMAL_LIT": "decimal",
    "BIGINT_LIT": "biginteger",
    "DATE_LIT": "date",
    "TIME_LIT": "time",
    "DATETIME_LIT": "datetime",
    "STRING": "text",
    "ML_STRING": "text",
    "TRUE": "boolean",
    "FALSE": "boolean",
}

_ASSIGN_OPS = {"ASSIGN": ":=", "PLUS_ASSIGN": "+=", "MINUS_ASSIGN": "-=", "STAR_ASSIGN": "*=", "SLASH_ASSIGN": "/="}


def _span_of(item: Any) -> Span:
    if isinstance(item, Token):
        return token_span(item)
    return item.span


def _cover(items: Sequence[Any]) -> Span:
    spans = [_span_of(i) for i in items if i is not None]
    span = spans[0]
    for s in spans[1:]:
        span = span.cover(s)
    return span


def _to_name(item: Any) -> str:
    """The text of a name-ish child: an Identifier, a qualified name or a keyword token."""
    if isinstance(item, n.Identifier):
        return item.name
    if isinstance(item, _QName):
        return item.text
    if isinstance(item, Token):
        return unquote_identifier(str(item))
    raise TypeError(f"not a name: {item!r}")


def _stmt_or_empty(stmt: Any, at: Span) -> n.Stmt:
    if stmt is None:
        return n.EmptyStmt(Span(at.end_line, at.end_column, at.end_line, at.end_column))
    return stmt


def _fold(children: list[Any], span: Span) -> n.Expr:
    """Fold a flat operator chain ``[a, OP, b, OP, c]`` to the left."""
    left = children[0]
    i = 1
    while i < len(children):
        op_tok, right = children[i], children[i + 1]
        op = str(op_tok).lower()
        s = left.span.cover(right.span)
        if op_tok.type == "IN":
            left = n.Binary(s, "in", left, right)
        elif op_tok.type in ("IS", "AS"):
            left = n.TypeTest(s, op, left, _to_name(right))
        else:
            left = n.Binary(s, op, left, right)
        i += 2
    return left


def _replace_type(t: n.TypeRef, **changes: Any) -> n.TypeRef:
    from dataclasses import replace

    return replace(t, **changes)


def _attach_attributes(items: Sequence[Any], protected: bool) -> list[n.Variable]:
    """Variables of a var list, each with the attributes written just before it."""
    out: list[n.Variable] = []
    pending: list[n.Attribute] = []
    for item in items:
        if isinstance(item, n.Attribute):
            pending.append(item)
        elif isinstance(item, tuple):
            for var in item:
                out.append(_replace_var(var, tuple(pending), protected))
            pending = []
    return out


def _replace_var(var: n.Variable, attributes: tuple[n.Attribute, ...], protected: bool) -> n.Variable:
    return n.Variable(var.span, var.name, var.type, attributes, protected)
