"""The AL preprocessor: directive evaluation, position preservation, pragmas, regions and errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from pbtlint.findings import SYNTAX_ERROR
from pbtlint.preprocessor import (
    PragmaImplicitWith,
    PragmaWarning,
    PreprocessResult,
    Region,
    _Preprocessor,
    preprocess,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "preprocessor"


def run(text: str, *symbols: str) -> PreprocessResult:
    result = preprocess(text, symbols, "t.al")
    assert result.text.count("\n") == text.count("\n")
    return result


def kept(text: str, *symbols: str) -> list[str]:
    """The non-empty lines left by the preprocessor, stripped."""
    return [line.strip() for line in run(text, *symbols).text.split("\n") if line.strip()]


def errors(text: str, *symbols: str) -> list[tuple[int, int, str]]:
    result = run(text, *symbols)
    assert all(f.rule_id == SYNTAX_ERROR for f in result.findings)
    return [(f.location.span.line, f.location.span.column, f.message) for f in result.findings]


# --- fast path -------------------------------------------------------------------------------------


def test_text_without_directives_is_returned_as_is() -> None:
    text = "codeunit 1 X\n{\n    var\n        L: Label '#1 of #2';\n}\n"
    result = preprocess(text, ["BC27"], "t.al")
    assert result.text is text
    assert result == PreprocessResult(text)
    empty = preprocess("", [], "t.al")
    assert empty.text == ""
    assert empty.findings == ()


# --- exact output ----------------------------------------------------------------------------------


def test_exact_output_keeps_lines_and_columns() -> None:
    text = (
        "codeunit 1 X\n"
        "{\n"
        "    procedure P()\n"
        "    begin\n"
        "#if BC27\n"
        "        A();   // new\n"
        "#else\n"
        "        B();\n"
        "#endif\n"
        "\tC(); #notadirective\n"
        "    end;\n"
        "}"
    )
    expected_bc27 = "codeunit 1 X\n{\n    procedure P()\n    begin\n\n        A();   // new\n\n\n\n" + (
        "\tC(); #notadirective\n    end;\n}"
    )
    expected_none = "codeunit 1 X\n{\n    procedure P()\n    begin\n\n\n\n        B();\n\n" + (
        "\tC(); #notadirective\n    end;\n}"
    )
    assert run(text, "BC27").text == expected_bc27
    assert run(text).text == expected_none
    assert run(text + "\n").text == expected_none + "\n"


# --- conditions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "symbols", "value"),
    [
        ("A", {"A"}, True),
        ("A", set(), False),
        ("not A", set(), True),
        ("NOT A", {"A"}, False),
        ("not not A", {"A"}, True),
        ("A and B", {"A", "B"}, True),
        ("A AND B", {"A"}, False),
        ("A or B", {"B"}, True),
        ("A Or B", set(), False),
        ("not (BC17 or BC18)", {"BC27"}, True),
        ("not (BC17 or BC18)", {"BC18"}, False),
        ("NOT BC17 and not BC18", set(), True),
        ("NOT BC17 and not BC18", {"BC17"}, False),
        ("A or B and C", {"A"}, True),  # and binds tighter: A or (B and C)
        ("A or B and C", {"B"}, False),
        ("(A or B) and C", {"A"}, False),
        ("not A and B", {"B"}, True),  # not binds tightest: (not A) and B
        ("not (A and B)", {"A"}, True),
        ("((A))", {"A"}, True),
        ("(A or (B and not C)) and D", {"B", "D"}, True),
        ("A_1 or _b", {"_B"}, True),
        ("true", set(), True),
        ("FALSE or A", set(), False),
        ("BC27 // trailing comment", {"BC27"}, True),
        ("BC27 // or true", set(), False),
    ],
)
def test_conditions(condition: str, symbols: set[str], value: bool) -> None:
    text = f"#if {condition}\nYES\n#else\nNO\n#endif\n"
    assert kept(text, *symbols) == (["YES"] if value else ["NO"])
    assert errors(text, *symbols) == []


def test_symbols_and_directive_words_are_case_insensitive() -> None:
    text = "#IF Debug\nA\n#ELSE\nB\n#EndIf\n#if DEBUG\nC\n#endIf\n#If debug\nD\n#ENDIF\n"
    assert kept(text, "DEBUG") == ["A", "C", "D"]
    assert kept(text, "debug") == ["A", "C", "D"]
    assert kept(text) == ["B"]


def test_elif_chain() -> None:
    text = "#if A\nA\n#elif B\nB\n#ELIF C\nC\n#else\nNONE\n#endif\n"
    assert kept(text, "A", "B", "C") == ["A"]
    assert kept(text, "B", "C") == ["B"]
    assert kept(text, "C") == ["C"]
    assert kept(text) == ["NONE"]


def test_nesting() -> None:
    text = (
        "#if OUTER\n"
        "o1\n"
        "#if INNER\n"
        "i1\n"
        "#else\n"
        "i2\n"
        "#endif\n"
        "o2\n"
        "#else\n"
        "#if INNER\n"
        "e1\n"
        "#elif not INNER\n"
        "e2\n"
        "#else\n"
        "e3\n"
        "#endif\n"
        "#endif\n"
        "after\n"
    )
    assert kept(text, "OUTER", "INNER") == ["o1", "i1", "o2", "after"]
    assert kept(text, "OUTER") == ["o1", "i2", "o2", "after"]
    assert kept(text, "INNER") == ["e1", "after"]
    assert kept(text) == ["e2", "after"]


def test_define_and_undef() -> None:
    text = "#define FEATURE\n#if feature\nA\n#endif\n#undef Feature\n#if FEATURE\nB\n#endif\n"
    assert kept(text) == ["A"]
    assert kept("#undef X\n#if X\nA\n#endif\n", "X") == []
    # a #define in inactive code defines nothing
    assert kept("#if NO\n#define X\n#endif\n#if X\nA\n#endif\n") == []


def test_space_after_hash_indentation_and_trailing_comments() -> None:
    text = "  # region Setup\n\t#  if BC27 // new API\nA\n  #   else\nB\n#endif // BC27\n # endregion\n"
    result = run(text, "BC27")
    assert result.findings == ()
    assert [line.strip() for line in result.text.split("\n") if line.strip()] == ["A"]
    assert result.regions == (Region(1, 7, "Setup"),)


def test_bom_before_first_directive() -> None:
    assert kept("\ufeff#if A\nX\n#endif\n", "A") == ["X"]
    assert kept("\ufeff#if A\nX\n#endif\n") == []


# --- comments and strings hide directives ----------------------------------------------------------


def test_directives_inside_block_comment_are_comment_text() -> None:
    text = "A;\n/* start\n#if X\n#endif\n*/\n#if X\nB;\n#endif\n"
    result = run(text)
    assert result.findings == ()
    assert result.text == "A;\n/* start\n#if X\n#endif\n*/\n\n\n\n"


def test_block_comment_closed_on_same_line_does_not_hide() -> None:
    assert kept("/* one */ A;\n#if X\nB;\n#endif\n") == ["/* one */ A;"]
    assert kept("/* a\n b */ A; /* c */\n#if X\nB;\n#endif\n") == ["/* a", "b */ A; /* c */"]


def test_block_comment_opens_only_outside_strings_and_line_comments() -> None:
    openers = ("L := '/*';", "L := 'it''s /* x';", '"Odd /* name" := 1;', "// see /* here", "X('a', '/*')")
    for opener in openers:
        text = f"{opener}\n#if X\nHIDDEN\n#endif\n"
        assert kept(text) == [opener], opener
        assert errors(text) == []


def test_unterminated_string_ends_at_line_end() -> None:
    assert kept("L := 'open\n/* c\n#if X\n*/\n") == ["L := 'open", "/* c", "#if X", "*/"]


def test_multiline_literal_hides_directives() -> None:
    text = "T := @'line\n#if X\nit''s\n#endif\n';\n#if X\nB;\n#endif\n"
    result = run(text)
    assert result.findings == ()
    assert result.text == "T := @'line\n#if X\nit''s\n#endif\n';\n\n\n\n"


def test_multiline_literal_on_one_line() -> None:
    assert kept("T := @'a''b';\n#if X\nB;\n#endif\n") == ["T := @'a''b';"]


def test_block_comment_in_inactive_code_is_skipped() -> None:
    # "/*" in an inactive branch opens nothing: the #else after it is a directive.
    text = "#if X\n/*\n#else\nA;\n#endif\n"
    assert kept(text) == ["A;"]
    assert errors(text) == []
    text = "#if X\nT := @'\n#else\nA;\n#endif\n"
    assert kept(text) == ["A;"]


def test_comment_after_hash_in_directive_line_does_not_open_block() -> None:
    assert kept("#region /* not opened\nA;\n#endregion\n#if X\nB;\n#endif\n") == ["A;"]


# --- pragmas and regions ---------------------------------------------------------------------------


def test_pragma_warning_lists() -> None:
    text = (
        "#pragma warning disable AA0005, lc0001\n"
        "A;\n"
        "#pragma warning restore AA0005 // done\n"
        "# pragma Warning DISABLE\n"
        "#pragma warning restore\n"
        "#pragma warning disable AA0139,\n"
        "#pragma warning disable AL0432,AL0801\n"
    )
    result = run(text)
    assert result.findings == ()
    assert result.pragmas == (
        PragmaWarning(1, "disable", ("AA0005", "LC0001")),
        PragmaWarning(3, "restore", ("AA0005",)),
        PragmaWarning(4, "disable", ()),
        PragmaWarning(5, "restore", ()),
        PragmaWarning(6, "disable", ("AA0139",)),
        PragmaWarning(7, "disable", ("AL0432", "AL0801")),
    )
    assert result.text == "\nA;\n\n\n\n\n\n"


def test_pragma_implicitwith() -> None:
    result = run("#pragma implicitwith disable\nA;\n#Pragma ImplicitWith Restore\n")
    assert result.findings == ()
    assert result.implicit_with == (PragmaImplicitWith(1, "disable"), PragmaImplicitWith(3, "restore"))
    assert result.pragmas == ()


def test_pragmas_in_inactive_code_are_ignored() -> None:
    result = run(
        "#if X\n#pragma warning disable AA0005\n#pragma bogus\n"
        "#else\n#pragma warning disable LC0001\n#endif\n"
    )
    assert result.findings == ()
    assert result.pragmas == (PragmaWarning(5, "disable", ("LC0001",)),)


def test_regions_nest_and_keep_titles() -> None:
    text = "#region Outer part\n#region Inner\nA;\n#endregion Inner\n#endregion\n#REGION\n#ENDREGION\n"
    result = run(text)
    assert result.findings == ()
    assert result.regions == (Region(1, 5, "Outer part"), Region(2, 4, "Inner"), Region(6, 7, ""))


# --- malformed directives --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ("A;\n  #foo bar\n", 2, 3, "unknown directive '#foo'"),
        ("#if_A\n", 1, 1, "unknown directive '#if_A'"),
        ("#1\n", 1, 1, "must be followed by a directive name"),
        ("#\n", 1, 1, "must be followed by a directive name"),
        ("A;\n#if\nB;\n#endif\n", 2, 1, "missing condition"),
        ("#if A B\n#endif\n", 1, 1, "unexpected 'B'"),
        ("#if (A\n#endif\n", 1, 1, "missing ')'"),
        ("#if A and\n#endif\n", 1, 1, "ends too early"),
        ("#if A && B\n#endif\n", 1, 1, "unexpected character '&'"),
        ("#if A or )\n#endif\n", 1, 1, "unexpected ')'"),
        ("#if A\n#elif\n#endif\n", 2, 1, "#elif: missing condition"),
        ("A;\n\t#else\n", 2, 2, "#else without a matching #if"),
        ("#endif\n", 1, 1, "#endif without a matching #if"),
        ("#elif A\n", 1, 1, "#elif without a matching #if"),
        ("#if A\n#else\n#elif B\n#endif\n", 3, 1, "#elif after #else (the #if is on line 1)"),
        ("#if A\n#else\n#else\n#endif\n", 3, 1, "#else after #else"),
        ("#if A\n#else B\n#endif\n", 2, 1, "unexpected text after #else"),
        ("#if A\n#endif B\n", 2, 1, "unexpected text after #endif"),
        ("A;\n  #if A\nB;\n", 2, 3, "#if without a matching #endif"),
        ("#endregion\n", 1, 1, "#endregion without a matching #region"),
        ("A;\n#region R\nB;\n", 2, 1, "#region without a matching #endregion"),
        ("#pragma foo\n", 1, 1, "unknown #pragma 'foo'"),
        ("#pragma\n", 1, 1, "unknown #pragma;"),
        ("#pragma warning\n", 1, 1, "#pragma warning needs 'disable' or 'restore'"),
        ("#pragma warning enable AA0005\n", 1, 1, "needs 'disable' or 'restore'"),
        ("#pragma warning disable AA 0005\n", 1, 1, "bad warning id 'AA 0005'"),
        ("#pragma implicitwith disable X\n", 1, 1, "unexpected text after #pragma implicitwith"),
        ("#define\n", 1, 1, "#define needs one symbol name"),
        ("#undef A B\n", 1, 1, "#undef needs one symbol name"),
    ],
)
def test_malformed_directives(text: str, line: int, column: int, words: str) -> None:
    found = errors(text, "A")
    assert len(found) == 1, found
    assert found[0][:2] == (line, column)
    assert words in found[0][2]


def test_error_span_covers_the_directive() -> None:
    result = run("  #foo bar  \n")
    (finding,) = result.findings
    span = finding.location.span
    assert (span.line, span.column, span.end_line, span.end_column) == (1, 3, 1, 11)
    assert finding.location.path == "t.al"


def test_recovery_after_errors() -> None:
    # A stray #endif is ignored; the following #if still works; a missing #endif closes at the end.
    text = "A;\n#endif\n#if X\nB;\n#else\nC;\n#bogus\n#if Y\nD;\n"
    result = run(text)
    assert [(f.location.span.line, f.message.split()[0]) for f in result.findings] == [
        (2, "#endif"),
        (3, "#if"),
        (7, "unknown"),
        (8, "#if"),
    ]
    assert result.text == "A;\n\n\n\n\nC;\n\n\n\n"


def test_bad_condition_counts_as_false_and_else_applies() -> None:
    result = run("#if A &&\nA;\n#else\nB;\n#endif\n", "A")
    assert len(result.findings) == 1
    assert result.text == "\n\n\nB;\n\n"


def test_errors_in_inactive_code() -> None:
    # Structure is checked everywhere; other directives in inactive code are skipped text.
    assert errors("#if X\n#pragma nonsense\n#bogus\n#endregion\n#endif\n") == []
    assert [e[:2] for e in errors("#if X\n#else\n#else\n#endif\n")] == [(3, 1)]
    # the condition of a nested #if in inactive code is not evaluated
    assert errors("#if X\n#if (\n#endif\n#endif\n") == []
    assert errors("#if X\n#if A\n#elif (\n#endif\n#endif\n") == []
    # after a true branch an #elif condition is still checked
    assert [e[:2] for e in errors("#if A\n#elif (\n#endif\n", "A")] == [(2, 1)]


# --- fixtures: directives splitting declarations, conditions, attributes, headers ------------------

SYMBOL_SETS = [(), ("BC27",), ("bc27", "BC2700")]


def expected_from_markers(text: str, symbols: tuple[str, ...]) -> str:
    """Lines ending in `// only:BC27` are kept only with BC27, `// only:none` only without, `// never` never;
    directive lines become empty; all other lines stay."""
    has_bc27 = "bc27" in {s.lower() for s in symbols}
    out = []
    for line in text.split("\n"):
        if line.lstrip(" \t\ufeff").startswith("#") and "// only:" not in line and "/*" not in line:
            keep = False
        elif line.endswith("// only:BC27"):
            keep = has_bc27
        elif line.endswith("// only:none"):
            keep = not has_bc27
        else:
            keep = not line.endswith("// never")
        out.append(line if keep else "")
    return "\n".join(out)


FIXTURE_FILES = sorted(FIXTURES.glob("*.al"))


def test_fixtures_exist() -> None:
    assert len(FIXTURE_FILES) >= 8


@pytest.mark.parametrize("symbols", SYMBOL_SETS, ids=lambda s: "+".join(s) or "none")
@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.stem)
def test_fixture(path: Path, symbols: tuple[str, ...]) -> None:
    text = path.read_text(encoding="utf-8")
    result = preprocess(text, symbols, path.name)
    assert result.findings == ()
    if path.stem == "comments_and_strings":
        return  # checked line by line in test_comments_and_strings_fixture
    assert result.text == expected_from_markers(text, symbols)


def test_comments_and_strings_fixture() -> None:
    text = (FIXTURES / "comments_and_strings.al").read_text(encoding="utf-8")
    lines = text.split("\n")
    for symbols in SYMBOL_SETS:
        out = preprocess(text, symbols, "c.al")
        assert out.findings == ()
        assert out.regions == (Region(27, 29, "After the literal"),)
        got = out.text.split("\n")
        assert len(got) == len(lines)
        directive_lines = {17, 19, 21, 27, 29}  # 1-based; those in the block comment and literal stay
        for number, (before, after) in enumerate(zip(lines, got, strict=True), start=1):
            if number in directive_lines:
                assert after == "", number
            elif before.endswith("// only:BC27"):
                assert after == (before if symbols else ""), number
            elif before.endswith("// only:none"):
                assert after == ("" if symbols else before), number
            else:
                assert after == before, number


def test_fixture_object_header_pragmas_and_regions() -> None:
    text = (FIXTURES / "split_object_header.al").read_text(encoding="utf-8")
    result = preprocess(text, ["BC27"], "h.al")
    assert result.pragmas == (
        PragmaWarning(1, "disable", ("AA0137",)),
        PragmaWarning(19, "restore", ("AA0137",)),
    )
    assert result.regions == (Region(13, 17, "Connector"),)


def test_scanning_and_jumping_paths_agree() -> None:
    # preprocess() jumps from directive to directive when the text has no "/*" and no "@'"; the line scanner
    # must give the same answer on such texts.
    samples = [p.read_text(encoding="utf-8") for p in FIXTURE_FILES if p.stem != "comments_and_strings"]
    samples.append("#if A\nx\n#elif B\n#endif\n#endif\n#region\n#pragma warning disable X\n#if")
    for text in samples:
        for symbols in SYMBOL_SETS:
            jump = _Preprocessor(text, symbols, "p.al")
            jumped = jump._run_directives_only()
            jump._finish()
            scan = _Preprocessor(text, symbols, "p.al")
            scanned = scan._run_scanning()
            scan._finish()
            assert jumped == scanned
            assert (jump.findings, jump.pragmas, jump.regions) == (scan.findings, scan.pragmas, scan.regions)
