"""The fixpoint of :mod:`pbtlint.closure` as one session: its runs, the walk gate's rounds between them
(:mod:`pbtlint.closure_gate`), and what an audit adds afterwards."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pbtlint.audit import Extra
from pbtlint.closure import Fixpoint, LinesNaming, ParseBodies, ParseFiles, ParseTogether
from pbtlint.closure_gate import GateKey, Plan
from pbtlint.closure_lookups import Group, Key
from pbtlint.declindex import FileIndex


class Closure:
    """The files to parse, in ``files`` order, chosen by the fixpoint; kept so that what an audit finds
    missing is added to the same fixpoint (:meth:`add`) and only that is settled again, with the same
    walk gate and planner.

    ``parse`` parses a batch and summarizes it; ``mentioned`` returns the files whose text mentions,
    for some group, one of its names and one of its procedures. With ``bodies``, files that need not be
    whole (those of the background-task objects and their callers) are parsed as skeletons and only the
    bodies reached are parsed, through ``bodies``; with ``lines_naming``, the procedures that assign (or
    use) a watched global that code read uses are read too (:meth:`Fixpoint.read_globals`). ``extra``
    adds what an audit of an earlier choice found missing (:mod:`pbtlint.audit`): those bodies, and the
    procedures of the files that mention an extra group whose text names one of its procedures, are read
    as callers. ``seeds`` are the files whose markers start it (default: every file that has markers;
    see :mod:`pbtlint.dependency_roots`). With ``plan`` (and ``bodies``), the fixpoint is gated
    (:mod:`pbtlint.closure_gate`): what background code reaches by name is followed only once ``plan``
    says the background walk reaches it, first on a project grown in place, then confirmed on one built
    afresh; the left-out bodies the walk reads are read as ``extra`` is; ``allowed`` keeps what the walk
    reached, across the runs."""

    def __init__(self, files: Sequence[Key], indexes: dict[Key, FileIndex], parse: ParseFiles,
                 mentioned: Callable[[list[Group]], set[Key]], bodies: ParseBodies | None = None,
                 lines_naming: LinesNaming | None = None, extra: Extra | None = None,
                 seeds: Sequence[Key] | None = None, plan: Plan | None = None,
                 allowed: set[GateKey] | None = None, together: ParseTogether | None = None) -> None:
        self.fixpoint = Fixpoint(files, indexes, lines_naming, extra, seeds)
        self.parse, self.mentioned, self.bodies = parse, mentioned, bodies
        self.together = together if bodies is not None else None
        self.plan = plan if bodies is not None else None
        if self.plan is not None:
            self.fixpoint.gate_init(allowed if allowed is not None else set())

    @property
    def extra(self) -> Extra:
        """What was added to the fixpoint: given, by :meth:`add`, or read by the walk while left out."""
        return self.fixpoint.extra

    def add(self, extra: Extra) -> None:
        """What an audit found missing since the last :meth:`run` (see :meth:`Fixpoint.add_extra`)."""
        if self.fixpoint.started:
            self.fixpoint.add_extra(extra, self.mentioned)
        else:
            self.fixpoint.extra = self.fixpoint.extra | extra

    def run(self, whole: set[Group] | None = None, followed: list[int] | None = None,
            passed: set[GateKey] | None = None) -> list[Key]:
        """Settle the fixpoint (and the gate's rounds); the files chosen. ``whole`` receives the mention
        groups whose files were parsed whole (the callers of those pages' procedures are all there);
        ``followed`` how many procedures it has followed as reachable (a statistic: the benchmark prints
        it beside what the background walk then reached); ``passed`` every procedure the gated fixpoint
        followed."""
        fixpoint = self.fixpoint
        chosen = self._settle()
        while self.plan is not None and fixpoint.gated:
            try:
                reached, read = self.plan(chosen, False)
                if not reached.intersection(fixpoint.gated) and fixpoint.extra.covers(read):
                    reached, read = self.plan(chosen, True)  # the grown project may miss an edge a fresh one has
            except Exception:  # noqa: BLE001 - the walk fails: follow by name, ungated (the rules report the failure)
                fixpoint.release(list(fixpoint.gated))
                fixpoint.allowed = self.plan = None
                chosen = self._settle()
                break
            passing = [k for k in fixpoint.gated if k in reached]
            read_more = not fixpoint.extra.covers(read)  # bodies the walk read while left out
            if not passing and not read_more:
                break
            if read_more:  # read them now, as an audit would have them read in another round
                fixpoint.add_extra(read, self.mentioned)
            fixpoint.release(passing)
            chosen = self._settle()
        if passed is not None:
            passed |= fixpoint.passed
        if whole is not None:
            whole.update(fixpoint.groups)
        if followed is not None:
            followed.append(len(fixpoint.st.followed))
        return chosen

    def _settle(self) -> list[Key]:
        return self.fixpoint.run(self.parse, self.mentioned, self.bodies, self.together)
