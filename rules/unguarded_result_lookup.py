"""A completion trigger reads a task result with `Get(Key)` without checking that the key is there.

## What it does
Finds `Get(Key)` calls on the `Results` dictionary of `OnPageBackgroundTaskCompleted` (matched by
position, and followed into the procedures it is passed to) that nothing protects: no true
`ContainsKey(Key)` (or `Get(Key, Value)`) on the same dictionary and key before them (also held in
a Boolean local that is assigned once and never passed to a call), no loop over its `Keys`, no
`[TryFunction]` around them (the procedure itself, or every caller of it). A
`Get(Key, Value)` whose result is ignored (a statement of its own) is reported too, and so is
`Evaluate(X, Results.Get(Key))`: `Get` fails before `Evaluate` can return false.

## Why is this bad?
A task codeunit adds a result key only on some paths (an item that was not found, a value that is
zero), and the results of every task of the page arrive in the same trigger. `Get(Key)` raises an
error for a missing key, in the user's session, on a page that was only meant to show a figure.

## Example
```al
page 50100 "Item Stock Card"
{
    SourceTable = Item;

    var
        StockTaskId: Integer;
        StockText: Text;

    trigger OnAfterGetCurrRecord()
    begin
        CurrPage.EnqueueBackgroundTask(StockTaskId, Codeunit::"Item Stock Task");
    end;

    trigger OnPageBackgroundTaskCompleted(TaskId: Integer; Results: Dictionary of [Text, Text])
    begin
        if TaskId <> StockTaskId then
            exit;
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
    SourceTable = Item;

    var
        StockTaskId: Integer;
        StockText: Text;

    trigger OnAfterGetCurrRecord()
    begin
        CurrPage.EnqueueBackgroundTask(StockTaskId, Codeunit::"Item Stock Task");
    end;

    trigger OnPageBackgroundTaskCompleted(TaskId: Integer; Results: Dictionary of [Text, Text])
    begin
        if TaskId <> StockTaskId then
            exit;
        if not Results.Get('Stock', StockText) then
            StockText := '';
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

from pbtlint.dictionaries import describe_get, lookups, passing_path, track_results
from pbtlint.findings import Finding, Location, Severity
from pbtlint.rule import Rule, RuleMeta


class UnguardedResultLookup(Rule):
    meta = RuleMeta(
        "PBT0021",
        "unguarded-result-lookup",
        Severity.WARNING,
        "A background task result is read with Get(Key) without a ContainsKey guard.",
        tags=("page-background-task", "correctness"),
    )

    def check(self, context: Any) -> Iterator[Finding]:
        project = context.project
        seen: set[tuple[str, int, int]] = set()
        for trigger in project.enqueue.completion_triggers:
            if trigger.results is None:
                continue
            tracking = track_results(project, trigger)
            start = Location(trigger.proc.path, trigger.proc.node.name_span,
                             f"completion trigger of {trigger.page.kind} \"{trigger.page.name}\"")
            for lookup in lookups(tracking):
                mark = (lookup.path, lookup.call.span.line, lookup.call.span.column)
                if not lookup.unguarded or mark in seen:
                    continue
                seen.add(mark)
                if len(lookup.call.args) > 1:
                    problem = "ignores its result, so a missing key is a runtime error"
                else:
                    problem = "is not guarded by ContainsKey, so a missing key is a runtime error"
                message = f"{describe_get(lookup)} on the background task results {problem}"
                yield self.finding(message, lookup.location, (start,), passing_path(tracking, lookup, start))
