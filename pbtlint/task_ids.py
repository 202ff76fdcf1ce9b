"""Task ids: which page globals the enqueue sites store them in, and which points of a completion or
error trigger are behind a comparison of the trigger's TaskId with such a global.

Shared by PBT0010 (completion-task-id-unchecked), PBT0011 (error-handler-task-id-unchecked) and
PBT0012 (task-id-not-stored).

A task id reaches a page global when the ``var TaskId`` argument of the enqueue call is
- a page global (or an element of a global array);
- a local (or a by-value parameter) that the procedure then assigns to a page global, copies to
  another local that does, ``Add``/``Set``s into a page-global dictionary or ``Add``/``Insert``s into a
  page-global list, passes to a procedure of the page that stores its parameter, or returns to callers
  that store the result;
- a ``var`` parameter of a helper whose every caller passes something that reaches a page global.

A point of a trigger is checked when a comparison of its TaskId parameter (matched by position)
with a stored id dominates it (:mod:`pbtlint.flow` facts): ``TaskId = Id`` known true,
``TaskId <> Id`` known false (``if TaskId <> Id then exit;``), ``case TaskId of Id:``,
``TaskId in [Id, ...]``, ``Ids.ContainsKey(TaskId)`` / ``Ids.Get(TaskId, V)`` /
``Ids.Contains(TaskId)`` known true on a page-global dictionary or list that enqueue sites fill with
ids, or a call of a procedure of the page that makes such a comparison on the TaskId passed to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from pbtlint import nodes as n
from pbtlint.analysis import AnalyzedProject
from pbtlint.call_sites import CallSite, Resolution
from pbtlint.enqueue import EnqueueSite
from pbtlint.findings import Location
from pbtlint.flow import Fact, Site, evaluation_sites, facts_of
from pbtlint.model import ObjectInfo, ProcInfo, VarInfo
from pbtlint.nodes import norm
from pbtlint.scope import Scope
from pbtlint.span import Span
from pbtlint.walk import iter_nodes

StoreKind = Literal["value", "key", "element", "item"]
_MAX_DEPTH = 5


@dataclass(frozen=True, slots=True)
class IdStore:
    """A page global that receives task ids: as its value (``value``), as keys of a dictionary
    (``key``), as elements of a list (``element``), or as values of a dictionary (``item``)."""

    var: VarInfo
    kind: StoreKind
    path: str
    span: Span


@dataclass(slots=True)
class SiteStorage:
    """Where the task id of one enqueue site goes. ``stored``: it reaches a page global on every
    path we can follow; ``unknown``: it could not be decided (a var parameter without callers, an id
    handed to code outside the page, an id that is not a variable)."""

    site: EnqueueSite
    stores: list[IdStore] = field(default_factory=list)
    stored: bool = False
    unknown: bool = False


@dataclass(slots=True)
class _Flow:
    stores: list[IdStore] = field(default_factory=list)
    stored: bool = False
    unknown: bool = False

    def add(self, other: _Flow) -> None:
        self.stores.extend(other.stores)
        self.stored |= other.stored
        self.unknown |= other.unknown


def _var_of(scope: Scope, expr: n.Expr) -> VarInfo | None:
    """The variable an expression names (an element of an array names the array)."""
    while isinstance(expr, n.Index):
        expr = expr.target
    if isinstance(expr, n.MemberAccess) and isinstance(expr.receiver, n.This):
        return scope.var(expr.member)
    return scope.var(expr.name) if isinstance(expr, n.Identifier) else None


def _in_family(obj: ObjectInfo, page: ObjectInfo) -> bool:
    return obj.base() is page.base()


class _Tracker:
    """Follows a task id from the enqueue call to the page globals it is stored in."""

    def __init__(self, project: AnalyzedProject, page: ObjectInfo) -> None:
        self.project = project
        self.page = page
        self.seen: set[tuple[str, int]] = set()

    def scope(self, proc: ProcInfo) -> Scope:
        return Scope(self.project.model, proc)

    def var(self, proc: ProcInfo, var: VarInfo, depth: int, came_from: CallSite | None = None) -> _Flow:
        """Where the id held by ``var`` (in ``proc``) goes; ``came_from`` is the call that hands it
        back to this procedure (a ``var`` argument), not a place it goes to."""
        flow = _Flow()
        mark = (proc.key, id(var))
        if mark in self.seen:
            return flow  # already being followed further up
        if var.scope == "global":
            # Stored; the same procedure may also add it to a dictionary or list of task ids.
            flow.stores.append(IdStore(var, "value", proc.path, var.span))
            flow.stored = True
            self.seen.add(mark)
            scope = self.scope(proc)
            flow.stores.extend(self.expression(proc, scope, lambda e: _var_of(scope, e) is var, depth,
                                               came_from).stores)
            return flow
        if depth > _MAX_DEPTH:
            flow.unknown = True
            return flow
        self.seen.add(mark)
        scope = self.scope(proc)
        flow.add(self.expression(proc, scope, lambda e: _var_of(scope, e) is var, depth, came_from))
        if var.scope == "return":
            flow.add(self.returned(proc, depth))
        if var.scope == "parameter" and var.by_ref and not flow.stored:
            flow.add(self.callers_pass(proc, var, depth))
        return flow

    def callers_pass(self, proc: ProcInfo, param: VarInfo, depth: int) -> _Flow:
        """The id is a ``var`` parameter: it reaches a page global when every caller's argument does."""
        flow = _Flow()
        results: list[_Flow] = []
        for call in self.project.resolution.callers_of(proc.key):
            if param.index >= len(call.args):
                continue
            arg = _var_of(self.scope(call.caller), call.args[param.index])
            results.append(self.var(call.caller, arg, depth + 1, call) if arg is not None else _Flow(unknown=True))
        for r in results:
            flow.stores.extend(r.stores)
        if not results or any(r.unknown and not r.stored for r in results):
            flow.unknown = True
        flow.stored = bool(results) and all(r.stored for r in results)
        return flow

    def expression(self, proc: ProcInfo, scope: Scope, matches: Callable[[n.Expr], bool], depth: int,
                   came_from: CallSite | None = None) -> _Flow:
        """Where a value goes in ``proc``: assignments, dictionary and list stores, calls, ``exit``."""
        flow = _Flow()
        body = proc.node.body
        if body is None:
            return flow
        for node in iter_nodes(body):
            if isinstance(node, n.Assign) and node.op == ":=" and matches(node.value):
                target = _var_of(scope, node.target)
                if target is not None:
                    flow.add(self.var(proc, target, depth + 1))
            elif isinstance(node, n.Exit) and node.value is not None and matches(node.value):
                flow.add(self.returned(proc, depth))
        for call in self.project.resolution.sites_in(proc.key):
            if call is came_from:
                continue
            for i, arg in enumerate(call.args):
                if not matches(arg):
                    continue
                flow.add(self.passed(proc, scope, call, i, depth))
        return flow

    def passed(self, proc: ProcInfo, scope: Scope, call: CallSite, i: int, depth: int) -> _Flow:
        """The id is argument ``i`` of ``call``."""
        flow = _Flow()
        builtin = call.builtin or ""
        recv = call.receiver
        if builtin in ("dictionary.add", "dictionary.set", "list.add", "list.insert"):
            holder = recv.var if recv is not None else None
            if holder is None or holder.scope != "global":
                return flow
            if builtin.startswith("dictionary."):
                kind: StoreKind = "key" if i == 0 else "item"
            else:
                kind = "element" if (builtin == "list.add" and i == 0) or (builtin == "list.insert" and i == 1) \
                    else "item"
            flow.stores.append(IdStore(holder, kind, proc.path, call.span))
            flow.stored = True
            return flow
        if call.builtin is not None:
            return flow
        callees = [t.proc for t in call.targets if t.proc is not None]
        if not callees or any(not _in_family(c.owner, self.page) for c in callees):
            flow.unknown = True
            return flow
        for callee in callees:
            if i < len(callee.params):
                flow.add(self.var(callee, callee.params[i], depth + 1))
        return flow

    def returned(self, proc: ProcInfo, depth: int) -> _Flow:
        """The id is the return value of ``proc``: where its callers put it."""
        flow = _Flow()
        callers = self.project.resolution.callers_of(proc.key)
        if not callers:
            flow.unknown = True
        for call in callers:
            if depth > _MAX_DEPTH:
                flow.unknown = True
                break
            node = call.node
            caller_scope = self.scope(call.caller)
            flow.add(self.expression(call.caller, caller_scope, lambda e, node=node: e is node, depth + 1))
        return flow


def site_storage(project: AnalyzedProject, site: EnqueueSite) -> SiteStorage:
    """Where the task id of ``site`` is stored (see the module doc)."""
    out = SiteStorage(site)
    var = site.task_id_var
    if var is None:
        out.unknown = True
        return out
    flow = _Tracker(project, site.page).var(site.procedure, var, 0)
    out.stores = flow.stores
    out.stored = flow.stored
    out.unknown = flow.unknown and not flow.stored
    return out


@dataclass(slots=True)
class PageTaskIds:
    """The task-id stores of one page and its extensions."""

    page: ObjectInfo
    sites: list[SiteStorage]
    values: set[VarInfo] = field(default_factory=set)
    collections: set[VarInfo] = field(default_factory=set)
    unknown: bool = False

    def holds_id(self, var: VarInfo | None) -> bool:
        """A global that some enqueue site stores a task id in (or any integer global when a site's
        storage could not be decided)."""
        if var is None or var.scope != "global":
            return False
        if var in self.values:
            return True
        return self.unknown and var.type_name in ("integer", "biginteger")

    def holds_ids(self, var: VarInfo | None) -> bool:
        """A global dictionary keyed by, or list of, enqueued task ids."""
        if var is None or var.scope != "global":
            return False
        if var in self.collections:
            return True
        return self.unknown and var.type_name in ("dictionary", "list")


def page_task_ids(project: AnalyzedProject, page: ObjectInfo) -> PageTaskIds:
    """Every enqueue site of ``page``'s family with where it stores its task id."""
    sites = [site_storage(project, s) for s in project.enqueue.for_page(page)]
    # Without any enqueue site in sight (the page's own code is elsewhere), stores cannot be judged.
    out = PageTaskIds(page, sites, unknown=not sites)
    for s in sites:
        out.unknown |= s.unknown
        for store in s.stores:
            if store.kind == "value":
                out.values.add(store.var)
            elif store.kind in ("key", "element"):
                out.collections.add(store.var)
    _collections_of_stored_ids(project, out)
    return out


_ID_COLLECTING = {"dictionary.add": 0, "dictionary.set": 0, "list.add": 0, "list.insert": 1}


def _collections_of_stored_ids(project: AnalyzedProject, ids: PageTaskIds) -> None:
    """A page-global dictionary or list that any procedure of the page family fills with a global that
    holds task ids (``PBTList.Add(TaskIdCalculateCue, ...)`` after the enqueue) holds task ids too."""
    if not ids.values:
        return
    base = ids.page.base()
    for obj in (base, *base.extensions):
        for proc in obj.all_procs:
            scope: Scope | None = None
            for call in project.resolution.sites_in(proc.key):
                index = _ID_COLLECTING.get(call.builtin or "")
                holder = call.receiver.var if call.receiver is not None else None
                if index is None or holder is None or holder.scope != "global" or index >= len(call.args):
                    continue
                scope = scope or Scope(project.model, proc)
                if _var_of(scope, call.args[index]) in ids.values:
                    ids.collections.add(holder)


def stored_in_locations(ids: PageTaskIds) -> tuple[Location, ...]:
    """The enqueue sites of the page family, labelled with where each stores its task id."""
    out: list[Location] = []
    for s in ids.sites:
        names = sorted({store.var.name for store in s.stores})
        label = f"enqueues; task id stored in {', '.join(names)}" if names else "enqueues; task id not stored"
        out.append(Location(s.site.path, s.site.span, label))
    return tuple(out)


def stored_names(ids: PageTaskIds) -> str:
    """The globals that hold task ids, for messages: ``StockTaskId, RunningTasks``."""
    return ", ".join(sorted({v.name for v in (*ids.values, *ids.collections)}, key=str.casefold))


# ---------------------------------------------------------------------- checks in a trigger


class TaskIdCheck:
    """Decides whether facts of a trigger (or of a helper it passes TaskId to) compare TaskId with a
    stored id."""

    def __init__(self, project: AnalyzedProject, ids: PageTaskIds) -> None:
        self.project = project
        self.ids = ids
        self._helpers: dict[tuple[str, int], bool] = {}

    def accepts(self, scope: Scope, task_id: VarInfo, fact: Fact, depth: int = 0) -> bool:
        expr = fact.expr
        if isinstance(expr, n.Binary):
            if expr.op in ("=", "<>") and fact.holds == (expr.op == "="):
                return self._compares(scope, task_id, expr.left, expr.right)
            if expr.op == "in" and fact.holds and isinstance(expr.right, n.SetLiteral):
                return _var_of(scope, expr.left) is task_id and any(
                    self.ids.holds_id(_var_of(scope, item)) for item in expr.right.items)
            return False
        if isinstance(expr, n.Call) and fact.holds:
            return self._lookup(scope, task_id, expr) or self._helper(scope, task_id, expr, depth)
        return False

    def _compares(self, scope: Scope, task_id: VarInfo, left: n.Expr, right: n.Expr) -> bool:
        a, b = _var_of(scope, left), _var_of(scope, right)
        return (a is task_id and self.ids.holds_id(b)) or (b is task_id and self.ids.holds_id(a))

    def _lookup(self, scope: Scope, task_id: VarInfo, call: n.Call) -> bool:
        member = norm(call.name)
        if not isinstance(call.callee, n.MemberAccess) or not call.args:
            return False
        if member not in ("containskey", "get", "contains") or (member == "get" and len(call.args) != 2):
            return False
        return _var_of(scope, call.args[0]) is task_id and self.ids.holds_ids(_var_of(scope, call.callee.receiver))

    def _helper(self, scope: Scope, task_id: VarInfo, call: n.Call, depth: int) -> bool:
        """``IsOurTask(TaskId)``: a procedure of the page that compares the id it gets."""
        if depth > 2:
            return False
        site = self.project.resolution.site_of(call)
        if site is None or site.builtin is not None:
            return False
        index = next((i for i, a in enumerate(call.args) if _var_of(scope, a) is task_id), -1)
        procs = [t.proc for t in site.targets if t.proc is not None]
        if index < 0 or len(procs) != 1 or not _in_family(procs[0].owner, self.ids.page):
            return False
        callee = procs[0]
        if index >= len(callee.params) or callee.node.body is None:
            return False
        key = (callee.key, index)
        if key not in self._helpers:
            self._helpers[key] = False
            param = callee.params[index]
            inner = Scope(self.project.model, callee)
            found = False
            for node in iter_nodes(callee.node.body):
                if isinstance(node, n.Binary | n.Call) and (
                        self.accepts(inner, param, Fact(node, True), depth + 1)
                        or (isinstance(node, n.Binary) and self.accepts(inner, param, Fact(node, False), depth + 1))):
                    found = True
                    break
            self._helpers[key] = found
        return self._helpers[key]

    def checked(self, scope: Scope, task_id: VarInfo, facts: Iterable[Fact]) -> bool:
        return any(self.accepts(scope, task_id, f) for f in facts)


def compared_with(scope: Scope, body: n.Stmt | None, task_id: VarInfo) -> list[VarInfo]:
    """The variables ``body`` compares ``task_id`` with (``=``, ``<>``, ``in``, ``case``), or looks it
    up in (``ContainsKey``, ``Get``, ``Contains``), in source order."""
    out: list[VarInfo] = []
    if body is None:
        return out

    def add(expr: n.Expr) -> None:
        v = _var_of(scope, expr)
        if v is not None and v is not task_id and v not in out:
            out.append(v)

    for node in iter_nodes(body):
        if isinstance(node, n.Binary) and node.op in ("=", "<>"):
            if _var_of(scope, node.left) is task_id:
                add(node.right)
            elif _var_of(scope, node.right) is task_id:
                add(node.left)
        elif isinstance(node, n.Binary) and node.op == "in" and isinstance(node.right, n.SetLiteral):
            if _var_of(scope, node.left) is task_id:
                for item in node.right.items:
                    add(item)
        elif isinstance(node, n.Case) and _var_of(scope, node.expr) is task_id:
            for branch in node.branches:
                for value in branch.values:
                    add(value)
        elif (isinstance(node, n.Call) and isinstance(node.callee, n.MemberAccess) and node.args
              and norm(node.callee.member) in ("containskey", "get", "contains")
              and _var_of(scope, node.args[0]) is task_id):
            add(node.callee.receiver)
    return out


def unchecked_reason(scope: Scope, body: n.Stmt | None, task_id: VarInfo, ids: PageTaskIds) -> str:
    """How a trigger fails to check its TaskId, for messages."""
    compared = compared_with(scope, body, task_id)
    stored = stored_names(ids)
    if any(norm(v.name) == norm(task_id.name) for v in ids.values):
        return (f'without a check: the parameter "{task_id.name}" hides the page global of the same name '
                "that holds the task id; rename one of them and compare the two")
    if compared and not any(ids.holds_id(v) or ids.holds_ids(v) for v in compared):
        names = ", ".join(v.name for v in compared)
        where = f"; the stored ids are in {stored}" if stored else ""
        return f'but compares "{task_id.name}" only with {names}, which no enqueue site stores a task id in{where}'
    if stored:
        return f'without first checking "{task_id.name}" against {stored}'
    return f'without first checking "{task_id.name}" (no enqueue site of the page stores its task id in a page global)'


@dataclass(frozen=True, slots=True)
class Use:
    """A use of one of the watched parameters: the site (statement, facts) it is evaluated at, the
    parameter, whether the use sets it (assignment target or call argument), and, when the parameter is
    the receiver of a method (``Results.ContainsKey(K)``), the method's name and argument count."""

    site: Site
    var: VarInfo
    sets: bool
    method: str | None = None
    arg_count: int = 0

    @property
    def statement(self) -> n.Stmt:
        return self.site.statement


def _under(call: n.Call) -> set[int]:
    """Ids of every node inside the arguments of ``call``."""
    return {id(node) for a in call.args for node in iter_nodes(a)}


def uses(scope: Scope, body: n.Stmt | None, watched: Iterable[VarInfo], task_id: VarInfo | None,
         resolution: Resolution, skip_call: Callable[[CallSite], bool] | None = None) -> Iterator[Use]:
    """Every use of a ``watched`` parameter, in evaluation order. A parameter passed as an argument
    of a call of user code that also passes ``task_id`` is left out (that call delegates the check),
    and so is anything inside the arguments of calls for which ``skip_call`` is true."""
    wanted = set(watched)
    for site in evaluation_sites(body):
        excluded: set[int] = set()
        passed: set[int] = set()
        methods: dict[int, tuple[str, int]] = {}
        for node in iter_nodes(site.expr):
            if isinstance(node, n.Call):
                passed.update(id(a) for a in node.args)
                if isinstance(node.callee, n.MemberAccess):
                    methods[id(node.callee.receiver)] = (norm(node.callee.member), len(node.args))
                call = resolution.site_of(node)
                if call is None:
                    continue
                if call.builtin is None and task_id is not None and any(
                        _var_of(scope, a) is task_id for a in node.args):
                    excluded.update(id(a) for a in node.args)
                if skip_call is not None and skip_call(call):
                    excluded |= _under(node)
            elif isinstance(node, n.MemberAccess) and id(node.receiver) not in methods:
                methods[id(node.receiver)] = (norm(node.member), 0)
        is_target = isinstance(site.statement, n.Assign) and site.expr is site.statement.target
        for node in iter_nodes(site.expr):
            if not isinstance(node, n.Identifier) or id(node) in excluded:
                continue
            var = scope.var(node.name)
            if var is not None and var in wanted:
                method, count = methods.get(id(node), (None, 0))
                yield Use(site, var, is_target or id(node) in passed, method, count)


_HARMLESS_READS = frozenset({"containskey", "count", "keys", "values"})


def part_of_check(check: TaskIdCheck, scope: Scope, task_id: VarInfo, use: Use) -> bool:
    """A read that cannot fail (``Results.Count()``, ``ContainsKey``, ``Get(K, V)``) in the condition of
    an ``if`` that is itself the TaskId check: ``if (TaskId <> Id) or (Results.Count() = 0) then exit;``."""
    stmt = use.statement
    if not isinstance(stmt, n.If) or use.site.expr is not stmt.condition:
        return False
    if not (use.method in _HARMLESS_READS or (use.method == "get" and use.arg_count == 2)):
        return False
    return any(check.checked(scope, task_id, facts_of(stmt.condition, holds)) for holds in (True, False))


def statement_span(stmt: n.Stmt) -> Span:
    """Where to report a statement: its head (``if <condition>``, ``case <expr> of``...) for
    compound statements, the whole statement otherwise."""
    s = stmt.span
    head: n.Expr | None = None
    if isinstance(stmt, n.If | n.While):
        head = stmt.condition
    elif isinstance(stmt, n.Case):
        head = stmt.expr
    elif isinstance(stmt, n.For):
        head = stmt.end
    elif isinstance(stmt, n.Foreach):
        head = stmt.iterable
    if head is None:
        return s
    return Span(s.line, s.column, head.span.end_line, head.span.end_column)
