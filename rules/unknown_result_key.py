"""A completion trigger reads a result key that the task codeunit never sets.

## What it does
Finds reads of a constant key (a text literal, a Label, or a procedure that returns one) from the
`Results` of `OnPageBackgroundTaskCompleted` (or of a procedure it passes them to) when every task
that can complete there is known, its codeunit calls `Page.SetBackgroundTaskResult` in its background
code, the keys it puts into that dictionary are all known, and none of them is the key read. A read under
`if TaskId = StockTaskId` or in a `case TaskId of` branch is checked against that task only. A
codeunit that never sets a result is left to PBT0030.

## Why is this bad?
A key that the task never sets is a typo or a leftover of a rename: `Get(Key)` raises an error in the
user's session, and `Get(Key, Value)` silently keeps the page on its fallback value for ever.

## Example
```al
page 50100 "Item Stock Card"
{
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
        if not Results.Get('Inventory', StockText) then
            StockText := '';
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
        if not Results.Get('Stock', StockText) then
            StockText := '';
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

from pbtlint.dictionaries import (
    codeunit_location,
    describe_get,
    keys_read,
    lookups,
    passing_path,
    quote_keys,
    track_results,
)
from pbtlint.dictionary_keys import ResultInfo, result_info
from pbtlint.findings import Finding, Location, Severity
from pbtlint.model import ObjectInfo
from pbtlint.rule import Rule, RuleMeta
from pbtlint.task_filters import TaskFilter, site_id_vars, task_filter


class UnknownResultKey(Rule):
    meta = RuleMeta(
        "PBT0023",
        "unknown-result-key",
        Severity.WARNING,
        "A completion trigger reads a result key that the task codeunit never puts into its results.",
        tags=("page-background-task", "correctness"),
    )

    def check(self, context: Any) -> Iterator[Finding]:
        project = context.project
        infos: dict[str, ResultInfo] = {}
        seen: set[tuple[str, int, int]] = set()
        for trigger in project.enqueue.completion_triggers:
            if trigger.results is None:
                continue
            tracking = track_results(project, trigger)
            start = Location(trigger.proc.path, trigger.proc.node.name_span,
                             f'completion trigger of {trigger.page.kind} "{trigger.page.name}"')
            all_sites = [(s, site_id_vars(project, s)) for s in project.enqueue.for_page(trigger.page)]
            for lookup in keys_read(lookups(tracking)):
                mark = (lookup.path, lookup.call.span.line, lookup.call.span.column)
                if mark in seen:
                    continue
                admits = (task_filter(tracking.scope(lookup.proc), trigger.task_id, lookup.site.facts)
                          if lookup.proc is trigger.proc else TaskFilter())
                sites = [s for s, ids in all_sites if admits.admits(s, ids)]
                if not sites or any(not t.resolved for s in sites for t in s.task_codeunits) \
                        or any(not s.task_codeunits for s in sites):
                    continue
                codeunits: list[ObjectInfo] = []
                for s in sites:
                    codeunits.extend(t.codeunit for t in s.task_codeunits
                                     if t.codeunit is not None and t.codeunit not in codeunits)
                for cu in codeunits:
                    if cu.key not in infos:
                        infos[cu.key] = result_info(project, cu)
                setting = [cu for cu in codeunits if infos[cu.key].sets or infos[cu.key].unknown]
                if not setting or not all(infos[cu.key].complete for cu in setting):
                    continue
                keys = {k for cu in setting for k in infos[cu.key].keys}
                texts = lookup.key_texts or ()
                missing = [t for t in texts if t not in keys]
                if not missing:
                    continue
                seen.add(mark)
                names = ", ".join(f'"{cu.name}"' for cu in setting)
                noun = "codeunit" if len(setting) == 1 else "codeunits"
                message = (f"{describe_get(lookup)} reads result key {quote_keys(missing)}, "
                           f"which task {noun} {names} never puts into its results (keys set: {quote_keys(keys)})")
                related = (start, *(codeunit_location(cu) for cu in setting))
                yield self.finding(message, lookup.location, related, passing_path(tracking, lookup, start))
