"""A task codeunit reads a background parameter with `Get(Key)` without checking that the key is there.

## What it does
Finds `Get(Key)` calls on the dictionary returned by `Page.GetBackgroundParameters()` (called
chained, assigned to a variable, or passed on to a procedure) that nothing protects: no true
`ContainsKey(Key)` (or `Get(Key, Value)`) on the same dictionary and key before them (also held in
a Boolean local that is assigned once and never passed to a call: `Found := P.ContainsKey(Key); if
Found then`), no loop over its `Keys`, no `[TryFunction]` around them (the procedure itself, or every
caller of it). A `Get(Key, Value)` whose result is ignored (a statement of its own) is reported too.
Wrapping the lookup in `Evaluate(X, Parameters.Get(Key))` does not help: `Get` fails before `Evaluate` can return false.

## Why is this bad?
`Get(Key)` raises an error when the key is missing. In a page background task the error ends the
task and reaches the page's `OnPageBackgroundTaskError` trigger (or the user) instead of the
intended fallback. Enqueue sites change over time, and a parameter that one caller forgets to pass
turns into a failed task.

## Example
```al
page 50100 "Item Stock Card"
{
    SourceTable = Item;

    var
        StockTaskId: Integer;

    trigger OnAfterGetCurrRecord()
    var
        Parameters: Dictionary of [Text, Text];
    begin
        Parameters.Add('ItemNo', Rec."No.");
        CurrPage.EnqueueBackgroundTask(StockTaskId, Codeunit::"Item Stock Task", Parameters);
    end;
}

codeunit 50100 "Item Stock Task"
{
    trigger OnRun()
    var
        Results: Dictionary of [Text, Text];
        ItemNo: Text;
    begin
        ItemNo := Page.GetBackgroundParameters().Get('ItemNo');
        Results.Add('Stock', ItemNo);
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

    trigger OnAfterGetCurrRecord()
    var
        Parameters: Dictionary of [Text, Text];
    begin
        Parameters.Add('ItemNo', Rec."No.");
        CurrPage.EnqueueBackgroundTask(StockTaskId, Codeunit::"Item Stock Task", Parameters);
    end;
}

codeunit 50100 "Item Stock Task"
{
    trigger OnRun()
    var
        Parameters: Dictionary of [Text, Text];
        Results: Dictionary of [Text, Text];
        ItemNo: Text;
    begin
        Parameters := Page.GetBackgroundParameters();
        if not Parameters.Get('ItemNo', ItemNo) then
            exit;
        Results.Add('Stock', ItemNo);
        Page.SetBackgroundTaskResult(Results);
    end;
}
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pbtlint.dictionaries import (
    Background,
    describe_get,
    lookups,
    track_parameters,
)
from pbtlint.findings import Finding, Location, Severity
from pbtlint.rule import Rule, RuleMeta


class UnguardedParameterLookup(Rule):
    meta = RuleMeta(
        "PBT0020",
        "unguarded-parameter-lookup",
        Severity.WARNING,
        "A background parameter is read with Get(Key) without a ContainsKey guard.",
        tags=("page-background-task", "correctness"),
    )

    def check(self, context: Any) -> Iterator[Finding]:
        project = context.project
        background = Background(project)
        for lookup in lookups(track_parameters(project)):
            if not lookup.unguarded:
                continue
            owner = lookup.proc.owner
            if len(lookup.call.args) > 1:
                problem = "ignores its result, so a missing key is a runtime error"
            else:
                problem = "is not guarded by ContainsKey, so a missing key fails the task"
            where_text = f'{owner.kind} "{owner.name}"'
            message = f"{describe_get(lookup)} on the background parameters in {where_text} {problem}"
            where = Location(lookup.path, lookup.call.span, "reads the parameter")
            sites = background.sites_reaching(lookup.proc.key)
            related: tuple[Location, ...] = ()
            call_path: tuple[Location, ...] = ()
            if sites:
                site = sites[0]
                related = background.related(site, lookup.proc.key)
                call_path = background.call_path(site, lookup.proc.key, where)
            yield self.finding(message, Location(lookup.path, lookup.call.span), related, call_path)
