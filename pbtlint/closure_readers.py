"""The fixpoint's readers (:class:`pbtlint.closure.Fixpoint` mixes this in): procedures read, not
followed, because an analysis looks at every procedure of an object for some globals. Whether a Boolean
only ever holds ``GuiAllowed()`` (guard aliases), the codeunits an interface variable is given, the keys
put into a global dictionary, the codeunit id an Integer global holds: for those the procedures of the
object family whose text assigns (Boolean) or names the global are parsed; what their assignments call
is followed; the ``Codeunit::X`` an Integer global is given is loaded as runnable.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from pbtlint.al_builtins import recordref_openings
from pbtlint.closure_lookups import Key, Lookups
from pbtlint.summaries import ObjectSummary, ProcSummary

if TYPE_CHECKING:
    from pbtlint.closure import Fixpoint as _Base
    from pbtlint.closure_state import FixpointState
else:
    _Base = object


class Readers(_Base):
    def _read_targets(self, obj: ObjectSummary, proc: ProcSummary) -> tuple[set[Key], dict[Key, set[str]], set[str]]:
        """Load the files a procedure that is read (not followed) names; what it may call in each
        (:meth:`called_on`)."""
        fam_globals = family_globals(self.st, self.look, obj)
        refs = object_refs(obj, proc, fam_globals)
        targets = self.files_named(refs) | self.ids_files(proc.ints | proc.exits)
        self.include(sorted(targets))
        called, loose = self.called_on(obj, proc, fam_globals)
        return targets, called, loose

    def reach_reader(self, key: Key, obj: ObjectSummary, proc: ProcSummary, whole: bool) -> None:
        """A procedure that names a watched global of an object whose code the analysis reads: the
        analyses look at every assignment to such a global in the object (a Boolean that only ever
        holds ``GuiAllowed()``, the codeunits an interface variable is given, the keys put into a
        dictionary), so its body is parsed and what its assignments call is followed (the analyses
        look inside such functions at any depth); with ``whole`` (a Dictionary or an interface, whose
        values may come from any call), the bodies of everything it calls are parsed too. The
        procedure itself is not followed."""
        st = self.st
        earlier = st.readers.get(id(proc))  # None: not read yet; False: read for its assignments only
        if earlier is True or earlier == whole or id(proc) in st.callers or id(proc) in st.reached:
            return
        st.readers[id(proc)] = whole
        self._queue((key, obj, proc), self.waiting_callers, st.caller_work)

    def process_reader(self, key: Key, obj: ObjectSummary, proc: ProcSummary) -> None:
        targets, called, loose = self._read_targets(obj, proc)
        whole = self.st.readers.get(id(proc))
        for f in self.look.file_family(key):
            if whole:
                self.want_body(f, proc.names)
            self.want(f, proc.feeds, False, set())  # IsGui := Gui.IsGui(): analyses look inside, at any depth
        for t in sorted(targets):
            for f in self.look.file_family(t):
                if whole:
                    self.want_body(f, called.get(t, loose))
                self.want(f, called.get(t, loose) & proc.feeds, False, set())
        self.read_globals(obj, proc)

    def read_globals(self, obj: ObjectSummary, proc: ProcSummary, caller: bool = False) -> None:
        """Read (:meth:`reach_reader`) the procedures of ``obj``'s family whose text names a watched
        global that ``proc`` reads the way an analysis follows: a Boolean in a condition (a guard's
        alias), an Integer it returns or copies (a codeunit id; any use in a page's caller, which may
        pass it to the page), a Dictionary or an interface anywhere. A file of the family not parsed yet is
        looked at once it is."""
        if self.lines_naming is None:
            return
        st = self.st
        kinds = family(st, self.look, obj)[1]
        if not kinds:
            return
        used = {"boolean": proc.tested, "integer": proc.names if caller else proc.returned | proc.feeds}
        names = {g for g in proc.names & kinds.keys() if g in used.get(kinds[g], proc.names)}
        if not names:
            return
        for f in sorted({f for b in obj.base for f in self.look.family(b)}, key=str):
            for name in sorted(names):
                if (f, name) in st.read_names:
                    continue
                st.read_names.add((f, name))
                if f in st.parsed:
                    self.readers_in(f, name, kinds[name])
                else:
                    st.reader_names.setdefault(f, set()).add((name, kinds[name]))
                    self.include((f,))

    def readers_in(self, key: Key, name: str, kind: str) -> None:
        """Read the procedures of ``key`` whose lines name ``name`` (of a Boolean, those that assign
        it: what guard aliases look at; of a RecordRef, those that open it: its temporariness); what
        those assigning an Integer name may run."""
        assert self.lines_naming is not None
        assigned = kind == "boolean"  # an Integer passed by var counts too (enqueue._int)
        if kind == "recordref":  # what the model reads of a RecordRef: where it is opened (maybe temporary)
            lines = {line for opening in recordref_openings(name) for line in self.lines_naming(key, opening, None)}
        else:
            lines = self.lines_naming(key, name, assigned)
        if not lines:
            return
        for o in self.st.parsed[key]:
            for p in o.procs:
                first, last = p.lines
                if any(first <= line <= last for line in lines):
                    self.reach_reader(key, o, p, kind not in ("boolean", "recordref"))
                    if kind == "integer":  # CodeunitId := Codeunit::X: X may be a task codeunit
                        self.st.id_readers[id(p)] = p
        self.scope_id_readers()

    def scope_id_readers(self) -> None:
        """Load as runnable what the procedures assigning an Integer global name (:meth:`scoped`), once
        their bodies are parsed, whether they are read, followed or read as callers."""
        st = self.st
        for key, proc in list(st.id_readers.items()):
            if proc.pending is None:
                del st.id_readers[key]
                self.scoped(proc)
                self.id_functions(proc.feeds)

    def id_functions(self, names: Iterable[str]) -> None:
        """Functions whose value is assigned to an Integer global that holds a codeunit id: the
        ``Codeunit::X`` they return may be a task codeunit (``TaskCodeunit := DefaultTask();``)."""
        st = self.st
        new = set(names) - st.id_functions
        st.id_functions |= new
        for name in sorted(new):
            for proc in st.returning.get(name, ()):
                self.run_returned(proc)

    def run_returned(self, proc: ProcSummary) -> None:
        """Load as runnable the codeunits a function whose value may be a codeunit id returns
        (``exit(Codeunit::X)``), and treat the functions it returns the value of likewise."""
        hit = {t for t in self.files_named(proc.returned & proc.scoped) if self._codeunit(t)}
        self.include(sorted(hit))
        for t in hit:
            self.want(t, (), True, set())
        self.id_functions(proc.returned)  # exit(Inner())


def object_refs(obj: ObjectSummary, proc: ProcSummary, fam_globals: dict[str, frozenset[str]]) -> set[str]:
    """The names by which ``proc``'s code may reach other objects: the names it uses, the types of the
    family's globals among them, and its object's table (``Rec``)."""
    refs = set(proc.names)
    for name in proc.names & fam_globals.keys():
        refs |= fam_globals[name]
    refs.update(obj.table)
    return refs


def family_globals(st: FixpointState, look: Lookups, obj: ObjectSummary) -> dict[str, frozenset[str]]:
    """The global variables of ``obj``'s family (its base and extensions) parsed so far, with the object
    names of their types."""
    return family(st, look, obj)[0]


def family(st: FixpointState, look: Lookups, obj: ObjectSummary) -> tuple[dict[str, frozenset[str]], dict[str, str]]:
    """The global variables of ``obj``'s family parsed so far with their types' object names, and the
    watched ones (:attr:`ObjectSummary.watched`); remembered until another file of the family is parsed."""
    base = tuple(obj.base)
    files, known = st.family_globals.get(base, (None, None))
    if files is None:
        files = frozenset(f for b in base for f in look.family(b))
    parsed = sum(1 for f in files if f in st.parsed)
    if known is not None and known[0] == parsed:
        return known[1], known[2]
    out: dict[str, frozenset[str]] = {}
    watched: dict[str, str] = {}
    bases = set(base)
    for f in files:
        for o in st.parsed.get(f, ()):
            if bases.intersection(o.base):
                for k, v in o.globals.items():
                    out[k] = out.get(k, frozenset()) | v
                watched.update(o.watched)
    st.family_globals[base] = (files, (parsed, out, watched))
    return out, watched


def proc_refs(obj: ObjectSummary, proc: ProcSummary) -> set[str]:
    """The names ``proc`` refers to: its own, those its object's globals it names refer to, and its
    object's base object and table."""
    refs = set(proc.names)
    for name in proc.names & obj.globals.keys():
        refs |= obj.globals[name]
    refs.update(obj.base)
    refs.update(obj.table)
    return refs
