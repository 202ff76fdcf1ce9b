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
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from pbtlint import al_builtins as b
from pbtlint import nodes as n
from pbtlint.analysis import AnalyzedProject
from pbtlint.callgraph import Edge
from pbtlint.enqueue import EnqueueSite
from pbtlint.findings import Location
from pbtlint.flow import Fact, evaluation_sites, facts_of
from pbtlint.model import UNKNOWN, ObjectInfo, ProcInfo, Temp, VarInfo
from pbtlint.nodes import norm
from pbtlint.reach import BACKGROUND_ROOT, Frame, Reach, concrete
from pbtlint.resolve import CallSite
from pbtlint.walk import iter_nodes

_TEMPORARY = "temporary"
_MAX_FRAMES = 8  # frames kept per node; then one more with every record unknown (as pbtlint.reach)

# Built-ins beyond pbtlint.al_builtins.classify that also need a user interface.
_EXTRA_UI = frozenset({
    "static:dialog.message", "static:dialog.confirm", "static:dialog.strmenu",
    *(f"static:system.{m}" for m in b.UI_GLOBALS),
})
_GUI_ALLOWED = frozenset({"global.guiallowed", "static:system.guiallowed"})
_GET_PARAMETERS = "static:page.getbackgroundparameters"
_BIND = frozenset({"global.bindsubscription", "static:session.bindsubscription"})


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

    def of(self, category: str) -> list[Offense]:
        return [o for o in self.offenses if o.category == category]


# ---------------------------------------------------------------------------------------------- guards


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A statement of one procedure that offends unless its record is temporary (``temp`` set)."""

    category: str
    what: str
    record: str
    temp: Temp | None
    node: n.Expr


@dataclass
class _ProcFacts:
    """``guarded``: call nodes under a GUI or not-in-background guard. ``conditions``: for a call node,
    what must hold of a record's temporariness for the call to run (``(temp, must_be_temporary)``,
    in the procedure's own terms); under a frame that contradicts one, the call is dead code."""

    guarded: set[int]
    candidates: list[_Candidate]
    conditions: dict[int, tuple[tuple[Temp, bool], ...]]

    def alive(self, node: n.Expr, frame: Frame) -> bool:
        for temp, must_be_temporary in self.conditions.get(id(node), ()):
            kind = (concrete(temp, frame) or UNKNOWN).kind
            if (kind == _TEMPORARY and not must_be_temporary) or (kind == "persistent" and must_be_temporary):
                return False
        return True


class _Guards:
    """Per procedure: which call nodes are guarded, and which statements offend."""

    def __init__(self, project: AnalyzedProject) -> None:
        self.project = project
        self.res = project.resolution
        self._procs: dict[str, _ProcFacts] = {}
        self._try_params: dict[str, bool] = {}
        self._rejects: dict[str, frozenset[int]] = {}

    def of(self, proc: ProcInfo) -> _ProcFacts:
        found = self._procs.get(proc.key)
        if found is None:
            found = self._compute(proc)
            self._procs[proc.key] = found
        return found

    def follow(self, edge: Edge, frame: Frame | None = None) -> bool:
        """Is the call of ``edge`` background code (in ``frame``, the caller's, when given)?"""
        site = edge.site
        if site is None:
            return True
        facts = self.of(site.caller)
        return id(site.node) not in facts.guarded and (frame is None or facts.alive(site.node, frame))

    # -------------------------------------------------------------- per procedure

    def _compute(self, proc: ProcInfo) -> _ProcFacts:
        body = proc.node.body
        facts_at: dict[int, tuple[Fact, ...]] = {}
        statement_at: dict[int, n.Stmt] = {}
        if body is not None:
            for site in evaluation_sites(body):
                for node in iter_nodes(site.expr):
                    facts_at[id(node)] = site.facts
                    statement_at[id(node)] = site.statement
        aliases = _BoolAliases(self, proc)
        guarded: set[int] = set()
        candidates: list[_Candidate] = []
        conditions: dict[int, tuple[tuple[Temp, bool], ...]] = {}
        for site in self.res.sites_in(proc.key):
            facts = facts_at.get(id(site.node), ())
            if any(self._is_guard(f, aliases) for f in facts):
                guarded.add(id(site.node))
                continue
            conds = self._temp_conditions(facts)
            if conds:
                conditions[id(site.node)] = conds
            cand = _candidate(site, statement_at.get(id(site.node)))
            if cand is None:
                continue
            if cand.temp is not None and self._known_temporary(site, facts):
                continue
            candidates.append(cand)
        return _ProcFacts(guarded, candidates, conditions)

    def _temp_conditions(self, facts: tuple[Fact, ...]) -> tuple[tuple[Temp, bool], ...]:
        """What ``facts`` require of records' temporariness: ``X.IsTemporary()`` true or false, and
        ``F(X)`` true where ``F`` returns false for a temporary ``X`` (``if not CheckValidRecord(Rec)
        then exit;``)."""
        out: list[tuple[Temp, bool]] = []
        for fact in facts:
            expr, holds = _atom(fact)
            site = self.res.site_of(expr)
            if site is None:
                continue
            if site.builtin in ("record.istemporary", "recordref.istemporary"):
                if site.receiver is not None and site.receiver.temp is not None:
                    out.append((site.receiver.temp, holds))
                continue
            if not holds:
                continue
            for t in site.targets:
                if t.proc is None:
                    continue
                for i in self._rejected_params(t.proc):
                    bound = site.arg_temps[i] if i < len(site.arg_temps) else None
                    if bound is not None:
                        out.append((bound, False))
        return tuple(out)

    def _rejected_params(self, proc: ProcInfo) -> frozenset[int]:
        """Record parameters for which ``proc`` (a Boolean function) returns false when they are
        temporary: its body has a top-level ``if P.IsTemporary() then exit(false);``."""
        found = self._rejects.get(proc.key)
        if found is not None:
            return found
        out: set[int] = set()
        body = proc.node.body
        if body is not None and proc.node.return_type is not None and norm(proc.node.return_type.name) == "boolean":
            for stmt in body.statements:
                if not isinstance(stmt, n.If) or stmt.else_ is not None:
                    continue
                then = stmt.then
                if isinstance(then, n.Block) and len(then.statements) == 1:
                    then = then.statements[0]
                if not (isinstance(then, n.Exit) and then.value is not None and _is_false(then.value)):
                    continue
                for fact in facts_of(stmt.condition, True):
                    expr, holds = _atom(fact)
                    site = self.res.site_of(expr)
                    if (holds and site is not None and site.builtin == "record.istemporary"
                            and site.receiver is not None and site.receiver.var is not None
                            and site.receiver.var.scope == "parameter" and site.receiver.var.by_ref):
                        out.add(site.receiver.var.index)
        found = frozenset(out)
        self._rejects[proc.key] = found
        return found

    def _known_temporary(self, site: CallSite, facts: tuple[Fact, ...]) -> bool:
        """A dominating ``X.IsTemporary()`` that is true, on the receiver's own variable."""
        var = site.receiver.var if site.receiver is not None else None
        if var is None:
            return False
        for fact in facts:
            expr, holds = _atom(fact)
            other = self.res.site_of(expr)
            if (holds and other is not None and other.builtin in ("record.istemporary", "recordref.istemporary")
                    and other.receiver is not None and other.receiver.var is var):
                return True
        return False

    def _is_guard(self, fact: Fact, aliases: _BoolAliases) -> bool:
        expr, holds = _atom(fact)
        kind = self.guard_kind(expr) or aliases.kind(expr)
        return (kind == "gui" and holds) or (kind == "not-background" and not holds)

    def guard_kind(self, expr: n.Expr) -> str | None:
        """``gui`` for ``GuiAllowed()``; ``not-background`` for a call of a ``[TryFunction]`` that
        calls ``Page.GetBackgroundParameters()`` (it fails when not in a background task)."""
        site = self.res.site_of(expr)
        if site is None:
            return None
        if site.builtin in _GUI_ALLOWED:
            return "gui"
        for t in site.targets:
            if t.proc is not None and t.proc.try_function and self._gets_parameters(t.proc):
                return "not-background"
        return None

    def _gets_parameters(self, proc: ProcInfo) -> bool:
        """Does ``proc`` (or a procedure it calls directly) call ``Page.GetBackgroundParameters()``?"""
        found = self._try_params.get(proc.key)
        if found is None:
            found = False
            for site in self.res.sites_in(proc.key):
                if site.builtin == _GET_PARAMETERS:
                    found = True
                    break
                if any(t.proc is not None and any(s.builtin == _GET_PARAMETERS for s in self.res.sites_in(t.key))
                       for t in site.targets):
                    found = True
                    break
            self._try_params[proc.key] = found
        return found


class _BoolAliases:
    """Boolean variables that only ever hold a guard's value (``IsGui := GuiAllowed();``)."""

    def __init__(self, guards: _Guards, proc: ProcInfo) -> None:
        self.guards = guards
        self.proc = proc
        self._kinds: dict[int, str | None] = {}

    def kind(self, expr: n.Expr) -> str | None:
        if not isinstance(expr, n.Identifier):
            return None
        var = self.proc.scope.get(norm(expr.name)) or self.proc.owner.globals.get(norm(expr.name))
        if var is None or var.type_name != "boolean":
            return None
        if id(var) not in self._kinds:
            self._kinds[id(var)] = self._alias_kind(var)
        return self._kinds[id(var)]

    def _alias_kind(self, var: VarInfo) -> str | None:
        if var.scope not in ("local", "global"):
            return None
        procs = [self.proc] if var.scope == "local" else self.proc.owner.all_procs
        kinds: set[str | None] = set()
        for proc in procs:
            if proc.node.body is None:
                continue
            for node in iter_nodes(proc.node.body):
                if (isinstance(node, n.Assign) and isinstance(node.target, n.Identifier)
                        and norm(node.target.name) == norm(var.name)
                        and (var.scope == "local" or norm(var.name) not in proc.scope)):
                    kinds.add(self._value_kind(node.value) if node.op == ":=" else None)
        if len(kinds) == 1:
            return kinds.pop()
        return None

    def _value_kind(self, value: n.Expr) -> str | None:
        """``gui`` when the value can only be true if ``GuiAllowed()`` is (``GuiAllowed() and X``
        too); ``not-background`` for the plain result of a parameter-reading ``[TryFunction]``."""
        kind = self.guards.guard_kind(value)
        if kind is not None:
            return kind
        for fact in facts_of(value, True):
            expr, holds = _atom(fact)
            if holds and self.guards.guard_kind(expr) == "gui":
                return "gui"
        return None


def _atom(fact: Fact) -> tuple[n.Expr, bool]:
    """``X = true`` / ``X <> false`` as ``X``: the boolean expression a fact is about, and its value."""
    expr, holds = fact.expr, fact.holds
    while isinstance(expr, n.Binary) and expr.op in ("=", "<>"):
        lit, other = (expr.right, expr.left) if _is_bool(expr.right) else (expr.left, expr.right)
        if not _is_bool(lit):
            break
        assert isinstance(lit, n.LiteralValue)
        value = lit.value.casefold() == "true"
        holds = holds == value if expr.op == "=" else holds != value
        expr = other
    while isinstance(expr, n.Unary) and expr.op == "not":
        holds = not holds
        expr = expr.operand
    return expr, holds


def _is_bool(expr: n.Expr) -> bool:
    return isinstance(expr, n.LiteralValue) and expr.kind == "boolean"


def _is_false(expr: n.Expr) -> bool:
    return _is_bool(expr) and isinstance(expr, n.LiteralValue) and expr.value.casefold() == "false"


def _is_updlock(expr: n.Expr) -> bool:
    return isinstance(expr, n.ScopeAccess) and norm(expr.right) == "updlock"


def _record_text(site: CallSite) -> str:
    recv = site.receiver
    if recv is None:
        return ""
    if recv.kind == "recordref":
        return f"RecordRef {recv.var.name}" if recv.var is not None else "RecordRef"
    if recv.object_name:
        return f'record "{recv.object_name}"'
    return f"record {recv.var.name}" if recv.var is not None else "record"


def _candidate(site: CallSite, statement: n.Stmt | None) -> _Candidate | None:
    """What kind of offence ``site`` is, if any (temporariness is decided later, along the path)."""
    builtin = site.builtin
    if builtin is None:
        return None
    recv_kind, _, method = builtin.partition(".")
    category = b.classify(builtin, site.args)
    record_temp = site.receiver.temp if site.receiver is not None else None
    is_record = recv_kind in ("record", "recordref")
    if category == "write":
        if is_record:
            return _Candidate("write", site.name, _record_text(site), record_temp or Temp("unknown"), site.node)
        return _Candidate("write", f"IsolatedStorage.{site.name}", "", None, site.node)
    if category == "commit":
        return _Candidate("commit", "Commit", "", None, site.node)
    if category == "lock":
        what = "LockTable" if method == "locktable" else "FindSet(true)"
        return _Candidate("lock", what, _record_text(site), record_temp or Temp("unknown"), site.node)
    if builtin in ("record.readisolation", "recordref.readisolation"):
        value = site.args[0] if site.args else None
        if value is None and isinstance(statement, n.Assign) and statement.target is site.node:
            value = statement.value
        if value is not None and _is_updlock(value):
            return _Candidate("lock", "ReadIsolation := UpdLock", _record_text(site),
                              record_temp or Temp("unknown"), site.node)
        return None
    if category == "ui" or builtin in _EXTRA_UI:
        return _Candidate("ui", _ui_name(site), "", None, site.node)
    return None


def _ui_name(site: CallSite) -> str:
    recv = site.receiver
    if recv is None:
        return site.name
    if recv.kind.startswith("static:"):
        return f"{recv.kind[7:].capitalize()}.{site.name}"
    if recv.var is not None:
        return f"{recv.var.name}.{site.name}"
    return site.name


# ---------------------------------------------------------------------------------------------- walk


def _edge_label(project: AnalyzedProject, edge: Edge) -> str:
    g = project.graph.graph
    target = g.nodes[edge.target].get("label", edge.target) if edge.target in g else edge.target
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
        self.guards = _Guards(project)
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

    def _binds_subscriptions(self, root: BackgroundRoot) -> bool:
        """Does code reachable from ``root`` (without manual subscribers) call ``BindSubscription``?
        Only then can a subscriber of an ``EventSubscriberInstance = Manual`` codeunit run there."""
        reached = self.graph.reachable_from(root.key, lambda e: not e.manual and self.guards.follow(e))
        res = self.project.resolution
        return any(s.builtin in _BIND for key in reached for s in res.sites_in(key))

    def walk(self, root: BackgroundRoot, result: BackgroundAnalysis, best: dict[int, Offense]) -> None:
        """Reach everything ``root`` runs (in every frame) and record its offences and opaque calls."""
        manual_ok = self._binds_subscriptions(root)
        reach = self._reach(root.key, manual_ok)
        result.reachable[root.key] = reach.nodes()
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

    def _reach(self, root: str, manual_ok: bool) -> Reach:
        """Breadth first over (node, frame) states, like :func:`pbtlint.reach.background_reach`, but
        a call is followed only when it is background code in the caller's frame (no guard, and not
        dead for the temporariness the frame gives)."""
        reach = Reach(self.graph, (root,))
        reach.frames_of[root] = [BACKGROUND_ROOT]
        reach.parent[(root, BACKGROUND_ROOT)] = None
        queue: deque[tuple[str, Frame]] = deque([(root, BACKGROUND_ROOT)])
        adj = self.graph.graph.adj
        while queue:
            state = queue.popleft()
            node, frame = state
            for succ, data in adj[node].items():
                if succ in self.parent_session:
                    continue
                for edge in data["edges"]:
                    if (edge.manual and not manual_ok) or not self.guards.follow(edge, frame):
                        continue
                    callee = Frame(tuple(concrete(b, frame) for b in edge.bindings),
                                   concrete(edge.receiver, frame) or UNKNOWN)
                    known = reach.frames_of.setdefault(succ, [])
                    if callee in known:
                        continue
                    if len(known) >= _MAX_FRAMES:
                        callee = callee.widened()
                        if callee in known:
                            continue
                    known.append(callee)
                    reach.parent[(succ, callee)] = (edge, state)
                    queue.append((succ, callee))
        return reach

    def _offenses(self, root: BackgroundRoot, reach: Reach, proc: ProcInfo, frames: list[Frame],
                  facts: _ProcFacts, best: dict[int, Offense]) -> None:
        paths = [reach.path(proc.key, f) for f in frames]
        for cand in facts.candidates:
            chosen: tuple[int, str] | None = None
            for i, frame in enumerate(frames):
                if not facts.alive(cand.node, frame):
                    continue
                temp = ""
                if cand.temp is not None:
                    temp = (concrete(cand.temp, frame) or UNKNOWN).kind
                    if temp == _TEMPORARY:
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
        label = data.get("label", edge.target)
        steps = self._steps(root, path[:-1])
        step = Location(edge.path, edge.span, f"calls {label} (opaque)")
        return OpaqueCall(edge.target, label, data.get("reason", ""), Location(edge.path, edge.span), root,
                          (*steps, step))


def _final_label(cand: _Candidate) -> str:
    return f"{cand.what} on {cand.record}" if cand.record else cand.what


# ---------------------------------------------------------------------------------------------- entry

_CACHE: list[tuple[AnalyzedProject, BackgroundAnalysis]] = []


def background_analysis(project: AnalyzedProject) -> BackgroundAnalysis:
    """Background roots, offending statements and opaque calls of ``project`` (computed once)."""
    for cached_project, cached in _CACHE:
        if cached_project is project:
            return cached
    result = _analyze(project)
    _CACHE.append((project, result))
    del _CACHE[:-2]
    return result


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

