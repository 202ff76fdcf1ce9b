"""The AST builder's rules for declarations: procedures and triggers, properties, elements (fields,
controls, actions...), objects and the compilation unit; mixed into
:class:`pbtlint.transform.AstBuilder`, whose other rules build names, expressions, statements and types."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lark import Token

from pbtlint import nodes as n
from pbtlint.span import Span
from pbtlint.transform_parts import (
    _Args,
    _cover,
    _Header,
    _QName,
    _replace_var,
    _VarMarker,
    meta_span,
    token_span,
)


class DeclarationRules:
    """Rule methods for declarations (see :class:`pbtlint.transform.AstBuilder` for the calling
    convention); ``_source`` is the builder's."""

    def _source(self, span: Span) -> str:  # pragma: no cover - AstBuilder's own is used
        raise NotImplementedError

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
