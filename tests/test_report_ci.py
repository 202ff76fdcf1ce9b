"""CI formats: GitHub workflow commands, Azure logging commands, GitLab Code Quality, Markdown summary."""

from __future__ import annotations

import json

from pbtlint.findings import Finding, Location, Severity
from pbtlint.report import ReportMeta, ToolNotification
from pbtlint.report.ci_formats import (
    azure_command,
    github_command,
    md_cell,
    mermaid_flowchart,
    mermaid_label,
    render_azure,
    render_github,
    render_gitlab,
    render_markdown,
)
from pbtlint.span import Span

META = ReportMeta(root="/repo", base="/repo/app")
ENQ = Location("src/Card.Page.al", Span(5, 9, 5, 66), 'enqueue "Task"')
STEP = Location("src/Task.Codeunit.al", Span(3, 5, 3, 20), "OnRun")


def finding(severity: Severity = Severity.ERROR, message: str = "Insert in background, 100% sure: bad", **kw) -> Finding:
    values = dict(
        location=Location("src/Task.Codeunit.al", Span(12, 9, 12, 22)),
        related=(ENQ,),
        call_path=(ENQ, STEP),
    )
    values.update(kw)
    return Finding("PBT0001", severity, message, **values)


# --------------------------------------------------------------------------- GitHub


def test_github_command_properties_and_escaping():
    line = github_command(finding(), META)
    head, message = line.split("::", 2)[1:]
    assert head == "error file=app/src/Task.Codeunit.al,line=12,col=9,endLine=12,endColumn=21,title=PBT0001"
    assert message.startswith("Insert in background, 100%25 sure: bad%0A    at src/Card.Page.al(5,9)")
    assert "\n" not in line


def test_github_property_values_escape_colon_and_comma():
    f = finding(location=Location("a,b:c.al", Span(1, 1, 2, 3)), call_path=())
    line = github_command(f, ReportMeta())
    assert "file=a%2Cb%3Ac.al,line=1,col=1,endLine=2,title=PBT0001::" in line
    assert "endColumn" not in line  # only for single-line regions


def test_github_levels_and_suppressed():
    out = render_github(
        [finding(Severity.WARNING), finding(Severity.NOTE), finding(suppression="inSource")], META
    ).splitlines()
    assert {line.split(" ", 1)[0] for line in out[:2]} == {"::warning", "::notice"}
    assert len(out) == 3  # two commands and the summary; the suppressed one is not shown
    assert out[-1].endswith("1 suppressed.")


def test_github_notifications():
    meta = ReportMeta(notifications=(ToolNotification("src/x.al", "cannot read", rule_id="PBT0000"),))
    assert render_github([], meta).splitlines()[0] == "::error file=src/x.al,title=PBT0000::cannot read"


# --------------------------------------------------------------------------- Azure


def test_azure_logissue_with_escaping():
    f = finding(message="a;b]c%d\nnext", call_path=())
    line = azure_command(f, META)
    assert line == (
        "##vso[task.logissue type=error;sourcepath=/repo/app/src/Task.Codeunit.al;linenumber=12;"
        "columnnumber=9;code=PBT0001]a;b]c%AZP25d%0Anext"
    )


def test_azure_property_escaping_and_notes():
    f = finding(Severity.WARNING, location=Location("/x/a;b].al", Span(2, 3, 2, 4)), call_path=())
    assert "sourcepath=/x/a%3Bb%5D.al;" in azure_command(f, META)
    note = azure_command(finding(Severity.NOTE, call_path=()), META)
    assert note == "src/Task.Codeunit.al(12,9): note PBT0001: Insert in background, 100% sure: bad"
    out = render_azure([finding(), finding(suppression="external")], META).splitlines()
    assert len(out) == 2 and out[0].startswith("##vso[task.logissue type=error;")


# --------------------------------------------------------------------------- GitLab


def test_gitlab_code_quality_report():
    findings = [finding(), finding(Severity.WARNING, location=Location("src/Task.Codeunit.al", Span(20, 1, 20, 2))),
                finding(Severity.NOTE, location=Location("src/B.al", Span(1, 1, 1, 2))), finding(suppression="inSource")]
    issues = json.loads(render_gitlab(findings, META))
    assert len(issues) == 3
    first = issues[1]
    assert set(first) == {"description", "check_name", "fingerprint", "severity", "location"}
    assert first["check_name"] == "PBT0001"
    assert first["location"] == {"path": "app/src/Task.Codeunit.al", "lines": {"begin": 12}}
    assert [i["severity"] for i in issues] == ["info", "major", "minor"]
    assert len({i["fingerprint"] for i in issues}) == 3
    assert json.loads(render_gitlab([], META)) == []


# --------------------------------------------------------------------------- Markdown


def test_markdown_summary_table_and_mermaid():
    out = render_markdown([finding(message="a | b <script>"), finding(Severity.NOTE, call_path=())], META)
    assert out.startswith("## pbtlint\n\n**2 problems (1 error, 0 warnings, 1 note).**")
    assert "| Severity | Rule | Location | Message |" in out
    assert "| error | PBT0001 | `app/src/Task.Codeunit.al:12:9` | a \\| b &lt;script&gt; |" in out.replace(
        "PBT0001 background-database-write", "PBT0001"
    )
    assert out.count("```mermaid") == 1  # only the finding with a call path gets a diagram
    assert out.endswith("```\n")


def test_mermaid_flowchart_ends_at_the_finding():
    chart = mermaid_flowchart(finding(), META).splitlines()
    assert chart[:2] == ["```mermaid", "flowchart TD"]
    assert chart[2] == '    s0["enqueue #quot;Task#quot;<br/>app/src/Card.Page.al:5:9"]'
    assert chart[3] == '    s1["OnRun<br/>app/src/Task.Codeunit.al:3:5"]'
    assert chart[4] == '    s2["PBT0001<br/>app/src/Task.Codeunit.al:12:9"]'
    assert "    s0 --> s1" in chart and "    s1 --> s2" in chart
    assert "    class s2 finding" in chart


def test_escaping_helpers():
    assert mermaid_label('a "b" #1 <x>\nnext') == "a #quot;b#quot; #35;1 #lt;x#gt; next"
    assert md_cell("a|b\nc & <d>") == "a\\|b<br>c &amp; &lt;d&gt;"


def test_markdown_clean_run():
    assert render_markdown([], ReportMeta()) == "## pbtlint\n\n**No problems found.**\n"
