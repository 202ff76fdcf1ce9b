"""Resolution of every call in the analyzed sources to what it runs.

Each call (also a method used without parentheses, ``Rec.Modify;``, ``if IsEmpty then``) becomes a
:class:`~pbtlint.call_sites.CallSite`: the procedure it sits in, its receiver (type, object, temporariness), the
built-in operation it is (``record.modify``, ``global.message``, ``currpage.enqueuebackgroundtask``)
if any, and its :class:`~pbtlint.call_sites.Target` s, the call-graph edges it contributes. A call that cannot be
followed gets an opaque target with a reason, never nothing.

Edge kinds: ``call`` (same object), ``codeunit`` (codeunit variable), ``codeunit-run``
(``Codeunit.Run`` / ``CU.Run`` to ``OnRun``), ``record`` (record variable to a table or table
extension procedure), ``page``/``report``/``query`` (procedures on such variables), ``table-trigger``
(``Insert(true)`` etc. to ``OnInsert``...), ``validate`` (``Validate`` to the field's ``OnValidate``),
``table-event`` (an operation to the table's ``OnAfterModifyEvent``... node), ``event`` (publisher or
table event to a subscriber; added by the call graph), ``interface`` (interface method to each
implementation), ``report-run`` / ``xmlport-run`` (to the object's triggers), ``opaque``.

Built-in operations are named ``<receiver>.<method>``, lower case: ``record.modify``,
``recordref.insert``, ``global.message`` (system methods called without a receiver),
``static:<name>.<method>`` for ``Codeunit.Run``, ``Page.SetBackgroundTaskResult``,
``IsolatedStorage.Set``, ``Session.X`` (``static:page.setbackgroundtaskresult``), ``currpage.*`` /
``currreport.*`` / ``currquery.*`` / ``currxmlport.*`` (also unqualified calls of those methods inside
the object), and the variable's type for other built-in types (``dictionary.get``,
``notification.send``, ``dialog.open``). A record operation keeps its trigger edges
(``Modify(true)`` is ``record.modify`` *and* has ``table-trigger`` targets).

Opaque reasons: ``no-source`` (the object is not in the analyzed sources), ``dotnet``,
``interface-no-implementation``, ``dynamic-codeunit`` / ``dynamic-report`` / ``dynamic-xmlport`` (an
id known only at run time), ``recordref-trigger`` (``RecRef.Modify(true)``), ``fieldref-validate``,
``unresolved`` (an unqualified name found nowhere), ``unknown-member``, ``unknown-receiver``.
"""

from __future__ import annotations

from collections.abc import Iterable

from pbtlint import al_builtins as b
from pbtlint import nodes as n
from pbtlint.audit import ElidedBlock, words
from pbtlint.call_sites import CallSite, Opaque, Resolution, Target, VirtualNode
from pbtlint.model import EXTENSION_TARGET, PERSISTENT, UNKNOWN, Model, ObjectInfo, ProcInfo, Temp, VarInfo
from pbtlint.nodes import norm
from pbtlint.resolve_stale import StaleIndex
from pbtlint.scope import Receiver, Scope
from pbtlint.walk import children

_LEAVES = (n.ScopeAccess, n.LiteralValue)  # tuples: ``A | B`` would build a union at each node
_PASSED_RECORDS = (n.Identifier, n.Index)


def resolve(model: Model, every_event: bool = False) -> Resolution:
    """Resolve every call of every procedure and trigger in ``model``. With ``every_event``, a write
    raises its table events even when no subscriber is known yet (a model grown in place gets them later:
    :func:`resolve_more`, :meth:`pbtlint.call_sites.Resolution.refresh_events`)."""
    res = Resolution()
    callable_names = _callable_names(model)
    for obj in model.objects:
        _Resolver(model, res, callable_names, every_event).resolve_object(obj)
    return res


def resolve_more(model: Model, res: Resolution, objects: Iterable[ObjectInfo],
                 procs: Iterable[ProcInfo], stale: StaleIndex) -> list[ProcInfo]:
    """Resolve, into ``res``, the calls of ``objects`` added to ``model`` since and of ``procs`` whose
    bodies came since (left out before, they had no calls), for a model grown in place. A procedure
    resolved earlier is resolved again when one of its calls could now resolve otherwise: its receiver
    names one of ``objects``, or is an object one of them extends, or it calls by a bare name that one of
    them declares, and no procedure answered (``stale``, kept by the caller between calls, finds them by
    name). Those procedures are returned; their earlier sites stay in ``res.sites`` (a graph grown from
    them keeps their edges, which only widens a walk). Other changes (an argument's temporariness, a
    RecordRef opened elsewhere) are not followed, which is why :mod:`pbtlint.walk_planner` checks its
    result on a model built afresh."""
    objects = list(objects)
    again = stale.find(res, objects)
    resolver = _Resolver(model, res, _callable_names(model), True)
    for obj in objects:
        resolver.resolve_object(obj)
    for proc in procs:
        res.elided.pop(proc.key, None)
        resolver.resolve_procs([proc])
    for proc in again:
        res.forget(proc.key)
        resolver.resolve_procs([proc])
    return again


def _callable_names(model: Model) -> frozenset[str]:
    """Every name a bare identifier can call (normalized): a procedure of some object, a system
    function, a record method (inside ``with``) or an object's own built-in method. Most bare
    identifiers are variables and fields; one not in this set is no call, whatever its scope."""
    names: set[str] = set(b.GLOBAL_FUNCTIONS) | set(b.RECORD_METHODS)
    for _, methods in _IMPLICIT_OBJECT_METHODS.values():
        names.update(methods)
    for obj in model.objects:  # targets and extensions are objects of the model too
        names.update(obj.procedures)
    return frozenset(names)


def _pick(procs: list[ProcInfo], nargs: int) -> list[ProcInfo]:
    exact = [p for p in procs if len(p.params) == nargs]
    return exact or procs


def field_name(expr: n.Expr) -> str | None:
    """The field an argument names: ``"No."``, ``Rec."No."``, ``FieldNo("No.")``."""
    if isinstance(expr, n.Identifier):
        return expr.name
    if isinstance(expr, n.MemberAccess):
        return expr.member
    if isinstance(expr, n.Call) and norm(expr.name) == "fieldno" and expr.args:
        return field_name(expr.args[0])
    return None


_Candidate = tuple[Scope, str, n.Expr]


class _Resolver:
    def __init__(self, model: Model, res: Resolution, callable_names: frozenset[str],
                 every_event: bool = False) -> None:
        self.model = model
        self.res = res
        self.callable_names = callable_names
        self.every_event = every_event

    # ------------------------------------------------------------------ driving

    def resolve_object(self, obj: ObjectInfo) -> None:
        elided, candidates = self.resolve_procs(obj.all_procs)
        if elided:  # one may open a global RecordRef that parsed code uses, maybe on a temporary table
            used = {norm(node.name) for _, kind, node in candidates if kind == "ident"}  # receivers too
            refs = words(*(opening for var_name, var in obj.globals.items()
                           if var.type_name == "recordref" and var_name in used
                           for opening in b.recordref_openings(var_name)))
            for body in elided if refs else ():
                body.note(refs)

    def resolve_procs(self, procs: Iterable[ProcInfo]) -> tuple[list[ElidedBlock], list[_Candidate]]:
        """Resolve the calls of ``procs`` (of one object); the bodies left out among them, and the
        candidates collected."""
        candidates: list[_Candidate] = []
        observed: dict[VarInfo, list[Temp]] = {}
        elided: list[ElidedBlock] = []
        for proc in procs:
            if proc.node.body is None:
                continue
            if isinstance(proc.node.body, ElidedBlock):
                self.res.elided[proc.key] = proc.node.body
                elided.append(proc.node.body)
                continue
            if isinstance(proc.node.body, n.UnparsedBlock):  # what it does is not known: it calls an opaque node
                self.res._add(CallSite(proc, proc.node.body, proc.name, (), None, None,  # type: ignore[arg-type]
                                       (self._opaque(proc.key, "syntax-error",
                                                     f"{proc.display}, whose body does not parse"),)))
                continue
            scope = Scope(self.model, proc)
            self._collect(scope, proc.node.body, candidates, observed)
        for var, temps in observed.items():
            var.temp = _merge(temps)
        for scope, kind, node in candidates:
            site = self._site(scope, kind, node)
            if site is not None:
                self.res._add(site)
        return elided, candidates

    def _collect(self, scope: Scope, body: n.Stmt, out: list[_Candidate], observed: dict[VarInfo, list[Temp]]) -> None:
        stack: list[object] = [body]
        while stack:
            node = stack.pop()
            if isinstance(node, n.Call):
                out.append((scope, "call", node))
                callee = node.callee
                if isinstance(callee, n.MemberAccess):
                    self._observe_recordref(scope, node, callee, observed)
                    stack.extend(reversed(node.args))
                    stack.append(callee.receiver)
                    continue
                stack.extend(reversed(node.args))
                if not isinstance(callee, n.Identifier):
                    stack.append(callee)
            elif isinstance(node, n.MemberAccess):
                out.append((scope, "member", node))
                stack.append(node.receiver)
            elif isinstance(node, n.Identifier):
                out.append((scope, "ident", node))
            elif isinstance(node, _LEAVES):
                continue
            else:
                kids = children(node)
                kids.reverse()
                stack.extend(kids)

    def _observe_recordref(self, scope: Scope, call: n.Call, callee: n.MemberAccess,
                           observed: dict[VarInfo, list[Temp]]) -> None:
        m = norm(callee.member)
        if m not in b.RECORDREF_OPENERS or not isinstance(callee.receiver, n.Identifier):
            return
        var = scope.var(callee.receiver.name)
        if var is None or var.type_name != "recordref":
            return
        if m == "open":
            temporary = b.constant_bool_arg(call.args, 1)
            temp = PERSISTENT if temporary is False else Temp("temporary") if temporary else UNKNOWN
        else:
            temp = scope.receiver(call.args[0]).temp or UNKNOWN if call.args else UNKNOWN
        observed.setdefault(var, []).append(temp)

    # ------------------------------------------------------------------ candidates

    def _site(self, scope: Scope, kind: str, node: n.Expr) -> CallSite | None:
        if kind == "call":
            assert isinstance(node, n.Call)
            callee = node.callee
            if isinstance(callee, n.Identifier):
                return self._unqualified(scope, node, callee.name, node.args)
            if isinstance(callee, n.MemberAccess):
                return self._qualified(scope, node, callee.receiver, callee.member, node.args)
            return None
        if kind == "member":
            assert isinstance(node, n.MemberAccess)
            return self._member_without_parens(scope, node)
        assert isinstance(node, n.Identifier)
        return self._identifier_without_parens(scope, node)

    def _identifier_without_parens(self, scope: Scope, node: n.Identifier) -> CallSite | None:
        name = node.name
        key = norm(name)
        if key not in self.callable_names:  # what the checks below would all say, asked once
            return None
        if scope.var(name) is not None or scope.rec_field(name):
            return None
        implicit = _IMPLICIT_OBJECT_METHODS.get(scope.obj.kind)
        if (scope.procedures(name) or key in b.GLOBAL_FUNCTIONS or (implicit is not None and key in implicit[1])
                or (scope.with_rec is not None and key in b.RECORD_METHODS)
                or (scope.with_table is not None and self.model.table_procedures(scope.with_table, name))):
            return self._unqualified(scope, node, name, ())
        return None

    def _member_without_parens(self, scope: Scope, node: n.MemberAccess) -> CallSite | None:
        recv = scope.receiver(node.receiver)
        k, m = recv.kind, norm(node.member)
        if k == "record":
            if recv.obj is not None:
                if self.model.table_field(recv.obj, node.member) is not None:
                    return None
                if not self.model.table_procedures(recv.obj, node.member) and m not in b.RECORD_METHODS:
                    return None
            elif m not in b.RECORD_METHODS:
                return None
        elif k == "recordref":
            if m not in b.RECORD_METHODS:
                return None
        elif k in ("codeunit", "page", "report", "xmlport", "interface", "this"):
            if recv.obj is None or (k != "interface" and not self.model.object_procedures(recv.obj, node.member)
                                    and m != "run"):
                return None
        elif k == "currpage":
            if m not in b.PAGE_METHODS:
                return None
        elif not k.startswith("static:"):
            return None
        return self._qualified(scope, node, node.receiver, node.member, (), recv)

    # ------------------------------------------------------------------ unqualified calls

    def _unqualified(self, scope: Scope, node: n.Expr, name: str, args: tuple[n.Expr, ...]) -> CallSite:
        procs = scope.procedures(name)
        if procs:
            arg_temps = self._arg_temps(scope, args)
            targets = tuple(Target("call", p.key, p, arg_temps, _RECEIVER_PASS) for p in _pick(procs, len(args)))
            return CallSite(scope.proc, node, name, args, None, None, targets, arg_temps)
        key = norm(name)
        rec = scope.with_rec
        if rec is not None and scope.with_table is not None:
            tprocs = self.model.table_procedures(scope.with_table, name)
            if tprocs:
                recv = scope.of_type(rec.type, rec)
                arg_temps = self._arg_temps(scope, args)
                targets = tuple(Target("record", p.key, p, arg_temps, recv.temp) for p in _pick(tprocs, len(args)))
                return CallSite(scope.proc, node, name, args, recv, None, targets, arg_temps)
        if key in b.GLOBAL_FUNCTIONS:
            return CallSite(scope.proc, node, name, args, None, f"global.{key}", ())
        if rec is not None and key in b.RECORD_METHODS:
            recv = scope.of_type(rec.type, rec)
            return self._record(scope, node, name, args, recv)
        implicit = _IMPLICIT_OBJECT_METHODS.get(scope.obj.kind)
        if implicit is not None and key in implicit[1]:
            return CallSite(scope.proc, node, name, args, None, f"{implicit[0]}.{key}", ())
        if scope.obj.kind == "codeunit" and key == "run":
            # ``Run()`` inside a codeunit runs the codeunit itself.
            return CallSite(scope.proc, node, name, args, None, "codeunit.run",
                            self._run_codeunit(scope, scope.obj, args[0] if args else None, self_run=True))
        target_name = scope.obj.node.extends
        if scope.obj.target is None and target_name and scope.obj.kind in EXTENSION_TARGET:
            return self._opaque_site(scope, node, name, args, None, "no-source",
                                     f"{scope.obj.kind}/{target_name}/{name}",
                                     f'{name} (of "{target_name}", not in the analyzed sources)')
        return self._opaque_site(scope, node, name, args, None, "unresolved",
                                 f"{scope.obj.key}/{name}", f"{name} (not found in {scope.obj.display})")

    # ------------------------------------------------------------------ qualified calls

    def _qualified(self, scope: Scope, node: n.Expr, recv_expr: n.Expr, member: str, args: tuple[n.Expr, ...],
                   recv: Receiver | None = None) -> CallSite:
        if recv is None:
            recv = scope.receiver(recv_expr)
        k, m = recv.kind, norm(member)
        if k == "record":
            return self._record(scope, node, member, args, recv)
        if k in ("codeunit", "page", "report", "xmlport", "query", "this", "testpage"):
            return self._object_call(scope, node, member, args, recv)
        if k == "interface":
            return self._interface(scope, node, member, args, recv)
        if k.startswith("static:"):
            return self._static(scope, node, member, args, recv)
        if k == "recordref":
            return self._recordref(scope, node, member, args, recv)
        if k == "fieldref" and m == "validate":
            return self._opaque_site(scope, node, member, args, recv, "fieldref-validate", "FieldRef.Validate",
                                     "FieldRef.Validate (the field's OnValidate is not known statically)",
                                     builtin="fieldref.validate")
        if k == "dotnet":
            what = recv.object_name or "DotNet"
            return self._opaque_site(scope, node, member, args, recv, "dotnet", f"{what}/{member}",
                                     f"DotNet {what}.{member}")
        if k == "unknown" and m in b.ENUM_STATICS:
            return CallSite(scope.proc, node, member, args, recv, f"static:enum.{m}", ())
        if k == "unknown":
            text = recv_expr.name if isinstance(recv_expr, n.Identifier) else "?"
            return self._opaque_site(scope, node, member, args, recv, "unknown-receiver",
                                     f"{scope.obj.key}/{text}.{member}", f"{text}.{member} (receiver not declared)")
        return CallSite(scope.proc, node, member, args, recv, f"{k}.{m}", ())

    def _record(self, scope: Scope, node: n.Expr, member: str, args: tuple[n.Expr, ...], recv: Receiver) -> CallSite:
        m = norm(member)
        table = recv.obj
        if table is not None:
            procs = self.model.table_procedures(table, member)
            if procs:
                arg_temps = self._arg_temps(scope, args)
                targets = tuple(Target("record", p.key, p, arg_temps, recv.temp) for p in _pick(procs, len(args)))
                return CallSite(scope.proc, node, member, args, recv, None, targets, arg_temps)
        if m in b.RECORD_METHODS:
            targets = self._operation_targets(scope, table, recv, m, args)
            return CallSite(scope.proc, node, member, args, recv, f"record.{m}", targets)
        name = recv.object_name or "?"
        if table is None:
            return self._opaque_site(scope, node, member, args, recv, "no-source", f"table/{name}/{member}",
                                     f'Record "{name}".{member} (table not in the analyzed sources)')
        return self._opaque_site(scope, node, member, args, recv, "unknown-member", f"{table.key}/{member}",
                                 f"{table.display}.{member} (no such procedure)")

    def _operation_targets(self, scope: Scope, table: ObjectInfo | None, recv: Receiver, m: str,
                           args: tuple[n.Expr, ...]) -> tuple[Target, ...]:
        """Triggers and trigger events run by a record operation (``Modify(true)``, ``Validate(F)``...)."""
        if m in b.TRIGGER_OPERATIONS:
            suffix, index = b.TRIGGER_OPERATIONS[m]
            run = b.constant_bool_arg(args, index)
            if table is None:
                if run is False:
                    return ()
                name = recv.object_name or "?"
                return (self._opaque(f"table/{name}/On{suffix}", "no-source",
                                     f'Record "{name}" On{suffix} (table not in the analyzed sources)'),)
            out: list[Target] = []
            if run is not False:
                out.extend(Target("table-trigger", t.key, t, (), recv.temp, conditional=run is None)
                           for t in self.model.table_triggers(table, suffix))
            for event in (f"OnBefore{suffix}Event", f"OnAfter{suffix}Event"):
                v = self._table_event(table, event, "")
                if v is not None:
                    out.append(Target("table-event", v.key, None, (recv.temp, recv.temp, None)))
            return tuple(out)
        if m == "validate" and args:
            fname = field_name(args[0])
            if fname is None:
                return ()
            if table is None:
                name = recv.object_name or "?"
                return (self._opaque(f"table/{name}/field/{fname}/OnValidate", "no-source",
                                     f'Record "{name}".{fname} OnValidate (table not in the analyzed sources)'),)
            out = [Target("validate", t.key, t, (), recv.temp) for t in self.model.validate_triggers(table, fname)]
            for event in ("OnBeforeValidateEvent", "OnAfterValidateEvent"):
                v = self._table_event(table, event, fname)
                if v is not None:
                    out.append(Target("table-event", v.key, None, (recv.temp, recv.temp, None)))
            return tuple(out)
        return ()

    def _table_event(self, table: ObjectInfo, event: str, element: str) -> VirtualNode | None:
        base = table.base()
        if not self.every_event and not self.model.has_subscribers(base, event, element):
            return None
        key = f"{base.key}/event/{event}" + (f"/{element}" if element else "")
        found = self.res.virtual.get(key)
        if found is None:
            params = ("Rec", "xRec", "CurrFieldNo" if element else "RunTrigger")
            label = f"{base.display}.{event}" + (f"({element})" if element else "")
            found = VirtualNode(key, "table-event", label, base, params,
                                tuple(self.model.subscribers(base, event, element)))
            self.res.virtual[key] = found
        return found

    def _object_call(self, scope: Scope, node: n.Expr, member: str, args: tuple[n.Expr, ...],
                     recv: Receiver) -> CallSite:
        k, m = recv.kind, norm(member)
        obj = recv.obj if k != "this" else scope.obj
        edge = {"this": "call", "testpage": "page"}.get(k, k)
        if obj is not None:
            procs = self.model.object_procedures(obj, member)
            if procs:
                arg_temps = self._arg_temps(scope, args)
                receiver = _RECEIVER_PASS if k == "this" else None
                targets = tuple(Target(edge, p.key, p, arg_temps, receiver) for p in _pick(procs, len(args)))
                return CallSite(scope.proc, node, member, args, recv, None, targets, arg_temps)
        if k == "codeunit" and m == "run":
            if obj is None:
                return self._opaque_site(scope, node, member, args, recv, "no-source",
                                         f"codeunit/{recv.object_name}/OnRun",
                                         f'Codeunit "{recv.object_name}".OnRun (not in the analyzed sources)',
                                         builtin="codeunit.run")
            return CallSite(scope.proc, node, member, args, recv, "codeunit.run",
                            self._run_codeunit(scope, obj, args[0] if args else None))
        if k in ("report", "xmlport") and obj is not None:
            runners = b.REPORT_RUNNERS if k == "report" else b.XMLPORT_RUNNERS
            targets = self._run_triggers(obj, k) if m in runners else ()
            return CallSite(scope.proc, node, member, args, recv, f"{k}.{m}", targets)
        known = {"page": b.PAGE_METHODS, "report": b.REPORT_METHODS, "xmlport": b.XMLPORT_METHODS,
                 "query": b.QUERY_METHODS, "testpage": None, "this": None, "codeunit": frozenset()}[k]
        if known is None or m in known:
            return CallSite(scope.proc, node, member, args, recv, f"{k}.{m}", ())
        if obj is None:
            return self._opaque_site(scope, node, member, args, recv, "no-source",
                                     f"{k}/{recv.object_name}/{member}",
                                     f'{k.capitalize()} "{recv.object_name}".{member} (not in the analyzed sources)')
        return self._opaque_site(scope, node, member, args, recv, "unknown-member", f"{obj.key}/{member}",
                                 f"{obj.display}.{member} (no such procedure)")

    def _run_codeunit(self, scope: Scope, cu: ObjectInfo, record: n.Expr | None,
                      self_run: bool = False) -> tuple[Target, ...]:
        onrun = cu.triggers.get("onrun")
        if onrun is None:
            return ()
        if record is not None:
            temp = scope.receiver(record).temp or UNKNOWN
        else:
            temp = _RECEIVER_PASS if self_run else PERSISTENT
        return (Target("codeunit-run", onrun.key, onrun, (), temp),)

    def _run_triggers(self, obj: ObjectInfo, kind: str) -> tuple[Target, ...]:
        edge = f"{kind}-run"
        objs = [obj.base(), *obj.base().extensions]
        return tuple(Target(edge, p.key, p) for o in objs for p in o.all_procs if p.is_trigger)

    def _interface(self, scope: Scope, node: n.Expr, member: str, args: tuple[n.Expr, ...],
                   recv: Receiver) -> CallSite:
        iface = recv.obj
        if iface is None:
            return self._opaque_site(scope, node, member, args, recv, "no-source",
                                     f"interface/{recv.object_name}/{member}",
                                     f'Interface "{recv.object_name}".{member} (not in the analyzed sources)')
        arg_temps = self._arg_temps(scope, args)
        targets = [Target("interface", p.key, p, arg_temps)
                   for impl in self.model.implementers(iface)
                   for p in _pick(impl.procedures.get(norm(member), []), len(args))]
        if not targets:
            return self._opaque_site(scope, node, member, args, recv, "interface-no-implementation",
                                     f"{iface.key}/{member}",
                                     f"{iface.display}.{member} (no implementing codeunit in sight)")
        return CallSite(scope.proc, node, member, args, recv, None, tuple(targets), arg_temps)

    def _static(self, scope: Scope, node: n.Expr, member: str, args: tuple[n.Expr, ...], recv: Receiver) -> CallSite:
        k, m = recv.kind, norm(member)
        builtin = f"{k}.{m}"
        if k == "static:codeunit" and m == "run" and args:
            cu, written = scope.object_ref(args[0], "codeunit")
            if cu is not None:
                return CallSite(scope.proc, node, member, args, recv, builtin,
                                self._run_codeunit(scope, cu, args[1] if len(args) > 1 else None))
            if written is not None:
                return self._opaque_site(scope, node, member, args, recv, "no-source", f"codeunit/{written}/OnRun",
                                         f'Codeunit "{written}".OnRun (not in the analyzed sources)', builtin)
            return self._opaque_site(scope, node, member, args, recv, "dynamic-codeunit",
                                     f"{scope.obj.key}/Codeunit.Run",
                                     "Codeunit.Run with a codeunit id known only at run time", builtin)
        for kind, runners in (("report", b.REPORT_RUNNERS), ("xmlport", b.XMLPORT_RUNNERS)):
            if k == f"static:{kind}" and m in runners and args:
                obj, written = scope.object_ref(args[0], kind)
                if obj is not None:
                    return CallSite(scope.proc, node, member, args, recv, builtin, self._run_triggers(obj, kind))
                if written is not None:
                    return self._opaque_site(scope, node, member, args, recv, "no-source", f"{kind}/{written}",
                                             f'{kind.capitalize()} "{written}" (not in the analyzed sources)',
                                             builtin)
                return self._opaque_site(scope, node, member, args, recv, f"dynamic-{kind}",
                                         f"{scope.obj.key}/{kind.capitalize()}.{member}",
                                         f"{kind.capitalize()}.{member} with an id known only at run time", builtin)
        return CallSite(scope.proc, node, member, args, recv, builtin, ())

    def _recordref(self, scope: Scope, node: n.Expr, member: str, args: tuple[n.Expr, ...],
                   recv: Receiver) -> CallSite:
        m = norm(member)
        builtin = f"recordref.{m}"
        if m in b.TRIGGER_OPERATIONS:
            suffix, index = b.TRIGGER_OPERATIONS[m]
            if b.constant_bool_arg(args, index) is not False:
                return self._opaque_site(scope, node, member, args, recv, "recordref-trigger",
                                         f"RecordRef/On{suffix}",
                                         f"RecordRef.{member}: On{suffix} of a table known only at run time",
                                         builtin)
        return CallSite(scope.proc, node, member, args, recv, builtin, ())

    # ------------------------------------------------------------------ helpers

    def _arg_temps(self, scope: Scope, args: tuple[n.Expr, ...]) -> tuple[Temp | None, ...]:
        out: list[Temp | None] = []
        for a in args:
            if isinstance(a, _PASSED_RECORDS):
                r = scope.receiver(a)
                out.append((r.temp or UNKNOWN) if r.kind in ("record", "recordref") else None)
            else:
                out.append(None)
        return tuple(out)

    def _opaque(self, detail: str, reason: str, label: str) -> Target:
        key = f"opaque/{reason}/{detail}"
        if key not in self.res.opaque:
            self.res.opaque[key] = Opaque(key, reason, label)
        return Target("opaque", key, reason=reason)

    def _opaque_site(self, scope: Scope, node: n.Expr, name: str, args: tuple[n.Expr, ...], recv: Receiver | None,
                     reason: str, detail: str, label: str, builtin: str | None = None) -> CallSite:
        return CallSite(scope.proc, node, name, args, recv, builtin, (self._opaque(detail, reason, label),))


_RECEIVER_PASS = Temp("receiver")

# Methods an object may call on itself without a receiver (``Update()`` in a page, ``SetRange`` in a
# query trigger): object kind -> (receiver name, methods).
_IMPLICIT_OBJECT_METHODS: dict[str, tuple[str, frozenset[str]]] = {
    "page": ("currpage", b.PAGE_METHODS),
    "pageextension": ("currpage", b.PAGE_METHODS),
    "report": ("currreport", b.REPORT_METHODS),
    "reportextension": ("currreport", b.REPORT_METHODS),
    "query": ("currquery", b.QUERY_METHODS),
    "xmlport": ("currxmlport", b.XMLPORT_METHODS),
}


def _merge(temps: list[Temp]) -> Temp:
    kinds = {t.kind for t in temps}
    if kinds == {"temporary"}:
        return temps[0]
    if "persistent" in kinds:
        return PERSISTENT
    if len(set(temps)) == 1:
        return temps[0]
    return UNKNOWN

