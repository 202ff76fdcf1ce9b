"""Background code calls Commit().

## What it does
Reports every `Commit()` (also `Database.Commit()`) in code that runs as a page background task:
the `OnRun` trigger of a codeunit a page enqueues with `CurrPage.EnqueueBackgroundTask`, and
everything it reaches in the call graph (procedures, codeunit variables, `Codeunit.Run`, table
triggers, event subscribers, interface implementations). The finding is at the `Commit` call and
shows the shortest call path from the enqueue site. Code under `if GuiAllowed() then`, code that
runs only when the codeunit is not running as a background task (a `[TryFunction]` around
`Page.GetBackgroundParameters()` failed), and the completion and error triggers (which run in the
page's own session) are not background code.

## Why is this bad?
A page background task runs in a read-only child session: there is nothing it may commit. A
`Commit()` there fails the task, so the page never receives its results. A shared helper that
commits usually means the task does more than read.

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
        Commit();
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


class BackgroundCommit(Rule):
    meta = RuleMeta(
        "PBT0002",
        "background-commit",
        Severity.ERROR,
        "Background code calls Commit().",
        tags=("page-background-task", "correctness"),
    )

    def check(self, context: Any) -> Iterator[Finding]:
        """One finding per Commit reachable from a background root."""
        for offense in background_analysis(context.project).of("commit"):
            message = f"Commit in background code of {task_text(offense.root)}"
            yield self.finding(message, offense.location, offense.root.related(), offense.call_path)
