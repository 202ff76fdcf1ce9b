"""Background code writes to the database.

## What it does
Follows the call graph from the `OnRun` trigger of every codeunit that a page enqueues with
`CurrPage.EnqueueBackgroundTask` (through local procedures, codeunit variables, `Codeunit.Run`,
table procedures and triggers, `Validate`, event subscribers and interface implementations) and
reports every `Insert`, `Modify`, `ModifyAll`, `Delete`, `DeleteAll`, `Rename` and `Truncate` on a
record or RecordRef that is not temporary, and every `IsolatedStorage.Set`, `SetEncrypted` and
`Delete`. A record is temporary when it is declared `temporary`, its table has
`TableType = Temporary`, a RecordRef was opened with `Open(TableNo, true)`, or it is a `var`
parameter whose argument is temporary on the call path (a name that starts with `Temp` is not
enough). Code under `if GuiAllowed() then`, and code that runs only when the task codeunit is not
running as a page background task (a `[TryFunction]` around `Page.GetBackgroundParameters()`
failed), is not background code. The finding shows the shortest call path from the enqueue site.

## Why is this bad?
A page background task runs in a read-only child session. The runtime stops the task with a
permission error as soon as it tries to write, so the page never gets its results; the error
trigger (if any) is the only trace.

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
        if not Item.Get(Params.Get('ItemNo')) then
            exit;
        Item.CalcFields(Inventory);
        Item."Last Date Modified" := Today();
        Item.Modify();
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
        TempItem: Record Item temporary;
        Params: Dictionary of [Text, Text];
        Results: Dictionary of [Text, Text];
    begin
        Params := Page.GetBackgroundParameters();
        if not Params.ContainsKey('ItemNo') then
            exit;
        if not Item.Get(Params.Get('ItemNo')) then
            exit;
        Item.CalcFields(Inventory);
        TempItem := Item;
        TempItem."Last Date Modified" := Today();
        TempItem.Insert();
        Results.Add('Stock', Format(TempItem.Inventory));
        Page.SetBackgroundTaskResult(Results);
    end;
}
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pbtlint.background import Offense, background_analysis, task_text
from pbtlint.findings import Finding, Severity
from pbtlint.rule import Rule, RuleMeta


class BackgroundDatabaseWrite(Rule):
    meta = RuleMeta(
        "PBT0001",
        "background-database-write",
        Severity.ERROR,
        "Background code writes to a non-temporary record or to IsolatedStorage.",
        tags=("page-background-task", "correctness"),
    )

    def check(self, context: Any) -> Iterator[Finding]:
        """One finding per write statement reachable from a background root."""
        for offense in background_analysis(context.project).of("write"):
            yield self.finding(_message(offense), offense.location, offense.root.related(), offense.call_path)


def _message(o: Offense) -> str:
    where = f"in background code of {task_text(o.root)}"
    if not o.record:
        return f"{o.what} writes to the database {where}"
    if o.temp == "unknown":
        return f"{o.what} on {o.record}, not known to be temporary, {where}"
    return f"{o.what} on non-temporary {o.record} {where}"
