"""Iterative walks over the typed AST (:mod:`pbtlint.nodes`).

Expressions can nest tens of thousands of levels deep, so nothing here recurses. The child
fields of each node class are computed once from its dataclass fields.
"""

from __future__ import annotations

import builtins
import dataclasses
import re
import typing
from collections.abc import Iterator

from pbtlint import nodes as n
from pbtlint.nodes import norm

_NODE_TYPES = (n.Expr, n.Stmt, n.CaseBranch)
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}
_NOT_A_CLASS = frozenset({"Literal", "None", "tuple"})


def _may_hold_nodes(annotation: object) -> bool:
    """Whether a field so annotated can hold a walked node: its annotation names a node class, or
    something this cannot tell (then it is looked at)."""
    if not isinstance(annotation, str) or annotation.strip() == "tuple":  # a bare tuple may hold anything
        return True
    for word in re.findall(r"[A-Za-z_]\w*", re.sub(r"'[^']*'", "", annotation)):
        if word in _NOT_A_CLASS:
            continue
        cls = getattr(n, word, None) or getattr(builtins, word, None)
        if typing.get_origin(cls) is typing.Literal:  # an alias of words (ObjectKind, BinaryOp)
            continue
        if not isinstance(cls, type) or cls is object or issubclass(cls, _NODE_TYPES):
            return True
    return False


def _child_fields(cls: type) -> tuple[str, ...]:
    fields = _CHILD_FIELDS.get(cls)
    if fields is None:
        fields = tuple(f.name for f in dataclasses.fields(cls) if f.name != "span" and _may_hold_nodes(f.type))
        _CHILD_FIELDS[cls] = fields
    return fields


def children(node: object) -> list[object]:
    """The direct child nodes (expressions, statements, case branches) of ``node``, in source order."""
    out: list[object] = []
    fields = _CHILD_FIELDS.get(type(node))
    if fields is None:
        fields = _child_fields(type(node))
    for name in fields:
        value = getattr(node, name)
        if isinstance(value, _NODE_TYPES):
            out.append(value)
        elif isinstance(value, tuple):
            out.extend([item for item in value if isinstance(item, _NODE_TYPES)])
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
