"""The typed AST: frozen dataclasses, each with the span of the source it came from.

The builder (``pbtlint.transform``) makes these while parsing (``pbtlint.astparse``). Later stages (project
model, call graph, rules) read only these classes, never Lark trees. Names are kept as written
(quotes removed, ``""`` unescaped); compare them case-insensitively with :func:`norm`.

Only what analysis needs is typed precisely. Property values that no stage interprets keep their
source text (``Property.text``) so that nothing is lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pbtlint.pickling import fast_pickling
from pbtlint.span import Span


def norm(name: str) -> str:
    """The key under which AL compares a name: case-insensitive."""
    return name.casefold()


# --------------------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class Expr:
    span: Span


@dataclass(frozen=True, slots=True)
class Identifier(Expr):
    """A plain or quoted name used as an expression: ``Rec``, ``"Sales Header"``."""

    name: str
    quoted: bool = False


@dataclass(frozen=True, slots=True)
class This(Expr):
    """The ``this`` keyword."""


LiteralKind = Literal["integer", "decimal", "biginteger", "text", "boolean", "date", "time", "datetime"]


@dataclass(frozen=True, slots=True)
class LiteralValue(Expr):
    """A literal. ``value`` is the decoded text for text literals (quotes removed, ``''`` unescaped)
    and the source spelling for the others (``20240101D``, ``0DT``, ``true``)."""

    kind: LiteralKind
    value: str


@dataclass(frozen=True, slots=True)
class MemberAccess(Expr):
    """``receiver.member`` (not called): ``Rec."No."``, ``Rec.Count``."""

    receiver: Expr
    member: str
    member_span: Span


@dataclass(frozen=True, slots=True)
class ScopeAccess(Expr):
    """``left::right``: ``Codeunit::"Sales-Post"``, ``Enum::"E"::V``, ``Rec.Type::Item``.

    ``left`` is an expression (usually an Identifier such as ``Codeunit`` or ``Database``, or a
    dotted namespace-qualified name built from MemberAccess nodes); ``right`` is the name after ``::``.
    """

    left: Expr
    right: str
    right_span: Span


@dataclass(frozen=True, slots=True)
class Call(Expr):
    """A call ``callee(args)``. ``callee`` is an Identifier (``Message(...)``) or a MemberAccess
    (``Rec.Modify(true)``, ``CurrPage.EnqueueBackgroundTask(...)``). A member used without
    parentheses (``Rec.Count``) stays a MemberAccess; the model decides whether it is a call."""

    callee: Expr
    args: tuple[Expr, ...]

    @property
    def name(self) -> str:
        """The called name: the member for ``a.b(...)``, the identifier for ``b(...)``."""
        if isinstance(self.callee, MemberAccess):
            return self.callee.member
        if isinstance(self.callee, Identifier):
            return self.callee.name
        return ""

    @property
    def receiver(self) -> Expr | None:
        return self.callee.receiver if isinstance(self.callee, MemberAccess) else None


@dataclass(frozen=True, slots=True)
class Index(Expr):
    """``target[i, j]``: array element or text character."""

    target: Expr
    indexes: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Unary(Expr):
    op: Literal["not", "-", "+"]
    operand: Expr


BinaryOp = Literal[
    "*", "/", "div", "mod", "and", "xor", "+", "-", "or", "=", "<>", "<", ">", "<=", ">=", "in"
]


@dataclass(frozen=True, slots=True)
class Binary(Expr):
    """A binary operation. For ``in``, ``right`` is a :class:`SetLiteral`."""

    op: BinaryOp
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Range(Expr):
    """``low..high`` in a set or case label; either side may be missing (``..5``, ``1..``)."""

    low: Expr | None
    high: Expr | None


@dataclass(frozen=True, slots=True)
class SetLiteral(Expr):
    """``[a, b..c]``: the right side of ``in``."""

    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Ternary(Expr):
    """``cond ? then : else`` (runtime 14)."""

    condition: Expr
    then: Expr
    else_: Expr


@dataclass(frozen=True, slots=True)
class TypeTest(Expr):
    """``value is I`` / ``value as I`` (runtime 14); ``type_name`` is the interface name."""

    op: Literal["is", "as"]
    value: Expr
    type_name: str


# --------------------------------------------------------------------------- statements


@dataclass(frozen=True, slots=True)
class Stmt:
    span: Span


@dataclass(frozen=True, slots=True)
class Block(Stmt):
    """``begin ... end``."""

    statements: tuple[Stmt, ...]


@dataclass(frozen=True, slots=True)
class UnparsedBlock(Block):
    """A procedure's body that does not parse on its own, in a file whose declarations do: it holds no
    statements, and the call graph makes its procedure opaque (what it does is not known). ``message``
    is the syntax error, ``error`` where it is."""

    message: str
    error: Span


@dataclass(frozen=True, slots=True)
class EmptyStmt(Stmt):
    """A lone ``;`` or the empty statement of ``then;``."""


@dataclass(frozen=True, slots=True)
class ExprStmt(Stmt):
    """An expression used as a statement: a call, with or without parentheses (``Rec.Modify;``)."""

    expr: Expr


AssignOp = Literal[":=", "+=", "-=", "*=", "/="]


@dataclass(frozen=True, slots=True)
class Assign(Stmt):
    target: Expr
    op: AssignOp
    value: Expr


@dataclass(frozen=True, slots=True)
class If(Stmt):
    condition: Expr
    then: Stmt
    else_: Stmt | None


@dataclass(frozen=True, slots=True)
class CaseBranch:
    span: Span
    values: tuple[Expr, ...]
    body: Stmt


@dataclass(frozen=True, slots=True)
class Case(Stmt):
    """``case expr of v1, v2: s; ... else s; s; end``; ``else_`` is None when absent."""

    expr: Expr
    branches: tuple[CaseBranch, ...]
    else_: tuple[Stmt, ...] | None


@dataclass(frozen=True, slots=True)
class While(Stmt):
    condition: Expr
    body: Stmt


@dataclass(frozen=True, slots=True)
class Repeat(Stmt):
    body: tuple[Stmt, ...]
    condition: Expr


@dataclass(frozen=True, slots=True)
class For(Stmt):
    variable: Expr
    start: Expr
    end: Expr
    downto: bool
    body: Stmt


@dataclass(frozen=True, slots=True)
class Foreach(Stmt):
    variable: Expr
    iterable: Expr
    body: Stmt


@dataclass(frozen=True, slots=True)
class With(Stmt):
    record: Expr
    body: Stmt


@dataclass(frozen=True, slots=True)
class Exit(Stmt):
    value: Expr | None


@dataclass(frozen=True, slots=True)
class Break(Stmt):
    pass


@dataclass(frozen=True, slots=True)
class Continue(Stmt):
    pass


@dataclass(frozen=True, slots=True)
class AssertError(Stmt):
    body: Stmt


# --------------------------------------------------------------------------- declarations


@dataclass(frozen=True, slots=True)
class Attribute:
    """``[Name(args)]`` before a procedure or variable: ``[EventSubscriber(ObjectType::Table, ...)]``."""

    span: Span
    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class TypeRef:
    """A data type as written.

    ``name`` is the base type (``Record``, ``Codeunit``, ``Integer``, ``Text``, ``Dictionary``,
    ``Label``, ``DotNet``, ``Option``...). ``object_name`` is the object for object types
    (``Record "Sales Header"`` -> ``Sales Header``; a namespace-qualified name keeps its dots and
    quotes the segments that need it: ``System.Telemetry."Feature Telemetry"``). In expressions, by
    contrast, ``Codeunit::Microsoft.Sales."Sales-Post"`` is a ScopeAccess followed by MemberAccess nodes.
    ``length`` is ``Text[100]``'s 100 as text, ``args`` the element types of ``List of [T]`` and
    ``Dictionary of [K, V]``, ``dimensions`` an array's sizes (``array[2, 3] of T`` is the TypeRef of
    T with dimensions ``("2", "3")``), ``label`` the text of a ``Label`` or ``TextConst``,
    ``option_members`` the members of ``Option A,B``.
    """

    span: Span
    name: str
    object_name: str | None = None
    temporary: bool = False
    length: str | None = None
    args: tuple[TypeRef, ...] = ()
    dimensions: tuple[str, ...] = ()
    label: str | None = None
    label_properties: tuple[tuple[str, str], ...] = ()
    option_members: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Variable:
    """One declared variable (``a, b: Integer`` gives two)."""

    span: Span
    name: str
    type: TypeRef
    attributes: tuple[Attribute, ...] = ()
    protected: bool = False


@dataclass(frozen=True, slots=True)
class Parameter:
    span: Span
    name: str
    type: TypeRef
    by_ref: bool


@dataclass(frozen=True, slots=True)
class Procedure:
    """A procedure or a trigger.

    ``kind`` is ``"procedure"`` or ``"trigger"``. ``access`` is ``"local"``, ``"internal"``,
    ``"protected"`` or ``"public"``. ``body`` is None for body-less declarations (interface and
    control add-in procedures, control add-in events). DotNet event triggers keep their full name
    (``UserTours::ShowTourWizard``).
    """

    span: Span
    kind: Literal["procedure", "trigger", "event"]
    name: str
    name_span: Span
    access: Literal["local", "internal", "protected", "public"]
    attributes: tuple[Attribute, ...]
    parameters: tuple[Parameter, ...]
    return_type: TypeRef | None
    return_name: str | None
    variables: tuple[Variable, ...]
    body: Block | None


@dataclass(frozen=True, slots=True)
class Property:
    """``Name = value;``. ``text`` is the value's source text, whitespace-normalized.
    ``value`` is set for the properties pbtlint interprets (SourceTable, SourceTableTemporary,
    TableType, TableNo, Subtype, SingleInstance, EventSubscriberInstance, Access, PageType,
    ObsoleteState, Implementation...): a plain name (quotes removed), a literal, or for an
    expression-valued property (``Visible = A and B``) the parsed Expr."""

    span: Span
    name: str
    text: str
    value: Expr | None = None


@dataclass(frozen=True, slots=True)
class Element:
    """A structural element inside an object: a table field, key, fieldgroup, page control
    (``field``, ``part``, ``group``, ``repeater``, ``usercontrol``...), action, area, report
    dataitem or column, query element, xmlport node, enum value, extension change
    (``addafter``, ``modify``, ``movefirst``...), layout in ``rendering``, view.

    ``kind`` is the lower-cased keyword (``field``, ``action``, ``dataitem``, ``value``...).
    ``id`` is the number of numbered elements (table fields, enum values). ``name`` is the element's
    name (first name argument). ``source`` is a page field's or report column's source expression or
    a dataitem's table name; ``type`` is a table field's data type. ``args`` keeps the source text
    of every argument in the header. ``variables`` are those of a ``var`` section inside the element
    (a report's request page).
    """

    span: Span
    kind: str
    name: str
    id: int | None
    args: tuple[str, ...]
    type: TypeRef | None
    source: Expr | None
    properties: tuple[Property, ...]
    triggers: tuple[Procedure, ...]
    children: tuple[Element, ...]
    variables: tuple[Variable, ...] = ()


ObjectKind = Literal[
    "table", "tableextension", "page", "pageextension", "pagecustomization", "codeunit", "report",
    "reportextension", "query", "xmlport", "enum", "enumextension", "interface", "controladdin",
    "dotnet", "profile", "profileextension", "permissionset", "permissionsetextension", "entitlement",
]


@dataclass(frozen=True, slots=True)
class AlObject:
    """One AL object with everything it declares.

    ``extends`` is the target of an extension (and of ``pagecustomization ... customizes``);
    ``implements`` the interfaces of a codeunit or enum, or for an interface the interfaces it
    extends. ``variables`` are the object-level globals (``protected var`` ones marked so).
    ``sections`` are the structural blocks (``fields``, ``keys``, ``layout``, ``actions``,
    ``dataset``, ``requestpage``, ``labels``, ``rendering``, ``elements``, ``schema``, ``views``...)
    as Elements whose ``kind`` is the section keyword. Triggers of the object itself (``OnRun``,
    ``OnOpenPage``, ``OnPageBackgroundTaskCompleted``...) are in ``triggers``; triggers of fields,
    controls and actions sit on their Elements.
    """

    span: Span
    kind: ObjectKind
    id: int | None
    name: str
    name_span: Span
    extends: str | None
    implements: tuple[str, ...]
    properties: tuple[Property, ...]
    variables: tuple[Variable, ...]
    procedures: tuple[Procedure, ...]
    triggers: tuple[Procedure, ...]
    sections: tuple[Element, ...]


@dataclass(frozen=True, slots=True)
class CompilationUnit:
    """One parsed file: its namespace, ``using`` lines and objects."""

    span: Span
    namespace: str | None
    usings: tuple[str, ...]
    objects: tuple[AlObject, ...]


fast_pickling(globals())
