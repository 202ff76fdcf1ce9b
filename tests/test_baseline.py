"""Baselines: keyed by rule, file, object, procedure and snippet; never by line number."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pbtlint.baseline import (
    BaselineKey,
    apply_baseline,
    default_fingerprint_key,
    enclosing_scope,
    normalize_snippet,
    parse_baseline,
    read_baseline,
    render_baseline,
)
from pbtlint.config import ConfigError
from pbtlint.findings import Finding, Location, Severity
from pbtlint.span import Span

FILE = "src/Task.Codeunit.al"
TEXT = """codeunit 50100 "Task Runner"
{
    trigger OnRun()
    begin
        Helper();
    end;

    local procedure Helper()
    var
        Cust: Record Customer;
    begin
        Cust.Insert();
        Cust.Insert();
        Cust.Modify(true);
    end;
}
"""


def lines_of(text: str):
    lines = text.split("\n")
    return lambda path: lines if path == FILE else None


def at(line: int, rule: str = "PBT0001", path: str = FILE) -> Finding:
    return Finding(rule, Severity.ERROR, f"{rule} message", Location(path, Span(line, 9, line, 22)))


def test_key_has_object_procedure_and_normalized_snippet():
    key = default_fingerprint_key(at(12), TEXT.split("\n"))
    assert key == BaselineKey("PBT0001", FILE, 'codeunit "Task Runner"', "Helper", "Cust.Insert();")
    assert default_fingerprint_key(at(5), TEXT.split("\n")).procedure == "OnRun"


def test_normalize_snippet_collapses_whitespace_keeps_case():
    assert normalize_snippet("\ufeff  Cust.Insert( true );\t\r") == "Cust.Insert( true );"
    assert normalize_snippet("A  \t b") == "A b"
    assert normalize_snippet("MiXeD") == "MiXeD"


def test_enclosing_scope_variants():
    lines = [
        "pageextension 50101 CardExt extends \"Customer Card\"",
        "{",
        "    trigger OnAfterGetCurrRecord()",
        "    begin",
        "        X();",
        "    end;",
        "    internal procedure \"Do It\"(A: Integer): Boolean",
        "    begin",
        "        Y();",
    ]
    assert enclosing_scope(lines, 5) == ("pageextension CardExt", "OnAfterGetCurrRecord")
    assert enclosing_scope(lines, 9) == ("pageextension CardExt", '"Do It"')
    assert enclosing_scope(lines, 1) == ("pageextension CardExt", "")
    assert enclosing_scope(["    x := 1;"], 1) == ("", "")


def test_write_then_apply_suppresses_exactly_the_baselined_findings():
    findings = [at(12), at(13), at(14)]
    text = render_baseline(findings, lines_of(TEXT))
    doc = json.loads(text)
    assert doc["version"] == 1 and doc["tool"] == "pbtlint"
    entries = doc["findings"]
    assert len(entries) == 2
    insert = next(e for e in entries if e["snippet"] == "Cust.Insert();")
    assert insert["count"] == 2 and insert["procedure"] == "Helper" and "line" not in insert
    out = apply_baseline(findings, parse_baseline(text), lines_of(TEXT))
    assert all(f.suppression == "external" for f in out)


def test_baseline_survives_lines_inserted_above():
    baseline = parse_baseline(render_baseline([at(12), at(14)], lines_of(TEXT)))
    edited = "// header comment\n// another\n" + TEXT.replace("    begin\n        Helper();", "    begin\n        Init();\n        Helper();")
    # Insert moved from 12 to 15, Modify from 14 to 17.
    lines = edited.split("\n")
    assert lines[14].strip() == "Cust.Insert();" and lines[16].strip() == "Cust.Modify(true);"
    out = apply_baseline([at(15), at(17)], baseline, lines_of(edited))
    assert [f.suppression for f in out] == ["external", "external"]


def test_new_findings_are_not_absorbed():
    baseline = parse_baseline(render_baseline([at(12)], lines_of(TEXT)))
    out = apply_baseline([at(12), at(13), at(14), at(12, "PBT0002")], baseline, lines_of(TEXT))
    marks = {(f.rule_id, f.location.span.line): f.suppression for f in out}
    assert marks == {
        ("PBT0001", 12): "external",
        ("PBT0001", 13): None,  # the second identical line is new: count 1 is used up
        ("PBT0001", 14): None,
        ("PBT0002", 12): None,
    }


def test_suppressed_findings_are_not_written_and_not_counted():
    suppressed = Finding("PBT0001", Severity.ERROR, "m", Location(FILE, Span(12, 9, 12, 22)), suppression="inSource")
    assert json.loads(render_baseline([suppressed], lines_of(TEXT)))["findings"] == []
    baseline = parse_baseline(render_baseline([at(12)], lines_of(TEXT)))
    out = apply_baseline([suppressed, at(13)], baseline, lines_of(TEXT))
    assert [f.suppression for f in out] == ["inSource", "external"]


def test_custom_fingerprint_key():
    def by_rule(finding, lines):
        return BaselineKey(finding.rule_id, "", "", "", "")

    baseline = parse_baseline(render_baseline([at(12)], lines_of(TEXT), by_rule))
    out = apply_baseline([at(3, path="other.al")], baseline, lambda p: None, by_rule)
    assert out[0].suppression == "external"


def test_without_source_the_message_is_the_snippet():
    key = default_fingerprint_key(at(3, path="x.al"), None)
    assert key == BaselineKey("PBT0001", "x.al", "", "", "PBT0001 message")


def test_render_is_deterministic():
    findings = [at(14), at(12), at(13)]
    assert render_baseline(findings, lines_of(TEXT)) == render_baseline(list(reversed(findings)), lines_of(TEXT))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{", "not valid JSON"),
        ("[]", '"findings" list'),
        ('{"version": 7, "findings": []}', "unsupported baseline version"),
        ('{"version": 1, "findings": [3]}', "expected an object"),
        ('{"version": 1, "findings": [{"rule": "PBT0001", "count": 0}]}', "positive integer"),
        ('{"version": 1, "findings": [{"rule": 5}]}', "must be a string"),
        ('{"version": 1, "findings": [{"file": "a.al"}]}', "'rule' is missing"),
    ],
)
def test_bad_baselines_raise_config_errors(text: str, fragment: str):
    with pytest.raises(ConfigError, match=fragment) as err:
        parse_baseline(text, "base.json")
    assert str(err.value).startswith("base.json")


def test_read_baseline_file(tmp_path: Path):
    path = tmp_path / "pbtlint-baseline.json"
    path.write_text(render_baseline([at(12)], lines_of(TEXT)), encoding="utf-8")
    assert sum(read_baseline(path).values()) == 1
    with pytest.raises(ConfigError, match="cannot read baseline"):
        read_baseline(tmp_path / "missing.json")
