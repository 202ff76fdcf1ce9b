"""SARIF reporter: structure GitHub needs, explicit levels, fingerprints, limits, determinism."""

from __future__ import annotations

import json

import sarif_om as om

from pbtlint.findings import Finding, Location, Severity
from pbtlint.report import ReportMeta, ToolNotification, render
from pbtlint.report import sarif as sarif_mod
from pbtlint.report.sarif import build_sarif, line_hashes, make, render_sarif, to_json
from pbtlint.span import Span

TASK = "src/Task.Codeunit.al"
PAGE = "src/Card.Page.al"

TASK_TEXT = """codeunit 50100 "Task"
{
    trigger OnRun()
    var
        Cust: Record Customer;
    begin
        Helper(Cust);
    end;

    local procedure Helper(var Cust: Record Customer)
    begin
        Cust.Insert();
    end;
}
"""

PAGE_TEXT = """page 50100 "Card"
{
    trigger OnAfterGetCurrRecord()
    begin
        CurrPage.EnqueueBackgroundTask(TaskId, Codeunit::"Task");
    end;
}
"""


def sample_findings(task_shift: int = 0) -> list[Finding]:
    """Findings like the analysis will produce: call paths, related locations, a suppressed one."""
    d = task_shift
    enqueue = Location(PAGE, Span(5, 9, 5, 66), "enqueue site")
    codeunit = Location(TASK, Span(1 + d, 1, 1 + d, 22), "task codeunit")
    write = Finding(
        "PBT0001",
        Severity.WARNING,
        "Insert on record 'Cust' in background code",
        Location(TASK, Span(12 + d, 9, 12 + d, 22)),
        related=(enqueue, codeunit),
        call_path=(
            enqueue,
            Location(TASK, Span(3 + d, 5, 3 + d, 20), "OnRun"),
            Location(TASK, Span(7 + d, 9, 7 + d, 21), "Helper(Cust)"),
            Location(TASK, Span(12 + d, 9, 12 + d, 22), "Cust.Insert()"),
        ),
    )
    ui = Finding(
        "PBT0004",
        Severity.ERROR,
        "Message in background code",
        Location(TASK, Span(7 + d, 9, 7 + d, 21)),
        related=(enqueue,),
        call_path=(enqueue, Location(TASK, Span(7 + d, 9, 7 + d, 21), "Helper(Cust)")),
        suppression="inSource",
    )
    note = Finding("PBT0035", Severity.NOTE, "Codeunit 'X' is not in the analyzed sources", Location(PAGE, Span(5, 48, 5, 65)))
    return [write, ui, note]


def meta_for(task_text: str = TASK_TEXT, **kw) -> ReportMeta:
    defaults = dict(
        tool_version="1.2.3",
        root="/work/repo",
        base="/work/repo",
        sources={TASK: task_text, PAGE: PAGE_TEXT},
    )
    defaults.update(kw)
    return ReportMeta(**defaults)


def sarif_doc(findings=None, meta=None) -> dict:
    return json.loads(render_sarif(sample_findings() if findings is None else findings, meta or meta_for()))


def results_by_rule(doc: dict) -> dict[str, dict]:
    return {r["ruleId"]: r for r in doc["runs"][0]["results"]}


# --------------------------------------------------------------------------- structure


def test_one_run_with_driver_metadata_and_rules():
    doc = sarif_doc()
    assert doc["version"] == "2.1.0"
    assert doc["$schema"].endswith("sarif-schema-2.1.0.json")
    assert len(doc["runs"]) == 1
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "pbtlint"
    assert driver["version"] == "1.2.3"
    assert driver["semanticVersion"] == "1.2.3"
    assert driver["informationUri"].startswith("https://")
    assert run["columnKind"] == "unicodeCodePoints"
    ids = [r["id"] for r in driver["rules"]]
    assert ids == sorted(ids)
    assert {"PBT0000", "PBT0001", "PBT0004", "PBT0035"} <= set(ids)
    syntax = next(r for r in driver["rules"] if r["id"] == "PBT0000")
    assert syntax["name"] == "syntax-error"
    assert syntax["shortDescription"]["text"]
    assert syntax["fullDescription"]["text"].startswith("Reports every file")
    assert "## Why is this bad?" in syntax["help"]["markdown"]
    assert syntax["help"]["text"]
    assert syntax["helpUri"].endswith("PBT0000.md")
    assert syntax["defaultConfiguration"] == {"level": "error"}
    assert syntax["properties"]["problem.severity"] == "error"
    assert syntax["properties"]["precision"] == "high"
    assert syntax["properties"]["tags"] == ["correctness"]


def test_every_result_has_rule_index_and_explicit_level():
    doc = sarif_doc()
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert len(run["results"]) == 3
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels == {"PBT0001": "warning", "PBT0004": "error", "PBT0035": "note"}


def test_warning_level_survives_under_an_error_rule():
    # PBT0000 is an error rule; configured down to warning its results must still say "warning".
    f = Finding("PBT0000", Severity.WARNING, "expected ';'", Location(TASK, Span(2, 1, 2, 2)))
    doc = sarif_doc([f])
    result = doc["runs"][0]["results"][0]
    assert result["level"] == "warning"
    rule = doc["runs"][0]["tool"]["driver"]["rules"][result["ruleIndex"]]
    assert rule["defaultConfiguration"]["level"] == "error"


def test_locations_are_repo_relative_with_regions():
    run = sarif_doc()["runs"][0]
    result = results_by_rule(sarif_doc())["PBT0001"]
    phys = result["locations"][0]["physicalLocation"]
    assert phys["artifactLocation"] == {"uri": TASK, "uriBaseId": "%SRCROOT%"}
    assert phys["region"] == {"startLine": 12, "startColumn": 9, "endLine": 12, "endColumn": 22}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == "file:///work/repo/"


def test_paths_relative_to_a_subfolder_and_outside_root():
    inner = Finding("PBT0001", Severity.ERROR, "m", Location("src/a b.al", Span(1, 1, 1, 2)))
    outer = Finding("PBT0001", Severity.ERROR, "m", Location("/elsewhere/x.al", Span(1, 1, 1, 2)))
    meta = ReportMeta(tool_version="1.0.0", root="/work/repo", base="/work/repo/app")
    results = sarif_doc([inner, outer], meta)["runs"][0]["results"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert uris == {"app/src/a%20b.al", "file:///elsewhere/x.al"}
    outside = next(r for r in results if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("file:"))
    assert "uriBaseId" not in outside["locations"][0]["physicalLocation"]["artifactLocation"]


def test_message_links_related_locations():
    result = results_by_rule(sarif_doc())["PBT0001"]
    text = result["message"]["text"]
    assert text == "Insert on record 'Cust' in background code. See [enqueue site](1), [task codeunit](2)."
    related = result["relatedLocations"]
    assert [r["id"] for r in related] == [1, 2]
    assert [r["message"]["text"] for r in related] == ["enqueue site", "task codeunit"]
    assert related[0]["physicalLocation"]["artifactLocation"]["uri"] == PAGE


def test_message_brackets_that_look_like_links_are_escaped():
    f = Finding("PBT0001", Severity.ERROR, "Get [Key](x) fails", Location(TASK, Span(1, 1, 1, 2)))
    text = sarif_doc([f])["runs"][0]["results"][0]["message"]["text"]
    assert text == "Get \\[Key\\](x) fails."


def test_code_flow_walks_the_call_path_to_the_finding():
    result = results_by_rule(sarif_doc())["PBT0001"]
    (flow,) = result["codeFlows"]
    (thread,) = flow["threadFlows"]
    steps = thread["locations"]
    assert [s["location"]["message"]["text"] for s in steps] == [
        "enqueue site", "OnRun", "Helper(Cust)", "Cust.Insert()",
    ]
    assert [s["nestingLevel"] for s in steps] == [0, 1, 2, 3]
    assert steps[-1]["location"]["physicalLocation"]["region"]["startLine"] == 12


def test_code_flow_ends_at_the_finding_when_the_path_stops_short():
    result = results_by_rule(sarif_doc())["PBT0004"]
    steps = result["codeFlows"][0]["threadFlows"][0]["locations"]
    assert len(steps) == 2  # the path already ends at the finding: nothing appended
    note = results_by_rule(sarif_doc())["PBT0035"]
    assert "codeFlows" not in note
    short = Finding(
        "PBT0001", Severity.ERROR, "m", Location(TASK, Span(12, 9, 12, 22)),
        call_path=(Location(PAGE, Span(5, 9, 5, 66), "enqueue site"),),
    )
    steps = sarif_doc([short])["runs"][0]["results"][0]["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [s["location"]["physicalLocation"]["region"]["startLine"] for s in steps] == [5, 12]


def test_suppressed_results_carry_suppressions():
    results = results_by_rule(sarif_doc())
    assert results["PBT0004"]["suppressions"] == [{"kind": "inSource"}]
    assert "suppressions" not in results["PBT0001"]
    ext = Finding("PBT0001", Severity.ERROR, "m", Location(TASK, Span(1, 1, 1, 2)), suppression="external")
    assert sarif_doc([ext])["runs"][0]["results"][0]["suppressions"] == [{"kind": "external"}]


def test_clean_run_has_empty_results_and_no_automation_details():
    doc = sarif_doc([], meta_for())
    run = doc["runs"][0]
    assert run["results"] == []
    assert "automationDetails" not in run
    assert run["invocations"] == [{"executionSuccessful": True}]


def test_category_sets_automation_details_like_the_upload_action():
    run = sarif_doc([], meta_for(category="pbtlint"))["runs"][0]
    assert run["automationDetails"] == {"id": "pbtlint/"}
    run = sarif_doc([], meta_for(category="al/app1/"))["runs"][0]
    assert run["automationDetails"] == {"id": "al/app1/"}


def test_unreadable_files_become_tool_execution_notifications():
    meta = meta_for(notifications=(ToolNotification("src/Bad.al", "cannot read the file", rule_id="PBT0000"),))
    inv = sarif_doc([], meta)["runs"][0]["invocations"][0]
    assert inv["executionSuccessful"] is True
    (note,) = inv["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["message"]["text"] == "cannot read the file."
    assert note["descriptor"] == {"id": "PBT0000"}
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/Bad.al"


def test_unknown_rule_ids_get_a_descriptor_without_a_name():
    f = Finding("XYZ0001", Severity.NOTE, "m", Location(TASK, Span(1, 1, 1, 2)))
    doc = sarif_doc([f])
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    rule = rules[doc["runs"][0]["results"][0]["ruleIndex"]]
    assert rule["id"] == "XYZ0001"
    assert "name" not in rule
    assert rule["fullDescription"]["text"] and rule["help"]["text"]


def test_non_semver_version_has_no_semantic_version():
    driver = sarif_doc([], meta_for(tool_version="0.1.dev3"))["runs"][0]["tool"]["driver"]
    assert driver["version"] == "0.1.dev3"
    assert "semanticVersion" not in driver


# --------------------------------------------------------------------------- determinism


def test_output_is_byte_for_byte_deterministic():
    findings = sample_findings()
    first = render_sarif(findings, meta_for())
    second = render_sarif(list(reversed(findings)), meta_for())
    assert first == second
    assert first.endswith("}\n")
    assert "Time" not in first and "guid" not in first.lower()


def test_results_are_sorted_by_location():
    results = sarif_doc()["runs"][0]["results"]
    keys = [
        (r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
         r["locations"][0]["physicalLocation"]["region"]["startLine"])
        for r in results
    ]
    assert keys == sorted(keys)


def test_render_dispatch_gives_the_same_sarif():
    assert render("sarif", sample_findings(), meta_for()) == render_sarif(sample_findings(), meta_for())


# --------------------------------------------------------------------------- serializer


def test_serializer_keeps_explicitly_set_defaults_and_drops_unset_ones():
    result = make(om.Result, message=make(om.Message, text="x"), level="warning", rule_id="R1")
    data = to_json(result)
    assert data == {"message": {"text": "x"}, "level": "warning", "ruleId": "R1"}
    plain = om.Result(message=om.Message(text="x"), level="warning")
    assert to_json(plain) == {"message": {"text": "x"}}  # not made with make(): defaults dropped
    assert to_json(om.Result(message=om.Message(text="x"), level="error"))["level"] == "error"


# --------------------------------------------------------------------------- fingerprints


def test_line_hash_matches_githubs_reference_values():
    # Expected values from github/codeql-action's own tests of its fingerprinting.
    assert line_hashes("") == {1: "c129715d7a2bc9a3:1"}
    assert line_hashes(" a\nb\n  \t\tc\n d") == {
        1: "271789c17abda88f:1", 2: "54703d4cd895b18:1", 3: "180aee12dab6264:1", 4: "a23a3dc5e078b07b:1",
    }
    expected = {
        1: "e9496ae3ebfced30:1", 2: "fb7c023a8b9ccb3f:1", 3: "ce8ba1a563dcdaca:1", 4: "e20e36e16fcb0cc8:1",
        5: "b3edc88f2938467e:1", 6: "c8e28b0b4002a3a0:1", 7: "c129715d7a2bc9a3:1",
    }
    for text in (
        " hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End\n",
        " hello; \t\nworld!!!\r\r\r  \t\tGreetings\r End\r",
        " hello; \t\r\nworld!!!\r\n\r\n\r\n  \t\tGreetings\r\n End\r\n",
        " hello; \t\nworld!!!\r\n\n\r  \t\tGreetings\r End\r\n",
    ):
        assert line_hashes(text) == expected
    repeated = line_hashes("Lorem ipsum dolor sit amet.\n" * 10)
    assert [repeated[i] for i in range(1, 8)] == [f"a7f2ff13bc495cf2:{i}" for i in range(1, 7)] + [
        "a7f2ff1481e87703:1"
    ]


def test_line_hash_counts_utf16_units_and_keeps_the_bom():
    # A character outside the BMP is two UTF-16 units, as in JavaScript; a BOM is a character.
    assert line_hashes("\U0001F600x\n") != line_hashes("\uFFFDx\n")
    assert line_hashes("\ufeffa\n")[1] != line_hashes("a\n")[1]
    assert line_hashes("\ufeffa\nb\n")[2] == line_hashes("a\nb\n")[2]


def test_fingerprints_survive_lines_inserted_above():
    before = results_by_rule(sarif_doc())
    inserted = "// a comment\n// another one\n\n"
    shifted = sarif_doc(sample_findings(task_shift=3), meta_for(task_text=inserted + TASK_TEXT))
    after = results_by_rule(shifted)
    for rule in ("PBT0001", "PBT0004", "PBT0035"):
        assert before[rule]["partialFingerprints"] == after[rule]["partialFingerprints"], rule
    assert after["PBT0001"]["locations"][0]["physicalLocation"]["region"]["startLine"] == 15
    fp = before["PBT0001"]["partialFingerprints"]
    assert set(fp) == {"primaryLocationLineHash", "pbtlint/v1"}
    assert fp["primaryLocationLineHash"] == line_hashes(TASK_TEXT)[12]


def test_fingerprints_tell_identical_lines_apart():
    text = 'codeunit 1 "A"\n{\n    trigger OnRun()\n    begin\n        R.Insert();\n        R.Insert();\n    end;\n}\n'
    findings = [
        Finding("PBT0001", Severity.ERROR, "m", Location(TASK, Span(line, 9, line, 20))) for line in (5, 6)
    ]
    results = sarif_doc(findings, meta_for(task_text=text))["runs"][0]["results"]
    keys = [r["partialFingerprints"]["pbtlint/v1"] for r in results]
    assert keys[0].split(":")[0] == keys[1].split(":")[0]
    assert [k.split(":")[1] for k in keys] == ["1", "2"]
    hashes = [r["partialFingerprints"]["primaryLocationLineHash"] for r in results]
    assert hashes[0] != hashes[1]


def test_no_line_hash_without_source_text():
    result = sarif_doc(sample_findings(), meta_for(sources={}))["runs"][0]["results"][0]
    assert set(result["partialFingerprints"]) == {"pbtlint/v1"}


def test_bytes_sources_are_decoded_like_github():
    raw = ("\ufeff" + TASK_TEXT).encode("utf-8")
    result = results_by_rule(sarif_doc(sample_findings(), meta_for(sources={TASK: raw})))["PBT0001"]
    assert result["partialFingerprints"]["primaryLocationLineHash"] == line_hashes("\ufeff" + TASK_TEXT)[12]


# --------------------------------------------------------------------------- GitHub limits


def test_result_limit_keeps_the_most_severe_and_says_so(monkeypatch):
    monkeypatch.setattr(sarif_mod, "MAX_RESULTS", 2)
    doc = sarif_doc()
    run = doc["runs"][0]
    # unsuppressed before suppressed, then by severity: the suppressed error is the one left out
    assert [r["ruleId"] for r in run["results"]] == ["PBT0035", "PBT0001"]
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert note["level"] == "warning" and "1 of 3 results were left out" in note["message"]["text"]


def test_long_call_paths_are_shortened_keeping_both_ends(monkeypatch):
    monkeypatch.setattr(sarif_mod, "MAX_THREAD_FLOW_LOCATIONS", 4)
    steps = tuple(Location(TASK, Span(i, 1, i, 2), f"step{i}") for i in range(1, 11))
    f = Finding("PBT0001", Severity.ERROR, "m", Location(TASK, Span(10, 1, 10, 2)), call_path=steps)
    run = sarif_doc([f])["runs"][0]
    result = run["results"][0]
    labels = [s["location"]["message"]["text"] for s in result["codeFlows"][0]["threadFlows"][0]["locations"]]
    assert labels == ["step1", "step2", "step9", "step10"]
    assert result["properties"] == {"pbtlint/callPathLength": 10}
    assert "shortened" in run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]


def test_related_locations_and_tags_are_capped():
    assert sarif_mod.MAX_RELATED_LOCATIONS <= 1000 and sarif_mod.MAX_TAGS <= 20
    many = tuple(Location(PAGE, Span(1, 1, 1, 2), f"r{i}") for i in range(150))
    f = Finding("PBT0001", Severity.ERROR, "m", Location(TASK, Span(1, 1, 1, 2)), related=many)
    result = sarif_doc([f])["runs"][0]["results"][0]
    assert len(result["relatedLocations"]) == sarif_mod.MAX_RELATED_LOCATIONS


def test_build_sarif_returns_sarif_om_objects():
    log = build_sarif(sample_findings(), meta_for())
    assert isinstance(log, om.SarifLog)
    assert isinstance(log.runs[0].results[0], om.Result)
