"""A completion trigger calls CurrPage.Update, which the runtime ignores there.

## What it does
Reports each `CurrPage.Update(...)` call in an `OnPageBackgroundTaskCompleted` trigger, and in
procedures of the page that run only from that trigger (every caller of the procedure is the trigger
or such a procedure).

## Why is this bad?
Microsoft's documentation states that `CurrPage.Update()` statements are ignored in the completion
trigger: the page is refreshed with the values the trigger sets anyway. The call only suggests to
the reader that something else happens, for example that the record is saved.

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

    trigger OnPageBackgroundTaskCompleted(TaskId: Integer; Results: Dictionary of [Text, Text])
    begin
        if TaskId <> StockTaskId then
            exit;
        if Results.Get('Stock', StockText) then
            CurrPage.Update(false);
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
    PageType = Card;
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
        if Results.Get('Stock', StockText) then;
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

from pbtlint.findings import Finding, Location, Severity
from pbtlint.page_reach import page_call_tree, path_locations
from pbtlint.rule import Rule, RuleMeta

UPDATE = "currpage.update"


class UpdateInCompletion(Rule):
    meta = RuleMeta(
        "PBT0034",
        "update-in-completion",
        Severity.NOTE,
        "A completion trigger calls CurrPage.Update, which the runtime ignores there.",
        tags=("page-background-task", "maintainability"),
    )

    def check(self, context: Any) -> Iterator[Finding]:
        project = context.project
        res = project.resolution
        for trigger in project.enqueue.completion_triggers:
            root = trigger.proc
            tree = page_call_tree(project, trigger.page, [root.key])
            # Procedures that run only from this trigger: every caller is the trigger or one of them.
            only = {root.key}
            changed = True
            while changed:
                changed = False
                for key in tree:
                    if key in only:
                        continue
                    callers = res.callers_of(key)
                    if callers and all(c.caller.key in only for c in callers):
                        only.add(key)
                        changed = True
            for key in sorted(only, key=lambda k: len(path_locations(tree, k))):
                for site in res.sites_in(key):
                    if site.builtin != UPDATE:
                        continue
                    path = path_locations(tree, key)
                    where = "in the completion trigger" if key == root.key else \
                        f"in {site.caller.name}, which runs only from the completion trigger"
                    yield self.finding(
                        f"CurrPage.Update {where} of {trigger.page.display} is ignored by the runtime",
                        Location(site.path, site.span, "CurrPage.Update"),
                        call_path=(Location(root.path, root.node.name_span, root.name), *path,
                                   Location(site.path, site.span, "CurrPage.Update")) if path else (),
                    )
