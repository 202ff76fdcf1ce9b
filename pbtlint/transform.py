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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lark import Token, Transformer_NonRecursive, Tree

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


# --------------------------------------------------------------------------- the transformer


class AstBuilder(Transformer_NonRecursive):
    """Builds ``pbtlint.nodes`` objects from the parse tree of ``pbtlint/al.lark``.

    Each rule's method takes the node's position (Lark's ``Meta``, or anything with its ``empty``,
    ``line``, ``column``, ``end_line`` and ``end_column``) and the already built children, so that
    :mod:`pbtlint.astparse` can call it while parsing, with no tree in between.
    """

    def __init__(self, text: str) -> None:
        super().__init__(visit_tokens=False)  # no terminal has a method
        self._lines = text.split("\n")

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

    # ---- procedures and triggers

    def param(self, meta: Any, ch: list[Any]) -> tuple[n.Parameter, ...]:
        var_tok, *names, type_ref = ch
        by_ref = var_tok is not None
        return tuple(n.Parameter(nm.span, nm.name, type_ref, by_ref) for nm in names)

    def param_list(self, meta: Any, ch: list[Any]) -> tuple[n.Parameter, ...]:
        return tuple(p for group in ch for p in group)

    def return_spec(self, meta: Any, ch: list[Any]) -> tuple[str | None, n.TypeRef]:
        name, type_ref = ch
        return (name.name if name is not None else None, type_ref)

    def access(self, meta: Any, ch: list[Any]) -> str:
        return str(ch[0]).lower()

    def procedure_header(self, meta: Any, ch: list[Any]) -> _Header:
        access = "public"
        rest = list(ch)
        if rest and isinstance(rest[0], str) and not isinstance(rest[0], Token):
            access = rest.pop(0)
        name, params, *ret = rest
        return _Header(meta_span(meta), access, name, params, ret[0] if ret else None)

    def _routine(self, meta: Any, kind: str, header: _Header, rest: list[Any]) -> n.Procedure:
        variables = tuple(v for c in rest if isinstance(c, tuple) for v in c)
        body = next((c for c in rest if isinstance(c, n.Block)), None)
        ret_name, ret_type = header.ret if header.ret else (None, None)
        return n.Procedure(
            meta_span(meta),
            kind,  # type: ignore[arg-type]
            header.name.name,
            header.name.span,
            header.access,  # type: ignore[arg-type]
            (),
            header.params,
            ret_type,
            ret_name,
            variables,
            body,
        )

    def procedure_def(self, meta: Any, ch: list[Any]) -> n.Procedure:
        return self._routine(meta, "procedure", ch[0], ch[1:])

    def procedure_decl(self, meta: Any, ch: list[Any]) -> n.Procedure:
        return self._routine(meta, "procedure", ch[0], [])

    def event_decl(self, meta: Any, ch: list[Any]) -> n.Procedure:
        name, params = ch[0], ch[1]
        return self._routine(meta, "event", _Header(meta_span(meta), "public", name, params, None), [])

    def trigger_name(self, meta: Any, ch: list[Any]) -> n.Identifier:
        if len(ch) == 1 or ch[1] is None:
            return ch[0]
        return n.Identifier(meta_span(meta), f"{ch[0].name}::{ch[1].name}", False)

    def trigger_def(self, meta: Any, ch: list[Any]) -> n.Procedure:
        name, params, *rest = ch
        ret = next((c for c in rest if isinstance(c, tuple) and len(c) == 2 and isinstance(c[1], n.TypeRef)), None)
        rest = [c for c in rest if c is not ret]
        header = _Header(meta_span(meta), "public", name, params, ret)
        return self._routine(meta, "trigger", header, rest)

    # ---- properties

    def property(self, meta: Any, ch: list[Any]) -> n.Property:
        name, *value = ch
        text = self._source(_cover(value)) if value else ""
        return n.Property(meta_span(meta), name.name, text)

    def name_property(self, meta: Any, ch: list[Any]) -> n.Property:
        key, value = ch
        if isinstance(value, _QName):
            expr: n.Expr = n.Identifier(value.span, value.text, any(p.quoted for p in value.parts))
        elif isinstance(value, Token):  # `temporary`
            expr = n.Identifier(token_span(value), str(value), False)
        else:
            expr = value
        return n.Property(meta_span(meta), str(key), self._source(expr.span), expr)

    def impl_pair(self, meta: Any, ch: list[Any]) -> tuple[str, str]:
        return (ch[0].text, ch[1].text)

    def impl_property(self, meta: Any, ch: list[Any]) -> n.Property:
        key, *pairs = ch
        return n.Property(meta_span(meta), str(key), ", ".join(f"{a} = {b}" for a, b in pairs))

    def expr_property(self, meta: Any, ch: list[Any]) -> n.Property:
        key, value = ch
        return n.Property(meta_span(meta), str(key), self._source(value.span), value)

    # ---- elements

    def element_arg(self, meta: Any, ch: list[Any]) -> tuple[Any, ...]:
        return tuple(ch)

    def enum_type_arg(self, meta: Any, ch: list[Any]) -> tuple[Any, ...]:
        return (n.TypeRef(meta_span(meta), "Enum", ch[0].text),)

    def element_args(self, meta: Any, ch: list[Any]) -> _Args:
        return _Args(tuple(ch), meta_span(meta))

    def element_body(self, meta: Any, ch: list[Any]) -> list[Any]:
        return list(ch)

    def element(self, meta: Any, ch: list[Any]) -> n.Element:
        kind_name = ch[0]
        args = next((c for c in ch[1:] if isinstance(c, _Args)), None)
        body = next((c for c in ch[1:] if isinstance(c, list)), [])
        members = _Members(body)
        kind = kind_name.name.lower()
        elem_id, name, type_ref, source, arg_texts = _element_header(kind, args, self._source)
        return n.Element(
            meta_span(meta),
            kind,
            name,
            elem_id,
            arg_texts,
            type_ref,
            source,
            members.properties,
            members.triggers,
            members.elements,
            members.variables,
        )

    # ---- objects

    def object_kind(self, meta: Any, ch: list[Any]) -> Token:
        return ch[0]

    def extends_clause(self, meta: Any, ch: list[Any]) -> tuple[str, tuple[str, ...]]:
        return ("extends", tuple(q.text for q in ch))

    def implements_clause(self, meta: Any, ch: list[Any]) -> tuple[str, tuple[str, ...]]:
        return ("implements", tuple(q.text for q in ch))

    def customizes_clause(self, meta: Any, ch: list[Any]) -> tuple[str, tuple[str, ...]]:
        return ("extends", (ch[0].text,))

    def object_decl(self, meta: Any, ch: list[Any]) -> n.AlObject:
        kind_tok, id_tok, name, *rest = ch
        return self._object(meta, str(kind_tok).lower(), id_tok, name, rest)

    def interface_decl(self, meta: Any, ch: list[Any]) -> n.AlObject:
        _, name, *rest = ch
        # An interface's `extends` list is kept in `implements` (see AlObject).
        rest = [("implements", c[1]) if isinstance(c, tuple) and c[:1] == ("extends",) else c for c in rest]
        return self._object(meta, "interface", None, name, rest)

    def controladdin_decl(self, meta: Any, ch: list[Any]) -> n.AlObject:
        _, name, *rest = ch
        return self._object(meta, "controladdin", None, name, rest)

    def dotnet_decl(self, meta: Any, ch: list[Any]) -> n.AlObject:
        tok, *rest = ch
        return self._object(meta, "dotnet", None, n.Identifier(token_span(tok), "", False), rest)

    def _object(self, meta: Any, kind: str, id_tok: Any, name: n.Identifier, rest: list[Any]) -> n.AlObject:
        extends: str | None = None
        implements: tuple[str, ...] = ()
        body: list[Any] = []
        for c in rest:
            if isinstance(c, tuple) and len(c) == 2 and c[0] in ("extends", "implements"):
                if c[0] == "extends":
                    extends = c[1][0] if c[1] else None
                else:
                    implements = c[1]
            else:
                body.append(c)
        members = _Members(body)
        return n.AlObject(
            meta_span(meta),
            kind,  # type: ignore[arg-type]
            int(str(id_tok)) if id_tok is not None else None,
            name.name,
            name.span,
            extends,
            implements,
            members.properties,
            members.variables,
            members.procedures,
            members.triggers,
            members.elements,
        )

    def namespace_decl(self, meta: Any, ch: list[Any]) -> tuple[str, str]:
        return ("namespace", ch[0].text)

    def using_decl(self, meta: Any, ch: list[Any]) -> tuple[str, str]:
        return ("using", ch[0].text)

    def compilation_unit(self, meta: Any, ch: list[Any]) -> n.CompilationUnit:
        namespace = next((c[1] for c in ch if isinstance(c, tuple) and c[0] == "namespace"), None)
        usings = tuple(c[1] for c in ch if isinstance(c, tuple) and c[0] == "using")
        objects = tuple(c for c in ch if isinstance(c, n.AlObject))
        span = meta_span(meta)
        if span.line == 0:
            span = Span(1, 1, 1, 1)
        return n.CompilationUnit(span, namespace, usings, objects)


# --------------------------------------------------------------------------- member lists


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


class _Members:
    """Sorts a flat member list (properties, elements, triggers, procedures, var markers, variable
    declarations, attributes) into the fields of an object or element."""

    def __init__(self, items: Sequence[Any]) -> None:
        properties: list[n.Property] = []
        variables: list[n.Variable] = []
        procedures: list[n.Procedure] = []
        triggers: list[n.Procedure] = []
        elements: list[n.Element] = []
        pending: list[n.Attribute] = []
        protected = False
        for item in items:
            if isinstance(item, n.Attribute):
                pending.append(item)
            elif isinstance(item, _VarMarker):
                protected = item.protected
            elif isinstance(item, tuple) and item and isinstance(item[0], n.Variable):
                for var in item:
                    variables.append(_replace_var(var, tuple(pending), protected))
                pending = []
            elif isinstance(item, n.Procedure):
                if pending:
                    item = _with_attributes(item, tuple(pending))
                    pending = []
                (triggers if item.kind == "trigger" else procedures).append(item)
            elif isinstance(item, n.Property):
                properties.append(item)
            elif isinstance(item, n.Element):
                elements.append(item)
        self.properties = tuple(properties)
        self.variables = tuple(variables)
        self.procedures = tuple(procedures)
        self.triggers = tuple(triggers)
        self.elements = tuple(elements)


def _with_attributes(proc: n.Procedure, attributes: tuple[n.Attribute, ...]) -> n.Procedure:
    from dataclasses import replace

    return replace(proc, attributes=attributes, span=attributes[0].span.cover(proc.span))


def _expr_to_type(expr: Any) -> n.TypeRef | None:
    """A table field's data type written as an expression: ``Code[20]``, ``Integer``, ``Enum "X"``."""
    if isinstance(expr, n.TypeRef):
        return expr
    if isinstance(expr, n.Identifier):
        return n.TypeRef(expr.span, expr.name)
    if isinstance(expr, n.Index) and isinstance(expr.target, n.Identifier):
        length = expr.indexes[0]
        text = length.value if isinstance(length, n.LiteralValue) else None
        return n.TypeRef(expr.span, expr.target.name, length=text)
    return None


_NUMBERED = frozenset({"field", "value"})


def _element_header(
    kind: str, args: _Args | None, source_of: Any
) -> tuple[int | None, str, n.TypeRef | None, n.Expr | None, tuple[str, ...]]:
    """(id, name, type, source, argument texts) of an element header such as ``field(1; "No."; Code[20])``."""
    if args is None:
        return None, "", None, None, ()
    groups = list(args.groups)
    texts = tuple(source_of(_cover(g)) if g else "" for g in groups)
    elem_id: int | None = None
    if (
        kind in _NUMBERED
        and len(groups) >= 2
        and len(groups[0]) == 1
        and isinstance(groups[0][0], n.LiteralValue)
        and groups[0][0].kind == "integer"
    ):
        elem_id = int(groups[0][0].value)
        groups = groups[1:]
    first = groups[0][0] if groups and groups[0] else None
    name = first.name if isinstance(first, n.Identifier) else (texts[-len(groups)] if groups else "")
    type_ref: n.TypeRef | None = None
    source: n.Expr | None = None
    if len(groups) >= 2 and len(groups[1]) == 1:
        second = groups[1][0]
        if kind == "field" and elem_id is not None:
            type_ref = _expr_to_type(second)
        elif isinstance(second, n.Expr):
            source = second
    return elem_id, name, type_ref, source, texts


@functools.cache
def rule_methods() -> dict[str, Any]:
    """AstBuilder's method for each grammar rule, by rule name (plain functions: builder, meta, children)."""
    return {name: value for name, value in vars(AstBuilder).items()
            if callable(value) and not name.startswith("_")}


def to_ast(tree: Tree, text: str = "") -> n.CompilationUnit:
    """The typed AST of a ``compilation_unit`` parse tree; ``text`` is the parsed source (for the
    source text kept in properties and element arguments)."""
    return AstBuilder(text).transform(tree)
