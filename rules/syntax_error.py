"""A file cannot be read, preprocessed or parsed.

## What it does
Reports every file that pbtlint could not read (unreadable, undecodable bytes, NUL bytes, too
large), whose preprocessor directives are malformed or unbalanced, or that has a syntax error. The
message names the place and what was expected there. The other files are still analyzed.

## Why is this bad?
Code that cannot be parsed cannot be checked: a background task in that file, or code it calls, may
write to the database or show UI without pbtlint seeing it.

## Example
```al
codeunit 50100 "Broken"
{
    trigger OnRun()
    begin
        Message('missing end')
}
```

## Use instead
```al
codeunit 50100 "Broken"
{
    trigger OnRun()
    begin
        Message('missing end');
    end;
}
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pbtlint.findings import SYNTAX_ERROR, Finding, Severity
from pbtlint.rule import Rule, RuleMeta


class UnparsableFile(Rule):
    meta = RuleMeta(
        SYNTAX_ERROR,
        "syntax-error",
        Severity.ERROR,
        "A file cannot be read or parsed.",
        tags=("correctness",),
    )

    def check(self, context: Any) -> Iterator[Finding]:
        """The front end already turned each unreadable or unparsable place into a finding."""
        yield from context.front_end_findings
