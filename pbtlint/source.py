"""Reading AL source files: bytes to text, with problems reported as PBT0000 findings, never raised.

Accepted encodings: UTF-8 with or without a byte order mark, and UTF-16 LE/BE with a byte order mark (the
BOM is removed). Line ends CRLF, LF and lone CR all become ``"\\n"``, so lines are counted as SARIF counts
them, and columns are code points of the returned text. Other characters that Python's ``str.splitlines``
treats as line breaks (form feed, U+2028...) are left alone and do not start lines: split on ``"\\n"``.
"""

from __future__ import annotations

import codecs
import os
from dataclasses import dataclass
from pathlib import Path

from pbtlint.findings import Finding, syntax_error
from pbtlint.span import Span

DEFAULT_MAX_BYTES = 20 * 1024 * 1024

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True, slots=True)
class SourceText:
    """A read file: ``text`` is None when it could not be read or decoded (see ``findings``).

    ``encoding`` is ``utf-8``, ``utf-8-sig`` (UTF-8 with BOM), ``utf-16-le`` or ``utf-16-be``, or ``""``
    when the file could not be read at all.
    """

    path: str
    text: str | None
    encoding: str
    findings: tuple[Finding, ...]


def detect_encoding(data: bytes) -> tuple[str, int]:
    """The encoding of ``data`` from its byte order mark, and the length of that mark."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding, len(bom)
    return "utf-8", 0


def normalize_newlines(text: str) -> str:
    """CRLF and lone CR become LF."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _position(text: str) -> tuple[int, int]:
    """Line and column (1-based, code points) just after ``text`` (already normalized)."""
    line = text.count("\n") + 1
    return line, len(text) - (text.rfind("\n") + 1) + 1


def _decode(data: bytes, path: str) -> tuple[str, str | None, list[Finding]]:
    encoding, bom_length = detect_encoding(data)
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    body = data[bom_length:]
    try:
        text = body.decode(codec)
    except UnicodeDecodeError as e:
        good = normalize_newlines(body[: e.start].decode(codec, errors="replace"))
        line, column = _position(good)
        offset = bom_length + e.start
        if codec == "utf-8":
            message = (
                f"invalid UTF-8 byte 0x{body[e.start]:02X} at byte offset {offset}; "
                "AL files must be UTF-8 or UTF-16 with a byte order mark"
            )
        else:
            message = f"invalid {codec.upper()} data at byte offset {offset} ({e.reason})"
        return encoding, None, [syntax_error(path, Span.point(line, column), message)]
    text = normalize_newlines(text)
    nul = text.find("\0")
    if nul >= 0:
        line, column = _position(text[:nul])
        message = "file contains a NUL byte; is it a binary file?"
        return encoding, None, [syntax_error(path, Span.point(line, column), message)]
    return encoding, text, []


def decode_source(data: bytes, path: str) -> tuple[str | None, list[Finding]]:
    """Decode the bytes of the file ``path``; text is None when they are not valid AL source text."""
    _, text, findings = _decode(data, path)
    return text, findings


def _unreadable(path: str, reason: str) -> SourceText:
    return SourceText(path, None, "", (syntax_error(path, Span.point(1, 1), reason),))


def read_source(
    path: str | Path, display_path: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> SourceText:
    """Read and decode ``path``; findings name it as ``display_path`` (default: ``path`` as given)."""
    return read_source_bytes(path, display_path, max_bytes)[0]


def read_source_bytes(
    path: str | Path, display_path: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[SourceText, bytes | None]:
    """:func:`read_source`, with the bytes the text was decoded from (None when the file could not be
    read or is over the limit), read once: a digest of them is a digest of that very text."""
    shown = display_path if display_path is not None else str(path)
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > max_bytes:
                return _unreadable(shown, f"file is {size} bytes, larger than the limit of {max_bytes} bytes"), None
            # read what the size says and one byte more: asked for the limit, the reader sets aside
            # a buffer of the limit's size for every file (three times as long over the Base Application)
            data = f.read(size + 1)
            if len(data) > size:  # it grew since: read on, up to the limit
                data += f.read(max_bytes + 1 - len(data))
    except IsADirectoryError:
        return _unreadable(shown, "cannot read file: it is a directory"), None
    except OSError as e:
        reason = e.strerror or e.__class__.__name__
        return _unreadable(shown, f"cannot read file: {reason}"), None
    except ValueError as e:  # e.g. an embedded NUL in the path
        return _unreadable(shown, f"cannot read file: {e}"), None
    if len(data) > max_bytes:  # grew while we read it
        return _unreadable(shown, f"file is more than {max_bytes} bytes, larger than the limit"), None
    encoding, text, findings = _decode(data, shown)
    return SourceText(shown, text, encoding, tuple(findings)), data
