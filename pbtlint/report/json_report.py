"""pbtlint's own JSON format: every finding (suppressed ones included, marked), sorted, stable keys.

Shape (``version`` changes only when a key changes meaning)::

    {"version": 1,
     "tool": {"name": "pbtlint", "version": "0.1.0"},
     "summary": {"error": 1, "warning": 0, "note": 0, "suppressed": 0},
     "findings": [{"rule_id", "rule_name", "severity", "message", "suppression",
                   "location": {"path", "line", "column", "end_line", "end_column", "label"},
                   "related": [location...], "call_path": [location...]}],
     "notifications": [{"path", "level", "rule_id", "message"}]}
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pbtlint.findings import Finding, Location
from pbtlint.report import ReportMeta, counts, rule_name

JSON_FORMAT_VERSION = 1


def location_dict(location: Location) -> dict[str, Any]:
    s = location.span
    return {
        "path": location.path,
        "line": s.line,
        "column": s.column,
        "end_line": s.end_line,
        "end_column": s.end_column,
        "label": location.label,
    }


def finding_dict(finding: Finding) -> dict[str, Any]:
    return {
        "rule_id": finding.rule_id,
        "rule_name": rule_name(finding.rule_id),
        "severity": finding.severity.value,
        "message": finding.message,
        "suppression": finding.suppression,
        "location": location_dict(finding.location),
        "related": [location_dict(r) for r in finding.related],
        "call_path": [location_dict(c) for c in finding.call_path],
    }


def render_json(findings: Sequence[Finding], meta: ReportMeta) -> str:
    """The whole report as indented JSON with sorted keys, ending with a newline."""
    c = counts(findings)
    summary = {s.value: n for s, n in c.items()}
    summary["suppressed"] = sum(1 for f in findings if f.suppression is not None)
    doc = {
        "version": JSON_FORMAT_VERSION,
        "tool": {"name": "pbtlint", "version": meta.tool_version},
        "summary": summary,
        "findings": [finding_dict(f) for f in sorted(findings, key=Finding.sort_key)],
        "notifications": [
            {"path": n.path, "level": n.level.value, "rule_id": n.rule_id, "message": n.message}
            for n in sorted(meta.notifications, key=lambda n: (n.path, n.message))
        ],
    }
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
