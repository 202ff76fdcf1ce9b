"""Guards and offending statements of background code, per procedure (see :mod:`pbtlint.background`).

For each procedure: which calls are under a **GUI guard** (``GuiAllowed()``, a Boolean that only
holds it, a function that returns it) or a **not-in-background guard** (a failed parameter-reading
``[TryFunction]``, ``CurrentClientType() <> ClientType::ChildSession``); which calls are dead for a
given :class:`PathFrame` (temporariness tests, literal Boolean arguments); and which statements write,
commit, lock or show UI (:class:`Candidate`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pbtlint import al_builtins as b
from pbtlint import nodes as n
from pbtlint.analysis import AnalyzedProject
from pbtlint.call_sites import CallSite, Resolution
from pbtlint.callgraph import Edge
from pbtlint.flow import Fact, atom, evaluation_sites, is_bool_literal
from pbtlint.guard_aliases import BoolAliases
from pbtlint.model import UNKNOWN, ObjectInfo, ProcInfo, Temp, VarInfo
from pbtlint.nodes import norm
from pbtlint.pickling import fast_init
from pbtlint.reach import BACKGROUND_ROOT, Frame, concrete
from pbtlint.walk import iter_nodes

_Said = tuple[bool, tuple[tuple[Temp, bool], ...], tuple[int, bool] | None]
"""What one fact says of a call it dominates (:meth:`Guards._says`)."""

TEMPORARY_KIND = "temporary"

# Built-ins beyond pbtlint.al_builtins.classify that also need a user interface.
_EXTRA_UI = frozenset({
    "static:dialog.message", "static:dialog.confirm", "static:dialog.strmenu",
    *(f"static:system.{m}" for m in b.UI_GLOBALS),
})
_GUI_ALLOWED = frozenset({"global.guiallowed", "static:system.guiallowed"})
_GET_PARAMETERS = "static:page.getbackgroundparameters"
_CLIENT_TYPE = frozenset({"global.currentclienttype", "static:session.currentclienttype"})
BIND_SUBSCRIPTION = frozenset({"global.bindsubscription", "static:session.bindsubscription"})


@dataclass(frozen=True, slots=True)
class PathFrame(Frame):
    """A frame that also knows the Boolean parameters passed as literals on the path
    (``(index, value)``), so ``if WithDialog then`` / ``if not InSeparateSession then`` branches
    that a constant argument rules out are dead code."""

    consts: tuple[tuple[int, bool], ...] = ()


ROOT_FRAME = PathFrame(BACKGROUND_ROOT.params, BACKGROUND_ROOT.receiver)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A statement of one procedure that offends unless its record is temporary (``temp`` set)."""

    category: str
    what: str
    record: str
    temp: Temp | None
    node: n.Expr


@dataclass
class ProcFacts:
    """``guarded``: call nodes under a GUI or not-in-background guard. ``conditions``: for a call node,
    what must hold of a record's temporariness for the call to run (``(temp, must_be_temporary)``,
    in the procedure's own terms); ``flags``: which Boolean parameters (by index) must be true or
    false. Under a frame that contradicts one, the call is dead code."""

    guarded: set[int]
    candidates: list[Candidate]
    conditions: dict[int, tuple[tuple[Temp, bool], ...]]
    flags: dict[int, tuple[tuple[int, bool], ...]] = field(default_factory=dict)

    def alive(self, node: n.Expr, frame: Frame) -> bool:
        for temp, must_be_temporary in self.conditions.get(id(node), ()):
            kind = (concrete(temp, frame) or UNKNOWN).kind
            if (kind == TEMPORARY_KIND and not must_be_temporary) or (kind == "persistent" and must_be_temporary):
                return False
        consts = frame.consts if isinstance(frame, PathFrame) else ()
        if consts:
            known = dict(consts)
            for index, required in self.flags.get(id(node), ()):
                if index in known and known[index] != required:
                    return False
        return True


class Guards:
    """Per procedure: which call nodes are guarded, and which statements offend."""

    def __init__(self, project: AnalyzedProject) -> None:
        self.assignments_by_object: dict[int, dict[str, list[tuple[ProcInfo, n.Assign]]]] = {}
        self.assignments_by_proc: dict[str, dict[str, list[n.Assign]]] = {}
        self.project = project
        self.res = project.resolution
        self._procs: dict[str, ProcFacts] = {}
        self._try_params: dict[str, bool] = {}
        self._rejects: dict[str, frozenset[int]] = {}
        self._wrappers: dict[str, bool] = {}
        self._gettable: dict[tuple[str, int], Temp | None] = {}
        self._dispatch: dict[tuple[str, int], frozenset[str] | None] = {}

    def forget(self, keys: Iterable[str]) -> None:
        """Compute again the facts of these procedures (their bodies came since) and everything derived
        from more than one procedure (a project grown in place: :mod:`pbtlint.walk_planner`)."""
        for key in keys:
            self._procs.pop(key, None)
            self.assignments_by_proc.pop(key, None)
        for cache in (self.assignments_by_object, self._try_params, self._rejects, self._wrappers, self._gettable,
                      self._dispatch):
            cache.clear()

    def of(self, proc: ProcInfo) -> ProcFacts:
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
        if id(site.node) in facts.guarded or (frame is not None and not facts.alive(site.node, frame)):
            return False
        if edge.kind == "interface":
            allowed = self.implementations(site)
            target = self.project.graph.graph.nodes[edge.target].get("proc")
            if allowed is not None and isinstance(target, ProcInfo) and target.owner.key not in allowed:
                return False
        return True

    def implementations(self, site: CallSite) -> frozenset[str] | None:
        """The codeunits an interface variable can hold, when every value assigned to it (in its
        procedure, or its object for a global) is an ``Enum::E::Value`` or a codeunit variable;
        None when unknown (a parameter, a record field, ``FromInteger``...)."""
        var = site.receiver.var if site.receiver is not None else None
        if var is None or var.scope not in ("local", "global"):
            return None
        key = (site.caller.key if var.scope == "local" else site.caller.owner.key, id(var))
        if key in self._dispatch:
            return self._dispatch[key]
        procs = [site.caller] if var.scope == "local" else site.caller.owner.all_procs
        iface = site.receiver.obj if site.receiver is not None else None
        found: set[str] | None = set() if iface is not None else None
        for proc in procs:
            if found is None or proc.node.body is None:
                break
            for node in iter_nodes(proc.node.body):
                if not (isinstance(node, n.Assign) and isinstance(node.target, n.Identifier)
                        and proc.scope.get(norm(node.target.name), var if var.scope == "global" else None) is var):
                    continue
                target = self._implementation(proc, node.value, iface) if iface is not None else None
                if target is None:
                    found = None
                    break
                found.add(target)
        result = frozenset(found) if found else None
        self._dispatch[key] = result
        return result

    def _implementation(self, proc: ProcInfo, value: n.Expr, iface: ObjectInfo) -> str | None:
        """The codeunit key that ``value`` (``Enum::E::V`` or a codeunit variable) implements ``iface`` with."""
        model = self.project.model
        if isinstance(value, n.Identifier):
            var = proc.scope.get(norm(value.name)) or proc.owner.globals.get(norm(value.name))
            if var is not None and var.type_name == "codeunit" and var.type.object_name:
                cu = model.object_by_name("codeunit", var.type.object_name, proc.owner)
                return cu.key if cu is not None else None
            return None
        if not (isinstance(value, n.ScopeAccess) and isinstance(value.left, n.ScopeAccess)
                and isinstance(value.left.left, n.Identifier) and norm(value.left.left.name) == "enum"):
            return None
        enum = model.object_by_name("enum", value.left.right, proc.owner)
        if enum is None:
            return None
        text: str | None = None
        for obj in (enum, *enum.extensions):
            for section in obj.node.sections:
                if norm(section.kind) == "value" and norm(section.name) == norm(value.right):
                    text = next((p.text for p in section.properties if norm(p.name) == "implementation"), None)
        if text is None:
            text = enum.prop("DefaultImplementation")
        for part in (text or "").split(","):
            left, sep, right = part.partition("=")
            if sep and norm(left.strip().strip('"')) == norm(iface.name):
                cu = model.object_by_name("codeunit", right.strip().strip('"'), enum)
                return cu.key if cu is not None else None
        return None

    # -------------------------------------------------------------- per procedure

    def _compute(self, proc: ProcInfo) -> ProcFacts:
        body = proc.node.body
        facts_at: dict[int, tuple[Fact, ...]] = {}
        statement_at: dict[int, n.Stmt] = {}
        if body is not None:
            for site in evaluation_sites(body):
                for node in iter_nodes(site.expr):
                    facts_at[id(node)] = site.facts
                    statement_at[id(node)] = site.statement
        aliases = BoolAliases(self, proc)
        guarded: set[int] = set()
        candidates: list[Candidate] = []
        conditions: dict[int, tuple[tuple[Temp, bool], ...]] = {}
        flags: dict[int, tuple[tuple[int, bool], ...]] = {}
        # What each fact says, worked out once: the sites of an else-if chain of n branches share the
        # n negated conditions before them (n * n / 2 facts in all; 2,000 branches took 12 s).
        said: dict[tuple[int, bool], _Said] = {}
        for site in self.res.sites_in(proc.key):
            facts = facts_at.get(id(site.node), ())
            known = []
            for f in facts:
                key = (id(f.expr), f.holds)
                if key not in said:
                    said[key] = self._says(f, proc, aliases)
                known.append(said[key])
            if any(guard for guard, _, _ in known):
                guarded.add(id(site.node))
                continue
            conds = tuple(c for _, temps, _ in known for c in temps)
            if conds:
                conditions[id(site.node)] = conds
            required = tuple(flag for _, _, flag in known if flag is not None)
            if required:
                flags[id(site.node)] = required
            cand = _candidate(site, statement_at.get(id(site.node)))
            if cand is None:
                continue
            if cand.temp is not None and self._known_temporary(site, facts):
                continue
            candidates.append(cand)
        return ProcFacts(guarded, candidates, conditions, flags)

    def _says(self, fact: Fact, proc: ProcInfo, aliases: BoolAliases) -> _Said:
        """Whether ``fact`` guards against the background, what it requires of records'
        temporariness, and of which by-value Boolean parameter it requires what (see :meth:`_compute`)."""
        return self._is_guard(fact, aliases), self._temp_conditions(fact), _flag_condition(proc, fact)

    def bindings(self, edge: Edge) -> tuple[Temp | None, ...]:
        """``edge.bindings``, where a RecordRef argument of unknown temporariness that the caller
        filled with ``GetTable`` from a Variant parameter is bound to that parameter instead."""
        site = edge.site
        if site is None or not any(t is not None and t.kind == "unknown" for t in edge.bindings):
            return edge.bindings
        out = list(edge.bindings)
        for i, t in enumerate(out):
            if t is not None and t.kind == "unknown" and i < len(site.args):
                out[i] = self.recordref_temp(site.caller, site.args[i]) or t
        return tuple(out)

    def recordref_temp(self, proc: ProcInfo, expr: n.Expr) -> Temp | None:
        """``Temp("param", i)`` for a RecordRef variable whose only ``GetTable`` source in ``proc`` is
        the Variant (or record) parameter ``i``: ``RecRef.GetTable(RecVariant)``."""
        if not isinstance(expr, n.Identifier):
            return None
        var = proc.scope.get(norm(expr.name))
        if var is None or var.type_name != "recordref":
            return None
        key = (proc.key, id(var))
        if key in self._gettable:
            return self._gettable[key]
        sources: set[int] = set()
        other = False
        for site in self.res.sites_in(proc.key):
            if site.builtin in ("recordref.gettable", "recordref.open") and site.receiver is not None \
                    and site.receiver.var is var:
                arg = site.args[0] if site.args and site.builtin == "recordref.gettable" else None
                param = proc.scope.get(norm(arg.name)) if isinstance(arg, n.Identifier) else None
                if param is not None and param.scope == "parameter" and param.type_name in ("variant", "record"):
                    sources.add(param.index)
                else:
                    other = True
        found = Temp("param", sources.pop()) if len(sources) == 1 and not other else None
        self._gettable[key] = found
        return found

    def _temp_conditions(self, fact: Fact) -> tuple[tuple[Temp, bool], ...]:
        """What ``fact`` requires of records' temporariness: ``X.IsTemporary()`` true or false, and
        ``F(X)`` true where ``F`` returns false for a temporary ``X`` (``if not CheckValidRecord(Rec)
        then exit;``)."""
        expr, holds = atom(fact)
        site = self.res.site_of(expr)
        if site is None:
            return ()
        if site.builtin in ("record.istemporary", "recordref.istemporary"):
            temp = site.receiver.temp if site.receiver is not None else None
            if (temp is None or temp.kind == "unknown") and isinstance(expr, n.Call | n.MemberAccess):
                callee = expr.callee if isinstance(expr, n.Call) else expr
                if isinstance(callee, n.MemberAccess):
                    temp = self.recordref_temp(site.caller, callee.receiver) or temp
            return ((temp, holds),) if temp is not None else ()
        if not holds:
            return ()
        out: list[tuple[Temp, bool]] = []
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
        temporary: its body has a top-level ``if P.IsTemporary() [or ...] then exit(false);``."""
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
                for part in _disjuncts(stmt.condition):
                    expr, holds = atom(Fact(part, True))
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
            expr, holds = atom(fact)
            other = self.res.site_of(expr)
            if (holds and other is not None and other.builtin in ("record.istemporary", "recordref.istemporary")
                    and other.receiver is not None and other.receiver.var is var):
                return True
        return False

    def _is_guard(self, fact: Fact, aliases: BoolAliases) -> bool:
        expr, holds = atom(fact)
        if isinstance(expr, n.Binary) and expr.op in ("=", "<>") and self._child_session_test(expr):
            # A page background task runs in a child session: ``CurrentClientType() = ChildSession``
            # being false (or ``<>`` being true) means not in the background.
            return holds == (expr.op == "<>")
        kind = self.guard_kind(expr) or aliases.kind(expr)
        return (kind == "gui" and holds) or (kind == "not-background" and not holds)

    def _child_session_test(self, expr: n.Binary) -> bool:
        """``CurrentClientType() = ClientType::ChildSession`` (either side, ``Session.`` or not)."""
        for left, right in ((expr.left, expr.right), (expr.right, expr.left)):
            site = self.res.site_of(left)
            if (site is not None and site.builtin in _CLIENT_TYPE and isinstance(right, n.ScopeAccess)
                    and norm(right.right) == "childsession"):
                return True
        return False

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
        if site.targets and all(t.proc is not None and self._gui_wrapper(t.proc) for t in site.targets):
            return "gui"
        return None

    def _gui_wrapper(self, proc: ProcInfo) -> bool:
        """A parameterless Boolean function whose every ``exit(Value)`` returns ``GuiAllowed()``
        (``IsGuiAllowed()``; an ``exit;`` left for a test hook's event is ignored)."""
        found = self._wrappers.get(proc.key)
        if found is not None:
            return found
        self._wrappers[proc.key] = False  # no recursion through itself
        body = proc.node.body
        ok = False
        if body is not None and _parameterless_boolean(proc):
            values = [s.value for s in iter_nodes(body) if isinstance(s, n.Exit) and s.value is not None]
            ok = bool(values) and all(self.guard_kind(v) == "gui" for v in values)
        self._wrappers[proc.key] = ok
        return ok

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


def _parameterless_boolean(proc: ProcInfo) -> bool:
    """The shape of a GUI wrapper (:meth:`Guards._gui_wrapper`): no parameters, returns a Boolean."""
    node = proc.node
    return not proc.params and node.return_type is not None and norm(node.return_type.name) == "boolean"


def _read_by_guards(proc: ProcInfo) -> bool:
    """Whether a condition that calls ``proc`` looks at its body (:meth:`Guards.guard_kind`): a try
    function (does it get the task's parameters?) or a GUI wrapper's shape (does it return
    ``GuiAllowed()``?)."""
    return proc.try_function or _parameterless_boolean(proc)


def guards_reading(res: Resolution, bodied: Iterable[ProcInfo]) -> set[str]:
    """The procedures whose guard facts may have read the bodies of ``bodied`` before they came (a
    project grown in place, :mod:`pbtlint.walk_planner`): the callers of one whose body a guard looks at
    (:func:`_read_by_guards`), and the callers of such a caller (a try function's guard also asks the
    procedures it calls)."""
    out: set[str] = set()
    for proc in bodied:
        read = _read_by_guards(proc)
        for site in res.callers.get(proc.key, ()):
            caller = site.caller
            if read:
                out.add(caller.key)
            if _read_by_guards(caller):
                out.update(s.caller.key for s in res.callers.get(caller.key, ()))
    return out


def bool_param(proc: ProcInfo, expr: n.Expr) -> VarInfo | None:
    """The by-value Boolean parameter of ``proc`` that ``expr`` names, if any."""
    if not isinstance(expr, n.Identifier):
        return None
    var = proc.scope.get(norm(expr.name))
    if var is None or var.scope != "parameter" or var.by_ref or var.type_name != "boolean":
        return None
    return var


def _flag_condition(proc: ProcInfo, fact: Fact) -> tuple[int, bool] | None:
    """The by-value Boolean parameter of ``proc`` that ``fact`` is about, by index, and the value it requires."""
    expr, holds = atom(fact)
    var = bool_param(proc, expr)
    return (var.index, holds) if var is not None else None


def _disjuncts(expr: n.Expr) -> list[n.Expr]:
    """``A or (B or C)`` -> ``[A, B, C]``: each one being true makes ``expr`` true."""
    out: list[n.Expr] = []
    stack = [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, n.Binary) and e.op == "or":
            stack.extend((e.right, e.left))
        else:
            out.append(e)
    return out


def literal_bool(expr: n.Expr) -> bool | None:
    if is_bool_literal(expr):
        assert isinstance(expr, n.LiteralValue)
        return expr.value.casefold() == "true"
    return None


def _is_false(expr: n.Expr) -> bool:
    return is_bool_literal(expr) and isinstance(expr, n.LiteralValue) and expr.value.casefold() == "false"


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


def _candidate(site: CallSite, statement: n.Stmt | None) -> Candidate | None:
    """What kind of offence ``site`` is, if any (temporariness is decided later, along the path)."""
    builtin = site.builtin
    if builtin is None or (isinstance(site.node, n.Identifier) and site.node.quoted):
        # A quoted name without parentheses is a field ("Message" in SetRange("Message", X)), not a call.
        return None
    recv_kind, _, method = builtin.partition(".")
    category = b.classify(builtin, site.args)
    record_temp = site.receiver.temp if site.receiver is not None else None
    is_record = recv_kind in ("record", "recordref")
    if category == "write":
        if is_record:
            return Candidate("write", site.name, _record_text(site), record_temp or Temp("unknown"), site.node)
        return Candidate("write", f"IsolatedStorage.{site.name}", "", None, site.node)
    if category == "commit":
        return Candidate("commit", "Commit", "", None, site.node)
    if category == "lock":
        what = "LockTable" if method == "locktable" else "FindSet(true)"
        return Candidate("lock", what, _record_text(site), record_temp or Temp("unknown"), site.node)
    if builtin in ("record.readisolation", "recordref.readisolation"):
        value = site.args[0] if site.args else None
        if value is None and isinstance(statement, n.Assign) and statement.target is site.node:
            value = statement.value
        if value is not None and _is_updlock(value):
            return Candidate("lock", "ReadIsolation := UpdLock", _record_text(site),
                              record_temp or Temp("unknown"), site.node)
        return None
    if category == "ui" or builtin in _EXTRA_UI:
        return Candidate("ui", _ui_name(site), "", None, site.node)
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


fast_init(globals())
