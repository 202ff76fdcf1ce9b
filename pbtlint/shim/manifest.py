"""``pbtlint-shim.json``: which generated AL test verifies which rules at which source location.

The generator (:mod:`pbtlint.shim.generate`) writes one manifest into the folder of the test app it
generates; the importer (:mod:`pbtlint.shim.results`) reads it to turn test results back into rule ids
and places. A test is identified by its codeunit (id and name) and its test procedure's name, which is
how the AL test runner names it in its XML results.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

MANIFEST_NAME = "pbtlint-shim.json"
FORMAT = 1

TEST_KINDS = ("task-runs", "result-keys", "missing-parameter")
"""What a generated test checks:

- ``task-runs``: the task codeunit runs in a child session without an error (no write, commit, lock or
  UI: PBT0001-PBT0004, PBT0040 for what the static analysis could not see);
- ``result-keys``: every result key the completion trigger reads is set by the task (PBT0021, PBT0023,
  PBT0030);
- ``missing-parameter``: the task copes when one parameter key is absent (PBT0020, PBT0022).
"""


class ManifestError(ValueError):
    """A manifest that is missing, unreadable or not in this format; the message says where and why."""


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """A place in the analyzed app: ``path`` relative to the analyzed folder, with ``/``; 1-based."""

    path: str
    line: int
    column: int = 1


@dataclass(frozen=True, slots=True)
class ShimTest:
    """One generated test procedure."""

    codeunit_id: int
    codeunit: str
    method: str
    kind: str
    rule_ids: tuple[str, ...]
    location: SourceLocation
    """The enqueue site the test exercises (for ``result-keys``: also the completion trigger below)."""
    task_codeunit: str
    parameter_key: str | None = None
    related: tuple[SourceLocation, ...] = ()
    """Other places the test verifies: the completion trigger, the reads of the parameter key."""
    description: str = ""


@dataclass(frozen=True, slots=True)
class ShimManifest:
    tool_version: str
    app_name: str
    app_publisher: str
    test_app_name: str
    tests: tuple[ShimTest, ...] = field(default_factory=tuple)

    def find(self, codeunit: str | int, method: str) -> ShimTest | None:
        """The test named by a result: ``codeunit`` is its id or its name (case-insensitive)."""
        m = method.casefold()
        for t in self.tests:
            if t.method.casefold() != m:
                continue
            if isinstance(codeunit, int):
                if t.codeunit_id == codeunit:
                    return t
            elif t.codeunit.casefold() == str(codeunit).casefold() or str(t.codeunit_id) == str(codeunit):
                return t
        return None

    def to_json(self) -> str:
        data = {"format": FORMAT, **asdict(self)}
        return json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def _location(data: object, where: str) -> SourceLocation:
    if not isinstance(data, dict):
        raise ManifestError(f"{where}: expected an object with path, line and column")
    try:
        return SourceLocation(str(data["path"]), int(data["line"]), int(data.get("column", 1)))
    except (KeyError, TypeError, ValueError) as e:
        raise ManifestError(f"{where}: bad location ({e})") from None


def manifest_from_json(text: str, origin: str = MANIFEST_NAME) -> ShimManifest:
    """Parse a manifest; :class:`ManifestError` names ``origin`` and the offending entry."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ManifestError(f"{origin}({e.lineno},{e.colno}): not JSON: {e.msg}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ManifestError(f"{origin}: not a pbtlint shim manifest of format {FORMAT}")
    tests = []
    for i, t in enumerate(data.get("tests") or []):
        where = f"{origin}: tests[{i}]"
        if not isinstance(t, dict):
            raise ManifestError(f"{where}: expected an object")
        try:
            kind = str(t["kind"])
            if kind not in TEST_KINDS:
                raise ManifestError(f"{where}: unknown kind {kind!r}")
            tests.append(ShimTest(
                codeunit_id=int(t["codeunit_id"]), codeunit=str(t["codeunit"]), method=str(t["method"]),
                kind=kind, rule_ids=tuple(str(r) for r in t["rule_ids"]),
                location=_location(t["location"], where), task_codeunit=str(t["task_codeunit"]),
                parameter_key=None if t.get("parameter_key") is None else str(t["parameter_key"]),
                related=tuple(_location(r, where) for r in t.get("related") or ()),
                description=str(t.get("description", "")),
            ))
        except (KeyError, TypeError, ValueError) as e:
            if isinstance(e, ManifestError):
                raise
            raise ManifestError(f"{where}: missing or bad field ({e})") from None
    try:
        return ShimManifest(str(data["tool_version"]), str(data["app_name"]), str(data["app_publisher"]),
                            str(data["test_app_name"]), tuple(tests))
    except KeyError as e:
        raise ManifestError(f"{origin}: missing field {e}") from None


def read_manifest(path: Path) -> ShimManifest:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ManifestError(f"{path}: cannot read the shim manifest ({e.strerror or e})") from None
    return manifest_from_json(text, str(path))
