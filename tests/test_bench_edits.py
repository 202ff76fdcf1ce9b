"""The benchmark's random edits (pbtlint.bench_edits): where they go and what they write."""

from __future__ import annotations

from pathlib import Path

import pytest

from pbtlint import bench_edits

SOURCE = """codeunit 50100 "Edit Me"
{
    Caption = 'Edit me';

    procedure Post(var Rec: Record Customer)
    var
        Total: Decimal;
        "Line No.": Integer;
    begin
        Total := 10;
        Rec.Validate("Line 10", 'abc');
        // Rec.Modify();
        if Total > 0 then
            Rec.Modify(true);
        Rec.Insert();
    end;
}
"""


def test_only_whole_statements_are_chosen() -> None:
    # not the property, the parameter list, the declarations, the comment, nor the statement under ``then``
    assert bench_edits.statement_lines(SOURCE) == [10, 11, 15]


def test_statements_are_chosen_in_bodies_only_and_not_in_comments_or_before_until() -> None:
    text = """codeunit 50100 Loops
{
    local procedure Header();
    begin
        Total += 1;
        repeat
            Count(Total);
        until Rec.Next() = 0;
        /*
        Commented(1);
        */
        Message('Line "2"', 3);
    end;

    local procedure Other();
    var
        X: Integer;
    begin
        X := 1;
    end;
}
"""
    # not the header ending in ';' (outside any body), the line in the block comment, nor `until`
    assert bench_edits.statement_lines(text) == [5, 7, 12, 19]
    assert bench_edits.edited_text(text, 12, "literal").split("\n")[11] == """        Message('Line "2"x', 3);"""


@pytest.mark.parametrize(("kind", "line", "expected"), [
    ("comment", 10, ["        Total := 10; // pbtlint bench edit"]),
    ("comment line", 10, ["        // pbtlint bench edit", "        Total := 10;"]),
    ("literal", 10, ["        Total := 11;"]),
    ("literal", 11, ["""        Rec.Validate("Line 10", 'abcx');"""]),  # the digits in the quoted name stay
    ("statement", 15, ["        Rec.Insert();", "        Rec.Insert();"]),
])
def test_each_kind_changes_the_line_as_described(kind: str, line: int, expected: list[str]) -> None:
    new = bench_edits.edited_text(SOURCE, line, kind)
    assert new is not None
    old_lines, new_lines = SOURCE.split("\n"), new.split("\n")
    assert new_lines[:line - 1] == old_lines[:line - 1]
    assert new_lines[line - 1:line - 1 + len(expected)] == expected
    assert new_lines[line - 1 + len(expected):] == old_lines[line:]


def test_a_line_without_a_literal_takes_no_literal_edit() -> None:
    assert bench_edits.edited_text(SOURCE, 15, "literal") is None


def test_the_plan_is_the_same_for_a_seed_and_kinds_take_turns(tmp_path: Path) -> None:
    files = []
    for i in range(3):
        f = tmp_path / f"File{i}.Codeunit.al"
        f.write_text(SOURCE, encoding="utf-8")
        files.append(f)
    first = bench_edits.plan(files, 6, seed=7)
    assert first == bench_edits.plan(list(reversed(files)), 6, seed=7)
    assert [k for _, _, k in first] == [*bench_edits.KINDS, *bench_edits.KINDS[:2]]
    assert all(line in (10, 11, 15) for _, line, _ in first)


def test_an_edit_is_undone_byte_for_byte(tmp_path: Path) -> None:
    f = tmp_path / "Crlf.Codeunit.al"
    original = b"\xef\xbb\xbf" + SOURCE.replace("\n", "\r\n").encode("utf-8")
    f.write_bytes(original)
    edit = bench_edits.apply(f, 10, "comment line")
    changed = f.read_bytes()
    assert changed.startswith(b"\xef\xbb\xbf") and b"        // pbtlint bench edit\r\n        Total := 10;\r\n" in changed
    bench_edits.undo(edit)
    assert f.read_bytes() == original


def test_the_summary_gives_each_paths_median_and_maximum() -> None:
    lines = bench_edits.summary([("same-trees", 1.0), ("closure", 5.0), ("same-trees", 3.0), ("closure", 3.0),
                                 ("same-trees", 2.0)], cold=10.0)
    assert lines == ["  same-trees: 3 edits, median 2.00 s (0.200x), max 3.00 s (0.300x)",
                     "  closure: 2 edits, median 4.00 s (0.400x), max 5.00 s (0.500x)"]  # two: their mean
