"""The one-pass parser (pbtlint.astparse) builds exactly the AST that Lark's parse tree plus the
transformer builds: same nodes, same spans, same syntax errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from lark import Token

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


def _one_pass(text: str, source: str, start: str = "compilation_unit") -> object:
    """The driver alone: raises instead of handing the text to the plain parser, so a test that
    compares its result knows the one-pass path built it."""
    return astparse.get_ast_parser().parse(text, AstBuilder(source), start)


def _preprocessed(path: Path) -> str | None:
    source = read_source(path, path.name)
    return None if source.text is None else preprocess(source.text, (), path.name).text


@pytest.mark.parametrize("path", AL_FILES, ids=lambda p: str(p.relative_to(ROOT / "fixtures")))
def test_whole_files_and_skeletons_give_the_two_pass_ast(path: Path) -> None:
    text = _preprocessed(path)
    if text is None:
        pytest.skip("the file cannot be read as text (an encoding fixture)")
    plain, errors = _two_pass(text, text)
    assert parse_to_ast(text, "f.al") == (plain, errors)
    if plain is not None:  # the fixtures of syntax errors go to the plain parser, on purpose
        assert _one_pass(text, text) == plain
    skeleton = elide(text, [(a, b) for a, b in body_ranges(text) if not text[a:b].isspace()])
    skeleton = elide(skeleton, property_ranges(skeleton))
    plain, errors = _two_pass(skeleton, text)
    assert parse_to_ast(skeleton, "f.al", text) == (plain, errors)
    if plain is not None:
        assert _one_pass(skeleton, text) == plain


@pytest.mark.parametrize("path", AL_FILES, ids=lambda p: str(p.relative_to(ROOT / "fixtures")))
def test_a_skeleton_without_its_comments_gives_the_same_ast(path: Path) -> None:
    """The skeleton parse blanks comments too (outside the properties it drops): the tree is the same."""
    text = _preprocessed(path)
    if text is None:
        pytest.skip("the file cannot be read as text (an encoding fixture)")
    skeleton = elide(text, [(a, b) for a, b in body_ranges(text) if not text[a:b].isspace()])
    kept = elide(skeleton, property_ranges(skeleton))
    blanked = elide(skeleton, property_ranges(skeleton, comments=True))
    assert parse_to_ast(blanked, "f.al", text) == parse_to_ast(kept, "f.al", text)
    if "//" in kept:
        assert blanked != kept


def test_every_start_symbol() -> None:
    for start, text in (("statements", "a := 1; if b then c() else d[1] := e.f(g, 'x')"),
                        ("expression", "-(a + b) * c div 2 in [1, 3..5] ? x : y"),
                        ("block", "begin repeat x += 1 until x > 10; exit(x) end")):
        assert _one_pass(text, text, start) == _two_pass(text, text, start)[0]


def test_spans_reach_over_tokens_the_tree_drops() -> None:
    text = "codeunit 1 X\n{\n    procedure P()\n    begin\n        Y := (A + B);\n    end;\n}\n"
    unit = _one_pass(text, text)
    assign = unit.objects[0].procedures[0].body.statements[0]
    # the parenthesised value is the `+` node, which starts at `A`, while the assignment covers `)`
    assert (assign.span.column, assign.span.end_column) == (9, 21)
    assert (assign.value.span.column, assign.value.span.end_column) == (15, 20)
    assert unit == to_ast(parse_source(text, "f.al").tree, text)


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
        with pytest.raises(astparse._NoParse):
            _one_pass(text, text)
    else:  # an empty file is an empty compilation unit
        assert _one_pass(text, text) == fast[0]


def test_a_builder_failure_is_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(self, meta, children):  # noqa: ANN001, ANN202 - stands in for a builder method
        raise ValueError("boom")

    monkeypatch.setitem(astparse.rule_methods(), "name", explode)
    patched = astparse.AstParser(get_parser())
    monkeypatch.setattr(astparse, "get_ast_parser", lambda: patched)
    with pytest.raises(ValueError, match="boom"):
        parse_to_ast("codeunit 1 X\n{\n}\n", "f.al")


def test_a_child_handed_up_where_lark_would_place_it_otherwise_goes_to_the_plain_parser() -> None:
    token = Token("IDENT", "x", 5, 1, 6, 1, 7, 6)
    node = object()
    placed = (1, 5, 4, 1, 8, 7)
    astparse._check_handed_up(1, node, [token, node, token], [placed, placed, placed])  # a node with a place
    for value, spans in ((token, [placed, placed, placed]), (node, [placed, None, placed])):
        with pytest.raises(astparse._NoParse):
            astparse._check_handed_up(1, value, [token, value, token], spans)
    with pytest.raises(astparse._NoParse):  # the stand-ins could not tell which child: a bare token
        astparse._check_handed_up(-1, token, [token, token], [placed, placed])
    astparse._check_handed_up(-1, node, [node, node], [placed, placed])
