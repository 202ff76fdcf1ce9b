"""Demand-driven analysis gives exactly the findings of a full parse: cold, warm, after an edit, with
one process or two, on every fixture app."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import expectation_problems
from demand_apps import (
    APP_DIRS,
    CASES,
    FIXTURES,
    TWO_JOB_DIRS,
    demand_app,
    demand_app_with_a_page_procedure,
    edit_one,
    replace_once,
)

from pbtlint import background, demand, demand_files, demand_work, parallel
from pbtlint.cache import Cache
from pbtlint.findings import Finding, syntax_error
from pbtlint.project import discover
from pbtlint.runner import RunResult, analyze
from pbtlint.span import Span


def _check(app_dir: Path, tmp_path: Path, jobs: int) -> None:
    copy = tmp_path / "src"
    shutil.copytree(app_dir, copy)
    cache = tmp_path / "cache"
    full = analyze([copy])
    cold = demand.analyze_demand([copy], cache_dir=cache, jobs=jobs)
    assert demand.last_stats is not None and demand.last_stats.path == "closure"
    assert cold.findings == full.findings
    assert (cold.files, cold.lines) == (full.files, full.lines)
    warm = demand.analyze_demand([copy], cache_dir=cache, jobs=jobs)
    assert demand.last_stats.path == "warm"
    assert warm.findings == full.findings
    edit_one(copy)
    incremental = demand.analyze_demand([copy], cache_dir=cache, jobs=jobs)
    assert demand.last_stats.path != "warm"
    assert demand.last_stats.indexed == 1
    assert incremental.findings == analyze([copy]).findings


@pytest.mark.parametrize("app_dir", APP_DIRS, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_same_findings_one_process(app_dir: Path, tmp_path: Path) -> None:
    _check(app_dir, tmp_path, jobs=1)


@pytest.mark.parametrize("app_dir", TWO_JOB_DIRS, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_same_findings_two_processes(app_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "SERIAL_BELOW", 1)  # the fixtures are small: force the workers
    _check(app_dir, tmp_path, jobs=2)


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_each_case_reports_its_markers(case: Path) -> None:
    """The cases are not vacuous: the full parse reports their ``ruleid`` lines and not their ``ok``
    lines (and demand-driven analysis the same findings, by test_same_findings_one_process)."""
    text = "".join(p.read_text(encoding="utf-8") for p in case.rglob("*.al"))
    assert "// ruleid:" in text or "// ok:" in text
    assert expectation_problems(case, ("PBT0004",)) == []


def test_an_edit_in_a_body_no_one_parsed_that_assigns_a_watched_global(tmp_path: Path) -> None:
    """The previous run's choice of bodies is not replayed when a changed file now assigns, in a body
    it never parsed, a global that an analysis reads everywhere (here the GUI alias of a guard)."""
    copy = tmp_path / "src"
    shutil.copytree(FIXTURES / "demand" / "cases" / "global-assigned-elsewhere", copy)
    notifier = copy / "StatusNotifier.Codeunit.al"
    final = notifier.read_text(encoding="utf-8")
    notifier.write_text(final.replace("IsInteractive := true;", "Other := true;")
                        .replace("IsInteractive: Boolean;", "IsInteractive: Boolean;\n        Other: Boolean;"),
                        encoding="utf-8")
    before = demand.analyze_demand([copy], cache_dir=tmp_path / "cache")
    assert before.findings == analyze([copy]).findings
    assert not any(f.rule_id == "PBT0004" for f in before.findings)  # the Message is behind a GUI alias
    notifier.write_text(final.replace("IsInteractive: Boolean;", "IsInteractive: Boolean;\n        Other: Boolean;"),
                        encoding="utf-8")
    after = demand.analyze_demand([copy], cache_dir=tmp_path / "cache")
    assert after.findings == analyze([copy]).findings
    assert any(f.rule_id == "PBT0004" for f in after.findings)


def test_unreached_files_are_not_parsed(tmp_path: Path) -> None:
    result = demand.analyze_demand([FIXTURES / "demand" / "app"], cache_dir=tmp_path)
    parsed = {Path(p).name for p in Cache(tmp_path).latest_run()["parsed"]}
    assert "Unrelated.Codeunit.al" not in parsed
    assert "UnrelatedList.Page.al" not in parsed
    # reached only through an event subscriber, an interface and a codeunit variable
    assert {"DemandSubscriber.Codeunit.al", "DemandWorkerImpl.Codeunit.al", "DemandHelper.Codeunit.al"} <= parsed
    where = {Path(f.location.path).name for f in result.findings}
    assert {"DemandSubscriber.Codeunit.al", "DemandWorkerImpl.Codeunit.al", "DemandHelper.Codeunit.al"} <= where


def test_edit_that_changes_findings(tmp_path: Path) -> None:
    copy, cache = demand_app(tmp_path)
    before = demand.analyze_demand([copy], cache_dir=cache)
    helper = copy / "src" / "DemandHelper.Codeunit.al"
    helper.write_text(helper.read_text(encoding="utf-8").replace("Commit();", "Sleep(1);"), encoding="utf-8")
    after = demand.analyze_demand([copy], cache_dir=cache)
    assert after.findings == analyze([copy]).findings
    assert len(after.findings) == len(before.findings) - 1


def test_edit_outside_the_closure_keeps_the_result(tmp_path: Path) -> None:
    copy, cache = demand_app(tmp_path)
    demand.analyze_demand([copy], cache_dir=cache)
    unrelated = copy / "src" / "Unrelated.Codeunit.al"
    unrelated.write_text(unrelated.read_text(encoding="utf-8").replace("'x'", "'y'"), encoding="utf-8")
    after = demand.analyze_demand([copy], cache_dir=cache)
    assert demand.last_stats is not None and demand.last_stats.path == "unchanged-closure"
    assert demand.last_stats.parsed == 0
    assert after.findings == analyze([copy]).findings


def test_edit_outside_the_closure_that_adds_a_syntax_error_in_the_preprocessor(tmp_path: Path) -> None:
    copy, cache = demand_app(tmp_path)
    demand.analyze_demand([copy], cache_dir=cache)
    unrelated = copy / "src" / "Unrelated.Codeunit.al"
    unrelated.write_text("#if X\n" + unrelated.read_text(encoding="utf-8"), encoding="utf-8")  # no #endif
    after = demand.analyze_demand([copy], cache_dir=cache)
    assert after.findings == analyze([copy]).findings
    assert any(f.rule_id == "PBT0000" and f.location.path.endswith("Unrelated.Codeunit.al") for f in after.findings)


def test_a_cached_file_that_needs_more_bodies_keeps_the_earlier_ones(tmp_path: Path) -> None:
    copy, cache = demand_app(tmp_path)
    demand.analyze_demand([copy], cache_dir=cache)  # Demand Helper: DoWork's body parsed and cached
    task = copy / "src" / "DemandTask.Codeunit.al"
    task.write_text(task.read_text(encoding="utf-8").replace("Helper.DoWork();", "Helper.DoWork(); Helper.NotCalled();"),
                    encoding="utf-8")
    second = demand.analyze_demand([copy], cache_dir=cache)  # DoWork from the cache, NotCalled parsed now
    assert demand.last_stats is not None and demand.last_stats.bodies >= 1
    assert second.findings == analyze([copy]).findings
    assert any("Message" in f.message for f in second.findings)
    # the helper's entry now holds both bodies: a closure run with this cache parses no body again (a new
    # procedure no one calls changes the task's declarations, so the closure runs)
    text = task.read_text(encoding="utf-8").rstrip()
    task.write_text(text[:-1] + "    procedure NotUsed()\n    begin\n    end;\n}\n", encoding="utf-8")
    third = demand.analyze_demand([copy], cache_dir=cache)
    assert demand.last_stats.path == "closure" and demand.last_stats.bodies == 0
    assert third.findings == second.findings


@pytest.mark.parametrize(("file", "old", "new", "path"), [
    # a comment, a line added or a body no analysis read: the trees are the same but for their lines,
    # the previous findings hold, renumbered
    ("DemandWorkerImpl.Codeunit.al", "Entry.DeleteAll();", "Entry.DeleteAll(); // why", "same-trees"),
    ("DemandWorkerImpl.Codeunit.al", "Entry.DeleteAll();", "\n        Entry.DeleteAll();", "same-trees"),
    ("DemandHelper.Codeunit.al", 'codeunit 50302', '// the helper\n\ncodeunit 50302', "same-trees"),
    ("DemandHelper.Codeunit.al", "Message('never", "Message('more');\n        Error('x');\n        Message('never",
     "same-trees"),
    ("DemandHelper.Codeunit.al", "Message('never", "Commit(); Message('never", "same-trees"),
    # inside a reached body, keeping what it calls and writes: the previous choice holds
    ("DemandWorkerImpl.Codeunit.al", "Entry.DeleteAll();", "Entry.DeleteAll(false);", "same-choice"),
    ("DemandTask.Codeunit.al", "Results.Add('Total', '1');", "Results.Add('Total', '2');", "same-choice"),
    ("DemandPage.Page.al", "if CompletedTaskId <> TaskId then", "if TaskId <> CompletedTaskId then", "same-choice"),
    # a reached body now writes something else or calls something new: the closure runs
    ("DemandWorkerImpl.Codeunit.al", "Entry.DeleteAll();", "Entry.DeleteAll(); Entry.Modify();", "closure"),
    ("DemandWorkerImpl.Codeunit.al", "Entry.DeleteAll();", "Entry.DeleteAll(true);", "closure"),  # OnDelete runs
    ("DemandHelper.Codeunit.al", "Commit();", "Commit(); NotCalled();", "closure"),
    # a file nothing reached declares something else: the closure runs
    ("Unrelated.Codeunit.al", "procedure Busy()", "procedure Busier()", "closure"),
])
def test_an_edit_that_keeps_the_closure_reuses_its_choice(tmp_path: Path, file: str, old: str, new: str,
                                                          path: str) -> None:
    copy, cache = demand_app(tmp_path)
    demand.analyze_demand([copy], cache_dir=cache)
    replace_once(copy / "src" / file, old, new)
    after = demand.analyze_demand([copy], cache_dir=cache)
    assert demand.last_stats is not None and demand.last_stats.path == path
    assert after.findings == analyze([copy]).findings
    if path in ("same-choice", "same-trees"):
        assert demand.last_stats.parsed == 0  # the changed file was parsed while checking, then loaded
    fresh = demand.analyze_demand([copy], use_cache=False)
    assert (after.files, after.lines) == (fresh.files, fresh.lines)  # the lines read, counted as afresh
    # and the run after that, with nothing changed, is warm and the same
    again = demand.analyze_demand([copy], cache_dir=cache)
    assert demand.last_stats.path == "warm" and again.findings == after.findings


def test_a_replayed_run_keeps_the_mentions_for_the_next_edit(tmp_path: Path) -> None:
    copy, cache = demand_app_with_a_page_procedure(tmp_path)
    demand.analyze_demand([copy], cache_dir=cache)
    replace_once(copy / "src" / "DemandWorkerImpl.Codeunit.al", "Entry.DeleteAll();", "Entry.DeleteAll(false);")
    demand.analyze_demand([copy], cache_dir=cache)
    assert demand.last_stats.path == "same-choice"
    # an unparsed file whose text starts to name the page and its procedure: neither shortcut may keep
    # the old result (the replayed run must have kept the previous run's mention lookups)
    replace_once(copy / "src" / "Unrelated.Codeunit.al", "'not a background task'", "'Demand Page Refresh'")
    after = demand.analyze_demand([copy], cache_dir=cache)
    assert demand.last_stats.path == "closure"
    assert after.findings == analyze([copy]).findings
    # the closure took the page's mentions from the previous run, with the changed file looked at again
    workspace = discover([copy])
    latest = demand_files.cache_for(workspace, cache).latest_run()
    hits = [paths for groups, paths in latest["mentions"].items() if any("Refresh" in procs for _, procs in groups)]
    assert hits and any(p.endswith("Unrelated.Codeunit.al") for p in hits[0])


def test_edits_write_an_index_delta_and_a_revert_stays_incremental(tmp_path: Path) -> None:
    copy, cache = demand_app(tmp_path)
    demand.analyze_demand([copy], cache_dir=cache)
    bundle = cache / "v1" / "index.pickle"
    assert bundle.is_file()
    written = bundle.stat().st_mtime_ns
    files = sorted(copy.rglob("*.al"))
    originals = [p.read_bytes() for p in files[:2]]
    for number, path in enumerate(files[:2], 1):  # two edits, one file each, no line added
        text = originals[number - 1]
        end = text.rindex(b"}") + 1
        path.write_bytes(text[:end] + f" // edit {number}".encode() + text[end:])
        after = demand.analyze_demand([copy], cache_dir=cache)
        assert demand.last_stats is not None and demand.last_stats.indexed == 1  # the delta holds the earlier edit
        assert after.findings == analyze([copy]).findings
    assert bundle.stat().st_mtime_ns == written  # a few files indexed: only the delta was written
    store = Cache(cache)
    assert len(store.load_indexes()) == len(files) + 2 and len(store.index_delta) == 2  # bundle + delta
    files[0].write_bytes(originals[0])  # back to what the first run saw
    reverted = demand.analyze_demand([copy], cache_dir=cache)
    assert demand.last_stats.path in ("unchanged-closure", "same-trees", "same-choice")  # not the whole fixpoint again
    assert reverted.findings == analyze([copy]).findings
    demand.analyze_demand([copy], cache_dir=cache)
    assert demand.last_stats.path == "warm"


def test_many_edited_files_rewrite_the_index_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demand_files, "FEW_INDEXED", 1)
    copy, cache = demand_app(tmp_path)
    demand.analyze_demand([copy], cache_dir=cache)
    files = sorted(copy.rglob("*.al"))
    keys_before = set(Cache(cache).load_indexes())
    for path in files[:2]:
        path.write_text(path.read_text(encoding="utf-8-sig") + "\n// edited\n", encoding="utf-8")
    after = demand.analyze_demand([copy], cache_dir=cache)
    assert demand.last_stats.indexed == 2
    store = Cache(cache)
    keys_after = set(store.load_indexes())
    assert not store.index_delta  # rewritten whole: no delta left
    assert len(keys_after) == len(keys_before) and keys_after != keys_before  # today's files only
    assert after.findings == analyze([copy]).findings


def test_touched_files_are_read_and_hashed_not_indexed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy, cache = demand_app(tmp_path)
    first = demand.analyze_demand([copy], cache_dir=cache)
    for path in copy.rglob("*.al"):  # a checkout or a branch switch and back: new times, same text
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    indexed: list[str] = []
    real_index = demand_work.index_text

    def counting(text: str) -> object:
        indexed.append(text[:20])
        return real_index(text)

    monkeypatch.setattr(demand_work, "index_text", counting)
    again = demand.analyze_demand([copy], cache_dir=cache)
    assert demand.last_stats is not None and demand.last_stats.path == "warm" and demand.last_stats.indexed == 0
    assert indexed == []  # read and hashed only
    assert again.findings == first.findings
    demand.analyze_demand([copy], cache_dir=cache)
    assert demand.last_stats.path == "warm"


def test_a_failing_background_analysis_is_reported_not_raised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(project: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setattr(background, "_analyze", boom)
    app = FIXTURES / "demand" / "app"
    result = demand.analyze_demand([app], cache_dir=tmp_path / "cache")  # no traceback
    internal = {f.message.split(" (")[0] for f in result.findings if "internal error in rule" in f.message}
    assert {"internal error in rule PBT0001", "internal error in rule PBT0004"} <= internal
    assert demand.last_stats is not None and demand.last_stats.walked == 0
    assert result.findings == analyze([app]).findings


@pytest.mark.skipif(not hasattr(os, "symlink") or sys.platform == "win32", reason="needs symbolic links")
def test_a_file_that_cannot_be_stated_does_not_rewrite_the_stat_table_every_run(tmp_path: Path) -> None:
    copy = tmp_path / "src"
    shutil.copytree(FIXTURES / "demand" / "app", copy)
    os.symlink(tmp_path / "nowhere.al", copy / "src" / "Dangling.Codeunit.al")  # read every time, never stated
    cache = tmp_path / "cache"
    demand.analyze_demand([copy], cache_dir=cache)
    demand.analyze_demand([copy], cache_dir=cache)
    table = cache / "v1" / "stats.pickle"
    written = table.stat().st_mtime_ns
    result = demand.analyze_demand([copy], cache_dir=cache)
    assert demand.last_stats is not None and demand.last_stats.path == "warm"
    assert table.stat().st_mtime_ns == written
    assert result.findings == analyze([copy]).findings


def test_what_a_page_names_or_a_lookup_runs_is_not_followed(tmp_path: Path) -> None:
    """Only code the background can run is followed: a codeunit whose id a page assigns to a variable
    (NoOfColumns := 2: maybe a task codeunit kept in a variable, so loaded and run), but not one whose id
    is assigned to a field (Rec.Amount := 3), nor a report the page names (it runs in the foreground), nor a
    field's OnLookup trigger when the field is validated (Validate runs OnValidate only)."""
    app = FIXTURES / "demand" / "cases" / "named-not-run"
    result = demand.analyze_demand([app], cache_dir=tmp_path)
    assert result.findings == analyze([app]).findings
    run = Cache(tmp_path).latest_run()
    parsed = {Path(p).name for p in run["parsed"]}
    bodied = {Path(p).name for p in run["bodied"]}
    assert "OnValidate.Codeunit.al" in bodied and "Two.Codeunit.al" in bodied
    assert "OnLookup.Codeunit.al" not in parsed
    assert "Three.Codeunit.al" not in parsed
    assert "ColumnsReport.Report.al" not in bodied
    assert any(f.rule_id == "PBT0002" and Path(f.location.path).name == "OnValidate.Codeunit.al"
               for f in result.findings)


def test_foreground_code_is_followed_for_values_only(tmp_path: Path) -> None:
    """An enqueue site's procedure runs in the page's session: what it calls is followed for the values
    it hands to the task (the helper two levels down that adds the 'Customer' key, without which
    PBT0022 on 'Region' could not be told), but not into the table event its log write raises nor the
    codeunit it runs: no rule looks at writes or UI in the foreground."""
    app = FIXTURES / "demand" / "cases" / "foreground-helper-writes"
    result = demand.analyze_demand([app], cache_dir=tmp_path)
    assert result.findings == analyze([app]).findings
    assert {f.rule_id for f in result.findings} == {"PBT0004", "PBT0022"}
    run = Cache(tmp_path).latest_run()
    parsed = {Path(p).name for p in run["parsed"]}
    bodied = {Path(p).name for p in run["bodied"]}
    assert "OrderStatsPrep.Codeunit.al" in bodied
    assert "OrderStatsLogSubscriber.Codeunit.al" not in parsed
    assert "OrderStatsArchive.Codeunit.al" not in bodied


@pytest.mark.parametrize(("text", "lines"), [
    ("x := 1;\nisgui := guiallowed();", {2}),
    ('"is gui" := true;', {1}),
    ("isgui /* set */ := true;", {1}),
    ("isgui\n    // why\n    := true;", {1}),
    ("isgui += 1; if isgui then", {1}),
    ("if isgui then exit; notisgui := true; rec.isgui := true;", set()),
])
def test_the_lines_that_assign_a_global(text: str, lines: set[int]) -> None:
    name = "is gui" if '"' in text else "isgui"
    assert demand_files.lines_naming(text, name, True) == lines



DEPENDENCIES = FIXTURES / "demand" / "dependencies"


@pytest.mark.parametrize(("case", "expected", "dependency_task_followed"), [
    ("unhooked", {("PBT0001", "ExtTask.Codeunit.al")}, False),
    ("subscriber", {("PBT0001", "ExtSubscriber.Codeunit.al")}, True),
    ("shared-task", set(), True),  # the write's path starts at the dependency's page, the first by path
])
def test_a_dependency_s_own_background_tasks_are_followed_only_when_they_may_concern_the_app(
        case: str, expected: set[tuple[str, str]], dependency_task_followed: bool, tmp_path: Path) -> None:
    """With a dependency's sources beside an app (``--source-root``), the dependency's own background
    tasks start the closure only when the app hooks into the dependency (an event subscriber here) or
    shares a task codeunit with it (pbtlint.dependency_roots). The findings are the full parse's either
    way. In the shared case, followed without the dependency's page, the task's write would be the app's to
    report (a path from its page) and its guarded lookup of a key no site passes a PBT0022."""
    app, dependency = DEPENDENCIES / case, DEPENDENCIES / "dependency"
    full = analyze([app], extra_roots=[dependency])
    result = demand.analyze_demand([app], (), [dependency], cache_dir=tmp_path)
    assert result.findings == full.findings
    assert {(f.rule_id, Path(f.location.path).name) for f in full.findings} == expected
    parsed = {Path(p).name for p in Cache(tmp_path).latest_run()["parsed"]}
    assert ("DepStatsPart.Page.al" in parsed) == dependency_task_followed


@pytest.mark.parametrize(("pragma", "old", "new"), [
    ("PBT0001", "codeunit 50305", "// moved\ncodeunit 50305"),  # the pragma moves with the code below it
    ("PBT0001", "        Entry.LockTable();", "\n        Entry.LockTable();"),
    ("PBT0001", "PBT0001\n        Entry.DeleteAll();", "PBT0001\n\n        Entry.DeleteAll();"),  # a line between
    ("AA0100", "PBT0001\n        Entry.DeleteAll();", "PBT0001\n\n        Entry.DeleteAll();"),  # another analyzer's
])
def test_pragma_lines_move_with_the_code(tmp_path: Path, pragma: str, old: str, new: str) -> None:
    """The analysis does not read ``#pragma warning`` lines: the report hides findings with the pragmas
    of the run's files, and a renumbered run holds the new parse's, wherever the edit moved them."""
    copy, cache = demand_app(tmp_path)
    impl = copy / "src" / "DemandWorkerImpl.Codeunit.al"
    replace_once(impl, "        Entry.DeleteAll();", f"#pragma warning disable {pragma}\n        Entry.DeleteAll();")
    demand.analyze_demand([copy], cache_dir=cache)
    replace_once(impl, old.replace("PBT0001", pragma), new.replace("PBT0001", pragma))
    after = demand.analyze_demand([copy], cache_dir=cache)
    assert demand.last_stats is not None and demand.last_stats.path == "same-trees"
    full = analyze([copy])
    assert after.findings == full.findings

    def pragmas(run: RunResult) -> dict[str, object]:  # what suppression reads at report time
        return {pf.path: pf.pragmas for app in run.apps for pf in app.files if pf.pragmas}
    assert pragmas(after) == pragmas(full) != {}


def test_a_body_no_analysis_reads_that_does_not_parse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both modes keep the rest of the file (the Commit the task reaches) and differ only in the full
    parse's syntax error for that body; the full parse once dropped the file for it (and reported an
    opaque call where demand-driven analysis found the Commit)."""
    app = FIXTURES / "demand" / "syntax" / "unread-body-does-not-parse"
    assert expectation_problems(app, ("PBT0000", "PBT0002", "PBT0040")) == []
    full = analyze([app])
    monkeypatch.setattr(parallel, "SERIAL_BELOW", 1)  # the app is small: force the workers with two jobs
    for jobs in (1, 2):
        cold = demand.analyze_demand([app], cache_dir=tmp_path / f"cache{jobs}", jobs=jobs)
        assert [f for f in full.findings if f.rule_id != "PBT0000"] == list(cold.findings)
        assert [f.rule_id for f in cold.findings] == ["PBT0002"]
    assert [f.rule_id for f in full.findings if f.rule_id == "PBT0000"] == ["PBT0000"]


def test_fixing_a_body_that_did_not_parse_is_analyzed_again(tmp_path: Path) -> None:
    """A skeleton whose reached body did not parse was analyzed with that body unparsed (and its syntax
    error): the same skeleton after the fix is not the tree that run read."""
    copy, cache = demand_app(tmp_path)
    helper = copy / "src" / "DemandHelper.Codeunit.al"
    replace_once(helper, "    begin\n        Commit();", "    begin Commit(;\n        Commit();")  # on a line of the skeleton
    broken = demand.analyze_demand([copy], cache_dir=cache)
    assert any(f.rule_id == "PBT0000" and f.location.path.endswith(helper.name) for f in broken.findings)
    replace_once(helper, "begin Commit(;", "begin Commit();")
    fixed = demand.analyze_demand([copy], cache_dir=cache)
    assert demand.last_stats is not None and demand.last_stats.path != "same-trees"
    assert fixed.findings == analyze([copy]).findings
    assert not any(f.rule_id == "PBT0000" for f in fixed.findings)


@pytest.mark.parametrize("edit", ["comment", "unparsed file"])
def test_an_edit_that_names_a_dependency_task_codeunit_changes_the_closure_seeds(tmp_path: Path, edit: str) -> None:
    """An app that enqueues a dependency's task codeunit by its id alone shares it by name only once its
    text names it (pbtlint.dependency_roots): an edit that does so, even in a comment or in a file no
    analysis parsed, must not keep the previous result."""
    app = tmp_path / "app"
    shutil.copytree(DEPENDENCIES / "shared-task", app)
    page = app / "ExtStatsPage.Page.al"
    replace_once(page, 'Codeunit::"Dep Stats Task"', "50701")  # Dep Stats Task
    (app / "Notes.Codeunit.al").write_text('codeunit 50739 "Ext Notes"\n{\n    procedure Note()\n    begin\n'
                                           '    end;\n}\n', encoding="utf-8")
    dependency = DEPENDENCIES / "dependency"
    before = demand.analyze_demand([app], (), [dependency], cache_dir=tmp_path / "cache")
    if edit == "comment":
        replace_once(page, "    PageType = CardPart;", "    PageType = CardPart; // shown beside Dep Stats Task")
    else:
        replace_once(app / "Notes.Codeunit.al", "    begin\n", "    begin\n        Message('Dep Stats Task');\n")
    after = demand.analyze_demand([app], (), [dependency], cache_dir=tmp_path / "cache")
    fresh = demand.analyze_demand([app], (), [dependency], cache_dir=tmp_path / "fresh")
    assert after.findings == fresh.findings
    assert before.findings != fresh.findings  # naming it brings in the dependency's page (this test can fail)


@pytest.mark.parametrize("which", ["one file no analysis parsed", "every file"])
def test_a_header_line_added_keeps_the_findings_renumbered(tmp_path: Path, which: str) -> None:
    """A line added at the top (a licence header) moves every line of the file: a file no analysis
    parsed declares the same on moved lines, parsed ones parse to the same trees; the previous
    findings hold, renumbered, without the closure."""
    copy, cache = demand_app(tmp_path)
    demand.analyze_demand([copy], cache_dir=cache)
    files = sorted((copy / "src").glob("*.al"))
    for f in files if which == "every file" else [copy / "src" / "Unrelated.Codeunit.al"]:
        f.write_text("// Copyright (c) the authors\n" + f.read_text(encoding="utf-8"), encoding="utf-8")
    after = demand.analyze_demand([copy], cache_dir=cache)
    assert demand.last_stats is not None and demand.last_stats.parsed == 0
    assert demand.last_stats.path == ("same-trees" if which == "every file" else "unchanged-closure")
    assert after.findings == analyze([copy]).findings


@pytest.mark.parametrize(("old", "new"), [
    ("        exit(TaskCodeunit);", "        if false then;\n        exit(TaskCodeunit);"),
    ("        exit(TaskCodeunit);", "        // TaskCodeunit\n        exit(TaskCodeunit);"),
    ("        TaskCodeunit: Integer;\n", "#if NOTDEF\n        TaskCodeunit: Integer;\n#else\n        TaskCodeunit: Integer;\n#endif\n"),
])
def test_bodies_from_the_cache_are_followed_as_if_parsed(tmp_path: Path, old: str, new: str) -> None:
    """A closure run after an edit finds the bodies an earlier run parsed in the cache. Put back before
    the closure asked for them, they were read by the rules but never followed by the closure, nor
    noted by the audit: here the assignment of the task codeunit's id, whose codeunit was then left out
    (PBT0035 instead of the task's PBT0004). They are put back when the closure asks for them now."""
    app = tmp_path / "app"
    shutil.copytree(FIXTURES / "demand" / "cases" / "codeunit-id-in-a-callee-global", app)
    demand.analyze_demand([app], cache_dir=tmp_path / "cache")
    replace_once(app / "StockSetup.Codeunit.al", old, new)
    after = demand.analyze_demand([app], cache_dir=tmp_path / "cache")
    assert demand.last_stats is not None and demand.last_stats.path == "closure"
    assert after.findings == analyze([app]).findings
    assert {f.rule_id for f in after.findings} >= {"PBT0004"}


def test_a_failed_rule_s_finding_is_not_renumbered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rule that fails reports PBT0000 at line 1 of the app's first file, a place no tree holds: an
    edit there that keeps the trees is analyzed again rather than moving that finding."""
    import pbtlint.rules.timeout_out_of_range as rule

    def fails(self: object, context: object) -> Iterator[Finding]:
        raise RuntimeError("a rule that fails")
        yield

    monkeypatch.setattr(rule.TimeoutOutOfRange, "check", fails)
    copy, cache = demand_app(tmp_path)
    first = demand.analyze_demand([copy], cache_dir=cache)
    failed = [f for f in first.findings if f.rule_id == "PBT0000"]
    assert failed and failed[0].location.path.endswith("DemandEntry.Table.al")  # the first file by path
    replace_once(copy / "src" / "DemandEntry.Table.al", "table 50303", "// moved\ntable 50303")
    after = demand.analyze_demand([copy], cache_dir=cache)
    assert demand.last_stats is not None and demand.last_stats.path != "same-trees"
    assert after.findings == analyze([copy]).findings


def test_a_replayed_run_keeps_every_earlier_lookup(tmp_path: Path) -> None:
    """A run that replays the previous choice looks lines up only for the audit; the record keeps the
    fixpoint's earlier lookups of the same files beside them (a later edit is checked against all)."""
    app = tmp_path / "app"
    shutil.copytree(FIXTURES / "demand" / "cases" / "results-built-by-a-caller", app)
    demand.analyze_demand([app], cache_dir=tmp_path / "cache")
    before = Cache(tmp_path / "cache").latest_run()["lookups"]
    builder = app / "ResultBuilder.Codeunit.al"
    builder.write_text(re.sub(r"\(\)", "( )", builder.read_text(encoding="utf-8"), count=1), encoding="utf-8")
    demand.analyze_demand([app], cache_dir=tmp_path / "cache")
    assert demand.last_stats is not None and demand.last_stats.path == "same-choice"
    after = Cache(tmp_path / "cache").latest_run()["lookups"]
    assert before and all(set(found) <= set(after.get(path, {})) for path, found in before.items())


def test_another_working_folder_finds_every_cached_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache keys a file by its content, the tool and the symbols, not by the path it is shown as:
    a run from another working folder (a terminal in the app, pre-commit at the repository's root)
    reads and parses no file again, and shows every path as seen from there. A moved file's entry is
    found too, with its new name in what the cache held (its own findings, its left-out bodies)."""
    copy, cache = demand_app(tmp_path)
    monkeypatch.chdir(tmp_path)
    first = demand.analyze_demand([copy], cache_dir=cache)
    assert demand.last_stats is not None and demand.last_stats.parsed > 0
    monkeypatch.chdir(copy)
    again = demand.analyze_demand(["."], cache_dir=cache)
    assert demand.last_stats.path == "closure" and demand.last_stats.indexed == 0
    assert demand.last_stats.parsed == 0 and demand.last_stats.parsed_from_cache > 0
    assert again.findings == analyze(["."]).findings != ()
    assert [f.location.path for f in first.findings] == ["src/" + f.location.path for f in again.findings]
    helper = copy / "src" / "DemandHelper.Codeunit.al"
    replace_once(helper, "    begin\n        Commit();", "    begin Commit(;\n        Commit();")  # a syntax error
    broken = demand.analyze_demand(["."], cache_dir=cache)
    moved = copy / "src" / "Moved.Codeunit.al"
    helper.rename(moved)
    after = demand.analyze_demand(["."], cache_dir=cache)
    assert demand.last_stats.indexed == 0 and demand.last_stats.parsed == 0
    assert after.findings == analyze(["."]).findings
    assert [f.location.path for f in after.findings if f.rule_id == "PBT0000"] == ["src/Moved.Codeunit.al"]
    assert any(f.rule_id == "PBT0000" for f in broken.findings)


def test_a_cached_skeleton_shown_under_another_name_names_its_left_out_bodies_so() -> None:
    """The audit knows a left-out body by its file's name: a skeleton cached under another name gets
    this file's name in its markers, as in its findings."""
    from pbtlint.audit import ElidedBlock
    from pbtlint.skeleton import body_nodes, parse_skeleton, shown_as

    path = FIXTURES / "demand" / "cases" / "reached-body-does-not-parse" / "TotalsHelper.Codeunit.al"
    skeleton, elided = parse_skeleton(path, "old/Helper.al", ())
    assert len(elided) == 2
    moved = shown_as(dataclasses.replace(skeleton, findings=(syntax_error("old/Helper.al", Span.point(1), "x"),)),
                      "new/Helper.al")
    assert moved.unit is not None and moved.path == "new/Helper.al"
    markers = [p.body for p in body_nodes(moved.unit).values() if isinstance(p.body, ElidedBlock)]
    assert len(markers) == 2 and {m.path for m in markers} == {"new/Helper.al"}
    assert [f.location.path for f in moved.findings] == ["new/Helper.al"]


def test_an_edit_starts_from_the_last_run_in_the_same_working_folder(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A terminal in the app and pre-commit at the repository's root take turns: after an edit, a run
    starts from its own folder's last run even when the other folder ran after it (and compares the
    edited file with a parse the cache may hold from the other folder, its paths put right)."""
    copy, cache = demand_app(tmp_path)
    monkeypatch.chdir(tmp_path)
    demand.analyze_demand([copy], cache_dir=cache)
    monkeypatch.chdir(copy)
    demand.analyze_demand(["."], cache_dir=cache)  # the latest run, from the other folder
    edit_one(copy)
    monkeypatch.chdir(tmp_path)
    edited = demand.analyze_demand([copy], cache_dir=cache)
    assert demand.last_stats is not None and demand.last_stats.path == "same-trees"
    assert edited.findings == analyze([copy]).findings
    monkeypatch.chdir(copy)  # and the other folder, whose last run is older than the edit: the previous
    there = demand.analyze_demand(["."], cache_dir=cache)  # parse of the edited file is one made from here
    assert demand.last_stats.path == "same-trees"
    assert there.findings == analyze(["."]).findings


def test_a_dependency_body_that_a_later_app_parses_reports_its_error_with_its_own_app(tmp_path: Path) -> None:
    """The library's analysis runs first and does not parse the broken body; the app's analysis does.
    Its syntax error is still reported, with the library, as the full parse reports it."""
    case = FIXTURES / "demand" / "cases" / "dependency-body-does-not-parse"
    full = analyze([case])
    for run in (demand.analyze_demand([case], cache_dir=tmp_path / "cache"),
                demand.analyze_demand([case], cache_dir=tmp_path / "cache")):  # cold, then warm
        assert [(a.app.root.name, a.findings) for a in run.apps] == [(a.app.root.name, a.findings) for a in full.apps]
    assert [a.app.root.name for a in full.apps] == ["Library", "Main"]
    assert [f.rule_id for f in full.apps[0].findings] == ["PBT0000"]


def test_the_bodies_parsed_beside_one_that_does_not_parse_are_cached(tmp_path: Path) -> None:
    """A run after an edit elsewhere parses again only the body that does not parse: the others of its
    batch come from the cache."""
    copy = tmp_path / "src"
    shutil.copytree(FIXTURES / "demand" / "cases" / "reached-body-does-not-parse", copy)
    cache = tmp_path / "cache"
    demand.analyze_demand([copy], cache_dir=cache)
    assert demand.last_stats is not None and demand.last_stats.bodies == 3  # Sum (broken), Save, OnRun
    task = copy / "TotalsTask.Codeunit.al"
    replace_once(task, "Helper.Save();", "Helper.Save();\n        Helper.Save();")  # a new statement: the closure runs
    after = demand.analyze_demand([copy], cache_dir=cache)
    assert demand.last_stats.path == "closure" and demand.last_stats.bodies == 1  # Sum again (the task was reparsed)
    assert after.findings == analyze([copy]).findings


def test_two_files_of_the_same_content_keep_their_own_bodies(tmp_path: Path) -> None:
    """Two apps hold the same helper file and call other procedures of it: the skeleton is cached once
    (by content), the bodies parsed for each file apart (a replay puts back all of a file's bodies)."""
    from pbtlint.cache import Cache, bodies_key, content_hash, file_key
    from pbtlint.project import real_path

    helper = ("codeunit 50360 Helper\n{\n    procedure A()\n    begin\n        Commit();\n    end;\n\n"
              "    procedure B()\n    begin\n        Message('b');\n    end;\n}\n")
    for n, called in ((1, "A"), (2, "B")):
        app = tmp_path / "src" / f"App{n}"
        app.mkdir(parents=True)
        (app / "app.json").write_text(f'{{"id": "00000000-0000-0000-0000-00000000000{n}", "name": "App{n}", '
                                      '"publisher": "P", "version": "1.0.0.0"}', encoding="utf-8")
        (app / "Helper.Codeunit.al").write_text(helper, encoding="utf-8")
        (app / "Task.Codeunit.al").write_text(
            f"codeunit 5037{n} Task{n}\n{{\n    trigger OnRun()\n    var\n        H: Codeunit Helper;\n    begin\n"
            f"        H.{called}();\n    end;\n}}\n", encoding="utf-8")
        (app / "Host.Page.al").write_text(
            f"page 5038{n} Host{n}\n{{\n    var\n        TaskId: Integer;\n\n    trigger OnAfterGetCurrRecord()\n    var\n"
            "        P: Dictionary of [Text, Text];\n    begin\n"
            f"        CurrPage.EnqueueBackgroundTask(TaskId, Codeunit::Task{n}, P);\n    end;\n}}\n", encoding="utf-8")
    run = demand.analyze_demand([tmp_path / "src"], cache_dir=tmp_path / "cache")
    assert run.findings == analyze([tmp_path / "src"]).findings
    assert {f.rule_id for f in run.findings} >= {"PBT0002", "PBT0004"}  # the Commit of A, the Message of B
    cache = Cache(tmp_path / "cache")
    skeleton = file_key(content_hash(helper.encode()), ()) + "-s"
    lines = [sorted(k[0] for k in cache.get_ast(bodies_key(skeleton, real_path(tmp_path / "src" / f"App{n}" /
                                                                               "Helper.Codeunit.al")))["facts"])
             for n in (1, 2)]
    assert lines == [[4], [9]]
