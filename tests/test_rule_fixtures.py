"""Every rule fixture: `// ruleid:` lines must be reported, `// ok:` lines must not, and the rule
under test reports nothing else in its cases.

Cases live in fixtures/rules/PBTnnnn/{HasDiagnostic,NoDiagnostic}/: a single .al file, or a
directory (with app.json) analyzed as one app.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pbtlint.markers import read_expectations
from pbtlint.rule import rule_by_id
from pbtlint.runner import analyze, display_path
from pbtlint.source import read_source

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "rules"


def cases() -> list[Path]:
    found = []
    for rule_dir in sorted(FIXTURES.glob("PBT*")):
        for kind in ("HasDiagnostic", "NoDiagnostic"):
            found.extend(sorted(p for p in (rule_dir / kind).glob("*") if p.suffix == ".al" or p.is_dir()))
    return found


def case_id(case: Path) -> str:
    return case.relative_to(FIXTURES).as_posix()


@pytest.mark.parametrize("case", cases(), ids=case_id)
def test_rule_fixture(case: Path) -> None:
    rule_id = case.relative_to(FIXTURES).parts[0]
    has_diagnostic = case.relative_to(FIXTURES).parts[1] == "HasDiagnostic"
    if rule_by_id(rule_id) is None:
        pytest.skip(f"rule {rule_id} is not implemented yet: its fixtures are not checked")
    files = [case] if case.is_file() else sorted(case.rglob("*.al"))
    expected: set[tuple[str, int, str]] = set()
    forbidden: set[tuple[str, int, str]] = set()
    for f in files:
        text = read_source(f).text or ""
        for e in read_expectations(text):
            (expected if e.must_fire else forbidden).add((display_path(f), e.line, e.rule_id))
    marker_rules = {r for _, _, r in expected} if has_diagnostic else {r for _, _, r in forbidden}
    assert rule_id in marker_rules, f"{case_id(case)} has no '{'ruleid' if has_diagnostic else 'ok'}: {rule_id}' marker"

    result = analyze([case])
    reported = {(f.location.path, f.location.span.line, f.rule_id) for f in result.findings}
    missed = sorted(expected - reported)
    wrongly = sorted(forbidden & reported)
    unexpected = sorted(r for r in reported if r[2] == rule_id and r not in expected)
    problems = [f"missed {p}:{line} {r}" for p, line, r in missed]
    problems += [f"reported on an 'ok' line {p}:{line} {r}" for p, line, r in wrongly]
    problems += [f"unexpected {p}:{line} {r}" for p, line, r in unexpected if (p, line, r) not in forbidden]
    assert not problems, "\n".join(problems)
