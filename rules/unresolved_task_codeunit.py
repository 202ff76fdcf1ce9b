"""The codeunit of an enqueue cannot be found in the analyzed sources.

## What it does
Reports a `CurrPage.EnqueueBackgroundTask` call when the task codeunit it names cannot be resolved
to a codeunit in the analyzed sources: a name or id of a codeunit that is not there (a dependency
shipped without source, a typo), or a value that is not a constant (read from a table, computed,
passed by a caller that is not in sight).

## Why is this bad?
pbtlint checks what the task codeunit does in the background (database writes, commits, locks, UI)
and whether it sets the results that the page reads. When the codeunit is unknown, none of that is
verified: the note says that this task was not checked, not that it is wrong. Add the dependency's
source to the analysis (for example with `--with` / another workspace folder) or name the codeunit
with a constant.

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
        CurrPage.EnqueueBackgroundTask(StockTaskId, Codeunit::"Stock Task From Elsewhere");
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

    trigger OnAfterGetCurrRecord()
    begin
        CurrPage.EnqueueBackgroundTask(StockTaskId, Codeunit::"Item Stock Task");
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

from pbtlint.enqueue import TaskCodeunit
from pbtlint.findings import Finding, Location, Severity
from pbtlint.rule import Rule, RuleMeta

_REASONS = {
    "not-constant": "is not a constant",
    "from-data": "is read from data",
    "no-callers": "comes from a parameter that no caller in the sources passes",
}


def _describe(task: TaskCodeunit) -> str:
    if task.written is not None:
        what = task.written if task.written.isdigit() else f'"{task.written}"'
        return f"codeunit {what} is not in the analyzed sources"
    return f"the codeunit id {_REASONS.get(task.reason, 'cannot be resolved')}"


class UnresolvedTaskCodeunit(Rule):
    meta = RuleMeta(
        "PBT0035",
        "unresolved-task-codeunit",
        Severity.NOTE,
        "The task codeunit of an enqueue site cannot be resolved in the analyzed sources.",
        tags=("page-background-task", "coverage"),
    )

    def check(self, context: Any) -> Iterator[Finding]:
        for site in context.project.enqueue.sites:
            unresolved = [t for t in site.task_codeunits if not t.resolved]
            if not unresolved and site.task_codeunits:
                continue
            reasons: list[str] = []
            related: list[Location] = []
            for task in unresolved:
                text = _describe(task)
                if text not in reasons:
                    reasons.append(text)
                if task.via or task.path != site.path or task.expr.span != (site.codeunit_expr or task.expr).span:
                    related.append(Location(task.path, task.expr.span, text))
            if not reasons:
                reasons.append("the codeunit argument is missing" if site.codeunit_expr is None
                               else "the codeunit id cannot be resolved")
            yield self.finding(
                f"Task codeunit not verified: {'; '.join(reasons)}",
                Location(site.path, site.span, "enqueues"),
                related=tuple(related),
            )
