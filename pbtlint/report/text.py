"""Plain text in the AL compiler's style, one finding per block::

    src/Task.Codeunit.al(12,9): error PBT0001: Insert on a non-temporary record in background code
        at src/Customer.Page.al(30,5): enqueue site
        at src/Task.Codeunit.al(12,9): Rec.Insert()

then notifications and a one-line summary. Suppressed findings are left out unless
``meta.show_suppressed``; then they carry ``[suppressed: inSource]``.
"""

from __future__ import annotations

from collections.abc import Sequence

from pbtlint.findings import Finding, Location
from pbtlint.report import ReportMeta, summary_line, visible


def position(location: Location) -> str:
    """``path(line,col)`` as the AL compiler prints it."""
    return f"{location.path}({location.span.line},{location.span.column})"


def format_finding(finding: Finding) -> str:
    """One finding: the compiler-style header line, then one indented ``at`` line per call-path step."""
    head = f"{position(finding.location)}: {finding.severity.value} {finding.rule_id}: {finding.message}"
    if finding.suppression:
        head += f" [suppressed: {finding.suppression}]"
    lines = [head]
    for step in finding.call_path:
        label = f": {step.label}" if step.label else ""
        lines.append(f"    at {position(step)}{label}")
    return "\n".join(lines)


def render_text(findings: Sequence[Finding], meta: ReportMeta) -> str:
    """All shown findings, the notifications and a summary line; ends with a newline."""
    blocks = [format_finding(f) for f in visible(findings, meta)]
    for n in sorted(meta.notifications, key=lambda n: (n.path, n.message)):
        code = f" {n.rule_id}" if n.rule_id else ""
        blocks.append(f"{n.path}: {n.level.value}{code}: {n.message}")
    blocks.append(summary_line(findings))
    return "\n".join(blocks) + "\n"
