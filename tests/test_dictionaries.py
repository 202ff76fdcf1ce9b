"""Background task dictionaries: where parameters and results flow, which reads are guarded, which
keys are constants, which tasks a point of a completion trigger handles, and which keys a task sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from pbtlint import nodes as n
from pbtlint.analysis import AnalyzedProject, build_project
from pbtlint.dictionaries import (
    Background,
    Lookup,
    constant_keys,
    keys_read,
    lookups,
    same_expr,
    track_parameters,
    track_results,
)
from pbtlint.dictionary_keys import result_info, site_parameter_keys
from pbtlint.findings import Location
from pbtlint.frontend import parse_file
from pbtlint.scope import Scope
from pbtlint.task_filters import results_reads, task_filter

PAGE = """
page 50100 "Stock Card"
{
    var
        StockTaskId: Integer;
        CountTaskId: Integer;
        OtherText: Text;

    trigger OnAfterGetCurrRecord()
    var
        Params: Dictionary of [Text, Text];
    begin
        Params.Add('ItemNo', 'X');
        Params.Add('Location', 'MAIN');
        CurrPage.EnqueueBackgroundTask(StockTaskId, Codeunit::"Stock Task", Params);
        CurrPage.EnqueueBackgroundTask(CountTaskId, Codeunit::"Count Task", Params);
    end;

    trigger OnPageBackgroundTaskCompleted(TaskId: Integer; Results: Dictionary of [Text, Text])
    var
        Value: Text;
    begin
        case TaskId of
            StockTaskId:
                Value := Results.Get('Stock');
            CountTaskId:
                if Results.ContainsKey('Count') then
                    Value := Results.Get('Count');
        end;
        if TaskId = CountTaskId then
            ShowCount(Results);
    end;

    local procedure ShowCount(CountResults: Dictionary of [Text, Text])
    var
        ResultKey: Text;
    begin
        foreach ResultKey in CountResults.Keys() do
            OtherText += CountResults.Get(ResultKey);
        OtherText := CountResults.Get('Total');
    end;
}
"""

STOCK_TASK = """
codeunit 50100 "Stock Task"
{
    var
        GlobalParams: Dictionary of [Text, Text];
        LocationTok: Label 'Location', Locked = true;

    trigger OnRun()
    var
        Params: Dictionary of [Text, Text];
        Results: Dictionary of [Text, Text];
        ItemNo: Text;
    begin
        if not TryGetParams(Params) then
            exit;
        ItemNo := Params.Get('ItemNo');
        if Params.ContainsKey(LocationTok) then
            ItemNo := Params.Get('Location');
        Params.Get('Missing', ItemNo);
        if Params.Get('Optional', ItemNo) then;
        ItemNo := Page.GetBackgroundParameters().Get('Chained');
        GlobalParams := Page.GetBackgroundParameters();
        ReadGlobal();
        ReadPassed(Page.GetBackgroundParameters(), 'Passed');
        ItemNo := Params2().Get('Returned');
        AddStock(Results);
        Page.SetBackgroundTaskResult(Results);
    end;

    [TryFunction]
    local procedure TryGetParams(var Params: Dictionary of [Text, Text])
    begin
        Params := Page.GetBackgroundParameters();
        if Params.Get('InTry') = '' then;
        ReadInTry(Params);
    end;

    local procedure ReadInTry(TaskParams: Dictionary of [Text, Text])
    begin
        if TaskParams.Get('CalledFromTry') = '' then;
    end;

    local procedure ReadGlobal()
    begin
        if GlobalParams.Get('Global') = '' then;
    end;

    local procedure ReadPassed(TaskParams: Dictionary of [Text, Text]; KeyName: Text)
    begin
        if TaskParams.Get(KeyName) = '' then;
    end;

    local procedure Params2(): Dictionary of [Text, Text]
    begin
        exit(Page.GetBackgroundParameters());
    end;

    local procedure AddStock(var Figures: Dictionary of [Text, Text])
    begin
        Figures.Add('Stock', '1');
        Figures.Add(StockKey(), '2');
    end;

    procedure StockKey(): Text
    begin
        exit(LocationTok);
    end;
}
"""

COUNT_TASK = """
codeunit 50101 "Count Task"
{
    trigger OnRun()
    begin
        Page.SetBackgroundTaskResult(BuildResults());
    end;

    local procedure BuildResults() Results: Dictionary of [Text, Text]
    var
        i: Integer;
    begin
        Results.Add('Count', '3');
        for i := 1 to 2 do
            Results.Add(Format(i), '0');
    end;
}
"""

SILENT_TASK = """
codeunit 50102 "Silent Task"
{
    trigger OnRun()
    var
        Results: Dictionary of [Text, Text];
    begin
        Results.Add('A', 'B');
    end;
}

codeunit 50103 "Opaque Task"
{
    trigger OnRun()
    var
        Helper: Codeunit "Not In Sources";
    begin
        Helper.Publish();
    end;
}
"""


def build(tmp_path: Path, *sources: str) -> AnalyzedProject:
    files = []
    for i, text in enumerate(sources):
        f = tmp_path / f"f{i}.al"
        f.write_text(text, encoding="utf-8")
        files.append(parse_file(f, (), f.name))
    for parsed in files:
        assert not parsed.findings, parsed.findings
    return build_project(files)


@pytest.fixture
def project(tmp_path: Path) -> AnalyzedProject:
    return build(tmp_path, PAGE, STOCK_TASK, COUNT_TASK, SILENT_TASK)


def by_key(items: list[Lookup]) -> dict[str, Lookup]:
    out: dict[str, Lookup] = {}
    for lk in items:
        if lk.key_texts and lk.method == "get":
            out.setdefault(lk.key_texts[0], lk)
    return out


def test_parameters_are_followed_through_every_kind_of_flow(project: AnalyzedProject) -> None:
    found = by_key(lookups(track_parameters(project)))
    # var parameter of a TryFunction, chained, global, passed as a parameter, returned by a procedure
    for key in ("ItemNo", "InTry", "Chained", "Global", "Passed", "Returned"):
        assert key in found, key
    assert found["Passed"].proc.name == "ReadPassed"
    assert found["Global"].proc.name == "ReadGlobal"


def test_which_parameter_reads_are_guarded(project: AnalyzedProject) -> None:
    found = by_key(lookups(track_parameters(project)))
    assert found["ItemNo"].unguarded
    assert not found["Location"].unguarded  # ContainsKey through a Label with the same text
    assert found["Missing"].unguarded and found["Missing"].as_statement  # Get(K, V); as a statement
    assert not found["Optional"].unguarded  # Get(K, V) as a condition
    assert not found["InTry"].unguarded  # inside a [TryFunction]
    assert not found["CalledFromTry"].unguarded  # called only from a [TryFunction]
    assert found["Chained"].unguarded
    assert found["Passed"].unguarded and found["Global"].unguarded  # callers are not try functions


def test_results_reads_and_their_guards(project: AnalyzedProject) -> None:
    trigger = project.enqueue.completion_triggers[0]
    items = lookups(track_results(project, trigger))
    gets = [(lk.proc.name, lk.key_texts, lk.unguarded) for lk in items if lk.method == "get"]
    assert ("OnPageBackgroundTaskCompleted", ("Stock",), True) in gets
    assert ("OnPageBackgroundTaskCompleted", ("Count",), False) in gets
    assert ("ShowCount", ("Total",), True) in gets
    # Get(K) inside foreach K in D.Keys() cannot miss.
    assert ("ShowCount", None, False) in gets
    # One read per key: the ContainsKey beside the Get of the same key is not judged twice.
    assert sum(1 for lk in keys_read(items) if lk.key_texts == ("Count",)) == 1


def test_constant_keys(project: AnalyzedProject) -> None:
    model, res = project.model, project.resolution
    stock = next(o for o in model.objects if o.name == "Stock Task")
    read_passed = stock.procedures["readpassed"][0]
    get = next(lk for lk in lookups(track_parameters(project)) if lk.proc is read_passed)
    assert get.key is not None
    # A by-value parameter that every caller passes a constant for.
    assert constant_keys(model, res, Scope(model, read_passed), get.key) == ("Passed",)
    # Not known in another procedure's scope.
    assert constant_keys(model, res, Scope(model, stock.triggers["onrun"]), get.key) is None
    # A procedure that returns a Label.
    add_stock = stock.procedures["addstock"][0]
    adds = [s for s in res.sites_in(add_stock.key) if s.name == "Add"]
    by_call = next(s for s in adds if isinstance(s.args[0], n.Call))
    assert constant_keys(model, res, Scope(model, add_stock), by_call.args[0]) == ("Location",)
    assert same_expr(by_call.args[0], by_call.args[0])
    assert not same_expr(by_call.args[0], get.key)


def test_task_filter_follows_task_id_checks(project: AnalyzedProject) -> None:
    trigger = project.enqueue.completion_triggers[0]
    sites = {s.task_id.name: s for s in project.enqueue.sites}  # type: ignore[union-attr]
    scope = Scope(project.model, trigger.proc)
    items = [lk for lk in lookups(track_results(project, trigger)) if lk.proc is trigger.proc]
    stock_read = next(lk for lk in items if lk.key_texts == ("Stock",))
    f = task_filter(scope, trigger.task_id, stock_read.site.facts)
    assert f.admits(sites["StockTaskId"]) and not f.admits(sites["CountTaskId"])
    reads = results_reads(project, trigger)
    assert len(reads) == 4
    last = reads[-1][1]  # ShowCount(Results) under `if TaskId = CountTaskId`
    assert last.admits(sites["CountTaskId"]) and not last.admits(sites["StockTaskId"])


def test_result_info(project: AnalyzedProject) -> None:
    objs = {o.name: o for o in project.model.objects}
    stock = result_info(project, objs["Stock Task"])
    assert stock.sets and stock.complete and stock.keys == {"Stock", "Location"}  # through a var parameter
    count = result_info(project, objs["Count Task"])
    assert count.sets and not count.complete and "Count" in count.keys  # returned dictionary, computed keys
    silent = result_info(project, objs["Silent Task"])
    assert not silent.sets and not silent.unknown
    opaque = result_info(project, objs["Opaque Task"])
    assert not opaque.sets and opaque.unknown  # a codeunit outside the sources might set results


def test_site_parameter_keys_and_background(project: AnalyzedProject) -> None:
    site = project.enqueue.sites[0]
    assert site_parameter_keys(project, site) == ({"ItemNo", "Location"}, True)
    background = Background(project)
    stock = next(o for o in project.model.objects if o.name == "Stock Task")
    read_global = stock.procedures["readglobal"][0]
    reaching = background.sites_reaching(read_global.key)
    assert [s.task_id.name for s in reaching] == ["StockTaskId"]  # type: ignore[union-attr]
    end = Location(read_global.path, read_global.node.name_span, "reads")
    path = background.call_path(reaching[0], read_global.key, end)
    assert path[0].label == 'enqueues Codeunit "Stock Task"'
    assert [loc.label for loc in path[1:]] == ["calls ReadGlobal", "reads"]
    assert [loc.label for loc in background.related(reaching[0], read_global.key)] == [
        'enqueues Codeunit "Stock Task"', 'task codeunit "Stock Task"']


GUARDED_PAGE = """
page 50120 "Guarded Card"
{
    var
        TaskId: Integer;

    trigger OnAfterGetCurrRecord()
    var
        Params: Dictionary of [Text, Text];
    begin
        Params.Add('ItemNo', 'X');
        CurrPage.EnqueueBackgroundTask(TaskId, Codeunit::"Guarded Task", Params);
    end;
}
"""

GUARDED_TASK = """
codeunit 50120 "Guarded Task"
{
    trigger OnRun()
    var
        Params: Dictionary of [Text, Text];
    begin
        Params := Page.GetBackgroundParameters();
        if GuiAllowed() then
            ReadItem(Params);
        if GuiAllowed() then
            ShowItem(Params);
        Prepare(Params);
    end;

    local procedure Prepare(Params: Dictionary of [Text, Text])
    begin
        ReadItem(Params);
    end;

    local procedure ReadItem(Params: Dictionary of [Text, Text])
    var
        ItemNo: Text;
    begin
        ItemNo := Params.Get('ItemNo');
    end;

    local procedure ShowItem(Params: Dictionary of [Text, Text])
    var
        ItemNo: Text;
    begin
        ItemNo := Params.Get('ItemNo');
    end;
}
"""


def test_background_reach_and_paths_do_not_pass_a_gui_guard(tmp_path: Path) -> None:
    """Which sites reach a procedure, and by which calls, is the background walk's answer: a call under
    ``if GuiAllowed() then`` never runs in the task, however short the path through it."""
    project = build(tmp_path, GUARDED_PAGE, GUARDED_TASK)
    background = Background(project)
    task = next(o for o in project.model.objects if o.name == "Guarded Task")
    read_item, show_item = task.procedures["readitem"][0], task.procedures["showitem"][0]
    reaching = background.sites_reaching(read_item.key)
    assert len(reaching) == 1
    end = Location(read_item.path, read_item.node.name_span, "reads")
    path = background.call_path(reaching[0], read_item.key, end)
    assert [loc.label for loc in path[1:]] == ["calls Prepare", "calls ReadItem", "reads"]  # not the guarded call
    assert background.sites_reaching(show_item.key) == []  # only ever called under the guard
    assert background.codeunits_reaching(show_item.key) == []
    assert [c.name for c in background.codeunits_reaching(read_item.key)] == ["Guarded Task"]


def test_parameters_from_a_procedure_with_computed_keys_are_incomplete(tmp_path: Path) -> None:
    page = """
page 50100 "P"
{
    var
        TaskId: Integer;

    trigger OnOpenPage()
    var
        Params: Dictionary of [Text, Text];
    begin
        Params := Build();
        CurrPage.EnqueueBackgroundTask(TaskId, 50100, Params);
    end;

    local procedure Build() Params: Dictionary of [Text, Text]
    begin
        Params.Add(Format(Today()), 'x');
    end;
}
"""
    project = build(tmp_path, page)
    keys, complete = site_parameter_keys(project, project.enqueue.sites[0])
    assert keys == set() and not complete
