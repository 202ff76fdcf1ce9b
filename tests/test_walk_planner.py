"""The walk gate's planner (:mod:`pbtlint.walk_planner`): a project grown in place, file by file,
reaches what a project built afresh reaches."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pbtlint import resolve_stale
from pbtlint.analysis import AnalyzedProject
from pbtlint.background import walk_reach
from pbtlint.background_guards import Guards
from pbtlint.call_sites import Resolution
from pbtlint.elide import splice
from pbtlint.frontend import ParsedFile, parse_text
from pbtlint.model import ObjectInfo
from pbtlint.skeleton import body_nodes, parse_skeleton
from pbtlint.walk_planner import WalkPlanner, fresh_reach

PAGE = '''page 50100 "Work Page"
{
    trigger OnAfterGetCurrRecord()
    var
        TaskId: Integer;
        Params: Dictionary of [Text, Text];
    begin
        CurrPage.EnqueueBackgroundTask(TaskId, Codeunit::"Work Task", Params);
    end;

    trigger OnPageBackgroundTaskCompleted(TaskId: Integer; Results: Dictionary of [Text, Text])
    begin
    end;
}
'''
TASK = '''codeunit 50101 "Work Task"
{
    trigger OnRun()
    var
        Helper: Codeunit "Work Helper";
    begin
        Helper.DoWork();
    end;
}
'''
HELPER = '''codeunit 50102 "Work Helper"
{
    procedure DoWork()
    var
        Item: Record "Work Item";
    begin
        Item.Touch();
    end;
}
'''
TABLE = '''table 50103 "Work Item"
{
    fields
    {
        field(1; "No."; Code[20]) { }
    }
}
'''
EXT = '''tableextension 50104 "Work Item Ext" extends "Work Item"
{
    procedure Touch()
    begin
        Rec.Modify();
    end;
}
'''


def _files() -> list[ParsedFile]:
    return [parse_text(text, path) for text, path in (
        (PAGE, "P.Page.al"), (TASK, "T.Codeunit.al"), (HELPER, "H.Codeunit.al"), (TABLE, "I.Table.al"),
        (EXT, "E.TableExt.al"))]


def test_a_call_resolved_before_its_object_came_is_resolved_again() -> None:
    """The task's call names a codeunit that comes in a later round, whose call names a member that a
    table extension of a still later round declares: each is resolved again when its object comes."""
    files = _files()
    planner = WalkPlanner()
    _, first = planner.reach(files[:2])
    assert "codeunit/50102/procedure/DoWork" not in first  # not loaded yet
    _, second = planner.reach(files[:4])
    assert "codeunit/50102/procedure/DoWork" in second
    assert "tableextension/50104/procedure/Touch" not in second
    _, third = planner.reach(files)
    assert "tableextension/50104/procedure/Touch" in third
    assert fresh_reach(files)[1] <= third  # what a fresh project reaches, the grown one reaches too


def test_without_resolving_again_the_grown_project_misses_the_edge(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test above is not vacuous: without resolving the stale calls again, the edge is missed."""
    monkeypatch.setattr(resolve_stale.StaleIndex, "find", lambda self, res, objects: [])
    files = _files()
    planner = WalkPlanner()
    planner.reach(files[:2])
    _, reach = planner.reach(files)
    assert "codeunit/50102/procedure/DoWork" not in reach


def test_the_walk_goes_on_from_the_last_round_and_misses_nothing_a_new_walk_finds() -> None:
    """Each round's walk goes on from the last one (the nodes that got new edges or facts, the calls
    that were dead); it reaches at least what a walk from nothing reaches on the same grown project."""
    files = _files()
    planner = WalkPlanner()
    for k in (2, 3, 4, 5):
        project, reach = planner.reach(files[:k])
        assert walk_reach(project) <= reach
    assert planner.walked.reaches  # the walks were kept, and gone on from


def _scan_every_call(res: Resolution, objects: list[ObjectInfo]) -> list[str]:
    """The reference: every procedure with an open call that ``objects`` may answer, looking at every
    current call site (what the index spares the planner)."""
    wanted = resolve_stale.answered_by(objects)
    return [key for key, sites in res.by_proc.items()
            if any(resolve_stale.open_key(site) in wanted for site in sites)]


def test_the_index_of_open_calls_finds_what_a_scan_of_every_call_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    """The planner's index of open calls (resolve_stale.StaleIndex) finds the same procedures to resolve
    again as a scan of every call, round after round."""
    files = _files()
    found: list[tuple[list[str], list[str]]] = []
    find = resolve_stale.StaleIndex.find

    def both(self: resolve_stale.StaleIndex, res: Resolution, objects: list[ObjectInfo]) -> list:
        indexed = find(self, res, objects)
        found.append(([p.key for p in indexed], _scan_every_call(res, objects)))
        return indexed

    monkeypatch.setattr(resolve_stale.StaleIndex, "find", both)
    planner = WalkPlanner()
    for k in (2, 3, 4, 5):
        planner.reach(files[:k])
    assert found and all(indexed == scanned for indexed, scanned in found)
    assert any(indexed for indexed, _ in found)  # some round resolves a call again


PUBLISHER = '''codeunit 50110 "Work Events"
{
    [IntegrationEvent(false, false)]
    procedure OnWork()
    begin
    end;
}
'''
PUBLISHING_TABLE = '''table 50111 "Work Log"
{
    fields
    {
        field(1; "No."; Code[20]) { }
    }
}
'''
PUBLISHING_EXT = '''tableextension 50112 "Work Log Ext" extends "Work Log"
{
    [IntegrationEvent(false, false)]
    procedure OnLogged()
    begin
    end;
}
'''


def _subscriber(number: int, publisher: str, event: str) -> str:
    return f'''codeunit {number} "Work Subscriber {number}"
{{
    [EventSubscriber(ObjectType::{publisher}, '{event}', '', false, false)]
    local procedure Handle()
    begin
    end;
}}
'''


def _event_edges(project: object) -> list[tuple[str, list[str]]]:
    graph = project.graph.graph  # type: ignore[attr-defined]
    return sorted((node, [t for t in graph.adj[node] if graph.adj[node][t]["kind"] == "event"])
                  for node in graph if any(d["kind"] == "event" for d in graph.adj[node].values()))


@pytest.mark.parametrize("order", [
    (0, 1, 2, 3, 4, 5, 6),  # publishers first, then their subscribers
    (3, 4, 5, 6, 0, 1, 2),  # subscribers first (their events not in the model yet)
    (2, 3, 5, 1, 6, 4, 0),  # the extension's publisher before the table it extends
])
def test_event_edges_of_a_grown_graph_are_those_of_a_fresh_one(order: tuple[int, ...]) -> None:
    """The grown call graph looks again only at the publishers whose events got subscribers since, or
    whose extension got its table since; it ends with the same event edges, in the same order, as a
    graph built from all the files at once."""
    files = [parse_text(text, path) for text, path in (
        (PUBLISHER, "W.Codeunit.al"), (PUBLISHING_TABLE, "L.Table.al"), (PUBLISHING_EXT, "L.TableExt.al"),
        (_subscriber(50120, 'Codeunit, Codeunit::"Work Events"', "OnWork"), "S1.Codeunit.al"),
        (_subscriber(50121, 'Codeunit, Codeunit::"Work Events"', "OnWork"), "S2.Codeunit.al"),
        (_subscriber(50122, 'Table, Database::"Work Log"', "OnLogged"), "S3.Codeunit.al"),
        (_subscriber(50123, 'Table, Database::"Work Log"', "OnLogged"), "S4.Codeunit.al"))]
    chosen = [files[i] for i in order]
    planner = WalkPlanner()
    for k in range(1, len(chosen) + 1):
        project, _ = planner.reach(chosen[:k])
    fresh, _ = fresh_reach(chosen)
    assert _event_edges(project) == _event_edges(fresh)
    assert len(_event_edges(fresh)) == 2 and all(len(subs) == 2 for _, subs in _event_edges(fresh))


ALIAS_HELPER = '''codeunit 50102 "Work Helper"
{
    var
        Gui: Boolean;

    procedure DoWork()
    begin
        Setup();
        if Gui then
            Message('Working');
    end;

    local procedure Setup()
    begin
        Gui := GuiAllowed();
    end;

    procedure Init()
    begin
        Gui := true;
    end;
}
'''


_DO_WORK = "codeunit/50102/procedure/DoWork"


def _helper_in_two_rounds(tmp_path: Path, helper_text: str, first: tuple[str, ...]
                          ) -> tuple[ParsedFile, ParsedFile, ParsedFile, ParsedFile]:
    """The page, the task, the helper as a skeleton with only the bodies of ``first`` (lower-case
    names), and the helper whole: the helper's two rounds."""
    helper = tmp_path / "H.Codeunit.al"
    helper.write_text(helper_text, encoding="utf-8")
    whole = parse_text(helper_text, "H.Codeunit.al")
    skeleton, _ = parse_skeleton(helper, "H.Codeunit.al", ())
    assert whole.unit is not None and skeleton.unit is not None
    wanted = {key: node.body for key, node in body_nodes(whole.unit).items() if node.name.casefold() in first}
    partial = dataclasses.replace(skeleton, unit=splice(skeleton.unit, wanted))
    return parse_text(PAGE, "P.Page.al"), parse_text(TASK, "T.Codeunit.al"), partial, whole


def _guarded(project: AnalyzedProject, guards: Guards) -> set[int]:
    return guards.of(project.model.procs[_DO_WORK]).guarded


def test_a_body_that_came_is_looked_at_for_the_assignments_of_a_global(tmp_path: Path) -> None:
    """``Gui`` holds ``GuiAllowed()`` in every body parsed in the first round, so it guards the
    ``Message``; ``Init``'s body, which comes next, assigns it ``true``, so it no longer does. The
    assignments found in a body, remembered per procedure, are looked at again once the body comes.
    (``DoWork``'s own facts are kept across rounds, as the planner keeps the facts of every procedure
    that did not change; the gate's fresh check covers what that misses.)"""
    page, task, partial, whole = _helper_in_two_rounds(tmp_path, ALIAS_HELPER, ("dowork", "setup"))
    planner = WalkPlanner()
    project, _ = planner.reach([page, task, partial])
    assert planner.guards is not None and _guarded(project, planner.guards)  # the alias guards the Message
    project, _ = planner.reach([page, task, whole])
    fresh, _ = fresh_reach([page, task, whole])
    assert not _guarded(fresh, Guards(fresh))
    planner.guards.forget([_DO_WORK])  # DoWork's facts computed again, with Init's body there now
    assert not _guarded(project, planner.guards)


TRY_HELPER = '''codeunit 50102 "Work Helper"
{
    procedure DoWork()
    begin
        if not ReadParams() then
            Message('Not in a background task');
    end;

    [TryFunction]
    local procedure ReadParams()
    begin
        GetThem();
    end;

    local procedure GetThem()
    var
        Params: Dictionary of [Text, Text];
    begin
        Params := Page.GetBackgroundParameters();
    end;
}
'''


def test_a_body_that_came_is_looked_at_by_the_guards_that_call_it(tmp_path: Path) -> None:
    """``DoWork``'s ``Message`` runs only when the try function ``ReadParams`` fails, which it does
    outside a background task because ``GetThem``, which it calls, gets the task's parameters. While
    ``GetThem``'s body is left out, the guard cannot tell; once it comes, the planner computes again the
    facts of the procedures whose conditions call a try function that calls it, as a fresh project has
    them, and does not keep ``DoWork``'s."""
    page, task, partial, whole = _helper_in_two_rounds(tmp_path, TRY_HELPER, ("dowork", "readparams"))
    planner = WalkPlanner()
    project, _ = planner.reach([page, task, partial])
    assert planner.guards is not None and not _guarded(project, planner.guards)  # GetThem left out
    project, _ = planner.reach([page, task, whole])
    fresh, _ = fresh_reach([page, task, whole])
    assert len(_guarded(fresh, Guards(fresh))) == 1  # the Message
    assert len(_guarded(project, planner.guards)) == 1
