"""Background code locks records.

## What it does
Reports, in code that runs as a page background task (the `OnRun` of an enqueued codeunit and
everything it reaches in the call graph), every `LockTable()` on a record or RecordRef that is not
temporary, every `FindSet(true)` (read for update), and every `ReadIsolation := IsolationLevel::UpdLock`
(or `ReadIsolation(IsolationLevel::UpdLock)`). Temporary records (declared `temporary`,
`TableType = Temporary`, `var` parameters that receive a temporary record on the call path) lock
nothing and are not reported. The finding shows the shortest call path from the enqueue site; code
under `if GuiAllowed() then` or on a not-in-background branch is not background code.

## Why is this bad?
A page background task is read-only and meant to be cheap and cancellable. Update locks are
taken for a write that the task cannot do; they make the task wait for, and block, the users
working on the same rows, and the task fails or is cancelled instead of returning its result.

## Example
```al
page 50100 "Item Stock FactBox"
{
    PageType = CardPart;
    SourceTable = Item;

    layout
    {
        area(Content)
        {
            field(Stock; StockText) { Caption = 'Stock'; }
        }
    }

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
        Item: Record Item;
        Params: Dictionary of [Text, Text];
        Results: Dictionary of [Text, Text];
    begin
        Params := Page.GetBackgroundParameters();
        if not Params.ContainsKey('ItemNo') then
            exit;
        Item.LockTable();
        if not Item.Get(Params.Get('ItemNo')) then
            exit;
        Item.CalcFields(Inventory);
        Results.Add('Stock', Format(Item.Inventory));
        Page.SetBackgroundTaskResult(Results);
    end;
}
```

## Use instead
```al
page 50100 "Item Stock FactBox"
{
    PageType = CardPart;
    SourceTable = Item;

    layout
    {
        area(Content)
        {
            field(Stock; StockText) { Caption = 'Stock'; }
        }
    }

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
        Item: Record Item;
        Params: Dictionary of [Text, Text];
        Results: Dictionary of [Text, Text];
    begin
        Params := Page.GetBackgroundParameters();
        if not Params.ContainsKey('ItemNo') then
            exit;
        Item.ReadIsolation := IsolationLevel::ReadCommitted;
        if not Item.Get(Params.Get('ItemNo')) then
            exit;
        Item.CalcFields(Inventory);
        Results.Add('Stock', Format(Item.Inventory));
        Page.SetBackgroundTaskResult(Results);
    end;
}
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pbtlint.background import background_analysis, task_text
from pbtlint.findings import Finding, Severity
from pbtlint.rule import Rule, RuleMeta


class BackgroundLock(Rule):
    meta = RuleMeta(
        "PBT0003",
        "background-lock",
        Severity.ERROR,
        "Background code locks records (LockTable, FindSet(true), ReadIsolation UpdLock).",
        tags=("page-background-task", "correctness", "performance"),
    )

    def check(self, context: Any) -> Iterator[Finding]:
        """One finding per locking statement reachable from a background root."""
        for offense in background_analysis(context.project).of("lock"):
            on = f" on non-temporary {offense.record}" if offense.temp == "persistent" and offense.record else (
                f" on {offense.record}, not known to be temporary," if offense.record else "")
            message = f"{offense.what}{on} in background code of {task_text(offense.root)}"
            yield self.finding(message, offense.location, offense.root.related(), offense.call_path)
