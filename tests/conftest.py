"""Shared test helpers."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pbtlint.markers import read_expectations
from pbtlint.runner import analyze, display_path
from pbtlint.source import read_source


def expectation_problems(case: Path, strict_rules: Iterable[str]) -> list[str]:
    """Analyze ``case`` (an .al file or an app folder) and compare with the markers in its AL.

    Lines under ``// ruleid:`` must be reported for that rule, lines under ``// ok:`` must not, and
    the rules in ``strict_rules`` may report nothing but marked lines.
    """
    files = [case] if case.is_file() else sorted(case.rglob("*.al"))
    expected: set[tuple[str, int, str]] = set()
    forbidden: set[tuple[str, int, str]] = set()
    for f in files:
        for e in read_expectations(read_source(f).text or ""):
            (expected if e.must_fire else forbidden).add((display_path(f), e.line, e.rule_id))
    strict = set(strict_rules)
    result = analyze([case])
    reported = {(f.location.path, f.location.span.line, f.rule_id) for f in result.findings}
    problems = [f"missed {p}:{line} {r}" for p, line, r in sorted(expected - reported)]
    problems += [f"reported on an 'ok' line {p}:{line} {r}" for p, line, r in sorted(forbidden & reported)]
    problems += [
        f"unexpected {p}:{line} {r}"
        for p, line, r in sorted(reported - expected - forbidden)
        if r in strict
    ]
    return problems
