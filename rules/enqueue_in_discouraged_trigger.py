"""A background task is enqueued from OnAfterGetRecord, OnOpenPage or a field's OnValidate.

## What it does
Reports each `CurrPage.EnqueueBackgroundTask` call that is reached, directly or through procedures
of the page and its extensions, from the page's `OnAfterGetRecord` or `OnOpenPage` trigger or from
the `OnValidate` trigger of a page field (in a page extension also the `OnBeforeValidate` and
`OnAfterValidate` triggers it adds to a field with `modify`). The call path from the trigger is attached.

## Why is this bad?
A page background task belongs to the current record: it is cancelled as soon as the current record
changes. On a list page `OnAfterGetRecord` runs for every row that is read, so each task is
cancelled by the next row and only the last one (if any) completes. Microsoft's documentation
recommends not enqueuing from `OnOpenPage` or `OnValidate` and using `OnAfterGetCurrRecord` instead,
which runs once for the record the user is on.

## Example
```al
page 50100 "Item Stock List"
{
    PageType = List;
    SourceTable = Item;

    var
        StockTaskId: Integer;

    trigger OnAfterGetRecord()
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

## Use instead
```al
page 50100 "Item Stock List"
{
    PageType = List;
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

from pbtlint.findings import Finding, Location, Severity
from pbtlint.model import ObjectInfo, ProcInfo
from pbtlint.nodes import norm
from pbtlint.page_reach import PageReach, edge_locations
from pbtlint.rule import Rule, RuleMeta


def is_discouraged(proc: ProcInfo) -> bool:
    """An OnAfterGetRecord or OnOpenPage trigger of the page, or a page field's OnValidate (in a page
    extension, the OnBeforeValidate / OnAfterValidate of a `modify`)."""
    if not proc.is_trigger:
        return False
    name = norm(proc.name)
    if proc.element is None:
        return name in ("onaftergetrecord", "onopenpage")
    kind = norm(proc.element.kind)
    return (kind == "field" and name == "onvalidate") or (
        kind == "modify" and name in ("onvalidate", "onbeforevalidate", "onaftervalidate"))


def discouraged_triggers(page: ObjectInfo) -> list[ProcInfo]:
    """The discouraged triggers of a page and its extensions."""
    family = [page.base(), *page.base().extensions]
    return [proc for obj in family for proc in obj.all_procs if is_discouraged(proc)]


def _trigger_name(proc: ProcInfo) -> str:
    if proc.element is not None:
        return f'{proc.name} of field "{proc.element.name}"'
    return proc.name


class EnqueueInDiscouragedTrigger(Rule):
    meta = RuleMeta(
        "PBT0032",
        "enqueue-in-discouraged-trigger",
        Severity.WARNING,
        "A background task is enqueued from OnAfterGetRecord, OnOpenPage or a field's OnValidate.",
        tags=("page-background-task", "performance"),
    )

    def check(self, context: Any) -> Iterator[Finding]:
        project = context.project
        triggers: dict[str, list[ProcInfo]] = {}
        reach: dict[str, PageReach] = {}
        for site in project.enqueue.sites:
            page = site.page.base()
            if page.key not in triggers:
                triggers[page.key] = discouraged_triggers(page)
                reach[page.key] = PageReach(project, page)
            # The discouraged trigger with the shortest feasible path to the enqueue call.
            best: tuple[ProcInfo, list[Location]] | None = None
            for trigger in triggers[page.key]:
                edges = reach[page.key].path(trigger, site.procedure, site.site.node)
                if edges is None:
                    continue
                path = edge_locations(edges)
                if best is None or len(path) < len(best[1]):
                    best = (trigger, path)
            if best is None:
                continue
            trigger, path = best
            name = _trigger_name(trigger)
            why = ("on a list page the task is cancelled as soon as the next row is read"
                   if norm(trigger.name) == "onaftergetrecord"
                   else f"the documentation advises against enqueuing from {trigger.name}")
            via = f" (via {site.procedure.name})" if trigger is not site.procedure else ""
            yield self.finding(
                f"Background task enqueued from {name}{via}: {why}; enqueue it from OnAfterGetCurrRecord",
                Location(site.path, site.span, "enqueues"),
                call_path=(Location(trigger.path, trigger.node.name_span, name), *path,
                           Location(site.path, site.span, "enqueues")),
            )
