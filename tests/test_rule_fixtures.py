"""Every rule fixture: `// ruleid:` lines must be reported, `// ok:` lines must not, and the rule
under test reports nothing else in its cases.

Cases live in fixtures/rules/PBTnnnn/{HasDiagnostic,NoDiagnostic}/: a single .al file, or a
directory (with app.json) analyzed as one app.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import expectation_problems

from pbtlint.markers import read_expectations
from pbtlint.rule import rule_by_id
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
    marked = read_expectations("\n".join(read_source(f).text or "" for f in ([case] if case.is_file() else sorted(case.rglob("*.al")))))
    wanted = [e for e in marked if e.rule_id == rule_id and e.must_fire == has_diagnostic]
    assert wanted, f"{case_id(case)} has no '{'ruleid' if has_diagnostic else 'ok'}: {rule_id}' marker"
    problems = expectation_problems(case, [rule_id])
    assert not problems, "\n".join(problems)
