"""Background code as the rules PBT0001-PBT0004 and PBT0040 see it.

The **background roots** are the ``OnRun`` triggers of the task codeunits that enqueue sites name
(:mod:`pbtlint.enqueue`). From each root the call graph is walked breadth first, as
:func:`pbtlint.reach.background_reach` does: each reached procedure is visited in one or more
*frames* (:class:`pbtlint.reach.Frame`), how temporary its ``Rec`` and its record parameters are
given the call that reached it (a ``var`` record parameter is as temporary as the argument the
caller passed, a table procedure's ``Rec`` as the record it was called on). So every offending
statement gets the shortest path from an enqueue site on which it really offends.

Temporariness tests prune the walk per frame: a call or statement dominated by ``X.IsTemporary()``
being false (``if Rec.IsTemporary then exit;``, common in table-event subscribers) is dead code in a
frame where ``X`` is temporary, and so is one dominated by ``F(X)`` being true where the Boolean
function ``F`` starts with ``if X.IsTemporary then exit(false);`` (``if not CheckValidRecord(Rec)
then exit;``). A write or lock dominated by a true ``X.IsTemporary()`` is on a temporary record.

Not background code:
- code under a **GUI guard** (``if GuiAllowed() then ...``, or after ``if not GuiAllowed() then
  exit;``): ``GuiAllowed()`` is false in a background session;
- code under a **not-in-background guard**: a branch taken only when a ``[TryFunction]`` that calls
  ``Page.GetBackgroundParameters()`` failed (``if not TryGetParams(P) then begin ...; exit; end;``);
- anything reached only through a call that is under one of those guards;
- subscribers of ``EventSubscriberInstance = Manual`` codeunits, unless the background code calls
  ``BindSubscription``;
- completion and error triggers (they run in the parent session).

:func:`background_analysis` computes everything once per project (cached) and returns
:class:`Offense` s (writes, commits, locks, UI) and :class:`OpaqueCall` s for the rules to report.
What counts as a guard, a dead call and an offending statement, per procedure, is in
:mod:`pbtlint.background_guards`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from pbtlint.analysis import AnalyzedProject
from pbtlint.audit import words
from pbtlint.background_guards import (
    BIND_SUBSCRIPTION,
    ROOT_FRAME,
    TEMPORARY_KIND,
    Candidate,
    Guards,
    PathFrame,
    ProcFacts,
    bool_param,
    literal_bool,
)
from pbtlint.callgraph import Edge
from pbtlint.enqueue import EnqueueSite
from pbtlint.findings import Location
from pbtlint.model import UNKNOWN, ObjectInfo, ProcInfo
from pbtlint.nodes import norm
from pbtlint.pickling import fast_init
from pbtlint.reach import Frame, Reach, concrete

_BIND_WORDS = words("bindsubscription")  # what a body left out must name to bind
_MAX_FRAMES = 8  # frames kept per node; then one more with every record unknown (as pbtlint.reach)


@dataclass(frozen=True, slots=True)
class BackgroundRoot:
    """The ``OnRun`` of a task codeunit and the first enqueue site (in source order) that runs it."""

    key: str
    codeunit: ObjectInfo
    proc: ProcInfo
    site: EnqueueSite

    @property
    def codeunit_name(self) -> str:
        return self.codeunit.name

    def related(self) -> tuple[Location, ...]:
        return (Location(self.site.path, self.site.span, "enqueue site"),
                Location(self.codeunit.path, self.codeunit.node.name_span, "task codeunit"))


@dataclass(frozen=True, slots=True)
class Offense:
    """A statement of background code that writes, commits, locks or shows UI.

    ``category`` is ``write``, ``commit``, ``lock`` or ``ui``; ``what`` names the operation
    (``Modify``, ``IsolatedStorage.Set``, ``FindSet(true)``, ``Message``); ``record`` the record it
    works on (``record "Customer"``, ``RecordRef RecRef``; empty when none); ``temp`` is
    ``persistent`` or ``unknown`` for record operations, empty otherwise.
    """

    category: str
    what: str
    record: str
    temp: str
    location: Location
    root: BackgroundRoot
    call_path: tuple[Location, ...]
    depth: int


@dataclass(frozen=True, slots=True)
class OpaqueCall:
    """Background code of ``root`` calls the opaque node ``key`` (first at ``location``)."""

    key: str
    label: str
    reason: str
    location: Location
    root: BackgroundRoot
    call_path: tuple[Location, ...]


@dataclass
class BackgroundAnalysis:
    """What runs in the background, and what it must not do."""

    roots: list[BackgroundRoot] = field(default_factory=list)
    offenses: list[Offense] = field(default_factory=list)
    opaque_calls: list[OpaqueCall] = field(default_factory=list)
    reachable: dict[str, set[str]] = field(default_factory=dict)
    reaches: dict[str, Reach] = field(default_factory=dict)  # by root: the walk, with the path to each node

    def of(self, category: str) -> list[Offense]:
        return [o for o in self.offenses if o.category == category]


# ---------------------------------------------------------------------------------------------- walk


def _edge_label(project: AnalyzedProject, edge: Edge) -> str:
    target = project.graph.label(edge.target)
    site = edge.site
    kind = edge.kind
    if kind == "table-trigger" and site is not None:
        runs = f"{site.name}(true)" if norm(site.name) != "rename" else site.name
        return f"{runs} runs {target}"
    if kind == "validate":
        return f"Validate runs {target}"
    if kind == "table-event" and site is not None:
        return f"{site.name} raises {target}"
    if kind == "event":
        return f"subscriber {target}"
    if kind in ("codeunit-run", "report-run", "xmlport-run"):
        return f"runs {target}"
    return f"calls {target}"


class _Walker:
    def __init__(self, project: AnalyzedProject) -> None:
        self.project = project
        self.graph = project.graph
        self.guards = Guards(project)
        enq = project.enqueue
        self.parent_session = {t.proc.key for t in enq.completion_triggers} | {t.proc.key for t in enq.error_triggers}

    def roots(self) -> list[BackgroundRoot]:
        out: dict[str, BackgroundRoot] = {}
        for site in sorted(self.project.enqueue.sites, key=lambda s: (s.path, s.span.line, s.span.column)):
            for tc in site.task_codeunits:
                proc = tc.root
                if proc is None or tc.codeunit is None or proc.key in out or proc.key not in self.graph.graph:
                    continue
                out[proc.key] = BackgroundRoot(proc.key, tc.codeunit, proc, site)
        return list(out.values())

    def _binds(self, reach: Reach) -> bool:
        """Does the background code of ``reach`` (a walk without manual subscribers) call
        ``BindSubscription``, not under a guard and not dead in every frame it is reached in? Only then
        can a subscriber of an ``EventSubscriberInstance = Manual`` codeunit run in that task."""
        res, nodes = self.project.resolution, self.graph.graph.nodes
        for key, frames in reach.frames_of.items():
            for site in res.sites_in(key, _BIND_WORDS):
                if site.builtin not in BIND_SUBSCRIPTION:
                    continue
                proc = nodes[key].get("proc")
                facts = self.guards.of(proc) if isinstance(proc, ProcInfo) else None
                if facts is None or (id(site.node) not in facts.guarded
                                     and any(facts.alive(site.node, frame) for frame in frames)):
                    return True
        return False

    def root_reach(self, root: BackgroundRoot) -> Reach:
        """Everything ``root`` runs, in every frame."""
        reach = self._reach(root.key, False)
        if self._binds(reach):  # the manual subscribers it binds may run: walk again with them
            reach = self._reach(root.key, True)
        return reach

    def walk(self, root: BackgroundRoot, result: BackgroundAnalysis, best: dict[int, Offense]) -> None:
        """Reach everything ``root`` runs (in every frame) and record its offences and opaque calls."""
        reach = self.root_reach(root)
        result.reachable[root.key] = reach.nodes()
        result.reaches[root.key] = reach
        g = self.graph.graph
        for node, frames in reach.frames_of.items():
            data = g.nodes[node]
            if data.get("kind") == "opaque":
                path = reach.path(node)
                if path:
                    result.opaque_calls.append(self._opaque(root, path))
                continue
            proc = data.get("proc")
            if not isinstance(proc, ProcInfo):
                continue
            facts = self.guards.of(proc)
            if facts.candidates:
                self._offenses(root, reach, proc, frames, facts, best)

    def _reach(self, root: str, manual_ok: bool, dead: list[_Dead] | None = None) -> Reach:
        """Breadth first over (node, frame) states, like :func:`pbtlint.reach.background_reach`, but
        a call is followed only when it is background code in the caller's frame (no guard, and not
        dead for the temporariness the frame gives). ``dead`` receives the calls not followed for that
        (:class:`KeptWalk` looks at them again when the project grows)."""
        reach = Reach(self.graph, (root,))
        reach.frames_of[root] = [ROOT_FRAME]
        reach.parent[(root, ROOT_FRAME)] = None
        self._expand(reach, deque([(root, ROOT_FRAME)]), manual_ok, dead)
        return reach

    def _expand(self, reach: Reach, queue: deque[tuple[str, Frame]], manual_ok: bool,
                dead: list[_Dead] | None) -> None:
        adj = self.graph.graph.adj
        while queue:
            state = queue.popleft()
            node, frame = state
            for succ, data in adj[node].items():
                if succ in self.parent_session:
                    continue
                for edge in data["edges"]:
                    if edge.manual and not manual_ok:
                        continue
                    if not self.guards.follow(edge, frame):
                        if dead is not None:
                            dead.append((state, edge, succ))
                        continue
                    self._step(reach, queue, state, edge, succ)

    def _step(self, reach: Reach, queue: deque[tuple[str, Frame]], state: tuple[str, Frame], edge: Edge,
              succ: str) -> None:
        """Follow ``edge`` from ``state`` to ``succ``, in the frame the call gives it."""
        frame = state[1]
        callee: Frame = PathFrame(tuple(concrete(t, frame) for t in self.guards.bindings(edge)),
                                  concrete(edge.receiver, frame) or UNKNOWN, self._consts(edge, frame))
        entered = reach.enter(succ, callee, edge, state, _MAX_FRAMES)
        if entered is not None:
            queue.append(entered)

    def resume(self, reach: Reach, manual_ok: bool, dead: list[_Dead], changed: set[str]) -> None:
        """Walk on from ``reach`` in a project grown since: every edge of the ``changed`` nodes (new
        edges, or facts computed again) and every call that was dead, looked at again; ``dead`` is
        refilled. A call that has become dead since stays followed (the reach only widens)."""
        queue: deque[tuple[str, Frame]] = deque(
            (node, frame) for node in changed for frame in list(reach.frames_of[node]))
        before = dead[:]
        dead.clear()
        for state, edge, succ in before:
            if state[0] in changed:
                continue  # walked again above, which notes it again if it is still dead
            if self.guards.follow(edge, state[1]):
                self._step(reach, queue, state, edge, succ)
            else:
                dead.append((state, edge, succ))
        self._expand(reach, queue, manual_ok, dead)

    def _consts(self, edge: Edge, frame: Frame) -> tuple[tuple[int, bool], ...]:
        """Literal (or known) Boolean arguments of ``edge``'s call, by the callee's parameter index."""
        site = edge.site
        callee = self.graph.graph.nodes[edge.target].get("proc")
        if site is None or not isinstance(callee, ProcInfo) or edge.kind in ("table-trigger", "validate"):
            return ()
        known = dict(frame.consts) if isinstance(frame, PathFrame) else {}
        out: list[tuple[int, bool]] = []
        for i, arg in enumerate(site.args):
            if i >= len(callee.params) or callee.params[i].type_name != "boolean" or callee.params[i].by_ref:
                continue
            value = literal_bool(arg)
            if value is None:
                var = bool_param(site.caller, arg)
                value = known.get(var.index) if var is not None else None
            if value is not None:
                out.append((i, value))
        return tuple(out)

    def _offenses(self, root: BackgroundRoot, reach: Reach, proc: ProcInfo, frames: list[Frame],
                  facts: ProcFacts, best: dict[int, Offense]) -> None:
        paths = [reach.path(proc.key, f) for f in frames]
        for cand in facts.candidates:
            chosen: tuple[int, str] | None = None
            for i, frame in enumerate(frames):
                if not facts.alive(cand.node, frame):
                    continue
                temp = ""
                if cand.temp is not None:
                    temp = (concrete(cand.temp, frame) or UNKNOWN).kind
                    if temp == TEMPORARY_KIND:
                        continue
                if chosen is None or len(paths[i]) < len(paths[chosen[0]]):
                    chosen = (i, temp)
            if chosen is None:
                continue
            path = paths[chosen[0]]
            known = best.get(id(cand.node))
            if known is not None and known.depth <= len(path):
                continue
            steps = self._steps(root, path)
            last = Location(proc.path, cand.node.span, _final_label(cand))
            best[id(cand.node)] = Offense(cand.category, cand.what, cand.record, chosen[1],
                                          Location(proc.path, cand.node.span), root, (*steps, last), len(path))

    def _steps(self, root: BackgroundRoot, path: list[Edge]) -> list[Location]:
        out = [Location(root.site.path, root.site.span, f"enqueues {root.codeunit.display}")]
        out.extend(Location(e.path, e.span, _edge_label(self.project, e)) for e in path)
        return out

    def _opaque(self, root: BackgroundRoot, path: list[Edge]) -> OpaqueCall:
        edge = path[-1]
        data = self.graph.graph.nodes[edge.target]
        label = self.graph.label(edge.target)
        steps = self._steps(root, path[:-1])
        step = Location(edge.path, edge.span, f"calls {label} (opaque)")
        return OpaqueCall(edge.target, label, data.get("reason", ""), Location(edge.path, edge.span), root,
                          (*steps, step))


def _final_label(cand: Candidate) -> str:
    return f"{cand.what} on {cand.record}" if cand.record else cand.what


# ---------------------------------------------------------------------------------------------- entry

_CACHE: list[tuple[AnalyzedProject, BackgroundAnalysis]] = []


def cached_background_analysis(project: AnalyzedProject) -> BackgroundAnalysis | None:
    """The analysis of ``project`` if :func:`background_analysis` has computed it, without computing it."""
    return next((cached for cached_project, cached in _CACHE if cached_project is project), None)


def background_analysis(project: AnalyzedProject) -> BackgroundAnalysis:
    """Background roots, offending statements and opaque calls of ``project`` (computed once)."""
    cached = cached_background_analysis(project)
    if cached is not None:
        return cached
    result = _analyze(project)
    _CACHE.append((project, result))
    del _CACHE[:-1]
    return result


def background_reach(project: AnalyzedProject, root_key: str) -> set[str] | None:
    """The nodes the background walk reaches from the task root ``root_key`` (an ``OnRun``): the
    project's background code from that root, not past a GUI or not-in-background guard, nor into a call
    dead for the temporariness and the literal Boolean arguments along the path. None when
    ``root_key`` is no background root."""
    return background_analysis(project).reachable.get(root_key)


def background_code(project: AnalyzedProject, root_key: str) -> set[str]:
    """:func:`background_reach`, or for a codeunit the walk does not start from (no enqueue site names
    it), what the plain call graph reaches from ``root_key``."""
    found = background_reach(project, root_key)
    return found if found is not None else project.graph.reachable_from(root_key)


def background_path(project: AnalyzedProject, root_key: str, node: str) -> list[Edge] | None:
    """The calls by which the background walk from ``root_key`` first reached ``node`` (empty for the
    root itself); None when ``root_key`` is no background root or the walk does not reach ``node``."""
    reach = background_analysis(project).reaches.get(root_key)
    if reach is None or node not in reach:
        return None
    return reach.path(node)


_Dead = tuple[tuple[str, Frame], Edge, str]
"""A call the walk did not follow from a state (node and frame) because it is dead there, and its target."""


@dataclass
class KeptWalk:
    """The planner's walks (:mod:`pbtlint.walk_planner`), kept for the next walk of the same project
    grown since: per root, its reach, whether manual subscribers run, and the calls found dead; the
    number of edges out of each node reached; the procedures whose facts were computed again."""

    reaches: dict[str, tuple[Reach, bool, list[_Dead]]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)
    _now: dict[str, int] = field(default_factory=dict)  # edges out counted in this walk (roots share nodes)

    def _edges_now(self, adj: object, node: str) -> int:
        found = self._now.get(node)
        if found is None:
            found = self._now[node] = _edges_out(adj, node)
        return found

    def reach(self, walker: _Walker, root: BackgroundRoot) -> Reach:
        """What ``root`` reaches: walked on from the kept reach, from the nodes that got new edges or new
        facts, and the calls that were dead (or walked afresh for a new root)."""
        adj = walker.graph.graph.adj
        kept = self.reaches.get(root.key)
        if kept is None:
            dead: list[_Dead] = []
            reach, manual = walker._reach(root.key, False, dead), False
        else:
            reach, manual, dead = kept
            changed = {node for node in reach.frames_of
                       if node in self.changed or self.counts.get(node) != self._edges_now(adj, node)}
            walker.resume(reach, manual, dead, changed)
        if not manual and walker._binds(reach):  # the manual subscribers it binds may run: walk again
            dead = []
            reach, manual = walker._reach(root.key, True, dead), True
        self.reaches[root.key] = (reach, manual, dead)
        return reach

    def done(self, walker: _Walker) -> None:
        """After a walk from every root: note the edges out of every node reached."""
        adj = walker.graph.graph.adj
        for reach, _, _ in self.reaches.values():
            for node in reach.frames_of:
                self.counts[node] = self._edges_now(adj, node)
        self._now.clear()
        self.changed.clear()


def _edges_out(adj: object, node: str) -> int:
    return sum(len(data["edges"]) for data in adj[node].values())  # type: ignore[index]


def walk_reach(project: AnalyzedProject, guards: Guards | None = None, kept: KeptWalk | None = None) -> set[str]:
    """The nodes the background walk reaches from every root, with ``guards`` kept from an earlier walk
    of the same project grown since (:mod:`pbtlint.walk_planner`), and with ``kept`` walked on from
    that walk's reach; no offences, no paths."""
    walker = _Walker(project)
    if guards is not None:
        walker.guards = guards
    out: set[str] = set()
    for root in walker.roots():
        out |= (walker.root_reach(root) if kept is None else kept.reach(walker, root)).nodes()
    if kept is not None:
        kept.done(walker)
    return out


def _analyze(project: AnalyzedProject) -> BackgroundAnalysis:
    walker = _Walker(project)
    result = BackgroundAnalysis(roots=walker.roots())
    best: dict[int, Offense] = {}
    for root in result.roots:
        walker.walk(root, result, best)
    result.offenses = sorted(best.values(), key=lambda o: _order(o.location))
    result.opaque_calls.sort(key=lambda o: (o.root.key, *_order(o.location), o.key))
    return result


def _order(loc: Location) -> tuple[str, int, int]:
    return (loc.path, loc.span.line, loc.span.column)


def task_text(root: BackgroundRoot) -> str:
    """``task codeunit "X"`` for messages."""
    return f'task codeunit "{root.codeunit_name}"'


fast_init(globals())
