"""pbtlint.line_map: trees equal but for their lines, and findings renumbered with them."""

from __future__ import annotations

from pbtlint.astparse import parse_to_ast
from pbtlint.findings import Finding, Location, Severity
from pbtlint.line_map import extend, moved_finding, moved_lines, tree_line_map
from pbtlint.span import Span

SOURCE = """codeunit 50100 "Lines"
{
    procedure First()
    begin
        Message('a');
    end;

    procedure Second()
    begin
        Commit();
    end;
}
"""


def _unit(text: str) -> object:
    unit, _ = parse_to_ast(text, "Lines.Codeunit.al")
    return unit


def test_a_comment_line_added_moves_the_lines_below_it() -> None:
    moved = SOURCE.replace("    procedure Second()", "    // a comment\n\n    procedure Second()")
    mapping = tree_line_map(_unit(SOURCE), _unit(moved))
    assert mapping is not None
    assert mapping[5] == 5 and mapping[8] == 10 and mapping[10] == 12  # above the edit, and below it


def test_a_change_in_what_the_tree_holds_gives_no_map() -> None:
    assert tree_line_map(_unit(SOURCE), _unit(SOURCE.replace("Commit();", "Commit(); Commit();"))) is None
    assert tree_line_map(_unit(SOURCE), _unit(SOURCE.replace("'a'", "'b'"))) is None
    assert tree_line_map(_unit(SOURCE), _unit(SOURCE.replace("        Commit", "          Commit"))) is None  # column
    swapped = SOURCE.replace("First", "Third").replace("Second", "First").replace("Third", "Second")
    assert tree_line_map(_unit(SOURCE), _unit(swapped)) is None


def test_lines_must_keep_their_order() -> None:
    assert extend({1: 1, 5: 7}, {3: 9}) is None  # line 3 would come after line 5
    assert extend({1: 1, 5: 7}, {1: 2}) is None  # line 1 cannot be on two lines
    assert extend({1: 1, 5: 7}, {3: 4}) == {1: 1, 3: 4, 5: 7}


def test_text_lines_move_with_the_tree_lines_around_them() -> None:
    mapping = {3: 3, 6: 6, 8: 10, 11: 13}
    assert moved_lines(mapping, [4, 9, 12, 1]) == [1, 4, 11, 14]
    assert moved_lines(mapping, [7]) is None  # between lines that moved differently: around the edit
    assert moved_lines({5: 3}, [1]) is None  # before the first line of the tree, moved above line 1


def _finding(message: str, line: int, other: str = "Other.al") -> Finding:
    here = Location("Lines.al", Span(line, 9, line, 18))
    return Finding("PBT0002", Severity.ERROR, message, here, related=(Location(other, here.span),),
                   call_path=(here,))


def test_a_finding_moves_with_its_lines_in_the_changed_file_only() -> None:
    moved = moved_finding(_finding("Commit in background code", 10), "Lines.al", {10: 12})
    assert moved is not None
    assert moved.location.span.line == 12 and moved.call_path[0].span.end_line == 12
    assert moved.related[0].span.line == 10  # another file's location stays where it was


def test_a_finding_that_quotes_a_moved_line_or_sits_off_the_tree_is_not_renumbered() -> None:
    assert moved_finding(_finding("reads Results (line 10)", 10), "Lines.al", {10: 12}) is None
    assert moved_finding(_finding("reads Results (line 10)", 10), "Lines.al", {10: 10}) is not None  # not moved
    assert moved_finding(_finding("Commit in background code", 11), "Lines.al", {10: 12}) is None
