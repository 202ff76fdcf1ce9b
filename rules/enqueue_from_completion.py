"""A background task is enqueued from a completion or error trigger.

## What it does
Reports each `CurrPage.EnqueueBackgroundTask` call that is reached, directly or through procedures
of the page and its extensions, from an `OnPageBackgroundTaskCompleted` or
`OnPageBackgroundTaskError` trigger. The call path from the trigger is attached.

## Why is this bad?
Microsoft's documentation advises against enqueuing a background task from the completion or error
trigger because it can lead to an endless loop: each completion (or each failure) starts the next
task, which completes (or fails) again, for as long as the page is open, while the page can run at
most five tasks at once and queues at most a hundred.

## Example
```al
page 50100 "Item Stock Card"
{
    PageType = Card;
    SourceTable = Item;

    var
        StockTaskId: Integer;

    trigger OnAfterGetCurrRecord()
    begin
        CurrPage.EnqueueBackgroundTask(StockTaskId, Codeunit::"Item Stock Task");
    end;

    trigger OnPageBackgroundTaskError(TaskId: Integer; ErrorCode: Text; ErrorText: Text;
        ErrorCallStack: Text; var IsHandled: Boolean)
    begin
        if TaskId <> StockTaskId then
            exit;
        CurrPage.EnqueueBackgroundTask(StockTaskId, Codeunit::"Item Stock Task");
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
        StockText := 'Not available';
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

from pbtlint.findings import Finding, Location, Severity
from pbtlint.model import ProcInfo
from pbtlint.page_reach import PageReach, edge_locations
from pbtlint.rule import Rule, RuleMeta


class EnqueueFromCompletion(Rule):
    meta = RuleMeta(
        "PBT0033",
        "enqueue-from-completion",
        Severity.WARNING,
        "A background task is enqueued from a completion or error trigger (endless-loop risk).",
        tags=("page-background-task", "correctness"),
    )

    def check(self, context: Any) -> Iterator[Finding]:
        project = context.project
        index = project.enqueue
        reach: dict[str, PageReach] = {}
        for site in index.sites:
            page = site.page.base()
            if page.key not in reach:
                reach[page.key] = PageReach(project, page)
            triggers: list[ProcInfo] = [t.proc for t in (*index.completion_for(page), *index.errors_for(page))]
            best: tuple[ProcInfo, list[Location]] | None = None
            for trigger in triggers:
                edges = reach[page.key].path(trigger, site.procedure, site.site.node)
                if edges is None:
                    continue
                path = edge_locations(edges)
                if best is None or len(path) < len(best[1]):
                    best = (trigger, path)
            if best is None:
                continue
            trigger, path = best
            via = f" (via {site.procedure.name})" if trigger is not site.procedure else ""
            yield self.finding(
                f"Background task enqueued from {trigger.name}{via}: re-enqueuing from a completion or error "
                "trigger can lead to an endless loop",
                Location(site.path, site.span, "enqueues"),
                call_path=(Location(trigger.path, trigger.node.name_span, trigger.name), *path,
                           Location(site.path, site.span, "enqueues")),
            )
