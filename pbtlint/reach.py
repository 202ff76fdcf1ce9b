"""Reachability from a background root that carries record temporariness along the way.

The plain call graph (:meth:`pbtlint.callgraph.CallGraph.reachable_from`) ignores arguments. Here each
reached procedure is visited in one or more *frames*: what its record parameters and its ``Rec`` are
(temporary, persistent, unknown) given the call path that led there. This makes two things precise:

- the temporariness of a record operation in background code (:meth:`Reach.temp_of`), e.g. a
  ``var`` record parameter that is temporary on one path and not on another;
- *temporary guards*: a procedure whose leading statements are ``if Rec.IsTemporary() then exit;``
  (or ``if A or X.IsTemporary then exit;``) is not entered when ``X`` is known to be temporary. Table
  trigger events fire for temporary records too, and their subscribers guard this way.

A node gets at most ``max_frames`` frames; after that it is visited once more with every record
unknown, which never prunes, so the result stays an over-approximation.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from pbtlint import nodes as n
from pbtlint.call_sites import CallSite, Resolution
from pbtlint.callgraph import CallGraph, Edge, EdgeFilter
from pbtlint.model import PERSISTENT, TEMPORARY, UNKNOWN, ProcInfo, Temp
from pbtlint.nodes import norm
from pbtlint.pickling import fast_init
from pbtlint.walk import children


@dataclass(frozen=True, slots=True)
class Frame:
    """Concrete temporariness (``temporary``/``persistent``/``unknown``) of a procedure's parameters
    (None for non-record parameters) and of its ``Rec``."""

    params: tuple[Temp | None, ...]
    receiver: Temp

    def widened(self) -> Frame:
        return Frame(tuple(UNKNOWN if p is not None else None for p in self.params), UNKNOWN)


BACKGROUND_ROOT = Frame((), PERSISTENT)
"""A background task's ``OnRun``: no parameters, and it "is invoked without a record"."""

State = tuple[str, Frame]


def concrete(t: Temp | None, frame: Frame) -> Temp | None:
    """``t`` (in a procedure's own terms) made concrete with how the procedure was called."""
    if t is None:
        return None
    if t.kind == "param":
        # None: the caller passed something that is not a record variable.
        return frame.params[t.index] if 0 <= t.index < len(frame.params) else UNKNOWN
    if t.kind == "receiver":
        return frame.receiver
    return t


@dataclass(slots=True)
class Reach:
    """What a root reaches, in which frames, and by which (first found, shortest) path."""

    graph: CallGraph
    roots: tuple[str, ...]
    parent: dict[State, tuple[Edge, State] | None] = field(default_factory=dict)
    frames_of: dict[str, list[Frame]] = field(default_factory=dict)
    pruned: list[Edge] = field(default_factory=list)

    def nodes(self) -> set[str]:
        return set(self.frames_of)

    def __contains__(self, node: str) -> bool:
        return node in self.frames_of

    def frames(self, node: str) -> list[Frame]:
        return self.frames_of.get(node, [])

    def enter(self, succ: str, callee: Frame, edge: Edge, state: State, max_frames: int) -> State | None:
        """Note that ``edge`` from ``state`` reaches ``succ`` in ``callee`` (widened once ``succ`` has
        ``max_frames`` frames): the new state to walk on from, or None when that frame is known there."""
        known = self.frames_of.setdefault(succ, [])
        if callee in known:
            return None
        if len(known) >= max_frames:
            callee = callee.widened()
            if callee in known:
                return None
        known.append(callee)
        self.parent[(succ, callee)] = (edge, state)
        return (succ, callee)

    def path(self, node: str, frame: Frame | None = None) -> list[Edge]:
        """The path by which ``node`` was first reached (in ``frame``, if given)."""
        frames = self.frames_of.get(node)
        if not frames:
            return []
        state: State | None = (node, frame if frame is not None else frames[0])
        out: list[Edge] = []
        while state is not None:
            step = self.parent.get(state)
            if step is None:
                break
            out.append(step[0])
            state = step[1]
        out.reverse()
        return out

    def temp_of(self, site: CallSite, frame: Frame) -> Temp:
        """The concrete temporariness of a record operation's receiver in ``frame``."""
        recv = site.receiver
        if recv is None:
            return UNKNOWN
        return concrete(recv.temp, frame) or UNKNOWN


def background_reach(graph: CallGraph, root: str | Iterable[str], root_frame: Frame = BACKGROUND_ROOT,
                     max_frames: int = 8, follow: EdgeFilter | None = None) -> Reach:
    """Breadth-first reachability over (node, frame) states from ``root``."""
    roots = (root,) if isinstance(root, str) else tuple(root)
    reach = Reach(graph, roots)
    guards = _Guards(graph)
    queue: deque[State] = deque()
    for r in roots:
        if r in graph.graph and r not in reach.frames_of:
            reach.frames_of[r] = [root_frame]
            reach.parent[(r, root_frame)] = None
            queue.append((r, root_frame))
    adj = graph.graph.adj
    while queue:
        state = queue.popleft()
        node, frame = state
        for succ, data in adj[node].items():
            for edge in data["edges"]:
                if follow is not None and not follow(edge):
                    continue
                callee = Frame(tuple(concrete(b, frame) for b in edge.bindings),
                               concrete(edge.receiver, frame) or UNKNOWN)
                if guards.excludes(succ, callee):
                    reach.pruned.append(edge)
                    continue
                entered = reach.enter(succ, callee, edge, state, max_frames)
                if entered is not None:
                    queue.append(entered)
    return reach


class _Guards:
    """Which parameters (and whether ``Rec``) a procedure guards with a leading
    ``if X.IsTemporary() then exit;``."""

    def __init__(self, graph: CallGraph) -> None:
        self.graph = graph
        self.res: Resolution = graph.resolution
        self._cache: dict[str, tuple[frozenset[int], bool]] = {}

    def excludes(self, key: str, frame: Frame) -> bool:
        guarded = self._cache.get(key)
        if guarded is None:
            guarded = self._compute(key)
            self._cache[key] = guarded
        params, receiver = guarded
        if receiver and frame.receiver == TEMPORARY:
            return True
        return any(i < len(frame.params) and frame.params[i] == TEMPORARY for i in params)

    def _compute(self, key: str) -> tuple[frozenset[int], bool]:
        proc = self.graph.graph.nodes[key].get("proc")
        if not isinstance(proc, ProcInfo) or proc.node.body is None:
            return frozenset(), False
        params: set[int] = set()
        receiver = False
        for stmt in proc.node.body.statements:
            if isinstance(stmt, n.EmptyStmt):
                continue
            cond = _exit_condition(stmt)
            if cond is None or not self._call_free(cond):
                break
            for target in _temporary_tests(cond):
                index = _param_index(proc, target)
                if index is not None:
                    params.add(index)
                elif target is None or (isinstance(target, n.Identifier) and norm(target.name) == "rec"):
                    receiver = True
        return frozenset(params), receiver

    def _call_free(self, cond: n.Expr) -> bool:
        """The condition reaches no code (its calls are built-ins without edges)."""
        stack: list[n.Expr] = [cond]
        while stack:
            e = stack.pop()
            site = self.res.site_of(e)
            if site is not None and site.targets:
                return False
            stack.extend(k for k in children(e) if isinstance(k, n.Expr))
        return True


def _exit_condition(stmt: n.Stmt) -> n.Expr | None:
    """``if C then exit;`` -> C; ``if not C then <everything else>`` is not handled (rare)."""
    if not isinstance(stmt, n.If) or stmt.else_ is not None:
        return None
    then = stmt.then
    if isinstance(then, n.Block) and len(then.statements) == 1:
        then = then.statements[0]
    return stmt.condition if isinstance(then, n.Exit) else None


def _temporary_tests(cond: n.Expr) -> list[n.Expr | None]:
    """Receivers of ``IsTemporary`` tests among the ``or``-ed parts of ``cond`` (None = unqualified)."""
    out: list[n.Expr | None] = []
    stack = [cond]
    while stack:
        e = stack.pop()
        if isinstance(e, n.Binary) and e.op == "or":
            stack.extend((e.left, e.right))
            continue
        callee = e.callee if isinstance(e, n.Call) else e
        if isinstance(callee, n.MemberAccess) and norm(callee.member) == "istemporary":
            out.append(callee.receiver)
        elif isinstance(callee, n.Identifier) and norm(callee.name) == "istemporary":
            out.append(None)
    return out


def _param_index(proc: ProcInfo, target: n.Expr | None) -> int | None:
    if not isinstance(target, n.Identifier):
        return None
    key = norm(target.name)
    for p in proc.params:
        if norm(p.name) == key:
            return p.index
    return None


fast_init(globals())
