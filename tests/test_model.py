"""The project model: objects, extensions, procedures, variables, temporariness, labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from pbtlint import nodes as n
from pbtlint.analysis import AnalyzedProject, build_project
from pbtlint.frontend import ParsedFile, parse_file, parse_text
from pbtlint.model import PERSISTENT, RECEIVER, TEMPORARY, Temp, build_model
from pbtlint.scope import Scope

APPS = Path(__file__).resolve().parent.parent / "fixtures" / "apps"


def load(app: str) -> AnalyzedProject:
    files = sorted((APPS / app).rglob("*.al"))
    assert files, f"no fixture files under {APPS / app}"
    units = [parse_file(f, (), str(f.relative_to(APPS))) for f in files]
    for u in units:
        assert u.unit is not None, u.findings
    return build_project(units)


@pytest.fixture(scope="module")
def edges() -> AnalyzedProject:
    return load("edges")


@pytest.fixture(scope="module")
def naming() -> AnalyzedProject:
    return load("naming")


@pytest.fixture(scope="module")
def params() -> AnalyzedProject:
    return load("params")


def var_of(project: AnalyzedProject, proc_key: str, name: str):
    proc = project.model.procs[proc_key]
    v = Scope(project.model, proc).var(name)
    assert v is not None, f"{name} not in scope of {proc_key}"
    return v


# --------------------------------------------------------------------------- objects


def test_objects_by_id_and_by_name_case_insensitive(edges: AnalyzedProject) -> None:
    m = edges.model
    task = m.object_by_id("codeunit", 50101)
    assert task is not None and task.name == "Edge Task"
    assert m.object_by_name("codeunit", "edge TASK") is task
    assert m.object_by_name("table", "Edge Item").key == "table/50100"
    assert m.object_by_name("codeunit", "Edge Missing") is None
    assert m.object_by_id("codeunit", 59999) is None


def test_namespace_qualified_names_resolve(naming: AnalyzedProject) -> None:
    m = naming.model
    cu = m.object_by_name("codeunit", "Fixture.Naming.Naming Namespace Task")
    assert cu is not None and cu.id == 50204 and cu.namespace == "Fixture.Naming"
    assert m.object_by_name("codeunit", "Naming Namespace Task") is cu
    assert m.object_by_name("codeunit", "Other.Space.NamingPlainTask").id == 50202


def test_extension_linked_to_its_table(edges: AnalyzedProject) -> None:
    m = edges.model
    table = m.object_by_name("table", "Edge Item")
    ext = m.object_by_name("tableextension", "Edge Item Ext")
    assert ext.target is table and table.extensions == [ext]
    assert ext.base() is table
    # Fields of the extension are fields of the table.
    assert m.table_field(table, '"Ext Code"'.strip('"')).owner is ext
    assert m.table_field(table, "description").owner is table
    assert [p.name for p in m.table_procedures(table, "ExtProc")] == ["ExtProc"]


def test_table_triggers_include_extension_triggers(edges: AnalyzedProject) -> None:
    m = edges.model
    table = m.object_by_name("table", "Edge Item")
    assert [p.key for p in m.table_triggers(table, "Insert")] == [
        "table/50100/OnInsert", "tableextension/50100/OnAfterInsert"]
    assert [p.key for p in m.table_triggers(table, "Modify")] == ["table/50100/OnModify"]
    assert m.table_triggers(table, "Delete") == []
    assert [p.key for p in m.validate_triggers(table, "Description")] == [
        "table/50100/field/Description/OnValidate", "tableextension/50100/modify/Description/OnAfterValidate"]
    assert [p.key for p in m.validate_triggers(table, "Ext Code")] == ["tableextension/50100/field/Ext Code/OnValidate"]


def test_overloads_get_indexed_keys(edges: AnalyzedProject) -> None:
    util = edges.model.object_by_name("codeunit", "Edge Util")
    keys = [p.key for p in util.procedures["dowork"]]
    assert keys == ["codeunit/50102/procedure/DoWork#1", "codeunit/50102/procedure/DoWork#2"]
    assert [len(p.params) for p in util.procedures["dowork"]] == [0, 1]
    assert edges.model.procs["codeunit/50102/procedure/DoWork#2"].display.endswith("DoWork#2")


def test_element_trigger_keys(edges: AnalyzedProject, naming: AnalyzedProject) -> None:
    assert "report/50100/dataitem/Item/OnAfterGetRecord" in edges.model.procs
    assert "page/50100/OnPageBackgroundTaskCompleted" in edges.model.procs
    assert "pageextension/50200/action/Recalculate/OnAction" in naming.model.procs


def test_interfaces_and_implementers(edges: AnalyzedProject) -> None:
    m = edges.model
    handler = m.object_by_name("interface", "Edge Handler")
    assert sorted(o.name for o in m.implementers(handler)) == ["Edge Fast Handler", "Edge Slow Handler"]
    assert m.implementers(m.object_by_name("interface", "Edge Orphan")) == []


def test_event_subscriptions_indexed(edges: AnalyzedProject) -> None:
    m = edges.model
    table = m.object_by_name("table", "Edge Item")
    task = m.object_by_name("codeunit", "Edge Task")
    assert [p.name for p in m.subscribers(task, "OnAfterWork")] == ["HandleAfterWork"]
    assert [p.name for p in m.subscribers(table, "onaftermodifyevent")] == ["HandleAfterModify"]
    # Event and element names written as identifiers, not text.
    assert [p.name for p in m.subscribers(table, "OnAfterValidateEvent", "Description")] == [
        "HandleAfterValidateDescription"]
    assert m.subscribers(table, "OnAfterValidateEvent", "No.") == []
    publisher = m.procs["codeunit/50101/procedure/OnAfterWork"]
    assert publisher.publisher == "integration"


# --------------------------------------------------------------------------- variables and temporariness


def test_declared_temporariness(edges: AnalyzedProject) -> None:
    onrun = "codeunit/50101/OnRun"
    assert var_of(edges, onrun, "TempItem").temp == TEMPORARY
    assert var_of(edges, onrun, "Item").temp == PERSISTENT
    # TableType = Temporary makes every record of the table temporary.
    assert var_of(edges, onrun, "Buffer").temp == TEMPORARY
    # A RecordRef opened with Open(No, true).
    assert var_of(edges, onrun, "RecRef").temp == TEMPORARY
    # A var record parameter is as temporary as the caller's argument.
    target = var_of(edges, "codeunit/50101/procedure/WriteTo", "Target")
    assert target.temp == Temp("param", 0) and target.by_ref and target.scope == "parameter"


def test_implicit_variables(edges: AnalyzedProject) -> None:
    rec = var_of(edges, "codeunit/50103/OnRun", "Rec")
    assert rec.scope == "implicit" and rec.type.object_name == "Edge Item" and rec.temp == RECEIVER
    assert var_of(edges, "table/50100/OnInsert", "xRec").temp == RECEIVER
    page_rec = var_of(edges, "page/50100/OnAfterGetCurrRecord", "rec")
    assert page_rec.temp == PERSISTENT
    assert var_of(edges, "page/50100/OnAfterGetCurrRecord", "CurrPage").type_name == "currpage"
    # A report dataitem is a record variable of its table.
    item = var_of(edges, "report/50100/OnPreReport", "Item")
    assert item.scope == "global" and item.type.object_name == "Edge Item"
    # A global of the page is visible from its triggers.
    assert var_of(edges, "page/50100/OnAfterGetCurrRecord", "TaskId").scope == "global"


def test_page_source_table_temporary() -> None:
    text = """
table 50900 "Temp Src" { fields { field(1; K; Integer) { } } }
page 50900 "Temp Src Page"
{
    SourceTable = "Temp Src";
    SourceTableTemporary = true;
    trigger OnOpenPage() begin Rec.Insert(); end;
}
codeunit 50901 Checker
{
    TableNo = "Temp Src";
    trigger OnRun() begin end;
}
"""
    model = build_model([parse_text(text, "inline.al")])
    page = model.object_by_name("page", "Temp Src Page")
    assert page.table is model.object_by_name("table", "Temp Src")
    assert page.implicit["rec"].temp == TEMPORARY
    cu = model.object_by_name("codeunit", "Checker")
    assert cu.implicit["rec"].temp == RECEIVER and "xrec" not in cu.implicit


def test_labels_and_constant_texts(params: AnalyzedProject) -> None:
    proc = params.model.procs["page/50300/OnAfterGetCurrRecord"]
    scope = Scope(params.model, proc)
    assert scope.var("CustomerNoLbl").label == "CustomerNo"
    span = proc.node.span
    assert scope.constant_text(n.Identifier(span, "CustomerNoLbl")) == "CustomerNo"
    assert scope.constant_text(n.Call(span, n.Identifier(span, "ModeKey"), ())) == "Mode"
    assert scope.constant_text(n.LiteralValue(span, "text", "Lit")) == "Lit"
    assert scope.constant_text(n.Identifier(span, "StatsTaskId")) is None


def test_duplicate_keys_and_unparsed_files_are_handled() -> None:
    text = "codeunit 50950 A { }\n"
    broken = ParsedFile("broken.al", None, (), (), 0)
    model = build_model([parse_text(text, "a.al"), parse_text(text.replace(" A ", " B "), "b.al"), broken])
    assert [o.key for o in model.objects] == ["codeunit/50950", "codeunit/50950~2"]


LAZY_CODEUNIT = '''codeunit 50120 "Lazy Caller"
{
    procedure Called(var Buffer: Record "Lazy Buffer"; Count: Integer): Boolean
    var
        Local: Record "Lazy Buffer";
        Other: Record "Lazy Buffer" temporary;
    begin
    end;

    procedure NeverAsked(Text: Text)
    var
        X: Integer;
    begin
    end;
}
'''
LAZY_TABLE = '''table 50121 "Lazy Buffer"
{
    TableType = Temporary;

    fields
    {
        field(1; "No."; Code[20]) { }
    }
}
'''


def test_variables_are_declared_when_first_asked_for_as_they_would_be_at_once() -> None:
    """A procedure's parameters and locals are declared on first use; a table that comes in a later file
    is known by then (every object is registered before any is declared), so a record of a temporary
    table is temporary whichever file comes first."""
    for order in ((LAZY_CODEUNIT, LAZY_TABLE), (LAZY_TABLE, LAZY_CODEUNIT)):
        units = [parse_text(text, f"F{i}.al") for i, text in enumerate(order)]
        model = build_model(units)
        called = model.procs["codeunit/50120/procedure/Called"]
        never = model.procs["codeunit/50120/procedure/NeverAsked"]
        assert called.declared is None and never.declared is None
        assert [p.name for p in called.params] == ["Buffer", "Count"]
        assert called.declared is not None and never.declared is None  # only what was asked for
        assert called.params[0].by_ref and called.params[0].index == 0
        assert called.params[0].temp == TEMPORARY  # the table is temporary by its TableType
        assert called.scope["local"].temp == TEMPORARY and called.scope["other"].temp == TEMPORARY
        assert called.scope["buffer"] is called.params[0]  # one declaration, kept
        assert set(never.scope) == {"text", "x"}
