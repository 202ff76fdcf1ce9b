"""Suppressions and severities: what the configuration and the code say about each finding.

:func:`apply_suppressions` takes the findings of a run and returns them

- without those of rules the config ``disable``\\ s,
- with the severity the config and ruleset give (:meth:`pbtlint.config.Config.resolve`),
- marked ``suppression="inSource"`` when a ``#pragma warning disable`` covers the finding's line, or
  ``suppression="external"`` when app.json ``suppressWarnings`` names the rule or the ruleset hides it
  (action ``Hidden``/``None``).

Suppressed findings are kept (SARIF reports them with ``suppressions``); the other formats leave them out.

``#pragma warning disable [ids]`` / ``restore [ids]`` work as in AL: a comma list or no list (= every
rule), in file order, and a ``disable`` without ``restore`` lasts to the end of the file. A finding is
covered when the last pragma above its first line that names its rule (or names none) is a ``disable``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping, Sequence

from pbtlint.config import Config
from pbtlint.findings import Finding
from pbtlint.pragma import PragmaWarning

IN_SOURCE = "inSource"
EXTERNAL = "external"


def pragma_disables(pragmas: Sequence[PragmaWarning], rule_id: str, line: int) -> bool:
    """Whether ``rule_id`` is disabled at ``line`` by the file's ``#pragma warning`` directives."""
    rid = rule_id.upper()
    disabled = False
    for pragma in sorted(pragmas, key=lambda p: p.line):
        if pragma.line >= line:
            break
        if not pragma.ids or rid in pragma.ids:
            disabled = pragma.action == "disable"
    return disabled


def apply_suppressions(
    findings: Iterable[Finding],
    *,
    pragmas: Mapping[str, Sequence[PragmaWarning]] | None = None,
    suppress_warnings: Mapping[str, Collection[str]] | None = None,
    config: Config | None = None,
) -> list[Finding]:
    """The findings with severities adjusted and suppressions marked, sorted by location.

    ``pragmas`` and ``suppress_warnings`` are keyed by the finding's ``location.path``: the pragmas of
    that file and the ``suppressWarnings`` of the app.json of the app the file belongs to.
    """
    pragmas = pragmas or {}
    app_ids = {path: {i.upper() for i in ids} for path, ids in (suppress_warnings or {}).items()}
    config = config or Config()
    out: list[Finding] = []
    for f in findings:
        if config.is_disabled(f.rule_id):
            continue
        suppression = f.suppression
        severity = config.resolve(f.rule_id, f.severity)
        if severity is None:
            severity = f.severity
            suppression = suppression or EXTERNAL
        path = f.location.path
        if pragma_disables(pragmas.get(path, ()), f.rule_id, f.location.span.line):
            suppression = IN_SOURCE
        elif f.rule_id.upper() in app_ids.get(path, ()):
            suppression = suppression or EXTERNAL
        if severity != f.severity or suppression != f.suppression:
            f = dataclasses.replace(f, severity=severity, suppression=suppression)
        out.append(f)
    return sorted(out, key=Finding.sort_key)
