"""Background code shows UI.

## What it does
Reports every call that needs a user interface in code that runs as a page background task (the
`OnRun` of an enqueued codeunit and everything it reaches in the call graph): `Message`, `Confirm`,
`StrMenu`, `Page.Run` / `Page.RunModal` (also on page variables), `Report.RunModal`, `Dialog.Open` /
`Dialog.Update`, `Hyperlink`, `Notification.Send`, and the upload and download dialogs
(`UploadIntoStream`, `DownloadFromStream`, `File.UploadIntoStream`...). Calls under
`if GuiAllowed() then ...` or after `if not GuiAllowed() then exit;` are skipped, and so is
everything reached only through such a call. The completion and error triggers run in the page's
session and may show UI. The finding shows the shortest call path from the enqueue site.

## Why is this bad?
A background session has no client: `GuiAllowed()` is false there and UI calls fail (or block
on a dialog nobody can answer), so the task is stopped with an error and the page never gets its
results. Show messages from the completion trigger instead.

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
        if Item.Inventory < 0 then
            Message('Item %1 has negative stock.', Item."No.");
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
        if (Item.Inventory < 0) and GuiAllowed() then
            Message('Item %1 has negative stock.', Item."No.");
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


class BackgroundUi(Rule):
    meta = RuleMeta(
        "PBT0004",
        "background-ui",
        Severity.ERROR,
        "Background code calls UI (Message, Confirm, Page.Run, Dialog...).",
        tags=("page-background-task", "correctness"),
    )

    def check(self, context: Any) -> Iterator[Finding]:
        """One finding per UI call reachable from a background root and not under a GUI guard."""
        for offense in background_analysis(context.project).of("ui"):
            message = f"{offense.what} needs a user interface in background code of {task_text(offense.root)}"
            yield self.finding(message, offense.location, offense.root.related(), offense.call_path)
