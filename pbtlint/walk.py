"""Iterative walks over the typed AST (:mod:`pbtlint.nodes`).

Expressions can nest tens of thousands of levels deep, so nothing here recurses. The child
fields of each node class are computed once from its dataclass fields.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from pbtlint import nodes as n
from pbtlint.nodes import norm

_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(cls: type) -> tuple[str, ...]:
    fields = _CHILD_FIELDS.get(cls)
    if fields is None:
        fields = tuple(f.name for f in dataclasses.fields(cls) if f.name != "span")
        _CHILD_FIELDS[cls] = fields
    return fields


def _is_node(value: object) -> bool:
    return isinstance(value, n.Expr | n.Stmt | n.CaseBranch)


def children(node: object) -> list[object]:
    """The direct child nodes (expressions, statements, case branches) of ``node``, in source order."""
    out: list[object] = []
    for name in _child_fields(type(node)):
        value = getattr(node, name)
        if _is_node(value):
            out.append(value)
        elif isinstance(value, tuple):
            for item in value:
                if _is_node(item):
                    out.append(item)
    return out


def iter_nodes(root: object) -> Iterator[object]:
    """Every statement, expression and case branch under ``root`` (itself included), pre-order."""
    stack: list[object] = [root]
    while stack:
        node = stack.pop()
        yield node
        kids = children(node)
        kids.reverse()
        stack.extend(kids)


def iter_calls(root: object) -> Iterator[n.Call]:
    """Every :class:`~pbtlint.nodes.Call` under ``root``, in source order."""
    for node in iter_nodes(root):
        if isinstance(node, n.Call):
            yield node


def procedure_roots(proc: n.Procedure) -> list[object]:
    """What a procedure's body walk starts from (its body, if any)."""
    return [proc.body] if proc.body is not None else []


def dotted_name(expr: n.Expr) -> str | None:
    """``A.B."C D"`` as ``A.B.C D`` when ``expr`` is a chain of plain names, else None."""
    parts: list[str] = []
    cur: n.Expr = expr
    while isinstance(cur, n.MemberAccess):
        parts.append(cur.member)
        cur = cur.receiver
    if not isinstance(cur, n.Identifier):
        return None
    parts.append(cur.name)
    parts.reverse()
    return ".".join(parts)


def scoped_object_name(expr: n.Expr) -> tuple[str, str] | None:
    """``Codeunit::"Sales-Post"`` -> ``("codeunit", "Sales-Post")``; also namespace-qualified names,
    whether the front end folds them into the ScopeAccess or leaves a MemberAccess chain after it."""
    suffix: list[str] = []
    cur = expr
    while isinstance(cur, n.MemberAccess):
        suffix.append(cur.member)
        cur = cur.receiver
    if not isinstance(cur, n.ScopeAccess) or not isinstance(cur.left, n.Identifier):
        return None
    suffix.reverse()
    name = ".".join([cur.right, *suffix])
    return norm(cur.left.name), name
