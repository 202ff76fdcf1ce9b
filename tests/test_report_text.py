"""Text and JSON reporters, the format dispatch and the output writer."""

from __future__ import annotations

import io
import json

import pytest

from pbtlint.findings import Finding, Location, Severity
from pbtlint.report import FORMATS, ReportMeta, ToolNotification, render, repo_path, summary_line, write_report
from pbtlint.report.text import format_finding, render_text
from pbtlint.span import Span

ENQ = Location("src/Card.Page.al", Span(5, 9, 5, 66), "enqueue site")


def finding(**kw) -> Finding:
    values = dict(
        rule_id="PBT0020",
        severity=Severity.WARNING,
        message="Get('Key') is not guarded by ContainsKey",
        location=Location("src/Task.Codeunit.al", Span(12, 9, 12, 30)),
        related=(ENQ,),
        call_path=(ENQ, Location("src/Task.Codeunit.al", Span(3, 5, 3, 20), "OnRun")),
    )
    values.update(kw)
    return Finding(**values)


def test_compiler_style_line_then_call_path():
    assert format_finding(finding()) == (
        "src/Task.Codeunit.al(12,9): warning PBT0020: Get('Key') is not guarded by ContainsKey\n"
        "    at src/Card.Page.al(5,9): enqueue site\n"
        "    at src/Task.Codeunit.al(3,5): OnRun"
    )


def test_step_without_label_has_no_colon():
    f = finding(call_path=(Location("a.al", Span(1, 2, 1, 3)),))
    assert format_finding(f).splitlines()[1] == "    at a.al(1,2)"


def test_render_text_sorts_hides_suppressed_and_summarizes():
    later = finding(location=Location("src/Z.al", Span(1, 1, 1, 2)), call_path=(), severity=Severity.ERROR)
    hidden = finding(suppression="inSource", call_path=(), location=Location("src/A.al", Span(1, 1, 1, 2)))
    meta = ReportMeta(notifications=(ToolNotification("src/Bad.al", "cannot read", rule_id="PBT0000"),))
    out = render_text([later, finding(), hidden], meta)
    lines = out.splitlines()
    assert lines[0].startswith("src/Task.Codeunit.al(12,9): warning PBT0020")
    assert lines[3].startswith("src/Z.al(1,1): error PBT0020")
    assert "src/A.al" not in out
    assert lines[-2] == "src/Bad.al: error PBT0000: cannot read"
    assert lines[-1] == "2 problems (1 error, 1 warning, 0 notes); 1 suppressed."
    assert out.endswith("\n")


def test_show_suppressed_marks_them():
    out = render_text([finding(suppression="external", call_path=())], ReportMeta(show_suppressed=True))
    assert "[suppressed: external]" in out.splitlines()[0]


def test_summary_line_clean_and_plural():
    assert summary_line([]) == "No problems found."
    assert summary_line([finding(severity=Severity.NOTE)]) == "1 problem (0 errors, 0 warnings, 1 note)."


def test_json_report_has_everything_sorted_and_stable():
    f2 = finding(location=Location("src/A.al", Span(2, 1, 2, 4)), suppression="inSource")
    text = render("json", [finding(), f2], ReportMeta(tool_version="9.9.9"))
    doc = json.loads(text)
    assert doc["version"] == 1
    assert doc["tool"] == {"name": "pbtlint", "version": "9.9.9"}
    assert doc["summary"] == {"error": 0, "warning": 1, "note": 0, "suppressed": 1}
    assert [f["location"]["path"] for f in doc["findings"]] == ["src/A.al", "src/Task.Codeunit.al"]
    first = doc["findings"][1]
    assert first["rule_id"] == "PBT0020" and first["severity"] == "warning"
    assert first["suppression"] is None
    assert first["location"] == {
        "path": "src/Task.Codeunit.al", "line": 12, "column": 9, "end_line": 12, "end_column": 30, "label": "",
    }
    assert [c["label"] for c in first["call_path"]] == ["enqueue site", "OnRun"]
    assert doc["findings"][0]["suppression"] == "inSource"
    assert text == render("json", [f2, finding()], ReportMeta(tool_version="9.9.9"))


def test_render_knows_every_format_and_rejects_others():
    for name in FORMATS:
        assert isinstance(render(name, [finding()], ReportMeta()), str)
    with pytest.raises(ValueError, match="unknown format"):
        render("xml", [], ReportMeta())


def test_write_report_to_stream_and_file(tmp_path):
    stream = io.StringIO()
    write_report("hello\n", None, stream)
    assert stream.getvalue() == "hello\n"
    target = tmp_path / "out.txt"
    write_report("a\nb\n", target, stream)
    assert target.read_bytes() == b"a\nb\n"
    assert stream.getvalue() == "hello\n"


def test_repo_path():
    meta = ReportMeta(root="/r", base="/r/app")
    assert repo_path("src/a.al", meta) == ("app/src/a.al", True)
    assert repo_path("../other/b.al", meta) == ("other/b.al", True)
    assert repo_path("/elsewhere/c.al", meta) == ("/elsewhere/c.al", False)
    assert repo_path("src/./a.al", ReportMeta()) == ("src/a.al", True)
    assert repo_path("../a.al", ReportMeta()) == ("../a.al", False)
    assert repo_path("/abs/a.al", ReportMeta()) == ("/abs/a.al", False)
    assert repo_path("src/a.al", ReportMeta(base="/b")) == ("src/a.al", True)  # the root defaults to base
