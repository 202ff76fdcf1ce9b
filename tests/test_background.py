"""Background code (pbtlint.background): roots, guards, temporariness along the path, call paths,
opaque calls, and the five rules built on it."""

from __future__ import annotations

import pytest

from pbtlint.analysis import AnalyzedProject, build_project
from pbtlint.background import BackgroundAnalysis, background_analysis
from pbtlint.frontend import parse_text
from pbtlint.rule import rule_by_id
from pbtlint.runner import RuleContext

TABLES = """
table 50100 Item
{
    fields
    {
        field(1; "No."; Code[20]) { }
        field(2; Inventory; Decimal) { }
    }
    trigger OnModify()
    begin
        Message('modified');
    end;
}

table 50101 Log
{
    fields
    {
        field(1; "Entry No."; Integer) { }
        field(2; Note; Text[100]) { }
    }
}

table 50102 Buffer
{
    TableType = Temporary;
    fields
    {
        field(1; "Entry No."; Integer) { }
    }
}
"""

PAGE = """
page 50100 "Item Card"
{
    SourceTable = Item;
    var
        TaskId: Integer;
        OtherTaskId: Integer;

    trigger OnAfterGetCurrRecord()
    begin
        CurrPage.EnqueueBackgroundTask(TaskId, Codeunit::Task);
    end;

    trigger OnPageBackgroundTaskCompleted(CompletedTaskId: Integer; Results: Dictionary of [Text, Text])
    var
        L: Record Log;
    begin
        L.Insert();
        Commit();
        Message('done');
    end;

    trigger OnPageBackgroundTaskError(ErrTaskId: Integer; ErrorCode: Text; ErrorText: Text; ErrorCallStack: Text; var IsHandled: Boolean)
    begin
        Message(ErrorText);
    end;
}
"""


def project(codeunits: str, page: str = PAGE) -> AnalyzedProject:
    parsed = parse_text(TABLES + page + codeunits, "app.al")
    assert parsed.unit is not None, parsed.findings
    return build_project([parsed])


def analysis(codeunits: str, page: str = PAGE) -> BackgroundAnalysis:
    return background_analysis(project(codeunits, page))


def lines(a: BackgroundAnalysis, category: str) -> list[int]:
    return [o.location.span.line for o in a.of(category)]


def line_of(text: str, needle: str) -> int:
    """1-based line of ``needle`` in the whole app text (TABLES + PAGE + ``text``)."""
    full = TABLES + PAGE + text
    return full[: full.index(needle, len(TABLES + PAGE))].count("\n") + 1


def test_roots_come_from_the_enqueue_sites_and_the_result_is_cached() -> None:
    p = project("codeunit 50100 Task { trigger OnRun() begin end; }")
    a = background_analysis(p)
    assert [r.key for r in a.roots] == ["codeunit/50100/OnRun"]
    assert a.roots[0].codeunit.name == "Task"
    assert background_analysis(p) is a
    assert a.offenses == [] and a.opaque_calls == []


def test_completion_and_error_triggers_are_never_background_code() -> None:
    a = analysis("codeunit 50100 Task { trigger OnRun() begin end; }")
    assert a.offenses == []
    assert all("Item Card" not in key for key in a.reachable["codeunit/50100/OnRun"])


CATEGORIES = """
codeunit 50100 Task
{
    trigger OnRun()
    var
        L: Record Log;
        T: Record Log temporary;
        B: Record Buffer;
        R: RecordRef;
        Window: Dialog;
    begin
        L.Insert();                                       // write 1
        T.Insert();
        B.Insert();
        R.Open(50101, true);
        R.Insert();
        IsolatedStorage.Set('k', 'v');                    // write 2
        Commit();                                         // commit
        L.LockTable();                                    // lock 1
        T.LockTable();
        L.ReadIsolation := IsolationLevel::UpdLock;       // lock 2
        L.ReadIsolation := IsolationLevel::ReadCommitted;
        if L.FindSet(true) then;                          // lock 3
        if L.FindSet() then;
        Window.Open('x');                                 // ui 1
        if Confirm('x') then;                             // ui 2
        Error('not UI');
    end;
}
"""


@pytest.mark.parametrize(
    ("category", "needles"),
    [
        ("write", ["L.Insert();", "IsolatedStorage.Set"]),
        ("commit", ["Commit();"]),
        ("lock", ["L.LockTable();", "L.ReadIsolation := IsolationLevel::UpdLock", "L.FindSet(true)"]),
        ("ui", ["Window.Open", "Confirm('x')"]),
    ],
)
def test_each_category_finds_exactly_its_statements(category: str, needles: list[str]) -> None:
    a = analysis(CATEGORIES)
    assert lines(a, category) == [line_of(CATEGORIES, n) for n in needles]


def test_temporariness_follows_var_parameters_along_the_path() -> None:
    text = """
codeunit 50100 Task
{
    trigger OnRun()
    var
        T: Record Log temporary;
    begin
        Add(T);
        Indirect();
    end;

    local procedure Indirect()
    var
        L: Record Log;
    begin
        Add(L);
    end;

    local procedure Add(var Buf: Record Log)
    begin
        Buf.Insert();
    end;

    local procedure ByValue(Buf: Record Log)
    begin
        Buf.Insert();
    end;
}
"""
    a = analysis(text)
    [write] = a.of("write")
    assert write.location.span.line == line_of(text, "Buf.Insert();")
    assert write.temp == "persistent"
    labels = [step.label for step in write.call_path]
    assert labels[0] == 'enqueues codeunit 50100 Task'
    assert labels[1].startswith("calls ") and labels[1].endswith(".Indirect")
    assert labels[2].endswith(".Add")
    assert labels[-1] == 'Insert on record "Log"'
    assert write.root.site.path == "app.al"


def test_only_temporary_callers_make_the_write_silent() -> None:
    text = """
codeunit 50100 Task
{
    trigger OnRun()
    var
        T: Record Log temporary;
        Item: Record Item temporary;
    begin
        Add(T);
        Item.Bump();
    end;

    local procedure Add(var Buf: Record Log)
    begin
        Buf.Insert();
    end;
}
"""
    tables_ext = """
tableextension 50100 ItemExt extends Item
{
    procedure Bump()
    begin
        Rec.Modify();
    end;
}
"""
    a = analysis(text + tables_ext)
    assert a.of("write") == []


def test_record_triggers_run_for_temporary_records_too() -> None:
    text = """
codeunit 50100 Task
{
    trigger OnRun()
    var
        T: Record Item temporary;
    begin
        T.Modify(true);
        T.Modify(false);
    end;
}
"""
    a = analysis(text)
    [ui] = a.of("ui")
    assert ui.location.span.line == TABLES[: TABLES.index("Message('modified')")].count("\n") + 1
    assert ui.call_path[1].label == "Modify(true) runs table 50100 Item.OnModify"
    assert a.of("write") == []


GUARDS = """
codeunit 50100 Task
{
    var
        Gui: Boolean;

    trigger OnRun()
    var
        Params: Dictionary of [Text, Text];
        Ok: Boolean;
    begin
        Gui := GuiAllowed();
        if GuiAllowed then
            Message('a');
        if System.GuiAllowed() and (Params.Count() = 0) then
            Message('b');
        if Gui then
            Message('c');
        if GuiAllowed() = true then
            ShowIt();
        if not GuiAllowed() then
            Message('unguarded 1')
        else
            Message('d');
        Ok := TryParams(Params);
        if not Ok then begin
            Write();
            exit;
        end;
        if TryParams(Params) then
            Message('unguarded 2')
        else
            Write();
        Later();
    end;

    local procedure Later()
    begin
        if GuiAllowed() <> true then
            exit;
        Message('e');
    end;

    local procedure ShowIt()
    begin
        Message('f');
    end;

    local procedure Write()
    var
        L: Record Log;
    begin
        L.Insert();
        Commit();
    end;

    [TryFunction]
    local procedure TryParams(var Params: Dictionary of [Text, Text])
    begin
        Params := Page.GetBackgroundParameters();
    end;
}
"""


def test_gui_and_not_in_background_guards() -> None:
    a = analysis(GUARDS)
    assert lines(a, "ui") == [line_of(GUARDS, "Message('unguarded 1')"), line_of(GUARDS, "Message('unguarded 2')")]
    assert a.of("write") == [] and a.of("commit") == []
    reached = a.reachable["codeunit/50100/OnRun"]
    assert "codeunit/50100/procedure/Write" not in reached
    assert "codeunit/50100/procedure/ShowIt" not in reached
    assert "codeunit/50100/procedure/Later" in reached


def test_a_variable_that_is_also_assigned_something_else_is_no_guard() -> None:
    text = """
codeunit 50100 Task
{
    trigger OnRun()
    var
        Gui: Boolean;
    begin
        Gui := GuiAllowed();
        Gui := true;
        if Gui then
            Message('x');
    end;
}
"""
    assert lines(analysis(text), "ui") == [line_of(text, "Message('x')")]


def test_a_try_function_that_does_not_read_the_parameters_is_no_guard() -> None:
    text = """
codeunit 50100 Task
{
    trigger OnRun()
    var
        L: Record Log;
    begin
        if not TryNothing() then
            L.Insert();
    end;

    [TryFunction]
    local procedure TryNothing()
    begin
    end;
}
"""
    assert lines(analysis(text), "write") == [line_of(text, "L.Insert();")]


def test_is_temporary_checks_make_writes_silent() -> None:
    text = """
codeunit 50100 Task
{
    trigger OnRun()
    var
        L: Record Log;
    begin
        Add(L);
    end;

    local procedure Add(var Buf: Record Log)
    begin
        if Buf.IsTemporary() then
            Buf.Insert();
        if not Buf.IsTemporary then
            Error('temporary only');
        Buf.Modify();
        Buf.Delete();
    end;
}
"""
    assert analysis(text).of("write") == []


OPAQUE = """
codeunit 50100 Task
{
    trigger OnRun()
    var
        Ext: Codeunit "Not In Sources";
    begin
        Ext.DoIt();
        Ext.DoIt();
        Helper();
        if GuiAllowed() then
            Ext.Show();
    end;

    local procedure Helper()
    var
        Ext: Codeunit "Not In Sources";
    begin
        Ext.DoIt();
        Ext.Other();
    end;
}

codeunit 50101 Task2
{
    trigger OnRun()
    var
        Ext: Codeunit "Not In Sources";
    begin
        Ext.DoIt();
    end;
}
"""

TWO_TASKS = PAGE.replace(
    "CurrPage.EnqueueBackgroundTask(TaskId, Codeunit::Task);",
    "CurrPage.EnqueueBackgroundTask(TaskId, Codeunit::Task);\n"
    "        CurrPage.EnqueueBackgroundTask(OtherTaskId, Codeunit::Task2);",
)


def test_one_opaque_finding_per_root_and_callee_at_the_first_call() -> None:
    a = analysis(OPAQUE, TWO_TASKS)
    found = sorted((c.root.codeunit.name, c.key.rsplit("/", 1)[-1], c.location.span.line) for c in a.opaque_calls)
    full = TABLES + TWO_TASKS + OPAQUE

    def at(needle: str, start: int = 0) -> int:
        return full[: full.index(needle, start)].count("\n") + 1

    assert found == [
        ("Task", "DoIt", at("Ext.DoIt();")),
        ("Task", "Other", at("Ext.Other();")),
        ("Task2", "DoIt", at("Ext.DoIt();", full.index("codeunit 50101 Task2"))),
    ]


def _rule_findings(rule_id: str, p: AnalyzedProject) -> list:
    rule = rule_by_id(rule_id)
    assert rule is not None
    return list(rule().check(RuleContext(p, (), ())))


@pytest.mark.parametrize(
    ("rule_id", "starts"),
    [
        ("PBT0001", ["Insert on non-temporary record \"Log\"", "IsolatedStorage.Set writes to the database"]),
        ("PBT0002", ["Commit in background code"]),
        ("PBT0003", ["LockTable on non-temporary record \"Log\"", "ReadIsolation := UpdLock on non-temporary",
                     "FindSet(true) on non-temporary"]),
        ("PBT0004", ["Window.Open needs a user interface", "Confirm needs a user interface"]),
    ],
)
def test_rules_report_each_statement_with_path_and_related(rule_id: str, starts: list[str]) -> None:
    findings = _rule_findings(rule_id, project(CATEGORIES))
    assert [f.message[: len(s)] for f, s in zip(findings, starts, strict=True)] == starts
    for f in findings:
        assert f.message.endswith('in background code of task codeunit "Task"')
        assert [r.label for r in f.related] == ["enqueue site", "task codeunit"]
        assert f.call_path[0].label.startswith("enqueues ")
        assert f.call_path[-1].span == f.location.span


def test_opaque_rule_names_the_callee() -> None:
    [f, *_] = _rule_findings("PBT0040", project(OPAQUE))
    assert "Not In Sources" in f.message and "DoIt" in f.message
    assert f.severity.value == "note"
    assert f.call_path[-1].label.endswith("(opaque)")


MANUAL = """
codeunit 50100 Task
{
    trigger OnRun()
    begin
        OnCheck();
    end;

    [IntegrationEvent(false, false)]
    local procedure OnCheck()
    begin
    end;
}

codeunit 50101 "Manual Handler"
{
    EventSubscriberInstance = Manual;

    [EventSubscriber(ObjectType::Codeunit, Codeunit::Task, 'OnCheck', '', false, false)]
    local procedure HandleCheck()
    begin
        Message('manual');
    end;
}

codeunit 50102 "Static Handler"
{
    [EventSubscriber(ObjectType::Codeunit, Codeunit::Task, 'OnCheck', '', false, false)]
    local procedure HandleCheck()
    begin
        Message('static');
    end;
}
"""


def test_manual_subscribers_run_only_when_the_background_code_binds_subscriptions() -> None:
    assert lines(analysis(MANUAL), "ui") == [line_of(MANUAL, "Message('static')")]
    bound = MANUAL.replace("        OnCheck();\n", "        BindSubscription(Handler);\n        OnCheck();\n", 1).replace(
        "    trigger OnRun()\n    begin", "    trigger OnRun()\n    var\n        Handler: Codeunit \"Manual Handler\";\n    begin", 1)
    assert lines(analysis(bound), "ui") == [line_of(bound, "Message('manual')"), line_of(bound, "Message('static')")]


def test_a_binding_that_cannot_run_in_the_task_binds_nothing() -> None:
    """``BindSubscription`` under a GUI guard, or in a branch that a literal argument rules out, never
    runs in the background session: the manual subscribers stay out of the task's background code."""
    declare = ("    trigger OnRun()\n    begin", "    trigger OnRun()\n    var\n        Handler: Codeunit \"Manual Handler\";\n    begin")
    guarded = MANUAL.replace("        OnCheck();\n", "        if GuiAllowed() then\n            BindSubscription(Handler);\n"
                             "        OnCheck();\n", 1).replace(*declare, 1)
    assert lines(analysis(guarded), "ui") == [line_of(guarded, "Message('static')")]
    helper = ("    local procedure Bind(WithHandlers: Boolean)\n    var\n        Handler: Codeunit \"Manual Handler\";\n"
              "    begin\n        if WithHandlers then\n            BindSubscription(Handler);\n    end;\n\n"
              "    [IntegrationEvent(false, false)]")
    ruled_out = MANUAL.replace("        OnCheck();\n", "        Bind(false);\n        OnCheck();\n", 1).replace(
        "    [IntegrationEvent(false, false)]", helper, 1)
    assert lines(analysis(ruled_out), "ui") == [line_of(ruled_out, "Message('static')")]
    bound = ruled_out.replace("Bind(false);", "Bind(true);", 1)
    assert lines(analysis(bound), "ui") == [line_of(bound, "Message('manual')"), line_of(bound, "Message('static')")]


def test_a_boolean_that_implies_gui_allowed_is_a_guard_but_a_parameter_is_not() -> None:
    text = """
codeunit 50100 Task
{
    trigger OnRun()
    var
        WithDialog: Boolean;
    begin
        WithDialog := GuiAllowed() and (CompanyName() <> '');
        if WithDialog then
            Message('guarded');
        Show(GuiAllowed());
    end;

    local procedure Show(WithDialog: Boolean)
    begin
        if WithDialog then
            Message('parameter');
    end;
}
"""
    assert lines(analysis(text), "ui") == [line_of(text, "Message('parameter')")]


def test_temporariness_tests_prune_subscribers_of_temporary_record_events() -> None:
    text = """
codeunit 50100 Task
{
    trigger OnRun()
    var
        TempItem: Record Item temporary;
        Item: Record Item;
    begin
        TempItem.Insert();
        TempItem.Delete();
        Item.Get('X');
        Item.Delete();
    end;
}

codeunit 50101 Subscribers
{
    [EventSubscriber(ObjectType::Table, Database::Item, 'OnAfterInsertEvent', '', false, false)]
    local procedure OnAfterInsertItem(var Rec: Record Item; RunTrigger: Boolean)
    begin
        if Rec.IsTemporary() then
            exit;
        LogIt('insert');
    end;

    [EventSubscriber(ObjectType::Table, Database::Item, 'OnAfterDeleteEvent', '', false, false)]
    local procedure OnAfterDeleteItem(var Rec: Record Item; RunTrigger: Boolean)
    begin
        if not IsRealItem(Rec) or (CompanyName() = '') then
            exit;
        LogIt('delete');
    end;

    local procedure IsRealItem(var Item: Record Item): Boolean
    begin
        if (Item."No." = '') or Item.IsTemporary then
            exit(false);
        exit(Item."No." <> '');
    end;

    local procedure LogIt(Note: Text[100])
    var
        Log: Record Log;
    begin
        Log.Note := Note;
        Log.Insert();
    end;
}
"""
    a = analysis(text)
    writes = a.of("write")
    assert [w.location.span.line for w in writes] == [line_of(text, "        Item.Delete();"), line_of(text, "Log.Insert();")]
    # The log write is reached only through the real Item's delete, not through the temporary insert or delete.
    assert any("Item.Delete" in s.label or "Delete raises" in s.label for s in writes[1].call_path)
    assert "OnAfterInsertItem" not in " ".join(s.label for s in writes[1].call_path)
    assert "codeunit/50101/procedure/LogIt" in a.reachable["codeunit/50100/OnRun"]


MORE_GUARDS = """
codeunit 50100 Task
{
    trigger OnRun()
    var
        L: Record Log;
    begin
        if (CurrentClientType = ClientType::ChildSession) or (CompanyName() = '') then
            L.Modify()
        else
            L.Insert();
        if Session.CurrentClientType() <> ClientType::ChildSession then
            L.Delete();
        if IsGui() then
            Message('wrapped');
        L.SetRange("Message", 'x');
        Update(L, true);
    end;

    local procedure Update(var L: Record Log; InSeparateSession: Boolean)
    begin
        if InSeparateSession then
            Message('separate')
        else
            L.Rename(1);
        if not InSeparateSession then
            Commit();
    end;

    local procedure IsGui() Result: Boolean
    var
        Handled: Boolean;
    begin
        OnBeforeIsGui(Result, Handled);
        if Handled then
            exit;
        exit(GuiAllowed());
    end;

    [IntegrationEvent(false, false)]
    local procedure OnBeforeIsGui(var Result: Boolean; var Handled: Boolean)
    begin
    end;
}
"""


def test_child_session_tests_gui_wrappers_quoted_fields_and_literal_flags() -> None:
    text = MORE_GUARDS
    a = analysis(text)
    # Not a page background task when the client type is not ChildSession.
    assert lines(a, "write") == [line_of(text, "L.Modify()")]
    # IsGui() returns GuiAllowed(); "Message" in SetRange is a field; Update is called with true.
    assert lines(a, "ui") == [line_of(text, "Message('separate')")]
    assert a.of("commit") == []


def test_a_record_ref_filled_from_a_variant_parameter_is_as_temporary_as_the_argument() -> None:
    text = """
codeunit 50100 Task
{
    trigger OnRun()
    var
        TempItem: Record Item temporary;
    begin
        TempItem.Insert();
    end;
}

codeunit 50101 Subscribers
{
    [EventSubscriber(ObjectType::Table, Database::Item, 'OnAfterInsertEvent', '', false, false)]
    local procedure OnAfterInsertItem(var Rec: Record Item; RunTrigger: Boolean)
    begin
        Forget(Rec);
    end;

    local procedure Forget(RecVariant: Variant)
    var
        RecRef: RecordRef;
    begin
        RecRef.GetTable(RecVariant);
        ForgetRef(RecRef);
    end;

    local procedure ForgetRef(RecRef: RecordRef)
    var
        L: Record Log;
    begin
        if RecRef.IsTemporary() then
            exit;
        L.DeleteAll();
    end;
}
"""
    a = analysis(text)
    assert a.of("write") == []
    assert "codeunit/50101/procedure/ForgetRef" in a.reachable["codeunit/50100/OnRun"]


def test_interface_calls_follow_only_the_implementations_assigned() -> None:
    text = """
interface IStock
{
    procedure Calc(): Decimal;
}

enum 50100 StockSource implements IStock
{
    DefaultImplementation = IStock = "Quiet Stock";
    value(0; Quiet) { }
    value(1; Loud) { Implementation = IStock = "Loud Stock"; }
}

codeunit 50101 "Quiet Stock" implements IStock
{
    procedure Calc(): Decimal
    begin
        exit(1);
    end;
}

codeunit 50102 "Loud Stock" implements IStock
{
    procedure Calc(): Decimal
    begin
        Message('loud');
        exit(2);
    end;
}

codeunit 50100 Task
{
    trigger OnRun()
    var
        Stock: Interface IStock;
        Any: Interface IStock;
        Source: Enum StockSource;
    begin
        Stock := Enum::StockSource::Quiet;
        Stock.Calc();
        Any := Source;
        if CompanyName() = '' then
            Any.Calc();
    end;
}
"""
    a = analysis(text)
    [ui] = a.of("ui")
    # Reached only through the variable that may hold any implementation.
    assert ui.call_path[1].span.line == line_of(text, "Any.Calc();")
    quiet_only = text.replace("            Any.Calc();\n", "            Stock.Calc();\n")
    assert analysis(quiet_only).of("ui") == []


def test_a_long_else_if_chain_is_worked_out_once_per_condition(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each branch of an else-if chain holds the negations of every condition before it; what a fact says
    is worked out once per condition (the chain's n * n / 2 facts made 2,000 branches take 12 s), and
    the guard at its head still covers every branch."""
    from pbtlint.background_guards import Guards

    calls: list[object] = []
    says = Guards._says

    def counted(self: Guards, *args: object) -> object:
        calls.append(args[0])
        return says(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Guards, "_says", counted)
    branches = 300
    chain = "\n".join(f"        else if X = {i} then\n            Message('branch {i}')" for i in range(branches))
    text = f"""
codeunit 50100 Task
{{
    trigger OnRun()
    var
        L: Record Log;
        X: Integer;
    begin
        if not GuiAllowed() then
            L.Insert()
{chain};
    end;
}}
"""
    a = analysis(text)
    assert lines(a, "write") == [line_of(text, "L.Insert()")]
    assert a.of("ui") == []  # every branch after the first is guarded by GuiAllowed() being true
    assert 0 < len(calls) <= 2 * branches + 4
