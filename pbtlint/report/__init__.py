"""Reporters: findings and run metadata in, text out.

Every format is a pure function ``render_<format>(findings, meta) -> str``; :func:`render` picks one by
name. The only I/O is :func:`write_report`, which writes a rendered report to a file or a stream.

Paths: a :class:`~pbtlint.findings.Location` path is "as given" (relative to the working directory
where possible). Formats that need a repository-relative path (SARIF, GitLab) use :func:`repo_path`
with :attr:`ReportMeta.root` (the repository root, default: ``base``) and :attr:`ReportMeta.base` (the
directory that relative paths are relative to, default: ``root``). Both are plain strings.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import os
import posixpath
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TextIO

from pbtlint import __version__
from pbtlint.findings import Finding, Location, Severity

INFORMATION_URI = "https://github.com/pbtlint/pbtlint"
"""Where the tool is documented (``driver.informationUri``)."""

HELP_URI = INFORMATION_URI + "/blob/main/docs/rules/{rule_id}.md"
"""Where a rule's doc lives (``helpUri``); ``{rule_id}`` is replaced by the rule id."""

FORMATS = ("text", "json", "sarif", "github", "azure", "gitlab", "markdown")
"""The names ``--format`` accepts, in the order the help lists them."""


@dataclass(frozen=True, slots=True)
class ToolNotification:
    """Something about the run rather than the code, e.g. a file that could not be read.

    SARIF puts these in ``invocations[0].toolExecutionNotifications``; the other formats list them
    after the findings.
    """

    path: str
    message: str
    level: Severity = Severity.ERROR
    rule_id: str = ""


@dataclass(frozen=True, slots=True)
class ReportMeta:
    """What a reporter needs besides the findings.

    ``sources`` maps a finding's path to the text of that file *as it is on disk* (for SARIF line
    hashes: decode UTF-8 with ``errors="replace"`` and keep a byte order mark, or pass the raw bytes and
    let :func:`github_text` do it). Files missing from it simply get no line hash and no snippet.
    """

    tool_version: str = __version__
    root: str | None = None
    base: str | None = None
    sources: Mapping[str, str | bytes] = field(default_factory=dict)
    notifications: tuple[ToolNotification, ...] = ()
    category: str | None = None
    show_suppressed: bool = False


# --------------------------------------------------------------------------- paths and sources


def _join(base: str, path: str) -> str:
    joined = os.path.join(base, path) if base else path
    return os.path.normpath(joined)


def repo_path(path: str, meta: ReportMeta) -> tuple[str, bool]:
    """``path`` relative to the repository root, with ``/`` separators, and whether it is inside it.

    The root is ``meta.root``, else ``meta.base``; without either, relative paths are kept (normalized)
    and absolute paths count as outside.
    """
    if os.path.isabs(path):
        absolute = os.path.normpath(path)
    elif meta.base or meta.root:
        absolute = _join(meta.base or meta.root or "", path)
    else:
        rel = posixpath.normpath(PurePath(path).as_posix())
        return rel, not rel.startswith("../") and rel != ".."
    if not os.path.isabs(absolute):  # base itself was relative: stay relative
        rel = PurePath(absolute).as_posix()
        return rel, not rel.startswith("../")
    if not (meta.root or meta.base):
        return PurePath(absolute).as_posix(), False
    root = os.path.normpath(meta.root or meta.base or "")
    try:
        rel = os.path.relpath(absolute, root)
    except ValueError:  # another drive on Windows
        return PurePath(absolute).as_posix(), False
    rel = PurePath(rel).as_posix()
    if rel == ".." or rel.startswith("../"):
        return PurePath(absolute).as_posix(), False
    return rel, True


def absolute_uri(path: str, meta: ReportMeta) -> str:
    """A ``file://`` URI for a path outside the repository root."""
    absolute = path if os.path.isabs(path) else _join(meta.base or meta.root or "", path)
    return Path(os.path.abspath(absolute)).as_uri()


def github_text(data: bytes) -> str:
    """Bytes decoded the way GitHub's upload action reads a file: UTF-8, invalid bytes replaced, BOM kept."""
    return data.decode("utf-8", errors="replace")


def source_text(meta: ReportMeta, path: str) -> str | None:
    """The on-disk text of ``path`` from ``meta.sources``, or None."""
    value = meta.sources.get(path)
    if value is None:
        return None
    return github_text(value) if isinstance(value, bytes) else value


def source_lines(meta: ReportMeta, path: str) -> list[str] | None:
    """The lines of ``path`` (CR, LF and CRLF all end a line; BOM removed), or None."""
    text = source_text(meta, path)
    if text is None:
        return None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")


# --------------------------------------------------------------------------- helpers shared by formats


def visible(findings: Iterable[Finding], meta: ReportMeta) -> list[Finding]:
    """The findings a human-facing format shows (suppressed ones only with ``show_suppressed``), sorted."""
    out = [f for f in findings if meta.show_suppressed or f.suppression is None]
    return sorted(out, key=Finding.sort_key)


def counts(findings: Iterable[Finding]) -> dict[Severity, int]:
    """How many findings of each severity (suppressed ones not counted)."""
    out = dict.fromkeys(Severity, 0)
    for f in findings:
        if f.suppression is None:
            out[f.severity] += 1
    return out


def summary_line(findings: Sequence[Finding]) -> str:
    """``"3 problems (1 error, 2 warnings, 0 notes)"`` or ``"No problems found."``, plus suppressed count."""
    c = counts(findings)
    total = sum(c.values())
    suppressed = sum(1 for f in findings if f.suppression is not None)
    tail = f"; {suppressed} suppressed" if suppressed else ""
    if not total:
        return f"No problems found{tail}."

    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    parts = ", ".join(
        plural(c[s], name)
        for s, name in ((Severity.ERROR, "error"), (Severity.WARNING, "warning"), (Severity.NOTE, "note"))
    )
    return f"{plural(total, 'problem')} ({parts}){tail}."


def full_path(finding: Finding) -> tuple[Location, ...]:
    """The call path ending at the finding's own location (appended when the path stops short of it)."""
    path = finding.call_path
    if not path:
        return ()
    last = path[-1]
    if (last.path, last.span) != (finding.location.path, finding.location.span):
        path = (*path, Location(finding.location.path, finding.location.span, finding.rule_id))
    return path


def stable_keys(findings: Sequence[Finding], meta: ReportMeta) -> list[str]:
    """A line-independent key per finding, in the given order: ``<32 hex digits>:<occurrence>``.

    The hex part hashes the baseline key (rule, repository-relative file, enclosing object and
    procedure, normalized source line); the occurrence number tells identical keys apart, counting in
    the order given (callers pass findings sorted by location).
    """
    from pbtlint.baseline import default_fingerprint_key

    seen: dict[str, int] = {}
    out: list[str] = []
    for f in findings:
        rel, _ = repo_path(f.location.path, meta)
        moved = dataclasses.replace(f, location=dataclasses.replace(f.location, path=rel))
        key = default_fingerprint_key(moved, source_lines(meta, f.location.path))
        digest = hashlib.sha256("\x1f".join(dataclasses.astuple(key)).encode("utf-8")).hexdigest()[:32]
        seen[digest] = seen.get(digest, 0) + 1
        out.append(f"{digest}:{seen[digest]}")
    return out


def rule_name(rule_id: str) -> str:
    """The catalogue name of ``rule_id`` (``background-database-write``), or ``""`` when unknown."""
    from pbtlint.rule import rule_by_id

    rule = rule_by_id(rule_id)
    return rule.meta.name if rule else ""


# --------------------------------------------------------------------------- dispatch and output


_RENDERERS = {  # format -> (module under pbtlint.report, function): only the chosen one is imported
    "text": ("text", "render_text"),
    "json": ("json_report", "render_json"),
    "sarif": ("sarif", "render_sarif"),  # sarif-om and attrs: a fifth of a cached run's start-up
    "github": ("ci_formats", "render_github"),
    "azure": ("ci_formats", "render_azure"),
    "gitlab": ("ci_formats", "render_gitlab"),
    "markdown": ("ci_formats", "render_markdown"),
}


def render(format_name: str, findings: Sequence[Finding], meta: ReportMeta | None = None) -> str:
    """Render ``findings`` in one of :data:`FORMATS`; raises ``ValueError`` for an unknown name."""
    if format_name not in _RENDERERS:
        raise ValueError(f"unknown format {format_name!r}; expected one of {', '.join(FORMATS)}")
    module, function = _RENDERERS[format_name]
    renderer: Callable[[Sequence[Finding], ReportMeta], str] = getattr(
        importlib.import_module(f"pbtlint.report.{module}"), function)
    return renderer(findings, meta or ReportMeta())


def write_report(report: str, output: str | os.PathLike[str] | None, stream: TextIO) -> None:
    """Write a rendered report to ``output`` (UTF-8, ``\\n`` line ends) or, when None, to ``stream``."""
    if output is None:
        stream.write(report)
        stream.flush()
        return
    with open(output, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(report)
