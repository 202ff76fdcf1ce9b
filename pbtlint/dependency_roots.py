"""Which background-task files of an app's dependencies start the closure (:mod:`pbtlint.closure`).

An extension is often analyzed with the Base Application's sources beside it (``--source-root``), so
that calls into it are followed. The Base Application has background tasks of its own. Their findings
concern the app only when they run the app's code, or share a task codeunit with it. Otherwise
following them parses tens of thousands of bodies for nothing: 77 s instead of 7 s for a small app.

Dependency code can run the app's code only through what the app hooks into it: event subscribers,
triggers of table and report extensions, and codeunits that implement an interface the app does not
declare itself. An app with none of these gets only the dependency's background-task files that
share a task codeunit with it: those that declare a codeunit the app's files name, and those whose
text names such a codeunit (the dependency's pages that enqueue it too, whose keys decide what the
app's task may read). By name only: a bare id (``Codeunit 32``) is too common a number to look for in
text, and AL code names codeunits (``Codeunit::"Customer Card Calculations"``); an app that enqueues a
dependency's task codeunit by its number alone, while a dependency page enqueues it too, may get
other parameter-key findings than a full parse.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pbtlint.declindex import FileIndex

_HOOKED_EXTENSIONS = ("tableextension", "reportextension")


@dataclass(frozen=True, slots=True)
class SeedText:
    """What :func:`closure_seeds` read of the files' text, for a later run to check that an edit leaves
    the seeds as they were (:mod:`pbtlint.demand_previous`): the codeunit names it looked for in the
    app's files, an app file naming each name it found there, and each dependency marker file whose
    text it searched for those found names, with whether it named one."""

    names: tuple[str, ...]
    named_in: dict[str, str]
    looked: dict[str, bool]


def closure_seeds(own: Sequence[Path], dependencies: Sequence[Path], indexes: dict[Path, FileIndex],
                  text_of: Callable[[Path], str]) -> tuple[list[Path], SeedText | None]:
    """The files whose markers start the closure of an app with files ``own``: its own marker files and
    those of ``dependencies`` that may concern it (see the module doc), and what deciding that read of
    the files' text (None when it read none). ``text_of`` gives a file's text, case-folded."""
    seeds = [k for k in own if indexes[k].has_markers]
    theirs = [k for k in dependencies if indexes[k].has_markers]
    if not theirs or _hooks_into_dependencies([indexes[k] for k in own]):
        return [*seeds, *theirs], None
    names = {o.name.casefold() for k in theirs for o in indexes[k].objects if o.kind == "codeunit" and o.name}
    named_in: dict[str, str] = {}
    for k in own:  # not only marker files: a helper may return the codeunit
        if len(named_in) == len(names):
            break
        text = text_of(k)
        named_in.update((name, str(k)) for name in names if name not in named_in and name in text)
    shared = set(named_in)
    looked = {str(k): _mentions_any(text_of(k), shared) for k in theirs} if shared else {}
    record = SeedText(tuple(sorted(names)), named_in, looked)
    return [*seeds, *(k for k in theirs if looked.get(str(k)))], record


def _mentions_any(text: str, names: set[str]) -> bool:
    return any(name in text for name in names)


def _hooks_into_dependencies(own: Sequence[FileIndex]) -> bool:
    """Whether dependency code can run some of these files' code (see the module doc)."""
    interfaces = {o.name.casefold() for index in own for o in index.objects if o.kind == "interface"}
    for index in own:
        if index.subscribers:
            return True
        if any(name.casefold() not in interfaces for o in index.objects for name in o.implements):
            return True
        if any(o.kind in _HOOKED_EXTENSIONS for o in index.objects) and any(
                p.kind == "trigger" for p in index.procedures):
            return True
    return False
