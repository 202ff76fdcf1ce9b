"""``pbtlint shim import``: AL test runner results (XUnit, JUnit) read back and merged into SARIF.

The result files under ``fixtures/shim-results`` are written by us in the forms BcContainerHelper's
``Run-TestsInBcContainer`` writes (``-XUnitResultFileName``, ``-JUnitResultFileName``); the manifest beside
them describes seven shim tests of two enqueue sites. The static SARIF is made by pbtlint's own reporter
with repository-relative paths under ``app/`` (the manifest's paths are relative to the app).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_sarif_validator import validate

from pbtlint.findings import Finding, Location, Severity
from pbtlint.report import ReportMeta
from pbtlint.report.sarif import render_sarif
from pbtlint.shim.import_cli import import_command
from pbtlint.shim.manifest import MANIFEST_NAME, read_manifest
from pbtlint.shim.merge import (
    CONFIRMED,
    FAILED,
    GAP,
    REFUTED,
    RUNTIME,
    RUNTIME_MESSAGE,
    RUNTIME_TESTS,
    STACK_TRACE,
    MergeError,
    _reindex,
    load_static,
    merge,
)
from pbtlint.shim.results import JUNIT, XUNIT, Outcome, ResultsError, parse_results, read_results
from pbtlint.span import Span

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "shim-results"
XUNIT_FILE = FIXTURES / "xunit-results.xml"
JUNIT_FILE = FIXTURES / "junit-results.xml"
MANIFEST = FIXTURES / MANIFEST_NAME

PAGE = "app/src/CustomerCard.Page.al"
TASK = "app/src/CustomerStats.Codeunit.al"


def static_findings() -> list[Finding]:
    enqueue = Location(PAGE, Span(40, 9, 40, 60), "enqueues Codeunit \"Customer Stats\"")
    task = Location(TASK, Span(1, 1, 1, 40), "task codeunit \"Customer Stats\"")
    insert = Location(TASK, Span(25, 9, 25, 30), "Insert")
    return [
        # confirmed by PBT Shim 1.TaskRunsWithoutError (failed): located in the task, enqueue site related
        Finding("PBT0001", Severity.ERROR, "Insert on Cust. Ledger Entry in background code", insert,
                related=(enqueue, task), call_path=(enqueue, Location(TASK, Span(3, 5, 3, 20), "OnRun"), insert)),
        # refuted by PBT Shim 1.ResultKeysArePresent (passed): located at the enqueue site
        Finding("PBT0030", Severity.WARNING, "Task codeunit never sets results", Location(PAGE, Span(40, 9, 40, 60)),
                related=(task,)),
        # the CustomerNo test was skipped: stays unmarked, although the DateFilter test shares its enqueue site
        Finding("PBT0020", Severity.WARNING, "Get('CustomerNo') is not guarded", Location(TASK, Span(12, 9, 12, 40)),
                related=(enqueue, task), call_path=(enqueue, Location(TASK, Span(12, 9, 12, 40), "Get"))),
        # refuted by PBT Shim 1.CopesWithoutParameter_DateFilter (passed)
        Finding("PBT0020", Severity.WARNING, "Get('DateFilter') is not guarded", Location(TASK, Span(18, 9, 18, 40)),
                related=(enqueue, task), call_path=(enqueue, Location(TASK, Span(18, 9, 18, 40), "Get"))),
        # unrelated: a rule no test verifies, at the same enqueue site; and a rule of a test, elsewhere
        Finding("PBT0032", Severity.WARNING, "Enqueued from OnAfterGetRecord", Location(PAGE, Span(40, 9, 40, 60))),
        Finding("PBT0001", Severity.ERROR, "Modify on Vendor in background code",
                Location("app/src/VendorCard.Page.al", Span(12, 9, 12, 30))),
    ]


@pytest.fixture
def static_sarif(tmp_path: Path) -> Path:
    path = tmp_path / "static.sarif"
    path.write_text(render_sarif(static_findings(), ReportMeta()), encoding="utf-8")
    return path


def run_import(*args: str | Path):
    return CliRunner().invoke(import_command, [str(a) for a in args], catch_exceptions=False)


def results_by(run: dict) -> dict[tuple[str, str, int], dict]:
    out = {}
    for r in run["results"]:
        phys = r["locations"][0]["physicalLocation"]
        key = (r["ruleId"], phys["artifactLocation"]["uri"], phys["region"]["startLine"])
        assert key not in out
        out[key] = r
    return out


def assert_rule_indexes_consistent(run: dict) -> None:
    rules = run["tool"]["driver"]["rules"]
    for r in run["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]


# --------------------------------------------------------------------------- reading results


def test_xunit_results_are_read_with_codeunit_method_outcome_message_and_stack():
    f = read_results(XUNIT_FILE)
    assert f.format == XUNIT
    got = {(r.codeunit_id, r.codeunit, r.method): r for r in f.results}
    assert len(got) == 7
    failed = got[(50100, "PBT Shim 1", "TaskRunsWithoutError")]
    assert failed.outcome is Outcome.FAILED
    assert failed.message.startswith("PBT0001: the page background task inserted")
    assert failed.stack_trace.splitlines()[-1].startswith('"PBT Shim 1"(CodeUnit 50100).TaskRunsWithoutError')
    assert failed.where == f"{XUNIT_FILE}(6,7)"
    assert got[(50100, "PBT Shim 1", "ResultKeysArePresent")].outcome is Outcome.PASSED
    assert got[(50100, "PBT Shim 1", "CopesWithoutParameter_CustomerNo")].outcome is Outcome.SKIPPED
    assert got[(50199, "Other Tests", "PostsAnInvoice")].outcome is Outcome.PASSED


def test_junit_results_are_read_including_errors_and_skips():
    f = read_results(JUNIT_FILE)
    assert f.format == JUNIT
    got = {(r.codeunit_id, r.method): r for r in f.results}
    assert got[(50101, "ResultKeysArePresent")].outcome is Outcome.ERROR
    assert got[(50101, "ResultKeysArePresent")].message == "Result key 'Total' is missing from the task's results (PBT0023)."
    assert "Library Assert" in got[(50101, "ResultKeysArePresent")].stack_trace
    assert got[(50100, "TaskRunsWithoutError")].outcome is Outcome.FAILED
    assert got[(50100, "CopesWithoutParameter_CustomerNo")].outcome is Outcome.SKIPPED
    assert got[(50100, "CopesWithoutParameter_DateFilter")].outcome is Outcome.PASSED
    assert {r.codeunit for r in f.results} == {"PBT Shim 1", "PBT Shim 2", "Other Tests"}


def test_both_formats_say_the_same_about_every_test():
    def view(path: Path) -> list[tuple]:
        return sorted((r.codeunit_id, r.codeunit, r.method, r.outcome.failed, r.outcome is Outcome.SKIPPED,
                       r.message, r.stack_trace) for r in read_results(path).results)

    assert view(XUNIT_FILE) == view(JUNIT_FILE)


def test_single_suite_roots_and_names_without_an_id_are_read():
    junit = parse_results(b'<testsuite name="Lonely"><testcase name="A"/></testsuite>', "x.xml")
    assert [(r.codeunit_id, r.codeunit, r.method, r.outcome) for r in junit.results] == [
        (None, "Lonely", "A", Outcome.PASSED)]
    xunit = parse_results(b'<assembly name="7 Seven"><collection name="Seven">'
                          b'<test name="Seven:B" result="NotRun"/></collection></assembly>', "y.xml")
    assert [(r.codeunit_id, r.method, r.outcome) for r in xunit.results] == [(7, "B", Outcome.SKIPPED)]


@pytest.mark.parametrize(("name", "data", "expected"), [
    ("malformed.xml", (FIXTURES / "malformed.xml").read_bytes(), "(6,7): not well-formed XML: mismatched tag"),
    ("unknown-root.xml", (FIXTURES / "unknown-root.xml").read_bytes(), "(2,1): unknown root element <TestRun>"),
    ("empty.xml", b"", "(1,1): not well-formed XML: no element found"),
    ("entity.xml", b"<testsuites><testsuite><testcase name='a'>&nbsp;</testcase></testsuite></testsuites>",
     "(1,43): not well-formed XML: undefined entity"),
    ("result.xml", b'<assemblies><assembly name="1 A"><collection name="A"><test method="m" result="Maybe"/>'
     b"</collection></assembly></assemblies>", "(1,55): test 'm' has an unknown result 'Maybe'"),
])
def test_bad_results_give_an_error_naming_the_file_and_place(name: str, data: bytes, expected: str):
    with pytest.raises(ResultsError) as e:
        parse_results(data, name)
    assert str(e.value).startswith(name + expected)


@pytest.mark.parametrize("doc", [
    # entity expansion ("billion laughs")
    '<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    "<testsuites><testsuite name='&b;'/></testsuites>",
    # an external entity
    '<!DOCTYPE t [<!ENTITY e SYSTEM "file:///etc/passwd">]><testsuites><testsuite name="&e;"/></testsuites>',
    # an external DTD
    '<!DOCTYPE testsuites SYSTEM "http://127.0.0.1:9/x.dtd"><testsuites/>',
])
def test_document_type_declarations_are_refused(doc: str):
    with pytest.raises(ResultsError, match=r"^h\.xml\(1,\d+\): a document type declaration is not allowed"):
        parse_results(doc.encode(), "h.xml")


def test_a_byte_order_mark_and_another_encoding_are_read():
    text = '<?xml version="1.0" encoding="UTF-16"?><testsuites><testsuite name="5 Ä"><testcase name="Ö"/></testsuite></testsuites>'
    assert parse_results(text.encode("utf-16"), "u.xml").results[0].method == "Ö"
    assert parse_results(("\ufeff" + text.replace("UTF-16", "UTF-8")).encode(), "u.xml").results[0].codeunit == "Ä"


# --------------------------------------------------------------------------- merging


def test_merge_marks_confirmed_refuted_and_gaps(static_sarif: Path):
    manifest = read_manifest(MANIFEST)
    static = load_static(static_sarif.read_text(encoding="utf-8"), str(static_sarif))
    before = json.dumps(static, sort_keys=True)
    merged = merge(manifest, [read_results(XUNIT_FILE)], static, str(static_sarif))
    assert json.dumps(static, sort_keys=True) == before  # the caller's log is not changed
    run = json.loads(merged.sarif)["runs"][0]
    got = results_by(run)
    assert len(got) == len(static_findings()) + 2

    confirmed = got[("PBT0001", TASK, 25)]["properties"]
    assert confirmed[RUNTIME] == CONFIRMED
    assert confirmed[RUNTIME_TESTS] == ["PBT Shim 1.TaskRunsWithoutError"]
    assert "Cust. Ledger Entry" in confirmed[RUNTIME_MESSAGE]

    for key, test in ((("PBT0030", PAGE, 40), "PBT Shim 1.ResultKeysArePresent"),
                      (("PBT0020", TASK, 18), "PBT Shim 1.CopesWithoutParameter_DateFilter")):
        props = got[key]["properties"]
        assert props[RUNTIME] == REFUTED
        assert props[RUNTIME_TESTS] == [test]
        assert "not reproduced" in props[RUNTIME_MESSAGE].lower()
        assert "did not trigger" in props[RUNTIME_MESSAGE]

    for key in (("PBT0020", TASK, 12), ("PBT0032", PAGE, 40), ("PBT0001", "app/src/VendorCard.Page.al", 12)):
        assert RUNTIME not in got[key].get("properties", {}), key

    gap_write = got[("PBT0001", "app/src/ItemCard.Page.al", 30)]
    gap_keys = got[("PBT0023", "app/src/ItemCard.Page.al", 30)]  # the rule id named in the failure message
    for gap, test in ((gap_write, "PBT Shim 2.TaskRunsWithoutError"), (gap_keys, "PBT Shim 2.ResultKeysArePresent")):
        assert gap["level"] == "error"
        assert gap["properties"][RUNTIME] == GAP
        assert gap["properties"][RUNTIME_TESTS] == [test]
        assert "CodeUnit 50101" in gap["properties"][STACK_TRACE]
        assert gap["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert gap["locations"][0]["physicalLocation"]["region"]["startColumn"] == 9
        assert "gap in the static analysis" in gap["message"]["text"]
        assert "pbtlint/v1" in gap["partialFingerprints"]
    assert "Item while running in the background" in gap_write["message"]["text"]
    assert gap_keys["relatedLocations"][0]["physicalLocation"]["region"]["startLine"] == 48
    assert_rule_indexes_consistent(run)

    assert (merged.confirmed, merged.refuted, merged.new_results, merged.failed) == (1, 2, 2, 3)
    summary = run["properties"][RUNTIME]
    assert summary["counts"] == {"passed": 2, "failed": 3, "error": 0, "skipped": 1,
                                 "notInResults": 1, "notInManifest": 1}
    verdicts = {t["test"]: (t["outcome"], t.get("verdict")) for t in summary["tests"]}
    assert verdicts["PBT Shim 1.CopesWithoutParameter_CustomerNo"] == ("skipped", None)
    assert verdicts["PBT Shim 2.CopesWithoutParameter_ItemNo"] == ("notInResults", None)
    assert verdicts["PBT Shim 2.ResultKeysArePresent"] == ("failed", GAP)
    notes = [n["message"]["text"] for n in run["invocations"][0]["toolExecutionNotifications"]]
    assert any("skipped" in n and "CopesWithoutParameter_CustomerNo" in n for n in notes)
    assert any("not in the test results" in n and "CopesWithoutParameter_ItemNo" in n for n in notes)
    assert any(n.startswith("1 test result not from a shim test") and "Other Tests.PostsAnInvoice" in n for n in notes)


def test_without_static_sarif_only_runtime_failures_are_results():
    merged = merge(read_manifest(MANIFEST), [read_results(JUNIT_FILE)])
    log = json.loads(merged.sarif)
    run = log["runs"][0]
    got = results_by(run)
    assert set(got) == {("PBT0001", "src/CustomerCard.Page.al", 40), ("PBT0001", "src/ItemCard.Page.al", 30),
                        ("PBT0023", "src/ItemCard.Page.al", 30)}
    assert {r["properties"][RUNTIME] for r in run["results"]} == {FAILED}
    assert run["tool"]["driver"]["name"] == "pbtlint"
    assert_rule_indexes_consistent(run)
    counts = run["properties"][RUNTIME]["counts"]
    assert (counts["passed"], counts["failed"], counts["error"]) == (2, 2, 1)
    assert merged.failed == 3


def test_a_test_failing_in_any_results_file_counts_as_failed(tmp_path: Path):
    rerun = tmp_path / "rerun.xml"
    rerun.write_text('<testsuites><testsuite name="50101 PBT Shim 2"><testcase classname="50101 PBT Shim 2" '
                     'name="TaskRunsWithoutError"/></testsuite></testsuites>', encoding="utf-8")
    merged = merge(read_manifest(MANIFEST), [read_results(rerun), read_results(JUNIT_FILE)])
    outcome = {t.test.method + str(t.test.codeunit_id): t.outcome for t in merged.tests}
    assert outcome["TaskRunsWithoutError50101"] is Outcome.FAILED


def test_an_explicit_path_prefix_is_used(static_sarif: Path):
    static = load_static(static_sarif.read_text(encoding="utf-8"), "s")
    merged = merge(read_manifest(MANIFEST), [read_results(XUNIT_FILE)], static, "s", prefix="elsewhere")
    run = json.loads(merged.sarif)["runs"][0]
    assert merged.confirmed == 0 and merged.refuted == 0
    assert ("PBT0001", "elsewhere/src/CustomerCard.Page.al", 40) in results_by(run)


def test_odd_static_results_are_skipped_without_a_crash(static_sarif: Path):
    log = json.loads(static_sarif.read_text(encoding="utf-8"))
    odd = [7, {"ruleId": "PBT0001", "locations": {"x": 1}, "relatedLocations": [None, {"physicalLocation": []}],
               "codeFlows": [{"threadFlows": "no"}], "properties": []},
           {"ruleId": "PBT0001", "locations": [{"physicalLocation": {"artifactLocation": {"uri": 5},
                                                                     "region": {"startLine": "40"}}}]}]
    log["runs"][0]["results"][:0] = odd
    merged = merge(read_manifest(MANIFEST), [read_results(XUNIT_FILE)], load_static(json.dumps(log), "s"), "s")
    run = json.loads(merged.sarif)["runs"][0]
    assert run["results"][:3] == odd
    assert (merged.confirmed, merged.refuted, merged.new_results) == (1, 2, 2)


@pytest.mark.parametrize(("text", "expected"), [
    ('{"runs": []}', "not a SARIF log"),
    ('[1]', "not a SARIF log"),
    ('{"runs": [{"tool": {"driver": {"name": "pbtlint", "rules": {}}}}]}', "runs[].tool.driver.rules is not a JSON array"),
    ('{"runs": [{"tool": {"driver": {"name": "pbtlint"}}, "results": {}}]}', "runs[].results is not a JSON array"),
    ('{"runs": [{"tool": {"driver": {"name": "pbtlint"}}, "invocations": [1]}]}', "invocations[0] is not a JSON"),
    ('{"runs": [{"tool": {"driver": {"name": "pbtlint"}}}, {"tool": {"driver": {"name": "pbtlint"}}}]}',
     "expected one pbtlint run, found 2 of 2"),
])
def test_unusable_static_logs_are_refused(text: str, expected: str):
    with pytest.raises(MergeError, match=re.escape(expected)):
        load_static(text, "s.sarif")


def test_new_rule_ids_get_a_descriptor_and_a_consistent_index():
    run = {"tool": {"driver": {"name": "pbtlint", "rules": [{"id": "PBT0001"}]}}}
    new = [{"ruleId": "PBT0023", "ruleIndex": 1}, {"ruleId": "PBT0001", "ruleIndex": 0}]
    _reindex(run, new, [{"id": "PBT0001"}, {"id": "PBT0023", "name": "unknown-result-key"}])
    assert run["tool"]["driver"]["rules"] == [{"id": "PBT0001"}, {"id": "PBT0023", "name": "unknown-result-key"}]
    assert [r["ruleIndex"] for r in new] == [1, 0]


# --------------------------------------------------------------------------- the command


def test_command_writes_merged_sarif_and_exits_1_on_failures(tmp_path: Path, static_sarif: Path):
    out = tmp_path / "out.sarif"
    result = run_import(XUNIT_FILE, "--sarif", static_sarif, "-o", out)
    assert result.exit_code == 1, result.output
    assert "1 confirmed, 2 not reproduced" in result.output
    assert "2 runtime failures with no static finding" in result.output
    log = json.loads(out.read_text(encoding="utf-8"))
    assert log["version"] == "2.1.0"
    assert out.read_text(encoding="utf-8").endswith("}\n")


def test_command_output_is_deterministic(tmp_path: Path, static_sarif: Path):
    texts = []
    for name in ("a.sarif", "b.sarif"):
        run_import(JUNIT_FILE, XUNIT_FILE, "--sarif", static_sarif, "-o", tmp_path / name)
        texts.append((tmp_path / name).read_text(encoding="utf-8"))
    assert texts[0] == texts[1]
    assert json.dumps(json.loads(texts[0]), indent=2, sort_keys=True, ensure_ascii=False) + "\n" == texts[0]


def test_command_exits_0_when_every_shim_test_passes(tmp_path: Path):
    passing = tmp_path / "pass.xml"
    passing.write_text('<assemblies><assembly name="50100 PBT Shim 1"><collection name="PBT Shim 1">'
                       '<test method="TaskRunsWithoutError" result="Pass"/></collection></assembly>'
                       '<assembly name="60000 Not Ours"><collection name="Not Ours">'
                       '<test method="Fails" result="Fail"><failure><message>x</message></failure></test>'
                       "</collection></assembly></assemblies>", encoding="utf-8")
    result = run_import(passing, "--manifest", MANIFEST, "-o", "-")
    assert result.exit_code == 0, result.output
    assert '"results": []' in result.stdout
    assert "1 results not in the manifest" in result.output
    assert "no result matches" not in result.output


def test_results_of_another_test_app_are_warned_about(tmp_path: Path):
    other = tmp_path / "other.xml"
    other.write_text('<testsuites><testsuite name="60000 Not Ours"><testcase classname="60000 Not Ours" name="A"/>'
                     "</testsuite></testsuites>", encoding="utf-8")
    result = run_import(other, "--manifest", MANIFEST, "-o", tmp_path / "x.sarif")
    assert result.exit_code == 0
    assert "no result matches a test of the manifest" in result.output


def test_manifest_is_found_beside_the_results(tmp_path: Path):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / MANIFEST_NAME).write_bytes(MANIFEST.read_bytes())
    (folder / "TestResults.xml").write_bytes(JUNIT_FILE.read_bytes())
    result = run_import(folder / "TestResults.xml", "-o", tmp_path / "x.sarif")
    assert result.exit_code == 1, result.output
    assert (tmp_path / "x.sarif").is_file()


def test_missing_manifest_says_where_it_looked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "r.xml").write_bytes(JUNIT_FILE.read_bytes())
    monkeypatch.chdir(tmp_path)
    result = run_import(folder / "r.xml", "-o", tmp_path / "x.sarif")
    assert result.exit_code == 2
    assert str(folder / MANIFEST_NAME) in result.output
    assert str(tmp_path / MANIFEST_NAME) in result.output
    assert "--manifest" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "x.sarif").exists()


@pytest.mark.parametrize(("setup", "expected"), [
    ("malformed", "malformed.xml(6,7): not well-formed XML"),
    ("missing-results", "cannot read the test results"),
    ("bad-manifest", "not JSON"),
    ("bad-static", "static.sarif(1,1): not JSON"),
    ("foreign-static", "not written by pbtlint"),
])
def test_input_errors_exit_2_with_a_clear_message(tmp_path: Path, setup: str, expected: str):
    args: list[str | Path] = [FIXTURES / "malformed.xml" if setup == "malformed" else JUNIT_FILE,
                              "--manifest", MANIFEST, "-o", tmp_path / "x.sarif"]
    if setup == "missing-results":
        args[0] = tmp_path / "nothing.xml"
    if setup == "bad-manifest":
        (tmp_path / "m.json").write_text("{", encoding="utf-8")
        args[2] = tmp_path / "m.json"
    if setup in ("bad-static", "foreign-static"):
        text = "nope" if setup == "bad-static" else '{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}}]}'
        (tmp_path / "static.sarif").write_text(text, encoding="utf-8")
        args += ["--sarif", tmp_path / "static.sarif"]
    result = run_import(*args)
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert "Traceback" not in result.output


def test_a_log_that_already_holds_shim_results_is_refused(tmp_path: Path, static_sarif: Path):
    merged = tmp_path / "merged.sarif"
    assert run_import(XUNIT_FILE, "--sarif", static_sarif, "-o", merged).exit_code == 1
    result = run_import(XUNIT_FILE, "--sarif", merged, "-o", tmp_path / "again.sarif")
    assert result.exit_code == 2
    assert "already holds imported shim results" in result.output


def test_usage_errors_exit_2():
    assert run_import("-o", "x.sarif").exit_code == 2  # no results file
    assert run_import(JUNIT_FILE).exit_code == 2  # no -o


def test_merged_sarif_passes_the_validator(tmp_path: Path, static_sarif: Path):
    with_static, runtime_only = tmp_path / "merged.sarif", tmp_path / "runtime.sarif"
    run_import(XUNIT_FILE, "--sarif", static_sarif, "-o", with_static)
    run_import(JUNIT_FILE, "--manifest", MANIFEST, "-o", runtime_only)
    output, issues = validate([with_static, runtime_only])
    assert "2 files scanned" in output, output
    assert not [i for i in issues if i[0] == "error"], output
    assert not [i for i in issues if i[1].startswith("GH")], output


def test_through_the_pbtlint_command_line(tmp_path: Path, static_sarif: Path):
    """``pbtlint shim import`` once the ``shim`` group registers the command (skipped before that)."""
    from pbtlint.cli import main

    if "shim" not in main.commands:
        pytest.skip("the 'pbtlint shim' group is not registered yet")
    out = tmp_path / "out.sarif"
    result = CliRunner().invoke(main, ["shim", "import", str(XUNIT_FILE), "--sarif", str(static_sarif), "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["runs"][0]["properties"][RUNTIME]["counts"]["failed"] == 3
    missing = CliRunner().invoke(main, ["shim", "import", str(tmp_path / "none.xml"), "-o", str(out)])
    assert missing.exit_code == 2
    assert "cannot read the test results" in missing.output
