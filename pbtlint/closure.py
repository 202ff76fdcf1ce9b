"""Which files demand-driven analysis must parse: a fixpoint over declaration indexes and parsed files.

Start from the files that mention page background tasks (and the other objects of their page or
table families), parse them, and follow what their procedures can reach by name: the objects their
code and declarations name (variables' types, ``Codeunit::X``, ``Database::X``, object ids), those
objects' extensions, the implementers of interfaces named, and the subscribers of the events that
reachable code raises (publisher procedures called, table operations on tables named). A procedure
of a parsed file is reachable when its name is called by reachable code, when it is a trigger that
the call graph may enter (``OnRun`` of a codeunit named, table triggers of a table written to), or
when it subscribes to a raised event. Callers of the background-task objects' procedures are found
through a text scan for the objects' names (:func:`mentions`). Everything is over-approximated by
name, so that the project built from the chosen files resolves the reachable code exactly as the
whole project does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from pbtlint import nodes as n
from pbtlint.declindex import FileIndex, last_segment
from pbtlint.model import property_text
from pbtlint.nodes import norm
from pbtlint.walk import iter_nodes

Key = str  # a file, as the caller names it
_EXTENSION_KINDS = {"tableextension", "pageextension", "reportextension", "enumextension",
                    "permissionsetextension", "pagecustomization", "profileextension"}
_EVENT_TYPES = {"table": "table", "tableextension": "table", "page": "page", "pageextension": "page",
                "codeunit": "codeunit", "report": "report", "reportextension": "report", "xmlport": "xmlport",
                "query": "query"}
_RUN_TRIGGER_KINDS = {"codeunit", "report", "reportextension", "xmlport", "query"}
_TABLE_OPS = {"insert": "insert", "modify": "modify", "modifyall": "modify", "delete": "delete",
              "deleteall": "delete", "rename": "rename", "validate": "validate"}
# Calls that run an object's triggers: Codeunit.Run, Report.RunModal, XmlPort.Import, page background tasks.
_RUN_NAMES = frozenset({"run", "runmodal", "execute", "print", "saveas", "saveasexcel", "saveashtml", "saveaspdf",
                        "saveasword", "saveasxml", "runrequestpage", "import", "export", "enqueuebackgroundtask",
                        "open"})
_TRIGGER_OPS = {f"on{when}{op}": op for op in ("insert", "modify", "delete", "rename")
                for when in ("", "before", "after")}


# --------------------------------------------------------------------------- summaries of parsed files


@dataclass(slots=True)
class ProcSummary:
    """A procedure or trigger: the names and integers its code and declarations use; ``element`` is the
    field (or control) a trigger sits on; ``returns`` the object names of its return type."""

    name: str
    trigger: bool
    publisher: bool
    names: frozenset[str]
    ints: frozenset[int]
    element: str = ""
    returns: frozenset[str] = frozenset()


@dataclass(slots=True)
class ObjectSummary:
    kind: str
    name: str
    id: int | None
    base: str
    table: str | None
    globals: dict[str, frozenset[str]]
    procs: list[ProcSummary]


def _type_names(t: n.TypeRef | None, out: set[str]) -> None:
    while t is not None:
        if t.object_name:
            out.add(norm(last_segment(t.object_name)))
            out.add(norm(t.object_name))
        for a in t.args:
            _type_names(a, out)
        t = None


def _proc_summary(proc: n.Procedure, element: str = "") -> ProcSummary:
    names: set[str] = set()
    ints: set[int] = set()
    for p in proc.parameters:
        _type_names(p.type, names)
    for v in proc.variables:
        _type_names(v.type, names)
    _type_names(proc.return_type, names)
    if proc.body is not None:
        for node in iter_nodes(proc.body):
            if isinstance(node, n.Identifier):
                names.add(norm(node.name))
            elif isinstance(node, n.MemberAccess):
                names.add(norm(node.member))
            elif isinstance(node, n.ScopeAccess):
                names.add(norm(node.right))
            elif isinstance(node, n.TypeTest):
                names.add(norm(last_segment(node.type_name)))
            elif isinstance(node, n.LiteralValue) and node.kind == "integer" and node.value.isdigit():
                ints.add(int(node.value))
    publisher = any(norm(a.name) in ("integrationevent", "businessevent", "internalevent") for a in proc.attributes)
    returns: set[str] = set()
    _type_names(proc.return_type, returns)
    return ProcSummary(norm(proc.name), proc.kind == "trigger", publisher, frozenset(names), frozenset(ints),
                       element, frozenset(returns))


def _element_globals(obj: n.AlObject, out: dict[str, frozenset[str]], procs: list[ProcSummary]) -> None:
    stack = list(obj.sections)
    while stack:
        el = stack.pop()
        refs: set[str] = set()
        _type_names(el.type, refs)
        if el.source is not None:
            for node in iter_nodes(el.source):
                if isinstance(node, n.Identifier):
                    refs.add(norm(node.name))
                elif isinstance(node, n.MemberAccess):
                    refs.add(norm(node.member))
        refs.update(norm(a.strip().strip('"').replace('""', '"')) for a in el.args[1:2])
        if el.name and refs:
            out[norm(el.name)] = frozenset(refs) | out.get(norm(el.name), frozenset())
        for v in el.variables:
            names: set[str] = set()
            _type_names(v.type, names)
            out[norm(v.name)] = frozenset(names)
        procs.extend(_proc_summary(t, norm(el.name or "")) for t in el.triggers)
        stack.extend(el.children)


def summarize(unit: n.CompilationUnit) -> list[ObjectSummary]:
    """What the fixpoint needs of each object of a parsed file."""
    out: list[ObjectSummary] = []
    for obj in unit.objects:
        globals_: dict[str, frozenset[str]] = {}
        for v in obj.variables:
            names: set[str] = set()
            _type_names(v.type, names)
            globals_[norm(v.name)] = frozenset(names)
        procs = [_proc_summary(p) for p in (*obj.triggers, *obj.procedures)]
        _element_globals(obj, globals_, procs)
        props = {norm(p.name): p for p in obj.properties}
        table: str | None = None
        if obj.kind == "table":
            table = obj.name
        elif obj.kind == "tableextension":
            table = obj.extends
        elif "sourcetable" in props:
            table = property_text(props["sourcetable"])
        elif "tableno" in props:
            table = property_text(props["tableno"])
        base = obj.extends if obj.kind in _EXTENSION_KINDS and obj.extends else obj.name
        out.append(ObjectSummary(obj.kind, obj.name, obj.id, norm(last_segment(base)),
                                 norm(last_segment(table)) if table else None, globals_, procs))
    return out


# --------------------------------------------------------------------------- lookups over the index


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
                base = o.extends if o.kind in _EXTENSION_KINDS and o.extends else o.name
                self.bases.setdefault(key, set()).add(norm(base))
                self.decl.setdefault(name, set()).add(key)
                if o.id is not None:
                    self.ids.setdefault(o.id, set()).add(key)
                    self.ids_of.setdefault(name, set()).add(o.id)
                if o.extends and (o.kind in _EXTENSION_KINDS):
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

    def file_family(self, key: Key) -> set[Key]:
        """The file and every file declaring an object of the same family (base and extensions)."""
        out = {key}
        for base in self.bases.get(key, ()):
            out |= self.family(base)
        return out

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


# --------------------------------------------------------------------------- the fixpoint


@dataclass(slots=True)
class _State:
    included: list[Key] = field(default_factory=list)
    included_set: set[Key] = field(default_factory=set)
    to_parse: list[Key] = field(default_factory=list)
    parsed: dict[Key, list[ObjectSummary]] = field(default_factory=dict)
    all_procs: set[Key] = field(default_factory=set)
    wants: dict[Key, set[str]] = field(default_factory=dict)
    run: set[Key] = field(default_factory=set)
    ops: dict[Key, set[str]] = field(default_factory=dict)
    links: dict[Key, set[Key]] = field(default_factory=dict)
    forced: set[tuple[Key, str]] = field(default_factory=set)
    reached: set[int] = field(default_factory=set)
    work: list[tuple[Key, ObjectSummary, ProcSummary]] = field(default_factory=list)


def mention_names(indexes: dict[Key, FileIndex], seeds: Iterable[Key]) -> list[str]:
    """The names of the background-task objects (seed files' objects and their bases)."""
    out: set[str] = set()
    for key in seeds:
        for o in indexes[key].objects:
            out.add(o.name)
            if o.extends:
                out.add(o.extends)
    return sorted(out)


class _Fixpoint:
    def __init__(self, files: Sequence[Key], indexes: dict[Key, FileIndex]) -> None:
        self.files = files
        self.indexes = indexes
        self.look = Lookups({k: indexes[k] for k in files})
        self.st = _State()
        self.seed_names: set[str] = set()
        self.seed_procs: set[str] = set()

    # ------------------------------------------------------------------ inclusion and wants

    def include(self, keys: Iterable[Key]) -> None:
        st = self.st
        for k in keys:
            if k not in st.included_set:
                st.included_set.add(k)
                st.included.append(k)
                st.to_parse.append(k)
                self.include(self.look.file_family(k))

    def want(self, key: Key, names: Iterable[str], run: bool, ops: set[str]) -> None:
        """Code that names ``key``'s objects calls ``names`` on them (and runs them, and writes them)."""
        st = self.st
        have = st.wants.setdefault(key, set())
        new = set(names) - have
        changed = bool(new)
        have |= new
        if run and key not in st.run:
            st.run.add(key)
            changed = True
        new_ops = ops - st.ops.get(key, set())
        if new_ops:
            st.ops.setdefault(key, set()).update(new_ops)
            changed = True
        if not changed:
            return
        self.reconsider(key)
        for other in list(st.links.get(key, ())):
            self.want(other, new, run, new_ops)

    def reachable(self, key: Key, obj: ObjectSummary, proc: ProcSummary) -> bool:
        st = self.st
        if key in st.all_procs or (key, proc.name) in st.forced:
            return True
        if not proc.trigger:
            if proc.name in st.wants.get(key, ()):
                return True
        elif obj.kind in _RUN_TRIGGER_KINDS:
            if key in st.run:
                return True
        elif obj.kind in ("table", "tableextension"):
            ops = st.ops.get(key, ())
            if proc.element:
                if "validate" in ops and proc.element in st.wants.get(key, ()):
                    return True
            elif _TRIGGER_OPS.get(proc.name) in ops:
                return True
        if self.seed_names and proc.names & self.seed_procs:
            return bool(_refs(obj, proc) & self.seed_names)
        return False

    def reconsider(self, key: Key) -> None:
        for obj in self.st.parsed.get(key, ()):
            for proc in obj.procs:
                if id(proc) not in self.st.reached and self.reachable(key, obj, proc):
                    self.reach(key, obj, proc)

    def reach(self, key: Key, obj: ObjectSummary, proc: ProcSummary) -> None:
        st = self.st
        if id(proc) in st.reached:
            return
        st.reached.add(id(proc))
        st.work.append((key, obj, proc))

    # ------------------------------------------------------------------ the loop

    def run(self, parse: Callable[[list[Key]], dict[Key, list[ObjectSummary]]],
            mentioned: Callable[[list[str]], set[Key]]) -> list[Key]:
        st, look, indexes, files = self.st, self.look, self.indexes, self.files
        order = {k: i for i, k in enumerate(files)}
        seeds = [k for k in files if indexes[k].has_markers]
        self.seed_names = {norm(x) for x in mention_names(indexes, seeds)}
        for k in seeds:
            for f in look.file_family(k):
                st.all_procs.add(f)
                self.seed_procs.update(norm(p.name) for p in indexes[f].procedures)
        self.include(seeds)
        self.include(sorted(st.all_procs, key=order.__getitem__))
        if self.seed_names:
            hits = mentioned(sorted(self.seed_names))
            self.include(k for k in files if k in hits)
        while st.to_parse or st.work:
            if st.to_parse:
                batch, st.to_parse = st.to_parse, []
                for key, objs in parse(batch).items():
                    st.parsed[key] = objs
                    self.reconsider(key)
            while st.work:
                self.process(*st.work.pop())
        return sorted(st.included, key=order.__getitem__)

    def process(self, key: Key, obj: ObjectSummary, proc: ProcSummary) -> None:
        """Follow one reachable procedure: the names it calls, the objects it names, the events it raises."""
        st, look = self.st, self.look
        names = proc.names
        run = bool(names & _RUN_NAMES)
        ops = {op for name, op in _TABLE_OPS.items() if name in names}
        for f in look.file_family(key):  # unqualified calls, this, extensions calling their base
            self.want(f, names, False, set())
        refs = set(names)
        fam_globals = _family_globals(st, look, obj)
        for name in names & fam_globals.keys():
            refs |= fam_globals[name]
        if obj.table:
            refs.add(obj.table)
        targets: set[Key] = set()
        for name in refs:
            targets |= look.decl.get(name, set())
            if name in look.interfaces:
                targets |= look.impl.get(name, set())
        for i in proc.ints:
            targets |= look.ids.get(i, set())
        self.include(sorted(targets))
        for t in targets:
            for f in look.file_family(t):
                self.want(f, names, run, ops)
        if proc.returns:  # X.Get().Member(): what callers call on the result
            returned: set[Key] = set()
            for name in proc.returns:
                returned |= look.decl.get(name, set())
            self.include(sorted(returned))
            for t in returned:
                for f in look.file_family(t):
                    for k in look.file_family(key):
                        st.links.setdefault(k, set()).add(f)
                        self.want(f, st.wants.get(k, set()), k in st.run, st.ops.get(k, set()))
        events: list[tuple[str, str, str | None]] = []
        if proc.publisher:
            events.append((obj.kind, obj.base, proc.name))
        if ops:
            for name in refs & look.tables:
                for op in ops:
                    for when in ("before", "after"):
                        events.append(("table", name, f"on{when}{op}event"))
        for kind, name, event in events:
            for f, sub in look.subscribers(kind, name, event):
                if (f, sub) not in st.forced:
                    st.forced.add((f, sub))
                    self.include((f,))
                    self.reconsider(f)


def closure(files: Sequence[Key], indexes: dict[Key, FileIndex],
            parse: Callable[[list[Key]], dict[Key, list[ObjectSummary]]],
            mentioned: Callable[[list[str]], set[Key]]) -> list[Key]:
    """The files to parse, in ``files`` order. ``parse`` parses a batch and summarizes it; ``mentioned``
    returns the files whose text mentions any of the names given."""
    return _Fixpoint(files, indexes).run(parse, mentioned)


def _family_globals(st: _State, look: Lookups, obj: ObjectSummary) -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    for f in look.family(obj.base):
        for o in st.parsed.get(f, ()):
            if o.base == obj.base:
                for k, v in o.globals.items():
                    out[k] = out.get(k, frozenset()) | v
    return out


def _refs(obj: ObjectSummary, proc: ProcSummary) -> set[str]:
    refs = set(proc.names)
    for name in proc.names & obj.globals.keys():
        refs |= obj.globals[name]
    refs.add(obj.base)
    if obj.table:
        refs.add(obj.table)
    return refs
