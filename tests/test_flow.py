"""Facts that dominate each evaluated expression."""

from __future__ import annotations

from pbtlint import nodes as n
from pbtlint.flow import always_exits, calls_with_facts
from pbtlint.frontend import parse_text


def calls(statements: str) -> dict[str, list[str]]:
    """Each called name -> the facts at its call, written as `name` or `not name` of the fact's
    expression (calls as their name, comparisons as `left op right`)."""
    text = f"codeunit 50100 T\n{{\n    procedure P()\n    begin\n{statements}\n    end;\n}}\n"
    parsed = parse_text(text, "t.al")
    assert parsed.unit is not None, parsed.findings
    body = parsed.unit.objects[0].procedures[0].body
    out: dict[str, list[str]] = {}
    for call, site in calls_with_facts(body):
        out.setdefault(call.name, []).extend(
            ("" if f.holds else "not ") + describe(f.expr) for f in site.facts
        )
    return out


def describe(e: n.Expr) -> str:
    if isinstance(e, n.Call):
        return e.name
    if isinstance(e, n.Identifier):
        return e.name
    if isinstance(e, n.Binary):
        return f"{describe(e.left)} {e.op} {describe(e.right)}"
    return type(e).__name__


def test_then_else_and_conjunctions() -> None:
    facts = calls(
        "        if ContainsKey(K) and GuiAllowed() then\n            Message('a')\n        else\n            Confirm('b');"
    )
    assert facts["Message"] == ["ContainsKey", "GuiAllowed"]
    assert facts["Confirm"] == ["not ContainsKey and GuiAllowed"]
    assert facts["ContainsKey"] == [] and facts["GuiAllowed"] == []  # no short-circuit in AL


def test_early_exit_dominates_the_rest_of_the_block() -> None:
    facts = calls(
        "        if TaskId <> WaitId then\n            exit;\n        Evaluate(X, Results.Get('K'));\n"
        "        if not GuiAllowed() then\n            exit;\n        Message('x');"
    )
    assert facts["Get"] == ["not TaskId <> WaitId"]
    assert facts["Message"] == ["not TaskId <> WaitId", "GuiAllowed"]


def test_error_in_then_branch_exits_too_but_a_plain_call_does_not() -> None:
    facts = calls(
        "        if not ContainsKey(K) then\n            Error('missing');\n        Get(K);\n"
        "        if not Other(K) then\n            Log();\n        Message('x');"
    )
    assert facts["Get"] == ["ContainsKey"]
    assert facts["Message"] == ["ContainsKey"]


def test_case_branches_give_equalities() -> None:
    facts = calls("        case TaskId of\n            A:\n                Foo();\n            B, C:\n                Bar();\n        end;")
    assert facts["Foo"] == ["TaskId = A"]
    assert facts["Bar"] == ["TaskId in SetLiteral"]


def test_always_exits() -> None:
    text = "codeunit 50100 T\n{\n    procedure P()\n    begin\n        if A then exit else Error('x');\n        begin Foo(); exit(1); end;\n        if A then exit;\n    end;\n}\n"
    parsed = parse_text(text, "t.al")
    assert parsed.unit is not None
    both, block, one = parsed.unit.objects[0].procedures[0].body.statements  # type: ignore[union-attr]
    assert always_exits(both) and always_exits(block) and not always_exits(one)
