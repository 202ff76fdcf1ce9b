"""What the closure (:mod:`pbtlint.closure`) needs of a parsed file: per object, the names its
declarations use and its procedures' summaries; per procedure, the names, integers and effects
(writes, runs) of its code, and where its body was left out of a skeleton parse.

Summaries are computed where a file or body is parsed (in any process) and travel, and are cached,
beside it; a skeleton's summary is completed by :meth:`ProcSummary.restore` when a body it left out
is parsed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from pbtlint import nodes as n
from pbtlint.al_builtins import TRIGGER_OPERATIONS, constant_bool_arg
from pbtlint.declindex import type_id_reference
from pbtlint.model import property_text
from pbtlint.nodes import norm
from pbtlint.pickling import fast_pickling
from pbtlint.walk import iter_nodes

EXTENSION_KINDS = frozenset({"tableextension", "pageextension", "reportextension", "enumextension",
                             "permissionsetextension", "pagecustomization", "profileextension"})
_TABLE_OPS = {"insert": "insert", "modify": "modify", "modifyall": "modify", "delete": "delete",
              "deleteall": "delete", "rename": "rename", "validate": "validate"}
# Calls that run an object's triggers: Codeunit.Run, Report.RunModal, XmlPort.Import, page background tasks.
_RUN_NAMES = frozenset({"run", "runmodal", "execute", "print", "saveas", "saveasexcel", "saveashtml", "saveaspdf",
                        "saveasword", "saveasxml", "runrequestpage", "import", "export", "enqueuebackgroundtask",
                        "open"})


@dataclass(slots=True)
class ProcSummary:
    """A procedure or trigger: the names and integers its code and declarations use; ``element`` is the
    field (or control) a trigger sits on; ``returns`` the object names of its return type."""

    name: str
    trigger: bool
    publisher: bool
    names: frozenset[str]
    ints: frozenset[int]
    element: str = ""
    returns: frozenset[str] = frozenset()
    effects: dict[str, frozenset[str]] = field(default_factory=dict)
    lines: tuple[int, int] = (0, 0)
    scoped: frozenset[str] = frozenset()
    assigned: frozenset[int] = frozenset()
    """Integer literals assigned to a variable, returned or passed to a procedure: maybe a codeunit id
    that reaches an enqueue site (``CodeunitId := 50100``, ``exit(50100)``, ``StartTask(50100)``)."""
    loose: frozenset[str] = frozenset()
    """``names`` but those only ever used as a member of a plain variable (``Customer.Find``): the names
    that may call into any object the procedure names."""
    members: dict[str, frozenset[str]] = field(default_factory=dict)
    """Variable -> the members used on it (``customer -> {find, name}``)."""
    local_types: dict[str, frozenset[str]] = field(default_factory=dict)
    """Parameter or local variable -> the object names of its type."""
    tested: frozenset[str] = frozenset()
    """Names in the conditions of ``if``, ``while``, ``repeat ... until`` and ``case`` (a Boolean global
    tested there may be a guard's alias)."""
    returned: frozenset[str] = frozenset()
    """Names in ``exit(...)`` values (``exit(Codeunit::X)`` gives ``x``)."""
    feeds: frozenset[str] = frozenset()
    """Names in the values assigned to plain names (``IsGui := Helper.IsGuiAllowed()``)."""
    exits: frozenset[int] = frozenset()
    """Integer literals the procedure returns (``exit(50100)``: maybe a codeunit id a caller runs or enqueues)."""
    pending: tuple[int, int] | None = None
    """Where the body begins (line, column) when it was left out of a skeleton parse: the names,
    effects and literals above then come from the declarations alone until :meth:`restore` is given
    what the body adds."""

    def body_facts(self) -> tuple[object, ...]:
        """What a body adds to a summary (for caching it beside the body)."""
        return (self.names, self.ints, self.effects, self.scoped, self.assigned, self.loose, self.members,
                self.tested, self.returned, self.feeds, self.exits)

    def restore(self, facts: tuple[object, ...]) -> None:
        """Complete a skeleton's summary with what its body adds (``body_facts`` of the summary of the
        procedure with its body)."""
        (self.names, self.ints, self.effects, self.scoped, self.assigned, self.loose,  # type: ignore[assignment]
         self.members, self.tested, self.returned, self.feeds, self.exits) = facts
        self.pending = None


@dataclass(slots=True)
class ObjectSummary:
    kind: str
    name: str
    id: int | None
    base: list[str]
    table: list[str]
    globals: dict[str, frozenset[str]]
    procs: list[ProcSummary]
    watched: dict[str, str] = field(default_factory=dict)
    """Global variables that analyses follow through every procedure of the object, with their type:
    ``boolean`` (guard aliases), ``integer`` (codeunit ids), ``dictionary`` (task parameters and
    results), ``interface`` (the codeunits it is given) and ``recordref`` (whether it is opened on a
    temporary table)."""


_EMPTY: frozenset = frozenset()
T = TypeVar("T")


def _frozen(items: Collection[T]) -> frozenset[T]:
    """``frozenset(items)``, the empty one shared: a summary holds a dozen sets, most of them empty, and
    a cached file's pickle then names one empty set instead of building one for each (a tenth fewer
    objects to load for the Base Application's files)."""
    return frozenset(items) if items else _EMPTY


# isinstance with a tuple: ``A | B`` builds a union object at each call, in loops over every node
_NAME_NODES = (n.Identifier, n.ScopeAccess)
_CONDITIONAL = (n.If, n.While, n.Repeat)


def _names_of(name: str) -> list[str]:
    """An object name as the AST holds it (quotes removed, maybe namespace-qualified) and each of its
    suffixes after a dot: ``Microsoft.Sales.Customer`` may name ``Customer``, ``Gen. Jnl.-Post Line``
    is one name. Like :meth:`pbtlint.model.Model.object_by_name`, every split is a candidate."""
    out: list[str] = []
    for key in {norm(name), norm(name).replace('""', "\0").replace('"', "").replace("\0", '"')}:
        out.append(key)  # as written, and with the quotes of a qualified name's segments removed
        i = key.find(".")
        while i >= 0:
            out.append(key[i + 1:].strip())
            i = key.find(".", i + 1)
    return sorted(set(out))


def _identifiers(expr: n.Expr) -> set[str]:
    """The plain names an expression uses, and the ``X`` of its ``Codeunit::X``."""
    return {norm(x.name) if isinstance(x, n.Identifier) else norm(x.right)
            for x in iter_nodes(expr) if isinstance(x, _NAME_NODES)}


def _names_in(expr: n.Expr) -> set[str]:
    """The names and members an expression uses (what it may call)."""
    out: set[str] = set()
    for x in iter_nodes(expr):
        if isinstance(x, n.Identifier):
            out.add(norm(x.name))
        elif isinstance(x, n.MemberAccess):
            out.add(norm(x.member))
    return out


def _int_literals(exprs: Iterable[n.Expr]) -> set[int]:
    return {int(e.value) for e in exprs
            if isinstance(e, n.LiteralValue) and e.kind == "integer" and e.value.isdigit()}


def _type_names(t: n.TypeRef | None, out: set[str]) -> None:
    """The object names a type mentions, its type arguments' included (``List of [Record X]``);
    iterative, since hostile code nests generic types thousands deep."""
    stack = [t]
    while stack:
        t = stack.pop()
        if t is None:
            continue
        if t.object_name:
            out.update(_names_of(t.object_name))
            by_id = type_id_reference(t.name, t.object_name)  # ``Page 50450``: as the index names the object
            if by_id:
                out.add(by_id)
        stack.extend(t.args)


_STATIC_RECEIVERS = frozenset({"codeunit", "report", "xmlport", "page", "query", "currpage", "currreport",
                               "taskscheduler", "session"})


_WATCHED_TYPES = frozenset({"boolean", "integer", "dictionary", "interface", "recordref"})

TRIGGERS = "!"
"""Suffix of an effect whose table triggers may run: ``modify!`` for ``Modify(true)`` or ``Modify(X)``,
beside the ``modify`` every ``Modify`` has (the table's trigger events run either way)."""


def _receivers(recv: n.Expr, local_types: dict[str, set[str]]) -> set[str]:
    """What an operation's receiver may be: the object names of a variable's type, ``@name`` for
    another name (``@rec``, a global, a data item), ``*`` for anything; nothing for ``Codeunit``,
    ``Page``... (the call's arguments say what runs)."""
    if isinstance(recv, n.Identifier):
        r = norm(recv.name)
        if r in local_types:
            return local_types[r] or {"*"}
        return set() if r in _STATIC_RECEIVERS else {"@" + r}
    return {"*"}


def _effect(op: str) -> str | None:
    """``modify`` for Modify/ModifyAll..., ``run`` for Run/RunModal/EnqueueBackgroundTask..., else None."""
    return _TABLE_OPS.get(op) or ("run" if op in _RUN_NAMES else None)


def _proc_summary(proc: n.Procedure, element: str = "", elided: frozenset[tuple[int, int]] = frozenset()
                  ) -> ProcSummary:
    names: set[str] = set()
    ints: set[int] = set()
    members: dict[str, set[str]] = {}
    member_names: set[str] = set()  # seen as a member of a plain variable
    local_types: dict[str, set[str]] = {}
    for v in (*proc.parameters, *proc.variables):
        types: set[str] = set()
        _type_names(v.type, types)
        local_types[norm(v.name)] = types
        names |= types
    _type_names(proc.return_type, names)
    other = set(names)  # declared types
    effects: dict[str, set[str]] = {}
    scoped: set[str] = set()
    assigned: set[int] = set()
    exits: set[int] = set()
    tested: set[str] = set()
    returned: set[str] = set()
    feeds: set[str] = set()
    if proc.body is not None:
        for node in iter_nodes(proc.body):
            if isinstance(node, n.Identifier):
                key = norm(node.name)
                names.add(key)
                other.add(key)
                op = _effect(key)
                if op is not None:
                    effects.setdefault(op, set()).add("@rec")
            elif isinstance(node, n.MemberAccess):
                key = norm(node.member)
                names.add(key)
                if isinstance(node.receiver, n.Identifier):
                    members.setdefault(norm(node.receiver.name), set()).add(key)
                    member_names.add(key)
                else:
                    other.add(key)
                op = _effect(key)
                if op is not None:
                    effects.setdefault(op, set()).update(_receivers(node.receiver, local_types))
            elif isinstance(node, n.ScopeAccess):
                names.add(norm(node.right))
                other.add(norm(node.right))
                scoped.add(norm(node.right))
            elif isinstance(node, n.TypeTest):
                names.update(_names_of(node.type_name))
                other.update(_names_of(node.type_name))
            elif isinstance(node, n.With):
                effects.setdefault("with", set()).add("*")
            elif isinstance(node, n.Call):
                callee = node.callee
                called = norm(callee.member if isinstance(callee, n.MemberAccess) else getattr(callee, "name", ""))
                if called in _RUN_NAMES:  # Codeunit.Run(50100), Report.RunModal(206)...
                    ints.update(_int_literals(node.args))
                else:  # StartTask(50100): a helper may enqueue its parameter
                    assigned.update(_int_literals(node.args))
                operation = TRIGGER_OPERATIONS.get(called)
                if operation is not None and constant_bool_arg(node.args, operation[1]) is not False:
                    # Modify(true), Rename(...): the table's triggers run (Modify() runs only its events)
                    runs = effects.setdefault(_TABLE_OPS[called] + TRIGGERS, set())
                    runs.update(_receivers(callee.receiver, local_types) if isinstance(callee, n.MemberAccess)
                                else {"@rec"})
                op = _effect(called)
                if op is not None and isinstance(callee, n.MemberAccess) and isinstance(callee.receiver, n.Identifier) \
                        and norm(callee.receiver.name) in _STATIC_RECEIVERS:  # Codeunit.Run(Codeunit::X)
                    found = {x for a in node.args for x in _identifiers(a)}
                    effects.setdefault(op, set()).update({"@" + x for x in found} or {"*"})
            elif isinstance(node, n.Exit) or (isinstance(node, n.Assign) and isinstance(node.target, n.Identifier)):
                value = node.value  # CodeunitId := 50100; exit(50100) (not Rec.Field := 2: no codeunit id)
                found_ints = _int_literals((value,) if value is not None else ())
                assigned |= found_ints
                if isinstance(node, n.Exit):
                    exits |= found_ints
                    if value is not None:
                        returned |= _identifiers(value)
                else:
                    feeds |= _names_in(value)
            if isinstance(node, _CONDITIONAL):
                tested |= _identifiers(node.condition)
            elif isinstance(node, n.Case):
                tested |= _identifiers(node.expr)
                for branch in node.branches:
                    for v in branch.values:
                        tested |= _identifiers(v)
    if "with" in effects:  # inside `with X do`, an unqualified Modify may be X's
        effects.pop("with")
        for refs in effects.values():
            refs.add("*")
    publisher = any(norm(a.name) in ("integrationevent", "businessevent", "internalevent") for a in proc.attributes)
    returns: set[str] = set()
    _type_names(proc.return_type, returns)
    used_otherwise = (names - member_names) | other  # loose: used other than as a member of a plain variable
    pending = None
    if elided and proc.body is not None and (proc.body.span.line, proc.body.span.column) in elided:
        pending = (proc.body.span.line, proc.body.span.column)
    return ProcSummary(norm(proc.name), proc.kind == "trigger", publisher, _frozen(names), _frozen(ints),
                       element, _frozen(returns), {k: _frozen(v) for k, v in effects.items()},
                       (proc.span.line, proc.span.end_line), _frozen(scoped), _frozen(assigned),
                       _frozen(used_otherwise), {k: _frozen(v) for k, v in members.items()},
                       {k: _frozen(v) for k, v in local_types.items()}, _frozen(tested), _frozen(returned),
                       _frozen(feeds), _frozen(exits), pending)


def body_summary(proc: n.Procedure, element: str) -> ProcSummary:
    """The summary of a procedure whose body has been parsed (its ``body_facts`` go to :meth:`ProcSummary.restore`)."""
    return _proc_summary(proc, element)


def _element_globals(obj: n.AlObject, out: dict[str, frozenset[str]], procs: list[ProcSummary],
                     elided: frozenset[tuple[int, int]], watched: dict[str, str]) -> None:
    stack = list(obj.sections)
    while stack:
        el = stack.pop()
        refs: set[str] = set()
        _type_names(el.type, refs)
        if el.source is not None:
            for node in iter_nodes(el.source):
                if isinstance(node, n.Identifier):
                    refs.add(norm(node.name))
                elif isinstance(node, n.MemberAccess):
                    refs.add(norm(node.member))
        refs.update(norm(a.strip().strip('"').replace('""', '"')) for a in el.args[1:2])
        if el.name and refs:
            out[norm(el.name)] = _frozen(refs | out.get(norm(el.name), _EMPTY))
        for v in el.variables:
            names: set[str] = set()
            _type_names(v.type, names)
            out[norm(v.name)] = _frozen(names)
            if norm(v.type.name) in _WATCHED_TYPES:
                watched[norm(v.name)] = norm(v.type.name)
        procs.extend(_proc_summary(t, norm(el.name or ""), elided) for t in el.triggers)
        stack.extend(el.children)


def summarize(unit: n.CompilationUnit, elided: frozenset[tuple[int, int]] = frozenset()) -> list[ObjectSummary]:
    """What the fixpoint needs of each object of a parsed file; ``elided`` are the bodies (by the line
    and column of their ``begin``) a skeleton parse left out."""
    out: list[ObjectSummary] = []
    for obj in unit.objects:
        globals_: dict[str, frozenset[str]] = {}
        for v in obj.variables:
            names: set[str] = set()
            _type_names(v.type, names)
            globals_[norm(v.name)] = _frozen(names)
        watched = {norm(v.name): norm(v.type.name) for v in obj.variables if norm(v.type.name) in _WATCHED_TYPES}
        procs = [_proc_summary(p, "", elided) for p in (*obj.triggers, *obj.procedures)]
        _element_globals(obj, globals_, procs, elided, watched)
        props = {norm(p.name): p for p in obj.properties}
        table: str | None = None
        if obj.kind == "table":
            table = obj.name
        elif obj.kind == "tableextension":
            table = obj.extends
        elif "sourcetable" in props:
            table = property_text(props["sourcetable"])
        elif "tableno" in props:
            table = property_text(props["tableno"])
        base = obj.extends if obj.kind in EXTENSION_KINDS and obj.extends else obj.name
        out.append(ObjectSummary(obj.kind, obj.name, obj.id, _names_of(base), _names_of(table) if table else [],
                                 globals_, procs, watched))
    return out


fast_pickling(globals())
