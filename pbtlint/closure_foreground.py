"""The fixpoint's foreground code (:class:`pbtlint.closure.Fixpoint` mixes this in): an enqueue
site's procedure, a completion or error trigger, and what they call run in the page's session. The
analyses read there only the values that reach an enqueue site or come back from a task (codeunit ids,
task ids, parameter and result dictionaries), and those travel through calls and return values. So
foreground code is followed through what it calls (by name, on the objects it names), without the
events it raises, the table triggers its writes run and the objects it runs: no value comes back from
those, and no rule looks for writes or UI in the foreground. A procedure that background code reaches
too is followed in full as well.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from pbtlint.closure_lookups import Key
from pbtlint.closure_readers import family_globals, object_refs
from pbtlint.summaries import ObjectSummary, ProcSummary

if TYPE_CHECKING:
    from pbtlint.closure import Fixpoint as _Base
else:
    _Base = object


class Foreground(_Base):
    def reach_foreground(self, key: Key, obj: ObjectSummary, proc: ProcSummary) -> None:
        """Follow ``proc`` as foreground code (see the module doc), unless it is followed in full."""
        st = self.st
        if id(proc) in st.reached or id(proc) in st.foreground:
            return
        st.foreground.add(id(proc))
        self._queue((key, obj, proc), self.waiting, st.work)

    def want_foreground(self, key: Key, names: Iterable[str]) -> None:
        """Foreground code calls ``names`` on ``key``'s objects (see :meth:`reach_foreground`), and on
        the objects their functions return (:attr:`FixpointState.links`)."""
        new = self._want_read(key, names, self.st.fg_wants, self.reach_foreground)
        for other in list(self.st.links.get(key, ())) if new else ():
            self.want_foreground(other, new)

    def process_foreground(self, key: Key, obj: ObjectSummary, proc: ProcSummary) -> None:
        """Follow foreground code (:meth:`reach_foreground`): what it calls, by name and on the objects
        it names."""
        st, look = self.st, self.look
        for f in look.file_family(key):
            self.want_foreground(f, proc.names)
        fam_globals = family_globals(st, look, obj)
        refs = object_refs(obj, proc, fam_globals)
        by_id = {t for t in self.ids_files(proc.exits) if self._codeunit(t)}
        targets = self.files_named(refs) | by_id
        self.include(sorted(targets))
        called, loose = self.called_on(obj, proc, fam_globals)
        for t in sorted(targets):
            for f in look.file_family(t):
                self.want_foreground(f, called.get(t, loose))
                if t in by_id:  # an id it returns may be a task codeunit's
                    self.want(f, (), True, set())
        self.link_returns(key, proc)
        self.read_globals(obj, proc)
        self.note_returned(proc)
