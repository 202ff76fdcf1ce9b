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
from typing import TYPE_CHECKING

from pbtlint.cache import Cache, bodies_key
from pbtlint.declindex import FileIndex
from pbtlint.demand_work import bodies_with_facts, header, parse_summarized
from pbtlint.frontend import ParsedFile
from pbtlint.line_map import LineMap, extend, from_pairs, moved_lines, tree_line_map
from pbtlint.project import real_path

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
    real: str = ""  # its real path: what the bodies parsed for it are cached under (cache.bodies_key)
    lines_added: int | None = None  # its lines now less its lines then; None when either is unknown


@dataclass(frozen=True, slots=True)
class Choice:
    """The previous run's choice: per app (in plan order) the files the model was built from, the
    files parsed whole, the skeletons that had bodies put back, and which files mention what."""

    chosen: tuple[tuple[str, ...], ...]
    whole: frozenset[str]
    bodied: frozenset[str]
    mentions: dict  # the previous run's mention lookups (groups -> files), still true when replayed
    lookups: dict  # the lines naming watched globals the fixpoint's readers found (demand_previous._lookups_moved)


def previous_choice(previous: dict) -> Choice | None:
    """The previous run's choice; None (the closure runs) when that run gave some bodies unparsed blocks:
    the cache holds no such block, so a replay would load those bodies as left out."""
    try:
        if previous["with_unparsed"]:
            return None
        return Choice(tuple(tuple(c) for c in previous["chosen"]), frozenset(previous["whole"]),
                      frozenset(previous["bodied"]), dict(previous["mentions"]), dict(previous["lookups"]))
    except (KeyError, TypeError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class Reparsed:
    """A changed file that the previous run parsed, parsed again the same way (whole, or as a skeleton
    with the same bodies), and cached under its new content: how it compares with the previous parse."""

    same_summaries: bool  # what the closure reads of it is as it was, lines included
    lines: LineMap | None  # the trees are the previous ones but for their lines (pbtlint.line_map)
    parsed: ParsedFile  # the new parse without its tree (pragmas, front-end findings, lines)


def same_choice(previous: dict, changed: Sequence[Changed], reparsed: dict[Path, Reparsed | None],
                mentions_same: Callable[[Changed], bool]) -> Choice | None:
    """The previous run's choice when it still holds for ``changed`` (see the module doc), else None;
    ``reparsed`` has each changed file that run parsed (:func:`reparse`)."""
    choice = previous_choice(previous)
    if choice is None or not changed:
        return None
    parsed = set(previous.get("parsed", ()))
    for f in changed:
        if not declares_and_mentions_the_same(f, mentions_same):
            return None
        if str(f.path) in parsed:
            again = reparsed.get(f.path)
            if f.old_index != f.new_index or again is None or not again.same_summaries:
                return None
    return choice


def declares_and_mentions_the_same(f: Changed, mentions_same: Callable[[Changed], bool]) -> bool:
    """Whether what the closure reads of ``f`` without parsing it, its declarations (as the index
    has them, line ranges aside) and its page-name mentions, is as it was."""
    return (f.old_index is not None and f.new_index is not None
            and f.old_index.signature() == f.new_index.signature() and mentions_same(f))


def declares_the_same_but_lines(f: Changed) -> bool:
    """Whether ``f`` declares what it did, wherever (the check before parsing it again to find where)."""
    old, new = f.old_index, f.new_index
    if old is None or new is None:
        return False

    def unplaced(index: FileIndex) -> tuple[object, ...]:  # the signature without its lines
        objects, procedures, subscribers, has_markers, marker_lines = index.signature()
        return (tuple(dataclasses.replace(o, line=0) for o in objects), procedures,  # type: ignore[attr-defined]
                tuple(dataclasses.replace(s, line=0) for s in subscribers),  # type: ignore[attr-defined]
                has_markers, len(marker_lines))  # type: ignore[arg-type]
    return unplaced(old) == unplaced(new)


def declares_the_same_moved(f: Changed, lines: LineMap) -> bool:
    """Whether ``f`` declares what it did, on the lines ``lines`` moved its declarations to (see
    :func:`pbtlint.line_map.moved_lines`)."""
    old, new = f.old_index, f.new_index
    if old is None or new is None:
        return False
    if old == new:
        return True

    def moved(items: tuple, *fields: str) -> tuple | None:
        out = []
        for item in items:
            now = moved_lines(lines, [getattr(item, name) for name in fields])
            if now is None:
                return None
            out.append(dataclasses.replace(item, **dict(zip(fields, now, strict=True))))
        return tuple(out)

    # a procedure's end line follows from the next header's line, the next object's and the file's last
    # line (declindex): with those on their moved lines, it is where it should be, wherever the edit was
    old_procs = tuple(dataclasses.replace(p, end_line=0) for p in old.procedures)
    new_procs = tuple(dataclasses.replace(p, end_line=0) for p in new.procedures)
    marker_lines = moved_lines(lines, old.marker_lines)
    return (moved(old.objects, "line") == new.objects and moved(old_procs, "line") == new_procs
            and moved(old.subscribers, "line") == new.subscribers and old.has_markers == new.has_markers
            and marker_lines is not None and tuple(marker_lines) == new.marker_lines)


def index_line_map(f: Changed) -> LineMap | None:
    """For a changed file the previous run did not parse, whose index declares what it did (see
    :func:`declares_the_same_but_lines`): the new line of each line its declarations and markers were
    on, when they kept their order (the file's lines then moved around them, as a header comment added
    at the top moves them all); None otherwise."""
    old, new = f.old_index, f.new_index
    if old is None or new is None or not declares_the_same_but_lines(f):
        return None
    pairs = [*((a.line, b.line) for a, b in zip(old.objects, new.objects, strict=True)),
             *((a.line, b.line) for a, b in zip(old.procedures, new.procedures, strict=True)),
             *((a.line, b.line) for a, b in zip(old.subscribers, new.subscribers, strict=True)),
             *zip(old.marker_lines, new.marker_lines, strict=True)]
    return from_pairs(pairs)


worker_cache: Cache | None = None
"""The cache :func:`reparse_one` parses into (set before the workers are forked)."""


def reparse_one(item: tuple[Changed, bool], in_worker: bool) -> Reparsed | None:
    """:func:`reparse` of one file, whole or not, for :func:`pbtlint.parallel.run_parallel`."""
    f, whole = item
    return reparse(f, whole, worker_cache) if worker_cache is not None else None


def reparse(f: Changed, whole: bool, cache: Cache) -> Reparsed | None:
    """``f`` parsed whole or as a skeleton, as before, with the bodies parsed for it before parsed
    again, compared with the previous parse; None when that parse is not in the cache or the new one
    cannot be made the same way. The new parse and bodies are cached either way."""
    old_mode = f.old_key if whole else f.old_key + "-s"
    hit = cache.get_ast(old_mode)
    if not (isinstance(hit, tuple) and len(hit) == 2 and isinstance(hit[0], ParsedFile)):
        return None
    from pbtlint.skeleton import shown_as  # here: a run that only checks changed files' index needs no parser

    old_pf: ParsedFile = shown_as(hit[0], f.display)  # maybe cached by a run from another working folder
    old_summaries: list[ObjectSummary] = hit[1]
    pf, _, summaries = parse_summarized(f.path, f.display, f.symbols, whole)
    new_mode = f.new_key if whole else f.new_key + "-s"
    # cached as parsed, with its bodies still pending, the way the run caches a file
    if pf.unit is None or not _put(cache, new_mode, (pf, summaries)):
        return None
    lines = tree_line_map((old_pf.unit, old_pf.findings), (pf.unit, pf.findings))
    if whole:
        return _compared(summaries == old_summaries, lines, pf)
    bodies_of = f.real or real_path(f.path)  # the bodies cached for this file (the skeleton's key is its content's)
    entry = cache.get_ast(bodies_key(old_mode, bodies_of))
    old_facts = entry.get("facts", {}) if isinstance(entry, dict) else {}
    if not isinstance(old_facts, dict):
        return None
    from pbtlint.skeleton import body_nodes  # here: a run that only checks changed files' index needs no parser

    keys = sorted(old_facts)
    moved = [(lines.get(k[0], 0), k[1]) for k in keys] if lines is not None else keys  # the bodies' places now
    nodes = body_nodes(pf.unit)
    pending_new = {s.pending: s for obj in summaries for s in obj.procs if s.pending}
    pending_old = {s.pending: s for obj in old_summaries for s in obj.procs if s.pending}
    if any(k not in pending_old for k in keys) or any(k not in nodes or k not in pending_new for k in moved):
        return None
    bodies = [nodes[k].body for k in moved]
    spans = [(b.span.line, b.span.column, b.span.end_line, b.span.end_column) for b in bodies if b is not None]
    blocks, added = bodies_with_facts(f.path, f.display, f.symbols, spans,
                                      [(header(nodes[k]), pending_new[k].element) for k in moved])
    if len(spans) != len(keys) or any(a is None for a in added):
        return None
    facts = dict(zip(moved, added, strict=True))
    for old_key, key in zip(keys, moved, strict=True):
        pending_new[key].restore(facts[key])  # type: ignore[arg-type]
        pending_old[old_key].restore(old_facts[old_key])
    if keys:
        try:
            batch = _pickled(blocks)  # the form the run caches bodies in: as the workers send them
        except RecursionError:
            return None
        if not _put(cache, bodies_key(new_mode, bodies_of), {"batches": [(spans, batch)], "facts": facts}):
            return None
        if lines is not None:
            lines = _with_bodies(lines, entry, keys, blocks)
    return _compared(summaries == old_summaries, lines, pf)


def _compared(same_summaries: bool, lines: LineMap | None, new: ParsedFile) -> Reparsed:
    """The comparison's outcome, with the new parse kept without its tree."""
    return Reparsed(same_summaries, lines, dataclasses.replace(new, unit=None))


def _with_bodies(lines: LineMap, entry: dict, keys: list[tuple[int, int]], blocks: list[object]) -> LineMap | None:
    """``lines`` extended with the lines of the bodies parsed again, when each is the one the previous
    run parsed there but for its lines."""
    old_blocks: dict[tuple[int, int], object] = {}
    try:
        for _, data in entry.get("batches", ()):
            for block in pickle.loads(data):
                if block is not None:
                    old_blocks[(block.span.line, block.span.column)] = block
    except Exception:  # noqa: BLE001 - a damaged entry: no line map, the run analyzes as usual
        return None
    if any(k not in old_blocks for k in keys):
        return None
    more = tree_line_map([old_blocks[k] for k in keys], blocks)
    return extend(lines, more) if more is not None else None


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
