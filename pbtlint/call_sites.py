"""What call resolution (:mod:`pbtlint.resolve`) produces: a :class:`CallSite` per call, its
:class:`Target` s (the call-graph edges it contributes), the nodes that are not procedures
(:class:`VirtualNode`, :class:`Opaque`), and the :class:`Resolution` that indexes them all. The
edge kinds, built-in operation names and opaque reasons are listed in :mod:`pbtlint.resolve`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from pbtlint import al_builtins as b
from pbtlint import nodes as n
from pbtlint.audit import ElidedBlock, Words, note_callers
from pbtlint.model import Model, ObjectInfo, ProcInfo, Temp
from pbtlint.pickling import fast_init
from pbtlint.scope import Receiver
from pbtlint.span import Span


@dataclass(frozen=True, slots=True)
class Target:
    """One edge a call site contributes: to a procedure, a table-event node, or an opaque node.

    ``bindings`` give, per parameter of the callee, the temporariness of the record the caller
    passes (in the caller's terms); ``receiver`` what the callee's ``Rec`` is bound to.
    ``conditional`` marks edges that depend on a non-constant argument (``Modify(RunTrigger)``).
    """

    kind: str
    key: str
    proc: ProcInfo | None = None
    bindings: tuple[Temp | None, ...] = ()
    receiver: Temp | None = None
    conditional: bool = False
    reason: str = ""


@dataclass(frozen=True, slots=True)
class CallSite:
    """One call in the sources and what it resolved to."""

    caller: ProcInfo
    node: n.Expr
    name: str
    args: tuple[n.Expr, ...]
    receiver: Receiver | None
    builtin: str | None
    targets: tuple[Target, ...]
    arg_temps: tuple[Temp | None, ...] = ()

    @property
    def path(self) -> str:
        return self.caller.path

    @property
    def span(self) -> Span:
        return self.node.span

    @property
    def category(self) -> str | None:
        """``write``, ``commit``, ``lock``, ``ui`` or None (see :func:`pbtlint.al_builtins.classify`)."""
        return b.classify(self.builtin, self.args)

    @property
    def opaque(self) -> tuple[Target, ...]:
        return tuple(t for t in self.targets if t.kind == "opaque")


@dataclass(frozen=True, slots=True)
class Opaque:
    """Code whose body is not available: the node of an opaque target."""

    key: str
    reason: str
    label: str


@dataclass(frozen=True, slots=True)
class VirtualNode:
    """A node that is not a procedure: a table trigger event (``OnAfterModifyEvent``) with subscribers.
    ``params`` are the names its subscribers bind by name."""

    key: str
    kind: str
    label: str
    table: ObjectInfo
    params: tuple[str, ...]
    subscribers: tuple[ProcInfo, ...]


class Resolution:
    """Every call site of the project, indexed by procedure, by AST node and by callee."""

    def __init__(self) -> None:
        self.sites: list[CallSite] = []
        self.by_proc: dict[str, list[CallSite]] = {}
        self.callers: dict[str, list[CallSite]] = {}
        self.virtual: dict[str, VirtualNode] = {}
        self.opaque: dict[str, Opaque] = {}
        self._by_node: dict[int, CallSite] = {}
        self.elided: dict[str, ElidedBlock] = {}  # procedures whose bodies demand mode left out

    def site_of(self, node: n.Expr) -> CallSite | None:
        """The call site of an AST node (a Call, or a member/identifier used as a call)."""
        return self._by_node.get(id(node))

    def sites_in(self, proc_key: str, words: Words | None = None) -> list[CallSite]:
        """The call sites in a procedure's body; when demand mode left the body out, the read is
        noted (:mod:`pbtlint.audit`), as one for a site naming one of ``words`` when they are given."""
        elided = self.elided.get(proc_key)
        if elided is not None:
            elided.note(words)
        return self.by_proc.get(proc_key, [])

    def callers_of(self, proc_key: str, words: Words | None = None) -> list[CallSite]:
        """The call sites that call a procedure; the question is noted (:mod:`pbtlint.audit`), with
        ``words`` when only callers in files that hold one of them could change the asker's answer."""
        note_callers(proc_key, words)
        return self.callers.get(proc_key, [])

    def refresh_events(self, model: Model) -> None:
        """Give each table-event node the subscribers ``model`` knows now (a model grown in place:
        :func:`pbtlint.resolve.resolve_more`)."""
        for key, node in list(self.virtual.items()):
            event, _, element = key.split("/event/", 1)[1].partition("/")
            subscribers = tuple(model.subscribers(node.table, event, element))
            if subscribers != node.subscribers:
                self.virtual[key] = dataclasses.replace(node, subscribers=subscribers)

    def forget(self, proc_key: str) -> None:
        """Drop a procedure's call sites from the indexes, to resolve it again (a model grown in place:
        :func:`pbtlint.resolve.resolve_more`); :attr:`sites` keeps them."""
        for site in self.by_proc.pop(proc_key, ()):
            for t in site.targets:
                if t.proc is not None:
                    self.callers[t.key].remove(site)

    def _add(self, site: CallSite) -> None:
        self.sites.append(site)
        self.by_proc.setdefault(site.caller.key, []).append(site)
        self._by_node[id(site.node)] = site
        for t in site.targets:
            if t.proc is not None:
                self.callers.setdefault(t.key, []).append(site)


fast_init(globals())
