"""Test results as the AL test runner writes them: XUnit or JUnit XML, read back into :class:`TestResult`.

Both formats are the ones BcContainerHelper's ``Run-TestsInBcContainer`` writes (``-XUnitResultFileName``,
``-JUnitResultFileName``; AL-Go passes the JUnit form and publishes it as ``TestResults.xml``):

- XUnit: ``<assemblies>`` holding one ``<assembly name="50100 PBT Shim 1">`` per test codeunit (its id,
  a space, its name), with a ``<collection name="PBT Shim 1">`` whose ``<test method="..."
  result="Pass|Fail|Skip">`` elements are the test procedures; a failed test has
  ``<failure><message>...</message><stack-trace>...</stack-trace></failure>``.
- JUnit: ``<testsuites>`` holding one ``<testsuite name="50100 PBT Shim 1">`` per codeunit, with
  ``<testcase classname="50100 PBT Shim 1" name="<method>">``; a failed test has
  ``<failure message="...">stack trace</failure>``, a skipped one ``<skipped/>``. ``<error>`` (which the
  AL runner does not write, but other JUnit writers do) reads as outcome ``error``.

Hostile XML: the file is parsed by expat (the parser under :mod:`xml.etree`) into an ElementTree through
:class:`xml.etree.ElementTree.TreeBuilder`, refusing any document type declaration. Without a DTD there
are no entity declarations, so neither entity expansion ("billion laughs") nor external entities can
happen, whatever expat version is installed; test result files never need one.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from xml.parsers import expat

XUNIT, JUNIT = "xunit", "junit"


class ResultsError(ValueError):
    """A results file that cannot be read or is not in a known format; the message names the file."""


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"

    @property
    def failed(self) -> bool:
        return self in (Outcome.FAILED, Outcome.ERROR)


@dataclass(frozen=True, slots=True)
class TestResult:
    """One test procedure's result: the codeunit by id and/or name, the procedure, what happened."""

    __test__ = False  # not a pytest test class

    codeunit_id: int | None
    codeunit: str
    method: str
    outcome: Outcome
    message: str = ""
    stack_trace: str = ""
    where: str = ""
    """The results file and the element's line and column: ``results.xml(12,5)``."""

    @property
    def display_name(self) -> str:
        head = self.codeunit or (str(self.codeunit_id) if self.codeunit_id is not None else "?")
        return f"{head}.{self.method}"


@dataclass(frozen=True, slots=True)
class ResultsFile:
    path: str
    format: str
    results: tuple[TestResult, ...]


# --------------------------------------------------------------------------- safe parsing

_Positions = dict[ET.Element, tuple[int, int]]


def _local(name: str) -> str:
    """An element or attribute name without a namespace prefix (``x:test`` and ``{uri}test`` alike)."""
    return name.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def parse_xml(data: bytes, origin: str) -> tuple[ET.Element, _Positions]:
    """The root element of ``data`` and each element's (line, column), 1-based; no DTD allowed."""
    parser = expat.ParserCreate()
    builder = ET.TreeBuilder()
    positions: _Positions = {}

    def refuse(*_: object) -> None:
        line, col = parser.CurrentLineNumber, parser.CurrentColumnNumber + 1
        raise ResultsError(f"{origin}({line},{col}): a document type declaration is not allowed in a results file")

    def start(tag: str, attrs: dict[str, str]) -> None:
        element = builder.start(_local(tag), {_local(k): v for k, v in attrs.items()})
        positions[element] = (parser.CurrentLineNumber, parser.CurrentColumnNumber + 1)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = start
    parser.EndElementHandler = lambda tag: builder.end(_local(tag))
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(data, True)
    except expat.ExpatError as e:
        raise ResultsError(
            f"{origin}({e.lineno},{e.offset + 1}): not well-formed XML: {expat.ErrorString(e.code)}"
        ) from None
    return builder.close(), positions


# --------------------------------------------------------------------------- the two formats

_SUITE_NAME = re.compile(r"^\s*(\d+)\s+(.*?)\s*$")


def _codeunit(suite_name: str) -> tuple[int | None, str]:
    """``"50100 PBT Shim 1"`` -> (50100, "PBT Shim 1"); a name without a leading id keeps it all."""
    m = _SUITE_NAME.match(suite_name)
    if m:
        return int(m.group(1)), m.group(2)
    return None, suite_name.strip()


def _children(element: ET.Element, tag: str) -> list[ET.Element]:
    return [c for c in element if c.tag == tag]


def _text(element: ET.Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


_XUNIT_OUTCOMES = {"pass": Outcome.PASSED, "fail": Outcome.FAILED, "skip": Outcome.SKIPPED,
                   "notrun": Outcome.SKIPPED, "error": Outcome.ERROR}


class _Reader:
    def __init__(self, origin: str, positions: _Positions) -> None:
        self.origin = origin
        self.positions = positions

    def where(self, element: ET.Element) -> str:
        line, col = self.positions.get(element, (0, 0))
        return f"{self.origin}({line},{col})" if line else self.origin

    def xunit(self, root: ET.Element) -> list[TestResult]:
        assemblies = [root] if root.tag == "assembly" else _children(root, "assembly")
        out: list[TestResult] = []
        for assembly in assemblies:
            cu_id, cu_name = _codeunit(assembly.get("name", ""))
            for collection in _children(assembly, "collection"):
                name = collection.get("name", "").strip() or cu_name
                for test in _children(collection, "test"):
                    out.append(self._xunit_test(test, cu_id, name))
        return out

    def _xunit_test(self, test: ET.Element, cu_id: int | None, cu_name: str) -> TestResult:
        method = test.get("method") or test.get("name", "").rsplit(":", 1)[-1]
        raw = test.get("result", "")
        outcome = _XUNIT_OUTCOMES.get(raw.casefold())
        if outcome is None:
            raise ResultsError(f"{self.where(test)}: test {method!r} has an unknown result {raw!r} "
                               "(expected Pass, Fail or Skip)")
        failure = test.find("failure")
        message = _text(failure.find("message")) if failure is not None else ""
        stack = _text(failure.find("stack-trace")) if failure is not None else ""
        if outcome is Outcome.SKIPPED:
            message = _text(test.find("reason"))
        return TestResult(cu_id, cu_name, method.strip(), outcome, message, stack, self.where(test))

    def junit(self, root: ET.Element) -> list[TestResult]:
        suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
        out: list[TestResult] = []
        for suite in suites:
            for case in _children(suite, "testcase"):
                cu_id, cu_name = _codeunit(case.get("classname") or suite.get("name", ""))
                out.append(self._junit_case(case, cu_id, cu_name))
        return out

    def _junit_case(self, case: ET.Element, cu_id: int | None, cu_name: str) -> TestResult:
        method = case.get("name", "").strip()
        for tag, outcome in (("error", Outcome.ERROR), ("failure", Outcome.FAILED), ("skipped", Outcome.SKIPPED)):
            element = case.find(tag)
            if element is not None:
                message = (element.get("message") or "").strip()
                body = _text(element)
                if outcome is Outcome.SKIPPED:
                    return TestResult(cu_id, cu_name, method, outcome, message or body, "", self.where(case))
                return TestResult(cu_id, cu_name, method, outcome, message or body,
                                  body if message else "", self.where(case))
        return TestResult(cu_id, cu_name, method, Outcome.PASSED, "", "", self.where(case))


def parse_results(data: bytes, origin: str) -> ResultsFile:
    """The tests in one results file; :class:`ResultsError` names ``origin`` (and line, column) on bad input."""
    root, positions = parse_xml(data, origin)
    reader = _Reader(origin, positions)
    if root.tag in ("assemblies", "assembly"):
        return ResultsFile(origin, XUNIT, tuple(reader.xunit(root)))
    if root.tag in ("testsuites", "testsuite"):
        return ResultsFile(origin, JUNIT, tuple(reader.junit(root)))
    line, col = positions.get(root, (1, 1))
    raise ResultsError(
        f"{origin}({line},{col}): unknown root element <{root.tag}>: expected XUnit <assemblies> or "
        "JUnit <testsuites> as written by the AL test runner (Run-TestsInBcContainer)"
    )


def read_results(path: Path) -> ResultsFile:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ResultsError(f"{path}: cannot read the test results ({e.strerror or e})") from None
    return parse_results(data, str(path))
