"""The project's call graph: a ``networkx.DiGraph`` built once from the resolved call sites.

Nodes have stable string keys: procedures and triggers (``codeunit/50100/OnRun``,
``table/18/procedure/CheckBlocked#2`` for the second overload, ``table/18/field/No./OnValidate``,
``page/21/action/Post/OnAction``), table trigger events with subscribers
(``table/18/event/OnAfterModifyEvent``), and opaque nodes (``opaque/<reason>/<what>``).

Node attributes: ``kind`` (``procedure``, ``trigger``, ``publisher``, ``table-event``, ``opaque``),
``label``, ``path``, ``span``, ``object`` (object key), ``proc`` (the :class:`~pbtlint.model.ProcInfo`),
``reason`` (opaque nodes). Edge attributes: ``kind``, ``path`` and ``span`` of the first call site,
and ``edges``: every :class:`Edge` between the two nodes, in source order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pbtlint.call_sites import CallSite, Resolution, Target
from pbtlint.model import PERSISTENT, UNKNOWN, Model, ProcInfo, Temp
from pbtlint.nodes import norm
from pbtlint.pickling import fast_init
from pbtlint.span import Span

if TYPE_CHECKING:
    import networkx as nx


@dataclass(frozen=True, slots=True)
class Edge:
    """One reason for an edge: a call site (``site``), or an event subscription (``site`` is None,
    ``path``/``span`` are the subscriber's ``[EventSubscriber]`` attribute)."""

    source: str
    target: str
    kind: str
    path: str
    span: Span
    site: CallSite | None
    bindings: tuple[Temp | None, ...] = ()
    receiver: Temp | None = None
    conditional: bool = False
    manual: bool = False

    @property
    def label(self) -> str:
        if self.site is not None:
            return f"{self.site.name} ({self.kind}) at {self.path}:{self.span.line}"
        return f"{self.kind} subscription at {self.path}:{self.span.line}"


EdgeFilter = Callable[[Edge], bool]


class CallGraph:
    """The call graph of one project and the queries the rules need."""

    def __init__(self, model: Model, resolution: Resolution) -> None:
        self.model = model
        self.resolution = resolution
        import networkx  # here, not at the top: a run that reuses the previous result never builds a graph,
        # and the import is a third of its start-up (0.2 s)

        self.graph: nx.DiGraph = networkx.DiGraph()
        self._sites_done = 0  # the resolution's sites whose edges are in (a graph grown in place: grow)
        self._events: set[tuple[str, str]] = set()  # (publisher or table event, subscriber) edges in
        # publishers by the subscription keys (object, event) that name them, and each key's subscribers
        # when their edges went in: a grown graph looks again only where that changed
        self._publishers: dict[tuple[str, str], list[ProcInfo]] = {}
        self._new_publishers: list[ProcInfo] = []
        self._watched: list[ProcInfo] = []  # publishers of extensions whose target is not in yet
        self._subscribed: dict[tuple[str, str, str], tuple[str, ...]] = {}
        self._order: dict[str, int] = {}  # each procedure's place in the model
        self._add_procs(self.model.procs.values())
        self._add_resolved()

    # ------------------------------------------------------------------ building

    def grow(self, procs: Iterable[ProcInfo]) -> None:
        """Add ``procs`` (new in the model), and the edges of the calls resolved and the subscribers
        known since (:func:`pbtlint.resolve.resolve_more`)."""
        self._add_procs(procs)
        self._add_resolved()

    def _add_procs(self, procs: Iterable[ProcInfo]) -> None:
        g = self.graph
        order = self._order
        for proc in procs:
            order[proc.key] = len(order)
            if proc.publisher is not None:
                self._new_publishers.append(proc)
            kind = "publisher" if proc.publisher else ("trigger" if proc.is_trigger else "procedure")
            g.add_node(proc.key, kind=kind, path=proc.path, span=proc.node.name_span,  # label: see label()
                       object=proc.owner.key, proc=proc)

    def _add_resolved(self) -> None:
        g = self.graph
        for key, o in self.resolution.opaque.items():
            if key not in g:
                g.add_node(key, kind="opaque", label=o.label, reason=o.reason, path=None, span=None, object=None)
        for key, v in self.resolution.virtual.items():
            if key not in g:
                g.add_node(key, kind=v.kind, label=v.label, path=v.table.path, span=v.table.node.name_span,
                           object=v.table.key)
            for sub in v.subscribers:
                self._add_event(key, sub, v.params)
        sites = self.resolution.sites
        for site in sites[self._sites_done:]:
            for t in site.targets:
                self._add(_site_edge(site, t))
        self._sites_done = len(sites)
        for proc in self._publishers_to_look_at():
            params: tuple[str, ...] | None = None
            for sub in self.model.subscribers(proc.owner, proc.name):
                if params is None:
                    params = tuple(p.name for p in proc.params)
                self._add_event(proc.key, sub, params)

    def _publishers_to_look_at(self) -> list[ProcInfo]:
        """The publishers added since the last look, those whose event's subscribers changed since, and
        those whose object got the object it extends since (:meth:`Model.subscribers` looks at both),
        in the model's order."""
        found: dict[str, ProcInfo] = {}
        for proc in self._new_publishers:
            found[proc.key] = proc
            self._publishers.setdefault((proc.owner.key, norm(proc.name)), []).append(proc)
            if proc.owner.node.extends is not None:
                self._watched.append(proc)
        self._new_publishers = []
        watched: list[ProcInfo] = []
        for proc in self._watched:  # the object an extension extends may come in a later round
            target = proc.owner.target
            if target is None:
                watched.append(proc)
            else:
                found[proc.key] = proc
                self._publishers.setdefault((target.key, norm(proc.name)), []).append(proc)
        self._watched = watched
        subscribed = self._subscribed
        for key, subs in self.model.subscriber_lists():
            if key[2]:  # a publisher's event has no element (that is a table field's or a page's)
                continue
            now_subs = tuple(sub.key for sub in subs)
            if now_subs != subscribed.get(key):
                subscribed[key] = now_subs
                found.update((p.key, p) for p in self._publishers.get((key[0], key[1]), ()))
        order = self._order
        return sorted(found.values(), key=lambda p: order[p.key])

    def _add_event(self, source: str, sub: ProcInfo, params: tuple[str, ...]) -> None:
        if (source, sub.key) in self._events:
            return
        self._events.add((source, sub.key))
        self._add(Edge(source, sub.key, "event", sub.path, _sub_span(sub), None, _bind_by_name(sub, params), None,
                       False, _manual(sub)))

    def _add(self, edge: Edge) -> None:
        g = self.graph
        data = g.get_edge_data(edge.source, edge.target)
        if data is None:
            g.add_edge(edge.source, edge.target, kind=edge.kind, path=edge.path, span=edge.span, edges=[edge])
        else:
            data["edges"].append(edge)

    # ------------------------------------------------------------------ queries

    def edges(self, source: str, target: str) -> list[Edge]:
        data = self.graph.get_edge_data(source, target)
        return list(data["edges"]) if data else []

    def out_edges(self, source: str) -> list[Edge]:
        if source not in self.graph:
            return []
        return [e for _, _, data in self.graph.out_edges(source, data=True) for e in data["edges"]]

    def reachable_from(self, root: str | Iterable[str], follow: EdgeFilter | None = None) -> set[str]:
        """Every node reachable from ``root`` (one key or several), the roots included.
        ``follow`` can exclude edges (for example manual subscribers or conditional triggers)."""
        roots = [root] if isinstance(root, str) else list(root)
        seen = {r for r in roots if r in self.graph}
        queue = deque(seen)
        g = self.graph
        while queue:
            node = queue.popleft()
            for succ, data in g.adj[node].items():
                if succ in seen:
                    continue
                if follow is not None and not any(follow(e) for e in data["edges"]):
                    continue
                seen.add(succ)
                queue.append(succ)
        return seen

    def shortest_paths(self, root: str | Iterable[str], follow: EdgeFilter | None = None) -> dict[str, Edge | None]:
        """Breadth-first tree from ``root``: for each reachable node, the edge it was first reached by
        (None for the roots). Deterministic: successors in insertion (source) order."""
        roots = [root] if isinstance(root, str) else list(root)
        parent: dict[str, Edge | None] = {r: None for r in roots if r in self.graph}
        queue = deque(parent)
        g = self.graph
        while queue:
            node = queue.popleft()
            for succ, data in g.adj[node].items():
                if succ in parent:
                    continue
                chosen = next((e for e in data["edges"] if follow is None or follow(e)), None)
                if chosen is None:
                    continue
                parent[succ] = chosen
                queue.append(succ)
        return parent

    def explain_path(self, root: str | Iterable[str], target: str, follow: EdgeFilter | None = None) -> list[Edge]:
        """The shortest chain of edges (call sites and subscriptions) from ``root`` to ``target``;
        empty when ``target`` is a root or is not reachable."""
        return path_to(self.shortest_paths(root, follow), target)

    def node(self, key: str) -> dict:
        return self.graph.nodes[key]

    def label(self, key: str) -> str:
        """How a node is named in messages: a procedure by its display name (made when asked for, not
        for each of the Base Application's 34,000 procedures at every build), another node by its
        label, a key not in the graph by itself."""
        data = self.graph.nodes.get(key)
        if data is None:
            return key
        proc = data.get("proc")
        return proc.display if proc is not None else data.get("label", key)


def path_to(tree: dict[str, Edge | None], target: str) -> list[Edge]:
    """Walk a :meth:`CallGraph.shortest_paths` tree back from ``target``."""
    if target not in tree:
        return []
    out: list[Edge] = []
    cur = tree[target]
    while cur is not None:
        out.append(cur)
        cur = tree.get(cur.source)
    out.reverse()
    return out


def effective_temp(temp: Temp | None, path: list[Edge], root_receiver: Temp = PERSISTENT) -> Temp:
    """What ``temp`` (a record's temporariness in the last procedure of ``path``) is, given how that
    procedure was reached: ``param``/``receiver`` are resolved through each edge's bindings back to
    the root. At the root, ``Rec`` is ``root_receiver`` (a background task's OnRun runs without a
    record, so: persistent) and parameters are unknown."""
    if temp is None:
        return UNKNOWN
    t = temp
    i = len(path) - 1
    while t.kind in ("param", "receiver"):
        if i < 0:
            return root_receiver if t.kind == "receiver" else UNKNOWN
        e = path[i]
        nxt = e.receiver if t.kind == "receiver" else (
            e.bindings[t.index] if 0 <= t.index < len(e.bindings) else None)
        if nxt is None:
            return UNKNOWN
        t = nxt
        i -= 1
    return t


def _site_edge(site: CallSite, t: Target) -> Edge:
    return Edge(site.caller.key, t.key, t.kind, site.path, site.span, site, t.bindings, t.receiver, t.conditional)


def _bind_by_name(sub: ProcInfo, params: tuple[str, ...]) -> tuple[Temp | None, ...]:
    index = {norm(p): i for i, p in enumerate(params)}
    return tuple(Temp("param", index[norm(p.name)]) if norm(p.name) in index else None for p in sub.params)


def _sub_span(sub: ProcInfo) -> Span:
    return sub.subscription.span if sub.subscription is not None else sub.node.name_span


def _manual(sub: ProcInfo) -> bool:
    return norm(sub.owner.prop("EventSubscriberInstance") or "") == "manual"


fast_init(globals())
