"""Building the project model (:class:`pbtlint.model.Model`) from parsed compilation units."""

from __future__ import annotations

from collections.abc import Iterable

from pbtlint import nodes as n
from pbtlint.model import (
    EXTENSION_TARGET,
    PERSISTENT,
    PUBLISHER_ATTRIBUTES,
    RECEIVER,
    TEMPORARY,
    UNKNOWN,
    FieldInfo,
    Model,
    ObjectInfo,
    ParsedLike,
    ProcInfo,
    Subscription,
    VarInfo,
    object_key_prefix,
    property_text,
    record_temp,
    table_ref,
)
from pbtlint.nodes import norm
from pbtlint.span import Span
from pbtlint.walk import dotted_name, scoped_object_name


def build(units: Iterable[ParsedLike]) -> Model:
    """Index every object of the parsed files (files without a unit are skipped)."""
    model = Model()
    extend(model, units)
    return model


def extend(model: Model, units: Iterable[ParsedLike]) -> list[ObjectInfo]:
    """Add the objects of more parsed files to ``model`` (their declarations, what they extend, their
    tables), as :func:`build` would have with them from the start; the objects added."""
    taken = model._taken
    added: list[ObjectInfo] = []
    for parsed in units:
        unit = parsed.unit
        if unit is None:
            continue
        for obj in unit.objects:
            prefix = object_key_prefix(obj.kind, obj)
            count = taken.get(prefix, 0) + 1
            taken[prefix] = count
            key = prefix if count == 1 else f"{prefix}~{count}"
            info = ObjectInfo(key, obj, parsed.path, unit.namespace, unit.usings)
            info.properties = {norm(p.name): p for p in obj.properties}
            model.objects.append(info)
            added.append(info)
            if obj.id is not None:
                model._by_id.setdefault((obj.kind, obj.id), []).append(info)
            model._by_name.setdefault((obj.kind, norm(obj.name)), []).append(info)
    new = set(map(id, added))
    for info in model.objects:  # the new extensions, and earlier ones whose target came now
        target_kind = EXTENSION_TARGET.get(info.kind)
        if target_kind and info.node.extends and info.target is None:
            info.target = model.object_by_name(target_kind, info.node.extends, info)
            if info.target is not None:
                info.target.extensions.append(info)
    for info in model.objects:
        if id(info) in new or (info.table is None and info.table_name is not None):
            _link_table(model, info)
    for info in added:
        _declare(model, info)
    model._implementers.clear()
    _index_interfaces(model)
    model._subscribers.clear()
    model.subscriptions.clear()
    _index_subscriptions(model)
    return added


def _link_table(model: Model, info: ObjectInfo) -> None:
    kind = info.kind
    name: str | None = None
    if kind == "table":
        info.table, info.table_name = info, info.name
        return
    if kind == "tableextension":
        info.table, info.table_name = info.target, info.node.extends
        return
    if kind == "page":
        name = info.prop("SourceTable")
    elif kind == "pageextension" and info.target is not None:
        name = info.target.prop("SourceTable")
    elif kind == "codeunit":
        name = info.prop("TableNo")
    elif kind == "report":
        # A request page with a SourceTable has a Rec in its triggers.
        for section in info.node.sections:
            for p in section.properties if norm(section.kind) == "requestpage" else ():
                if norm(p.name) == "sourcetable":
                    name = property_text(p)
    if name:
        info.table_name = name
        info.table = table_ref(model, name, info)


def _type_ref(span: Span, name: str, object_name: str | None = None, temporary: bool = False) -> n.TypeRef:
    return n.TypeRef(span, name, object_name, temporary)


def _implicit(model: Model, info: ObjectInfo) -> None:
    span = info.node.name_span
    kind = info.kind
    if kind == "pageextension" and info.target is None:
        # The extended page is not in the sources: Rec is a record of a table we cannot see.
        rec_type = _type_ref(span, "Record")
        info.implicit["rec"] = VarInfo("Rec", rec_type, "implicit", span, temp=UNKNOWN)
        info.implicit["xrec"] = VarInfo("xRec", rec_type, "implicit", span, temp=UNKNOWN)
    if info.table_name is not None:
        rec_type = _type_ref(span, "Record", info.table_name)
        if model.is_temporary_table(info.table):
            temp = TEMPORARY
        elif kind in ("page", "pageextension"):
            page = info.base()
            temp = TEMPORARY if norm(page.prop("SourceTableTemporary") or "") == "true" else PERSISTENT
        else:
            temp = RECEIVER
        info.implicit["rec"] = VarInfo("Rec", rec_type, "implicit", span, temp=temp)
        if kind != "codeunit":
            info.implicit["xrec"] = VarInfo("xRec", rec_type, "implicit", span, temp=temp)
    if kind in ("table", "tableextension"):
        info.implicit["currfieldno"] = VarInfo("CurrFieldNo", _type_ref(span, "Integer"), "implicit", span)
    if kind in ("page", "pageextension"):
        info.implicit["currpage"] = VarInfo("CurrPage", _type_ref(span, "CurrPage", info.base().name),
                                            "implicit", span)
    if kind in ("report", "reportextension"):
        info.implicit["currreport"] = VarInfo("CurrReport", _type_ref(span, "CurrReport", info.base().name),
                                              "implicit", span)
        info.implicit["requestoptionspage"] = VarInfo("RequestOptionsPage", _type_ref(span, "RequestPage"),
                                                      "implicit", span)
    if kind == "xmlport":
        info.implicit["currxmlport"] = VarInfo("CurrXMLport", _type_ref(span, "CurrXMLport", info.name),
                                               "implicit", span)
    if kind == "query":
        info.implicit["currquery"] = VarInfo("CurrQuery", _type_ref(span, "CurrQuery", info.name),
                                             "implicit", span)


def _var(model: Model, v: n.Variable | n.Parameter, scope: str, ctx: ObjectInfo, index: int = -1) -> VarInfo:
    by_ref = isinstance(v, n.Parameter) and v.by_ref
    temp = record_temp(model, v.type, ctx, scope, by_ref, index)
    return VarInfo(v.name, v.type, scope, v.span, by_ref, index, temp)  # type: ignore[arg-type]


def _declare(model: Model, info: ObjectInfo) -> None:
    _implicit(model, info)
    for v in info.node.variables:
        info.globals[norm(v.name)] = _var(model, v, "global", info)
    prefix = info.key
    for proc in info.node.triggers:
        p = _proc(model, info, proc, None, f"{prefix}/{proc.name}")
        info.triggers[norm(proc.name)] = p
    groups: dict[str, list[n.Procedure]] = {}
    for proc in info.node.procedures:
        groups.setdefault(norm(proc.name), []).append(proc)
    for group in groups.values():
        for i, proc in enumerate(group, 1):
            suffix = f"#{i}" if len(group) > 1 else ""
            p = _proc(model, info, proc, None, f"{prefix}/procedure/{proc.name}{suffix}")
            info.procedures.setdefault(norm(proc.name), []).append(p)
    _declare_elements(model, info)


def _declare_elements(model: Model, info: ObjectInfo) -> None:
    kind = info.kind
    stack: list[tuple[n.Element, str]] = [(e, e.kind) for e in reversed(info.node.sections)]
    seen: dict[str, int] = {}
    while stack:
        el, section = stack.pop()
        ek = norm(el.kind)
        if ek == "field" and section == "fields" and kind in ("table", "tableextension"):
            f = FieldInfo(el.name, el.id, el.type, el, info)
            info.fields.setdefault(norm(el.name), f)
        elif ek in ("dataitem", "tableelement") and el.name:
            table = _element_table(el)
            if table:
                t = _type_ref(el.span, "Record", table)
                info.globals.setdefault(norm(el.name), VarInfo(
                    el.name, t, "global", el.span, temp=record_temp(model, t, info, "global", False, -1)))
        elif ek in ("textelement", "textattribute") and el.name and kind == "xmlport":
            t = _type_ref(el.span, "Text")
            info.globals.setdefault(norm(el.name), VarInfo(el.name, t, "global", el.span))
        elif ek == "part" and len(el.args) >= 2:
            info.parts[norm(el.name)] = _unquote(el.args[1])
        for trig in el.triggers:
            base = f"{info.key}/{el.kind}/{el.name or '_'}/{trig.name}"
            count = seen.get(norm(base), 0) + 1
            seen[norm(base)] = count
            p = _proc(model, info, trig, el, base if count == 1 else f"{base}~{count}")
            if ek == "field" and section == "fields" and norm(el.name) in info.fields:
                info.fields[norm(el.name)].triggers.setdefault(norm(trig.name), p)
            elif ek == "modify" and section == "fields":
                info.field_modify_triggers.setdefault(norm(el.name), []).append(p)
        stack.extend((c, section) for c in reversed(el.children))


def _element_table(el: n.Element) -> str | None:
    if isinstance(el.source, n.Identifier):
        return el.source.name
    if el.source is not None:
        dotted = dotted_name(el.source)
        if dotted:
            return dotted
    return _unquote(el.args[1]) if len(el.args) >= 2 else None


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1].replace('""', '"')
    return text


def declare_variables(model: Model, proc: ProcInfo) -> tuple[tuple[VarInfo, ...], dict[str, VarInfo]]:
    """The parameters of ``proc`` and its scope (parameters, locals, a named return value), declared
    in ``model`` (:attr:`ProcInfo.params` asks when first read)."""
    node, info = proc.node, proc.owner
    params = tuple(_var(model, prm, "parameter", info, i) for i, prm in enumerate(node.parameters))
    scope: dict[str, VarInfo] = {}
    for p in params:
        scope[norm(p.name)] = p
    for v in node.variables:
        scope[norm(v.name)] = _var(model, v, "local", info)
    if node.return_name and node.return_type is not None:
        scope.setdefault(norm(node.return_name), VarInfo(node.return_name, node.return_type, "return", node.span))
    return params, scope


def _proc(model: Model, info: ObjectInfo, proc: n.Procedure, element: n.Element | None, key: str) -> ProcInfo:
    p = ProcInfo(key, info, proc, element, model)
    for attr in proc.attributes:
        a = norm(attr.name)
        if a in PUBLISHER_ATTRIBUTES:
            p.publisher = PUBLISHER_ATTRIBUTES[a]
        elif a == "eventsubscriber":
            p.subscription = _subscription(attr)
        elif a == "tryfunction":
            p.try_function = True
    model.procs[key] = p
    info.all_procs.append(p)
    return p


def _subscription(attr: n.Attribute) -> Subscription | None:
    args = attr.args
    if len(args) < 3:
        return None
    ot = scoped_object_name(args[0])
    if ot is None:
        return None
    object_type = ot[1].casefold()
    obj_name: str | None = None
    obj_id: int | None = None
    ref = scoped_object_name(args[1])
    if ref is not None:
        obj_name = ref[1]
    elif isinstance(args[1], n.LiteralValue) and args[1].kind == "integer":
        obj_id = int(args[1].value)
    event = _text_arg(args[2])
    element = _text_arg(args[3]) if len(args) > 3 else ""
    if event is None:
        return None
    return Subscription(object_type, obj_name, obj_id, event, element or "", attr.span)


def _text_arg(e: n.Expr) -> str | None:
    if isinstance(e, n.LiteralValue):
        return e.value
    if isinstance(e, n.Identifier):
        return e.name
    return None


def _index_interfaces(model: Model) -> None:
    interfaces = model.objects_of("interface")
    # parents[i] = interfaces that i extends (transitively)
    extends: dict[str, list[ObjectInfo]] = {}
    for i in interfaces:
        extends[i.key] = [p for name in i.node.implements
                          if (p := model.object_by_name("interface", name, i)) is not None]
    for obj in model.objects:
        if obj.kind != "codeunit":
            continue
        stack = [i for name in obj.node.implements if (i := model.object_by_name("interface", name, obj))]
        seen: set[str] = set()
        while stack:
            i = stack.pop()
            if i.key in seen:
                continue
            seen.add(i.key)
            model._implementers.setdefault(i.key, []).append(obj)
            stack.extend(extends.get(i.key, ()))


def _index_subscriptions(model: Model) -> None:
    for obj in model.objects:
        for p in obj.all_procs:
            sub = p.subscription
            if sub is None:
                continue
            kind = sub.object_type
            target = model.object_ref(kind, sub.object_name, sub.object_id, obj)
            if target is None:
                continue
            model.subscriptions.append(p)
            key = (target.key, norm(sub.event), norm(sub.element))
            model._subscribers.setdefault(key, []).append(p)
