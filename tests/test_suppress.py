"""Suppressions from pragmas, app.json and rulesets; severities from the config; SARIF marks them."""

from __future__ import annotations

import json
from pathlib import Path

from pbtlint.config import Config, load_config
from pbtlint.findings import Finding, Location, Severity
from pbtlint.preprocessor import PragmaWarning, preprocess
from pbtlint.report import ReportMeta
from pbtlint.report.sarif import render_sarif
from pbtlint.span import Span
from pbtlint.suppress import apply_suppressions, pragma_disables

FILE = "src/Task.Codeunit.al"


def at(line: int, rule: str = "PBT0001", severity: Severity = Severity.ERROR, path: str = FILE) -> Finding:
    return Finding(rule, severity, f"{rule} at {line}", Location(path, Span(line, 5, line, 10)))


def by_line(findings: list[Finding]) -> dict[tuple[str, int], Finding]:
    return {(f.rule_id, f.location.span.line): f for f in findings}


def test_pragma_ranges_lists_all_and_end_of_file():
    pragmas = [
        PragmaWarning(3, "disable", ("PBT0001", "PBT0002")),
        PragmaWarning(6, "restore", ("PBT0001",)),
        PragmaWarning(10, "disable", ()),
        PragmaWarning(12, "restore", ("PBT0004",)),
    ]
    assert not pragma_disables(pragmas, "PBT0001", 2)
    assert pragma_disables(pragmas, "PBT0001", 4)
    assert pragma_disables(pragmas, "pbt0002", 4)
    assert not pragma_disables(pragmas, "PBT0003", 4)
    assert not pragma_disables(pragmas, "PBT0001", 7)
    assert pragma_disables(pragmas, "PBT0002", 8)  # never restored: still off
    assert pragma_disables(pragmas, "PBT0003", 11)  # no list = every rule
    assert not pragma_disables(pragmas, "PBT0004", 13)  # restored by name after a disable-all
    assert pragma_disables(pragmas, "PBT0003", 999)  # without restore: to the end of the file


def test_pragmas_from_real_preprocessor_output():
    text = (
        "codeunit 50100 Task\n{\n#pragma warning disable PBT0001, PBT0004 // background is fine here\n"
        "    trigger OnRun()\n    begin\n        R.Insert();\n#pragma warning restore PBT0001\n"
        "        R.Modify();\n        Message('x');\n    end;\n}\n"
    )
    result = preprocess(text, (), FILE)
    findings = [at(6), at(8), at(9, "PBT0004")]
    out = by_line(apply_suppressions(findings, pragmas={FILE: result.pragmas}))
    assert out[("PBT0001", 6)].suppression == "inSource"
    assert out[("PBT0001", 8)].suppression is None
    assert out[("PBT0004", 9)].suppression == "inSource"


def test_pragmas_only_apply_to_their_file():
    pragmas = {FILE: (PragmaWarning(1, "disable", ()),)}
    out = apply_suppressions([at(5), at(5, path="src/Other.al")], pragmas=pragmas)
    assert [f.suppression for f in out] == [None, "inSource"]  # sorted: src/Other.al first


def test_app_json_suppress_warnings_are_external():
    out = apply_suppressions([at(5), at(6, "PBT0002")], suppress_warnings={FILE: ["pbt0002"]})
    assert by_line(out)[("PBT0002", 6)].suppression == "external"
    assert by_line(out)[("PBT0001", 5)].suppression is None


def test_in_source_wins_over_external_and_keeps_existing_marks():
    pragmas = {FILE: (PragmaWarning(1, "disable", ("PBT0001",)),)}
    out = apply_suppressions([at(5)], pragmas=pragmas, suppress_warnings={FILE: ["PBT0001"]})
    assert out[0].suppression == "inSource"
    already = Finding("PBT0001", Severity.ERROR, "m", Location(FILE, Span(5, 1, 5, 2)), suppression="external")
    assert apply_suppressions([already])[0].suppression == "external"


def test_config_severity_disable_and_ruleset_hidden():
    cfg = Config(severity={"PBT0001": "warning", "PBT0002": "none"}, disable=frozenset({"PBT0003"}))
    out = by_line(apply_suppressions([at(1), at(2, "PBT0002"), at(3, "PBT0003"), at(4, "PBT0004")], config=cfg))
    assert ("PBT0003", 3) not in out  # disabled: gone
    assert out[("PBT0001", 1)].severity is Severity.WARNING and out[("PBT0001", 1)].suppression is None
    assert out[("PBT0002", 2)].suppression == "external"
    assert out[("PBT0004", 4)].severity is Severity.ERROR


def test_ruleset_actions_and_general_action_end_to_end(tmp_path: Path):
    (tmp_path / "team.ruleset.json").write_text(json.dumps({
        "generalAction": "Error",
        "rules": [{"id": "PBT0001", "action": "Info"}, {"id": "PBT0004", "action": "Hidden"}],
    }))
    (tmp_path / ".pbtlint.toml").write_text('ruleset = "team.ruleset.json"\n')
    cfg = load_config(start=tmp_path)
    out = by_line(apply_suppressions(
        [at(1), at(2, "PBT0004"), at(3, "PBT0020", Severity.WARNING), at(4, "PBT0035", Severity.NOTE)], config=cfg,
    ))
    assert out[("PBT0001", 1)].severity is Severity.NOTE
    assert out[("PBT0004", 2)].suppression == "external"
    assert out[("PBT0020", 3)].severity is Severity.ERROR  # warnings as errors
    assert out[("PBT0035", 4)].severity is Severity.NOTE


def test_every_source_is_reported_as_suppressed_in_sarif():
    pragmas = {FILE: (PragmaWarning(10, "disable", ("PBT0001",)),)}
    cfg = Config(severity={"PBT0004": "hidden"})
    findings = [at(11), at(3, "PBT0002"), at(4, "PBT0004"), at(5, "PBT0010", Severity.WARNING)]
    marked = apply_suppressions(findings, pragmas=pragmas, suppress_warnings={FILE: ["PBT0002"]}, config=cfg)
    doc = json.loads(render_sarif(marked, ReportMeta(tool_version="1.0.0")))
    kinds = {r["ruleId"]: [s["kind"] for s in r.get("suppressions", [])] for r in doc["runs"][0]["results"]}
    assert kinds == {"PBT0001": ["inSource"], "PBT0002": ["external"], "PBT0004": ["external"], "PBT0010": []}
    levels = {r["ruleId"]: r["level"] for r in doc["runs"][0]["results"]}
    assert levels["PBT0010"] == "warning"


def test_result_is_sorted_and_unchanged_findings_are_the_same_objects():
    f1, f2 = at(9), at(2)
    out = apply_suppressions([f1, f2])
    assert out == [f2, f1]
    assert out[0] is f2
