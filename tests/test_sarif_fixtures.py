"""The SARIF of the demo app and of every rule fixture passes Microsoft's validator (Sarif and GitHub
rules), and every result keeps the level of its finding."""

from __future__ import annotations

import json
from pathlib import Path

from test_rule_fixtures import cases
from test_sarif_validator import validate

from pbtlint.check import CheckOptions, run_check

ROOT = Path(__file__).resolve().parent.parent


def test_sarif_of_demo_app_and_rule_fixtures_validates(tmp_path: Path) -> None:
    targets = [ROOT / "fixtures" / "demo-app", ROOT / "fixtures" / "demo-app-fixed", *cases()]
    written: list[Path] = []
    for i, target in enumerate(targets):
        outcome = run_check(CheckOptions(paths=(str(target),), fmt="sarif"))
        doc = json.loads(outcome.report)
        levels = [r["level"] for r in doc["runs"][0]["results"]]
        assert levels == [f.severity.value for f in outcome.findings], target
        path = tmp_path / f"case{i:03}.sarif"
        path.write_text(outcome.report, encoding="utf-8")
        written.append(path)
    output, issues = validate(written)
    bad = [i for i in issues if i[0] == "error" or i[1].startswith("GH")]
    assert not bad, output[-4000:]
