"""The front end of the pipeline: a file on disk to a typed AST, with every problem as a finding.

read (``pbtlint.source``) -> preprocess (``pbtlint.preprocessor``) -> parse (``pbtlint.parser``'s
grammar and lexer) and build the typed AST (``pbtlint.transform``'s builder), both in one pass
(``pbtlint.astparse``). This is the one place that strings the front-end stages
together; nothing here prints.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pbtlint.findings import Finding, syntax_error
from pbtlint.pickling import fast_pickling
from pbtlint.source import SourceText, read_source
from pbtlint.span import Span

if TYPE_CHECKING:  # the parser and the AST's classes are imported by the functions that parse: a run that
    # reuses its previous result reads ParsedFiles without units and needs neither (a fifth of its start-up)
    from pbtlint.nodes import CompilationUnit
    from pbtlint.pragma import PragmaWarning


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """What the front end made of one file.

    ``unit`` is None when the file could not be read or parsed; ``findings`` then says why
    (PBT0000). ``pragmas`` are the ``#pragma warning`` lines, for suppression.
    """

    path: str
    unit: CompilationUnit | None
    pragmas: tuple[PragmaWarning, ...]
    findings: tuple[Finding, ...]
    lines: int


def parse_text(text: str, path: str, symbols: Iterable[str] = ()) -> ParsedFile:
    """Preprocess, parse and transform already-decoded source text; never raises for bad input (a
    stage that fails gives a PBT0000 finding saying so, and no unit)."""
    from pbtlint.astparse import parse_to_ast
    from pbtlint.preprocessor import preprocess

    lines = text.count("\n") + 1 if text else 0
    stage = "preprocessor"
    try:
        pre = preprocess(text, symbols, path)
        stage = "parser"
        unit, syntax = parse_to_ast(pre.text, path)
        findings = list(pre.findings) + list(syntax)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: a finding, never a traceback
        reason = "the code is nested too deeply" if isinstance(exc, RecursionError) else f"{type(exc).__name__}: {exc}"
        message = f"internal error in the {stage}: {reason[:200]}; the file was not analyzed"
        return ParsedFile(path, None, (), (syntax_error(path, Span.point(1), message),), lines)
    return ParsedFile(path, unit, pre.pragmas, tuple(findings), lines)


def parse_file(path: str | Path, symbols: Iterable[str] = (), display_path: str | None = None) -> ParsedFile:
    """Read, preprocess, parse and transform one file; never raises for bad input."""
    shown = display_path if display_path is not None else str(path)
    return parse_read(read_source(path, shown), shown, symbols)


def parse_read(source: SourceText, shown: str, symbols: Iterable[str] = ()) -> ParsedFile:
    """:func:`parse_file` of a file already read."""
    if source.text is None:
        return ParsedFile(shown, None, (), tuple(source.findings), 0)
    parsed = parse_text(source.text, shown, symbols)
    if source.findings:
        return ParsedFile(shown, parsed.unit, parsed.pragmas, source.findings + parsed.findings, parsed.lines)
    return parsed


fast_pickling(globals())
