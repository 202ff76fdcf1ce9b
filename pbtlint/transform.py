"""Grammar rules -> typed AST (``pbtlint.nodes``).

One method per grammar rule, given the node's position and its already built children. The front
end calls them while parsing (:mod:`pbtlint.astparse`); they also run over a Lark parse tree with
Lark's non-recursive transformer (:func:`to_ast`), so that very deep trees (thousands of nested
parentheses) never reach Python's recursion limit either way. Rules whose result is only
an intermediate value (a name, a qualified name, an argument list) return small private helpers
that their parent unpacks; every public node gets the span of the source it came from.
"""

from __future__ import annotations

import functools
import sys
from typing import Any

from lark import Token, Transformer_NonRecursive, Tree

from pbtlint import nodes as n
from pbtlint.span import Span
from pbtlint.transform_decl import DeclarationRules
from pbtlint.transform_parts import (
    _ASSIGN_OPS,
    _LITERAL_KINDS,
    _attach_attributes,
    _cover,
    _fold,
    _QName,
    _replace_type,
    _stmt_or_empty,
    _VarMarker,
    meta_span,
    token_span,
    unquote_identifier,
    unquote_text,
)

__all__ = ["AstBuilder", "meta_span", "rule_methods", "to_ast", "token_span", "unquote_identifier", "unquote_text"]


# --------------------------------------------------------------------------- the transformer


class AstBuilder(DeclarationRules, Transformer_NonRecursive):
    """Builds ``pbtlint.nodes`` objects from the parse tree of ``pbtlint/al.lark``.

    Each rule's method takes the node's position (Lark's ``Meta``, or anything with its ``empty``,
    ``line``, ``column``, ``end_line`` and ``end_column``) and the already built children, so that
    :mod:`pbtlint.astparse` can call it while parsing, with no tree in between.
    """

    def __init__(self, text: str) -> None:
        super().__init__(visit_tokens=False)  # no terminal has a method
        self._text = text
        self._lines: list[str] | None = None  # split when a property's text is first asked for: most bodies never do

    def _call_userfunc(self, tree: Tree, new_children: list[Any] | None = None) -> Any:
        children = new_children if new_children is not None else tree.children
        method = rule_methods().get(tree.data)
        if method is None:  # Lark's default: the tree stays
            return Tree(tree.data, children, tree.meta)
        return method(self, tree.meta, children)

    def _source(self, span: Span) -> str:
        """The source text of ``span``, whitespace collapsed."""
        if span.line <= 0:
            return ""
        if self._lines is None:
            self._lines = self._text.split("\n")
        lines = self._lines[span.line - 1 : span.end_line]
        if not lines:
            return ""
        if len(lines) == 1:
            text = lines[0][span.column - 1 : span.end_column - 1]
        else:
            text = "\n".join([lines[0][span.column - 1 :], *lines[1:-1], lines[-1][: span.end_column - 1]])
        return " ".join(text.split())

    # ---- names

    # Names are interned: the same few thousand recur all over an app, and one string each makes the
    # trees smaller in memory and in the cache's pickles.

    def name(self, meta: Any, ch: list[Any]) -> n.Identifier:
        tok = ch[0]
        text = str(tok)
        quoted = text.startswith('"')
        return n.Identifier(token_span(tok), sys.intern(unquote_identifier(text)), quoted)

    def member_name(self, meta: Any, ch: list[Any]) -> n.Identifier:
        item = ch[0]
        if isinstance(item, n.Identifier):
            return item
        text = str(item)
        return n.Identifier(token_span(item), sys.intern(unquote_identifier(text)), text.startswith('"'))

    def qualified_name(self, meta: Any, ch: list[Any]) -> _QName:
        parts = tuple(c if isinstance(c, n.Identifier) else self.member_name(meta, [c]) for c in ch)
        return _QName(parts, _cover(parts))

    prop_name = member_name
    type_name = member_name

    def type_object(self, meta: Any, ch: list[Any]) -> _QName:
        """The object of a type: a (qualified) name, or an object id (``Record 380``) kept as text."""
        parts = tuple(c if isinstance(c, n.Identifier) else self.member_name(meta, [c]) for c in ch)
        return _QName(parts, _cover(parts))

    # ---- expressions

    def literal(self, meta: Any, ch: list[Any]) -> n.LiteralValue:
        tok = ch[0]
        kind = _LITERAL_KINDS[tok.type]
        value = unquote_text(str(tok)) if kind == "text" else str(tok)
        return n.LiteralValue(token_span(tok), kind, value)  # type: ignore[arg-type]

    def this(self, meta: Any, ch: list[Any]) -> n.This:
        return n.This(meta_span(meta))

    def relational(self, meta: Any, ch: list[Any]) -> n.Expr:
        return _fold(ch, meta_span(meta))

    additive = relational
    multiplicative = relational
    type_test = relational

    def unary(self, meta: Any, ch: list[Any]) -> n.Unary:
        op, operand = ch
        return n.Unary(token_span(op).cover(operand.span), str(op).lower(), operand)  # type: ignore[arg-type]

    def ternary(self, meta: Any, ch: list[Any]) -> n.Ternary:
        cond, then, else_ = ch
        return n.Ternary(cond.span.cover(else_.span), cond, then, else_)

    def member_access(self, meta: Any, ch: list[Any]) -> n.MemberAccess:
        recv, member = ch
        return n.MemberAccess(recv.span.cover(member.span), recv, member.name, member.span)

    def scope_access(self, meta: Any, ch: list[Any]) -> n.ScopeAccess:
        left, right = ch
        return n.ScopeAccess(left.span.cover(right.span), left, right.name, right.span)

    def call(self, meta: Any, ch: list[Any]) -> n.Call:
        callee, *args = ch
        return n.Call(meta_span(meta), callee, tuple(args))

    def index(self, meta: Any, ch: list[Any]) -> n.Index:
        target, *idx = ch
        return n.Index(meta_span(meta), target, tuple(idx))

    def set_literal(self, meta: Any, ch: list[Any]) -> n.SetLiteral:
        return n.SetLiteral(meta_span(meta), tuple(ch))

    def range(self, meta: Any, ch: list[Any]) -> n.Range:
        low, high = ch
        return n.Range(meta_span(meta), low, high)

    # ---- statements

    def block(self, meta: Any, ch: list[Any]) -> n.Block:
        return n.Block(meta_span(meta), tuple(c for c in ch if c is not None))

    def if_stmt(self, meta: Any, ch: list[Any]) -> n.If:
        span = meta_span(meta)
        cond, then = ch[0], ch[1]
        else_: n.Stmt | None = None
        if len(ch) > 2:
            else_ = _stmt_or_empty(ch[2], span)
        return n.If(span, cond, _stmt_or_empty(then, span), else_)

    def case_stmt(self, meta: Any, ch: list[Any]) -> n.Case:
        expr, *rest = ch
        branches = tuple(c for c in rest if isinstance(c, n.CaseBranch))
        else_ = next((c for c in rest if isinstance(c, tuple)), None)
        return n.Case(meta_span(meta), expr, branches, else_)

    def case_branch(self, meta: Any, ch: list[Any]) -> n.CaseBranch:
        span = meta_span(meta)
        *labels, body = ch
        return n.CaseBranch(span, tuple(labels), _stmt_or_empty(body, span))

    def case_else(self, meta: Any, ch: list[Any]) -> tuple[n.Stmt, ...]:
        return tuple(c for c in ch if c is not None)

    def while_stmt(self, meta: Any, ch: list[Any]) -> n.While:
        span = meta_span(meta)
        return n.While(span, ch[0], _stmt_or_empty(ch[1], span))

    def repeat_stmt(self, meta: Any, ch: list[Any]) -> n.Repeat:
        *body, cond = ch
        return n.Repeat(meta_span(meta), tuple(c for c in body if c is not None), cond)

    def for_stmt(self, meta: Any, ch: list[Any]) -> n.For:
        span = meta_span(meta)
        var, start, direction, end, body = ch
        return n.For(span, var, start, end, direction.type == "DOWNTO", _stmt_or_empty(body, span))

    def foreach_stmt(self, meta: Any, ch: list[Any]) -> n.Foreach:
        span = meta_span(meta)
        var, iterable, body = ch
        return n.Foreach(span, var, iterable, _stmt_or_empty(body, span))

    def with_stmt(self, meta: Any, ch: list[Any]) -> n.With:
        span = meta_span(meta)
        return n.With(span, ch[0], _stmt_or_empty(ch[1], span))

    def exit_stmt(self, meta: Any, ch: list[Any]) -> n.Exit:
        return n.Exit(meta_span(meta), ch[0] if ch else None)

    def asserterror_stmt(self, meta: Any, ch: list[Any]) -> n.AssertError:
        span = meta_span(meta)
        return n.AssertError(span, _stmt_or_empty(ch[0] if ch else None, span))

    def assignment(self, meta: Any, ch: list[Any]) -> n.Assign:
        target, op, value = ch
        return n.Assign(meta_span(meta), target, _ASSIGN_OPS[op.type], value)  # type: ignore[arg-type]

    def call_stmt(self, meta: Any, ch: list[Any]) -> n.Stmt:
        expr = ch[0]
        span = meta_span(meta)
        if isinstance(expr, n.Identifier) and not expr.quoted:
            word = expr.name.lower()
            if word == "break":
                return n.Break(span)
            if word == "continue":
                return n.Continue(span)
        return n.ExprStmt(span, expr)

    # ---- types and variables

    def simple_type(self, meta: Any, ch: list[Any]) -> n.TypeRef:
        type_name = ch[0]
        object_name = length = None
        temporary = False
        for c in ch[1:]:
            if isinstance(c, _QName):
                object_name = c.text
            elif isinstance(c, Token):
                temporary = temporary or c.type == "TEMPORARY"
            elif isinstance(c, str):
                length = c
        return n.TypeRef(meta_span(meta), type_name.name, object_name, temporary, length)

    def type_length(self, meta: Any, ch: list[Any]) -> str:
        return self._source(ch[0].span)

    def array_type(self, meta: Any, ch: list[Any]) -> n.TypeRef:
        *dims, inner = ch
        return _replace_type(
            inner, span=meta_span(meta), dimensions=tuple(self._source(d.span) for d in dims)
        )

    def generic_type(self, meta: Any, ch: list[Any]) -> n.TypeRef:
        type_name, *args = ch
        return n.TypeRef(meta_span(meta), type_name.name, args=tuple(args))

    def label_type(self, meta: Any, ch: list[Any]) -> n.TypeRef:
        text, *props = ch
        return n.TypeRef(
            meta_span(meta), "Label", label=unquote_text(str(text)), label_properties=tuple(p for p in props if p)
        )

    def textconst_type(self, meta: Any, ch: list[Any]) -> n.TypeRef:
        props = tuple(ch)
        first = props[0][1] if props else ""
        return n.TypeRef(meta_span(meta), "TextConst", label=first, label_properties=props)

    def label_prop(self, meta: Any, ch: list[Any]) -> tuple[str, str]:
        key, value = ch
        return (key.name, value.value)

    def option_type(self, meta: Any, ch: list[Any]) -> n.TypeRef:
        members = tuple(c.name if c is not None else "" for c in ch)
        return n.TypeRef(meta_span(meta), "Option", option_members=members)

    def var_decl(self, meta: Any, ch: list[Any]) -> tuple[n.Variable, ...]:
        *names, type_ref = ch
        return tuple(n.Variable(nm.span, nm.name, type_ref) for nm in names)

    def var_section(self, meta: Any, ch: list[Any]) -> tuple[n.Variable, ...]:
        return tuple(_attach_attributes(ch, protected=False))

    def var_marker(self, meta: Any, ch: list[Any]) -> _VarMarker:
        return _VarMarker(bool(ch and ch[0] is not None))

    def attribute(self, meta: Any, ch: list[Any]) -> n.Attribute:
        name, *args = ch
        return n.Attribute(meta_span(meta), name.name, tuple(a for a in args if a is not None))


@functools.cache
def rule_methods() -> dict[str, Any]:
    """AstBuilder's method for each grammar rule, by rule name (plain functions: builder, meta, children)."""
    return {name: value for cls in (DeclarationRules, AstBuilder) for name, value in vars(cls).items()
            if callable(value) and not name.startswith("_")}


def to_ast(tree: Tree, text: str = "") -> n.CompilationUnit:
    """The typed AST of a ``compilation_unit`` parse tree; ``text`` is the parsed source (for the
    source text kept in properties and element arguments)."""
    return AstBuilder(text).transform(tree)
