"""Background code calls code whose body is not available.

## What it does
Reports a call in code that runs as a page background task (the `OnRun` of an enqueued codeunit and
everything it reaches in the call graph) to something pbtlint cannot look into: a codeunit,
table trigger or procedure of a dependency shipped without source, a DotNet method, an interface
method with no implementing codeunit in sight, `Codeunit.Run` with a codeunit id known only at
run time, `RecordRef.Modify(true)` or `FieldRef.Validate` on a table known only at run time. One
finding per task codeunit and opaque callee, at the first call on the shortest path from the
enqueue site. A procedure whose body does not parse (a syntax error, reported as PBT0000) is opaque
too, and the rest of its file is analyzed as usual; that finding is at its `begin`.

## Why is this bad?
The other background rules (database writes, commits, locks, UI) cannot see past such a
call, so the task cannot be proven read-only. Add the dependency's sources to the analysis
(`--source-root DIR`) or check the callee by hand.

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
        Valuation: Codeunit "Stock Valuation";
        Params: Dictionary of [Text, Text];
        Results: Dictionary of [Text, Text];
    begin
        Params := Page.GetBackgroundParameters();
        if not Params.ContainsKey('ItemNo') then
            exit;
        if not Item.Get(Params.Get('ItemNo')) then
            exit;
        Item.CalcFields(Inventory);
        Results.Add('Value', Format(Valuation.StockValue(Item."No.")));
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
        Valuation: Codeunit "Stock Valuation";
        Params: Dictionary of [Text, Text];
        Results: Dictionary of [Text, Text];
    begin
        Params := Page.GetBackgroundParameters();
        if not Params.ContainsKey('ItemNo') then
            exit;
        if not Item.Get(Params.Get('ItemNo')) then
            exit;
        Item.CalcFields(Inventory);
        Results.Add('Value', Format(Valuation.StockValue(Item."No.")));
        Results.Add('Stock', Format(Item.Inventory));
        Page.SetBackgroundTaskResult(Results);
    end;
}

codeunit 50101 "Stock Valuation"
{
    procedure StockValue(ItemNo: Code[20]): Decimal
    var
        Item: Record Item;
    begin
        if not Item.Get(ItemNo) then
            exit(0);
        Item.CalcFields(Inventory);
        exit(Item.Inventory * Item."Unit Cost");
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


class OpaqueBackgroundCall(Rule):
    meta = RuleMeta(
        "PBT0040",
        "opaque-background-call",
        Severity.NOTE,
        "Background code calls code whose body is not available.",
        precision="medium",
        tags=("page-background-task", "coverage"),
    )

    def check(self, context: Any) -> Iterator[Finding]:
        """One finding per (background root, opaque callee), at the first call on the shortest path."""
        for call in background_analysis(context.project).opaque_calls:
            message = (f"Background code of {task_text(call.root)} calls {call.label}; "
                       "it cannot be proven read-only past this call")
            yield self.finding(message, call.location, call.root.related(), call.call_path)
