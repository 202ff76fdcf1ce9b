"""The task id of an enqueue never reaches a page global.

## What it does
Follows the `var TaskId` argument of each `CurrPage.EnqueueBackgroundTask` call and reports the call
when the id never reaches a global variable of the page. It reaches one when the argument is a page
global; when it is a local that the same procedure then assigns to a page global (directly or through
another local), adds to a page-global dictionary or list, or returns to callers that store it; and
when it is a `var` parameter of a helper whose every caller passes something that reaches a page
global. When the id is handed to code outside the page, or a helper's `var` parameter has no caller
in the sources, the rule stays silent.

## Why is this bad?
The completion and error triggers receive the task id of every task of the page. Without the id of
this task kept in a page global, no trigger can tell its results or errors apart from those of other
tasks, and `CurrPage.CancelBackgroundTask` cannot cancel it.

## Example
```al
page 50100 "Item Stock Card"
{
    PageType = Card;
    SourceTable = Item;

    var
        StockText: Text;

    trigger OnAfterGetCurrRecord()
    var
        NewTaskId: Integer;
    begin
        CurrPage.EnqueueBackgroundTask(NewTaskId, Codeunit::"Item Stock Task");
    end;
}

codeunit 50100 "Item Stock Task"
{
    trigger OnRun()
    begin
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
        NewTaskId: Integer;
    begin
        if CurrPage.EnqueueBackgroundTask(NewTaskId, Codeunit::"Item Stock Task") then
            StockTaskId := NewTaskId;
    end;
}

codeunit 50100 "Item Stock Task"
{
    trigger OnRun()
    begin
    end;
}
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pbtlint.findings import Finding, Location, Severity
from pbtlint.rule import Rule, RuleMeta
from pbtlint.task_ids import site_storage


class TaskIdNotStored(Rule):
    meta = RuleMeta(
        "PBT0012",
        "task-id-not-stored",
        Severity.WARNING,
        "The task id of an enqueue site never reaches a page global, so no trigger can compare against it.",
        tags=("page-background-task", "correctness"),
    )

    def check(self, context: Any) -> Iterator[Finding]:
        project = context.project
        for site in project.enqueue.sites:
            storage = site_storage(project, site)
            if storage.stored or storage.unknown or site.task_id_var is None:
                continue
            var = site.task_id_var
            where = {"local": "local", "parameter": "parameter", "var-parameter": "var parameter"}.get(
                site.task_id_scope, "variable")
            detail = (" (a caller of the helper passes a variable that is not stored either)"
                      if site.task_id_scope == "var-parameter" else "")
            yield self.finding(
                f'Task id {where} "{var.name}" of this enqueue never reaches a page global{detail}; '
                "no completion or error trigger can tell this task apart",
                Location(site.path, site.span, "enqueues"),
            )
