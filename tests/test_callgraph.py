"""Call resolution and the call graph: every edge kind, reachability, explaining paths, temporariness
along a path, and the rendered pictures."""

from __future__ import annotations

from pathlib import Path

import pytest

from pbtlint import nodes as n
from pbtlint.analysis import AnalyzedProject, build_project
from pbtlint.callgraph import effective_temp
from pbtlint.frontend import ParsedFile, parse_file
from pbtlint.graph_render import render_dot, render_mermaid, task_trees
from pbtlint.model import PERSISTENT, TEMPORARY, UNKNOWN, Temp
from pbtlint.reach import BACKGROUND_ROOT, Frame, background_reach, concrete
from pbtlint.span import Span

APPS = Path(__file__).resolve().parent.parent / "fixtures" / "apps"
ROOT = "codeunit/50101/OnRun"


def load(app: str) -> AnalyzedProject:
    files = sorted((APPS / app).rglob("*.al"))
    assert files
    return build_project([parse_file(f, (), str(f.relative_to(APPS))) for f in files])


@pytest.fixture(scope="module")
def edges() -> AnalyzedProject:
    return load("edges")


@pytest.mark.parametrize(
    ("source", "target", "kind"),
    [
        (ROOT, "codeunit/50101/procedure/LocalHelper", "call"),
        (ROOT, "codeunit/50102/procedure/DoWork#1", "codeunit"),
        ("codeunit/50102/procedure/DoWork#1", "codeunit/50102/procedure/DoWork#2", "call"),
        (ROOT, "codeunit/50103/OnRun", "codeunit-run"),
        (ROOT, "codeunit/50104/OnRun", "codeunit-run"),
        (ROOT, "table/50100/procedure/CheckBlocked", "record"),
        (ROOT, "table/50100/OnInsert", "table-trigger"),
        (ROOT, "tableextension/50100/OnAfterInsert", "table-trigger"),
        (ROOT, "table/50100/field/Description/OnValidate", "validate"),
        (ROOT, "tableextension/50100/modify/Description/OnAfterValidate", "validate"),
        (ROOT, "tableextension/50100/field/Ext Code/OnValidate", "validate"),
        (ROOT, "table/50100/event/OnAfterModifyEvent", "table-event"),
        ("table/50100/event/OnAfterModifyEvent", "codeunit/50105/procedure/HandleAfterModify", "event"),
        ("table/50100/event/OnAfterValidateEvent/Description",
         "codeunit/50105/procedure/HandleAfterValidateDescription", "event"),
        (ROOT, "codeunit/50101/procedure/OnAfterWork", "call"),
        ("codeunit/50101/procedure/OnAfterWork", "codeunit/50105/procedure/HandleAfterWork", "event"),
        (ROOT, "codeunit/50106/procedure/Handle", "interface"),
        (ROOT, "codeunit/50107/procedure/Handle", "interface"),
        (ROOT, "report/50100/OnPreReport", "report-run"),
        (ROOT, "report/50100/dataitem/Item/OnAfterGetRecord", "report-run"),
        ("report/50100/dataitem/Item/OnAfterGetRecord", "table/50100/field/Description/OnValidate", "validate"),
        ("table/50100/OnInsert", "table/50100/procedure/InsertHelper", "call"),
        ("tableextension/50100/field/Ext Code/OnValidate", "tableextension/50100/procedure/ExtProc", "call"),
        ("codeunit/50101/procedure/MoreEdges", "xmlport/50100/OnPreXmlPort", "xmlport-run"),
        ("codeunit/50101/procedure/MoreEdges", "xmlport/50100/tableelement/Item/OnAfterGetRecord", "xmlport-run"),
        ("codeunit/50101/procedure/MoreEdges", "page/50100/procedure/Refresh", "page"),
    ],
)
def test_edge_kinds(edges: AnalyzedProject, source: str, target: str, kind: str) -> None:
    data = edges.graph.graph.get_edge_data(source, target)
    assert data is not None, f"no edge {source} -> {target}"
    assert data["kind"] == kind
    assert data["path"] and isinstance(data["span"], Span)


def test_no_trigger_edge_without_run_trigger(edges: AnalyzedProject) -> None:
    g = edges.graph.graph
    # Item.Modify() without RunTrigger: events yes, OnModify no.
    assert not g.has_edge(ROOT, "table/50100/OnModify")
    # Temporary insert through WriteTo has no RunTrigger either.
    assert not g.has_edge("codeunit/50101/procedure/WriteTo", "table/50100/OnInsert")


@pytest.mark.parametrize(
    ("detail", "reason"),
    [
        ("interface/Edge Orphan/Nothing", "interface-no-implementation"),
        ("codeunit/Edge Missing/Foo", "no-source"),
        ("codeunit/50101/NotDeclaredAnywhere", "unresolved"),
        ("codeunit/50101/Codeunit.Run", "dynamic-codeunit"),
        ("Path/GetTempPath", "dotnet"),
    ],
)
def test_opaque_nodes_carry_reasons(edges: AnalyzedProject, detail: str, reason: str) -> None:
    key = f"opaque/{reason}/{detail}"
    node = edges.graph.node(key)
    assert node["kind"] == "opaque" and node["reason"] == reason and node["label"]
    assert key in edges.graph.reachable_from(ROOT)


def test_builtins_are_operations_not_unresolved_calls(edges: AnalyzedProject) -> None:
    sites = edges.resolution.sites_in(ROOT)
    by_line = {(s.span.line, s.name): s for s in sites}
    buffer_insert = by_line[(36, "Insert")]
    assert buffer_insert.builtin == "record.insert" and buffer_insert.targets == ()
    assert buffer_insert.receiver.kind == "record" and buffer_insert.receiver.temp == TEMPORARY
    assert buffer_insert.receiver.obj.name == "Edge Buffer"
    modify = by_line[(27, "Modify")]
    assert modify.builtin == "record.modify" and modify.receiver.temp == PERSISTENT
    assert modify.category == "write"
    assert by_line[(38, "Insert")].builtin == "recordref.insert"
    assert by_line[(40, "SetBackgroundTaskResult")].builtin == "static:page.setbackgroundtaskresult"
    message = next(s for s in edges.resolution.sites_in("codeunit/50101/procedure/LocalHelper") if s.name == "Message")
    assert message.builtin == "global.message" and message.category == "ui"
    commit = edges.resolution.sites_in("codeunit/50104/OnRun")[0]
    assert commit.category == "commit"
    # Every site can be found again from its AST node.
    for s in sites:
        assert edges.resolution.site_of(s.node) is s


def test_method_without_parentheses_is_a_call() -> None:
    text = """
table 50960 T { fields { field(1; K; Integer) { } } procedure IsOk(): Boolean begin exit(true); end; }
codeunit 50960 C
{
    trigger OnRun()
    var R: Record T;
    begin
        R.Modify;
        if R.IsOk then
            Helper;
        if R.IsEmpty then;
    end;
    local procedure Helper() begin end;
}
"""
    from pbtlint.frontend import parse_text
    p = build_project([parse_text(text, "inline.al")])
    sites = {s.name: s for s in p.resolution.sites_in("codeunit/50960/OnRun")}
    assert sites["Modify"].builtin == "record.modify"
    assert sites["IsOk"].targets[0].key == "table/50960/procedure/IsOk"
    assert sites["Helper"].targets[0].key == "codeunit/50960/procedure/Helper"
    assert sites["IsEmpty"].builtin == "record.isempty"
    assert "K" not in sites


def test_reachable_from_background_root(edges: AnalyzedProject) -> None:
    reach = edges.graph.reachable_from(ROOT)
    assert ROOT in reach
    assert "codeunit/50105/procedure/HandleAfterWork" in reach
    assert "tableextension/50100/procedure/ExtProc" in reach
    assert "table/50100/procedure/UpdateSearch" in reach
    assert "codeunit/50101/procedure/NotInBackground" not in reach
    assert "page/50100/OnAfterGetCurrRecord" not in reach
    assert "table/50100/OnModify" not in reach
    # A filter can leave edges out.
    no_events = edges.graph.reachable_from(ROOT, follow=lambda e: e.kind != "event")
    assert "codeunit/50105/procedure/HandleAfterWork" not in no_events


def test_explain_path_is_shortest_and_carries_call_sites(edges: AnalyzedProject) -> None:
    path = edges.graph.explain_path(ROOT, "codeunit/50105/procedure/HandleAfterWork")
    assert [(e.source, e.target, e.kind) for e in path] == [
        (ROOT, "codeunit/50101/procedure/OnAfterWork", "call"),
        ("codeunit/50101/procedure/OnAfterWork", "codeunit/50105/procedure/HandleAfterWork", "event"),
    ]
    assert path[0].site is not None and path[0].span.line == 28 and path[0].path.endswith("EdgeTask.Codeunit.al")
    assert path[1].site is None and path[1].path.endswith("EdgeSubscribers.Codeunit.al")
    deep = edges.graph.explain_path(ROOT, "tableextension/50100/procedure/ExtProc")
    assert [e.kind for e in deep] == ["validate", "call"]
    assert edges.graph.explain_path(ROOT, ROOT) == []
    assert edges.graph.explain_path(ROOT, "codeunit/50101/procedure/NotInBackground") == []


def test_temporariness_follows_the_call_path(edges: AnalyzedProject) -> None:
    g = edges.graph
    write_to = "codeunit/50101/procedure/WriteTo"
    insert = next(s for s in edges.resolution.sites_in(write_to) if s.name == "Insert")
    via_task = g.explain_path(ROOT, write_to)
    assert effective_temp(insert.receiver.temp, via_task) == TEMPORARY
    via_other = g.explain_path("codeunit/50101/procedure/NotInBackground", write_to)
    assert effective_temp(insert.receiver.temp, via_other) == PERSISTENT
    # Codeunit.Run(Codeunit::"Edge Runner", TempItem): Rec in its OnRun is the temporary record.
    runner = "codeunit/50103/OnRun"
    modify = next(s for s in edges.resolution.sites_in(runner) if s.name == "Modify")
    assert effective_temp(modify.receiver.temp, g.explain_path(ROOT, runner)) == TEMPORARY
    # ...but as a background root (invoked without a record) it is a real table.
    assert effective_temp(modify.receiver.temp, []) == PERSISTENT
    # An event subscriber's parameters bind to the publisher's by name.
    sub = "codeunit/50105/procedure/HandleAfterWork"
    delete = next(s for s in edges.resolution.sites_in(sub) if s.name == "Delete")
    assert effective_temp(delete.receiver.temp, g.explain_path(ROOT, sub)) == PERSISTENT


def test_deep_expressions_do_not_recurse() -> None:
    sp = Span(1, 1, 1, 2)
    expr: n.Expr = n.Call(sp, n.Identifier(sp, "Helper"), ())
    for _ in range(30_000):
        expr = n.Binary(sp, "+", expr, n.LiteralValue(sp, "integer", "1"))
    body = n.Block(sp, (n.Assign(sp, n.Identifier(sp, "X"), ":=", expr),))
    var = n.Variable(sp, "X", n.TypeRef(sp, "Integer"))
    run = n.Procedure(sp, "trigger", "OnRun", sp, "public", (), (), None, None, (var,), body)
    helper = n.Procedure(sp, "procedure", "Helper", sp, "local", (), (), n.TypeRef(sp, "Integer"), None, (),
                         n.Block(sp, ()))
    obj = n.AlObject(sp, "codeunit", 50970, "Deep", sp, None, (), (), (), (helper,), (run,), ())
    unit = n.CompilationUnit(sp, None, (), (obj,))
    p = build_project([ParsedFile("deep.al", unit, (), (), 1)])
    assert p.graph.graph.has_edge("codeunit/50970/OnRun", "codeunit/50970/procedure/Helper")


def test_render_mermaid_and_dot(edges: AnalyzedProject) -> None:
    trees = task_trees(edges)
    assert len(trees) == 1
    marks = {node.key: node.marks for node in trees[0].nodes}
    assert marks[ROOT] == ("write",)  # Item.Modify() on a real table
    assert marks["codeunit/50101/procedure/LocalHelper"] == ("ui",)
    assert marks["codeunit/50104/OnRun"] == ("commit",)
    assert marks["codeunit/50103/OnRun"] == ()  # Rec is the temporary record it was run with
    assert marks["codeunit/50101/procedure/WriteTo"] == ()  # reached with TempItem only
    assert marks["opaque/no-source/codeunit/Edge Missing/Foo"] == ("opaque",)
    mermaid = render_mermaid(edges)
    assert mermaid.startswith("flowchart LR")
    assert "class s1_1 write" in mermaid and "-->|codeunit-run|" in mermaid and "#quot;Edge Task#quot;" in mermaid
    dot = render_dot(edges)
    assert dot.startswith("digraph pbtlint {") and dot.rstrip().endswith("}")
    assert dot.count("{") == dot.count("}")
    assert 'label="codeunit-run"' in dot and "dashed" in dot
    small = render_mermaid(edges, max_nodes=3)
    assert "more reachable nodes" in small


def test_background_reach_prunes_temporary_guards(edges: AnalyzedProject) -> None:
    g = edges.graph
    stamp = "codeunit/50105/procedure/StampItem"
    handler = "codeunit/50105/procedure/HandleAfterInsert"
    # TempItem.Insert(true) raises OnAfterInsertEvent: the plain graph follows it all the way.
    assert g.graph.has_edge(ROOT, "table/50100/event/OnAfterInsertEvent")
    assert stamp in g.reachable_from(ROOT)
    # With temporariness carried along, StampItem's `if ... or Item.IsTemporary() then exit;` stops it.
    reach = background_reach(g, ROOT)
    assert handler in reach and stamp not in reach
    assert [e.target for e in reach.pruned] == [stamp]
    assert reach.frames(handler) == [Frame((TEMPORARY, None), UNKNOWN)]
    assert [e.kind for e in reach.path(handler)] == ["table-event", "event"]
    # Called with a real record it is entered, and its Modify writes to the database.
    other = background_reach(g, "codeunit/50101/procedure/NotInBackground")
    assert stamp in other
    modify = next(s for s in edges.resolution.sites_in(stamp) if s.name == "Modify")
    assert [other.temp_of(modify, f) for f in other.frames(stamp)] == [PERSISTENT]


def test_background_reach_frames(edges: AnalyzedProject) -> None:
    g = edges.graph
    reach = background_reach(g, ROOT)
    write_to = "codeunit/50101/procedure/WriteTo"
    assert reach.frames(write_to) == [Frame((TEMPORARY,), PERSISTENT)]
    insert = next(s for s in edges.resolution.sites_in(write_to) if s.name == "Insert")
    assert reach.temp_of(insert, reach.frames(write_to)[0]) == TEMPORARY
    # Rec of the codeunit run with Codeunit.Run(Codeunit::"Edge Runner", TempItem).
    assert reach.frames("codeunit/50103/OnRun") == [Frame((), TEMPORARY)]
    assert concrete(Temp("param", 0), Frame((TEMPORARY,), PERSISTENT)) == TEMPORARY
    assert concrete(Temp("receiver"), Frame((), PERSISTENT)) == PERSISTENT
    assert concrete(Temp("param", 3), BACKGROUND_ROOT) == UNKNOWN
    # Two roots reaching WriteTo with different records; past max_frames the frame is widened.
    both = background_reach(g, [ROOT, "codeunit/50101/procedure/NotInBackground"], max_frames=1)
    assert both.frames(write_to) == [Frame((TEMPORARY,), PERSISTENT), Frame((UNKNOWN,), UNKNOWN)]


def test_self_run_and_extension_of_missing_page() -> None:
    from pbtlint.frontend import parse_text

    text = """
codeunit 50980 SelfRunner
{
    trigger OnRun() begin end;
    procedure Start() begin if not Run() then; end;
}
pageextension 50980 "Ext Of Missing" extends "Not Here Page"
{
    trigger OnOpenPage()
    begin
        Rec.Validate("X", 1);
        SomeBaseProc();
    end;
}
"""
    p = build_project([parse_text(text, "inline.al")])
    assert p.graph.graph.get_edge_data("codeunit/50980/procedure/Start", "codeunit/50980/OnRun")["kind"] == "codeunit-run"
    sites = {s.name: s for s in p.resolution.sites_in("pageextension/50980/OnOpenPage")}
    validate = sites["Validate"]
    assert validate.builtin == "record.validate" and validate.receiver.temp == UNKNOWN
    assert [t.reason for t in validate.targets] == ["no-source"]
    assert [t.reason for t in sites["SomeBaseProc"].targets] == ["no-source"]
