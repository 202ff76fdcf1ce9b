"""Front end for demand-driven analysis: a file parsed as a skeleton, and single bodies parsed later.

A skeleton is the file with every procedure and trigger body blanked and every property the model
does not read dropped (:mod:`pbtlint.elide`); it parses in about half the time of the whole file and
gives the same tree but for those bodies (empty blocks) and properties. :func:`parse_bodies` parses
bodies one at a time, at their places in the file, for :func:`pbtlint.elide.splice`.

When the skeleton does not parse (its text could not be cut cleanly), the whole file is parsed
instead, so a skeleton never loses or invents a syntax error.
"""

from __future__ import annotations

import bisect
from pathlib import Path

from pbtlint import nodes as n
from pbtlint.astparse import parse_to_ast
from pbtlint.audit import ElidedBlock
from pbtlint.elide import BodyKey, body_ranges, body_text, elide, property_ranges, splice
from pbtlint.findings import Finding
from pbtlint.frontend import ParsedFile, parse_file
from pbtlint.preprocessor import PreprocessResult, preprocess
from pbtlint.source import SourceText, read_source
from pbtlint.span import Span, line_starts
from pbtlint.transform import AstBuilder

BodySpan = tuple[int, int, int, int]
"""A body's block: line and column of its ``begin``, line and end column of its ``end``."""


def _read(path: str | Path, shown: str, symbols: tuple[str, ...]) -> tuple[SourceText, PreprocessResult | None]:
    """The file read, and preprocessed when it could be read."""
    source = read_source(path, shown)
    return source, preprocess(source.text, symbols, shown) if source.text is not None else None


def parse_skeleton(path: str | Path, shown: str, symbols: tuple[str, ...]
                   ) -> tuple[ParsedFile, frozenset[BodyKey]]:
    """The file parsed as a skeleton, and the bodies it left out (by the place of their ``begin``); those
    bodies are :class:`~pbtlint.audit.ElidedBlock` s in the tree."""
    source, pre = _read(path, shown, symbols)
    if pre is None or source.text is None:
        return ParsedFile(shown, None, (), tuple(source.findings), 0), frozenset()
    text = pre.text
    ranges = [(a, b) for a, b in body_ranges(text) if not text[a:b].isspace() and a != b]
    skeleton = elide(text, ranges)
    skeleton = elide(skeleton, property_ranges(skeleton))
    try:
        unit, _ = parse_to_ast(skeleton, shown, text)
    except Exception:  # noqa: BLE001 - the whole-file parse below reports whatever is wrong
        unit = None
    if unit is None:
        return parse_file(path, symbols, shown), frozenset()
    starts = line_starts(text)
    elided: set[BodyKey] = set()
    for start, _ in ranges:
        at = start - len("begin")
        line = bisect.bisect_right(starts, at)
        elided.add((line, at - starts[line - 1] + 1))
    markers = {key: ElidedBlock(node.body.span, shown)  # what the rules read of them is noted
               for key, node in body_nodes(unit).items() if key in elided and node.body is not None}
    unit = splice(unit, markers)
    lines = source.text.count("\n") + 1 if source.text else 0
    findings: tuple[Finding, ...] = tuple(source.findings) + tuple(pre.findings)
    return ParsedFile(shown, unit, pre.pragmas, findings, lines), frozenset(elided)


def parse_bodies(path: str | Path, shown: str, symbols: tuple[str, ...], spans: list[BodySpan]
                 ) -> list[n.Block | None]:
    """Each body at ``spans`` parsed on its own; None for one that does not parse."""
    _, pre = _read(path, shown, symbols)
    if pre is None:
        return [None] * len(spans)
    text = pre.text
    starts = line_starts(text)
    builder = AstBuilder(text)
    out: list[n.Block | None] = []
    for line, column, end_line, end_column in spans:
        span = Span(line, column, end_line, end_column)
        try:
            block, _ = parse_to_ast(body_text(text, starts, span), shown, start="block", builder=builder)
        except Exception:  # noqa: BLE001 - reported by the whole-file parse the caller falls back to
            block = None
        out.append(block if isinstance(block, n.Block) and block.span == span else None)
    return out


def body_nodes(unit: n.CompilationUnit) -> dict[BodyKey, n.Procedure]:
    """Every procedure and trigger with a body, by the place of its ``begin``."""
    out: dict[BodyKey, n.Procedure] = {}

    def add(procs: tuple[n.Procedure, ...]) -> None:
        for p in procs:
            if p.body is not None:
                out[(p.body.span.line, p.body.span.column)] = p

    stack: list[n.Element] = []
    for obj in unit.objects:
        add(obj.procedures)
        add(obj.triggers)
        stack.extend(obj.sections)
    while stack:
        el = stack.pop()
        add(el.triggers)
        stack.extend(el.children)
    return out
