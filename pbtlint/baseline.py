"""Baselines: accept the findings an old code base already has, report only new ones.

``--write-baseline FILE`` records the current (unsuppressed) findings; ``--baseline FILE`` marks the
findings it still matches as suppressed (kind ``external``). A finding is keyed by its rule id, file,
enclosing object and procedure and a normalized snippet of its source line (whitespace runs collapsed
to one space, case kept), never by a line number, so adding code above a finding does not break the
match. Identical keys are counted: two identical offending lines in one procedure need two entries.

The key comes from a ``fingerprint_key(finding, source_lines)`` callable. The default one finds the
enclosing object and procedure by scanning the file's lines upward; callers that have the project model
can pass a more precise one. File format (JSON, sorted, stable)::

    {"version": 1, "tool": "pbtlint",
     "findings": [{"rule": "PBT0001", "file": "src/Task.Codeunit.al", "object": "codeunit \\"Task\\"",
                   "procedure": "OnRun", "snippet": "Rec.Insert();", "count": 1}]}
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

from pbtlint.config import ConfigError
from pbtlint.findings import Finding

BASELINE_VERSION = 1
EXTERNAL = "external"


@dataclass(frozen=True, slots=True, order=True)
class BaselineKey:
    """What identifies a finding across edits."""

    rule: str
    file: str
    object: str
    procedure: str
    snippet: str


FingerprintKey = Callable[[Finding, Sequence[str] | None], BaselineKey]
LinesOf = Callable[[str], Sequence[str] | None]


# --------------------------------------------------------------------------- keys

_OBJECT_KINDS = (
    "codeunit|pageextension|pagecustomization|page|tableextension|table|reportextension|report|query|"
    "xmlport|enumextension|enum|interface|permissionsetextension|permissionset|profile|controladdin|"
    "entitlement|dotnet"
)
_OBJECT = re.compile(
    rf'^\s*({_OBJECT_KINDS})\b\s*(?:\d+\s+)?("(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_]*)', re.IGNORECASE
)
_PROCEDURE = re.compile(
    r'^\s*(?:(?:local|internal|protected)\s+)?(procedure|trigger)\s+("(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_]*)',
    re.IGNORECASE,
)


def normalize_snippet(text: str) -> str:
    """``text`` with leading/trailing blanks removed and inner whitespace runs collapsed (case kept)."""
    return " ".join(text.replace("\ufeff", "").split())


def enclosing_scope(lines: Sequence[str], line: int) -> tuple[str, str]:
    """(object, procedure) around 1-based ``line``: ``('codeunit "Task"', 'OnRun')``, ``""`` when not found.

    The object is the nearest object header above the line (kind and name, no id, so renumbering an
    object keeps the key); the procedure is the nearest ``procedure``/``trigger`` header above it inside
    that object.
    """
    procedure = ""
    for index in range(min(line, len(lines)) - 1, -1, -1):
        text = lines[index]
        if not procedure:
            m = _PROCEDURE.match(text)
            if m:
                procedure = m.group(2)
                continue
        m = _OBJECT.match(text)
        if m:
            return f"{m.group(1).lower()} {m.group(2)}", procedure
    return "", procedure


def posix_path(path: str) -> str:
    return PurePath(path).as_posix()


def default_fingerprint_key(finding: Finding, source_lines: Sequence[str] | None) -> BaselineKey:
    """Rule, file, enclosing object and procedure, and the normalized text of the finding's first line.

    Without source lines the message stands in for the snippet.
    """
    line = finding.location.span.line
    if source_lines is not None and 1 <= line <= len(source_lines):
        obj, proc = enclosing_scope(source_lines, line)
        snippet = normalize_snippet(source_lines[line - 1])
    else:
        obj, proc, snippet = "", "", normalize_snippet(finding.message)
    return BaselineKey(finding.rule_id, posix_path(finding.location.path), obj, proc, snippet)


# --------------------------------------------------------------------------- writing


def baseline_counts(
    findings: Iterable[Finding], lines_of: LinesOf, fingerprint_key: FingerprintKey = default_fingerprint_key
) -> Counter[BaselineKey]:
    """How often each key occurs among the unsuppressed findings."""
    return Counter(
        fingerprint_key(f, lines_of(f.location.path)) for f in findings if f.suppression is None
    )


def render_baseline(
    findings: Iterable[Finding], lines_of: LinesOf, fingerprint_key: FingerprintKey = default_fingerprint_key
) -> str:
    """The baseline file for ``findings`` (JSON text ending with a newline)."""
    entries = [
        {**dataclasses.asdict(key), "count": n}
        for key, n in sorted(baseline_counts(findings, lines_of, fingerprint_key).items())
    ]
    doc = {"version": BASELINE_VERSION, "tool": "pbtlint", "findings": entries}
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- reading


def parse_baseline(text: str, source: str = "<baseline>") -> Counter[BaselineKey]:
    """The keys of a baseline file; :class:`~pbtlint.config.ConfigError` naming the place when it is bad."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(source, f"not valid JSON: {e.msg}", line=e.lineno, column=e.colno) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("findings"), list):
        raise ConfigError(source, 'expected an object with a "findings" list')
    version = doc.get("version")
    if version != BASELINE_VERSION:
        raise ConfigError(source, f"unsupported baseline version {version!r} (expected {BASELINE_VERSION})")
    out: Counter[BaselineKey] = Counter()
    fields = [f.name for f in dataclasses.fields(BaselineKey)]
    for i, entry in enumerate(doc["findings"]):
        where = f"findings[{i}]"
        if not isinstance(entry, dict):
            raise ConfigError(source, "expected an object", key=where)
        values = []
        for name in fields:
            value = entry.get(name, "")
            if not isinstance(value, str):
                raise ConfigError(source, f"{name!r} must be a string", key=where)
            values.append(value)
        count = entry.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise ConfigError(source, "'count' must be a positive integer", key=where)
        if not values[0]:
            raise ConfigError(source, "'rule' is missing", key=where)
        out[BaselineKey(*values)] += count
    return out


def read_baseline(path: str | Path) -> Counter[BaselineKey]:
    """Read and parse a baseline file; ConfigError when it cannot be read or is bad."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(str(path), f"cannot read baseline: {e}") from None
    return parse_baseline(text, str(path))


# --------------------------------------------------------------------------- applying


def apply_baseline(
    findings: Iterable[Finding],
    baseline: Counter[BaselineKey],
    lines_of: LinesOf,
    fingerprint_key: FingerprintKey = default_fingerprint_key,
) -> list[Finding]:
    """``findings`` with those the baseline still holds marked ``suppression="external"``.

    Each baseline entry absorbs at most ``count`` findings (in location order); findings that are
    already suppressed are left alone and do not use up entries.
    """
    remaining = Counter(baseline)
    out: list[Finding] = []
    for f in sorted(findings, key=Finding.sort_key):
        if f.suppression is None:
            key = fingerprint_key(f, lines_of(f.location.path))
            if remaining[key] > 0:
                remaining[key] -= 1
                f = dataclasses.replace(f, suppression=EXTERNAL)
        out.append(f)
    return out
