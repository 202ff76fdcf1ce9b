"""A completion trigger reads results that the task codeunit never sets.

## What it does
Reports an enqueue site when its task codeunit never calls `Page.SetBackgroundTaskResult` in its
background code (what its `OnRun` reaches, not past a GUI guard or a call that cannot run in the
background session), while the page's `OnPageBackgroundTaskCompleted` reads
`Results` for that task (a read under `if TaskId = OtherTaskId` belongs to another task). Calls that
cannot be followed (a codeunit outside the analyzed sources, an interface without implementation)
make the rule stay silent.

## Why is this bad?
Without `Page.SetBackgroundTaskResult` the completion trigger always receives an empty dictionary:
whatever the task computed is thrown away, and the page shows its fallback value (or fails on
`Results.Get`). It is an easy step to forget, and nothing at run time points to it.

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

from pbtlint.dictionaries import codeunit_location, enqueue_location
from pbtlint.dictionary_keys import ResultInfo, result_info
from pbtlint.findings import Finding, Location, Severity
from pbtlint.rule import Rule, RuleMeta
from pbtlint.task_filters import results_reads, site_id_vars


class ResultNeverSet(Rule):
    meta = RuleMeta(
        "PBT0030",
        "result-never-set",
        Severity.WARNING,
        "A task codeunit never sets results while the completion trigger reads Results.",
        tags=("page-background-task", "correctness"),
    )

    def check(self, context: Any) -> Iterator[Finding]:
        project = context.project
        enqueue = project.enqueue
        infos: dict[str, ResultInfo] = {}
        reads = {t.proc.key: results_reads(project, t) for t in enqueue.completion_triggers}
        for site in enqueue.sites:
            for task in site.task_codeunits:
                cu = task.codeunit
                if cu is None:
                    continue
                if cu.key not in infos:
                    infos[cu.key] = result_info(project, cu)
                info = infos[cu.key]
                if info.sets or info.unknown:
                    continue
                ids = site_id_vars(project, site)
                read = next(((t, ident) for t in enqueue.completion_for(site.page)
                             for ident, admits in reads[t.proc.key] if admits.admits(site, ids)), None)
                if read is None:
                    continue
                trigger, ident = read
                message = (f'Task codeunit "{cu.name}" never calls Page.SetBackgroundTaskResult, but the '
                           f'completion trigger of {trigger.page.kind} "{trigger.page.name}" reads Results '
                           f"(line {ident.span.line})")
                related = (codeunit_location(cu),
                           Location(trigger.proc.path, ident.span, "reads Results"))
                yield self.finding(message, enqueue_location(site), related)
                break
