"""Skip the fixpoint when no changed file changes what it would see.

:mod:`pbtlint.demand`'s closure chooses the files and bodies to parse from three inputs: the
declaration index of every file, which files' text mentions the background-task pages, and the
summaries of the files it parsed (their declarations, plus what each parsed body calls, names and
writes). When every file changed since the previous run has the same index entry and mentions and,
if that run parsed it, the same summaries with the same bodies parsed, the closure would make the
same choice: the run takes that choice and only loads the trees, builds the model and runs the rules.

The changed files' new trees and bodies are written to the cache under their new keys, so the run
loads every chosen file the same way. An edit inside a body that keeps what the body calls and
writes (a condition, a literal, a comment) qualifies; one that adds a call, a variable or a line
does not, and the closure runs as usual.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pbtlint.cache import Cache
from pbtlint.declindex import FileIndex
from pbtlint.demand_work import bodies_with_facts, header, parse_summarized
from pbtlint.frontend import ParsedFile

if TYPE_CHECKING:
    from pbtlint.summaries import ObjectSummary


@dataclass(frozen=True, slots=True)
class Changed:
    """A file whose content differs from the previous run's."""

    path: Path
    display: str
    symbols: tuple[str, ...]
    old_key: str
    new_key: str
    old_index: FileIndex | None
    new_index: FileIndex | None


@dataclass(frozen=True, slots=True)
class Choice:
    """The previous run's choice: per app (in plan order) the files the model was built from, the
    files parsed whole, the skeletons that had bodies put back, and which files mention what."""

    chosen: tuple[tuple[str, ...], ...]
    whole: frozenset[str]
    bodied: frozenset[str]
    mentions: dict  # the previous run's mention lookups (groups -> files), still true when replayed
    lookups: dict  # the lines naming watched globals the fixpoint's readers found (demand_previous._lookups_same)


def previous_choice(previous: dict) -> Choice | None:
    try:
        return Choice(tuple(tuple(c) for c in previous["chosen"]), frozenset(previous["whole"]),
                      frozenset(previous["bodied"]), dict(previous["mentions"]), dict(previous["lookups"]))
    except (KeyError, TypeError, ValueError):
        return None


def same_choice(previous: dict, changed: Sequence[Changed], cache: Cache,
                mentions_same: Callable[[Changed], bool]) -> Choice | None:
    """The previous run's choice when it still holds for ``changed`` (see the module doc), else None."""
    choice = previous_choice(previous)
    if choice is None or not changed:
        return None
    parsed = set(previous.get("parsed", ()))
    for f in changed:
        if not declares_and_mentions_the_same(f, mentions_same):
            return None
        if str(f.path) in parsed and (f.old_index != f.new_index
                                      or not _same_summaries(f, str(f.path) in choice.whole, cache)):
            return None
    return choice


def declares_and_mentions_the_same(f: Changed, mentions_same: Callable[[Changed], bool]) -> bool:
    """Whether what the closure reads of ``f`` without parsing it, its declarations (as the index
    has them, line ranges aside) and its page-name mentions, is as it was."""
    return (f.old_index is not None and f.new_index is not None
            and f.old_index.signature() == f.new_index.signature() and mentions_same(f))


def _same_summaries(f: Changed, whole: bool, cache: Cache) -> bool:
    """Whether ``f`` parses (whole or as a skeleton, as before) to the summaries it had, once the
    bodies parsed for it before are parsed again; caches the new parse either way."""
    old_mode = f.old_key if whole else f.old_key + "-s"
    hit = cache.get_ast(old_mode)
    if not (isinstance(hit, tuple) and len(hit) == 2 and isinstance(hit[0], ParsedFile)):
        return False
    old_summaries: list[ObjectSummary] = hit[1]
    pf, elided, summaries = parse_summarized(f.path, f.display, f.symbols, whole)
    new_mode = f.new_key if whole else f.new_key + "-s"
    # cached as parsed, with its bodies still pending, the way the run caches a file
    if pf.unit is None or not (whole or elided) or not _put(cache, new_mode, (pf, summaries)):
        return False
    if whole:
        return summaries == old_summaries
    entry = cache.get_ast(old_mode + "b")
    old_facts = entry.get("facts", {}) if isinstance(entry, dict) else {}
    if not isinstance(old_facts, dict):
        return False
    from pbtlint.skeleton import body_nodes  # here: a run that only checks changed files' index needs no parser

    keys = sorted(old_facts)
    nodes = body_nodes(pf.unit)
    pending_new = {s.pending: s for obj in summaries for s in obj.procs if s.pending}
    pending_old = {s.pending: s for obj in old_summaries for s in obj.procs if s.pending}
    if any(k not in nodes or k not in pending_new or k not in pending_old for k in keys):
        return False
    bodies = [nodes[k].body for k in keys]
    spans = [(b.span.line, b.span.column, b.span.end_line, b.span.end_column) for b in bodies if b is not None]
    blocks, added = bodies_with_facts(f.path, f.display, f.symbols, spans,
                                      [(header(nodes[k]), pending_new[k].element) for k in keys])
    if len(spans) != len(keys) or any(a is None for a in added):
        return False
    facts = dict(zip(keys, added, strict=True))
    for key in keys:
        pending_new[key].restore(facts[key])  # type: ignore[arg-type]
        pending_old[key].restore(old_facts[key])
    if keys:
        try:
            batch = _pickled(blocks)  # the form the run caches bodies in: as the workers send them
        except RecursionError:
            return False
        if not _put(cache, new_mode + "b", {"batches": [(spans, batch)], "facts": facts}):
            return False
    return summaries == old_summaries


def _pickled(value: object) -> bytes:
    return pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


def _put(cache: Cache, key: str, value: object) -> bool:
    """Cache ``value``; False when it is too deeply nested to pickle (the closure then runs as usual)."""
    try:
        data = _pickled(value)
    except RecursionError:
        return False
    cache.put_ast_bytes(key, data)
    return True
