"""Findings: what every stage of pbtlint reports, and the only thing reporters render."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum

from pbtlint.pickling import fast_pickling
from pbtlint.span import Span


class Severity(StrEnum):
    """Severities with the names SARIF uses for ``level``."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a file: a path (as given, relative where possible) and a span."""

    path: str
    span: Span
    label: str = ""


@dataclass(frozen=True, slots=True)
class Finding:
    """One diagnostic: a rule id, where it is, what it says, and how background code got there."""

    rule_id: str
    severity: Severity
    message: str
    location: Location
    related: tuple[Location, ...] = ()
    call_path: tuple[Location, ...] = field(default=())
    suppression: str | None = None

    def sort_key(self) -> tuple:
        s = self.location.span
        return (self.location.path, s.line, s.column, self.rule_id, self.message)


SYNTAX_ERROR = "PBT0000"


def shown_at(findings: tuple[Finding, ...], path: str) -> tuple[Finding, ...]:
    """A file's own findings (read, preprocessor and syntax errors: no call path) with ``path`` as their
    file's name: a cached result made for the same content under another name."""
    return tuple(f if f.location.path == path else dataclasses.replace(f, location=dataclasses.replace(
        f.location, path=path)) for f in findings)


def syntax_error(path: str, span: Span, message: str) -> Finding:
    """A PBT0000 finding: the file could not be read, preprocessed or parsed at ``span``."""
    return Finding(SYNTAX_ERROR, Severity.ERROR, message, Location(path, span))


fast_pickling(globals())
