"""Skeleton parsing (pbtlint.elide, pbtlint.skeleton): a file with its bodies and unread properties left
out, plus its bodies parsed one by one and put back, is the file's own tree."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pbtlint import nodes as n
from pbtlint.elide import KEPT_PROPERTIES, body_ranges, elide, property_ranges, splice
from pbtlint.frontend import parse_file, parse_text
from pbtlint.nodes import norm
from pbtlint.skeleton import body_nodes, keeping_reads, parse_bodies, parse_in_parts, parse_skeleton

ROOT = Path(__file__).resolve().parent.parent
AL_FILES = sorted(p for p in (ROOT / "fixtures").rglob("*.al") if "encoding" not in p.parts)


def _kept_properties_only(unit: n.CompilationUnit) -> n.CompilationUnit:
    def props(ps: tuple[n.Property, ...]) -> tuple[n.Property, ...]:
        return tuple(p for p in ps if norm(p.name) in KEPT_PROPERTIES)

    def element(e: n.Element) -> n.Element:
        return dataclasses.replace(e, properties=props(e.properties), children=tuple(element(c) for c in e.children))

    return dataclasses.replace(unit, objects=tuple(
        dataclasses.replace(o, properties=props(o.properties), sections=tuple(element(s) for s in o.sections))
        for o in unit.objects))


def _inside(text: str) -> list[str]:
    return [text[a:b] for a, b in body_ranges(text)]


def test_bodies_are_found_between_top_level_begin_and_its_end() -> None:
    text = """codeunit 50100 X
{
    procedure A()
    var
        T: Label 'begin end case';
    begin
        case B of
            1: begin Msg('end'); end;
        end; // end
        /* begin */ "End" := 1;
    end;

    trigger OnRun() begin end;
}
"""
    inside = _inside(text)
    assert len(inside) == 2
    assert inside[0].strip().startswith("case B of") and inside[0].rstrip().endswith('"End" := 1;')
    assert inside[1] == " "


def test_elide_keeps_every_position() -> None:
    text = "a\n  begin\n    x := 'é';\n  end;\n"
    ranges = body_ranges(text)
    out = elide(text, ranges)
    assert len(out) == len(text) and out.count("\n") == text.count("\n")
    assert "x" not in out and out.startswith("a\n  begin") and out.endswith("end;\n")


def test_unread_properties_go_and_label_comments_stay() -> None:
    text = """page 50100 P
{
    Caption = 'A; B';
    SourceTable = Customer;
    ApplicationArea = All;
    var
        L: Label 'x',
            Comment = 'kept; it continues the label';
}
"""
    cut = [text[a:b] for a, b in property_ranges(text)]
    assert cut == ["Caption = 'A; B';", "ApplicationArea = All;"]


# The block-word scan as it was before each branch began with one character (one case-insensitive
# alternation behind a lookahead): the same ranges on all 54,966 .al files named below.
_REFERENCE_WORDS = re.compile(
    r"""(?=['"/bce])(?:'(?:[^']|'')*'?|"(?:[^"\n]|"")*"?|//[^\n]*|/\*.*?(?:\*/|\Z)"""
    r"""|(?<![\w"])(begin|end|case)(?![\w"]))""",
    re.IGNORECASE | re.DOTALL,
)


def _reference_body_ranges(text: str) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    depth = start = 0
    for m in _REFERENCE_WORDS.finditer(text):
        w = (m.group(1) or "").lower()
        if w == "end" and depth:
            depth -= 1
            if depth == 0:
                out.append((start, m.start()))
        elif w == "begin" or (w == "case" and depth):
            start = m.end() if depth == 0 else start
            depth += 1
    return out


_BODY_PIECES = [*" \n;x_\"'/*", "begin", "BEGIN", "Begin", "end", "END", "case", "Case", "xbegin", "begin2", '"end"',
                "'end'", "// end\n", "/* begin */", "ends", "procedure P()", "ſ", "'open"]


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(_BODY_PIECES), max_size=30).map("".join))
@example("procedure P() begin case x of 1: begin end; end; end;")
@example('begin ""end x; end')  # a word right after a quoted name is part of a name
def test_body_ranges_are_those_of_the_reference_scan(text: str) -> None:
    assert body_ranges(text) == _reference_body_ranges(text)


# The scan as it was before each of its branches began with one character (a lookbehind found
# property names): the same ranges on all 54,966 .al files of BCApps, npcore, ALAppExtensions and
# the fixtures, skeletons and whole texts; here on random text.
_REFERENCE_SCAN = re.compile(
    r"""'(?:[^']|'')*'?|"(?:[^"\n]|"")*"?|//[^\n]*|/\*.*?(?:\*/|\Z)"""
    r"""|(?<=[;{}\n])([ \t]*)([A-Za-z_]\w*)[ \t]*=(?!=)|([;{}])""",
    re.DOTALL,
)


def _reference_property_ranges(text: str) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    last, start = "{", -1
    for m in _REFERENCE_SCAN.finditer(text):
        if m.group(2) is not None:
            if start < 0 and last in ";{}" and m.group(2).lower() not in KEPT_PROPERTIES:
                start = m.start(2)
            last = "="
        elif m.group(3) is not None:
            if m.group(3) == ";" and start >= 0:
                out.append((start, m.end()))
                start = -1
            last = m.group(3)
        elif not m.group(0).startswith(("//", "/*")):
            last = "x"
    return out


# pieces of declarations, and of what can hide or look like them: text, quoted names, comments
_PIECES = [*"aC_9 \t\n;{}='\"/*", "Caption", "SourceTable", " = ", "==", "//", "/*", "*/", "''", '""', "\n    ",
           "'x;'", '"y;"', "// c\n", "/* c */", "\n    Caption = 'v';", "'open", '"open']


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=30).map("".join))
@example('{ "q"\n    Caption = \'v\'; }')  # a quoted name before a line's name: no property
@example("{ /* c */\n    Caption = 'v'; }")  # a comment between changes nothing
@example("{ x\n  Caption = 'v';\n  SourceTable = T;\n  ToolTip='t' }")
def test_property_ranges_are_those_of_the_reference_scan(text: str) -> None:
    assert property_ranges(text) == _reference_property_ranges(text)


@pytest.mark.parametrize("path", AL_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_skeleton_plus_bodies_is_the_whole_tree(path: Path) -> None:
    whole = parse_file(path)
    skeleton, elided = parse_skeleton(path, str(path), ())
    if skeleton.unit is None:  # the skeleton did not parse: the whole file's parse, with its finding
        assert whole.unit is None and skeleton.findings == whole.findings
        return
    procs = body_nodes(skeleton.unit)
    keys = sorted(elided)
    spans = [(procs[k].body.span.line, procs[k].body.span.column, procs[k].body.span.end_line,  # type: ignore[union-attr]
              procs[k].body.span.end_column) for k in keys]  # type: ignore[union-attr]
    blocks = parse_bodies(path, str(path), (), spans)
    if whole.unit is None:  # the error is inside a body: that body does not parse on its own either
        assert None in blocks
        return
    assert skeleton.findings == whole.findings
    assert all(b is not None for b in blocks)
    rebuilt = splice(skeleton.unit, dict(zip(keys, blocks, strict=True)))  # type: ignore[arg-type]
    assert rebuilt == _kept_properties_only(whole.unit)


def test_a_body_that_does_not_parse_is_none(tmp_path: Path) -> None:
    path = tmp_path / "X.Codeunit.al"
    path.write_text("codeunit 50100 X\n{\n    procedure A()\n    begin\n        if then;\n    end;\n}\n")
    skeleton, elided = parse_skeleton(path, "X.Codeunit.al", ())
    assert skeleton.unit is not None and len(elided) == 1  # the skeleton does not see inside the body
    assert parse_bodies(path, "X.Codeunit.al", (), [(4, 5, 6, 8)]) == [None]
    assert parse_text(path.read_text(), "X").unit is None


def test_a_file_in_parts_keeps_what_parses_and_marks_the_body_that_does_not(tmp_path: Path) -> None:
    """--full-parse: a file that does not parse in one piece is the skeleton with each body parsed on its
    own; one that does not parse is an unparsed block with its syntax error, the others are there."""
    path = tmp_path / "X.Codeunit.al"
    path.write_text("codeunit 50100 X\n{\n    procedure A()\n    begin\n        if then;\n    end;\n\n"
                    "    procedure B()\n    begin\n        Commit();\n    end;\n}\n")
    whole = parse_file(path, (), "X")
    assert whole.unit is None
    parts = parse_in_parts(path, (), "X")
    assert parts.unit is not None
    a, b = parts.unit.objects[0].procedures
    assert isinstance(a.body, n.UnparsedBlock) and a.body.statements == ()
    assert (a.body.span.line, a.body.span.end_line) == (4, 6)
    assert type(b.body) is n.Block and len(b.body.statements) == 1
    assert [(f.rule_id, f.location.span.line) for f in parts.findings] == [("PBT0000", 5)]
    assert a.body.message == parts.findings[0].message == whole.findings[0].message


def test_a_file_in_parts_is_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole parse, the skeleton and the bodies of a file that does not parse in one piece share one
    read of it."""
    import pbtlint.skeleton as skeleton_module
    from pbtlint import source as source_module

    path = tmp_path / "X.Codeunit.al"
    path.write_text("codeunit 50100 X\n{\n    procedure A()\n    begin\n        if then;\n    end;\n\n"
                    "    procedure B()\n    begin\n        Commit();\n    end;\n}\n")
    reads: list[object] = []
    real = source_module.read_source

    def counted(*args: object, **kwargs: object) -> object:
        reads.append(args[0])
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(skeleton_module, "read_source", counted)
    parts = parse_in_parts(path, (), "X")
    assert parts.unit is not None and [f.rule_id for f in parts.findings] == ["PBT0000"]
    assert reads == [path]


def test_a_file_that_parses_in_one_piece_is_not_cut(tmp_path: Path) -> None:
    path = tmp_path / "Z.Codeunit.al"
    path.write_text("codeunit 50100 Z\n{\n    procedure A()\n    begin\n        Commit();\n    end;\n}\n")
    assert parse_in_parts(path, (), "Z") == parse_file(path, (), "Z")


def test_a_skeleton_that_does_not_parse_falls_back_to_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "Y.Codeunit.al"
    path.write_text("codeunit 50100 Y\n{\n    var\n        X Integer;\n    procedure A()\n    begin\n        X := 1;\n    end;\n}\n")
    skeleton, elided = parse_skeleton(path, "Y", ())
    assert elided == frozenset()
    assert skeleton.findings == parse_file(path, (), "Y").findings and skeleton.findings


def test_comments_outside_the_dropped_properties_are_blanked_too() -> None:
    text = "table 1 T\n{\n    // a comment\n    Caption = 'x'; /* block */\n    DataPerCompany = true // inside\n    ;\n}\n"
    assert [text[a:b] for a, b in property_ranges(text, comments=True)] == [
        "// a comment", "Caption = 'x';", "/* block */", "DataPerCompany = true // inside\n    ;"]
    assert [text[a:b] for a, b in property_ranges(text)] == ["Caption = 'x';", "DataPerCompany = true // inside\n    ;"]


def test_bodies_are_parsed_from_the_text_read_for_the_skeleton_while_reads_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "X.Codeunit.al"
    path.write_text("codeunit 50100 X\n{\n    procedure A()\n    begin\n        Message('a');\n    end;\n}\n")
    span = (4, 5, 6, 8)
    with keeping_reads():
        skeleton, elided = parse_skeleton(path, "X.Codeunit.al", ())
        assert skeleton.unit is not None and elided == {(4, 5)}
        path.write_text("codeunit 50100 X\n{\n}\n")  # not read again within the block
        (block,) = parse_bodies(path, "X.Codeunit.al", (), [span])
        assert isinstance(block, n.Block) and len(block.statements) == 1
    assert parse_bodies(path, "X.Codeunit.al", (), [span]) == [None]  # forgotten after it: read again
