"""An enqueue passes a constant timeout outside 0..600000 ms.

## What it does
Reports a `CurrPage.EnqueueBackgroundTask` call whose timeout argument (the fourth) is a constant,
or a variable that is only ever assigned one constant, below zero or above 600000 milliseconds.

## Why is this bad?
The timeout is in milliseconds and the documented maximum is 600,000 ms (10 minutes). A longer or a
negative timeout does not do what its author meant: the task cannot run longer than the platform
allows, and the value usually hides a unit mistake (seconds versus milliseconds, or an hour meant as
a "long enough" value).

## Example
```al
page 50100 "Item Stock Card"
{
    PageType = Card;
    SourceTable = Item;

    var
        StockTaskId: Integer;
        Params: Dictionary of [Text, Text];

    trigger OnAfterGetCurrRecord()
    begin
        CurrPage.EnqueueBackgroundTask(StockTaskId, Codeunit::"Item Stock Task", Params, 3600000);
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
        Params: Dictionary of [Text, Text];

    trigger OnAfterGetCurrRecord()
    begin
        CurrPage.EnqueueBackgroundTask(StockTaskId, Codeunit::"Item Stock Task", Params, 600000);
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
from pbtlint.rule import Rule, RuleMeta

MAX_TIMEOUT_MS = 600_000


class TimeoutOutOfRange(Rule):
    meta = RuleMeta(
        "PBT0031",
        "timeout-out-of-range",
        Severity.ERROR,
        "A constant timeout argument is negative or above 600000 ms.",
        tags=("page-background-task", "correctness"),
    )

    def check(self, context: Any) -> Iterator[Finding]:
        for site in context.project.enqueue.sites:
            value = site.timeout_value
            if value is None or 0 <= value <= MAX_TIMEOUT_MS:
                continue
            problem = "is negative" if value < 0 else f"is above the maximum of {MAX_TIMEOUT_MS} ms (10 minutes)"
            related = ()
            if site.timeout is not None and site.timeout.span.line != site.span.line:
                related = (Location(site.path, site.timeout.span, "timeout"),)
            yield self.finding(
                f"The timeout of {value} ms of this background task {problem}",
                Location(site.path, site.span, f"timeout {value} ms"),
                related=related,
            )
