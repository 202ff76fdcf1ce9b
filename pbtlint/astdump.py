"""A readable, indented dump of the typed AST, for debugging (``pbtlint parse --ast FILE``).

Iterative, so that very deep trees (thousands of nested operators) dump without recursion.
"""

from __future__ import annotations

import dataclasses

from pbtlint.span import Span


def dump(node: object) -> str:
    """Render ``node`` (an AST node, tuple or scalar) as indented text, one field per line.

    Fields left empty (None, (), False, "") are omitted to keep the dump short."""
    lines: list[str] = []
    # Each stack entry: (label, value, depth)
    stack: list[tuple[str, object, int]] = [("", node, 0)]
    while stack:
        label, value, depth = stack.pop()
        pad = "  " * depth
        prefix = f"{pad}{label}: " if label else pad
        if dataclasses.is_dataclass(value) and not isinstance(value, Span):
            span = getattr(value, "span", None)
            where = f" @{span}" if isinstance(span, Span) else ""
            lines.append(f"{prefix}{type(value).__name__}{where}")
            children = [
                (f.name, getattr(value, f.name), depth + 1)
                for f in dataclasses.fields(value)
                if f.name != "span" and getattr(value, f.name) not in (None, (), False, "")
            ]
            stack.extend(reversed(children))
        elif isinstance(value, tuple) and value and not all(isinstance(v, str) for v in value):
            lines.append(f"{prefix}[{len(value)}]")
            stack.extend(reversed([(f"{i}", v, depth + 1) for i, v in enumerate(value)]))
        else:
            lines.append(f"{prefix}{value!r}" if not isinstance(value, Span) else f"{prefix}{value}")
    return "\n".join(lines)
