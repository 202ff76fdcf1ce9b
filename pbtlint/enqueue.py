"""Page background tasks as the code declares them: enqueue sites, their task codeunits, parameter
keys, timeouts and error levels, and the completion and error triggers of each page.

An enqueue site is a ``CurrPage.EnqueueBackgroundTask(var TaskId, CodeunitId [, var Parameters]
[, Timeout] [, ErrorLevel])`` call in a page or page extension. The task codeunit is resolved through
``Codeunit::"Name"``, ``Codeunit::Name``, namespace-qualified names, integer literals, variables
assigned such a value, procedures that return one, and parameters of helper procedures (from
every caller).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pbtlint import nodes as n
from pbtlint.audit import words
from pbtlint.call_sites import CallSite, Resolution
from pbtlint.model import Model, ObjectInfo, ProcInfo, VarInfo
from pbtlint.nodes import norm
from pbtlint.scope import Scope
from pbtlint.span import Span
from pbtlint.walk import iter_nodes, scoped_object_name

ENQUEUE = "currpage.enqueuebackgroundtask"
_MAX_DEPTH = 6

TaskIdScope = Literal["global", "local", "var-parameter", "parameter", "other"]


@dataclass(frozen=True, slots=True)
class TaskCodeunit:
    """One codeunit an enqueue site may run. ``codeunit`` is None when it is not in the sources
    (``written`` is then the name or id as written) or not a constant (``reason`` says why:
    ``no-source``, ``not-constant``, ``from-data``, ``no-callers``). ``via`` are the helper calls the
    value came through, innermost first."""

    codeunit: ObjectInfo | None
    written: str | None
    expr: n.Expr
    path: str
    via: tuple[CallSite, ...] = ()
    reason: str = ""

    @property
    def resolved(self) -> bool:
        return self.codeunit is not None

    @property
    def root(self) -> ProcInfo | None:
        """The background root: the codeunit's ``OnRun`` trigger."""
        return self.codeunit.triggers.get("onrun") if self.codeunit is not None else None


@dataclass(frozen=True, slots=True)
class ParameterKey:
    """A key put into the parameters dictionary (``.Add(Key, ...)`` / ``.Set(Key, ...)``);
    ``key`` is None when it is not a constant."""

    key: str | None
    expr: n.Expr
    path: str
    site: CallSite


@dataclass(frozen=True, slots=True)
class EnqueueSite:
    page: ObjectInfo
    procedure: ProcInfo
    site: CallSite
    task_id: n.Expr | None
    task_id_var: VarInfo | None
    task_id_scope: TaskIdScope
    codeunit_expr: n.Expr | None
    task_codeunits: tuple[TaskCodeunit, ...]
    parameters: n.Expr | None
    parameter_keys: tuple[ParameterKey, ...]
    keys_complete: bool
    timeout: n.Expr | None
    timeout_value: int | None
    error_level: n.Expr | None
    error_level_value: str | None
    checked: bool

    @property
    def base_page(self) -> ObjectInfo:
        """The page the task runs for (for a page extension: the extended page, when in the sources)."""
        return self.page.base()

    @property
    def path(self) -> str:
        return self.site.path

    @property
    def span(self) -> Span:
        return self.site.span

    @property
    def roots(self) -> tuple[str, ...]:
        """Call-graph keys of the background roots (``OnRun`` of each resolved task codeunit)."""
        out: list[str] = []
        for t in self.task_codeunits:
            r = t.root
            if r is not None and r.key not in out:
                out.append(r.key)
        return tuple(out)


@dataclass(frozen=True, slots=True)
class CompletionTrigger:
    """``OnPageBackgroundTaskCompleted(TaskId; Results)`` of a page or page extension."""

    page: ObjectInfo
    proc: ProcInfo
    task_id: VarInfo | None
    results: VarInfo | None


@dataclass(frozen=True, slots=True)
class ErrorTrigger:
    """``OnPageBackgroundTaskError(TaskId; ErrorCode; ErrorText; ErrorCallStack; var IsHandled)``."""

    page: ObjectInfo
    proc: ProcInfo
    task_id: VarInfo | None
    error_code: VarInfo | None
    error_text: VarInfo | None
    error_call_stack: VarInfo | None
    is_handled: VarInfo | None


class EnqueueIndex:
    """All enqueue sites and background-task triggers of a project."""

    def __init__(self, sites: list[EnqueueSite], completion: list[CompletionTrigger],
                 errors: list[ErrorTrigger]) -> None:
        self.sites = tuple(sites)
        self.completion_triggers = tuple(completion)
        self.error_triggers = tuple(errors)

    def for_page(self, page: ObjectInfo) -> list[EnqueueSite]:
        """Sites of a page and of its extensions (or, for an extension, of its base page family)."""
        base = page.base()
        return [s for s in self.sites if s.page.base() is base]

    def completion_for(self, page: ObjectInfo) -> list[CompletionTrigger]:
        base = page.base()
        return [t for t in self.completion_triggers if t.page.base() is base]

    def errors_for(self, page: ObjectInfo) -> list[ErrorTrigger]:
        base = page.base()
        return [t for t in self.error_triggers if t.page.base() is base]

    def sites_for_codeunit(self, codeunit: ObjectInfo) -> list[EnqueueSite]:
        return [s for s in self.sites if any(t.codeunit is codeunit for t in s.task_codeunits)]

    def task_codeunits(self) -> list[ObjectInfo]:
        out: list[ObjectInfo] = []
        for s in self.sites:
            for t in s.task_codeunits:
                if t.codeunit is not None and t.codeunit not in out:
                    out.append(t.codeunit)
        return out


_ENQUEUE_WORDS = words("enqueuebackgroundtask")  # what a body left out must name to hold a site


def find_enqueue(model: Model, res: Resolution) -> EnqueueIndex:
    """Find every enqueue site and background-task trigger."""
    finder = _Finder(model, res)
    sites: list[EnqueueSite] = []
    completion: list[CompletionTrigger] = []
    errors: list[ErrorTrigger] = []
    for obj in model.objects:
        if obj.kind not in ("page", "pageextension"):
            continue
        for proc in obj.all_procs:
            for site in res.sites_in(proc.key, _ENQUEUE_WORDS):
                if site.builtin == ENQUEUE:
                    sites.append(finder.site(site))
        done = obj.triggers.get("onpagebackgroundtaskcompleted")
        if done is not None:
            completion.append(CompletionTrigger(obj, done, *_params(done, 2)))
        err = obj.triggers.get("onpagebackgroundtaskerror")
        if err is not None:
            errors.append(ErrorTrigger(obj, err, *_params(err, 5)))
    return EnqueueIndex(sites, completion, errors)


def _params(proc: ProcInfo, count: int) -> list[VarInfo | None]:
    return [proc.params[i] if i < len(proc.params) else None for i in range(count)]


def _arg(args: tuple[n.Expr, ...], i: int) -> n.Expr | None:
    return args[i] if i < len(args) else None


class _Finder:
    def __init__(self, model: Model, res: Resolution) -> None:
        self.model = model
        self.res = res

    def site(self, site: CallSite) -> EnqueueSite:
        proc = site.caller
        scope = Scope(self.model, proc)
        args = site.args
        task_id = _arg(args, 0)
        var, where = self._task_id(scope, task_id)
        cu_expr = _arg(args, 1)
        cus = tuple(self._codeunits(scope, cu_expr, (), 0, set())) if cu_expr is not None else ()
        params = _arg(args, 2)
        keys: list[ParameterKey] = []
        complete = True
        if params is not None:
            complete = self._keys(scope, params, keys, 0, set())
        timeout = _arg(args, 3)
        timeout_value = self._int(scope, timeout) if timeout is not None else None
        level = _arg(args, 4)
        level_value: str | None = None
        if level is not None:
            ref = scoped_object_name(level)
            level_value = ref[1] if ref is not None else None
        return EnqueueSite(proc.owner, proc, site, task_id, var, where, cu_expr, cus, params, tuple(keys), complete,
                           timeout, timeout_value, level, level_value, self._checked(proc, site.node))

    # ------------------------------------------------------------------ task id

    def _task_id(self, scope: Scope, expr: n.Expr | None) -> tuple[VarInfo | None, TaskIdScope]:
        while isinstance(expr, n.Index):
            expr = expr.target
        if not isinstance(expr, n.Identifier):
            return None, "other"
        v = scope.var(expr.name)
        if v is None:
            return None, "other"
        if v.scope == "global":
            return v, "global"
        if v.scope in ("local", "return"):
            return v, "local"
        if v.scope == "parameter":
            return v, "var-parameter" if v.by_ref else "parameter"
        return v, "other"

    def _checked(self, proc: ProcInfo, node: n.Expr) -> bool:
        body = proc.node.body
        if body is None:
            return False
        return not any(isinstance(s, n.ExprStmt) and s.expr is node for s in iter_nodes(body))

    # ------------------------------------------------------------------ task codeunit

    def _codeunits(self, scope: Scope, expr: n.Expr, via: tuple[CallSite, ...], depth: int,
                   seen: set[tuple[str, int]]) -> list[TaskCodeunit]:
        path = scope.proc.path
        obj, written = scope.object_ref(expr, "codeunit")
        if written is not None:
            return [TaskCodeunit(obj, written, expr, path, via, "" if obj is not None else "no-source")]
        if depth >= _MAX_DEPTH:
            return [TaskCodeunit(None, None, expr, path, via, "not-constant")]
        if isinstance(expr, n.Identifier):
            v = scope.var(expr.name)
            if v is not None and v.scope == "parameter":
                return self._from_callers(scope, v, expr, via, depth, seen)
            if v is not None and v.scope in ("local", "global", "return"):
                values = self._assigned(scope, v)
                if values:
                    return [tc for s, e in values for tc in self._codeunits(s, e, via, depth + 1, seen)]
                return [TaskCodeunit(None, None, expr, path, via, "not-constant")]
        returned = _returned(scope, expr)
        if returned is not None:
            return [tc for s, e in returned for tc in self._codeunits(s, e, via, depth + 1, seen)]
        reason = "from-data" if isinstance(expr, n.MemberAccess) else "not-constant"
        return [TaskCodeunit(None, None, expr, path, via, reason)]

    def _from_callers(self, scope: Scope, param: VarInfo, expr: n.Expr, via: tuple[CallSite, ...], depth: int,
                      seen: set[tuple[str, int]]) -> list[TaskCodeunit]:
        mark = (scope.proc.key, param.index)
        if mark in seen:
            return []
        seen = seen | {mark}
        out: list[TaskCodeunit] = []
        for call in self.res.callers_of(scope.proc.key):
            if param.index >= len(call.args):
                continue
            caller_scope = Scope(self.model, call.caller)
            out.extend(self._codeunits(caller_scope, call.args[param.index], via + (call,), depth + 1, seen))
        if not out:
            out.append(TaskCodeunit(None, None, expr, scope.proc.path, via, "no-callers"))
        return out

    def _assigned(self, scope: Scope, var: VarInfo) -> list[tuple[Scope, n.Expr]]:
        """Values assigned to ``var`` with ``:=`` in its procedure (a local) or its object (a global)."""
        procs = [scope.proc] if var.scope != "global" else scope.obj.all_procs
        out: list[tuple[Scope, n.Expr]] = []
        for proc in procs:
            if proc.node.body is None:
                continue
            s = scope if proc is scope.proc else Scope(self.model, proc)
            for node in iter_nodes(proc.node.body):
                if (isinstance(node, n.Assign) and node.op == ":=" and isinstance(node.target, n.Identifier)
                        and s.var(node.target.name) is var):
                    out.append((s, node.value))
        return out

    def _int(self, scope: Scope, expr: n.Expr, depth: int = 0) -> int | None:
        value = scope.constant_int(expr)
        if value is not None or depth > 3:
            return value
        if isinstance(expr, n.Identifier):
            v = scope.var(expr.name)
            if v is not None and v.scope in ("local", "global"):
                if self._passed_by_var(scope, v):
                    return None  # e.g. OnGetTimeout(TimeoutMs): a subscriber may change it
                values = self._assigned(scope, v)
                found = {self._int(s, e, depth + 1) for s, e in values}
                return found.pop() if len(found) == 1 else None
        returned = _returned(scope, expr)
        if returned is not None and len(returned) == 1:
            return self._int(returned[0][0], returned[0][1], depth + 1)
        return None

    def _passed_by_var(self, scope: Scope, var: VarInfo) -> bool:
        """``var`` is passed as a ``var`` argument to a user procedure in its procedure (or object)."""
        procs = [scope.proc] if var.scope != "global" else scope.obj.all_procs
        for proc in procs:
            s = scope if proc is scope.proc else Scope(self.model, proc)
            for site in self.res.sites_in(proc.key):
                for i, a in enumerate(site.args):
                    if not (isinstance(a, n.Identifier) and s.var(a.name) is var):
                        continue
                    for t in site.targets:
                        if t.proc is None or (i < len(t.proc.params) and t.proc.params[i].by_ref):
                            return True
        return False

    # ------------------------------------------------------------------ parameter keys

    def _keys(self, scope: Scope, expr: n.Expr, out: list[ParameterKey], depth: int,
              seen: set[tuple[str, str]]) -> bool:
        """Collect the keys put into the dictionary ``expr``; True when every one is known."""
        if not isinstance(expr, n.Identifier):
            return False
        var = scope.var(expr.name)
        if var is None:
            return False
        mark = (scope.proc.key, norm(var.name))
        if mark in seen:
            return True
        seen.add(mark)
        complete = True
        procs = [scope.proc] if var.scope != "global" else [p for o in (scope.obj, *scope.obj.extensions)
                                                            for p in o.all_procs]
        for proc in procs:
            s = scope if proc is scope.proc else Scope(self.model, proc)
            complete &= self._keys_in(s, var, out, depth, seen)
        if var.scope == "parameter" and depth < _MAX_DEPTH:
            callers = self.res.callers_of(scope.proc.key)
            for call in callers:
                if var.index < len(call.args):
                    complete &= self._keys(Scope(self.model, call.caller), call.args[var.index], out, depth + 1, seen)
            complete &= bool(callers)
        return complete

    def _key_texts(self, scope: Scope, expr: n.Expr, depth: int) -> list[str | None]:
        """The constant texts a key expression may have; a by-value text parameter is followed to
        every caller's argument (``SchedulePBT(Rec.FieldName(X), ...)``)."""
        key = scope.constant_text(expr)
        if key is not None or not isinstance(expr, n.Identifier) or depth >= _MAX_DEPTH:
            return [key]
        v = scope.var(expr.name)
        if v is None or v.scope != "parameter":
            return [None]
        out: list[str | None] = []
        for call in self.res.callers_of(scope.proc.key):
            if v.index < len(call.args):
                out.extend(self._key_texts(Scope(self.model, call.caller), call.args[v.index], depth + 1))
        return _dedupe(out) or [None]

    def _keys_in(self, scope: Scope, var: VarInfo, out: list[ParameterKey], depth: int,
                 seen: set[tuple[str, str]]) -> bool:
        complete = True
        for site in self.res.sites_in(scope.proc.key):
            recv = site.receiver
            if recv is not None and recv.var is var and site.builtin in ("dictionary.add", "dictionary.set"):
                if not site.args:
                    continue
                keys = self._key_texts(scope, site.args[0], depth)
                complete &= all(k is not None for k in keys)
                out.extend(ParameterKey(k, site.args[0], scope.proc.path, site) for k in keys)
                continue
            for i, a in enumerate(site.args):
                if not (isinstance(a, n.Identifier) and scope.var(a.name) is var):
                    continue
                callees = [t.proc for t in site.targets if t.proc is not None]
                if not callees or depth >= _MAX_DEPTH:
                    # Passed to something we cannot follow (a built-in, an opaque call).
                    complete &= site.builtin is not None and not site.builtin.startswith("dictionary.")
                for callee in callees:
                    if i < len(callee.params) and callee.node.body is not None:
                        p = callee.params[i]
                        complete &= self._keys_in(Scope(self.model, callee), p, out, depth + 1, seen)
        return complete


def _dedupe(keys: list[str | None]) -> list[str | None]:
    out: list[str | None] = []
    for k in keys:
        if k not in out:
            out.append(k)
    return out


def _returned(scope: Scope, expr: n.Expr) -> list[tuple[Scope, n.Expr]] | None:
    """For a call to a user procedure, the expressions of its ``exit(...)`` statements."""
    procs: list[ProcInfo] = []
    if isinstance(expr, n.Identifier) and scope.var(expr.name) is None:
        procs = [p for p in scope.procedures(expr.name) if not p.params]
    elif isinstance(expr, n.Call):
        callee = expr.callee
        if isinstance(callee, n.Identifier) and scope.var(callee.name) is None:
            procs = [p for p in scope.procedures(callee.name) if len(p.params) == len(expr.args)]
        elif isinstance(callee, n.MemberAccess):
            recv = scope.receiver(callee.receiver)
            if recv.obj is not None and recv.kind in ("codeunit", "this", "record"):
                found = (scope.model.table_procedures(recv.obj, callee.member) if recv.kind == "record"
                         else scope.model.object_procedures(recv.obj, callee.member))
                procs = [p for p in found if len(p.params) == len(expr.args)]
    if len(procs) != 1 or procs[0].node.body is None:
        return None
    callee_scope = Scope(scope.model, procs[0])
    exits = [s.value for s in iter_nodes(procs[0].node.body) if isinstance(s, n.Exit) and s.value is not None]
    return [(callee_scope, e) for e in exits] or None
