"""A completion trigger uses `Results` without first checking which task completed.

## What it does
Looks at every `OnPageBackgroundTaskCompleted(TaskId; Results)` trigger of a page or page extension
(parameters matched by position) and reports the first statement that reads `Results`, or passes it
on, at a point where no comparison of `TaskId` with a stored task id is known to hold. Accepted
checks: `if TaskId <> MyTaskId then exit;`, `if TaskId = MyTaskId then ...`,
`case TaskId of MyTaskId: ...`, and `MyTaskIds.ContainsKey(TaskId)` / `MyTaskIds.Get(TaskId, V)` on a
page-global dictionary that the enqueue code fills with task ids (or `Contains(TaskId)` on such a
list), where `MyTaskId` / `MyTaskIds` is a page global that an enqueue site of the page (or of one of
its extensions) stores a task id in; also a call of a procedure of the page that makes such a
comparison on the `TaskId` passed to it (`if not IsMyTask(TaskId) then exit;`). A call that passes
`TaskId` together with `Results` hands the check over to the callee and is accepted, and so is a read
that cannot fail (`Results.Count()`, `ContainsKey`) inside the condition that is itself the check.
Comparing `TaskId` only with variables that no enqueue site fills does not count.

## Why is this bad?
The completion trigger runs for every background task of the page, its extensions included. Results
of another task, or of a task started for a record the user has since left, end up in the wrong
fields, and lookups of keys that the other task never set fail at run time.

## Example
```al
page 50100 "Item Stock Card"
{
    PageType = Card;
    SourceTable = Item;

    var
        StockTaskId: Integer;
        StockText: Text;

    trigger OnAfterGetCurrRecord()
    var
        Params: Dictionary of [Text, Text];
    begin
        Params.Add('ItemNo', Rec."No.");
        CurrPage.EnqueueBackgroundTask(StockTaskId, Codeunit::"Item Stock Task", Params);
    end;

    trigger OnPageBackgroundTaskCompleted(TaskId: Integer; Results: Dictionary of [Text, Text])
    begin
        if Results.ContainsKey('Stock') then
            StockText := Results.Get('Stock');
    end;
}

codeunit 50100 "Item Stock Task"
{
    trigger OnRun()
    var
        Results: Dictionary of [Text, Text];
    begin
        Results.Add('Stock', '42');
        Page.SetBackgroundTaskResult(Results);
    end;
}
```

## Use instead
```al
page 50100 "Item Stock Card"
{
    PageType = Card;
    SourceTable = Item;

    var
        StockTaskId: Integer;
        StockText: Text;

    trigger OnAfterGetCurrRecord()
    var
        Params: Dictionary of [Text, Text];
    begin
        Params.Add('ItemNo', Rec."No.");
        CurrPage.EnqueueBackgroundTask(StockTaskId, Codeunit::"Item Stock Task", Params);
    end;

    trigger OnPageBackgroundTaskCompleted(TaskId: Integer; Results: Dictionary of [Text, Text])
    begin
        if TaskId <> StockTaskId then
            exit;
        if Results.ContainsKey('Stock') then
            StockText := Results.Get('Stock');
    end;
}

codeunit 50100 "Item Stock Task"
{
    trigger OnRun()
    var
        Results: Dictionary of [Text, Text];
    begin
        Results.Add('Stock', '42');
        Page.SetBackgroundTaskResult(Results);
    end;
}
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pbtlint.findings import Finding, Location, Severity
from pbtlint.rule import Rule, RuleMeta
from pbtlint.scope import Scope
from pbtlint.task_ids import (
    TaskIdCheck,
    page_task_ids,
    part_of_check,
    statement_span,
    stored_in_locations,
    unchecked_reason,
    uses,
)


class CompletionTaskIdUnchecked(Rule):
    meta = RuleMeta(
        "PBT0010",
        "completion-task-id-unchecked",
        Severity.WARNING,
        "A completion trigger reads Results without checking TaskId against a stored task id.",
        tags=("page-background-task", "correctness"),
    )

    def check(self, context: Any) -> Iterator[Finding]:
        project = context.project
        for trigger in project.enqueue.completion_triggers:
            proc = trigger.proc
            if trigger.task_id is None or trigger.results is None or proc.node.body is None:
                continue
            ids = page_task_ids(project, trigger.page)
            guard = TaskIdCheck(project, ids)
            scope = Scope(project.model, proc)
            for use in uses(scope, proc.node.body, [trigger.results], trigger.task_id, project.resolution):
                if guard.checked(scope, trigger.task_id, use.site.facts) or part_of_check(
                        guard, scope, trigger.task_id, use):
                    continue
                results = trigger.results.name
                reason = unchecked_reason(scope, proc.node.body, trigger.task_id, ids)
                yield self.finding(
                    f'Completion trigger of {trigger.page.display} uses "{results}" {reason}',
                    Location(proc.path, statement_span(use.statement), f'uses "{results}"'),
                    related=stored_in_locations(ids),
                )
                break
