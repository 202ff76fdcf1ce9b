"""Reaching code of a page from its triggers: which procedures and enqueue sites of a page (and its
extensions) run when a given trigger runs. Used by PBT0032 (enqueue-in-discouraged-trigger), PBT0033
(enqueue-from-completion) and PBT0034 (update-in-completion).

Only calls within the page family are followed (what runs with the same ``CurrPage``). A call that
passes a constant ``true``/``false`` binds that parameter of the callee; a call (or the target
statement) dominated by a condition on such a parameter that the constant contradicts is not
followed: ``TryLoad(false)`` does not reach the enqueue inside ``if UsePBT then``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from pbtlint import nodes as n
from pbtlint.analysis import AnalyzedProject
from pbtlint.callgraph import Edge, path_to
from pbtlint.findings import Location
from pbtlint.flow import Fact, evaluation_sites
from pbtlint.model import ObjectInfo, ProcInfo, VarInfo
from pbtlint.scope import Scope
from pbtlint.walk import iter_nodes

Binding = frozenset[tuple[int, bool]]  # (parameter index, constant value)


def _in_family(obj: ObjectInfo, page: ObjectInfo) -> bool:
    return obj.base() is page.base()


def page_call_tree(project: AnalyzedProject, page: ObjectInfo, roots: Iterable[str]) -> dict[str, Edge | None]:
    """Breadth-first tree of calls from ``roots`` through procedures and triggers of ``page``'s
    family only (not path-sensitive)."""
    graph = project.graph

    def follow(edge: Edge) -> bool:
        proc = graph.graph.nodes.get(edge.target, {}).get("proc")
        return proc is not None and _in_family(proc.owner, page)

    return graph.shortest_paths(list(roots), follow)


def path_locations(tree: dict[str, Edge | None], target: str) -> list[Location]:
    """The calls from a tree's root to ``target``, as labelled locations."""
    return edge_locations(path_to(tree, target))


def edge_locations(edges: Iterable[Edge]) -> list[Location]:
    out: list[Location] = []
    for edge in edges:
        name = edge.site.name if edge.site is not None else edge.target
        out.append(Location(edge.path, edge.span, f"calls {name}"))
    return out


class PageReach:
    """Path-sensitive (for constant boolean arguments) reachability inside one page family."""

    def __init__(self, project: AnalyzedProject, page: ObjectInfo) -> None:
        self.project = project
        self.page = page
        self._facts: dict[str, dict[int, tuple[Fact, ...]]] = {}

    def _facts_of(self, proc: ProcInfo) -> dict[int, tuple[Fact, ...]]:
        found = self._facts.get(proc.key)
        if found is None:
            found = {}
            for site in evaluation_sites(proc.node.body):
                for node in iter_nodes(site.expr):
                    found[id(node)] = site.facts
            self._facts[proc.key] = found
        return found

    def feasible(self, proc: ProcInfo, node: n.Expr, binding: Binding) -> bool:
        """Can ``node`` in ``proc`` run when its parameters have the constant values of ``binding``?"""
        if not binding:
            return True
        values = dict(binding)
        params = {id(p): i for i, p in enumerate(proc.params)}
        scope = Scope(self.project.model, proc)
        for fact in self._facts_of(proc).get(id(node), ()):
            expr = fact.expr
            var: VarInfo | None = scope.var(expr.name) if isinstance(expr, n.Identifier) else None
            index = params.get(id(var)) if var is not None else None
            if index is not None and index in values and values[index] != fact.holds:
                return False
        return True

    def _bind(self, edge: Edge, callee: ProcInfo, caller: ProcInfo, binding: Binding) -> Binding:
        if edge.site is None:
            return frozenset()
        values = dict(binding)
        caller_params = {id(p): i for i, p in enumerate(caller.params)}
        scope = Scope(self.project.model, caller)
        out: list[tuple[int, bool]] = []
        for i, arg in enumerate(edge.site.args[:len(callee.params)]):
            if isinstance(arg, n.LiteralValue) and arg.kind == "boolean":
                out.append((i, arg.value.casefold() == "true"))
            elif isinstance(arg, n.Identifier):
                v = scope.var(arg.name)
                j = caller_params.get(id(v)) if v is not None else None
                if j is not None and j in values:
                    out.append((i, values[j]))
        return frozenset(out)

    def path(self, root: ProcInfo, target: ProcInfo, node: n.Expr) -> list[Edge] | None:
        """The shortest feasible chain of calls from ``root`` to ``node`` in ``target``, or None."""
        graph = self.project.graph
        procs = self.project.model.procs
        start = (root.key, frozenset())
        parent: dict[tuple[str, Binding], tuple[tuple[str, Binding], Edge] | None] = {start: None}
        queue = deque([start])
        while queue:
            state = queue.popleft()
            key, binding = state
            proc = procs[key]
            if key == target.key and self.feasible(proc, node, binding):
                edges: list[Edge] = []
                cur = parent[state]
                while cur is not None:
                    edges.append(cur[1])
                    cur = parent[cur[0]]
                edges.reverse()
                return edges
            for edge in graph.out_edges(key):
                callee = procs.get(edge.target)
                if callee is None or not _in_family(callee.owner, self.page) or callee.node.body is None:
                    continue
                if edge.site is not None and not self.feasible(proc, edge.site.node, binding):
                    continue
                nxt = (callee.key, self._bind(edge, callee, proc, binding))
                if nxt in parent:
                    continue
                parent[nxt] = (state, edge)
                queue.append(nxt)
        return None

