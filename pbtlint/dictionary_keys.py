"""The keys code puts into a dictionary: a page background task's results, an enqueue site's parameters.

:func:`result_info` tells whether any background code of a task codeunit (what the background walk
reaches from its ``OnRun``, :func:`pbtlint.background.background_code`) calls
``Page.SetBackgroundTaskResult`` and which keys the dictionaries it passes there can hold: keys added
with ``Add``/``Set`` on the dictionary (also in procedures it is passed to, in the procedure that
returns it, or through the callers of a parameter), each a constant (see
:func:`pbtlint.dictionaries.constant_keys`) or else the set is incomplete.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pbtlint import nodes as n
from pbtlint.analysis import AnalyzedProject
from pbtlint.audit import words
from pbtlint.background import background_code
from pbtlint.call_sites import CallSite, Resolution
from pbtlint.dictionaries import SET_RESULT, constant_keys
from pbtlint.enqueue import EnqueueSite
from pbtlint.model import Model, ObjectInfo, ProcInfo, VarInfo
from pbtlint.nodes import norm
from pbtlint.scope import Scope
from pbtlint.walk import iter_nodes

_MAX_DEPTH = 6
# Opaque callees that cannot call Page.SetBackgroundTaskResult (DotNet, a table's triggers).
_HARMLESS_OPAQUE = ("dotnet", "recordref-trigger", "fieldref-validate")


@dataclass(slots=True)
class ResultInfo:
    """What a task codeunit does with its results: whether any of its background code calls
    ``Page.SetBackgroundTaskResult`` (``sets``; ``unknown`` when an opaque call might), the calls that do,
    and the keys put into the dictionaries they pass (``complete`` when every key is a known constant)."""

    sets: bool = False
    unknown: bool = False
    calls: list[CallSite] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    complete: bool = True


_SET_RESULT_WORDS = words("setbackgroundtaskresult")  # what a body left out must name to set them


def result_info(project: AnalyzedProject, codeunit: ObjectInfo) -> ResultInfo:
    info = ResultInfo()
    root = codeunit.triggers.get("onrun")
    if root is None:
        info.unknown = True
        info.complete = False
        return info
    graph = project.graph
    reachable = background_code(project, root.key)  # not past a guard or a dead call
    model, res = project.model, project.resolution
    for key in sorted(reachable):
        if key not in model.procs:
            data = graph.graph.nodes[key]
            if data.get("kind") == "opaque" and _may_set_results(key, data.get("reason", "")):
                info.unknown = True
            continue
        for site in res.sites_in(key, _SET_RESULT_WORDS):
            if site.builtin != SET_RESULT:
                continue
            info.sets = True
            info.calls.append(site)
            if not site.args:
                info.complete = False
                continue
            keys: list[str] = []
            complete = _keys_into(model, res, Scope(model, site.caller), site.args[0], keys, 0, set())
            info.keys.update(keys)
            info.complete &= complete
    if info.unknown:
        info.complete = False
    return info


def keys_into(model: Model, res: Resolution, scope: Scope, expr: n.Expr) -> tuple[set[str], bool]:
    """The constant keys put into the dictionary ``expr`` (evaluated in ``scope``), and whether those
    are all its keys (every key a known constant, every source of the dictionary followed)."""
    out: list[str] = []
    complete = _keys_into(model, res, scope, expr, out, 0, set())
    return set(out), complete


def site_parameter_keys(project: AnalyzedProject, site: EnqueueSite) -> tuple[set[str], bool]:
    """The constant keys an enqueue site passes in its parameters, and whether they are all of them.
    Combines :attr:`EnqueueSite.parameter_keys` with :func:`keys_into`, which also follows the
    dictionary into the procedure it was assigned from."""
    keys = {k.key for k in site.parameter_keys if k.key is not None}
    if site.parameters is None:
        return keys, site.keys_complete
    more, complete = keys_into(project.model, project.resolution, Scope(project.model, site.procedure),
                               site.parameters)
    return keys | more, site.keys_complete and complete


def _may_set_results(key: str, reason: str) -> bool:
    """Could an opaque callee call ``Page.SetBackgroundTaskResult``? Not DotNet, not a table's code."""
    if reason in _HARMLESS_OPAQUE:
        return False
    detail = key.split("/", 2)[2] if key.count("/") >= 2 else ""
    return not (reason == "no-source" and detail.startswith(("table/", "report/", "xmlport/", "page/")))


def _keys_into(model: Model, res: Resolution, scope: Scope, expr: n.Expr, out: list[str], depth: int,
               seen: set[tuple[str, str]]) -> bool:
    """Collect the keys put into the dictionary ``expr`` (Add/Set on it, also in procedures it is
    passed to, or in the procedure that returns it); True when every key is a known constant."""
    if depth > _MAX_DEPTH:
        return False
    if isinstance(expr, n.Identifier):
        v = scope.var(expr.name)
        if v is not None:
            return _keys_of_var(model, res, scope, v, out, depth, seen)
    site = res.site_of(expr)
    procs = [t.proc for t in site.targets if t.proc is not None] if site is not None else []
    if not procs:
        return False
    complete = True
    for proc in procs:
        complete &= _keys_returned(model, res, proc, out, depth + 1, seen)
    return complete


def _keys_returned(model: Model, res: Resolution, proc: ProcInfo, out: list[str], depth: int,
                   seen: set[tuple[str, str]]) -> bool:
    body = proc.node.body
    if body is None:
        return False
    scope = Scope(model, proc)
    complete = True
    exits = [s.value for s in iter_nodes(body) if isinstance(s, n.Exit) and s.value is not None]
    if proc.node.return_name:
        ret = scope.var(proc.node.return_name)
        if ret is not None:
            complete &= _keys_of_var(model, res, scope, ret, out, depth, seen)
    elif not exits:
        return False
    for value in exits:
        complete &= _keys_into(model, res, scope, value, out, depth, seen)
    return complete


def _keys_of_var(model: Model, res: Resolution, scope: Scope, var: VarInfo, out: list[str], depth: int,
                 seen: set[tuple[str, str]]) -> bool:
    mark = (scope.proc.key if var.scope != "global" else scope.obj.base().key, norm(var.name))
    if mark in seen:
        return True
    seen.add(mark)
    if var.scope == "global":
        base = scope.obj.base()
        procs = [p for o in (base, *base.extensions) for p in o.all_procs]
    else:
        procs = [scope.proc]
    complete = True
    for proc in procs:
        if proc.node.body is None:
            continue
        s = scope if proc is scope.proc else Scope(model, proc)
        complete &= _keys_in_proc(model, res, s, var, out, depth, seen)
    if var.scope == "parameter":
        callers = res.callers_of(scope.proc.key)
        if not callers:
            return False
        for call in callers:
            if var.index >= len(call.args):
                return False
            caller_scope = Scope(model, call.caller)
            complete &= _keys_into(model, res, caller_scope, call.args[var.index], out, depth + 1, seen)
    return complete


def _keys_in_proc(model: Model, res: Resolution, scope: Scope, var: VarInfo, out: list[str], depth: int,
                  seen: set[tuple[str, str]]) -> bool:
    complete = True
    body = scope.proc.node.body
    for node in iter_nodes(body):
        if (isinstance(node, n.Assign) and isinstance(node.target, n.Identifier)
                and scope.var(node.target.name) is var):
            complete &= _keys_into(model, res, scope, node.value, out, depth + 1, seen)
    for site in res.sites_in(scope.proc.key):
        recv = site.receiver
        if recv is not None and recv.var is var and site.builtin in ("dictionary.add", "dictionary.set"):
            texts = constant_keys(model, res, scope, site.args[0]) if site.args else None
            if texts is None:
                complete = False
            else:
                out.extend(t for t in texts if t not in out)
            continue
        for i, arg in enumerate(site.args):
            if not (isinstance(arg, n.Identifier) and scope.var(arg.name) is var):
                continue
            callees = [t.proc for t in site.targets if t.proc is not None]
            if not callees:
                # A built-in reads it (Format, Count...); an opaque call might fill it.
                complete &= site.builtin is not None and not site.opaque
                continue
            for callee in callees:
                if i < len(callee.params) and callee.node.body is not None:
                    callee_scope = Scope(model, callee)
                    p = callee.params[i]
                    mark = (callee.key, norm(p.name))
                    if mark in seen:
                        continue
                    seen.add(mark)
                    complete &= _keys_in_proc(model, res, callee_scope, p, out, depth + 1, seen)
    return complete
