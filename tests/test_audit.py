"""The audit of demand-driven analysis: reads of bodies it left out, and the closures it runs again."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest

from pbtlint import audit, demand, demand_run, summaries
from pbtlint.demand_files import lines_naming
from pbtlint.runner import analyze
from pbtlint.span import Span

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
AUDITED = [FIXTURES / "demand" / "cases" / name for name in (
    "parameters-through-two-helpers", "parameters-returned-to-a-caller", "results-through-two-helpers",
    "results-built-by-a-caller", "try-function-and-other-callers", "codeunit-id-in-a-callee-global",
    "codeunit-id-two-functions-deep", "codeunit-id-global-from-parameter", "try-function-caller-by-id",
    "try-function-caller-non-ascii-case", "table-procedure-called-from-page-extension",
    "part-procedure-called-from-host-extension", "try-function-caller-via-return-type")]
RECORDREF = [FIXTURES / "demand" / "cases" / name for name in (
    "recordref-opened-temporary-elsewhere", "recordref-quoted-name", "recordref-passed-not-called")]


def _block(line: int = 3) -> audit.ElidedBlock:
    return audit.ElidedBlock(Span(line, 5, line + 4, 8), "src/A.Codeunit.al")


def test_a_read_of_a_left_out_body_is_noted_only_while_recording() -> None:
    block = _block()
    assert block.statements == ()  # outside recording: nothing to note, nothing fails
    with audit.recording() as needs:
        assert block.statements == ()
        audit.note_callers("codeunit/1/procedure/Run")
    assert needs.bodies == {("src/A.Codeunit.al", 3, 5, 7): None}
    assert needs.callers == {"codeunit/1/procedure/Run": None}
    with audit.recording() as later:
        pass
    assert not later


def test_words_narrow_a_read_and_a_plain_read_widens_it() -> None:
    block = _block()
    with audit.recording() as needs:
        block.note(frozenset({("enqueuebackgroundtask", None)}))
        block.note(frozenset({("isgui", True)}))
    assert needs.bodies[("src/A.Codeunit.al", 3, 5, 7)] == {("enqueuebackgroundtask", None), ("isgui", True)}
    with audit.recording() as needs:
        block.note(frozenset({("isgui", True)}))
        assert block.statements == ()
    assert needs.bodies[("src/A.Codeunit.al", 3, 5, 7)] is None


def test_callers_asked_for_a_word_and_for_anything() -> None:
    with audit.recording() as needs:
        audit.note_callers("codeunit/1/procedure/Read", frozenset({("tryfunction", None)}))
        audit.note_callers("codeunit/2/procedure/Write", frozenset({("tryfunction", None)}))
        audit.note_callers("codeunit/2/procedure/Write")
    assert needs.callers == {"codeunit/1/procedure/Read": {("tryfunction", None)}, "codeunit/2/procedure/Write": None}


def test_a_left_out_body_pickles_and_compares_by_place() -> None:
    block = _block()
    again = pickle.loads(pickle.dumps(block))
    assert isinstance(again, audit.ElidedBlock) and again == block and hash(again) == hash(block)
    assert again != _block(4)


def test_extras_grow_and_cover() -> None:
    a = audit.Extra(frozenset({("f", 3)}))
    b = audit.Extra(groups=frozenset({(("Stock Setup",), ("SetTask",))}))
    assert not audit.Extra() and a and b
    assert (a | b).covers(a) and (a | b).covers(b) and not a.covers(b)


def test_the_rules_walk_notes_a_left_out_body_it_reaches(tmp_path: Path) -> None:
    """What a task sets as results (and its parameter lookups, and whether it binds subscriptions) is
    read along the background walk, which reads the body of every procedure it reaches: a body left
    out is noted for any text (no words), so the audit adds it and the walk goes on past it in the
    next round. (Those analyses used to walk the plain call graph, past code the walk never reaches.)"""
    from pbtlint.analysis import build_project
    from pbtlint.background import background_analysis
    from pbtlint.dictionary_keys import result_info
    from pbtlint.frontend import parse_file
    from pbtlint.skeleton import parse_skeleton

    page = tmp_path / "P.Page.al"
    page.write_text("""page 50100 "P"
{
    var
        TaskId: Integer;

    trigger OnAfterGetCurrRecord()
    var
        Params: Dictionary of [Text, Text];
    begin
        CurrPage.EnqueueBackgroundTask(TaskId, Codeunit::"T", Params);
    end;
}
""", encoding="utf-8")
    task = tmp_path / "T.Codeunit.al"
    task.write_text("""codeunit 50100 "T"
{
    trigger OnRun()
    begin
        Helper();
    end;

    local procedure Helper()
    var
        Results: Dictionary of [Text, Text];
    begin
        Page.SetBackgroundTaskResult(Results);
    end;
}
""", encoding="utf-8")
    skeleton, left_out = parse_skeleton(task, "T.Codeunit.al", ())
    assert left_out == {(4, 5), (11, 5)}  # both bodies, by the place of their begin
    with audit.recording() as needs:
        project = build_project([parse_file(page, (), "P.Page.al"), skeleton])
        background_analysis(project)
        info = result_info(project, next(o for o in project.model.objects if o.name == "T"))
    assert not info.sets  # nothing known of the left-out code yet ...
    assert needs.bodies == {("T.Codeunit.al", 4, 5, 6): None}  # ... but the walk noted OnRun's body


def test_every_mention_of_a_name_counts_members_too() -> None:
    text = "setup.settask(1);\nsettask(2);\nresettask(3);\nsettask := 4;\n"
    assert lines_naming(text, "settask", None) == {1, 2, 4}
    assert lines_naming(text, "settask", False) == {2, 4}
    assert lines_naming(text, "settask", True) == {4}


@pytest.mark.parametrize("case", AUDITED, ids=lambda p: p.name)
def test_the_audit_runs_the_closure_again_where_an_analysis_read_what_it_left_out(case: Path, tmp_path: Path,
                                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    full = analyze([case]).findings
    audited = demand.analyze_demand([case], cache_dir=tmp_path / "a").findings
    assert demand.last_stats is not None and demand.last_stats.rounds >= 1 and demand.last_stats.unmet == 0
    assert audited == full
    monkeypatch.setattr(demand_run, "_MAX_ROUNDS", 1)  # the first closure alone: the case is not vacuous
    assert demand.analyze_demand([case], cache_dir=tmp_path / "b").findings != full


@pytest.mark.parametrize("case", RECORDREF, ids=lambda p: p.name)
def test_the_audit_catches_a_global_recordref_opened_where_the_closure_did_not_read(
        case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The closure reads where a global RecordRef is opened (summaries watch RecordRefs); without
    that, the audit's note on left-out bodies that open it still gets the full parse's answer."""
    full = analyze([case]).findings
    assert demand.analyze_demand([case], cache_dir=tmp_path / "a").findings == full
    assert demand.last_stats is not None and demand.last_stats.rounds == 0
    monkeypatch.setattr(summaries, "_WATCHED_TYPES", summaries._WATCHED_TYPES - {"recordref"})
    assert demand.analyze_demand([case], cache_dir=tmp_path / "b").findings == full
    assert demand.last_stats is not None and demand.last_stats.rounds >= 1
    monkeypatch.setattr(demand_run, "_MAX_ROUNDS", 1)
    assert demand.analyze_demand([case], cache_dir=tmp_path / "c").findings != full


def test_an_app_whose_closure_has_all_the_analyses_read_runs_it_once(tmp_path: Path) -> None:
    demand.analyze_demand([FIXTURES / "demo-app"], cache_dir=tmp_path)
    assert demand.last_stats is not None and demand.last_stats.rounds == 0


def test_a_later_run_gets_what_the_audit_added_from_the_cache(tmp_path: Path) -> None:
    """After an edit that makes the closure run again, the bodies an audit had added come back from
    the cache, and what the audit added is given to the closure from the start (kept with the run):
    no second closure, and no body parsed."""
    copy = tmp_path / "src"
    shutil.copytree(FIXTURES / "demand" / "cases" / "parameters-through-two-helpers", copy)
    first = demand.analyze_demand([copy], cache_dir=tmp_path / "cache")
    assert demand.last_stats is not None and demand.last_stats.rounds == 1
    page = copy / "StatusPage.Page.al"
    page.write_text(page.read_text(encoding="utf-8").replace("TaskId: Integer;", "TaskId: Integer;\n        Spare: Integer;"),
                    encoding="utf-8")
    second = demand.analyze_demand([copy], cache_dir=tmp_path / "cache")
    assert demand.last_stats is not None and demand.last_stats.path == "closure"
    assert demand.last_stats.rounds == 0 and demand.last_stats.bodies == 0 and demand.last_stats.parsed == 0
    assert second.findings == analyze([copy]).findings
    assert [f.rule_id for f in second.findings] == [f.rule_id for f in first.findings]


@pytest.mark.parametrize(("app", "file", "before", "after"), [
    ("try-function-added", "OtherUnit.Codeunit.al", "// placeholder", "[TryFunction]"),
    ("call-renamed", "Other.Codeunit.al", "T.ReadAll();", "T.Read();"),
], ids=["try-function-added", "call-renamed"])
def test_an_edit_to_a_file_the_audit_read_runs_the_analysis_again(tmp_path: Path, app: str, file: str, before: str,
                                                                   after: str) -> None:
    """The audit looked in a file no one parsed (for a try function, for callers by name); an edit
    there that changes what it would find is not taken for an edit no analysis read."""
    copy = tmp_path / "src"
    shutil.copytree(FIXTURES / "demand" / "edits" / app, copy)
    assert demand.analyze_demand([copy], cache_dir=tmp_path / "cache").findings == analyze([copy]).findings
    path = copy / file
    text = path.read_text(encoding="utf-8")
    assert before in text
    path.write_text(text.replace(before, after), encoding="utf-8")
    changed = demand.analyze_demand([copy], cache_dir=tmp_path / "cache")
    assert demand.last_stats is not None and demand.last_stats.path != "unchanged-closure"
    assert changed.findings == analyze([copy]).findings


def test_a_need_the_closure_cannot_meet_stops_the_loop_and_is_counted(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """An audit that keeps finding what an added closure did not give (here: a body on a line no
    procedure holds) ends the loop after one more closure, and the run says so."""
    app = FIXTURES / "demo-app"
    stuck = audit.Extra(frozenset({(app / "nowhere.al", 1)}))
    monkeypatch.setattr(demand_run.demand_audit, "unmet", lambda *args, **kwargs: stuck)
    result = demand.analyze_demand([app], cache_dir=tmp_path)
    assert demand.last_stats is not None and demand.last_stats.rounds == 1 and demand.last_stats.unmet == 1
    assert result.findings == analyze([app]).findings


@pytest.mark.parametrize("case", AUDITED, ids=lambda p: p.name)
def test_what_the_audit_adds_is_settled_in_the_same_closure(case: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The closure is kept across the audit's rounds: what the audit found missing is added to the
    fixpoint that ran, which settles only that (the full parse's findings, one closure built)."""
    made: list[object] = []
    closure = demand_run.Closure

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        made.append(closure(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(demand_run, "Closure", counted)
    assert demand.analyze_demand([case], cache_dir=tmp_path).findings == analyze([case]).findings
    assert demand.last_stats is not None and demand.last_stats.rounds >= 1
    assert len(made) == 1
