"""The typed AST built from the parse tree: shapes, names, types and spans."""

from __future__ import annotations

import pytest

from pbtlint import nodes as n
from pbtlint.frontend import parse_text
from pbtlint.span import Span


def unit_of(text: str, symbols: tuple[str, ...] = ()) -> n.CompilationUnit:
    parsed = parse_text(text, "test.al", symbols)
    assert parsed.findings == (), parsed.findings
    assert parsed.unit is not None
    return parsed.unit


def body_of(statements: str, declarations: str = "") -> tuple[n.Stmt, ...]:
    """The statements of a procedure body written around ``statements``."""
    text = f"codeunit 50100 T\n{{\n    procedure P()\n{declarations}    begin\n{statements}\n    end;\n}}\n"
    proc = unit_of(text).objects[0].procedures[0]
    assert proc.body is not None
    return proc.body.statements


def expr_of(expression: str) -> n.Expr:
    (stmt,) = body_of(f"        X := {expression};")
    assert isinstance(stmt, n.Assign)
    return stmt.value


# --------------------------------------------------------------------------- objects


def test_object_header_id_name_extends_implements() -> None:
    unit = unit_of(
        "namespace Fabrikam.Sales;\nusing Microsoft.Sales.Customer;\n"
        'codeunit 50100 "My Impl" implements "Some Interface", Other\n{\n}\n'
        'pageextension 50101 CustCardExt extends "Customer Card"\n{\n}\n'
        'interface "Child" extends "Parent A", ParentB\n{\n    procedure P(): Integer;\n}\n'
    )
    assert unit.namespace == "Fabrikam.Sales"
    assert unit.usings == ("Microsoft.Sales.Customer",)
    cu, ext, itf = unit.objects
    assert (cu.kind, cu.id, cu.name, cu.implements) == ("codeunit", 50100, "My Impl", ("Some Interface", "Other"))
    assert cu.name_span == Span(3, 16, 3, 25)
    assert (ext.kind, ext.id, ext.name, ext.extends) == ("pageextension", 50101, "CustCardExt", "Customer Card")
    assert itf.kind == "interface" and itf.implements == ("Parent A", "ParentB")
    (sig,) = itf.procedures
    assert sig.body is None and sig.return_type is not None and sig.return_type.name == "Integer"


def test_namespace_qualified_names_keep_quotes_on_segments_that_need_them() -> None:
    unit = unit_of('codeunit 50100 T\n{\n    var\n        S: Codeunit Microsoft.Sales.Posting."Sales-Post";\n}\n')
    (var,) = unit.objects[0].variables
    assert var.type.name == "Codeunit"
    assert var.type.object_name == 'Microsoft.Sales.Posting."Sales-Post"'


def test_precise_properties_keep_their_value() -> None:
    unit = unit_of(
        "page 50100 P\n{\n    PageType = List;\n    SourceTable = \"Sales Header\";\n"
        "    SourceTableTemporary = true;\n    Caption = 'Sales', Comment = 'x';\n}\n"
    )
    props = {p.name.lower(): p for p in unit.objects[0].properties}
    assert isinstance(props["sourcetable"].value, n.Identifier)
    assert props["sourcetable"].value.name == "Sales Header"
    assert isinstance(props["sourcetabletemporary"].value, n.LiteralValue)
    assert props["sourcetabletemporary"].value.value.lower() == "true"
    assert props["pagetype"].value.name == "List"  # type: ignore[union-attr]
    assert props["caption"].text == "'Sales', Comment = 'x'"
    assert props["caption"].value is None


def test_table_fields_keys_and_field_triggers() -> None:
    unit = unit_of(
        "table 50100 T\n{\n    TableType = Temporary;\n    fields\n    {\n"
        '        field(1; "No."; Code[20]) { }\n'
        '        field(2; Status; Enum "Order Status")\n        {\n'
        "            trigger OnValidate()\n            begin\n            end;\n        }\n"
        "        field(3; Amount; Decimal) { }\n    }\n"
        '    keys\n    {\n        key(PK; "No.") { Clustered = true; }\n    }\n}\n'
    )
    table = unit.objects[0]
    fields, keys = table.sections
    assert fields.kind == "fields" and keys.kind == "keys"
    no, status, amount = fields.children
    assert (no.id, no.name, no.type.name, no.type.length) == (1, "No.", "Code", "20")  # type: ignore[union-attr]
    assert status.type is not None and (status.type.name, status.type.object_name) == ("Enum", "Order Status")
    assert [t.name for t in status.triggers] == ["OnValidate"]
    assert amount.type is not None and amount.type.name == "Decimal"
    assert keys.children[0].name == "PK"


def test_page_controls_actions_and_object_triggers() -> None:
    unit = unit_of(
        "page 50100 P\n{\n    layout\n    {\n        area(Content)\n        {\n"
        '            field("No."; Rec."No.")\n            {\n'
        "                trigger OnValidate()\n                begin\n                end;\n            }\n"
        "        }\n    }\n    actions\n    {\n        area(Processing)\n        {\n"
        "            action(Post)\n            {\n                trigger OnAction();\n"
        "                begin\n                end;\n            }\n        }\n    }\n"
        "    trigger OnPageBackgroundTaskCompleted(TaskId: Integer; Results: Dictionary of [Text, Text])\n"
        "    begin\n    end;\n}\n"
    )
    page = unit.objects[0]
    layout, actions = page.sections
    field = layout.children[0].children[0]
    assert (field.kind, field.name) == ("field", "No.")
    assert isinstance(field.source, n.MemberAccess) and field.source.member == "No."
    assert field.triggers[0].name == "OnValidate"
    action = actions.children[0].children[0]
    assert (action.kind, action.name, action.triggers[0].name) == ("action", "Post", "OnAction")
    (trigger,) = page.triggers
    assert trigger.name == "OnPageBackgroundTaskCompleted"
    task_id, results = trigger.parameters
    assert task_id.type.name == "Integer"
    assert results.type.name == "Dictionary" and [a.name for a in results.type.args] == ["Text", "Text"]


def test_extension_moves_have_no_body() -> None:
    unit = unit_of(
        "pageextension 50100 E extends \"Customer Card\"\n{\n    layout\n    {\n"
        "        moveafter(General; Name, Address)\n        addlast(Content)\n        {\n"
        "            field(X; Rec.Name) { }\n        }\n    }\n}\n"
    )
    layout = unit.objects[0].sections[0]
    move, add = layout.children
    assert (move.kind, move.name, move.args) == ("moveafter", "General", ("General", "Name, Address"))
    assert (add.kind, add.children[0].kind) == ("addlast", "field")


# --------------------------------------------------------------------------- declarations


def test_variables_types_and_attributes() -> None:
    unit = unit_of(
        "codeunit 50100 T\n{\n    var\n"
        "        A, B: Integer;\n"
        "        TempLine: Record \"Sales Line\" temporary;\n"
        "        Grid: array[2, 3] of Decimal;\n"
        "        Map: Dictionary of [Text, List of [Integer]];\n"
        "        ParamKeyLbl: Label 'MyKey', Locked = true;\n"
        "        Kind: Option ,\"Web Service\",Other;\n"
        "        [NonDebuggable]\n        Secret: Text;\n"
        "    protected var\n        Shared: Boolean;\n}\n"
    )
    variables = {v.name: v for v in unit.objects[0].variables}
    assert variables["A"].type.name == variables["B"].type.name == "Integer"
    temp = variables["TempLine"].type
    assert (temp.name, temp.object_name, temp.temporary) == ("Record", "Sales Line", True)
    assert variables["Grid"].type.dimensions == ("2", "3") and variables["Grid"].type.name == "Decimal"
    inner = variables["Map"].type.args[1]
    assert (inner.name, inner.args[0].name) == ("List", "Integer")
    label = variables["ParamKeyLbl"].type
    assert (label.name, label.label) == ("Label", "MyKey")
    assert label.label_properties == (("Locked", "true"),)
    assert variables["Kind"].type.option_members == ("", "Web Service", "Other")
    assert [a.name for a in variables["Secret"].attributes] == ["NonDebuggable"]
    assert variables["Shared"].protected and not variables["Secret"].protected


def test_procedures_access_attributes_params_and_returns() -> None:
    unit = unit_of(
        "codeunit 50100 T\n{\n"
        "    [EventSubscriber(ObjectType::Table, Database::Customer, 'OnAfterModifyEvent', '', false, false)]\n"
        "    local procedure OnCustomerModified(var Rec: Record Customer; RunTrigger: Boolean)\n    begin\n    end;\n\n"
        "    internal procedure Total() Result: Decimal\n    var\n        I: Integer;\n    begin\n    end;\n\n"
        "    [TryFunction]\n    procedure TryIt(): Boolean;\n    begin\n    end;\n}\n"
    )
    subscriber, total, try_it = unit.objects[0].procedures
    assert subscriber.access == "local"
    (attr,) = subscriber.attributes
    assert attr.name == "EventSubscriber" and len(attr.args) == 6
    assert isinstance(attr.args[1], n.ScopeAccess) and attr.args[1].right == "Customer"
    assert isinstance(attr.args[2], n.LiteralValue) and attr.args[2].value == "OnAfterModifyEvent"
    rec, run_trigger = subscriber.parameters
    assert rec.by_ref and not run_trigger.by_ref and rec.type.object_name == "Customer"
    assert subscriber.span.line == 3  # the span starts at the attribute
    assert (total.access, total.return_name, total.return_type.name) == ("internal", "Result", "Decimal")  # type: ignore[union-attr]
    assert [v.name for v in total.variables] == ["I"]
    assert try_it.attributes[0].name == "TryFunction" and try_it.access == "public"


# --------------------------------------------------------------------------- statements


def test_dangling_else_binds_to_the_innermost_if() -> None:
    (outer,) = body_of("        if A then\n            if B then\n                X := 1\n            else\n                X := 2;")
    assert isinstance(outer, n.If) and outer.else_ is None
    assert isinstance(outer.then, n.If) and isinstance(outer.then.else_, n.Assign)


def test_case_with_labels_ranges_and_else_statement_list() -> None:
    (case,) = body_of("        case X of\n            1, 3..5:\n                Y := 1;\n            Z:\n                ;\n"
                      "            else\n                Y := 2;\n                Y += 1;\n        end;")
    assert isinstance(case, n.Case)
    first, second = case.branches
    assert isinstance(first.values[1], n.Range)
    assert isinstance(second.body, n.EmptyStmt)
    assert case.else_ is not None and [type(s) for s in case.else_] == [n.Assign, n.Assign]
    assert case.else_[1].op == "+="  # type: ignore[attr-defined]


def test_loops_exit_break_continue_asserterror_with() -> None:
    stmts = body_of(
        "        for I := 10 downto 1 do\n            break;\n"
        "        foreach K in Map.Keys() do\n            continue;\n"
        "        while not Rec.IsEmpty do\n            Rec.Next;\n"
        "        repeat\n            I -= 1;\n        until I = 0;\n"
        "        with Rec do\n            Modify();\n"
        "        asserterror Error('x');\n"
        "        exit(true);"
    )
    loop_for, loop_foreach, loop_while, loop_repeat, with_, assert_error, exit_ = stmts
    assert isinstance(loop_for, n.For) and loop_for.downto and isinstance(loop_for.body, n.Break)
    assert isinstance(loop_foreach, n.Foreach) and isinstance(loop_foreach.body, n.Continue)
    assert isinstance(loop_while, n.While)
    assert isinstance(loop_while.body, n.ExprStmt) and isinstance(loop_while.body.expr, n.MemberAccess)
    assert isinstance(loop_repeat, n.Repeat) and isinstance(loop_repeat.condition, n.Binary)
    assert isinstance(with_, n.With) and isinstance(assert_error, n.AssertError)
    assert isinstance(exit_, n.Exit) and isinstance(exit_.value, n.LiteralValue)


def test_calls_with_receiver_and_arguments() -> None:
    (stmt,) = body_of("        CurrPage.EnqueueBackgroundTask(TaskId, Codeunit::\"My Task\", Params, 1000);")
    assert isinstance(stmt, n.ExprStmt) and isinstance(stmt.expr, n.Call)
    call = stmt.expr
    assert call.name == "EnqueueBackgroundTask"
    assert isinstance(call.receiver, n.Identifier) and call.receiver.name == "CurrPage"
    codeunit = call.args[1]
    assert isinstance(codeunit, n.ScopeAccess) and codeunit.right == "My Task"
    assert call.span == Span(5, 9, 5, 82)  # 73 characters from column 9, end exclusive


def test_chained_call_on_background_parameters() -> None:
    (stmt,) = body_of("        V := Page.GetBackgroundParameters().Get('K');")
    assert isinstance(stmt, n.Assign) and isinstance(stmt.value, n.Call)
    get = stmt.value
    assert get.name == "Get" and isinstance(get.receiver, n.Call)
    assert get.receiver.name == "GetBackgroundParameters"


# --------------------------------------------------------------------------- expressions


def test_and_binds_tighter_than_equals() -> None:
    e = expr_of("A = B and C = D")
    # (A = (B and C)) = D
    assert isinstance(e, n.Binary) and e.op == "="
    assert isinstance(e.left, n.Binary) and e.left.op == "="
    assert isinstance(e.left.right, n.Binary) and e.left.right.op == "and"


def test_not_in_ternary_is_as_and_literals() -> None:
    e = expr_of("not (X in [1, 3..5]) ? 'a''b' : 20240101D")
    assert isinstance(e, n.Ternary)
    assert isinstance(e.condition, n.Unary) and isinstance(e.condition.operand, n.Binary)
    assert e.condition.operand.op == "in" and isinstance(e.condition.operand.right, n.SetLiteral)
    assert isinstance(e.then, n.LiteralValue) and e.then.value == "a'b"
    assert isinstance(e.else_, n.LiteralValue) and e.else_.kind == "date"
    t = expr_of('C is "Email Connector v2"')
    assert isinstance(t, n.TypeTest) and t.type_name == "Email Connector v2"
    assert isinstance(expr_of("10000L"), n.LiteralValue) and expr_of("10000L").kind == "biginteger"  # type: ignore[attr-defined]
    assert expr_of("0DT").kind == "datetime"  # type: ignore[attr-defined]
    assert expr_of("235959.999T").kind == "time"  # type: ignore[attr-defined]
    assert isinstance(expr_of("this"), n.This)


def test_operator_chains_fold_left() -> None:
    e = expr_of("A - B - C")
    assert isinstance(e, n.Binary) and isinstance(e.left, n.Binary)
    assert e.left.op == "-" and isinstance(e.right, n.Identifier) and e.right.name == "C"


def test_spans_count_code_points_with_exclusive_end() -> None:
    # The emoji is one code point (two UTF-16 units): columns after it count it once.
    (stmt,) = body_of("        X := '\U0001F600' + Y;")
    assert isinstance(stmt, n.Assign) and isinstance(stmt.value, n.Binary)
    literal, y = stmt.value.left, stmt.value.right
    assert literal.span == Span(5, 14, 5, 17)
    assert y.span == Span(5, 20, 5, 21)


@pytest.mark.parametrize(
    ("expression", "depth"),
    [("(" * 10_000 + "1" + ")" * 10_000, 0), (" + ".join(["1"] * 20_000), 19_999)],
    ids=["10000-parentheses", "20000-plus-terms"],
)
def test_deep_expressions_do_not_hit_the_recursion_limit(expression: str, depth: int) -> None:
    e = expr_of(expression)
    seen = 0
    while isinstance(e, n.Binary):
        seen += 1
        e = e.left
    assert seen == depth and isinstance(e, n.LiteralValue)
