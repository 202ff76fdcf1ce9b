"""The declaration index (pbtlint.declindex): what demand-driven analysis knows of a file without parsing it."""

from __future__ import annotations

import bisect
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from pbtlint.declindex import _Lines, index_text
from pbtlint.span import line_starts

SOURCE = """
codeunit 50100 "Telemetry Hooks"
{
    [EventSubscriber(ObjectType::Table, Database::"Column Layout Name", 'OnAfterInsertEvent', '', false, false)]
    local procedure Quoted(var Rec: Record "Column Layout Name")
    begin
    end;

    [EventSubscriber(ObjectType::Table, Database::"Column Layout Name", OnAfterModifyEvent, '', true, true)]
    local procedure Unquoted(var Rec: Record "Column Layout Name")
    begin
    end;

    [EventSubscriber(ObjectType::Table, Database::Customer, "OnAfterValidateEvent", 'Name', false, false)]
    local procedure QuotedName(var Rec: Record Customer)
    begin
    end;

    [EventSubscriber(ObjectType::Codeunit, 80, 'OnBeforePostSalesDoc', '', false, false)]
    local procedure ById()
    begin
    end;
}
"""


def test_event_names_quoted_unquoted_or_as_quoted_names() -> None:
    subs = index_text(SOURCE).subscribers
    got = [(s.object_type.lower(), (s.object_name or "").lower(), s.object_id, s.event.lower(), s.element.lower(),
            s.procedure.lower()) for s in subs]
    assert got == [
        ("table", "column layout name", None, "onafterinsertevent", "", "quoted"),
        ("table", "column layout name", None, "onaftermodifyevent", "", "unquoted"),
        ("table", "customer", None, "onaftervalidateevent", "name", "quotedname"),
        ("codeunit", "", 80, "onbeforepostsalesdoc", "", "byid"),
    ]


def test_objects_and_procedures() -> None:
    ix = index_text(SOURCE)
    assert [(o.kind, o.id, o.name) for o in ix.objects] == [("codeunit", 50100, "Telemetry Hooks")]
    assert [p.name.lower() for p in ix.procedures] == ["quoted", "unquoted", "quotedname", "byid"]
    assert not ix.has_markers


def test_comments_between_the_words_of_a_header() -> None:
    """A comment may split an object header or a subscriber's arguments: the index still reads them
    (a missed ``extends`` or subscriber left demand-driven runs without code a full parse follows)."""
    index = index_text(
        'tableextension 50478 "Truck Load Ext" /* the procedure */\n'
        "    // lives here\n"
        '    extends "Truck Load"\n'
        "{\n"
        "    [EventSubscriber(ObjectType::Codeunit, Codeunit::\"Load Task\", /* by the task */\n"
        "        'OnBeforeLoad', // before loading\n"
        "        'Weight', false, false)]\n"
        "    local procedure Announce()\n"
        "    begin\n"
        "    end;\n"
        "}\n"
        "codeunit 50479 Impl implements IFirst /* a, b */, // c, d\n"
        "    ISecond\n"
        "{\n"
        "}\n")
    ext, impl = index.objects
    assert (ext.kind, ext.id, ext.name, ext.extends, ext.line) == ("tableextension", 50478, "Truck Load Ext", "Truck Load", 1)
    assert impl.implements == ("IFirst", "ISecond")
    (sub,) = index.subscribers
    assert (sub.object_type, sub.object_name, sub.event, sub.element, sub.procedure) == (
        "codeunit", "Load Task", "OnBeforeLoad", "Weight", "Announce")
    # a text literal is no comment: `//` inside one ends nothing
    (url,) = index_text("codeunit 1 \"Web\"\n{\n    procedure Get()\n    begin\n"
                        "        Url := 'http://example.com';\n    end;\n}\n").objects
    assert url.name == "Web"


RETURNING = """
codeunit 50448 "Task Factory"
{
    procedure Task(): Codeunit "Status Task"
    begin
    end;

    procedure Named(A: Record "Odd (Name)"; B: Integer) Result: Record Microsoft.Sales."Sales Header" temporary
    begin
    end;

    procedure ById(
        A: Text[20]
    ): Codeunit 50421
    begin
    end;

    procedure Implementation() Impl: Interface "Price Source"
    begin
    end;

    procedure Count(): Integer
    begin
    end;

    procedure NoReturn()
    var
        T: Codeunit "Status Task";
    begin
    end;

    trigger OnRun()
    begin
    end;
}
"""


def test_the_object_a_function_returns() -> None:
    """Parameters (a quoted name may hold parentheses), a named return value, a namespace, an id, a header
    over several lines; a simple type, a local variable's object type and a trigger return nothing."""
    got = [(p.name, p.returns) for p in index_text(RETURNING).procedures]
    assert got == [("Task", "Status Task"), ("Named", "Sales Header"), ("ById", "codeunit 50421"),
                   ("Implementation", "Price Source"), ("Count", ""), ("NoReturn", ""), ("OnRun", "")]


def _indexed_in_time(code: str) -> None:
    """Run ``code`` in a fresh interpreter that must finish within a minute: a pattern that backtracks
    exponentially takes hours on these inputs, and a hang must fail the test, not stall the suite."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr


def test_comment_lines_with_two_slashes_pairs_do_not_make_the_index_backtrack() -> None:
    # doc comments with a URL (`/// see https://...`) between two headers without return types: each
    # such line could end a comment early and start another, 2^200 ways to fail before this fix
    _indexed_in_time(
        "from pbtlint.declindex import index_text\n"
        "text = 'interface \"I X\"\\n{\\n    procedure A(a: Integer)\\n'"
        " + '    /// see https://example.com/a  // b\\n' * 200 + '    procedure B(a: Integer)\\n}\\n'\n"
        "index = index_text(text)\n"
        "assert [(p.name, p.returns) for p in index.procedures] == [('A', ''), ('B', '')], index\n")


def test_a_return_type_inside_a_comment_is_none() -> None:
    # the comment cannot be cut short to let `: Record "Y"` in it read as the return type
    text = ('codeunit 50100 C\n{\n    procedure P()\n    var\n        //H: List of [v: Record "Y" temporary;];\n'
            '        X: Integer;\n    begin\n    end;\n}\n')
    assert [(p.name, p.returns) for p in index_text(text).procedures] == [("P", "")]


def test_comment_lines_between_a_name_and_what_follows_do_not_make_the_line_search_backtrack() -> None:
    _indexed_in_time(
        "from pbtlint.demand_files import lines_naming\n"
        "text = 'trigger onrun() begin flag\\n' + '  // a  // b\\n' * 200 + '  /* c */ /* d */\\n' * 50 + ' ; end;'\n"
        "assert lines_naming(text, 'flag', True) == set()\n"
        "text = 'trigger onrun() begin flag\\n' + '  // a  // b\\n' * 200 + ' := true; end;'\n"
        "assert lines_naming(text, 'flag', True) == {1}, lines_naming(text, 'flag', True)\n")


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet="ab\n", max_size=60), offsets=st.lists(st.integers(0, 60), max_size=12))
def test_line_numbers_asked_in_any_order_are_those_of_the_line_starts(text: str, offsets: list[int]) -> None:
    lines = _Lines(text)
    starts = line_starts(text)
    assert lines.count == len(starts)
    for offset in (min(o, len(text)) for o in offsets):
        assert lines.line(offset) == bisect.bisect_right(starts, offset)


def test_indented_headers_are_found_at_any_indentation() -> None:
    text = "\n".join(f"{' ' * i}\t{' ' * i}procedure P{i}()" for i in range(12))
    index = index_text("codeunit 50100 C\n{\n" + text + "\n}\n")
    assert [(p.name, p.line) for p in index.procedures] == [(f"P{i}", i + 3) for i in range(12)]
    assert [(o.name, o.line) for o in index_text("  \ufeff table 5 T\n{\n}\n").objects] == [("T", 1)]
