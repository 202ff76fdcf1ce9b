"""What the background walk reaches in a project that grows between walks (the walk gate's planner).

With the walk gate (:mod:`pbtlint.closure_gate`, on by default), the fixpoint (:mod:`pbtlint.closure`)
holds the procedures that background code reaches by name until the background walk reaches them.
Between its rounds the walk runs on what is parsed so far. Building the model afresh for each round
costs more than the gate saves (26 rounds on the Base Application), so :class:`WalkPlanner` keeps one
project and grows it in place:

- the objects of new files are added (:func:`pbtlint.model_build.extend`) and resolved;
- a procedure whose body came since (it was left out) gets its new node and its calls resolved;
- the call graph gets the new nodes and edges, and table-event nodes the subscribers that came;
- the guard facts of the procedures that did not change are kept, but for those whose conditions call
  a procedure whose body came (a try function, a Boolean function without parameters, or what a try
  function calls: :func:`pbtlint.background_guards.guards_reading`);
- the walk goes on from the last round's reach (:class:`pbtlint.background.KeptWalk`): from the nodes
  that got new edges or facts, and through the calls it found dead, looked at again.

A procedure resolved in an earlier round is resolved again when one of its calls names an object that
came since, an object a new extension extends, or a bare name a new object declares
(:func:`pbtlint.resolve.resolve_more`). Other changes are not followed (an argument's temporariness, a
RecordRef opened elsewhere), so a grown project can still miss an edge that a fresh one has. The gate
therefore accepts the planner's "nothing more" only after a walk on a project built afresh
(:func:`fresh_reach`) agrees; that project is the one the rules then run on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from pbtlint.analysis import AnalyzedProject, build_project
from pbtlint.audit import ElidedBlock
from pbtlint.background import KeptWalk, background_analysis, cached_background_analysis, walk_reach
from pbtlint.background_guards import Guards, guards_reading
from pbtlint.closure_gate import GateKey
from pbtlint.frontend import ParsedFile
from pbtlint.model import ObjectInfo, ProcInfo
from pbtlint.model_build import extend
from pbtlint.resolve import resolve_more
from pbtlint.resolve_stale import StaleIndex
from pbtlint.skeleton import body_nodes

BodyPlace = tuple[str, int, int]
"""A left-out body: its file (as shown) and the line and column of its ``begin``."""


class WalkPlanner:
    """One project, grown with each round's files (see the module doc)."""

    def __init__(self) -> None:
        self.project: AnalyzedProject | None = None
        self.guards: Guards | None = None
        self.units: dict[str, object] = {}  # the tree each file had when last added
        self.left_out: dict[BodyPlace, ProcInfo] = {}  # procedures whose bodies are still left out
        self.walked = KeptWalk()  # the last walk, walked on from in the next round
        self.stale = StaleIndex()  # the calls a later object may answer

    def reach(self, parsed: Sequence[ParsedFile]) -> tuple[AnalyzedProject, set[str]]:
        """The project grown to ``parsed`` (every file chosen so far), and what the walk reaches in it."""
        if self.project is None:
            self.project = build_project(parsed, every_event=True)
            self.guards = Guards(self.project)
            self.units = {pf.path: pf.unit for pf in parsed}
            self._note_left_out(self.project.model.objects)
        else:
            self._grow(parsed)
        return self.project, walk_reach(self.project, self.guards, self.walked)

    def _grow(self, parsed: Sequence[ParsedFile]) -> None:
        assert self.project is not None and self.guards is not None
        model, res, graph = self.project.model, self.project.resolution, self.project.graph
        new = [pf for pf in parsed if pf.path not in self.units and pf.unit is not None]
        changed = [pf for pf in parsed if pf.path in self.units and pf.unit is not self.units[pf.path]
                   and pf.unit is not None]
        for pf in new:
            self.units[pf.path] = pf.unit
        known = len(model.procs)
        added = extend(model, new)
        self._note_left_out(added)
        bodied: list[ProcInfo] = []
        for pf in changed:
            self.units[pf.path] = pf.unit
            for (line, column), node in body_nodes(pf.unit).items():  # type: ignore[arg-type]
                proc = self.left_out.get((pf.path, line, column))
                if proc is not None and node.body is not None and not isinstance(node.body, ElidedBlock):
                    proc.node = node
                    bodied.append(proc)
                    del self.left_out[(pf.path, line, column)]
        again = resolve_more(model, res, added, bodied, self.stale)
        res.refresh_events(model)
        graph.grow(list(model.procs.values())[known:])
        # their facts and edges out are new, and so may be the facts of the guards that read their bodies
        redone = [*(p.key for p in (*bodied, *again)), *guards_reading(res, bodied)]
        self.guards.forget(redone)
        self.walked.changed.update(redone)

    def _note_left_out(self, objects: Sequence[ObjectInfo]) -> None:
        for info in objects:
            for proc in info.all_procs:
                body = proc.node.body
                if isinstance(body, ElidedBlock):
                    self.left_out[(info.path, body.span.line, body.span.column)] = proc


def fresh_reach(parsed: Sequence[ParsedFile]) -> tuple[AnalyzedProject, set[str]]:
    """A project built afresh from ``parsed``, and what the rules' background walk reaches in it."""
    project = build_project(parsed)
    return project, set().union(*background_analysis(project).reachable.values())


def gate_keys(project: AnalyzedProject, keys: Iterable[str], by_display: dict[str, Path]) -> set[GateKey]:
    """The procedures among the graph nodes ``keys``, as the gate names them (file and first line)."""
    out: set[GateKey] = set()
    for key in keys:
        proc = project.model.procs.get(key)
        path = by_display.get(proc.path) if proc is not None else None
        if path is not None:
            out.add((path, proc.node.span.line))  # type: ignore[union-attr]
    return out


def walk_within(project: AnalyzedProject, by_display: dict[str, Path], followed: set[GateKey]) -> bool:
    """Whether every procedure the rules' background walk reached was followed by the fixpoint whose
    choice was replayed (see :data:`pbtlint.closure_gate.GateKey`)."""
    analysis = cached_background_analysis(project)
    if analysis is None:
        return False
    return gate_keys(project, set().union(*analysis.reachable.values()), by_display) <= followed


def walked_count(project: AnalyzedProject) -> int:
    """How many procedures the background walk reached (a statistic: how much of what the fixpoint
    parsed the rules' main walk used). Only the walk the rules already ran is read: when it failed
    (its rules then reported PBT0000), the statistic is 0, never a second attempt or an error."""
    analysis = cached_background_analysis(project)
    if analysis is None:
        return 0
    procs = project.model.procs
    return len({key for keys in analysis.reachable.values() for key in keys if key in procs})
