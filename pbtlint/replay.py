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

import dataclasses
import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pbtlint.cache import Cache
from pbtlint.closure import ObjectSummary, body_summary, summarize
from pbtlint.declindex import FileIndex
from pbtlint.frontend import ParsedFile, parse_file
from pbtlint.skeleton import body_nodes, parse_bodies, parse_skeleton


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


def previous_choice(previous: dict) -> Choice | None:
    try:
        return Choice(tuple(tuple(c) for c in previous["chosen"]), frozenset(previous["whole"]),
                      frozenset(previous["bodied"]), dict(previous["mentions"]))
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
        if f.old_index is None or f.new_index is None or not mentions_same(f):
            return None
        if str(f.path) not in parsed:
            if f.old_index.signature() != f.new_index.signature():
                return None
        elif f.old_index != f.new_index or not _same_summaries(f, str(f.path) in choice.whole, cache):
            return None
    return choice


def _same_summaries(f: Changed, whole: bool, cache: Cache) -> bool:
    """Whether ``f`` parses (whole or as a skeleton, as before) to the summaries it had, once the
    bodies parsed for it before are parsed again; caches the new parse either way."""
    old_mode = f.old_key if whole else f.old_key + "-s"
    hit = cache.get_ast(old_mode)
    if not (isinstance(hit, tuple) and len(hit) == 2 and isinstance(hit[0], ParsedFile)):
        return False
    old_summaries: list[ObjectSummary] = hit[1]
    if whole:
        pf = parse_file(f.path, f.symbols, f.display)
        if pf.unit is None:
            return False
        summaries = summarize(pf.unit)
        return _put(cache, f.new_key, (pf, summaries)) and summaries == old_summaries
    pf, elided = parse_skeleton(f.path, f.display, f.symbols)
    if pf.unit is None or not elided:
        return False
    summaries = summarize(pf.unit, elided)
    new_mode = f.new_key + "-s"
    if not _put(cache, new_mode, (pf, summaries)):  # written while its bodies are pending, as parsed
        return False
    entry = cache.get_ast(old_mode + "b")
    old_facts = entry.get("facts", {}) if isinstance(entry, dict) else {}
    if not isinstance(old_facts, dict):
        return False
    nodes = body_nodes(pf.unit)
    keys = sorted(old_facts)
    if any(k not in nodes or k not in elided for k in keys):
        return False
    procs = [nodes[k] for k in keys]
    spans = [(p.body.span.line, p.body.span.column, p.body.span.end_line, p.body.span.end_column)
             for p in procs if p.body is not None]
    blocks = parse_bodies(f.path, f.display, f.symbols, spans) if spans else []
    if len(blocks) != len(keys) or any(b is None for b in blocks):
        return False
    pending_new = {s.pending: s for obj in summaries for s in obj.procs if s.pending}
    pending_old = {s.pending: s for obj in old_summaries for s in obj.procs if s.pending}
    facts = {}
    for key, node, block in zip(keys, procs, blocks, strict=True):
        if key not in pending_new or key not in pending_old:
            return False
        facts[key] = body_summary(dataclasses.replace(node, body=block), pending_new[key].element).body_facts()
        pending_new[key].restore(facts[key])
        pending_old[key].restore(old_facts[key])
    if keys:
        try:
            data = pickle.dumps({"batches": [(spans, pickle.dumps(blocks, pickle.HIGHEST_PROTOCOL))],
                                 "facts": facts}, pickle.HIGHEST_PROTOCOL)
        except RecursionError:  # a body too deeply nested to cache: the closure runs as usual
            return False
        cache.put_ast_bytes(new_mode + "b", data)
    return summaries == old_summaries


def _put(cache: Cache, key: str, value: object) -> bool:
    try:
        data = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
    except RecursionError:
        return False
    cache.put_ast_bytes(key, data)
    return True
