"""Formats for CI systems: GitHub Actions, Azure Pipelines, GitLab Code Quality, Markdown job summaries.

- ``github``: workflow commands, one per finding: ``::error file=...,line=...,col=...,endLine=...,
  endColumn=...,title=PBT0001::message`` (``notice`` for notes). The call path follows the message on
  extra lines. Values are escaped as GitHub's toolkit does (``%``, CR, LF; in properties also ``:`` and
  ``,``). ``endColumn`` is inclusive and given only for single-line regions.
- ``azure``: ``##vso[task.logissue type=error;sourcepath=...;linenumber=...;columnnumber=...;
  code=PBT0001]message`` for errors and warnings (escaped as the Azure task library does); notes,
  which Azure has no issue type for, as plain compiler-style lines.
- ``gitlab``: a Code Quality report (JSON list of issues with ``description``, ``check_name``,
  ``fingerprint``, ``severity`` major/minor/info, ``location.path`` and ``location.lines.begin``).
- ``markdown``: for ``$GITHUB_STEP_SUMMARY``: a summary, a table of findings and a Mermaid flowchart of
  each finding's call path.

Suppressed findings are left out unless ``meta.show_suppressed``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

from pbtlint.findings import Finding, Location, Severity
from pbtlint.report import ReportMeta, full_path, repo_path, rule_name, stable_keys, summary_line, visible

_GITHUB_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}
_GITLAB_SEVERITY = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.NOTE: "info"}
MAX_TABLE_ROWS = 1000
MAX_DIAGRAMS = 50


def _steps_text(finding: Finding) -> str:
    lines = []
    for step in finding.call_path:
        label = f": {step.label}" if step.label else ""
        lines.append(f"    at {step.path}({step.span.line},{step.span.column}){label}")
    return "\n".join(lines)


def _with_path(finding: Finding) -> str:
    steps = _steps_text(finding)
    return f"{finding.message}\n{steps}" if steps else finding.message


# --------------------------------------------------------------------------- GitHub


def github_escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_escape_property(text: str) -> str:
    return github_escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_command(finding: Finding, meta: ReportMeta) -> str:
    """One workflow command for ``finding``."""
    s = finding.location.span
    rel, _ = repo_path(finding.location.path, meta)
    props = [f"file={github_escape_property(rel)}", f"line={s.line}", f"col={s.column}", f"endLine={s.end_line}"]
    if s.end_line == s.line:
        props.append(f"endColumn={max(s.column, s.end_column - 1)}")
    props.append(f"title={github_escape_property(finding.rule_id)}")
    return f"::{_GITHUB_COMMAND[finding.severity]} {','.join(props)}::{github_escape_data(_with_path(finding))}"


def render_github(findings: Sequence[Finding], meta: ReportMeta) -> str:
    lines = [github_command(f, meta) for f in visible(findings, meta)]
    for n in sorted(meta.notifications, key=lambda n: (n.path, n.message)):
        rel, _ = repo_path(n.path, meta)
        title = f",title={github_escape_property(n.rule_id)}" if n.rule_id else ""
        lines.append(
            f"::{_GITHUB_COMMAND[n.level]} file={github_escape_property(rel)}{title}::{github_escape_data(n.message)}"
        )
    lines.append(summary_line(findings))
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- Azure Pipelines


def azure_escape_data(text: str) -> str:
    return text.replace("%", "%AZP25").replace("\r", "%0D").replace("\n", "%0A")


def azure_escape_property(text: str) -> str:
    return azure_escape_data(text).replace("]", "%5D").replace(";", "%3B")


def _absolute(path: str, meta: ReportMeta) -> str:
    if os.path.isabs(path):
        return path
    base = meta.base or meta.root
    return os.path.normpath(os.path.join(base, path)) if base else path


def azure_command(finding: Finding, meta: ReportMeta) -> str:
    """A ``task.logissue`` command for an error or warning, a plain line for a note."""
    s = finding.location.span
    if finding.severity is Severity.NOTE:
        return f"{finding.location.path}({s.line},{s.column}): note {finding.rule_id}: {finding.message}"
    props = ";".join((
        f"type={finding.severity.value}",
        f"sourcepath={azure_escape_property(_absolute(finding.location.path, meta))}",
        f"linenumber={s.line}",
        f"columnnumber={s.column}",
        f"code={azure_escape_property(finding.rule_id)}",
    ))
    return f"##vso[task.logissue {props}]{azure_escape_data(_with_path(finding))}"


def render_azure(findings: Sequence[Finding], meta: ReportMeta) -> str:
    lines = [azure_command(f, meta) for f in visible(findings, meta)]
    for n in sorted(meta.notifications, key=lambda n: (n.path, n.message)):
        kind = "error" if n.level is Severity.ERROR else "warning"
        props = f"type={kind};sourcepath={azure_escape_property(_absolute(n.path, meta))}"
        if n.rule_id:
            props += f";code={azure_escape_property(n.rule_id)}"
        lines.append(f"##vso[task.logissue {props}]{azure_escape_data(n.message)}")
    lines.append(summary_line(findings))
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- GitLab Code Quality


def render_gitlab(findings: Sequence[Finding], meta: ReportMeta) -> str:
    """A GitLab Code Quality report (always a JSON list, ``[]`` when clean)."""
    shown = visible(findings, meta)
    issues = []
    for f, key in zip(shown, stable_keys(shown, meta), strict=True):
        rel, _ = repo_path(f.location.path, meta)
        issues.append({
            "description": f"{f.rule_id}: {f.message}",
            "check_name": f.rule_id,
            "fingerprint": key.replace(":", "-"),
            "severity": _GITLAB_SEVERITY[f.severity],
            "location": {"path": rel, "lines": {"begin": f.location.span.line}},
        })
    return json.dumps(issues, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- Markdown


def md_cell(text: str) -> str:
    """Text safe inside a Markdown table cell (no pipes, no line breaks, no raw HTML)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|").replace("\r\n", "<br>").replace("\n", "<br>").replace("\r", "<br>")


def mermaid_label(text: str) -> str:
    """Text safe inside a quoted Mermaid node label (entity codes for ``#``, quotes and brackets)."""
    text = text.replace("#", "#35;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
    return " ".join(text.split())


def _where(location: Location, meta: ReportMeta) -> str:
    rel, _ = repo_path(location.path, meta)
    return f"{rel}:{location.span.line}:{location.span.column}"


def mermaid_flowchart(finding: Finding, meta: ReportMeta) -> str:
    """A top-down flowchart from the enqueue site through each call to the finding."""
    steps = full_path(finding)
    lines = ["```mermaid", "flowchart TD"]
    for i, step in enumerate(steps):
        label = step.label or f"step {i + 1}"
        lines.append(f'    s{i}["{mermaid_label(label)}<br/>{mermaid_label(_where(step, meta))}"]')
    for i in range(1, len(steps)):
        lines.append(f"    s{i - 1} --> s{i}")
    if steps:
        lines.append("    classDef finding stroke:#d73a49,stroke-width:3px")
        lines.append(f"    class s{len(steps) - 1} finding")
    lines.append("```")
    return "\n".join(lines)


def render_markdown(findings: Sequence[Finding], meta: ReportMeta) -> str:
    shown = visible(findings, meta)
    out = ["## pbtlint", "", f"**{summary_line(findings)}**", ""]
    if shown:
        out += ["| Severity | Rule | Location | Message |", "|---|---|---|---|"]
        for f in shown[:MAX_TABLE_ROWS]:
            name = rule_name(f.rule_id)
            rule = f"{f.rule_id} {name}".strip()
            message = f.message + (f" (suppressed: {f.suppression})" if f.suppression else "")
            out.append(
                f"| {f.severity.value} | {md_cell(rule)} | `{md_cell(_where(f.location, meta))}` | {md_cell(message)} |"
            )
        if len(shown) > MAX_TABLE_ROWS:
            out.append(f"\n…and {len(shown) - MAX_TABLE_ROWS} more (see the full report).")
        out.append("")
    with_paths = [f for f in shown if f.call_path]
    if with_paths:
        out += ["### Call paths", ""]
        for f in with_paths[:MAX_DIAGRAMS]:
            out += [f"#### {f.rule_id} at `{md_cell(_where(f.location, meta))}`", "", md_cell(f.message), ""]
            out += [mermaid_flowchart(f, meta), ""]
        if len(with_paths) > MAX_DIAGRAMS:
            out += [f"…and {len(with_paths) - MAX_DIAGRAMS} more call paths (see the full report).", ""]
    if meta.notifications:
        out += ["### Notifications", ""]
        for n in sorted(meta.notifications, key=lambda n: (n.path, n.message)):
            out.append(f"- {n.level.value}: `{md_cell(n.path)}`: {md_cell(n.message)}")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"
