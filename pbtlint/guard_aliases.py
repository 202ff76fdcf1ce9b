"""Boolean variables that hold a guard's value (:mod:`pbtlint.background_guards`).

``IsGui := GuiAllowed(); ... if IsGui then Message(...)``: a Boolean local or global whose every
assignment is a guard's value is that guard. Finding them means the assignments to a name in a
procedure (a local) or in every procedure of its object (a global); each body is walked once per
:class:`~pbtlint.background_guards.Guards`, and a project grown in place walks again only the bodies
that came since.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pbtlint import nodes as n
from pbtlint.audit import ElidedBlock, words
from pbtlint.flow import atom, facts_of
from pbtlint.model import ObjectInfo, ProcInfo, VarInfo
from pbtlint.nodes import norm
from pbtlint.walk import iter_nodes

if TYPE_CHECKING:
    from pbtlint.background_guards import Guards


def _object_assignments(guards: Guards, owner: ObjectInfo) -> dict[str, list[tuple[ProcInfo, n.Assign]]]:
    """Every assignment to a plain name in ``owner``'s procedures, by that name, gathered once per
    object from each procedure's own (a global Boolean is looked up from every procedure that tests it)."""
    cache = guards.assignments_by_object
    found = cache.get(id(owner))
    if found is None:
        found = cache[id(owner)] = {}
        for proc in owner.all_procs:
            for name, assigns in _own_assignments(guards, proc).items():
                found.setdefault(name, []).extend((proc, node) for node in assigns)
    return found


def _own_assignments(guards: Guards, proc: ProcInfo) -> dict[str, list[n.Assign]]:
    """Every assignment to a plain name in ``proc``'s body, by that name (none in a body left out: it is
    noted by name where a global is looked up); one walk per body (a local Boolean is looked up from
    its own procedure only, and a grown project keeps what did not change)."""
    cache = guards.assignments_by_proc
    found = cache.get(proc.key)
    if found is None:
        found = cache[proc.key] = {}
        if proc.node.body is not None and not isinstance(proc.node.body, ElidedBlock):
            for node in iter_nodes(proc.node.body):
                if isinstance(node, n.Assign) and isinstance(node.target, n.Identifier):
                    found.setdefault(norm(node.target.name), []).append(node)
    return found


class BoolAliases:
    """Boolean variables that only ever hold a guard's value (``IsGui := GuiAllowed();``)."""

    def __init__(self, guards: Guards, proc: ProcInfo) -> None:
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
        name = norm(var.name)
        kinds: set[str | None] = set()
        for proc in self.proc.owner.all_procs if var.scope == "global" else ():
            if isinstance(proc.node.body, ElidedBlock):  # demand mode left it out: it may assign the global
                proc.node.body.note(words(name, assigned=True))
        if var.scope == "local":
            found = _own_assignments(self.guards, self.proc).get(name, [])
        else:
            found = [node for proc, node in _object_assignments(self.guards, self.proc.owner).get(name, ())
                     if name not in proc.scope]
        for node in found:
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
            expr, holds = atom(fact)
            if holds and self.guards.guard_kind(expr) == "gui":
                return "gui"
        return None
