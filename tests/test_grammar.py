"""The AL grammar (pbtlint/al.lark) and the parser module (pbtlint/parser.py)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import lark
import pytest
from lark import Token, Tree

from pbtlint.findings import SYNTAX_ERROR
from pbtlint.parser import (
    RESERVED_WORDS,
    ParseResult,
    build_parser,
    grammar_text,
    parse_source,
    tokenize,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "parse"


def parse_ok(text: str, start: str = "compilation_unit") -> Tree:
    result = parse_source(text, "test.al", start)
    assert result.findings == (), [f.message for f in result.findings]
    assert result.tree is not None
    return result.tree


def parse_error(text: str, start: str = "compilation_unit") -> tuple[str, tuple[int, int, int, int]]:
    result = parse_source(text, "test.al", start)
    assert result.tree is None
    assert len(result.findings) == 1
    finding = result.findings[0]
    assert finding.rule_id == SYNTAX_ERROR
    assert finding.location.path == "test.al"
    s = finding.location.span
    return finding.message, (s.line, s.column, s.end_line, s.end_column)


def expr(text: str) -> Tree | Token:
    return parse_ok(text, "expression")


def stmts(text: str) -> list[Tree]:
    return parse_ok(text, "statements").children


def shape(node: Tree | Token | None) -> object:
    """A compact view of a tree: names, literals and operators become their text, other nodes tuples."""
    if node is None:
        return None
    if isinstance(node, Token):
        return str(node)
    if node.data == "name":
        return str(node.children[0])
    if node.data == "literal":
        return str(node.children[0])
    return (node.data, *(shape(c) for c in node.children))


def find_all(tree: Tree, data: str) -> list[Tree]:
    return [t for t in tree.iter_subtrees_topdown() if t.data == data]


# --------------------------------------------------------------------------- fixtures


FIXTURE_FILES = sorted(FIXTURES.glob("*.al"))


def test_fixture_set_covers_each_area() -> None:
    names = {p.stem for p in FIXTURE_FILES}
    assert {"objects", "tables", "pages", "reports", "queries", "xmlports", "enums_interfaces",
            "misc_objects", "statements", "expressions", "declarations", "keywords_as_names",
            "literals"} <= names


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.name)
def test_fixture_parses(path: Path) -> None:
    tree = parse_ok(path.read_text(encoding="utf-8"))
    assert tree.data == "compilation_unit"
    assert tree.children, "a fixture holds at least one object"


def test_every_object_kind_is_recognised() -> None:
    tree = parse_ok((FIXTURES / "objects.al").read_text(encoding="utf-8"))
    kinds = [str(t.children[0].children[0]).lower() for t in find_all(tree, "object_decl")]
    assert set(kinds) == {
        "codeunit", "table", "tableextension", "page", "pageextension", "pagecustomization", "report",
        "reportextension", "query", "xmlport", "enum", "enumextension", "profile", "profileextension",
        "permissionset", "permissionsetextension", "entitlement",
    }
    assert len(find_all(tree, "interface_decl")) == 2
    assert len(find_all(tree, "controladdin_decl")) == 1
    assert len(find_all(tree, "dotnet_decl")) == 1
    assert shape(find_all(tree, "namespace_decl")[0]) == (
        "namespace_decl", ("qualified_name", "Contoso", ("member_name", "Demo"), ("member_name", "Objects")))
    assert len(find_all(tree, "using_decl")) == 2


# --------------------------------------------------------------------------- precedence


def test_and_binds_tighter_than_equals() -> None:
    # (a = (b and c)) = d: one flat relational chain whose middle operand is the `and`
    assert shape(expr("a = b and c = d")) == (
        "relational", "a", "=", ("multiplicative", "b", "and", "c"), "=", "d")


def test_parenthesised_comparisons_under_and() -> None:
    assert shape(expr("(a = b) and (c = d)")) == (
        "multiplicative", ("relational", "a", "=", "b"), "and", ("relational", "c", "=", "d"))


def test_or_is_additive_and_xor_multiplicative() -> None:
    assert shape(expr("a or b xor c")) == ("additive", "a", "or", ("multiplicative", "b", "xor", "c"))


def test_not_is_unary_and_binds_tightest() -> None:
    assert shape(expr("not a and b")) == ("multiplicative", ("unary", "not", "a"), "and", "b")
    assert shape(expr("not a = b")) == ("relational", ("unary", "not", "a"), "=", "b")
    assert shape(expr("not (a = b)")) == ("unary", "not", ("relational", "a", "=", "b"))
    assert shape(expr("- a * - b")) == ("multiplicative", ("unary", "-", "a"), "*", ("unary", "-", "b"))


def test_arithmetic_levels() -> None:
    assert shape(expr("a + b * c - d div e mod f")) == (
        "additive", "a", "+", ("multiplicative", "b", "*", "c"), "-", ("multiplicative", "d", "div", "e", "mod", "f"))


def test_chained_comparison_is_left_to_right() -> None:
    assert shape(expr("Total < 0 = Positive")) == ("relational", "Total", "<", "0", "=", "Positive")


def test_in_with_set_and_ranges() -> None:
    assert shape(expr("a in [1, 2 .. 5, ..0, 9..]")) == (
        "relational", "a", "in",
        ("set_literal", "1", ("range", "2", "5"), ("range", None, "0"), ("range", "9", None)))
    assert shape(expr("x + 1 in []")) == ("relational", ("additive", "x", "+", "1"), "in", ("set_literal",))


def test_ternary_sits_below_relational() -> None:
    assert shape(expr("D = '' ? G.Name : D")) == (
        "ternary", ("relational", "D", "=", "''"), ("member_access", "G", ("member_name", "Name")), "D")
    assert shape(expr("U.Get(Id) ? A = B : Default")) == (
        "ternary", ("call", ("member_access", "U", ("member_name", "Get")), "Id"),
        ("relational", "A", "=", "B"), "Default")


def test_is_and_as_bind_tighter_than_or_and_not() -> None:
    assert shape(expr('C is "Email Connector v2"')) == ("type_test", "C", "is", ("qualified_name", '"Email Connector v2"'))
    assert shape(expr("C is A or C is B")) == (
        "additive", ("type_test", "C", "is", ("qualified_name", "A")), "or",
        ("type_test", "C", "is", ("qualified_name", "B")))
    assert shape(expr("not C is I")) == ("unary", "not", ("type_test", "C", "is", ("qualified_name", "I")))
    assert shape(expr("C as I")) == ("type_test", "C", "as", ("qualified_name", "I"))
    assert shape(expr("X = C is I")) == ("relational", "X", "=", ("type_test", "C", "is", ("qualified_name", "I")))


def test_postfix_chains() -> None:
    assert shape(expr('Enum::"E"::V')) == (
        "scope_access", ("scope_access", "Enum", ("member_name", '"E"')), ("member_name", "V"))
    assert shape(expr('Rec."Document Type"::Order')) == (
        "scope_access", ("member_access", "Rec", ("member_name", '"Document Type"')), ("member_name", "Order"))
    assert shape(expr("A[1, 2][3]")) == ("index", ("index", "A", "1", "2"), "3")
    assert shape(expr("this.X")) == ("member_access", ("this",), ("member_name", "X"))
    assert shape(expr("Rec.Count")) == ("member_access", "Rec", ("member_name", "Count"))
    assert shape(expr("f()")) == ("call", "f")


def test_redundant_parentheses_leave_no_node() -> None:
    assert shape(expr("((((a))))")) == "a"


# --------------------------------------------------------------------------- statements


def test_dangling_else_binds_to_innermost_if() -> None:
    (outer,) = stmts("if a then if b then x else y")
    assert outer.data == "if_stmt"
    assert len(outer.children) == 2  # condition, then-branch: no else of its own
    inner = outer.children[1]
    assert inner.data == "if_stmt"
    assert shape(inner) == ("if_stmt", "b", ("call_stmt", "x"), ("call_stmt", "y"))


def test_else_after_if_in_case_branch_belongs_to_the_if() -> None:
    (case,) = stmts("case v of 1: if a then x else y; end")
    assert case.data == "case_stmt"
    assert len(find_all(case, "case_else")) == 0
    branch = find_all(case, "case_branch")[0]
    assert shape(branch) == ("case_branch", "1", ("if_stmt", "a", ("call_stmt", "x"), ("call_stmt", "y")))


def test_case_else_takes_a_statement_list() -> None:
    (case,) = stmts("case true of A: exit; 1, 2..5: ; else x := 1; y := 2; end")
    branches = find_all(case, "case_branch")
    assert shape(branches[0]) == ("case_branch", "A", ("exit_stmt",))
    assert shape(branches[1]) == ("case_branch", "1", ("range", "2", "5"), None)
    (case_else,) = find_all(case, "case_else")
    assert [c.data for c in case_else.children] == ["assignment", "assignment"]


def test_empty_branches_are_none() -> None:
    assert shape(stmts("if Evaluate(x, t) then;")[0]) == ("if_stmt", ("call", "Evaluate", "x", "t"), None)
    assert shape(stmts("if a then else b")[0]) == ("if_stmt", "a", None, ("call_stmt", "b"))
    assert shape(stmts("while a do;")[0]) == ("while_stmt", "a", None)


def test_stray_semicolons_are_legal() -> None:
    assert [s.data for s in stmts(";; x := 1;; begin ; end; ;")] == ["assignment", "block"]


def test_statement_kinds() -> None:
    text = """
        x += 1; x -= 1; x *= 2; x /= 2;
        for i := 1 to 10 do ; for i := 10 downto 1 do ;
        foreach n in Names do Message(n);
        repeat i += 1 until i > 3;
        with Rec do Modify;
        exit; exit(); exit(1);
        asserterror Error('x');
        break; continue; Rec.Modify; Rec.Modify(true)
    """
    kinds = [s.data for s in stmts(text)]
    assert kinds == ["assignment"] * 4 + ["for_stmt", "for_stmt", "foreach_stmt", "repeat_stmt", "with_stmt"] + [
        "exit_stmt"] * 3 + ["asserterror_stmt"] + ["call_stmt"] * 4
    for_down = stmts("for i := 10 downto 1 do ;")[0]
    assert [str(c) for c in for_down.children if isinstance(c, Token)] == ["downto"]


# --------------------------------------------------------------------------- keywords as names


def test_contextual_keywords_are_names() -> None:
    tree = parse_ok("""
        codeunit 1 X
        {
            var
                Page: Integer;
                Label: Text;
                Key: Variant;
                Interface: Interface "Demo";
            procedure Label(Value: Text; Description: Text): Text
            begin
                Page.Run(Page::"Customer Card");
                Key := Value;
                exit(Description);
            end;
        }
    """)
    var_names = [str(d.children[0].children[0]) for d in find_all(tree, "var_decl")]
    assert var_names == ["Page", "Label", "Key", "Interface"]
    procedure = find_all(tree, "procedure_header")[0]
    assert shape(procedure.children[0]) == "Label"
    call = find_all(tree, "call")[0]
    assert shape(call.children[0]) == ("member_access", "Page", ("member_name", "Run"))


def test_reserved_words_are_members_after_dot_and_scope() -> None:
    assert shape(expr("Rec.Begin.End::Then")) == (
        "scope_access", ("member_access", ("member_access", "Rec", ("member_name", "Begin")),
                         ("member_name", "End")), ("member_name", "Then"))


def test_reserved_words_are_never_names() -> None:
    for word in ("begin", "If", "THEN", "temporary", "this"):
        message, _ = parse_error(f"codeunit 1 X {{ var {word}: Integer; }}")
        assert message.startswith(f"unexpected '{word}'")


def test_reserved_words_match_the_grammar() -> None:
    rule = re.search(r"^_reserved:(.*?)\n\n", grammar_text(), re.S | re.M)
    assert rule is not None
    in_grammar = {w.strip().lower() for w in rule.group(1).replace("\n", " ").split("|")}
    assert in_grammar == set(RESERVED_WORDS)


def test_keywords_are_case_insensitive() -> None:
    tree = parse_ok("CODEUNIT 1 X { PROCEDURE P(); BEGIN IF A THEN EXIT ELSE b := NOT c; END; }")
    assert len(find_all(tree, "if_stmt")) == 1


def test_element_kinds_and_bodyless_moves() -> None:
    tree = parse_ok("""
        pageextension 1 X extends Y
        {
            layout
            {
                moveafter(Name; "Phone No.", "E-Mail")
                addafter(Name) { field(Flag; Rec.Flag) { Visible = false; } }
                label(is) { }
            }
        }
    """)
    elements = find_all(tree, "element")
    kinds = [str(e.children[0].children[0]) for e in elements]
    assert kinds == ["layout", "moveafter", "addafter", "field", "label"]
    move = elements[1]
    assert len(move.children) == 2  # name and arguments, no body


# --------------------------------------------------------------------------- declarations and properties


def test_object_level_var_sections_are_flat() -> None:
    tree = parse_ok("""
        codeunit 1 X
        {
            var
                A: Integer;
                [NonDebuggable]
                B: Text;
            protected var
                C: Boolean;
            [EventSubscriber(ObjectType::Table, Database::Customer, 'OnAfterInsertEvent', '', false, false)]
            local procedure P()
            begin
            end;
        }
    """)
    members = tree.children[0].children[3:]  # after kind, id and name
    assert [m.data for m in members] == [
        "var_marker", "var_decl", "attribute", "var_decl", "var_marker", "var_decl", "attribute",
        "procedure_def"]
    assert members[4].children[0].type == "PROTECTED"
    assert members[0].children == [None]


def test_types() -> None:
    tree = parse_ok("""
        codeunit 1 X
        {
            var
                A: Record "Sales Header" temporary;
                B: array[2, 3] of Record X temporary;
                C: Dictionary of [Text, Dictionary of [Text, List of [Integer]]];
                D: Option ,,"Web Service",,;
                E: Label 'Hi %1', Comment = '%1 = name', Locked = true, MaxLength = 10;
                F: TextConst ENU = 'a', DEU = 'b';
                G: Text[100];
                H: Record 380;
                I: Enum Microsoft.Sales.Document."Sales Document Type";
        }
    """)
    types = [d.children[-1] for d in find_all(tree, "var_decl")]
    assert [t.data for t in types] == ["simple_type", "array_type", "generic_type", "option_type", "label_type",
                                       "textconst_type", "simple_type", "simple_type", "simple_type"]
    assert shape(types[0]) == ("simple_type", ("type_name", "Record"), ("type_object", '"Sales Header"'),
                               "temporary")
    assert shape(types[3]) == ("option_type", None, None, '"Web Service"', None, None)
    assert shape(types[7]) == ("simple_type", ("type_name", "Record"), ("type_object", "380"))


def test_precise_and_opaque_properties() -> None:
    tree = parse_ok("""
        page 1 P
        {
            PageType = List;
            SourceTable = Microsoft.Sales.Customer.Customer;
            SourceTableTemporary = true;
            Caption = 'x', Comment = 'y';
            Visible = Step = Step::Intro;
            layout { area(Content) { field(A; Rec.A) { TableRelation = if (T = const(A)) X else Y; } } }
        }
        table 2 T { TableType = Temporary; }
        enum 3 E implements I { DefaultImplementation = I = C, J = D; }
    """)
    kinds = [t.data for t in tree.iter_subtrees_topdown() if t.data.endswith("property")]
    assert kinds == ["name_property", "name_property", "name_property", "property", "expr_property", "property",
                     "name_property", "impl_property"]
    opaque = find_all(tree, "property")[1]
    assert [str(t) for t in opaque.children[1:]] == [
        "if", "(", "T", "=", "const", "(", "A", ")", ")", "X", "else", "Y"]


def test_interface_signatures_may_omit_semicolons() -> None:
    tree = parse_ok("""
        interface I
        {
            procedure A(X: Integer): Record "Y"
            procedure B(): Text[30]
            procedure C() Result: Boolean;
            [Obsolete('x', '1.0')]
            procedure D()
        }
    """)
    assert len(find_all(tree, "procedure_decl")) == 4
    assert len(find_all(tree, "attribute")) == 1


def test_bracket_after_unterminated_signature_is_a_type_length() -> None:
    # the documented LSQB conflict: shift, so `[..]` right after a return type is its length
    tree = parse_ok("interface I { procedure A(): Text [30] procedure B(); }")
    assert shape(find_all(tree, "simple_type")[0]) == ("simple_type", ("type_name", "Text"), ("type_length", "30"))


def test_grammar_conflicts_are_the_documented_ones() -> None:
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    handler = Collect()
    old_level = lark.logger.level
    lark.logger.addHandler(handler)
    lark.logger.setLevel(logging.DEBUG)
    try:
        build_parser(cache=False, debug=True)
    finally:
        lark.logger.removeHandler(handler)
        lark.logger.setLevel(old_level)
    conflicts = []
    for i, message in enumerate(records):
        found = re.match(r"Shift/Reduce conflict for terminal (\w+)", message)
        if found:
            conflicts.append((found.group(1), records[i + 1].strip()))
    assert {terminal for terminal, _ in conflicts} == {"ELSE", "LSQB"}
    for terminal, rule in conflicts:
        expected = "if_stmt" if terminal == "ELSE" else "simple_type"
        assert f"<{expected} :" in rule, (terminal, rule)
    assert not any("Reduce/Reduce" in m for m in records)


# --------------------------------------------------------------------------- errors


def test_semicolon_before_else() -> None:
    message, span = parse_error("codeunit 1 X\n{\n  trigger OnRun()\n  begin\n    if a then b; else c;\n  end;\n}\n")
    assert message == "unexpected 'else'; expected ';', 'end' or a statement"
    assert span == (5, 18, 5, 22)


def test_missing_operator_message() -> None:
    message, span = parse_error("begin if a then b := 1 c; end", "statements")
    assert message == "unexpected name 'c'; expected ';', 'else', 'end' or an operator"
    assert span == (1, 24, 1, 25)


def test_missing_expression_message() -> None:
    message, span = parse_error("x := ;", "statements")
    assert message == "unexpected ';'; expected an expression"
    assert span == (1, 6, 1, 7)


def test_unexpected_end_of_file() -> None:
    message, span = parse_error("codeunit 1 X\n{\n    trigger OnRun()\n    begin\n")
    assert message.startswith("unexpected end of file; expected")
    assert "'end'" in message
    assert span[:2] == (4, 10)


def test_unterminated_text() -> None:
    message, span = parse_error("codeunit 1 X { trigger OnRun() begin\n  Message('abc);\nend; }")
    assert message == "unterminated text: ' has no closing ' on the same line"
    assert span == (2, 11, 2, 12)


def test_unterminated_quoted_name() -> None:
    message, span = parse_error('codeunit 1 "X\n{ }')
    assert message.startswith("unterminated quoted name")
    assert span == (1, 12, 1, 13)


def test_unterminated_comment() -> None:
    message, span = parse_error("codeunit 1 X\n{\n  /* never closed\n  trigger OnRun() begin end;\n}\n")
    assert message == "unterminated comment: '/*' has no closing '*/'"
    assert span == (3, 3, 3, 5)


def test_unknown_character() -> None:
    message, span = parse_error("codeunit 1 X { var a: Integer; } ~")
    assert message.startswith("unexpected")
    assert span[:2] == (1, 34)


def test_unterminated_property_value() -> None:
    message, _ = parse_error("table 1 T { fields { field(1; A; Integer) { Caption = 'x' } } }")
    assert message == "unexpected '}'; expected ';' or more of the property value"


@pytest.mark.parametrize("text", ["", "}", "\x00", "begin", "codeunit", "'", '"', "/*", "@'x", "é ü"])
def test_never_raises(text: str) -> None:
    result = parse_source(text, "x.al")
    assert isinstance(result, ParseResult)
    if text == "":
        assert result.tree is not None
    else:
        assert result.tree is None and len(result.findings) == 1


# --------------------------------------------------------------------------- limits, spans, tokens, cache


def test_deep_parentheses() -> None:
    depth = 10_000
    tree = expr("(" * depth + "a" + ")" * depth)
    assert shape(tree) == "a"


def test_long_operator_chain() -> None:
    terms = 20_000
    tree = expr(" + ".join(["a"] * terms))
    assert tree.data == "additive"
    assert len(tree.children) == 2 * terms - 1


def test_deep_nesting_of_blocks_does_not_raise() -> None:
    depth = 3_000
    result = parse_source("begin " * depth + "end " * depth, "x.al", "statements")
    assert result.findings == ()


def test_positions_are_propagated() -> None:
    tree = parse_ok("codeunit 1 X\n{\n    procedure P()\n    begin\n    end;\n}\n")
    procedure = find_all(tree, "procedure_def")[0]
    assert (procedure.meta.line, procedure.meta.column) == (3, 5)
    assert (procedure.meta.end_line, procedure.meta.end_column) == (5, 8)


def test_multiline_text_positions() -> None:
    (stmt,) = stmts("x := @'a\nb''\nc';\ny := 1")[:1]
    literal = find_all(stmt, "literal")[0]
    token = literal.children[0]
    assert token.type == "ML_STRING"
    assert (token.line, token.column, token.end_line, token.end_column) == (1, 6, 3, 3)
    after = stmts("x := @'a\nb''\nc';\ny := 1")[1]
    assert (after.meta.line, after.meta.column) == (4, 1)


def test_literal_tokens() -> None:
    kinds = [t.type for t in tokenize("1 1.5 10000L 20240101D 0D 120000T 235959.999T 0DT 'a''b' true")]
    assert kinds == ["INTEGER_LIT", "DECIMAL_LIT", "BIGINT_LIT", "DATE_LIT", "DATE_LIT", "TIME_LIT", "TIME_LIT",
                     "DATETIME_LIT", "STRING", "TRUE"]
    assert [t.type for t in tokenize("1..5")] == ["INTEGER_LIT", "DOTDOT", "INTEGER_LIT"]


def test_tokenize_skips_comments_and_reads_keywords() -> None:
    tokens = list(tokenize("BEGIN // note\n x := Page; /* c */ END"))
    assert [t.type for t in tokens] == ["BEGIN", "IDENT", "ASSIGN", "PAGE", "SEMICOLON", "END"]
    assert (tokens[1].line, tokens[1].column) == (2, 2)


def test_unwritable_cache_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("PBTLINT_CACHE_DIR", str(blocker / "cache"))
    parser = build_parser()
    assert parser.parse("codeunit 1 X { }", start="compilation_unit").data == "compilation_unit"


def test_cache_file_is_written_and_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PBTLINT_CACHE_DIR", str(tmp_path))
    build_parser()
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and files[0].stat().st_size > 0
    parser = build_parser()
    assert parser.parse("x := 1", start="statements").data == "statements"


# --------------------------------------------------------------------------- corpus runner


def test_corpus_runner_on_fixtures(capsys: pytest.CaptureFixture[str]) -> None:
    from pbtlint.corpus import main

    assert main([str(FIXTURES)]) == 0
    out = capsys.readouterr().out
    assert f"files: {len(FIXTURE_FILES)}" in out
    assert "failures: 0" in out


def test_corpus_runner_reports_failures_and_uses_app_symbols(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from pbtlint.corpus import main

    app = tmp_path / "app"
    (app / "src").mkdir(parents=True)
    (app / "app.json").write_text('{"preprocessorSymbols": ["DEMO"]}', encoding="utf-8")
    (app / "src" / "Good.Codeunit.al").write_text(
        "codeunit 1 A\n{\n#if DEMO\n    procedure P()\n#else\n    procedure P(\n#endif\n    begin\n    end;\n}\n",
        encoding="utf-8")
    (app / "src" / "Marked.Codeunit.al").write_text(
        "codeunit 2 B\n{\n    var\n        x: [|Integer|];\n}\n", encoding="utf-8")
    (app / "src" / "Broken.Codeunit.al").write_text("codeunit 3 C\n{\n    trigger OnRun()\n    begin\n}\n",
                                                     encoding="utf-8")
    assert main([str(app), "--strip-markers", "--jobs", "2"]) == 1
    out = capsys.readouterr().out.splitlines()
    failures = [line for line in out if line.startswith(str(app))]
    assert len(failures) == 1
    assert failures[0].startswith(str(app / "src" / "Broken.Codeunit.al") + "(5,1): unexpected '}'")
    assert "files: 3" in out[-1] and "failures: 1" in out[-1]
    # without the app's symbol the #else branch is taken, which does not parse
    assert main([str(app), "--strip-markers", "--symbols", ""]) == 1
    out = capsys.readouterr().out
    assert "Good.Codeunit.al" in out
    # without stripping, the LinterCop markers are syntax errors
    assert main([str(app / "src"), "--symbols", "DEMO"]) == 1
    assert "Marked.Codeunit.al" in capsys.readouterr().out


# --------------------------------------------------------------------------- real code (optional)

# The one file of these corpora that is really broken (a missing `end;`).
KNOWN_BROKEN = "ERMPurchaseReportsIII.Codeunit.al"


@pytest.mark.corpus
@pytest.mark.parametrize("variable, markers", [
    ("PBTLINT_CORPUS_BCAPPS", False),
    ("PBTLINT_CORPUS_ALAPPEXTENSIONS", False),
    ("PBTLINT_CORPUS_NPCORE", False),
    ("PBTLINT_CORPUS_LINTERCOP", True),
])
def test_corpus_sample_parses(variable: str, markers: bool) -> None:
    import os

    from pbtlint.corpus import al_files, parse_file

    root = os.environ.get(variable)
    if not root:
        pytest.skip(f"{variable} is not set: real code not parsed (run python -m pbtlint.corpus for all of it)")
    paths = al_files(Path(root))
    sample = paths[:: max(1, len(paths) // 300)]
    failures = [f"{o.path}: {f.message}" for o in (parse_file(p, None, markers) for p in sample)
                for f in o.findings if not o.path.endswith(KNOWN_BROKEN)]
    assert failures == []
