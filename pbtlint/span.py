"""Source positions as SARIF wants them: 1-based lines and columns in Unicode code points."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from pbtlint.pickling import fast_pickling


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A region of a source file.

    Lines and columns are 1-based and counted in Unicode code points (a tab is one column);
    ``end_column`` is exclusive, so a one-character token at column 5 has ``end_column == 6``.
    """

    line: int
    column: int
    end_line: int
    end_column: int

    @staticmethod
    def point(line: int, column: int = 1) -> Span:
        return Span(line, column, line, column + 1)

    def cover(self, other: Span) -> Span:
        """The smallest span holding both ``self`` and ``other``."""
        start = min((self.line, self.column), (other.line, other.column))
        end = max((self.end_line, self.end_column), (other.end_line, other.end_column))
        return Span(start[0], start[1], end[0], end[1])

    def __str__(self) -> str:
        return f"{self.line}:{self.column}-{self.end_line}:{self.end_column}"


def line_starts(text: str) -> list[int]:
    """The offset at which each line of ``text`` starts."""
    starts = list(itertools.accumulate([len(line) + 1 for line in text.split("\n")], initial=0))
    starts.pop()
    return starts


fast_pickling(globals())
