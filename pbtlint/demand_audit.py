"""Whether the analyses of a demand-driven project read anything a full parse would have filled in.

:mod:`pbtlint.audit` notes each read of a body the fixpoint left out, and each question for the
callers of a procedure. A full parse could only have answered differently when the text has
something there:

- a body read for some words (an enqueue site, a global's name) and whose text has none of them
  would have given nothing; any other read of a left-out body is unmet;
- the callers of a procedure are complete when every file that mentions its object and names it
  (as a word) is in the project, and none of the bodies left out there names it.

:func:`unmet` turns what is unmet into an :class:`~pbtlint.audit.Extra` for the fixpoint's next run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from pbtlint.audit import ElidedBlock, Extra, Needs, Words
from pbtlint.declindex import MARKER_WORDS, FileIndex, ObjectDecl, id_reference
from pbtlint.frontend import ParsedFile
from pbtlint.model import Model, ObjectInfo, ProcInfo
from pbtlint.nodes import norm
from pbtlint.skeleton import body_nodes

Group = tuple[tuple[str, ...], tuple[str, ...]]
Scan = Callable[[list[Group]], list[set[Path]]]
"""The files whose text mentions, for each group, one of its names and one of its procedures."""


def caller_group(proc: ProcInfo) -> Group | None:
    """What a caller of ``proc`` mentions: a name of its object (or what the object extends or
    implements, or its id as a variable's type, ``Codeunit 50100``; the bare id for ``OnRun``) and the
    procedure's name (``run`` for ``OnRun``); :func:`unmet` adds the pages through which code names it
    otherwise (:func:`_with_host_pages`) and the objects whose functions return its object
    (:func:`_with_returners`). None for other triggers: the runtime enters them, no code
    calls them by name."""
    owner = proc.owner
    return _group((owner.name, owner.node.extends or "", *owner.node.implements), owner.kind, owner.node.id,
                  proc.name, proc.is_trigger)


def _group(names: Iterable[str], kind: str, object_id: int | None, proc_name: str, trigger: bool) -> Group | None:
    """The caller group of a procedure or trigger of an object (see :func:`caller_group`)."""
    found = {*names, id_reference(kind, object_id)}
    if not trigger:
        return tuple(sorted(x for x in found if x)), (proc_name,)
    if norm(proc_name) != "onrun":
        return None
    return tuple(sorted(x for x in (*found, str(object_id) if object_id is not None else "") if x)), ("run",)


def unmet(needs: Needs, model: Model, by_display: Mapping[str, Path], chosen: Iterable[Path],
          units: Mapping[Path, ParsedFile], lines_of: Callable[[Path, str, bool | None], set[int]], scan: Scan,
          index_of: Callable[[Path], FileIndex | None], whole: Iterable[Group] = ()) -> Extra:
    """What of ``needs`` a full parse might have answered otherwise (see the module doc)."""
    bodies: set[tuple[object, int]] = set()
    named: dict[tuple[Path, str, bool | None], set[int]] = {}  # lines of a file that name a word

    def naming(path: Path, word: str, assigned: bool | None = None) -> set[int]:
        key = (path, word, assigned)
        if key not in named:
            index = index_of(path) if word in MARKER_WORDS else None
            if index is not None:  # the index has the lines of these words: no need to read the file
                named[key] = set(index.marker_lines)
            else:
                named[key] = lines_of(path, word, assigned)
        return named[key]

    for (shown, line, _, end_line), words in needs.bodies.items():
        path = by_display.get(shown)
        if path is None:
            continue
        if words is None or any(line <= at <= end_line
                                for word, assigned in words for at in naming(path, word, assigned)):
            bodies.add((path, line))
    roots: dict[str, tuple[Group, Words | None]] = {}  # the callers asked for, by their group
    parsed_whole = [(set(names), {norm(x) for x in procs}) for names, procs in whole]
    for key, words in sorted(needs.callers.items()):
        proc = model.procs.get(key)
        group = caller_group(proc) if proc is not None else None
        path = by_display.get(proc.path) if proc is not None else None
        if group is None or path is None:
            continue
        if proc.node.access == "local":  # its callers are in its own object: bodies there that name it
            lines = {line for name in group[1] for line in naming(path, norm(name))}
            if words is None or any(naming(path, w, a) for w, a in words):
                bodies.update((path, line) for line in _left_out_naming(units.get(path), lines))
        else:
            roots[key] = (group, words)
    _with_host_pages(roots, model, scan, index_of)
    _with_returners(roots, (index_of(p) for p in by_display.values()))
    for key, ((names, procs), _) in list(roots.items()):  # the callers of a page whose mentions were parsed
        if any(set(names) <= whole_names and norm(procs[0]) in whole_procs  # whole are all there
               for whole_names, whole_procs in parsed_whole):
            del roots[key]
    # A caller found may be asked for its own callers in turn (a try function up to three calls up):
    # its callers are looked for now, by the index's procedure lines, rather than in another round.
    members = set(chosen)
    hits_of: dict[Group, set[Path]] = {}  # the files that name the group's procedure
    missing_of: dict[Group, bool] = {}  # whether one of them is not parsed where it names it
    next_of: dict[Group, set[Group]] = {}  # the groups of the procedures there that name it
    level = {group for group, _ in roots.values()}
    for _ in range(_CALLER_LEVELS):
        todo = sorted(level - hits_of.keys())
        if not todo:
            break
        level = set()
        for group, hits in zip(todo, scan(todo), strict=True):
            hits_of[group], missing_of[group], next_of[group] = set(), False, set()
            for path in sorted(hits):
                lines = {line for name in group[1] for line in naming(path, norm(name))}
                if not lines:
                    continue
                hits_of[group].add(path)
                if path not in members or _left_out_naming(units.get(path), lines):
                    missing_of[group] = True
                    next_of[group] |= _groups_around(index_of(path), lines)
            level |= next_of[group]
    missing: set[Group] = set()
    for group, words in roots.values():
        chain, files, todo = set(), set(), [group]
        while todo:  # the groups found from this one (the scan above bounded their depth)
            g = todo.pop()
            if g in chain or g not in hits_of:
                continue
            chain.add(g)
            files |= hits_of[g]
            todo.extend(next_of[g] if missing_of[g] else ())
        if words is None or any(naming(path, w, a) for path in files for w, a in words):
            missing |= {g for g in chain if missing_of[g]}
    return Extra(frozenset(bodies), frozenset(missing))


_CALLER_LEVELS = 4  # a procedure's callers, and theirs up to three calls up (dictionaries.inside_try_function)


def _with_host_pages(roots: dict[str, tuple[Group, Words | None]], model: Model, scan: Scan,
                     index_of: Callable[[Path], FileIndex | None]) -> None:
    """Add to the caller group of each procedure in ``roots`` the pages through which code names it
    without naming its object: the pages of a table (a page extension calls the table's procedure as
    ``Rec.Name()``) and the pages that hold a page as a part (``CurrPage.Lines.Page.Name()`` in the
    host's extensions). Those the model does not hold are found too: a file that names the object
    and ``SourceTable`` (or ``part``) gives its page objects, a superset."""
    searches: dict[str, Group] = {}
    for key in roots:
        owner = model.procs[key].owner
        if owner.table is not None and owner.kind in ("table", "tableextension"):
            searches[key] = (_names_and_id(owner.table), ("sourcetable",))
        elif owner.kind == "page":
            searches[key] = (_names_and_id(owner), ("part",))
    if not searches:
        return
    todo = sorted(set(searches.values()))
    pages: dict[Group, set[str]] = {}
    for group, hits in zip(todo, scan(todo), strict=True):
        pages[group] = set()
        for path in hits:
            index = index_of(path)
            for o in index.objects if index is not None else ():
                if o.kind == "page":
                    pages[group] |= {x for x in (o.name, id_reference(o.kind, o.id)) if x}
    for key, search in searches.items():
        (names, procs), words = roots[key]
        roots[key] = (tuple(sorted(set(names) | (pages[search] - set(search[0])))), procs), words


def _with_returners(roots: dict[str, tuple[Group, Words | None]], indexes: Iterable[FileIndex | None]) -> None:
    """Add to the caller group of each procedure in ``roots`` the objects with a function that returns
    one of the group's objects (by the index's procedure headers): ``F.Task().Read()`` names ``F``'s
    object and ``Read``, not the codeunit ``Task()`` returns. Functions that return those objects in
    turn count too, up to :data:`_CALLER_LEVELS` deep."""
    if not roots:
        return
    returners: dict[str, set[str]] = {}  # an object's name (or id reference) -> the objects returning it
    for index in indexes:
        for proc in index.procedures if index is not None and index.objects else ():
            if proc.returns:
                obj = _object_at(index, proc.line)
                returners.setdefault(norm(proc.returns), set()).update(
                    x for x in (obj.name, id_reference(obj.kind, obj.id)) if x)
    if not returners:
        return
    for key, ((names, procs), words) in list(roots.items()):
        found, level = set(names), set(names)
        for _ in range(_CALLER_LEVELS):
            level = {x for name in level for x in returners.get(norm(name), ())} - found
            if not level:
                break
            found |= level
        if len(found) > len(names):
            roots[key] = (tuple(sorted(found)), procs), words


def _object_at(index: FileIndex, line: int) -> ObjectDecl:
    """The object of a file (by its index, which holds one at least) whose declaration holds ``line``."""
    return max((o for o in index.objects if o.line <= line), key=lambda o: o.line, default=index.objects[0])


def _names_and_id(obj: ObjectInfo) -> tuple[str, ...]:
    """How a property names an object: by name, or by its bare id (``SourceTable = 50452``)."""
    return tuple(sorted(x for x in (obj.name, str(obj.id or "")) if x))


def _groups_around(index: FileIndex | None, lines: set[int]) -> set[Group]:
    """The caller groups of the procedures of a file (by its index) that hold one of ``lines``."""
    if index is None or not index.objects:
        return set()
    out: set[Group] = set()
    for proc in index.procedures:
        if not any(proc.line <= line <= proc.end_line for line in lines):
            continue
        obj = _object_at(index, proc.line)
        group = _group((obj.name, obj.extends or "", *obj.implements), obj.kind, obj.id, proc.name,
                       proc.kind == "trigger")
        if group is not None:
            out.add(group)
    return out


def _left_out_naming(pf: ParsedFile | None, lines: set[int]) -> list[int]:
    """Where the bodies left out of ``pf`` that hold one of ``lines`` begin (all of ``lines`` when the
    file was not parsed)."""
    if pf is None or pf.unit is None:
        return sorted(lines)
    out: list[int] = []
    for proc in body_nodes(pf.unit).values():
        body = proc.body
        if isinstance(body, ElidedBlock) and any(body.span.line <= line <= body.span.end_line for line in lines):
            out.append(body.span.line)
    return out
