"""A task codeunit reads a parameter key that no enqueue site passes.

## What it does
Finds reads of a constant key (a text literal, a Label, or a procedure that returns one) from the
dictionary of `Page.GetBackgroundParameters()` in background code, when every enqueue site that
starts the task codeunit builds its parameters from known constant keys and none of them adds that
key. Sites whose keys are computed at run time make the rule stay silent.

## Why is this bad?
The page and the task codeunit agree on parameter names only by convention. A misspelt or renamed
key is never in the dictionary: `Get(Key)` then fails the task, and `Get(Key, Value)` silently takes
the fallback path every time.

## Example
```al
page 50100 "Item Stock Card"
{
    SourceTable = Item;

    var
        StockTaskId: Integer;

    trigger OnAfterGetCurrRecord()
    var
        Parameters: Dictionary of [Text, Text];
    begin
        Parameters.Add('ItemNo', Rec."No.");
        CurrPage.EnqueueBackgroundTask(StockTaskId, Codeunit::"Item Stock Task", Parameters);
    end;
}

codeunit 50100 "Item Stock Task"
{
    trigger OnRun()
    var
        Parameters: Dictionary of [Text, Text];
        Results: Dictionary of [Text, Text];
        ItemNo: Text;
    begin
        Parameters := Page.GetBackgroundParameters();
        if not Parameters.Get('Item No.', ItemNo) then
            exit;
        Results.Add('Stock', ItemNo);
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

    trigger OnAfterGetCurrRecord()
    var
        StockTask: Codeunit "Item Stock Task";
        Parameters: Dictionary of [Text, Text];
    begin
        Parameters.Add(StockTask.ItemNoKey(), Rec."No.");
        CurrPage.EnqueueBackgroundTask(StockTaskId, Codeunit::"Item Stock Task", Parameters);
    end;
}

codeunit 50100 "Item Stock Task"
{
    var
        ItemNoTok: Label 'ItemNo', Locked = true;

    trigger OnRun()
    var
        Parameters: Dictionary of [Text, Text];
        Results: Dictionary of [Text, Text];
        ItemNo: Text;
    begin
        Parameters := Page.GetBackgroundParameters();
        if not Parameters.Get(ItemNoKey(), ItemNo) then
            exit;
        Results.Add('Stock', ItemNo);
        Page.SetBackgroundTaskResult(Results);
    end;

    procedure ItemNoKey(): Text
    begin
        exit(ItemNoTok);
    end;
}
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pbtlint.dictionaries import (
    Background,
    codeunit_location,
    describe_get,
    enqueue_location,
    keys_read,
    lookups,
    quote_keys,
    track_parameters,
)
from pbtlint.dictionary_keys import site_parameter_keys
from pbtlint.enqueue import EnqueueSite
from pbtlint.findings import Finding, Location, Severity
from pbtlint.rule import Rule, RuleMeta


class UnknownParameterKey(Rule):
    meta = RuleMeta(
        "PBT0022",
        "unknown-parameter-key",
        Severity.WARNING,
        "Background code reads a parameter key that no enqueue site of its task codeunit passes.",
        tags=("page-background-task", "correctness"),
    )

    def check(self, context: Any) -> Iterator[Finding]:
        project = context.project
        background = Background(project)
        site_keys: dict[int, tuple[set[str], bool]] = {}
        for lookup in keys_read(lookups(track_parameters(project))):
            codeunits = background.codeunits_reaching(lookup.proc.key)
            sites: list[EnqueueSite] = []
            for cu in codeunits:
                sites.extend(s for s in project.enqueue.sites_for_codeunit(cu) if all(s is not t for t in sites))
            if not sites:
                continue
            passed: set[str] = set()
            complete = True
            for s in sites:
                if id(s) not in site_keys:
                    site_keys[id(s)] = site_parameter_keys(project, s)
                keys, known = site_keys[id(s)]
                passed |= keys
                complete &= known
            missing = [t for t in lookup.key_texts or () if t not in passed]
            if not complete or not missing:
                continue
            names = ", ".join(f'"{c.name}"' for c in codeunits)
            noun = "codeunit" if len(codeunits) == 1 else "codeunits"
            key = quote_keys(missing)
            message = (f"{describe_get(lookup)} reads parameter key {key}, which no enqueue site of task "
                       f"{noun} {names} passes (keys passed: {quote_keys(passed)})")
            where = Location(lookup.path, lookup.call.span, f"reads parameter {key}")
            related = (*(enqueue_location(s) for s in sites), *(codeunit_location(c) for c in codeunits))
            yield self.finding(message, lookup.location, related,
                               background.call_path(sites[0], lookup.proc.key, where))
