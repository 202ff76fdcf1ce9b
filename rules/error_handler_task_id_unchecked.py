"""An error trigger handles a task error without first checking which task failed.

## What it does
Looks at every `OnPageBackgroundTaskError(TaskId; ErrorCode; ErrorText; ErrorCallStack; var IsHandled)`
trigger of a page or page extension (parameters matched by position). It reports the first statement
that sets `IsHandled` (assigns it, or passes it to a call) at a point where no comparison of `TaskId`
with a stored task id is known to hold; if there is none, the first such statement that acts on the
error: reads `ErrorCode`, `ErrorText` or `ErrorCallStack`, or passes them on (logging them with
`Session.LogMessage` does not count). The accepted
comparisons are those of PBT0010 (`if TaskId <> MyTaskId then exit;`, `if TaskId = MyTaskId then`,
`case TaskId of MyTaskId:`, `MyTaskIds.ContainsKey(TaskId)`, `MyTaskIds.Get(TaskId, V)`), with a
page global that an enqueue site stores a task id in. A call that passes `TaskId` along hands the
check over to the callee.

## Why is this bad?
The error trigger runs for the failures of every background task of the page and of its extensions.
Setting `IsHandled` for a task that is not yours hides another task's error from its owner (and from
the user); showing the error text in your own field blames the wrong calculation.

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
    begin
        CurrPage.EnqueueBackgroundTask(StockTaskId, Codeunit::"Item Stock Task");
    end;

    trigger OnPageBackgroundTaskError(TaskId: Integer; ErrorCode: Text; ErrorText: Text;
        ErrorCallStack: Text; var IsHandled: Boolean)
    begin
        StockText := ErrorText;
        IsHandled := true;
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
    begin
        CurrPage.EnqueueBackgroundTask(StockTaskId, Codeunit::"Item Stock Task");
    end;

    trigger OnPageBackgroundTaskError(TaskId: Integer; ErrorCode: Text; ErrorText: Text;
        ErrorCallStack: Text; var IsHandled: Boolean)
    begin
        if TaskId <> StockTaskId then
            exit;
        StockText := ErrorText;
        IsHandled := true;
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

from pbtlint.call_sites import CallSite
from pbtlint.findings import Finding, Location, Severity
from pbtlint.rule import Rule, RuleMeta
from pbtlint.scope import Scope
from pbtlint.task_ids import (
    TaskIdCheck,
    Use,
    page_task_ids,
    statement_span,
    stored_in_locations,
    unchecked_reason,
    uses,
)

# Logging every task error to telemetry is not acting on it.
_TELEMETRY = frozenset({"static:session.logmessage", "global.logmessage"})


def _telemetry(call: CallSite) -> bool:
    return call.builtin in _TELEMETRY


class ErrorHandlerTaskIdUnchecked(Rule):
    meta = RuleMeta(
        "PBT0011",
        "error-handler-task-id-unchecked",
        Severity.WARNING,
        "An error trigger sets IsHandled or acts on the error without checking TaskId against a stored task id.",
        tags=("page-background-task", "correctness"),
    )

    def check(self, context: Any) -> Iterator[Finding]:
        project = context.project
        for trigger in project.enqueue.error_triggers:
            proc = trigger.proc
            if trigger.task_id is None or proc.node.body is None:
                continue
            error_params = [v for v in (trigger.error_code, trigger.error_text, trigger.error_call_stack) if v]
            watched = [*error_params, *([trigger.is_handled] if trigger.is_handled else [])]
            if not watched:
                continue
            ids = page_task_ids(project, trigger.page)
            guard = TaskIdCheck(project, ids)
            scope = Scope(project.model, proc)
            first_handled: Use | None = None
            first_acting: Use | None = None
            for use in uses(scope, proc.node.body, watched, trigger.task_id, project.resolution, _telemetry):
                if guard.checked(scope, trigger.task_id, use.site.facts):
                    continue
                if use.var is trigger.is_handled:
                    if use.sets:
                        first_handled = use
                        break
                elif first_acting is None:
                    first_acting = use
            chosen = first_handled or first_acting
            if chosen is None:
                continue
            what = f'sets "{chosen.var.name}"' if chosen is first_handled else f'uses "{chosen.var.name}"'
            reason = unchecked_reason(scope, proc.node.body, trigger.task_id, ids)
            yield self.finding(
                f"Error trigger of {trigger.page.display} {what} {reason}",
                Location(proc.path, statement_span(chosen.statement), what),
                related=stored_in_locations(ids),
            )
