"""Which files demand-driven analysis must parse: a fixpoint over declaration indexes and parsed files.

Start from the files that mention page background tasks (and the other objects of their page or
table families), parse them, and follow what their procedures can reach by name: the objects their
code and declarations name (variables' types, ``Codeunit::X``, ``Database::X``, object ids), those
objects' extensions, the implementers of interfaces named, and the subscribers of the events that
reachable code raises (publisher procedures called, table operations on tables named). A procedure
of a parsed file is reachable when its name is called by reachable code, when it is a trigger that
the call graph may enter (``OnRun`` of a codeunit named, table triggers of a table written to with
its triggers run: ``Modify(true)`` or ``Modify(X)``, not ``Modify()``), or when it subscribes to a
raised event. Callers of the background-task objects' procedures are found
through a text scan for the objects' names (:func:`mentions`). The procedures of a background-task
page that hold a marker (enqueue sites, completion and error triggers) and what they call are
foreground code, followed only for the values that reach a task (:mod:`pbtlint.closure_foreground`).
Everything is over-approximated by name, so that the project built from the chosen files resolves the
reachable code exactly as the whole project does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from pbtlint.audit import Extra
from pbtlint.closure_foreground import Foreground
from pbtlint.closure_gate import Gate
from pbtlint.closure_lookups import PAGE_KINDS, RUN_TRIGGER_KINDS, Group, Key, Lookups, mention_groups
from pbtlint.closure_readers import Readers, family_globals, object_refs, proc_refs
from pbtlint.closure_state import FixpointState
from pbtlint.declindex import FileIndex
from pbtlint.nodes import norm
from pbtlint.pickling import fast_pickling
from pbtlint.summaries import TRIGGERS, ObjectSummary, ProcSummary

_TRIGGER_OPS = {f"on{when}{op}": op for op in ("insert", "modify", "delete", "rename")
                for when in ("", "before", "after")}


# --------------------------------------------------------------------------- the fixpoint


class Fixpoint(Readers, Foreground, Gate):
    def __init__(self, files: Sequence[Key], indexes: dict[Key, FileIndex],
                 lines_naming: LinesNaming | None = None, extra: Extra | None = None,
                 seeds: Sequence[Key] | None = None) -> None:
        self.files = files
        self.order = {k: i for i, k in enumerate(files)}  # a file's place in ``files``
        self.seeds = seeds
        self.lines_naming = lines_naming
        self.indexes = indexes
        self.look = Lookups({k: indexes[k] for k in files})
        self.st = FixpointState()
        self.seed_names: set[str] = set()
        self.seed_procs: set[str] = set()
        self.tables: dict[Key, tuple[dict, dict, dict, list]] = {}
        self.waiting: list[tuple[Key, ObjectSummary, ProcSummary]] = []
        self.waiting_callers: list[tuple[Key, ObjectSummary, ProcSummary]] = []
        self.extra = extra or Extra()
        self.groups: list[Group] = []  # the page mention groups (their files are parsed whole)
        self.extra_lines: dict[Key, set[int]] = {}  # lines where extra bodies begin or extra names are
        self.gate_init(None)
        self.started = False

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
        names = set(names)
        self.wanted_openly(key, names, run)
        have = st.wants.setdefault(key, set())
        new = names - have
        have |= new
        new_run = run and key not in st.run
        if new_run:
            st.run.add(key)
        new_ops = ops - st.ops.get(key, set())
        if new_ops:
            st.ops.setdefault(key, set()).update(new_ops)
        if not (new or new_run or new_ops):
            return
        table = self.tables.get(key)
        if table is not None:
            by_name, by_element, by_op, run_triggers = table
            for name in sorted(new):  # sorted here and below: the order of the work is not the hashes'
                for item in by_name.pop(name, ()):
                    self.reach(key, *item)
            if new_run:
                for item in run_triggers:
                    self.reach(key, *item)
                run_triggers.clear()
            for op in new_ops:
                for item in by_op.pop(op, ()):
                    self.reach(key, *item)
            if "validate" in st.ops.get(key, ()):
                for element in new if "validate" not in new_ops else have:
                    for item in by_element.pop(element, ()):
                        self.reach(key, *item)
        for other in list(st.links.get(key, ())):
            self.want(other, new, run, new_ops)

    def force(self, key: Key, proc_name: str) -> None:
        if (key, proc_name) in self.st.forced:
            return
        self.st.forced.add((key, proc_name))
        self.include((key,))
        table = self.tables.get(key)
        if table is not None:
            for item in table[0].pop(proc_name, ()):
                self.reach(key, *item)

    def seed_proc(self, key: Key, proc: ProcSummary) -> bool:
        """The procedures of a background-task file that hold a marker (enqueue sites, completion and
        error triggers, parameter and result calls). Of its other procedures, those of codeunits and
        tables, and those of pages that call a marker procedure or share a global variable with one,
        are read as callers (:meth:`reach_caller`: their bodies and what they call directly, but not
        beyond), and followed in full only when reachable code calls them. The objects a page names
        with ``Codeunit::X`` (task codeunits kept in variables) are loaded."""
        if key not in self.st.all_procs:
            return False
        first, last = proc.lines
        return any(first <= line <= last for line in self.indexes[key].marker_lines)

    def seed_extra(self, mentioned: Callable[[list[Group]], set[Key]], extra: Extra | None = None
                   ) -> dict[Key, set[int]]:
        """The lines of :attr:`extra` bodies (or of ``extra``'s only), and of the mentions of an extra
        group's procedures in the files that mention the group, are noted and their files included;
        the lines new, by file."""
        extra = self.extra if extra is None else extra
        added: dict[Key, set[int]] = {}

        def note(key: Key, lines: Iterable[int]) -> None:
            new = set(lines) - self.extra_lines.get(key, set())
            if new:
                self.extra_lines.setdefault(key, set()).update(new)
                added.setdefault(key, set()).update(new)

        for key, line in sorted(extra.bodies):  # sorted: the order of the work does not depend on hashing
            note(key, (line,))  # type: ignore[arg-type]
        for group in sorted(extra.groups) if self.lines_naming is not None else ():
            hits = mentioned([group])
            for key in (k for k in self.files if k in hits):
                for name in group[1]:
                    note(key, self.lines_naming(key, norm(name), None))
        self.include(k for k in self.files if k in added)
        return added

    def add_extra(self, extra: Extra, mentioned: Callable[[list[Group]], set[Key]]) -> None:
        """What an audit found missing, added once the fixpoint has run (see :meth:`seed_extra`): in files
        parsed already, the procedures at the new lines are read as callers now (:meth:`parsed`: the rest)."""
        new = Extra(extra.bodies - self.extra.bodies, extra.groups - self.extra.groups)
        self.extra = self.extra | extra
        for key, lines in self.seed_extra(mentioned, new).items():
            for obj in self.st.parsed.get(key, ()):
                for proc in obj.procs:
                    if any(proc.lines[0] <= line <= proc.lines[1] for line in lines):
                        self.reach_caller(key, obj, proc)

    def page_names(self, key: Key, objs: list[ObjectSummary]) -> frozenset[str]:
        """Names of a background-task page's marker procedures and the page globals they use."""
        marker_lines = self.indexes[key].marker_lines
        out: set[str] = set()
        for obj in objs:
            if obj.kind not in PAGE_KINDS:
                continue
            fam_globals = family_globals(self.st, self.look, obj)
            for proc in obj.procs:
                first, last = proc.lines
                if any(first <= line <= last for line in marker_lines):
                    out.add(proc.name)
                    out |= proc.names & fam_globals.keys()
        return frozenset(out)

    def parsed(self, key: Key, objs: list[ObjectSummary]) -> None:
        """Index a parsed file's procedures by what would make them reachable; reach those that are."""
        st = self.st
        st.parsed[key] = objs
        by_name: dict[str, list[tuple[ObjectSummary, ProcSummary]]] = {}
        by_element: dict[str, list[tuple[ObjectSummary, ProcSummary]]] = {}
        by_op: dict[str, list[tuple[ObjectSummary, ProcSummary]]] = {}
        run_triggers: list[tuple[ObjectSummary, ProcSummary]] = []
        self.tables[key] = (by_name, by_element, by_op, run_triggers)
        page_names = self.page_names(key, objs) if key in st.all_procs else frozenset()
        for obj in objs:
            for proc in obj.procs:
                item = (obj, proc)
                if key in st.all_procs and obj.kind in PAGE_KINDS:
                    self.scoped(proc)
                seed = self.seed_proc(key, proc)
                if (key, proc.name) in st.forced or (seed and obj.kind not in PAGE_KINDS):
                    self.following = not (seed and obj.kind not in PAGE_KINDS)  # a subscriber forced: gated
                    self.reach(key, obj, proc)
                    self.following = False
                    continue
                if seed:  # a page's own code around its enqueue sites: the foreground
                    self.reach_foreground(key, obj, proc)
                if (key in st.all_procs and (obj.kind not in PAGE_KINDS or proc.names & page_names)) or (
                        self.seed_names and proc.names & self.seed_procs and proc_refs(obj, proc) & self.seed_names
                ) or any(proc.lines[0] <= line <= proc.lines[1] for line in self.extra_lines.get(key, ())):
                    self.reach_caller(key, obj, proc)  # and below, it can still be reached in full
                if not proc.trigger:
                    by_name.setdefault(proc.name, []).append(item)
                elif obj.kind in RUN_TRIGGER_KINDS:
                    run_triggers.append(item)
                elif obj.kind in ("table", "tableextension"):
                    if proc.element:
                        if "validate" in proc.name:  # Validate runs a field's OnValidate triggers, not OnLookup
                            by_element.setdefault(proc.element, []).append(item)
                    elif proc.name in _TRIGGER_OPS:
                        by_op.setdefault(_TRIGGER_OPS[proc.name], []).append(item)
        for wanted, reach in ((st.shallow, self.reach_body), (st.caller_wants, self.reach_caller),
                              (st.fg_wants, self.reach_foreground)):
            for name in wanted.get(key, ()):  # what callers of the pages call here, and in their objects
                for item in by_name.get(name, ()):
                    reach(key, *item)
        for name, kind in sorted(st.reader_names.pop(key, ())):
            self.readers_in(key, name, kind)
        # what was wanted before the file was parsed
        wants, run, ops = st.wants.pop(key, set()), key in st.run, st.ops.pop(key, set())
        st.run.discard(key)
        if self.allowed is not None:  # what other code wanted, not gated; then the rest, gated
            self.want(key, wants & self.open_wants.get(key, set()), key in self.open_run, set())
            self.following = True
        self.want(key, wants, run, ops)
        self.following = False

    def reach_caller(self, key: Key, obj: ObjectSummary, proc: ProcSummary) -> None:
        """A procedure that calls a background-task page from outside: the analysis reads what it passes
        (task codeunits, parameters, task ids), so its body and those of the procedures it calls
        directly are parsed, and the objects it names with ``Codeunit::X`` are loaded as runnable; what
        it calls is not followed further (background code starts at a task's ``OnRun``)."""
        st = self.st
        if id(proc) in st.callers or id(proc) in st.reached:
            return
        st.callers.add(id(proc))
        self._queue((key, obj, proc), self.waiting_callers, st.caller_work)

    def reach_body(self, key: Key, obj: ObjectSummary, proc: ProcSummary) -> None:
        """Parse a procedure's body without following it (what a page's caller calls directly)."""
        st = self.st
        i = id(proc)
        if proc.pending is not None and i not in st.bodies_only and i not in st.reached and i not in st.foreground:
            st.bodies_only.add(i)
            st.pending.append((key, proc))

    def process_caller(self, key: Key, obj: ObjectSummary, proc: ProcSummary) -> None:
        targets, called, loose = self._read_targets(obj, proc)
        for f in self.look.file_family(key):
            self.want_caller(f, proc.names)
        for t in sorted(targets):
            for f in self.look.file_family(t):
                self.want_body(f, called.get(t, loose))
        self.scoped(proc)
        self.read_globals(obj, proc, caller=True)

    def want_caller(self, key: Key, names: Iterable[str]) -> None:
        """Within a caller's own object, what it calls is read as a caller too (the chain from a
        trigger to an enqueue site stays whole)."""
        self._want_read(key, names, self.st.caller_wants, self.reach_caller)

    def want_body(self, key: Key, names: Iterable[str]) -> None:
        """What a caller calls in other objects: only the bodies are read."""
        self._want_read(key, names, self.st.shallow, self.reach_body)

    def _want_read(self, key: Key, names: Iterable[str], wanted: dict[Key, set[str]],
                   reach: Callable[[Key, ObjectSummary, ProcSummary], None]) -> set[str]:
        """Record ``names`` as wanted in ``key`` (replayed by :meth:`parsed` if it is not parsed yet) and
        ``reach`` the procedures of those names it has; the names not wanted there before. Unlike
        :meth:`want`, nothing is taken out of the file's tables: a procedure read here can still be
        reached in full later."""
        have = wanted.setdefault(key, set())
        new = set(names) - have
        have |= new
        table = self.tables.get(key)
        if table is not None:
            for name in sorted(new):
                for item in table[0].get(name, ()):
                    reach(key, *item)
        return new

    def reach(self, key: Key, obj: ObjectSummary, proc: ProcSummary) -> None:
        st = self.st
        if id(proc) in st.reached or self.held(key, obj, proc):
            return
        st.reached.add(id(proc))
        self._queue((key, obj, proc), self.waiting, st.work)

    def _queue(self, item: tuple[Key, ObjectSummary, ProcSummary], waiting: list, ready: list) -> None:
        """``item`` to ``ready`` to be processed, or, while its body is still to be parsed, asked for
        and to ``waiting``."""
        if item[2].pending is not None:
            self.st.pending.append((item[0], item[2]))
            waiting.append(item)
        else:
            ready.append(item)

    # ------------------------------------------------------------------ the loop

    def run(self, parse: ParseFiles, mentioned: Callable[[list[tuple[tuple[str, ...], tuple[str, ...]]]], set[Key]],
            bodies: ParseBodies | None = None, together: ParseTogether | None = None) -> list[Key]:
        """Settle; the files chosen. ``together`` parses files and bodies that both wait in one batch."""
        if not self.started:  # a gated run settles again after each release (closure)
            self.started = True
            self.start(mentioned, bodies is None)
        self.settle(parse, bodies, together)
        return sorted(self.st.included, key=self.order.__getitem__)

    def start(self, mentioned: Callable[[list[Group]], set[Key]], whole: bool) -> None:
        st, look, indexes, files, order = self.st, self.look, self.indexes, self.files, self.order
        seeds = [k for k in files if indexes[k].has_markers] if self.seeds is None else list(self.seeds)
        for k in seeds:
            st.all_procs.update(look.file_family(k))
        groups = self.groups = mention_groups(indexes, sorted(st.all_procs, key=order.__getitem__))
        self.seed_names = {norm(x) for names, _ in groups for x in names}
        self.seed_procs = {norm(x) for _, procs in groups for x in procs}
        self.include(seeds)
        self.include(sorted(st.all_procs, key=order.__getitem__))
        st.full |= st.included_set
        if groups:
            hits = mentioned(groups)
            st.full |= hits
            self.include(k for k in files if k in hits)
        self.seed_extra(mentioned)
        if whole:  # every file parsed whole
            st.full = set(files)

    def settle(self, parse: ParseFiles, bodies: ParseBodies | None, together: ParseTogether | None = None) -> None:
        st = self.st
        while st.to_parse or st.work or st.pending or st.caller_work:
            if st.to_parse and st.pending and together is not None:  # both at once, on every core
                batch, st.to_parse = st.to_parse, []
                batch_p, st.pending = st.pending, []
                found = together(batch, st.full, batch_p)
                self.bodies_came()  # before the files: what they ask for waits for the next batch
                for key, objs in found.items():
                    self.parsed(key, objs)
            elif st.to_parse:
                batch, st.to_parse = st.to_parse, []
                for key, objs in parse(batch, st.full).items():
                    self.parsed(key, objs)
            elif st.pending:
                assert bodies is not None
                batch_p, st.pending = st.pending, []
                bodies(batch_p)
                self.bodies_came()
            while st.work:
                self.process(*st.work.pop())
            while st.caller_work and not st.work:
                item = st.caller_work.pop()
                if id(item[2]) in st.reached:
                    continue
                if id(item[2]) in st.callers:
                    self.process_caller(*item)
                else:
                    self.process_reader(*item)

    def bodies_came(self) -> None:
        """After a batch of bodies: the procedures that waited for theirs go on."""
        st = self.st
        waiting, self.waiting = self.waiting, []
        for item in waiting:
            (st.work if item[2].pending is None else self.waiting).append(item)
        self.scope_id_readers()
        waiting, self.waiting_callers = self.waiting_callers, []
        for item in waiting:  # a body that could not be parsed is processed as it is
            st.caller_work.append(item)
        if self.waiting and not st.work:  # a body that could not be parsed: nothing more to learn
            for item in self.waiting:
                item[2].pending = None
                st.work.append(item)
            self.waiting = []

    def process(self, key: Key, obj: ObjectSummary, proc: ProcSummary) -> None:
        """Follow one reachable procedure: the names it calls, the objects it names, what it runs and
        writes, the events it raises; or, for foreground code, only what it calls."""
        st, look = self.st, self.look
        if id(proc) not in st.reached:
            self.process_foreground(key, obj, proc)
            return
        if id(proc) in st.followed:
            return
        st.followed.add(id(proc))
        self.following = True
        names = proc.names
        for f in look.file_family(key):  # unqualified calls, this, extensions calling their base
            self.want(f, names, False, set())
        fam_globals = family_globals(st, look, obj)
        refs = object_refs(obj, proc, fam_globals)
        # Codeunit.Run(50100), Report.RunModal(206) run the object. (An id it returns, exit(50100), is
        # read only on the way to an enqueue site: foreground code, process_foreground.)
        by_id = self.ids_files(proc.ints)
        targets = self.files_named(refs) | by_id
        self.include(sorted(targets))
        called, loose = self.called_on(obj, proc, fam_globals)
        for t in sorted(targets):
            for f in look.file_family(t):
                self.want(f, called.get(t, loose), t in by_id, set())
        written_tables: set[str] = set()
        for op, receivers in proc.effects.items():
            if "*" in receivers:
                named, hit = refs, targets
            else:
                named = set()
                for r in receivers:
                    if not r.startswith("@"):
                        named.add(r)
                    elif r in ("@rec", "@xrec"):
                        named.update(obj.table)
                    elif r[1:] in fam_globals:
                        named |= fam_globals[r[1:]]
                    else:
                        named.add(r[1:])  # a dataitem, a name used as its own type, Codeunit::X
                hit = self.files_named(named)
                self.include(sorted(hit))
            if op.endswith(TRIGGERS):  # the table triggers of a write (its events come with the plain op)
                ops = {op[:-len(TRIGGERS)]}
            else:
                ops = {op} if op == "validate" else set()
                if op != "run":
                    written_tables |= {(name, op) for name in named & look.tables}  # type: ignore[arg-type]
            for t in hit:
                for f in look.file_family(t):
                    self.want(f, called.get(t, loose), op == "run", ops)
        self.link_returns(key, proc)
        events: list[tuple[str, str, str | None]] = []
        if proc.publisher:
            events.extend((obj.kind, base, proc.name) for base in obj.base)
        for name, op in written_tables:  # type: ignore[misc]
            for when in ("before", "after"):
                events.append(("table", name, f"on{when}{op}event"))
        for kind, name, event in events:
            for f, sub in look.subscribers(kind, name, event):
                self.force(f, sub)
        self.following = False
        self.read_globals(obj, proc)
        self.note_returned(proc)

    def link_returns(self, key: Key, proc: ProcSummary) -> None:
        """``X.Get().Member()``: what is called on ``key``'s objects is called on the objects its
        function returns too (:attr:`_State.links`), now and later."""
        st, look = self.st, self.look
        if not proc.returns:
            return
        returned = self.files_named(proc.returns)
        self.include(sorted(returned))
        for t in returned:
            for f in look.file_family(t):
                for k in look.file_family(key):
                    st.links.setdefault(k, set()).add(f)
                    self.want(f, st.wants.get(k, set()), k in st.run, st.ops.get(k, set()))
                    self.want_foreground(f, st.fg_wants.get(k, set()))

    def note_returned(self, proc: ProcSummary) -> None:
        """A function followed whose value may be a codeunit id (:meth:`id_functions`)."""
        if proc.returned:
            self.st.returning.setdefault(proc.name, []).append(proc)
            if proc.name in self.st.id_functions:
                self.run_returned(proc)

    def called_on(self, obj: ObjectSummary, proc: ProcSummary, fam_globals: dict[str, frozenset[str]]
                  ) -> tuple[dict[Key, set[str]], set[str]]:
        """For each file a variable's type names: the names ``proc`` may call in it, the members used
        on those variables and every loose name. ``Rec`` and ``xRec`` have the object's table; members
        of variables whose type is not known here (a dataitem, a field) count as loose. Names of
        variables in scope are not loose: a variable hides a procedure of the same name. The loose
        names are returned too, for the other files."""
        declared = proc.local_types.keys() | fam_globals.keys()
        loose = set(proc.loose) - declared
        typed: dict[str, set[str]] = {}
        for var, used in proc.members.items():
            types = proc.local_types.get(var) or fam_globals.get(var)
            if not types and var in ("rec", "xrec") and var not in declared:
                types = frozenset(obj.table)
            if not types:
                loose |= used
                continue
            if not any(self.look.decl.get(t) or t in self.look.interfaces for t in types):
                loose |= used  # a type not in the sources the closure knows by that name
                continue
            for t in types:
                typed.setdefault(t, set()).update(used)
        out: dict[Key, set[str]] = {}
        for name, used in typed.items():
            for f in self.files_named((name,)):
                out.setdefault(f, set(loose)).update(used)
        return out, loose

    def scoped(self, proc: ProcSummary) -> None:
        """Load what ``Codeunit::X`` (and integer ids) in a background-task page name; the codeunits
        among them as runnable (a task codeunit kept in a variable). A report or page named there runs
        in the foreground, if at all: its triggers are not background code."""
        hit = self.files_named(proc.scoped) | self.ids_files(proc.ints | proc.assigned)
        self.include(sorted(hit))
        for t in hit:
            if self._codeunit(t):
                self.want(t, (), True, set())
        self.id_functions(proc.names)  # EnqueueBackgroundTask(TaskId, Setup.TaskCodeunitId(), ...)

    def _codeunit(self, key: Key) -> bool:
        return any(o.kind == "codeunit" for o in self.indexes[key].objects)

    def files_named(self, names: Iterable[str]) -> set[Key]:
        look = self.look
        out: set[Key] = set()
        for name in names:
            out |= look.decl.get(name, set())
            if name in look.interfaces:
                out |= look.impl.get(name, set())
        return out

    def ids_files(self, ints: Iterable[int]) -> set[Key]:
        out: set[Key] = set()
        for i in ints:
            out |= self.look.ids.get(i, set())
        return out


ParseFiles = Callable[[list[Key], set[Key]], dict[Key, list[ObjectSummary]]]
"""Parse a batch of files and summarize them: whole for those in the set, as skeletons for the others."""
LinesNaming = Callable[[Key, str, bool | None], set[int]]
"""The lines of a file whose text names a variable (a word, in any case; a superset is fine); with the
flag, only lines that assign it (``X :=``, ``X +=``...)."""
ParseBodies = Callable[[list[tuple[Key, ProcSummary]]], None]
"""Parse the bodies a skeleton left out and :meth:`ProcSummary.restore` what they add to their summaries."""
ParseTogether = Callable[[list[Key], set[Key], list[tuple[Key, ProcSummary]]], dict[Key, list[ObjectSummary]]]
""":data:`ParseFiles` and :data:`ParseBodies` in one batch (the files' summaries are returned)."""


fast_pickling(globals())
