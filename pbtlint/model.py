"""The project model: every object, procedure, variable and table field of the analyzed sources.

Built once from parsed compilation units (:func:`build_model`), read-only afterwards. Names are
compared case-insensitively (:func:`pbtlint.nodes.norm`), quoted or not, across namespaces.
Extensions are linked with what they extend: a table's fields, procedures and triggers include
those of its table extensions.

Temporariness (:class:`Temp`) is what a record variable is known to be where it is declared:
``temporary``, a table with ``TableType = Temporary``, a page's ``SourceTableTemporary``; or
"whatever the caller passed" (a ``var`` parameter, ``param``) or "whatever record the code runs
on" (``Rec`` of a table or of a codeunit with ``TableNo``, ``receiver``). The call graph resolves
the last two along a call path (:func:`pbtlint.callgraph.effective_temp`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from pbtlint import nodes as n
from pbtlint.nodes import norm
from pbtlint.pickling import fast_init
from pbtlint.span import Span
from pbtlint.walk import dotted_name

TempKind = Literal["temporary", "persistent", "param", "receiver", "unknown"]


@dataclass(frozen=True, slots=True)
class Temp:
    """Whether a record (or RecordRef) is temporary: known, or bound by the caller.

    ``param`` means "as temporary as the argument the caller passes for parameter ``index``";
    ``receiver`` means "as temporary as the record the procedure runs on".
    """

    kind: TempKind
    index: int = -1

    def __str__(self) -> str:
        return f"param#{self.index}" if self.kind == "param" else self.kind


TEMPORARY = Temp("temporary")
PERSISTENT = Temp("persistent")
RECEIVER = Temp("receiver")
UNKNOWN = Temp("unknown")

# AL type keyword -> the object kind it names.
TYPE_OBJECT_KIND: dict[str, str] = {
    "record": "table", "codeunit": "codeunit", "page": "page", "report": "report", "xmlport": "xmlport",
    "query": "query", "enum": "enum", "interface": "interface", "testpage": "page",
    "testrequestpage": "report",
}
# ``X::Name`` scope keyword -> object kind.
SCOPE_OBJECT_KIND: dict[str, str] = {
    "database": "table", "codeunit": "codeunit", "page": "page", "report": "report", "xmlport": "xmlport",
    "query": "query", "enum": "enum", "table": "table", "interface": "interface",
}
EXTENSION_TARGET: dict[str, str] = {
    "tableextension": "table", "pageextension": "page", "reportextension": "report",
    "enumextension": "enum", "permissionsetextension": "permissionset", "pagecustomization": "page",
    "profileextension": "profile",
}
PUBLISHER_ATTRIBUTES = {"integrationevent": "integration", "businessevent": "business", "internalevent": "internal"}


class ParsedLike(Protocol):
    """What :func:`build_model` needs of a parsed file (``pbtlint.frontend.ParsedFile`` fits)."""

    @property
    def path(self) -> str: ...

    @property
    def unit(self) -> n.CompilationUnit | None: ...


@dataclass(slots=True, eq=False)
class VarInfo:
    """A variable in scope: local, parameter, named return value, object global or implicit
    (``Rec``, ``xRec``, ``CurrPage``, ``CurrReport``...; a report dataitem is a global)."""

    name: str
    type: n.TypeRef
    scope: Literal["local", "parameter", "return", "global", "implicit"]
    span: Span
    by_ref: bool = False
    index: int = -1
    temp: Temp | None = None

    @property
    def type_name(self) -> str:
        return norm(self.type.name)

    @property
    def label(self) -> str | None:
        """The text of a ``Label`` / ``TextConst`` variable."""
        return self.type.label if self.type_name in ("label", "textconst") else None

    @property
    def is_array(self) -> bool:
        return bool(self.type.dimensions)


@dataclass(frozen=True, slots=True)
class Subscription:
    """What an ``[EventSubscriber(ObjectType::X, X::"Name", 'Event', 'Element', ...)]`` listens to."""

    object_type: str
    object_name: str | None
    object_id: int | None
    event: str
    element: str
    span: Span


@dataclass(slots=True, eq=False)
class ProcInfo:
    """A procedure or trigger. ``element`` is the field, control, action or dataitem a trigger sits on.

    Its parameters and local variables (:attr:`params`, :attr:`scope`) are declared when first asked
    for, in ``model``: most procedures of a project are never called nor walked (on the Base
    Application's cold run, 115,000 parameters and 51,000 locals were declared for 34,000 procedures,
    three times each). A model's objects are all registered before any is declared, so what a variable's
    type names is found as when declared at once."""

    key: str
    owner: ObjectInfo
    node: n.Procedure
    element: n.Element | None
    model: Model | None = None
    publisher: str | None = None
    subscription: Subscription | None = None
    try_function: bool = False
    declared: tuple[tuple[VarInfo, ...], dict[str, VarInfo]] | None = None

    @property
    def params(self) -> tuple[VarInfo, ...]:
        return (self.declared or self._declare())[0]

    @property
    def scope(self) -> dict[str, VarInfo]:
        """Parameters, local variables and a named return value, by name."""
        return (self.declared or self._declare())[1]

    def _declare(self) -> tuple[tuple[VarInfo, ...], dict[str, VarInfo]]:
        from pbtlint.model_build import declare_variables

        declared = self.declared = declare_variables(self.model, self)  # type: ignore[arg-type]
        return declared

    @property
    def name(self) -> str:
        return self.node.name

    @property
    def is_trigger(self) -> bool:
        return self.node.kind == "trigger"

    @property
    def path(self) -> str:
        return self.owner.path

    @property
    def span(self) -> Span:
        return self.node.span

    @property
    def display(self) -> str:
        where = f"{self.element.kind}({self.element.name})." if self.element is not None else ""
        overload = self.key[self.key.rfind("#"):] if "#" in self.key.rsplit("/", 1)[-1] else ""
        return f"{self.owner.display}.{where}{self.name}{overload}"


@dataclass(slots=True, eq=False)
class FieldInfo:
    """A table field (declared in a table or a table extension) and its own triggers."""

    name: str
    id: int | None
    type: n.TypeRef | None
    element: n.Element
    owner: ObjectInfo
    triggers: dict[str, ProcInfo] = field(default_factory=dict)


@dataclass(slots=True, eq=False)
class ObjectInfo:
    """One AL object with its declarations indexed by normalized name."""

    key: str
    node: n.AlObject
    path: str
    namespace: str | None
    usings: tuple[str, ...]
    properties: dict[str, n.Property] = field(default_factory=dict)
    globals: dict[str, VarInfo] = field(default_factory=dict)
    implicit: dict[str, VarInfo] = field(default_factory=dict)
    procedures: dict[str, list[ProcInfo]] = field(default_factory=dict)
    triggers: dict[str, ProcInfo] = field(default_factory=dict)
    all_procs: list[ProcInfo] = field(default_factory=list)
    fields: dict[str, FieldInfo] = field(default_factory=dict)
    field_modify_triggers: dict[str, list[ProcInfo]] = field(default_factory=dict)
    parts: dict[str, str] = field(default_factory=dict)
    target: ObjectInfo | None = None
    extensions: list[ObjectInfo] = field(default_factory=list)
    table: ObjectInfo | None = None
    table_name: str | None = None

    @property
    def kind(self) -> str:
        return self.node.kind

    @property
    def id(self) -> int | None:
        return self.node.id

    @property
    def name(self) -> str:
        return self.node.name

    @property
    def display(self) -> str:
        quoted = f'"{self.name}"' if not self.name.isidentifier() else self.name
        return f"{self.kind} {self.id} {quoted}" if self.id is not None else f"{self.kind} {quoted}"

    def prop(self, name: str) -> str | None:
        p = self.properties.get(norm(name))
        return property_text(p) if p is not None else None

    def base(self) -> ObjectInfo:
        """The object itself, or for an extension the object it extends (when in the sources)."""
        return self.target if self.target is not None else self


def property_text(p: n.Property) -> str:
    """A property's value as a plain name or literal (quotes removed)."""
    v = p.value
    if isinstance(v, n.Identifier):
        return v.name
    if isinstance(v, n.LiteralValue):
        return v.value
    if isinstance(v, n.MemberAccess):
        dotted = dotted_name(v)
        if dotted is not None:
            return dotted
    text = p.text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1].replace('""', '"')
    return text


def object_key_prefix(kind: str, obj: n.AlObject) -> str:
    """The start of every call-graph key of an object: ``codeunit/50100`` (``interface/Name`` without id)."""
    return f"{kind}/{obj.id}" if obj.id is not None else f"{kind}/{obj.name}"


class Model:
    """Every object of the project, indexed; lookups are case-insensitive."""

    def __init__(self) -> None:
        self.objects: list[ObjectInfo] = []
        self.procs: dict[str, ProcInfo] = {}
        self._by_id: dict[tuple[str, int], list[ObjectInfo]] = {}
        self._by_name: dict[tuple[str, str], list[ObjectInfo]] = {}
        self._implementers: dict[str, list[ObjectInfo]] = {}
        self._subscribers: dict[tuple[str, str, str], list[ProcInfo]] = {}
        self.subscriptions: list[ProcInfo] = []
        self._taken: dict[str, int] = {}  # objects per key prefix (a second one's key ends in ~2)

    # ------------------------------------------------------------------ objects

    def object_by_id(self, kind: str, object_id: int) -> ObjectInfo | None:
        found = self._by_id.get((kind, object_id))
        return found[0] if found else None

    def object_by_name(self, kind: str, name: str, context: ObjectInfo | None = None) -> ObjectInfo | None:
        """The object of ``kind`` called ``name`` (quotes removed, possibly namespace-qualified)."""
        qualifier: str | None = None
        if '"' in name:
            # ``System.Telemetry."Feature Telemetry"`` as written: quoted segments are whole names.
            parts = split_qualified(name)
            name = parts[-1]
            qualifier = norm(".".join(parts[:-1])) if len(parts) > 1 else None
        found = self._by_name.get((kind, norm(name)))
        if not found and "." in name and qualifier is None:
            # ``Microsoft.Sales.Posting.Sales-Post``: try each split into namespace + name.
            i = name.find(".")
            while i >= 0 and not found:
                found = self._by_name.get((kind, norm(name[i + 1:])))
                qualifier = norm(name[:i])
                i = name.find(".", i + 1)
        if not found:
            return None
        if len(found) == 1:
            return found[0]
        return _prefer(found, qualifier, context)

    def object_ref(self, kind: str, name: str | None, object_id: int | None,
                   context: ObjectInfo | None = None) -> ObjectInfo | None:
        if object_id is not None:
            return self.object_by_id(kind, object_id)
        return self.object_by_name(kind, name, context) if name else None

    def objects_of(self, kind: str) -> list[ObjectInfo]:
        return [o for o in self.objects if o.kind == kind]

    # ------------------------------------------------------------------ tables

    def table_procedures(self, table: ObjectInfo, name: str) -> list[ProcInfo]:
        """Procedures called ``name`` of a table and its table extensions."""
        base = table.base()
        key = norm(name)
        out = list(base.procedures.get(key, ()))
        for ext in base.extensions:
            out.extend(ext.procedures.get(key, ()))
        if base is not table and not out:
            out = list(table.procedures.get(key, ()))
        return out

    def table_field(self, table: ObjectInfo, name: str) -> FieldInfo | None:
        base = table.base()
        key = norm(name)
        found = base.fields.get(key)
        if found is not None:
            return found
        for ext in [table, *base.extensions]:
            found = ext.fields.get(key)
            if found is not None:
                return found
        return None

    def table_triggers(self, table: ObjectInfo, operation: str) -> list[ProcInfo]:
        """What ``Insert(true)`` / ``Modify(true)`` / ``Delete(true)`` / ``Rename`` run: the table's
        ``OnInsert`` (etc.) and its extensions' ``OnBeforeInsert`` / ``OnAfterInsert``."""
        op = operation.capitalize()
        base = table.base()
        out: list[ProcInfo] = []
        for ext in base.extensions:
            t = ext.triggers.get(norm(f"OnBefore{op}"))
            if t is not None:
                out.append(t)
        t = base.triggers.get(norm(f"On{op}"))
        if t is not None:
            out.append(t)
        for ext in base.extensions:
            t = ext.triggers.get(norm(f"OnAfter{op}"))
            if t is not None:
                out.append(t)
        return out

    def validate_triggers(self, table: ObjectInfo, field_name: str) -> list[ProcInfo]:
        """What ``Validate(Field)`` runs: extension ``OnBeforeValidate``, the field's ``OnValidate``,
        extension ``OnAfterValidate``."""
        base = table.base()
        key = norm(field_name)
        mods = [p for ext in base.extensions for p in ext.field_modify_triggers.get(key, ())]
        out = [p for p in mods if norm(p.name) == "onbeforevalidate"]
        f = self.table_field(table, field_name)
        if f is not None and "onvalidate" in f.triggers:
            out.append(f.triggers["onvalidate"])
        out.extend(p for p in mods if norm(p.name) == "onaftervalidate")
        return out

    def is_temporary_table(self, table: ObjectInfo | None) -> bool:
        return table is not None and norm(table.base().prop("TableType") or "") == "temporary"

    # ------------------------------------------------------------------ procedures, events, interfaces

    def object_procedures(self, obj: ObjectInfo, name: str) -> list[ProcInfo]:
        """Procedures called ``name`` visible in ``obj``: its own, then (for an extension) its target's,
        then (for a table) its extensions'."""
        key = norm(name)
        own = obj.procedures.get(key)
        if own:
            return list(own)
        if obj.kind in ("table", "tableextension"):
            return self.table_procedures(obj, name)
        if obj.target is not None:
            found = obj.target.procedures.get(key)
            if found:
                return list(found)
            for ext in obj.target.extensions:
                if ext is not obj and key in ext.procedures:
                    return list(ext.procedures[key])
        return []

    def implementers(self, interface: ObjectInfo) -> list[ObjectInfo]:
        """Codeunits that implement ``interface`` (directly, or an interface that extends it)."""
        return list(self._implementers.get(interface.key, ()))

    def subscribers(self, obj: ObjectInfo, event: str, element: str = "") -> list[ProcInfo]:
        """``[EventSubscriber]`` procedures for ``event`` of ``obj`` (and of what it extends)."""
        out = list(self._subscribers.get((obj.key, norm(event), norm(element)), ()))
        if obj.target is not None:
            out.extend(self._subscribers.get((obj.target.key, norm(event), norm(element)), ()))
        return out

    def subscriber_lists(self) -> Iterable[tuple[tuple[str, str, str], list[ProcInfo]]]:
        """Every (object key, event, element) with its subscribers (names case-folded)."""
        return self._subscribers.items()

    def has_subscribers(self, obj: ObjectInfo, event: str, element: str = "") -> bool:
        return bool(self.subscribers(obj, event, element))


_SEGMENT = re.compile(r'"((?:[^"]|"")*)"|([^."]+)')


def split_qualified(name: str) -> list[str]:
    """``A.B."C. D"`` -> ``["A", "B", "C. D"]`` (quotes removed, ``""`` unescaped)."""
    out: list[str] = []
    for m in _SEGMENT.finditer(name):
        out.append(m.group(1).replace('""', '"') if m.group(1) is not None else m.group(2).strip())
    return [p for p in out if p] or [name]


def _prefer(found: list[ObjectInfo], qualifier: str | None, context: ObjectInfo | None) -> ObjectInfo:
    if qualifier is not None:
        for o in found:
            if norm(o.namespace or "") == qualifier:
                return o
    if context is not None:
        spaces = {norm(context.namespace or "")} | {norm(u) for u in context.usings}
        for o in found:
            if norm(o.namespace or "") in spaces:
                return o
    return found[0]


def table_ref(model: Model, name: str, context: ObjectInfo) -> ObjectInfo | None:
    if name.isdigit():
        return model.object_by_id("table", int(name))
    return model.object_by_name("table", name, context)


def record_temp(model: Model, t: n.TypeRef, context: ObjectInfo, scope: str, by_ref: bool, index: int) -> Temp | None:
    """The declared temporariness of a variable of type ``t`` (None for non-record types)."""
    kind = norm(t.name)
    if kind not in ("record", "recordref"):
        return None
    if t.temporary:
        return TEMPORARY
    if kind == "record" and t.object_name and model.is_temporary_table(table_ref(model, t.object_name, context)):
        return TEMPORARY
    if scope == "parameter" and (by_ref or kind == "recordref"):
        return Temp("param", index)
    if kind == "recordref":
        return UNKNOWN
    return PERSISTENT


def find_objects(model: Model, kinds: Sequence[str]) -> list[ObjectInfo]:
    """Objects of the given kinds, in build order."""
    wanted = set(kinds)
    return [o for o in model.objects if o.kind in wanted]


def build_model(units: Iterable[ParsedLike]) -> Model:
    """Index every object of the parsed files (files without a unit are skipped); see
    :mod:`pbtlint.model_build`."""
    from pbtlint.model_build import build

    return build(units)


fast_init(globals())
