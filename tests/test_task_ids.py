"""Where enqueue sites store their task ids, and which points of a trigger a TaskId check dominates."""

from __future__ import annotations

from pathlib import Path

import pytest

from pbtlint import nodes as n
from pbtlint.analysis import AnalyzedProject, build_project
from pbtlint.enqueue import EnqueueSite
from pbtlint.flow import Fact
from pbtlint.frontend import parse_file
from pbtlint.page_reach import PageReach, page_call_tree
from pbtlint.scope import Scope
from pbtlint.task_ids import (
    TaskIdCheck,
    page_task_ids,
    part_of_check,
    site_storage,
    statement_span,
    stored_names,
    unchecked_reason,
    uses,
)

TASK = """
codeunit 50100 "Task"
{
    trigger OnRun()
    begin
    end;
}
"""


def project(tmp_path: Path, page_members: str, extra: str = "") -> AnalyzedProject:
    source = f"""
page 50100 "Card"
{{
    PageType = Card;
{page_members}
}}
{extra}
{TASK}
"""
    path = tmp_path / "Card.Page.al"
    path.write_text(source, encoding="utf-8")
    parsed = parse_file(path, (), "Card.Page.al")
    assert parsed.unit is not None, parsed.findings
    return build_project([parsed])


def only_site(p: AnalyzedProject) -> EnqueueSite:
    [site] = p.enqueue.sites
    return site


def test_global_task_id_is_stored(tmp_path: Path) -> None:
    p = project(tmp_path, """
    var
        TaskIdA: Integer;

    trigger OnAfterGetCurrRecord()
    begin
        CurrPage.EnqueueBackgroundTask(TaskIdA, Codeunit::"Task");
    end;
""")
    storage = site_storage(p, only_site(p))
    assert storage.stored and not storage.unknown
    assert [(s.var.name, s.kind) for s in storage.stores] == [("TaskIdA", "value")]


@pytest.mark.parametrize(
    ("store", "name", "kind"),
    [
        ("TaskIdA := NewId;", "TaskIdA", "value"),
        ("Running.Add(NewId, 'A');", "Running", "key"),
        ("Running.Set(NewId, 'A');", "Running", "key"),
        ("Pending.Add(NewId);", "Pending", "element"),
        ("ByName.Add('A', NewId);", "ByName", "item"),
        ("Copy := NewId; TaskIdA := Copy;", "TaskIdA", "value"),
    ],
)
def test_local_task_id_reaches_a_global(tmp_path: Path, store: str, name: str, kind: str) -> None:
    p = project(tmp_path, f"""
    var
        TaskIdA: Integer;
        Running: Dictionary of [Integer, Text];
        ByName: Dictionary of [Text, Integer];
        Pending: List of [Integer];

    trigger OnAfterGetCurrRecord()
    var
        NewId: Integer;
        Copy: Integer;
    begin
        CurrPage.EnqueueBackgroundTask(NewId, Codeunit::"Task");
        {store}
    end;
""")
    storage = site_storage(p, only_site(p))
    assert storage.stored
    assert (name, kind) in [(s.var.name, s.kind) for s in storage.stores]


def test_local_copied_to_another_local_only_is_not_stored(tmp_path: Path) -> None:
    p = project(tmp_path, """
    trigger OnAfterGetCurrRecord()
    var
        NewId: Integer;
        Copy: Integer;
    begin
        CurrPage.EnqueueBackgroundTask(NewId, Codeunit::"Task");
        Copy := NewId;
    end;
""")
    storage = site_storage(p, only_site(p))
    assert not storage.stored and not storage.unknown and storage.stores == []


def test_var_parameter_needs_every_caller_to_store(tmp_path: Path) -> None:
    members = """
    var
        TaskIdA: Integer;

    trigger OnAfterGetCurrRecord()
    begin
        Start(TaskIdA);
    end;

    local procedure Start(var Id: Integer)
    begin
        CurrPage.EnqueueBackgroundTask(Id, Codeunit::"Task");
    end;
"""
    p = project(tmp_path, members)
    assert site_storage(p, only_site(p)).stored
    other_caller = members.replace("    local procedure Start", """    trigger OnOpenPage()
    var
        Lost: Integer;
    begin
        Start(Lost);
    end;

    local procedure Start""")
    p = project(tmp_path, other_caller)
    storage = site_storage(p, only_site(p))
    assert not storage.stored and not storage.unknown
    assert [s.var.name for s in storage.stores] == ["TaskIdA"]


def test_var_parameter_without_callers_is_unknown(tmp_path: Path) -> None:
    p = project(tmp_path, """
    procedure Start(var Id: Integer)
    begin
        CurrPage.EnqueueBackgroundTask(Id, Codeunit::"Task");
    end;
""")
    storage = site_storage(p, only_site(p))
    assert storage.unknown and not storage.stored


def test_returned_id_stored_by_the_caller(tmp_path: Path) -> None:
    p = project(tmp_path, """
    var
        TaskIdA: Integer;

    trigger OnAfterGetCurrRecord()
    begin
        TaskIdA := Start();
    end;

    local procedure Start(): Integer
    var
        Id: Integer;
    begin
        CurrPage.EnqueueBackgroundTask(Id, Codeunit::"Task");
        exit(Id);
    end;
""")
    storage = site_storage(p, only_site(p))
    assert storage.stored and [s.var.name for s in storage.stores] == ["TaskIdA"]


def test_id_handed_to_another_object_is_unknown(tmp_path: Path) -> None:
    p = project(tmp_path, """
    trigger OnAfterGetCurrRecord()
    var
        Registry: Codeunit "Registry";
        NewId: Integer;
    begin
        CurrPage.EnqueueBackgroundTask(NewId, Codeunit::"Task");
        Registry.Remember(NewId);
    end;
""", extra="""
codeunit 50101 "Registry"
{
    var
        Ids: List of [Integer];

    procedure Remember(Id: Integer)
    begin
        Ids.Add(Id);
    end;
}
""")
    storage = site_storage(p, only_site(p))
    assert storage.unknown and not storage.stored


def test_dictionary_filled_elsewhere_with_a_stored_global_holds_ids(tmp_path: Path) -> None:
    p = project(tmp_path, """
    var
        TaskIdA: Integer;
        Running: Dictionary of [Integer, Text];
        Names: Dictionary of [Text, Integer];

    trigger OnAfterGetCurrRecord()
    begin
        Start();
        Running.Add(TaskIdA, 'A');
        Names.Add('A', TaskIdA);
    end;

    local procedure Start()
    begin
        CurrPage.EnqueueBackgroundTask(TaskIdA, Codeunit::"Task");
    end;
""")
    page = p.model.objects_of("page")[0]
    ids = page_task_ids(p, page)
    assert ids.holds_ids(page.globals["running"]) and not ids.holds_ids(page.globals["names"])
    assert stored_names(ids) == "Running, TaskIdA"


def test_page_without_enqueue_sites_accepts_any_integer_global(tmp_path: Path) -> None:
    p = project(tmp_path, """
    var
        SomeId: Integer;
""")
    page = p.model.objects_of("page")[0]
    ids = page_task_ids(p, page)
    assert ids.unknown and ids.holds_id(page.globals["someid"])
    assert stored_names(ids) == ""


COMPLETION = """
    var
        TaskIdA: Integer;
        Other: Integer;
        Running: Dictionary of [Integer, Text];
        Result: Text;

    trigger OnAfterGetCurrRecord()
    var
        NewId: Integer;
    begin
        CurrPage.EnqueueBackgroundTask(TaskIdA, Codeunit::"Task");
        CurrPage.EnqueueBackgroundTask(NewId, Codeunit::"Task");
        Running.Add(NewId, 'x');
    end;

    trigger OnPageBackgroundTaskCompleted(TaskId: Integer; Results: Dictionary of [Text, Text])
    begin
        {body}
    end;

    local procedure Mine(Id: Integer): Boolean
    begin
        exit(Id = TaskIdA);
    end;

    local procedure Apply(Id: Integer; R: Dictionary of [Text, Text])
    begin
    end;
"""


def completion_uses(tmp_path: Path, body: str) -> list[tuple[int, bool]]:
    """(line offset in the body, checked) for each use of Results."""
    p = project(tmp_path, COMPLETION.replace("{body}", body))
    [trigger] = p.enqueue.completion_triggers
    ids = page_task_ids(p, trigger.page)
    guard = TaskIdCheck(p, ids)
    scope = Scope(p.model, trigger.proc)
    first = trigger.proc.node.body.span.line + 1  # type: ignore[union-attr]
    out = []
    for use in uses(scope, trigger.proc.node.body, [trigger.results], trigger.task_id, p.resolution):  # type: ignore[list-item]
        checked = guard.checked(scope, trigger.task_id, use.site.facts) or part_of_check(
            guard, scope, trigger.task_id, use)  # type: ignore[arg-type]
        out.append((use.statement.span.line - first, checked))
    return out


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("if TaskId <> TaskIdA then exit; Result := Results.Get('a');", [(0, True)]),
        ("if TaskId = TaskIdA then Result := Results.Get('a');", [(0, True)]),
        ("if TaskIdA = TaskId then Result := Results.Get('a') else Result := Results.Get('b');",
         [(0, True), (0, False)]),
        ("case TaskId of TaskIdA: Result := Results.Get('a'); end;", [(0, True)]),
        ("if TaskId in [Other, TaskIdA] then Result := Results.Get('a');", [(0, True)]),
        ("if not Running.ContainsKey(TaskId) then exit; Result := Results.Get('a');", [(0, True)]),
        ("if Running.Get(TaskId, Result) then Result := Results.Get('a');", [(0, True)]),
        ("if not Mine(TaskId) then exit; Result := Results.Get('a');", [(0, True)]),
        ("if TaskId <> Other then exit; Result := Results.Get('a');", [(0, False)]),
        ("if TaskId = TaskIdA then exit; Result := Results.Get('a');", [(0, False)]),
        ("Result := Results.Get('a');", [(0, False)]),
        ("Apply(TaskId, Results);", []),
        ("Apply(0, Results);", [(0, False)]),
        ("Apply(TaskId, Results.Keys);", [(0, False)]),
        ("Result := StrSubstNo('%1 %2', TaskId, Results.Get('a'));", [(0, False)]),
        ("if (TaskId <> TaskIdA) or (Results.Count() = 0) then exit;", [(0, True)]),
        ("if (TaskId = TaskIdA) and (Results.Get('a') <> '') then exit;", [(0, False)]),
    ],
)
def test_results_uses_and_checks(tmp_path: Path, body: str, expected: list[tuple[int, bool]]) -> None:
    assert completion_uses(tmp_path, body) == expected


def test_accepts_only_facts_in_the_checking_direction(tmp_path: Path) -> None:
    p = project(tmp_path, COMPLETION.replace("{body}", ""))
    [trigger] = p.enqueue.completion_triggers
    guard = TaskIdCheck(p, page_task_ids(p, trigger.page))
    scope = Scope(p.model, trigger.proc)
    span = trigger.proc.span
    task_id = n.Identifier(span, "TaskId")
    stored = n.Identifier(span, "TaskIdA")
    equal = n.Binary(span, "=", task_id, stored)
    differ = n.Binary(span, "<>", stored, task_id)
    assert guard.accepts(scope, trigger.task_id, Fact(equal, True))  # type: ignore[arg-type]
    assert not guard.accepts(scope, trigger.task_id, Fact(equal, False))  # type: ignore[arg-type]
    assert guard.accepts(scope, trigger.task_id, Fact(differ, False))  # type: ignore[arg-type]
    assert not guard.accepts(scope, trigger.task_id, Fact(differ, True))  # type: ignore[arg-type]


def test_statement_span_is_the_head_of_compound_statements(tmp_path: Path) -> None:
    p = project(tmp_path, COMPLETION.replace("{body}", """if TaskId = TaskIdA then
            Result := Results.Get('a');"""))
    [trigger] = p.enqueue.completion_triggers
    [stmt] = trigger.proc.node.body.statements  # type: ignore[union-attr]
    assert isinstance(stmt, n.If)
    span = statement_span(stmt)
    assert (span.line, span.column) == (stmt.span.line, stmt.span.column)
    assert span.end_line == stmt.span.line and span.end_line < stmt.span.end_line


def test_page_call_tree_stays_in_the_page(tmp_path: Path) -> None:
    p = project(tmp_path, """
    trigger OnOpenPage()
    var
        Helper: Codeunit "Helper";
    begin
        Start();
        Helper.Run();
    end;

    local procedure Start()
    begin
    end;
""", extra="""
codeunit 50101 "Helper"
{
    procedure Run()
    begin
    end;
}
""")
    tree = page_call_tree(p, p.model.objects_of("page")[0], ["page/50100/OnOpenPage"])
    assert set(tree) == {"page/50100/OnOpenPage", "page/50100/procedure/Start"}


def test_constant_argument_makes_a_guarded_enqueue_unreachable(tmp_path: Path) -> None:
    p = project(tmp_path, """
    var
        TaskIdA: Integer;

    trigger OnOpenPage()
    begin
        Load(false);
    end;

    trigger OnAfterGetCurrRecord()
    begin
        Load(true);
    end;

    local procedure Load(UseTask: Boolean)
    begin
        if UseTask then
            Start();
    end;

    local procedure Start()
    begin
        CurrPage.EnqueueBackgroundTask(TaskIdA, Codeunit::"Task");
    end;
""")
    site = only_site(p)
    page = p.model.objects_of("page")[0]
    reach = PageReach(p, page)
    procs = p.model.procs
    assert reach.path(procs["page/50100/OnOpenPage"], site.procedure, site.site.node) is None
    edges = reach.path(procs["page/50100/OnAfterGetCurrRecord"], site.procedure, site.site.node)
    assert edges is not None and [e.site.name for e in edges if e.site] == ["Load", "Start"]


def test_reason_names_a_global_hidden_by_the_parameter(tmp_path: Path) -> None:
    p = project(tmp_path, """
    var
        TaskId: Integer;

    trigger OnAfterGetCurrRecord()
    begin
        CurrPage.EnqueueBackgroundTask(TaskId, Codeunit::"Task");
    end;

    trigger OnPageBackgroundTaskCompleted(TaskId: Integer; Results: Dictionary of [Text, Text])
    begin
    end;
""")
    [trigger] = p.enqueue.completion_triggers
    scope = Scope(p.model, trigger.proc)
    reason = unchecked_reason(scope, trigger.proc.node.body, trigger.task_id, page_task_ids(p, trigger.page))
    assert "hides the page global" in reason


def test_reason_names_the_unrelated_comparison(tmp_path: Path) -> None:
    p = project(tmp_path, COMPLETION.replace("{body}", "if TaskId <> Other then exit;"))
    [trigger] = p.enqueue.completion_triggers
    scope = Scope(p.model, trigger.proc)
    reason = unchecked_reason(scope, trigger.proc.node.body, trigger.task_id, page_task_ids(p, trigger.page))
    assert reason.startswith('but compares "TaskId" only with Other') and "Running, TaskIdA" in reason
