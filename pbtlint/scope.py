"""Name lookup and light type inference inside one procedure, and constant folding of the few
expressions the analysis needs as values (object references, texts such as Label keys, integers).
"""

from __future__ import annotations

from dataclasses import dataclass

from pbtlint import nodes as n
from pbtlint.al_builtins import STATIC_RECEIVERS
from pbtlint.model import (
    SCOPE_OBJECT_KIND,
    TYPE_OBJECT_KIND,
    Model,
    ObjectInfo,
    ProcInfo,
    Temp,
    VarInfo,
    record_temp,
)
from pbtlint.nodes import norm
from pbtlint.pickling import fast_init
from pbtlint.walk import scoped_object_name


@dataclass(frozen=True, slots=True)
class Receiver:
    """What the receiver of a member call is.

    ``kind`` is the normalized type name (``record``, ``recordref``, ``codeunit``, ``dictionary``,
    ``currpage``, ``part``...), ``static:<name>`` for ``Codeunit.Run``/``Session.X``-style receivers,
    ``this`` for ``this``, ``value`` for the result of a built-in call, ``unknown`` when the name is
    not declared anywhere in sight. ``obj`` is the object of object-typed receivers (the table of a
    record), ``object_name`` its name as written, ``temp`` a record's temporariness.
    """

    kind: str
    var: VarInfo | None = None
    obj: ObjectInfo | None = None
    object_name: str | None = None
    temp: Temp | None = None


UNKNOWN_RECEIVER = Receiver("unknown")
VALUE_RECEIVER = Receiver("value")


class Scope:
    """Names visible in one procedure: its locals and parameters, the object's globals, the implicit
    variables (``Rec``, ``CurrPage``...), the fields of the implicit ``Rec``, and procedures."""

    def __init__(self, model: Model, proc: ProcInfo) -> None:
        self.model = model
        self.proc = proc
        self.obj = proc.owner
        self._cache: dict[int, Receiver] = {}
        # The record that unqualified field names and record methods refer to ("implicit with"):
        # Rec in tables and pages, the dataitem's record in its triggers.
        self.with_rec: VarInfo | None = None
        self.with_table: ObjectInfo | None = None
        el = proc.element
        obj = self.obj
        if el is not None and norm(el.kind) in ("dataitem", "tableelement"):
            self.with_rec = obj.globals.get(norm(el.name))
        elif obj.kind in ("table", "tableextension", "page", "pageextension"):
            self.with_rec = obj.implicit.get("rec")
        if self.with_rec is not None and self.with_rec.type.object_name:
            self.with_table = self.object("table", self.with_rec.type.object_name)

    # ------------------------------------------------------------------ names

    def var(self, name: str) -> VarInfo | None:
        key = norm(name)
        found = self.proc.scope.get(key)
        if found is not None:
            return found
        obj = self.obj
        found = obj.globals.get(key) or obj.implicit.get(key)
        if found is not None:
            return found
        if obj.target is not None:
            return obj.target.globals.get(key)
        return None

    def rec_field(self, name: str) -> n.TypeRef | None | bool:
        """The type of a field of the implicit record (True when the field exists without a type)."""
        f = None
        if self.with_table is not None:
            f = self.model.table_field(self.with_table, name)
        if f is None and self.obj.kind == "tableextension":
            f = self.obj.fields.get(norm(name))
        if f is None:
            return None
        return f.type if f.type is not None else True

    def procedures(self, name: str) -> list[ProcInfo]:
        return self.model.object_procedures(self.obj, name)

    def object(self, kind: str, name: str) -> ObjectInfo | None:
        if name.isdigit():
            return self.model.object_by_id(kind, int(name))
        return self.model.object_by_name(kind, name, self.obj)

    # ------------------------------------------------------------------ receivers

    def of_type(self, t: n.TypeRef, var: VarInfo | None = None) -> Receiver:
        kind = norm(t.name)
        obj: ObjectInfo | None = None
        if kind in ("currpage", "currreport", "currxmlport", "currquery"):
            return Receiver(kind, var, self.obj.base(), t.object_name)
        object_kind = TYPE_OBJECT_KIND.get(kind)
        if object_kind is not None and t.object_name:
            obj = self.object(object_kind, t.object_name)
        temp = var.temp if var is not None else record_temp(self.model, t, self.obj, "local", False, -1)
        return Receiver(kind, var, obj, t.object_name, temp)

    def receiver(self, expr: n.Expr) -> Receiver:
        """What ``expr`` is, as the receiver of a member access or call.

        A chain such as ``A.B().C.D()`` is resolved from its innermost receiver outwards, each link
        cached before the next, so a chain of any length needs no recursion."""
        found = self._cache.get(id(expr))
        if found is not None:
            return found
        chain: list[n.Expr] = []
        cur: n.Expr | None = expr
        while cur is not None and id(cur) not in self._cache:
            chain.append(cur)
            cur = _inner_receiver(cur)
        for link in reversed(chain):
            self._cache[id(link)] = self._receiver(link)
        return self._cache[id(expr)]

    def _receiver(self, expr: n.Expr) -> Receiver:
        if isinstance(expr, n.Identifier):
            return self._identifier(expr.name)
        if isinstance(expr, n.This):
            return Receiver("this", obj=self.obj)
        if isinstance(expr, n.Index):
            inner = self.receiver(expr.target)
            return inner if inner.kind not in ("text", "code") else VALUE_RECEIVER
        if isinstance(expr, n.MemberAccess):
            return self._member(self.receiver(expr.receiver), expr.member)
        if isinstance(expr, n.Call):
            return self._call_result(expr)
        return VALUE_RECEIVER

    def _identifier(self, name: str) -> Receiver:
        v = self.var(name)
        if v is not None:
            return self.of_type(v.type, v)
        key = norm(name)
        if key in STATIC_RECEIVERS:
            return Receiver(f"static:{key}")
        field_type = self.rec_field(name)
        if isinstance(field_type, n.TypeRef):
            return self.of_type(field_type)
        if field_type:
            return VALUE_RECEIVER
        procs = self.procedures(name)
        if procs:
            return self._returns(procs[0])
        enum = self.model.object_by_name("enum", name, self.obj)
        if enum is not None:
            return Receiver("static:enum", obj=enum, object_name=name)
        return UNKNOWN_RECEIVER

    def _member(self, recv: Receiver, member: str) -> Receiver:
        if recv.kind == "record" and recv.obj is not None:
            f = self.model.table_field(recv.obj, member)
            if f is not None:
                return self.of_type(f.type) if f.type is not None else VALUE_RECEIVER
            procs = self.model.table_procedures(recv.obj, member)
            if procs:
                return self._returns(procs[0])
            return VALUE_RECEIVER
        if recv.kind == "currpage" and recv.obj is not None:
            part = recv.obj.parts.get(norm(member))
            if part is None:
                for ext in recv.obj.extensions:
                    part = ext.parts.get(norm(member))
                    if part is not None:
                        break
            if part is not None:
                return Receiver("part", obj=self.object("page", part), object_name=part)
            return Receiver("control")
        if recv.kind == "part" and norm(member) == "page":
            return Receiver("page", obj=recv.obj, object_name=recv.object_name)
        if recv.kind in ("codeunit", "page", "report", "this") and recv.obj is not None:
            procs = self.model.object_procedures(recv.obj, member)
            if procs:
                return self._returns(procs[0])
        return VALUE_RECEIVER

    def _call_result(self, call: n.Call) -> Receiver:
        callee = call.callee
        if isinstance(callee, n.Identifier):
            if self.var(callee.name) is None:
                procs = self.procedures(callee.name)
                if procs:
                    return self._returns(procs[0])
            return VALUE_RECEIVER
        if isinstance(callee, n.MemberAccess):
            return self._member(self.receiver(callee.receiver), callee.member)
        return VALUE_RECEIVER

    def _returns(self, proc: ProcInfo) -> Receiver:
        t = proc.node.return_type
        if t is None:
            return VALUE_RECEIVER
        return Scope(self.model, proc).of_type(t)

    # ------------------------------------------------------------------ constants

    def object_ref(self, expr: n.Expr, kind: str) -> tuple[ObjectInfo | None, str | None]:
        """The object an expression names: ``Codeunit::"X"``, ``Codeunit::X``, a namespace-qualified
        name, or an integer literal. Returns the object (when in the sources) and the name or id as
        written; ``(None, None)`` when the expression is not a constant reference."""
        ref = scoped_object_name(expr)
        if ref is not None:
            scope_kind = SCOPE_OBJECT_KIND.get(ref[0], kind)
            return self.object(scope_kind, ref[1]), ref[1]
        value = self.constant_int(expr)
        if value is not None:
            return self.model.object_by_id(kind, value), str(value)
        return None, None

    def constant_int(self, expr: n.Expr) -> int | None:
        if isinstance(expr, n.LiteralValue) and expr.kind == "integer":
            return int(expr.value)
        if isinstance(expr, n.Unary) and expr.op == "-":
            inner = self.constant_int(expr.operand)
            return -inner if inner is not None else None
        return None

    def constant_text(self, expr: n.Expr, depth: int = 0) -> str | None:
        """The text of a literal, a ``Label``/``TextConst`` variable, or a call to a procedure whose
        body is ``exit(<constant text>)``; None otherwise."""
        if isinstance(expr, n.LiteralValue) and expr.kind == "text":
            return expr.value
        if isinstance(expr, n.Identifier):
            v = self.var(expr.name)
            if v is not None:
                return v.label
            if depth < 4:
                return self._returned_text(self.procedures(expr.name), 0, depth)
            return None
        if isinstance(expr, n.Call) and norm(expr.name) == "fieldname" and len(expr.args) == 1:
            # ``FieldName("No.")`` / ``Rec.FieldName("No.")``: the field's name.
            arg = expr.args[0]
            if isinstance(arg, n.Identifier):
                return arg.name
            if isinstance(arg, n.MemberAccess):
                return arg.member
        if isinstance(expr, n.Call) and depth < 4:
            callee = expr.callee
            if isinstance(callee, n.Identifier) and self.var(callee.name) is None:
                return self._returned_text(self.procedures(callee.name), len(expr.args), depth)
            if isinstance(callee, n.MemberAccess):
                recv = self.receiver(callee.receiver)
                if recv.kind in ("codeunit", "this", "record") and recv.obj is not None:
                    procs = (self.model.table_procedures(recv.obj, callee.member) if recv.kind == "record"
                             else self.model.object_procedures(recv.obj, callee.member))
                    return self._returned_text(procs, len(expr.args), depth)
        return None

    def _returned_text(self, procs: list[ProcInfo], nargs: int, depth: int) -> str | None:
        procs = [p for p in procs if len(p.params) == nargs]
        if len(procs) != 1:
            return None
        body = procs[0].node.body
        if body is None:
            return None
        stmts = [s for s in body.statements if not isinstance(s, n.EmptyStmt)]
        if len(stmts) != 1 or not isinstance(stmts[0], n.Exit) or stmts[0].value is None:
            return None
        return Scope(self.model, procs[0]).constant_text(stmts[0].value, depth + 1)


def _inner_receiver(expr: n.Expr) -> n.Expr | None:
    """The expression whose receiver must be known before ``expr``'s can be (None: none)."""
    if isinstance(expr, n.Index):
        return expr.target
    if isinstance(expr, n.MemberAccess):
        return expr.receiver
    if isinstance(expr, n.Call) and isinstance(expr.callee, n.MemberAccess):
        return expr.callee.receiver
    return None


fast_init(globals())
