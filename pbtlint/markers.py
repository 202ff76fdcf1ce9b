"""Expectations written in AL test files, in the semgrep style.

``// ruleid: PBT0001`` alone on a line says that the next code line must be reported for PBT0001;
``// ok: PBT0001`` says that it must not. Comma lists are allowed (``// ruleid: PBT0030, PBT0032``);
several marker lines may stand above the same code line. Used by the fixture tests and by anyone
writing rule fixtures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MARKER = re.compile(r"^\s*//\s*(ruleid|ok)\s*:\s*(PBT\d{4}(?:\s*,\s*PBT\d{4})*)\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Expectation:
    """One rule expected (``must_fire``) or forbidden at a 1-based ``line``; ``marker_line`` is where it is written."""

    rule_id: str
    line: int
    must_fire: bool
    marker_line: int


def read_expectations(text: str) -> list[Expectation]:
    """Every expectation in ``text`` (already decoded, ``\\n`` line endings)."""
    out: list[Expectation] = []
    pending: list[tuple[str, bool, int]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        match = _MARKER.match(line)
        if match:
            must_fire = match.group(1).lower() == "ruleid"
            for rule_id in re.split(r"\s*,\s*", match.group(2).strip()):
                pending.append((rule_id.upper(), must_fire, number))
            continue
        if pending and line.strip():
            out.extend(Expectation(rule, number, fire, marker) for rule, fire, marker in pending)
            pending = []
    return out
