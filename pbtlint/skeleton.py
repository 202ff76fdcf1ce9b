"""Front end for demand-driven analysis: a file parsed as a skeleton, and single bodies parsed later.

A skeleton is the file with every procedure and trigger body blanked and every property the model
does not read dropped (:mod:`pbtlint.elide`); it parses in about half the time of the whole file and
gives the same tree but for those bodies (empty blocks) and properties. :func:`parse_bodies` parses
bodies one at a time, at their places in the file, for :func:`pbtlint.elide.splice`.

When the skeleton does not parse (its text could not be cut cleanly), the whole file is parsed
instead, so a skeleton never loses or invents a syntax error. A body that does not parse on its own
becomes an :class:`~pbtlint.nodes.UnparsedBlock` with its syntax error (:func:`parse_bodies`): one bad
body costs its procedure, not the file. :func:`parse_in_parts` builds a whole file's tree the same
way when the file does not parse in one piece (``--full-parse``), so both modes see the same trees.
"""

from __future__ import annotations

import bisect
import dataclasses
from pathlib import Path

from pbtlint import nodes as n
from pbtlint.astparse import parse_to_ast
from pbtlint.audit import ElidedBlock
from pbtlint.elide import BodyKey, body_ranges, body_text, elide, property_ranges, splice
from pbtlint.findings import SYNTAX_ERROR, Finding, shown_at, syntax_error
from pbtlint.frontend import ParsedFile, parse_file, parse_read
from pbtlint.parallel import RunMemo
from pbtlint.preprocessor import PreprocessResult, preprocess
from pbtlint.source import SourceText, read_source
from pbtlint.span import Span, line_starts
from pbtlint.transform import AstBuilder

BodySpan = tuple[int, int, int, int]
"""A body's block: line and column of its ``begin``, line and end column of its ``end``."""


Read = tuple[SourceText, PreprocessResult | None]
"""A file read, and preprocessed when it could be read (:func:`_read`)."""


_kept_reads: RunMemo[tuple[str, tuple[str, ...]], Read] = RunMemo()
"""The files this process parsed as skeletons or parsed bodies of, as read, by path and symbols. A
file's bodies are parsed in later rounds, each time by one process or the other; in one that read the
file before, its text is not read and preprocessed again (that was about a third of parsing a batch of
bodies: the files whose bodies are wanted are the large ones)."""

keeping_reads = _kept_reads.keeping
"""Keep what :func:`parse_skeleton` reads for :func:`parse_bodies` in this process and, when entered
before they are forked, in its workers; forgotten when the block ends. Within the block a file is
taken to stay as it was read (one run: the skeleton's body places come from that text)."""


def _read(path: str | Path, shown: str, symbols: tuple[str, ...]) -> Read:
    """The file read, and preprocessed when it could be read (kept while :func:`keeping_reads` is on)."""
    kept = _kept_reads.kept
    if kept is not None:
        found = kept.get((str(path), symbols))
        if found is not None:
            return found
    source = read_source(path, shown)
    read = source, preprocess(source.text, symbols, shown) if source.text is not None else None
    if kept is not None:
        kept[str(path), symbols] = read
    return read


def parse_skeleton(path: str | Path, shown: str, symbols: tuple[str, ...], read: Read | None = None
                   ) -> tuple[ParsedFile, frozenset[BodyKey]]:
    """The file parsed as a skeleton, and the bodies it left out (by the place of their ``begin``); those
    bodies are :class:`~pbtlint.audit.ElidedBlock` s in the tree. ``read`` is the file as :func:`_read`
    gives it, when the caller has it already."""
    source, pre = read if read is not None else _read(path, shown, symbols)
    if pre is None or source.text is None:
        return ParsedFile(shown, None, (), tuple(source.findings), 0), frozenset()
    text = pre.text
    ranges = [(a, b) for a, b in body_ranges(text) if not text[a:b].isspace() and a != b]
    skeleton = elide(text, ranges)
    skeleton = elide(skeleton, property_ranges(skeleton, comments=True))
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


def parse_bodies(path: str | Path, shown: str, symbols: tuple[str, ...], spans: list[BodySpan],
                 unparsed: bool = False, read: Read | None = None) -> list[n.Block | None]:
    """Each body at ``spans`` parsed on its own; for one that does not parse, None, or with
    ``unparsed`` an :class:`~pbtlint.nodes.UnparsedBlock` holding its syntax error (:func:`unparsed_error`).
    ``read`` as for :func:`parse_skeleton`."""
    _, pre = read if read is not None else _read(path, shown, symbols)
    if pre is None:
        return [_unparsed(Span(*span), ()) if unparsed else None for span in spans]
    text = pre.text
    starts = line_starts(text)
    builder = AstBuilder(text)
    out: list[n.Block | None] = []
    for line, column, end_line, end_column in spans:
        span = Span(line, column, end_line, end_column)
        try:
            block, errors = parse_to_ast(body_text(text, starts, span), shown, start="block", builder=builder)
        except Exception:  # noqa: BLE001 - the builder failed on what parsed: an unparsed block says so
            block, errors = None, ()
        if isinstance(block, n.Block) and block.span == span:
            out.append(block)
        else:
            out.append(_unparsed(span, errors) if unparsed else None)
    return out


def _unparsed(span: Span, errors: tuple[Finding, ...]) -> n.UnparsedBlock:
    if errors:
        return n.UnparsedBlock(span, (), errors[0].message, errors[0].location.span)
    # it parsed alone, but not to the extent the skeleton gives it, or the builder failed
    return n.UnparsedBlock(span, (), "this body could not be parsed on its own; its procedure is not analyzed",
                           span)


def unparsed_error(block: n.UnparsedBlock, path: str) -> Finding:
    """The syntax error (PBT0000) of a body that does not parse, in the file shown as ``path``."""
    return syntax_error(path, block.error, block.message)


def parse_in_parts(path: str | Path, symbols: tuple[str, ...], shown: str) -> ParsedFile:
    """A file parsed whole (``--full-parse``): in one piece, or, when that fails on a syntax error and
    the skeleton parses, as the skeleton with every body parsed on its own and the bodies that do not
    parse unparsed blocks; demand-driven analysis builds the same tree from the same parts. Its syntax
    errors are then the unparsed bodies' and the one-piece parse's when no unparsed body holds it."""
    source = read_source(path, shown)
    whole = parse_read(source, shown, symbols)
    if source.text is None or whole.unit is not None or not any(f.rule_id == SYNTAX_ERROR for f in whole.findings):
        return whole
    read = (source, preprocess(source.text, symbols, shown))  # the file is read once for the three parses
    skeleton, elided = parse_skeleton(path, shown, symbols, read)
    if skeleton.unit is None:
        return whole
    procs = body_nodes(skeleton.unit)
    keys = [key for key in procs if key in elided]
    spans = [(b.span.line, b.span.column, b.span.end_line, b.span.end_column)
             for b in (procs[key].body for key in keys) if b is not None]
    blocks: dict[BodyKey, n.Block] = dict(zip(keys, parse_bodies(path, shown, symbols, spans, unparsed=True,  # type: ignore[arg-type]
                                                                 read=read), strict=True))
    unparsed = [b for b in blocks.values() if isinstance(b, n.UnparsedBlock)]
    outside = tuple(f for f in whole.findings if f.rule_id == SYNTAX_ERROR
                    and not any(_holds(u.span, f.location.span) for u in unparsed))
    return ParsedFile(shown, splice(skeleton.unit, blocks), skeleton.pragmas,
                      skeleton.findings + tuple(unparsed_error(u, shown) for u in unparsed) + outside,
                      skeleton.lines)


def _holds(outer: Span, inner: Span) -> bool:
    return (outer.line, outer.column) <= (inner.line, inner.column) <= (outer.end_line, outer.end_column)


def shown_as(pf: ParsedFile, display: str) -> ParsedFile:
    """A cached parse made for the same content under another name (from another working folder, or
    before the file moved), with ``display`` as its name: in its findings and in the bodies it left out
    (the audit knows those by their file's name)."""
    if pf.path == display:
        return pf
    unit = pf.unit
    if unit is not None:
        unit = splice(unit, {key: ElidedBlock(proc.body.span, display) for key, proc in body_nodes(unit).items()
                             if isinstance(proc.body, ElidedBlock)})
    return dataclasses.replace(pf, path=display, unit=unit, findings=shown_at(pf.findings, display))


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
