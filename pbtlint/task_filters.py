"""Which page background tasks a point of a completion trigger can be handling: the facts about its
``TaskId`` there (``if TaskId = MyTaskId``, ``TaskId in [A, B]``, ``<>``) against the page globals each
enqueue site stores its task id in (:func:`site_id_vars`). The result-key rules use it to match a
``Results.Get(K)`` with the tasks whose codeunits could have set ``K``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pbtlint import nodes as n
from pbtlint.analysis import AnalyzedProject
from pbtlint.enqueue import CompletionTrigger, EnqueueSite
from pbtlint.flow import Fact, evaluation_sites
from pbtlint.model import VarInfo
from pbtlint.scope import Scope
from pbtlint.task_ids import site_storage
from pbtlint.walk import iter_nodes


@dataclass(frozen=True, slots=True)
class TaskFilter:
    """Which enqueue sites a point of a completion trigger can be handling, from the facts about its
    TaskId there: ``only`` (None = any) and ``never`` are page globals that hold task ids."""

    only: frozenset[VarInfo] | None = None
    never: frozenset[VarInfo] = frozenset()

    def admits(self, site: EnqueueSite, ids: frozenset[VarInfo] | None = None) -> bool:
        """Can this point handle ``site``'s task? ``ids`` are the page globals the site stores its task
        id in (:func:`site_id_vars`); by default its ``var TaskId`` argument when that is a global."""
        if ids is None:
            v = site.task_id_var
            if v is None or site.task_id_scope != "global":
                return True
            ids = frozenset((v,))
        return any((self.only is None or v in self.only) and v not in self.never for v in ids)


def site_id_vars(project: AnalyzedProject, site: EnqueueSite) -> frozenset[VarInfo] | None:
    """The page globals that hold ``site``'s task id, or None when that is not known."""
    if site.task_id_scope == "global" and site.task_id_var is not None:
        return frozenset((site.task_id_var,))
    storage = site_storage(project, site)
    stores = storage.stores
    if storage.stored and not storage.unknown and stores and all(s.kind == "value" for s in stores):
        return frozenset(s.var for s in storage.stores)
    return None


def task_filter(scope: Scope, task_id: VarInfo | None, facts: Iterable[Fact]) -> TaskFilter:
    """The :class:`TaskFilter` for a point of a completion trigger where ``facts`` hold."""
    if task_id is None:
        return TaskFilter()
    only: set[VarInfo] | None = None
    never: set[VarInfo] = set()
    for fact in facts:
        e = fact.expr
        if not isinstance(e, n.Binary):
            continue
        if e.op in ("=", "<>"):
            other = _other_side(scope, task_id, e)
            if other is None:
                continue
            equal = (e.op == "=") == fact.holds
            if equal:
                only = {other} if only is None else only & {other}
            else:
                never.add(other)
        elif (e.op == "in" and fact.holds and _is_var(scope, e.left, task_id)
              and isinstance(e.right, n.SetLiteral)):
            names = [scope.var(i.name) if isinstance(i, n.Identifier) else None for i in e.right.items]
            if names and all(v is not None and v.scope == "global" for v in names):
                found = {v for v in names if v is not None}
                only = found if only is None else only & found
    return TaskFilter(frozenset(only) if only is not None else None, frozenset(never))


def _is_var(scope: Scope, expr: n.Expr, var: VarInfo) -> bool:
    return isinstance(expr, n.Identifier) and scope.var(expr.name) is var


def _other_side(scope: Scope, task_id: VarInfo, e: n.Binary) -> VarInfo | None:
    if _is_var(scope, e.left, task_id):
        other = e.right
    elif _is_var(scope, e.right, task_id):
        other = e.left
    else:
        return None
    if not isinstance(other, n.Identifier):
        return None
    v = scope.var(other.name)
    return v if v is not None and v.scope == "global" else None


def results_reads(project: AnalyzedProject,
                  trigger: CompletionTrigger) -> list[tuple[n.Identifier, TaskFilter]]:
    """Every use of the trigger's ``Results`` parameter in its body, with the tasks it may be handling."""
    if trigger.results is None or trigger.proc.node.body is None:
        return []
    scope = Scope(project.model, trigger.proc)
    out: list[tuple[n.Identifier, TaskFilter]] = []
    for site in evaluation_sites(trigger.proc.node.body):
        for node in iter_nodes(site.expr):
            if isinstance(node, n.Identifier) and scope.var(node.name) is trigger.results:
                out.append((node, task_filter(scope, trigger.task_id, site.facts)))
    out.sort(key=lambda r: (r[0].span.line, r[0].span.column))
    return out
