"""Name -> files tables over the declaration indexes of one project's files, for the fixpoint
(:mod:`pbtlint.closure`): who declares, extends and implements what, and who subscribes to which event.
"""

from __future__ import annotations

from collections.abc import Iterable

from pbtlint.declindex import FileIndex, id_reference
from pbtlint.nodes import norm
from pbtlint.summaries import EXTENSION_KINDS

Key = str  # a file, as the caller names it
PAGE_KINDS = frozenset({"page", "pageextension", "pagecustomization"})
RUN_TRIGGER_KINDS = frozenset({"codeunit", "report", "reportextension", "xmlport", "query"})  # objects run by id
_EVENT_TYPES = {"table": "table", "tableextension": "table", "page": "page", "pageextension": "page",
                "codeunit": "codeunit", "report": "report", "reportextension": "report", "xmlport": "xmlport",
                "query": "query"}


class Lookups:
    """Name -> files tables over the indexes of one project's files."""

    def __init__(self, indexes: dict[Key, FileIndex]) -> None:
        self.decl: dict[str, set[Key]] = {}
        self.ids: dict[int, set[Key]] = {}
        self.ext: dict[str, set[Key]] = {}
        self.impl: dict[str, set[Key]] = {}
        self.subs: dict[tuple[str, str], list[tuple[Key, str, str]]] = {}
        self.interfaces: set[str] = set()
        self.tables: set[str] = set()
        self.ids_of: dict[str, set[int]] = {}
        self.bases: dict[Key, set[str]] = {}
        parents: dict[str, set[str]] = {}
        implementers: list[tuple[Key, tuple[str, ...]]] = []
        for key, ix in indexes.items():
            for o in ix.objects:
                name = norm(o.name)
                base = o.extends if o.kind in EXTENSION_KINDS and o.extends else o.name
                self.bases.setdefault(key, set()).add(norm(base))
                self.decl.setdefault(name, set()).add(key)
                if o.id is not None:
                    self.ids.setdefault(o.id, set()).add(key)
                    by_id = id_reference(o.kind, o.id)  # a variable typed ``Page 50450`` names it so
                    if by_id:
                        self.decl.setdefault(by_id, set()).add(key)
                    self.ids_of.setdefault(name, set()).add(o.id)
                if o.extends and (o.kind in EXTENSION_KINDS):
                    self.ext.setdefault(norm(o.extends), set()).add(key)
                if o.kind == "interface":
                    self.interfaces.add(name)
                    parents[name] = {norm(p) for p in (*o.implements, *((o.extends,) if o.extends else ()))}
                elif o.implements:
                    implementers.append((key, o.implements))
                if o.kind == "table":
                    self.tables.add(name)
            for s in ix.subscribers:
                target = norm(s.object_name) if s.object_name is not None else str(s.object_id)
                self.subs.setdefault((s.object_type, target), []).append((key, norm(s.event), norm(s.procedure)))
        for key, names in implementers:
            todo = [norm(x) for x in names]
            seen: set[str] = set()
            while todo:
                i = todo.pop()
                if i in seen:
                    continue
                seen.add(i)
                self.impl.setdefault(i, set()).add(key)
                todo.extend(parents.get(i, ()))

    def family(self, base: str) -> set[Key]:
        return self.decl.get(base, set()) | self.ext.get(base, set())

    def file_family(self, key: Key) -> list[Key]:
        """The file and every file declaring an object of the same family (base and extensions), sorted
        (what the fixpoint does with them, in this order, does not then depend on string hashing)."""
        out = {key}
        for base in self.bases.get(key, ()):
            out |= self.family(base)
        return sorted(out)

    def subscribers(self, kind: str, name: str, event: str | None) -> list[tuple[Key, str]]:
        t = _EVENT_TYPES.get(kind)
        if t is None:
            return []
        out: list[tuple[Key, str]] = []
        for target in (name, *(str(i) for i in self.ids_of.get(name, ()))):
            for key, ev, proc in self.subs.get((t, target), ()):
                if event is None or ev == event:
                    out.append((key, proc))
        return out


Group = tuple[tuple[str, ...], tuple[str, ...]]


def mention_groups(indexes: dict[Key, FileIndex], files: Iterable[Key]) -> list[Group]:
    """For each page file of the background-task objects: the page names (and what they extend) and
    the names of their procedures other code can call. A caller's text mentions both. Callers of the
    codeunits and tables in those families are not needed: background code starts at a task's
    ``OnRun``, and what an enqueue site passes comes from the page and the page's callers."""
    out: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    for key in files:
        ix = indexes[key]
        if not any(o.kind in PAGE_KINDS for o in ix.objects):
            continue  # only a page's callers can feed its enqueue sites (a codeunit id, parameters)
        names = {n for o in ix.objects for n in (o.name, o.extends, id_reference(o.kind, o.id)) if n}
        callable_ = {p.name for p in ix.procedures if p.kind == "procedure" and p.access != "local"}
        if names and callable_:
            out.append((tuple(sorted(names)), tuple(sorted(callable_))))
    return sorted(set(out))
