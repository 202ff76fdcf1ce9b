"""The dictionaries of page background tasks: where the task's parameters and results flow, which keys
are read from them, whether each read is guarded, and which keys are put into them.

Two kinds of dictionary are tracked through the code:
- ``parameters``: values of ``Page.GetBackgroundParameters()``, used chained
  (``Page.GetBackgroundParameters().Get(K)``), assigned to a variable (local or global, also through a
  ``var`` parameter or a procedure's return value), or passed to a procedure (followed into the callee's
  parameter);
- ``results``: the ``Results`` parameter of a completion trigger (matched by position), and wherever it
  is passed or assigned.

A :class:`Lookup` is a ``Get`` or ``ContainsKey`` on such a dictionary. A one-argument ``Get(Key)`` is
guarded when a true ``ContainsKey(Key)`` (or a true two-argument ``Get(Key, V)``) on the same dictionary
and key dominates it (:mod:`pbtlint.flow` facts), or when it sits in a ``[TryFunction]``. A two-argument
``Get(Key, V)`` is unguarded only when it is a statement of its own (its result ignored).

Keys are constants when they are text literals, ``Label``/``TextConst`` variables or procedures that
return one (:meth:`pbtlint.scope.Scope.constant_text`), or a by-value parameter that every caller passes
such a constant for. :class:`Background` says which enqueue sites reach a procedure, with the call
path; :mod:`pbtlint.dictionary_keys` collects the keys code puts into a dictionary.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from pbtlint import nodes as n
from pbtlint.analysis import AnalyzedProject
from pbtlint.audit import note_callers, words
from pbtlint.background import background_code, background_path
from pbtlint.call_sites import CallSite, Resolution
from pbtlint.callgraph import Edge, path_to
from pbtlint.enqueue import CompletionTrigger, EnqueueSite
from pbtlint.findings import Location
from pbtlint.flow import Fact, Site, calls_with_facts
from pbtlint.model import Model, ObjectInfo, ProcInfo, VarInfo
from pbtlint.nodes import norm
from pbtlint.scope import Scope
from pbtlint.walk import iter_nodes

GET_PARAMETERS = "static:page.getbackgroundparameters"
SET_RESULT = "static:page.setbackgroundtaskresult"
DictKind = Literal["parameters", "results"]

_MAX_DEPTH = 6
_MAX_SCANS = 20000


# --------------------------------------------------------------------------- tracking


class Tracking:
    """Where one kind of dictionary flows: the variables holding it, the procedures it reaches, the
    procedures returning it, and for each procedure the call that passed it there."""

    def __init__(self, model: Model, res: Resolution, kind: DictKind) -> None:
        self.model = model
        self.res = res
        self.kind = kind
        self.vars: set[VarInfo] = set()
        self.procs: dict[str, ProcInfo] = {}
        self.returns: set[str] = set()
        self.via: dict[str, CallSite] = {}
        self._scopes: dict[str, Scope] = {}
        self._held: dict[tuple[str, int], n.Expr | None] = {}

    def scope(self, proc: ProcInfo) -> Scope:
        found = self._scopes.get(proc.key)
        if found is None:
            found = Scope(self.model, proc)
            self._scopes[proc.key] = found
        return found

    def holds(self, scope: Scope, expr: n.Expr) -> bool:
        """Does ``expr`` (evaluated in ``scope``) hold the tracked dictionary?"""
        if isinstance(expr, n.Identifier):
            v = scope.var(expr.name)
            if v is not None:
                return v in self.vars
            return self._returned(expr)
        if isinstance(expr, n.Call):
            site = self.res.site_of(expr)
            if site is not None and self.kind == "parameters" and site.builtin == GET_PARAMETERS:
                return True
            return self._returned(expr)
        return False

    def _returned(self, expr: n.Expr) -> bool:
        site = self.res.site_of(expr)
        return site is not None and any(t.proc is not None and t.key in self.returns for t in site.targets)

    def path_to(self, proc: ProcInfo) -> list[CallSite]:
        """The calls that passed the dictionary from where it starts to ``proc``, outermost first."""
        out: list[CallSite] = []
        key = proc.key
        seen = {key}
        while key in self.via:
            call = self.via[key]
            out.append(call)
            key = call.caller.key
            if key in seen:
                break
            seen.add(key)
        out.reverse()
        return out


class _Tracker:
    def __init__(self, tracking: Tracking) -> None:
        self.t = tracking
        self.work: deque[ProcInfo] = deque()
        self.queued: set[str] = set()

    def run(self, seeds: Iterable[ProcInfo]) -> Tracking:
        for p in seeds:
            self._enqueue(p)
        scans = 0
        while self.work and scans < _MAX_SCANS:
            proc = self.work.popleft()
            self.queued.discard(proc.key)
            scans += 1
            self._scan(proc)
        return self.t

    def _enqueue(self, proc: ProcInfo) -> None:
        if proc.node.body is None:
            return
        self.t.procs.setdefault(proc.key, proc)
        if proc.key not in self.queued:
            self.queued.add(proc.key)
            self.work.append(proc)

    def _mark(self, proc: ProcInfo, var: VarInfo) -> None:
        t = self.t
        if var in t.vars:
            return
        t.vars.add(var)
        self._enqueue(proc)
        if var.scope == "global":
            owner = proc.owner.base()
            for obj in (owner, *owner.extensions):
                for p in obj.all_procs:
                    self._enqueue(p)
        elif var.scope == "return":
            self._returns(proc)
        elif var.scope == "parameter" and var.by_ref:
            for call in t.res.callers_of(proc.key):
                if var.index < len(call.args):
                    self._mark_arg(call, call.args[var.index])

    def _mark_arg(self, call: CallSite, arg: n.Expr) -> None:
        if isinstance(arg, n.Identifier):
            v = self.t.scope(call.caller).var(arg.name)
            if v is not None:
                self._mark(call.caller, v)

    def _returns(self, proc: ProcInfo) -> None:
        if proc.key in self.t.returns:
            return
        self.t.returns.add(proc.key)
        for call in self.t.res.callers_of(proc.key):
            self._enqueue(call.caller)

    def _scan(self, proc: ProcInfo) -> None:
        t = self.t
        scope = t.scope(proc)
        for node in iter_nodes(proc.node.body):
            if isinstance(node, n.Assign) and node.op == ":=" and isinstance(node.target, n.Identifier):
                if t.holds(scope, node.value):
                    v = scope.var(node.target.name)
                    if v is not None:
                        self._mark(proc, v)
            elif isinstance(node, n.Exit) and node.value is not None:
                if t.holds(scope, node.value):
                    self._returns(proc)
            elif isinstance(node, n.Call):
                site = t.res.site_of(node)
                if site is None:
                    continue
                for i, arg in enumerate(node.args):
                    if not t.holds(scope, arg):
                        continue
                    for target in site.targets:
                        callee = target.proc
                        if callee is None or i >= len(callee.params) or callee.node.body is None:
                            continue
                        param = callee.params[i]
                        if param not in t.vars:
                            t.via.setdefault(callee.key, site)
                            self._mark(callee, param)


def track_parameters(project: AnalyzedProject) -> Tracking:
    """Every place the values of ``Page.GetBackgroundParameters()`` flow to."""
    tracking = Tracking(project.model, project.resolution, "parameters")
    seeds = [s.caller for s in project.resolution.sites if s.builtin == GET_PARAMETERS]
    return _Tracker(tracking).run(seeds)


def track_results(project: AnalyzedProject, trigger: CompletionTrigger) -> Tracking:
    """Every place the ``Results`` of one completion trigger flows to."""
    tracking = Tracking(project.model, project.resolution, "results")
    tracker = _Tracker(tracking)
    if trigger.results is not None and trigger.proc.node.body is not None:
        tracker._mark(trigger.proc, trigger.results)
    return tracker.run([trigger.proc])


# --------------------------------------------------------------------------- lookups


@dataclass(frozen=True, slots=True)
class Lookup:
    """A ``Get`` or ``ContainsKey`` on a tracked dictionary."""

    kind: DictKind
    proc: ProcInfo
    call: n.Call
    method: Literal["get", "containskey"]
    key: n.Expr | None
    key_texts: tuple[str, ...] | None
    site: Site
    guarded: bool
    as_statement: bool

    @property
    def path(self) -> str:
        return self.proc.path

    @property
    def location(self) -> Location:
        return Location(self.proc.path, self.call.span)

    @property
    def unguarded(self) -> bool:
        """A ``Get`` that fails at run time when the key is missing and nothing rules that out."""
        if self.method != "get" or self.guarded:
            return False
        return len(self.call.args) == 1 or self.as_statement


def lookups(tracking: Tracking) -> list[Lookup]:
    """Every ``Get``/``ContainsKey`` on the tracked dictionary, in the procedures it reaches."""
    out: list[Lookup] = []
    for proc in tracking.procs.values():
        scope = tracking.scope(proc)
        over_keys = _key_loops(tracking, scope)
        in_try = inside_try_function(tracking.res, proc)
        for call, site in calls_with_facts(proc.node.body):
            callee = call.callee
            if not isinstance(callee, n.MemberAccess):
                continue
            method = norm(callee.member)
            if method not in ("get", "containskey") or not call.args:
                continue
            if not tracking.holds(scope, callee.receiver):
                continue
            key = call.args[0]
            texts = constant_keys(tracking.model, tracking.res, scope, key)
            stmt = site.statement
            as_statement = isinstance(stmt, n.ExprStmt) and stmt.expr is call
            guarded = in_try or (method == "get" and (
                _dominated_by_check(tracking, scope, site.facts, key, texts)
                or _loop_key(scope, key, over_keys.get(id(call)))))
            out.append(Lookup(tracking.kind, proc, call, method, key,  # type: ignore[arg-type]
                              texts, site, guarded, as_statement))
    out.sort(key=lambda lk: (lk.path, lk.call.span.line, lk.call.span.column))
    return out


def inside_try_function(res: Resolution, proc: ProcInfo, depth: int = 3) -> bool:
    """Is ``proc`` a ``[TryFunction]``, or called only from procedures that are (up to ``depth``
    calls up)? An error raised there is caught by the try function. A trigger is not: the runtime
    enters it (a task codeunit's ``OnRun`` runs as the task, whatever code also runs the codeunit)."""
    level = [proc]
    seen: set[str] = set()
    for _ in range(depth + 1):
        callers: list[ProcInfo] = []
        for p in level:
            if p.try_function or p.key in seen:
                continue
            if p.is_trigger:
                return False
            seen.add(p.key)
            sites = res.callers_of(p.key, _TRY_WORDS)  # unless a caller is a try function, still "no"
            if not sites:
                return False
            callers.extend(site.caller for site in sites)
        if not callers:
            for key in seen:  # "yes": any other caller, try function or not, could make it "no"
                note_callers(key)
            return True
        level = callers
    return False


_TRY_WORDS = words("tryfunction")


def _key_loops(tracking: Tracking, scope: Scope) -> dict[int, list[VarInfo]]:
    """For each call inside ``foreach K in D.Keys do`` (``D`` tracked), the loop variables ``K``: a
    ``D.Get(K)`` there cannot miss."""
    out: dict[int, list[VarInfo]] = {}
    for node in iter_nodes(scope.proc.node.body):
        if not isinstance(node, n.Foreach) or not isinstance(node.variable, n.Identifier):
            continue
        it = node.iterable.callee if isinstance(node.iterable, n.Call) else node.iterable
        if not (isinstance(it, n.MemberAccess) and norm(it.member) == "keys"
                and tracking.holds(scope, it.receiver)):
            continue
        var = scope.var(node.variable.name)
        if var is None:
            continue
        for inner in iter_nodes(node.body):
            if isinstance(inner, n.Call):
                out.setdefault(id(inner), []).append(var)
    return out


def _loop_key(scope: Scope, key: n.Expr, loop_vars: list[VarInfo] | None) -> bool:
    return bool(loop_vars) and isinstance(key, n.Identifier) and scope.var(key.name) in loop_vars


def _held_check(tracking: Tracking, scope: Scope, expr: n.Expr) -> n.Expr:
    """What a Boolean local variable holds when it is assigned once in its procedure, is no loop
    variable and is never passed to a call (``Found := Params.ContainsKey(K); if Found then ...`` tests
    ``Params.ContainsKey(K)``); ``expr`` itself otherwise. Like the facts themselves, this does not
    notice the key or the dictionary changing between the check and the ``Get``. (Background guards
    have their own Boolean aliases, :class:`pbtlint.guard_aliases.BoolAliases`, for a value that
    every assignment gives.) One walk of the body per procedure and variable."""
    if not isinstance(expr, n.Identifier) or scope.proc.node.body is None:
        return expr
    var = scope.var(expr.name)
    if var is None or var.scope != "local" or var.type_name != "boolean":
        return expr
    key = (scope.proc.key, id(var))
    if key not in tracking._held:
        tracking._held[key] = _single_call_assigned(scope, var)
    return tracking._held[key] or expr


def _single_call_assigned(scope: Scope, var: VarInfo) -> n.Expr | None:
    values: list[n.Expr] = []
    for node in iter_nodes(scope.proc.node.body):
        if isinstance(node, n.Assign) and isinstance(node.target, n.Identifier) and scope.var(node.target.name) is var:
            values.append(node.value)
        elif isinstance(node, n.Foreach | n.For) and isinstance(node.variable, n.Identifier) \
                and scope.var(node.variable.name) is var:
            return None  # a loop variable: assigned on every iteration
        elif isinstance(node, n.Call) and any(isinstance(a, n.Identifier) and scope.var(a.name) is var
                                              for a in node.args):
            return None  # maybe a var argument: the callee may set it
    return values[0] if len(values) == 1 and isinstance(values[0], n.Call) else None


def _dominated_by_check(tracking: Tracking, scope: Scope, facts: tuple[Fact, ...], key: n.Expr,
                        texts: tuple[str, ...] | None) -> bool:
    for fact in facts:
        e = _held_check(tracking, scope, fact.expr) if fact.holds else fact.expr
        if not fact.holds or not isinstance(e, n.Call) or not isinstance(e.callee, n.MemberAccess):
            continue
        m = norm(e.callee.member)
        if not ((m == "containskey" and len(e.args) == 1) or (m == "get" and len(e.args) == 2)):
            continue
        if not tracking.holds(scope, e.callee.receiver):
            continue
        other = e.args[0]
        if same_expr(other, key):
            return True
        if texts is not None and len(texts) == 1:
            other_texts = constant_keys(tracking.model, tracking.res, scope, other)
            if other_texts == texts:
                return True
    return False


def keys_read(items: Iterable[Lookup]) -> list[Lookup]:
    """The reads of constant keys worth judging: every ``Get``, and a ``ContainsKey`` when its procedure
    has no ``Get`` of the same key (one finding per misspelt key, not two)."""
    items = list(items)
    got = {(lk.proc.key, t) for lk in items if lk.method == "get" and lk.key_texts for t in lk.key_texts}
    out: list[Lookup] = []
    for lk in items:
        if not lk.key_texts:
            continue
        if lk.method == "containskey" and all((lk.proc.key, t) in got for t in lk.key_texts):
            continue
        out.append(lk)
    return out


def same_expr(a: n.Expr, b: n.Expr) -> bool:
    """Are two expressions written the same (names compared case-insensitively, spans ignored)?"""
    stack: list[tuple[object, object]] = [(a, b)]
    while stack:
        x, y = stack.pop()
        if type(x) is not type(y):
            return False
        if isinstance(x, tuple):
            assert isinstance(y, tuple)
            if len(x) != len(y):
                return False
            stack.extend(zip(x, y, strict=True))
            continue
        if isinstance(x, str):
            if x.casefold() != str(y).casefold():
                return False
            continue
        if not isinstance(x, n.Expr):
            if x != y:
                return False
            continue
        for name in x.__dataclass_fields__:
            if name.endswith("span") or name == "quoted":
                continue
            if isinstance(x, n.LiteralValue) and name == "value":
                if x.value != getattr(y, name):
                    return False
                continue
            stack.append((getattr(x, name), getattr(y, name)))
    return True


def constant_keys(model: Model, res: Resolution, scope: Scope, expr: n.Expr,
                  depth: int = 0) -> tuple[str, ...] | None:
    """The constant texts ``expr`` can be: one for a literal, Label or Label-returning procedure; one per
    caller for a by-value parameter whose every caller passes a constant. None when not constant."""
    text = scope.constant_text(expr)
    if text is not None:
        return (text,)
    if not isinstance(expr, n.Identifier) or depth >= _MAX_DEPTH:
        return None
    v = scope.var(expr.name)
    if v is None or v.scope != "parameter" or v.by_ref or _assigned_in(scope, v):
        return None
    callers = res.callers_of(scope.proc.key)
    if not callers:
        return None
    out: list[str] = []
    for call in callers:
        if v.index >= len(call.args):
            return None
        found = constant_keys(model, res, Scope(model, call.caller), call.args[v.index], depth + 1)
        if found is None:
            return None
        out.extend(t for t in found if t not in out)
    return tuple(out)


def _assigned_in(scope: Scope, var: VarInfo) -> bool:
    body = scope.proc.node.body
    return body is not None and any(
        isinstance(s, n.Assign) and isinstance(s.target, n.Identifier) and scope.var(s.target.name) is var
        for s in iter_nodes(body))


# --------------------------------------------------------------------------- background context


class Background:
    """Which enqueue sites reach a procedure through the call graph, and the call path from each."""

    def __init__(self, project: AnalyzedProject) -> None:
        self.project = project
        self._trees: dict[str, dict[str, Edge | None]] = {}
        self._reach: dict[str, set[str]] = {}

    def _path(self, root: str, proc_key: str) -> list[Edge]:
        """The calls from the task root ``root`` to ``proc_key``: the background walk's path (the plain
        call graph's shortest for a root the walk does not start from)."""
        found = background_path(self.project, root, proc_key)
        if found is not None:
            return found
        tree = self._trees.get(root)
        if tree is None:
            tree = self._trees[root] = self.project.graph.shortest_paths(root)
        return path_to(tree, proc_key)

    def _reachable(self, root: str) -> set[str]:
        """The background code of the task root ``root``: what the background walk reaches from it
        (the plain call graph's reach for a root the walk does not start from)."""
        found = self._reach.get(root)
        if found is None:
            found = self._reach[root] = background_code(self.project, root)
        return found

    def sites_reaching(self, proc_key: str) -> list[EnqueueSite]:
        """The enqueue sites whose background code holds ``proc_key``."""
        return [s for s in self.project.enqueue.sites if any(proc_key in self._reachable(r) for r in s.roots)]

    def codeunits_reaching(self, proc_key: str) -> list[ObjectInfo]:
        out: list[ObjectInfo] = []
        for cu in self.project.enqueue.task_codeunits():
            root = cu.triggers.get("onrun")
            if root is not None and proc_key in self._reachable(root.key):
                out.append(cu)
        return out

    def codeunits_of(self, site: EnqueueSite, proc_key: str) -> list[ObjectInfo]:
        """The task codeunits of ``site`` whose background code includes ``proc_key``."""
        out: list[ObjectInfo] = []
        for t in site.task_codeunits:
            root = t.root
            if t.codeunit is not None and t.codeunit not in out and root is not None \
                    and proc_key in self._reachable(root.key):
                out.append(t.codeunit)
        return out

    def related(self, site: EnqueueSite, proc_key: str) -> tuple[Location, ...]:
        """The enqueue site and its task codeunit(s) that reach ``proc_key``."""
        return (enqueue_location(site), *(codeunit_location(c) for c in self.codeunits_of(site, proc_key)))

    def call_path(self, site: EnqueueSite, proc_key: str, end: Location) -> tuple[Location, ...]:
        """Locations from the enqueue site through each call to ``end``."""
        root = next((r for r in site.roots if proc_key in self._reachable(r)), None)
        edges = self._path(root, proc_key) if root is not None else []
        out = [enqueue_location(site)]
        graph = self.project.graph
        for e in edges:
            out.append(Location(e.path, e.span, edge_label(e, graph.label(e.target))))
        out.append(end)
        return tuple(out)


def enqueue_location(site: EnqueueSite) -> Location:
    names = [t.codeunit.name if t.codeunit is not None else (t.written or "?") for t in site.task_codeunits]
    what = ", ".join(f'Codeunit "{name}"' for name in names) or "a task"
    return Location(site.path, site.span, f"enqueues {what}")


def codeunit_location(codeunit: ObjectInfo) -> Location:
    return Location(codeunit.path, codeunit.node.name_span, f'task codeunit "{codeunit.name}"')


def edge_label(edge: Edge, target_label: str) -> str:
    if edge.site is None:
        return f"event subscriber {target_label}"
    if edge.kind == "codeunit-run":
        return f"{edge.site.name} runs {target_label}"
    if edge.kind in ("table-trigger", "validate"):
        return f"{edge.site.name} runs {target_label}"
    return f"calls {edge.site.name}"


def passing_path(tracking: Tracking, lookup: Lookup, start: Location) -> tuple[Location, ...]:
    """Locations from where the dictionary starts through each call that passes it on, to ``lookup``."""
    calls = tracking.path_to(lookup.proc)
    if not calls:
        return ()
    out = [start]
    out.extend(Location(c.path, c.span, f"passes it to {c.name}") for c in calls)
    out.append(lookup.location)
    return tuple(out)


def describe_get(lookup: Lookup) -> str:
    """``Get('ItemNo')`` / ``Get('ItemNo', Value)`` / ``ContainsKey(Key)`` as written in messages."""
    texts = lookup.key_texts
    k = lookup.key
    if texts and len(texts) == 1:
        key = f"'{texts[0]}'"
    elif isinstance(k, n.Identifier):
        key = k.name
    elif isinstance(k, n.Call) and k.name:
        key = f"{k.name}()"
    else:
        key = "Key"
    if lookup.method == "containskey":
        return f"ContainsKey({key})"
    return f"Get({key}, Value)" if len(lookup.call.args) > 1 else f"Get({key})"


def quote_keys(keys: Iterable[str]) -> str:
    items = sorted(set(keys))
    return ", ".join(f"'{k}'" for k in items) if items else "none"
