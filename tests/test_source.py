"""Reading AL files: encodings, line ends, and files that cannot be read, all without exceptions."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pbtlint.findings import SYNTAX_ERROR, Severity
from pbtlint.source import decode_source, read_source
from pbtlint.span import Span

ENCODING = Path(__file__).resolve().parent.parent / "fixtures" / "encoding"
SAMPLE = (ENCODING / "sample.txt").read_bytes().decode("utf-8")


def test_sample_reference_is_plain_lf_utf8() -> None:
    # Guard against an editor or git rewriting the fixtures (they must stay byte-exact).
    assert "\r" not in SAMPLE
    assert SAMPLE.startswith('codeunit 50110 "Größe Test"\n')
    assert "😀" in SAMPLE


@pytest.mark.parametrize(
    ("name", "bom", "encoding"),
    [
        ("utf8.al", b"c", "utf-8"),
        ("utf8-bom.al", b"\xef\xbb\xbf", "utf-8-sig"),
        ("utf16le-bom.al", b"\xff\xfe", "utf-16-le"),
        ("utf16be-bom.al", b"\xfe\xff", "utf-16-be"),
        ("crlf.al", b"c", "utf-8"),
        ("cr.al", b"c", "utf-8"),
    ],
)
def test_encodings_and_line_ends_give_the_same_text(name: str, bom: bytes, encoding: str) -> None:
    path = ENCODING / name
    assert path.read_bytes().startswith(bom)
    source = read_source(path, f"fixtures/{name}")
    assert source.findings == ()
    assert source.path == f"fixtures/{name}"
    assert source.encoding == encoding
    assert source.text == SAMPLE
    assert not source.text.startswith("\ufeff")


def test_columns_are_code_points_after_a_character_outside_the_bmp() -> None:
    # In UTF-16 the emoji is a surrogate pair; the decoded text must still count it as one column.
    for name in ("utf8.al", "utf16le-bom.al", "utf16be-bom.al"):
        text = read_source(ENCODING / name).text
        assert text is not None
        line4 = text.split("\n")[3]
        assert line4 == "        Msg: Label 'Smile 😀 done';"
        assert line4.index("done") + 1 == 29


def test_line_ends_mixed() -> None:
    text, findings = decode_source(b"a\r\nb\rc\nd\r\r\ne\n\r", "x.al")
    assert findings == []
    assert text == "a\nb\nc\nd\n\ne\n\n"


def test_bom_is_removed_once_only() -> None:
    text, findings = decode_source(b"\xef\xbb\xbf\xef\xbb\xbfx", "x.al")
    assert findings == []
    assert text == "\ufeffx"


def test_empty_file_is_valid() -> None:
    source = read_source(ENCODING / "empty.al")
    assert source.text == ""
    assert source.findings == ()
    assert decode_source(b"", "e.al") == ("", [])
    assert decode_source(b"\xef\xbb\xbf", "e.al") == ("", [])


def _only_finding(findings: list | tuple) -> tuple[str, Span, str]:
    assert len(findings) == 1
    finding = findings[0]
    assert finding.rule_id == SYNTAX_ERROR
    assert finding.severity is Severity.ERROR
    return finding.location.path, finding.location.span, finding.message


def test_invalid_utf8_points_at_the_first_bad_byte() -> None:
    source = read_source(ENCODING / "invalid-utf8.al", "bad.al")
    assert source.text is None
    path, span, message = _only_finding(source.findings)
    assert path == "bad.al"
    # line 3 is "    // caf\xe9 in Latin-1": the bad byte is the 11th character (CRLF counted as one line end)
    assert (span.line, span.column) == (3, 11)
    assert "invalid UTF-8 byte 0xE9" in message
    assert "byte offset 31" in message


def test_invalid_utf8_column_counts_code_points_before_it() -> None:
    text, findings = decode_source("x\nä😀".encode() + b"\xff", "x.al")
    assert text is None
    _, span, message = _only_finding(findings)
    assert (span.line, span.column) == (2, 3)
    assert "0xFF" in message


def test_truncated_utf8_sequence_at_end_of_file() -> None:
    text, findings = decode_source(b"abc\xc3", "x.al")
    assert text is None
    _, span, message = _only_finding(findings)
    assert (span.line, span.column) == (1, 4)
    assert "0xC3" in message


def test_invalid_utf16() -> None:
    text, findings = decode_source(b"\xff\xfea\x00\n", "x.al")  # odd number of bytes
    assert text is None
    _, span, message = _only_finding(findings)
    assert (span.line, span.column) == (1, 2)
    assert "UTF-16-LE" in message
    # a lone high surrogate followed by a normal character
    text, findings = decode_source(b"\xfe\xff\x00a\x00\n\xd8\x3d\x00b", "x.al")
    assert text is None
    _, span, _ = _only_finding(findings)
    assert (span.line, span.column) == (2, 1)


def test_nul_byte_is_reported_where_it_is() -> None:
    source = read_source(ENCODING / "nul.al")
    assert source.text is None
    _, span, message = _only_finding(source.findings)
    assert (span.line, span.column) == (3, 8)
    assert message == "file contains a NUL byte; is it a binary file?"


def test_utf16_without_bom_looks_binary() -> None:
    text, findings = decode_source("codeunit".encode("utf-16-le"), "x.al")
    assert text is None
    _, span, message = _only_finding(findings)
    assert (span.line, span.column) == (1, 2)
    assert "NUL" in message


def test_missing_file() -> None:
    source = read_source("/nonexistent/dir/x.al")
    assert source.text is None
    assert source.encoding == ""
    path, span, message = _only_finding(source.findings)
    assert path == "/nonexistent/dir/x.al"
    assert span == Span.point(1, 1)
    assert "No such file or directory" in message


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "Folder.al"
    folder.mkdir()
    source = read_source(folder, "Folder.al")
    assert source.text is None
    path, span, message = _only_finding(source.findings)
    assert (path, span) == ("Folder.al", Span.point(1, 1))
    assert "directory" in message


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="needs POSIX permissions")
def test_unreadable_file(tmp_path: Path) -> None:
    target = tmp_path / "Locked.al"
    target.write_bytes(b"codeunit 1 X { }")
    target.chmod(0)
    try:
        if os.access(target, os.R_OK):
            pytest.skip("running as root (or with CAP_DAC_OVERRIDE): chmod 000 does not stop reading it")
        source = read_source(target, "Locked.al")
    finally:
        target.chmod(0o644)
    assert source.text is None
    _, span, message = _only_finding(source.findings)
    assert span == Span.point(1, 1)
    assert "Permission denied" in message


def test_oversized_file_is_not_read(tmp_path: Path) -> None:
    big = tmp_path / "Big.al"
    big.write_bytes(b"x" * 1001)
    source = read_source(big, "Big.al", max_bytes=1000)
    assert source.text is None
    _, span, message = _only_finding(source.findings)
    assert span == Span.point(1, 1)
    assert message == "file is 1001 bytes, larger than the limit of 1000 bytes"
    # exactly at the limit is fine
    big.write_bytes(b"x" * 1000)
    assert read_source(big, max_bytes=1000).text == "x" * 1000


def test_a_file_longer_than_its_size_said_is_read_whole_up_to_the_limit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the size is read before the bytes: a file that grew in between (or a special file whose size
    # says 0) is read on, and one that grew past the limit is still refused
    import pbtlint.source as source_module

    real_fstat = os.fstat

    class _Shrunk:
        def __init__(self, fd: int) -> None:
            self.st_size = real_fstat(fd).st_size // 3

    monkeypatch.setattr(source_module.os, "fstat", _Shrunk)
    grown = tmp_path / "Grown.al"
    grown.write_bytes(b"codeunit 1 X { }\n" * 50)
    assert read_source(grown).text == "codeunit 1 X { }\n" * 50
    big = tmp_path / "Big.al"
    big.write_bytes(b"x" * 1500)
    source = read_source(big, "Big.al", max_bytes=1000)  # fstat says 500
    assert source.text is None
    assert _only_finding(source.findings)[2] == "file is more than 1000 bytes, larger than the limit"


def test_path_with_nul_does_not_raise() -> None:
    source = read_source("bad\0name.al")
    assert source.text is None
    assert len(source.findings) == 1


def test_permission_error_even_as_root(monkeypatch: pytest.MonkeyPatch) -> None:
    # test_unreadable_file is skipped when running as root; simulate the same OSError here.
    import pbtlint.source as source_module

    def deny(*_args: object, **_kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(source_module, "open", deny, raising=False)
    source = read_source("Locked.al")
    assert source.text is None
    _, span, message = _only_finding(source.findings)
    assert span == Span.point(1, 1)
    assert message == "cannot read file: Permission denied"
