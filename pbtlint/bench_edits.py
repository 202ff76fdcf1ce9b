"""Random one-line edits for the benchmark (``--random-edits N``): what a user's edits cost.

The fixed incremental rows of :mod:`pbtlint.bench` each measure one kind of edit at one chosen
place. These edits are spread at random (``--seed``) over statement lines of the files the cold run
parsed, four kinds in turn:

- ``comment``: a comment at the end of the line (no line moves);
- ``comment line``: a comment line added above it (every later line moves);
- ``literal``: its first number or string literal changed (a value the analysis may read);
- ``statement``: the line written twice (new code: a call or an assignment more).

Each edit is undone after its run, so every edit starts from the same sources. The run after an undo
is not timed; it checks that the findings come back. When it found its result cached, the next edit's
run sees two changed files, the one undone and the one edited, as after a user's undo.
"""

from __future__ import annotations

import random
import re
import statistics
from dataclasses import dataclass
from pathlib import Path

from pbtlint.declindex import opaque_ranges
from pbtlint.elide import body_ranges
from pbtlint.span import line_starts

KINDS = ("comment", "comment line", "literal", "statement")

_DECLARATION = re.compile(r'^\s*("[^"]*"|\w+)\s*:\s*[A-Za-z"]')  # Name: Type; (a variable, a parameter)
_ACTS = re.compile(r"[-+*/:]=|\(")  # assigns or calls
_LITERAL = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|\b\d+\b""")  # text, quoted name, number
_OPENS = re.compile(r"(;|\bbegin|\brepeat)\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Edit:
    path: Path
    line: int  # 1-based, before the edit
    kind: str
    original: bytes

    def describe(self) -> str:
        return f"{self.kind}: line {self.line} of {self.path.name}"


def statement_lines(text: str) -> list[int]:
    """Lines (1-based) that hold one whole statement of a procedure body: they end with ``;``, assign
    or call, are no declaration, follow a ``begin``, a ``repeat`` or another statement's ``;``, lie in
    no comment or multi-line text, and do not close a ``repeat`` (``until`` twice would not parse)."""
    lines = text.split("\n")
    starts = line_starts(text)
    bodies = body_ranges(text)
    opaque = list(zip(*opaque_ranges(text), strict=True))  # block comments and multi-line text
    out: list[int] = []
    previous = ""
    for i, raw in enumerate(lines):
        line = raw.rstrip("\r")
        stripped = line.strip()
        first, last = starts[i], starts[i] + len(raw)
        if any(a < last and first < b for a, b in opaque):  # in (or by) a block comment or multi-line text
            continue
        if (stripped.endswith(";") and "//" not in line and _ACTS.search(line)
                and not _DECLARATION.match(line) and not stripped.lower().startswith("until")
                and _OPENS.search(previous) and any(a <= first and last <= b for a, b in bodies)):
            out.append(i + 1)
        if stripped and not stripped.startswith("//"):
            previous = line
    return out


def _changed_literal(line: str) -> str | None:
    """The line with its first text or number literal changed (a quoted name is no literal)."""
    m = next((m for m in _LITERAL.finditer(line) if not m.group(0).startswith('"')), None)
    if m is None:
        return None
    lit = m.group(0)
    new = lit[:-1] + "x'" if lit.startswith("'") else str(int(lit) + 1)
    return line[:m.start()] + new + line[m.end():]


def edited_text(text: str, line: int, kind: str) -> str | None:
    """``text`` with the edit of ``kind`` at ``line`` (1-based), or None when it does not apply there."""
    lines = text.split("\n")
    at = lines[line - 1]
    end = "\r" if at.endswith("\r") else ""
    body = at[:-1] if end else at
    indent = body[:len(body) - len(body.lstrip())]
    if kind == "comment":
        lines[line - 1] = body + " // pbtlint bench edit" + end
    elif kind == "comment line":
        lines.insert(line - 1, indent + "// pbtlint bench edit" + end)
    elif kind == "literal":
        changed = _changed_literal(body)
        if changed is None:
            return None
        lines[line - 1] = changed + end
    elif kind == "statement":
        lines.insert(line, at)
    else:
        raise ValueError(f"unknown edit kind {kind!r}")
    return "\n".join(lines)


def plan(files: list[Path], count: int, seed: int) -> list[tuple[Path, int, str]]:
    """``count`` edits (file, line, kind) over ``files``, kinds in turn, reproducible from ``seed``."""
    rng = random.Random(seed)
    pool = sorted(files)
    out: list[tuple[Path, int, str]] = []
    tries = 0
    while len(out) < count and pool and tries < count * 50:
        tries += 1
        path = rng.choice(pool)
        text = path.read_bytes().decode("utf-8-sig", errors="surrogateescape")
        candidates = statement_lines(text)
        kind = KINDS[len(out) % len(KINDS)]
        rng.shuffle(candidates)
        line = next((c for c in candidates if edited_text(text, c, kind) is not None), None)
        if line is not None:
            out.append((path, line, kind))
    return out


def apply(path: Path, line: int, kind: str) -> Edit:
    """Make the edit (its text as :func:`edited_text` gives it); :func:`undo` puts the file back."""
    original = path.read_bytes()
    bom = original.startswith(b"\xef\xbb\xbf")
    text = original.decode("utf-8-sig", errors="surrogateescape")
    new = edited_text(text, line, kind)
    if new is None:
        raise ValueError(f"{kind} does not apply at line {line} of {path}")
    path.unlink()  # a new file: a new modification time even on a coarse clock
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + new.encode("utf-8", errors="surrogateescape"))
    return Edit(path, line, kind, original)


def undo(edit: Edit) -> None:
    edit.path.unlink()
    edit.path.write_bytes(edit.original)


def summary(times: list[tuple[str, float]], cold: float | None) -> list[str]:
    """Lines for the report: per path taken (``times``: path, seconds), how many edits and their times
    (and ratios to cold)."""
    out: list[str] = []
    by_path: dict[str, list[float]] = {}
    for path, seconds in times:
        by_path.setdefault(path, []).append(seconds)
    for path, secs in sorted(by_path.items(), key=lambda kv: -len(kv[1])):
        secs.sort()
        median = statistics.median(secs)  # of an even count, the mean of the middle two
        ratio = (lambda s: f" ({s / cold:.3f}x)") if cold else (lambda s: "")
        out.append(f"  {path}: {len(secs)} edits, median {median:.2f} s{ratio(median)}, "
                   f"max {secs[-1]:.2f} s{ratio(secs[-1])}")
    return out
