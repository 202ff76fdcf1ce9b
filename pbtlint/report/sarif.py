"""SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

Built with sarif-om objects and serialized by :func:`to_json`, which walks them and writes every field
that was *set* (objects made with :func:`make` remember which ones), not just the ones that differ from
sarif-om's defaults: sarif-om's defaults include ``level = "warning"``, and dropping it would turn a
warning into an error under an error-level rule. Output is deterministic: sorted keys and results, no
time stamps, no GUIDs.

What a run holds: one run; the driver ``pbtlint`` with the whole rule catalogue; each result with
``ruleId``, ``ruleIndex`` and an explicit ``level``; a message linking its related locations
(``[enqueue site](1)``); a ``%SRCROOT%``-relative location with a region in Unicode code points
(``columnKind``); ``relatedLocations`` (enqueue site, task codeunit); a ``codeFlows`` thread flow walking
the call path to the finding; ``partialFingerprints`` with GitHub's ``primaryLocationLineHash`` (when the
file's text is in ``meta.sources``) and a line-independent ``pbtlint/v1`` key; ``suppressions`` for
suppressed findings; notifications (unreadable files, truncation) in ``invocations[0]``;
``automationDetails`` only when ``meta.category`` is given.

GitHub's limits (docs "SARIF results exceed one or more limits"): 25,000 results per run (hard), 1,000
thread flow locations and 100 locations per result, 10 tags per rule are shown. Past them the run keeps
the most severe results, shortens call paths (keeping both ends) and says so in a notification.
"""

from __future__ import annotations

import json
import re
import sys
from array import array
from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any
from urllib.parse import quote

import attr
import sarif_om as om

from pbtlint.findings import Finding, Location, Severity
from pbtlint.report import (
    HELP_URI,
    INFORMATION_URI,
    ReportMeta,
    absolute_uri,
    full_path,
    repo_path,
    source_text,
    stable_keys,
)
from pbtlint.rule import RuleMeta, all_rules

SARIF_VERSION = "2.1.0"
SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
LINE_HASH = "primaryLocationLineHash"
PBTLINT_KEY = "pbtlint/v1"

MAX_RESULTS = 25_000
MAX_THREAD_FLOW_LOCATIONS = 1_000
MAX_RELATED_LOCATIONS = 100
MAX_TAGS = 10

_PROBLEM_SEVERITY = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "recommendation"}
_SEVERITY_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.NOTE: 2}
_SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
_LINK_LIKE = re.compile(r"\[[^\]]*\]\(")


# --------------------------------------------------------------------------- building and serializing


def make(cls: type, **fields: Any) -> Any:
    """A sarif-om object that remembers which fields were given, so :func:`to_json` writes exactly those."""
    obj = cls(**fields)
    obj._pbtlint_set = frozenset(fields)
    return obj


def _is_default(field: Any, value: Any) -> bool:
    default = field.default
    if isinstance(default, attr.Factory):  # type: ignore[arg-type]
        default = default.factory()
    return value == default


def to_json(value: Any) -> Any:
    """Plain JSON data for a tree of sarif-om objects, dicts, lists and scalars.

    Objects made with :func:`make` contribute every field that was given (and is not None); other
    sarif-om objects every field that differs from its default.
    """
    if attr.has(type(value)):
        given = getattr(value, "_pbtlint_set", None)
        out: dict[str, Any] = {}
        for field in attr.fields(type(value)):
            v = getattr(value, field.name)
            if v is None:
                continue
            if given is not None and field.name not in given:
                continue
            if given is None and _is_default(field, v):
                continue
            out[field.metadata.get("schema_property_name", field.name)] = to_json(v)
        return out
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    return value


def dumps(log: Any) -> str:
    """The serialized log: two-space indents, sorted keys, non-ASCII kept, a final newline."""
    return json.dumps(to_json(log), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- GitHub's line hash

_BLOCK = 100
_MASK = (1 << 64) - 1
_FIRST_MOD = pow(37, _BLOCK, 1 << 64)
_EOF = 65535
_TAB, _SPACE, _LF, _CR = 9, 32, 10, 13


def _utf16_units(text: str) -> array:
    units = array("H")
    units.frombytes(text.encode("utf-16-le", errors="surrogatepass"))
    if sys.byteorder == "big":
        units.byteswap()
    return units


def line_hashes(text: str) -> dict[int, str]:
    """``primaryLocationLineHash`` of every line of ``text``, as GitHub's upload action computes it.

    For each line: a polynomial rolling hash (base 37, 64-bit wrap-around) over the 100 characters from
    the start of the line, skipping spaces and tabs and counting every line end as one ``\\n`` (a
    character code ``65535`` marks the end of the file, zeros pad it), written in hex, then ``:`` and
    how many lines so far had the same hash. Characters are UTF-16 code units of the text as read
    from disk (a byte order mark included).
    """
    window = [0] * _BLOCK
    starts = [-1] * _BLOCK  # line number whose first character sits at this window slot
    seen: dict[str, int] = {}
    out: dict[int, str] = {}
    h = index = line = 0
    line_start, prev_cr = True, False

    def emit() -> None:
        key = format(h, "x")
        seen[key] = seen.get(key, 0) + 1
        out[starts[index]] = f"{key}:{seen[key]}"
        starts[index] = -1

    def push(c: int) -> None:
        nonlocal h, index
        begin = window[index]
        window[index] = c
        h = (37 * h + c - _FIRST_MOD * begin) & _MASK
        index = (index + 1) % _BLOCK

    for c in (*_utf16_units(text), _EOF):
        if c in (_SPACE, _TAB) or (prev_cr and c == _LF):
            prev_cr = False
            continue
        if c == _CR:
            c, prev_cr = _LF, True
        else:
            prev_cr = False
        if starts[index] != -1:
            emit()
        if line_start:
            line_start = False
            line += 1
            starts[index] = line
        if c == _LF:
            line_start = True
        push(c)
    for _ in range(_BLOCK):
        if starts[index] != -1:
            emit()
        push(0)
    return out


# --------------------------------------------------------------------------- pieces


def _artifact(path: str, meta: ReportMeta) -> Any:
    rel, inside = repo_path(path, meta)
    if inside:
        return make(om.ArtifactLocation, uri=quote(rel, safe="/"), uri_base_id=SRCROOT)
    return make(om.ArtifactLocation, uri=absolute_uri(path, meta))


def _physical(location: Location, meta: ReportMeta) -> Any:
    s = location.span
    region = make(om.Region, start_line=s.line, start_column=s.column, end_line=s.end_line, end_column=s.end_column)
    return make(om.PhysicalLocation, artifact_location=_artifact(location.path, meta), region=region)


def _text(message: str) -> Any:
    return make(om.Message, text=message)


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else text + "."


def _escape_brackets(text: str) -> str:
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def message_text(finding: Finding, related: Sequence[Location]) -> str:
    """The finding's message as a sentence, then links to its related locations (ids 1, 2, ...)."""
    text = finding.message
    if _LINK_LIKE.search(text):  # would read as an embedded link
        text = _escape_brackets(text)
    text = _sentence(text)
    if related:
        links = ", ".join(
            f"[{_escape_brackets(loc.label or 'related location')}]({i})" for i, loc in enumerate(related, 1)
        )
        text += f" See {links}."
    return text


def _thread_flow(finding: Finding, meta: ReportMeta) -> tuple[Any, int]:
    steps = full_path(finding)
    total = len(steps)
    if total > MAX_THREAD_FLOW_LOCATIONS:
        head = MAX_THREAD_FLOW_LOCATIONS // 2
        steps = (*steps[:head], *steps[total - (MAX_THREAD_FLOW_LOCATIONS - head) :])
    locations = [
        make(
            om.ThreadFlowLocation,
            location=make(
                om.Location,
                physical_location=_physical(step, meta),
                message=_text(step.label or f"step {i + 1}"),
            ),
            nesting_level=i,
        )
        for i, step in enumerate(steps)
    ]
    flow = make(om.CodeFlow, thread_flows=[make(om.ThreadFlow, locations=locations)])
    return flow, total


def _semantic_version(version: str) -> str | None:
    return version if _SEMVER.match(version) else None


def _rule_metas(findings: Sequence[Finding]) -> list[tuple[RuleMeta, str, str]]:
    """(meta, doc, "What it does") of every catalogue rule and of rule ids only the findings know, by id."""
    known = {r.meta.id: (r.meta, r.doc(), r.doc_section("What it does")) for r in all_rules()}
    for f in findings:
        if f.rule_id not in known:
            summary = f"Findings reported under the id {f.rule_id}."
            meta = RuleMeta(f.rule_id, f.rule_id.lower(), f.severity, summary, tags=())
            known[f.rule_id] = (meta, summary, "")
    return [known[k] for k in sorted(known)]


def _descriptor(meta: RuleMeta, doc: str, what_it_does: str) -> Any:
    what = ""
    for part in re.split(r"\n\s*\n", what_it_does):
        if part.strip():
            what = " ".join(part.split())
            break
    properties: dict[str, Any] = {
        "precision": meta.precision,
        "problem.severity": _PROBLEM_SEVERITY[meta.severity],
    }
    fields: dict[str, Any] = {"id": meta.id}
    if meta.name.casefold() != meta.id.casefold():  # SARIF1001: a name equal to the id must be left out
        fields["name"] = meta.name
    if meta.tags:
        properties["tags"] = list(dict.fromkeys(meta.tags))[:MAX_TAGS]
    return make(
        om.ReportingDescriptor,
        **fields,
        short_description=make(om.MultiformatMessageString, text=_sentence(meta.summary)),
        full_description=make(om.MultiformatMessageString, text=_sentence(what or meta.summary)),
        help=make(om.MultiformatMessageString, text=doc or meta.summary, markdown=doc or meta.summary),
        help_uri=HELP_URI.format(rule_id=meta.id),
        default_configuration=make(om.ReportingConfiguration, level=meta.severity.value),
        properties=properties,
    )


def _notification(message: str, level: Severity, meta: ReportMeta, path: str = "", rule_id: str = "") -> Any:
    fields: dict[str, Any] = {"message": _text(_sentence(message)), "level": level.value}
    if path:
        artifact = make(om.PhysicalLocation, artifact_location=_artifact(path, meta))
        fields["locations"] = [make(om.Location, physical_location=artifact)]
    if rule_id:
        fields["descriptor"] = make(om.ReportingDescriptorReference, id=rule_id)
    return make(om.Notification, **fields)


def _priority(finding: Finding) -> tuple:
    return (finding.suppression is not None, _SEVERITY_RANK[finding.severity], *finding.sort_key())


# --------------------------------------------------------------------------- the log


def build_sarif(findings: Sequence[Finding], meta: ReportMeta) -> Any:
    """The :class:`sarif_om.SarifLog` for ``findings``."""
    notes: list[Any] = [
        _notification(n.message, n.level, meta, n.path, n.rule_id)
        for n in sorted(meta.notifications, key=lambda n: (n.path, n.message))
    ]
    kept = list(findings)
    if len(kept) > MAX_RESULTS:
        kept = sorted(kept, key=_priority)[:MAX_RESULTS]
        dropped = len(findings) - MAX_RESULTS
        notes.append(_notification(
            f"{dropped} of {len(findings)} results were left out: GitHub code scanning accepts at most "
            f"{MAX_RESULTS} per run, so the most severe were kept",
            Severity.WARNING, meta,
        ))

    located = []
    for f in kept:
        rel, _ = repo_path(f.location.path, meta)
        located.append((rel, f))
    located.sort(key=lambda pair: (pair[0], *pair[1].sort_key()))

    rules = _rule_metas(kept)
    rule_index = {m.id: i for i, (m, _, _) in enumerate(rules)}
    hashes: dict[str, dict[int, str]] = {}
    truncated = 0
    results = []
    keys = stable_keys([f for _, f in located], meta)
    for (_, f), key in zip(located, keys, strict=True):
        fields: dict[str, Any] = {
            "rule_id": f.rule_id,
            "rule_index": rule_index[f.rule_id],
            "level": f.severity.value,
            "locations": [make(om.Location, physical_location=_physical(f.location, meta))],
        }
        related = f.related[:MAX_RELATED_LOCATIONS]
        fields["message"] = _text(message_text(f, related))
        if related:
            fields["related_locations"] = [
                make(om.Location, id=i, physical_location=_physical(loc, meta),
                     message=_text(loc.label or "related location"))
                for i, loc in enumerate(related, 1)
            ]
        if f.call_path:
            flow, length = _thread_flow(f, meta)
            fields["code_flows"] = [flow]
            if length > MAX_THREAD_FLOW_LOCATIONS:
                truncated += 1
                fields["properties"] = {"pbtlint/callPathLength": length}
        fingerprints: dict[str, str] = {PBTLINT_KEY: key}
        if f.location.path not in hashes:
            text = source_text(meta, f.location.path)
            hashes[f.location.path] = line_hashes(text) if text is not None else {}
        line_hash = hashes[f.location.path].get(f.location.span.line)
        if line_hash:
            fingerprints[LINE_HASH] = line_hash
        fields["partial_fingerprints"] = fingerprints
        if f.suppression:
            fields["suppressions"] = [make(om.Suppression, kind=f.suppression)]
        results.append(make(om.Result, **fields))
    if truncated:
        notes.append(_notification(
            f"{truncated} call paths were longer than {MAX_THREAD_FLOW_LOCATIONS} steps (GitHub shows no more) "
            "and were shortened to their first and last steps",
            Severity.NOTE, meta,
        ))

    driver_fields: dict[str, Any] = {
        "name": "pbtlint",
        "version": meta.tool_version,
        "information_uri": INFORMATION_URI,
        "rules": [_descriptor(*rule) for rule in rules],
    }
    semver = _semantic_version(meta.tool_version)
    if semver:
        driver_fields["semantic_version"] = semver
    root = meta.root or meta.base
    if root:
        uri = absolute_uri(root, ReportMeta(root=root)).rstrip("/") + "/"
        base_ids = {SRCROOT: make(om.ArtifactLocation, uri=uri)}
    else:
        base_ids = {SRCROOT: make(om.ArtifactLocation, description=_text("The folder pbtlint was run in."))}
    invocation: dict[str, Any] = {"execution_successful": True}
    if notes:
        invocation["tool_execution_notifications"] = notes
    run_fields: dict[str, Any] = {
        "tool": make(om.Tool, driver=make(om.ToolComponent, **driver_fields)),
        "results": results,
        "column_kind": "unicodeCodePoints",
        "original_uri_base_ids": base_ids,
        "invocations": [make(om.Invocation, **invocation)],
    }
    if meta.category:
        category = meta.category if meta.category.endswith("/") else meta.category + "/"
        run_fields["automation_details"] = make(om.RunAutomationDetails, id=category)
    return make(om.SarifLog, version=SARIF_VERSION, schema_uri=SCHEMA_URI, runs=[make(om.Run, **run_fields)])


def render_sarif(findings: Sequence[Finding], meta: ReportMeta) -> str:
    """The SARIF log as text (see :func:`build_sarif`)."""
    return dumps(build_sarif(findings, meta))
