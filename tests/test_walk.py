"""pbtlint.walk looks only at the fields that can hold statements and expressions; on every fixture it
finds exactly the children a walk over every field finds."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from pbtlint import nodes as n
from pbtlint.frontend import parse_file
from pbtlint.walk import _may_hold_nodes, children

ROOT = Path(__file__).resolve().parent.parent
NODE = (n.Expr, n.Stmt, n.CaseBranch)


def _every_field(node: object) -> list[object]:
    out: list[object] = []
    for f in dataclasses.fields(node):  # type: ignore[arg-type]
        if f.name == "span":
            continue
        value = getattr(node, f.name)
        if isinstance(value, NODE):
            out.append(value)
        elif isinstance(value, tuple):
            out.extend(item for item in value if isinstance(item, NODE))
    return out


def test_children_match_a_walk_over_every_field() -> None:
    checked = 0
    for path in sorted((ROOT / "fixtures").rglob("*.al")):
        unit = parse_file(path).unit
        if unit is None:
            continue
        stack: list[object] = []
        for obj in unit.objects:
            for proc in (*obj.procedures, *obj.triggers):
                stack.extend(_every_field(proc))
        while stack:
            node = stack.pop()
            expected = _every_field(node)
            assert children(node) == expected, (path, node)
            stack.extend(expected)
            checked += 1
    assert checked > 10_000


def test_fields_that_may_hold_nodes() -> None:
    assert _may_hold_nodes("Expr | None") and _may_hold_nodes("tuple[Stmt, ...]") and _may_hold_nodes("Block | None")
    assert _may_hold_nodes("tuple") and _may_hold_nodes("object") and _may_hold_nodes("SomethingUnknown")
    assert not _may_hold_nodes("str") and not _may_hold_nodes("tuple[str, ...]") and not _may_hold_nodes("Span")
    assert not _may_hold_nodes("Literal['is', 'as']") and not _may_hold_nodes("BinaryOp")
