"""The one-pass parser (pbtlint.astparse) builds exactly the AST that Lark's parse tree plus the
transformer builds: same nodes, same spans, same syntax errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from pbtlint import astparse
from pbtlint.astparse import parse_to_ast
from pbtlint.elide import body_ranges, elide, property_ranges
from pbtlint.parser import get_parser, parse_source
from pbtlint.preprocessor import preprocess
from pbtlint.source import read_source
from pbtlint.transform import AstBuilder, to_ast

ROOT = Path(__file__).resolve().parent.parent
AL_FILES = sorted(p for p in (ROOT / "fixtures").rglob("*.al"))


def _two_pass(text: str, source: str, start: str = "compilation_unit") -> tuple[object, tuple]:
    result = parse_source(text, "f.al", start)
    if result.tree is None:
        return None, result.findings
    return AstBuilder(source).transform(result.tree), result.findings


def _preprocessed(path: Path) -> str | None:
    source = read_source(path, path.name)
    return None if source.text is None else preprocess(source.text, (), path.name).text


@pytest.mark.parametrize("path", AL_FILES, ids=lambda p: str(p.relative_to(ROOT / "fixtures")))
def test_whole_files_and_skeletons_give_the_two_pass_ast(path: Path) -> None:
    text = _preprocessed(path)
    if text is None:
        pytest.skip("the file cannot be read as text (an encoding fixture)")
    assert parse_to_ast(text, "f.al") == _two_pass(text, text)
    skeleton = elide(text, [(a, b) for a, b in body_ranges(text) if not text[a:b].isspace()])
    skeleton = elide(skeleton, property_ranges(skeleton))
    assert parse_to_ast(skeleton, "f.al", text) == _two_pass(skeleton, text)


def test_every_start_symbol() -> None:
    for start, text in (("statements", "a := 1; if b then c() else d[1] := e.f(g, 'x')"),
                        ("expression", "-(a + b) * c div 2 in [1, 3..5] ? x : y"),
                        ("block", "begin repeat x += 1 until x > 10; exit(x) end")):
        fast, errors = parse_to_ast(text, "f.al", start=start)
        assert errors == ()
        assert fast == _two_pass(text, text, start)[0]


def test_spans_reach_over_tokens_the_tree_drops() -> None:
    unit, _ = parse_to_ast("codeunit 1 X\n{\n    procedure P()\n    begin\n        Y := (A + B);\n    end;\n}\n", "f.al")
    assign = unit.objects[0].procedures[0].body.statements[0]
    # the parenthesised value is the `+` node, which starts at `A`, while the assignment covers `)`
    assert (assign.span.column, assign.span.end_column) == (9, 21)
    assert (assign.value.span.column, assign.value.span.end_column) == (15, 20)
    assert unit == to_ast(parse_source(
        "codeunit 1 X\n{\n    procedure P()\n    begin\n        Y := (A + B);\n    end;\n}\n", "f.al").tree,
        "codeunit 1 X\n{\n    procedure P()\n    begin\n        Y := (A + B);\n    end;\n}\n")


@pytest.mark.parametrize("text", [
    "codeunit 1 X\n{\n    procedure P()\n    begin\n        if a then b; else c;\n    end;\n}\n",
    "codeunit 1 X\n{\n    procedure P()\n    begin\n        a := 'open\n    end;\n}\n",
    "codeunit 1 X\n{\n    procedure P(\n",
    "codeunit 1 X\n{\n    procedure P()\n    begin\n        a := § ;\n    end;\n}\n",
    "",
])
def test_text_that_does_not_parse_gets_the_plain_parsers_errors(text: str) -> None:
    fast = parse_to_ast(text, "f.al")
    assert fast == _two_pass(text, text)
    if text:
        assert fast[0] is None and fast[1]


def test_a_builder_failure_is_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(self, meta, children):  # noqa: ANN001, ANN202 - stands in for a builder method
        raise ValueError("boom")

    monkeypatch.setitem(astparse.rule_methods(), "name", explode)
    patched = astparse.AstParser(get_parser())
    monkeypatch.setattr(astparse, "get_ast_parser", lambda: patched)
    with pytest.raises(ValueError, match="boom"):
        parse_to_ast("codeunit 1 X\n{\n}\n", "f.al")
