"""Shim test results merged into SARIF: static findings confirmed or not reproduced at run time, and gaps.

Inputs: the manifest the generator wrote (which test verifies which rule ids at which places), the test
results read by :mod:`pbtlint.shim.results`, and optionally the static SARIF ``pbtlint check -f sarif``
wrote. Every result is mapped to its manifest test (by codeunit id or name and method). A test's outcome
is the worst of its results (error, failed, passed, skipped), so a test that failed in any run counts as
failed.

With a static log, a static result *belongs* to a test when its ``ruleId`` is one of the test's rule ids
and one of its places (its location, a related location, or the first step of its code flow) is the
test's location or one of the test's related places: same line, and paths equal once normalized or one
ending in the other at a ``/`` (the manifest's paths are relative to the analyzed app, the SARIF's to the
repository). A test for one parameter key that matches some results at its related places (the reads
of its key) keeps only those, so a test for key A does not speak for a finding about key B.

- A belonging static result of a failed test gets ``pbtlint/runtime: "confirmed"``; of a test that only
  passed, ``"refuted"`` with a message saying "not reproduced": a pass shows only that the run's data
  did not trigger it.
- A failed test with no belonging static result becomes a result of its own, ``"gap"``; without a static
  log every failed test is such a result, marked ``"failed"``.
- Skipped tests, manifest tests missing from the results and results not in the manifest are listed in
  the run's ``pbtlint/runtime`` property and in notifications; they mark nothing.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import sarif_om as om

from pbtlint.findings import Finding, Location, Severity
from pbtlint.report import ReportMeta
from pbtlint.report.sarif import build_sarif, dumps, make, message_text, to_json
from pbtlint.shim.manifest import ShimManifest, ShimTest, SourceLocation
from pbtlint.shim.results import Outcome, ResultsFile, TestResult
from pbtlint.span import Span

RUNTIME = "pbtlint/runtime"
RUNTIME_TESTS = "pbtlint/runtimeTests"
RUNTIME_MESSAGE = "pbtlint/runtimeMessage"
STACK_TRACE = "pbtlint/stackTrace"
CONFIRMED, REFUTED, GAP, FAILED = "confirmed", "refuted", "gap", "failed"
MAX_NAMES = 20
"""Test names listed in one notification; the run property lists them all."""

_RULE_ID = re.compile(r"\bPBT\d{4}\b")
_RANK = {Outcome.ERROR: 0, Outcome.FAILED: 1, Outcome.PASSED: 2, Outcome.SKIPPED: 3}


class MergeError(ValueError):
    """A static SARIF log that cannot be used; the message names the file."""


@dataclass(frozen=True, slots=True)
class TestOutcome:
    """A manifest test and what its results say (``outcome`` None: not in any results file)."""

    __test__ = False

    test: ShimTest
    results: tuple[TestResult, ...]

    @property
    def outcome(self) -> Outcome | None:
        return min((r.outcome for r in self.results), key=_RANK.__getitem__, default=None)

    @property
    def first_failure(self) -> TestResult | None:
        return next((r for r in self.results if r.outcome.failed), None)


@dataclass(frozen=True, slots=True)
class Merged:
    """The merged log as text and what went into it."""

    sarif: str
    tests: tuple[TestOutcome, ...]
    unknown: tuple[TestResult, ...]
    confirmed: int = 0
    refuted: int = 0
    new_results: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def failed(self) -> int:
        """Manifest tests that failed (outcome failed or error)."""
        return sum(1 for t in self.tests if t.outcome is not None and t.outcome.failed)


def test_name(test: ShimTest) -> str:
    return f"{test.codeunit}.{test.method}"


# --------------------------------------------------------------------------- results to tests


def map_results(manifest: ShimManifest, files: Sequence[ResultsFile]) -> tuple[list[TestOutcome], list[TestResult]]:
    """Every manifest test with its results (in manifest order), and the results no test claims."""
    found: dict[int, list[TestResult]] = {}
    unknown: list[TestResult] = []
    index = {id(t): i for i, t in enumerate(manifest.tests)}
    for f in files:
        for r in f.results:
            test = manifest.find(r.codeunit_id, r.method) if r.codeunit_id is not None else None
            if test is None and r.codeunit:
                test = manifest.find(r.codeunit, r.method)
            if test is None:
                unknown.append(r)
            else:
                found.setdefault(index[id(test)], []).append(r)
    tests = [TestOutcome(t, tuple(found.get(i, ()))) for i, t in enumerate(manifest.tests)]
    return tests, unknown


# --------------------------------------------------------------------------- places


Place = tuple[str, int]
"""A normalized path and a 1-based line."""


def normalize_path(path: str) -> str:
    path = path.replace("\\", "/")
    path = posixpath.normpath(path) if path else path
    return path.removeprefix("./").casefold()


def _uri_path(uri: str) -> str:
    if uri.startswith("file:"):
        path = unquote(urlsplit(uri).path)
        if re.match(r"^/[A-Za-z]:/", path):  # file:///C:/x
            path = path[1:]
        return normalize_path(path)
    return normalize_path(unquote(uri))


def _same_path(a: str, b: str) -> bool:
    return a == b or a.endswith("/" + b) or b.endswith("/" + a)


def _obj(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one (a static log is read defensively)."""
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _sarif_place(location: Any) -> Place | None:
    physical = _obj(_obj(location).get("physicalLocation"))
    uri = _obj(physical.get("artifactLocation")).get("uri")
    line = _obj(physical.get("region")).get("startLine")
    if not isinstance(uri, str) or not isinstance(line, int):
        return None
    return _uri_path(uri), line


def _result_places(result: dict[str, Any]) -> tuple[Place | None, list[Place]]:
    """(primary place, every place) of a static result."""
    locations = _list(result.get("locations"))
    primary = _sarif_place(locations[0]) if locations else None
    flow: Any = None
    for key in ("codeFlows", "threadFlows", "locations"):
        items = _list(_obj(flow).get(key) if flow is not None else result.get(key))
        flow = items[0] if items else {}
    first = _obj(flow).get("location")
    candidates = (*locations[:1], *_list(result.get("relatedLocations")), first)
    places = [p for p in map(_sarif_place, candidates) if p is not None]
    return primary, places


def _place(loc: SourceLocation, prefix: str) -> Place:
    path = posixpath.join(prefix, loc.path) if prefix else loc.path
    return normalize_path(path), loc.line


def _matches(place: Place, targets: Iterable[Place]) -> bool:
    return any(place[1] == t[1] and _same_path(place[0], t[0]) for t in targets)


# --------------------------------------------------------------------------- the static log


def load_static(text: str, origin: str) -> dict[str, Any]:
    """A static SARIF log written by ``pbtlint check -f sarif``; :class:`MergeError` when unusable."""
    try:
        log = json.loads(text)
    except json.JSONDecodeError as e:
        raise MergeError(f"{origin}({e.lineno},{e.colno}): not JSON: {e.msg}") from None
    runs = log.get("runs") if isinstance(log, dict) else None
    if not isinstance(runs, list) or not runs or not all(isinstance(r, dict) for r in runs):
        raise MergeError(f"{origin}: not a SARIF log (no runs)")
    _pbtlint_run(log, origin)
    return log


def _pbtlint_run(log: dict[str, Any], origin: str) -> dict[str, Any]:
    runs = log["runs"]
    named = [r for r in runs if _obj(_obj(r.get("tool")).get("driver")).get("name") == "pbtlint"]
    if len(named) == 1:
        run = named[0]
    elif len(runs) == 1 and not named:
        raise MergeError(f"{origin}: its run was not written by pbtlint (tool.driver.name)")
    else:
        raise MergeError(f"{origin}: expected one pbtlint run, found {len(named)} of {len(runs)} runs")
    shapes = (("results", run.get("results", []), list),
              ("tool.driver.rules", run["tool"]["driver"].get("rules", []), list),
              ("properties", run.get("properties", {}), dict),
              ("invocations", run.get("invocations", []), list))
    for name, value, kind in shapes:
        if not isinstance(value, kind):
            raise MergeError(f"{origin}: runs[].{name} is not a JSON {'array' if kind is list else 'object'}")
    invocations = run.get("invocations") or [{}]
    if not isinstance(invocations[0], dict):
        raise MergeError(f"{origin}: runs[].invocations[0] is not a JSON object")
    if RUNTIME in _obj(run.get("properties")):
        raise MergeError(f"{origin}: already holds imported shim results; pass the SARIF 'pbtlint check -f sarif' "
                         "wrote")
    return run


def _belonging(test: TestOutcome, static: list[tuple[dict[str, Any], Place | None, list[Place]]],
               prefix: str) -> list[int]:
    """Indices of the static results that belong to ``test``'s enqueue site and rule ids."""
    t = test.test
    related = [_place(r, prefix) for r in t.related]
    targets = [_place(t.location, prefix), *related]
    rules = set(t.rule_ids)
    hits = [i for i, (res, _, places) in enumerate(static)
            if res.get("ruleId") in rules and any(_matches(p, targets) for p in places)]
    if t.parameter_key is not None and related:
        specific = [i for i in hits if static[i][1] is not None and _matches(static[i][1], related)]
        if specific:
            return specific
    return hits


def infer_prefix(manifest: ShimManifest, static: list[tuple[dict[str, Any], Place | None, list[Place]]]) -> str:
    """The folder of the analyzed app within the static log's paths (``""`` when they agree or are unknown)."""
    votes: dict[str, int] = {}
    for t in manifest.tests:
        for loc in (t.location, *t.related):
            mine = normalize_path(loc.path)
            for _, _, places in static:
                for path, line in places:
                    if line == loc.line and path.endswith("/" + mine):
                        prefix = path[: -len(mine) - 1]
                        votes[prefix] = votes.get(prefix, 0) + 1
    if not votes:
        return ""
    best = max(votes.items(), key=lambda kv: (kv[1], kv[0]))[0]
    return best if not best.startswith("/") and ":" not in best else ""


# --------------------------------------------------------------------------- new results


def _rule_for(test: ShimTest, failure: TestResult | None) -> str:
    named = _RULE_ID.findall(failure.message) if failure else []
    for rule_id in named:
        if rule_id in test.rule_ids:
            return rule_id
    if test.rule_ids:
        return test.rule_ids[0]
    return named[0] if named else ""


def _finding(test: TestOutcome, kind: str, prefix: str, rule_id: str) -> Finding:
    t = test.test
    failure = test.first_failure
    detail = failure.message if failure and failure.message else "no message"
    if kind == GAP:
        text = (f"Runtime test {test_name(t)} failed and no static finding covers it "
                f"(a gap in the static analysis, to be looked at): {detail}")
    else:
        text = f"Runtime test {test_name(t)} failed: {detail}"

    def loc(s: SourceLocation, label: str) -> Location:
        return Location(posixpath.join(prefix, s.path) if prefix else s.path, Span.point(s.line, s.column), label)

    return Finding(rule_id, Severity.ERROR, text, loc(t.location, ""),
                   related=tuple(loc(r, "verified by this test") for r in t.related))


def _new_log(tests: Sequence[TestOutcome], kind: str, prefix: str) -> dict[str, Any]:
    """A SARIF log (plain JSON) holding one result per failed test in ``tests``, marked ``kind``."""
    made: list[tuple[Finding, TestOutcome]] = []
    for t in tests:
        rule_id = _rule_for(t.test, t.first_failure)
        if rule_id:
            made.append((_finding(t, kind, prefix, rule_id), t))
    log = to_json(build_sarif([f for f, _ in made], ReportMeta()))
    by_text = {message_text(f, f.related): t for f, t in made}
    for res in log["runs"][0]["results"]:
        t = by_text[res["message"]["text"]]
        failure = t.first_failure
        props = {RUNTIME: kind, RUNTIME_TESTS: [test_name(t.test)],
                 RUNTIME_MESSAGE: _sentence(res["message"]["text"].split(" See [", 1)[0])}
        if failure and failure.stack_trace:
            props[STACK_TRACE] = failure.stack_trace
        res["properties"] = {**res.get("properties", {}), **props}
    return log


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else text + "."


# --------------------------------------------------------------------------- notifications and summary


def _names(items: Sequence[str]) -> str:
    shown = ", ".join(items[:MAX_NAMES])
    return shown + (f" and {len(items) - MAX_NAMES} more" if len(items) > MAX_NAMES else "")


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _notification(text: str, level: str) -> dict[str, Any]:
    return to_json(make(om.Notification, message=make(om.Message, text=_sentence(text)), level=level))


def _notifications(tests: Sequence[TestOutcome], unknown: Sequence[TestResult]) -> list[dict[str, Any]]:
    out = []
    skipped = sorted(test_name(t.test) for t in tests if t.outcome is Outcome.SKIPPED)
    missing = sorted(test_name(t.test) for t in tests if t.outcome is None)
    if skipped:
        out.append(_notification(
            f"{_count(len(skipped), 'shim test was', 'shim tests were')} skipped (nothing verified): "
            f"{_names(skipped)}", "note"))
    if missing:
        out.append(_notification(
            f"{_count(len(missing), 'shim test', 'shim tests')} of the manifest not in the test results "
            f"(not run, or in another results file): {_names(missing)}", "warning"))
    if unknown:
        names = sorted({r.display_name for r in unknown})
        out.append(_notification(
            f"{_count(len(unknown), 'test result', 'test results')} not from a shim test of this manifest, "
            f"ignored: {_names(names)}",
            "note"))
    return out


def _summary(manifest: ShimManifest, files: Sequence[ResultsFile], tests: Sequence[TestOutcome],
             unknown: Sequence[TestResult], verdicts: dict[str, str]) -> dict[str, Any]:
    counts = {o.value: 0 for o in Outcome} | {"notInResults": 0, "notInManifest": len(unknown)}
    rows = []
    for t in tests:
        outcome = t.outcome
        counts[outcome.value if outcome else "notInResults"] += 1
        loc = t.test.location
        row: dict[str, Any] = {
            "test": test_name(t.test), "codeunitId": t.test.codeunit_id, "kind": t.test.kind,
            "outcome": outcome.value if outcome else "notInResults", "ruleIds": list(t.test.rule_ids),
            "location": f"{loc.path}:{loc.line}:{loc.column}",
        }
        verdict = verdicts.get(test_name(t.test))
        if verdict:
            row["verdict"] = verdict
        rows.append(row)
    rows.sort(key=lambda r: (r["test"].casefold(), r["codeunitId"]))
    return {
        "testApp": manifest.test_app_name, "app": manifest.app_name,
        "resultFiles": [{"path": f.path, "format": f.format, "tests": len(f.results)} for f in files],
        "counts": counts, "tests": rows,
    }


# --------------------------------------------------------------------------- merging


def _mark(result: dict[str, Any], by: Sequence[TestOutcome]) -> str:
    """Mark a static result confirmed (a belonging test failed) or refuted (they passed); the verdict."""
    fails = [t for t in by if t.outcome is not None and t.outcome.failed]
    names = sorted({test_name(t.test) for t in (fails or by)})
    tests = f"shim test{_s(len(names))} {_names(names)}"
    if fails:
        failure = fails[0].first_failure
        detail = f": {failure.message}" if failure and failure.message else ""
        verdict, text = CONFIRMED, f"Confirmed at run time: {tests} failed{detail}"
    else:
        verdict = REFUTED
        text = (f"Not reproduced at run time: {tests} ran and passed. A pass only shows that the data of that "
                "run did not trigger the problem; it does not prove the finding wrong")
    props = {RUNTIME: verdict, RUNTIME_TESTS: names, RUNTIME_MESSAGE: _sentence(text)}
    result["properties"] = {**_obj(result.get("properties")), **props}
    return verdict


def _merge_static(run: dict[str, Any], manifest: ShimManifest, tests: Sequence[TestOutcome], prefix: str | None,
                  verdicts: dict[str, str]) -> tuple[int, int, int]:
    """Mark ``run``'s static results and add the gaps; (confirmed, refuted, new results)."""
    results = run.setdefault("results", [])
    static = [(r, *_result_places(r)) if isinstance(r, dict) else ({}, None, []) for r in results]
    if prefix is None:
        prefix = infer_prefix(manifest, static)
    marks: dict[int, list[TestOutcome]] = {}
    gaps = []
    for t in tests:
        if t.outcome not in (Outcome.PASSED, Outcome.FAILED, Outcome.ERROR):
            continue
        hits = _belonging(t, static, prefix)
        for i in hits:
            marks.setdefault(i, []).append(t)
        if t.outcome.failed:
            verdicts[test_name(t.test)] = CONFIRMED if hits else GAP
            if not hits:
                gaps.append(t)
        elif hits:
            verdicts[test_name(t.test)] = REFUTED
    marked = [_mark(results[i], by) for i, by in sorted(marks.items())]
    gap_run = _new_log(gaps, GAP, prefix)["runs"][0]
    new = gap_run["results"]
    _reindex(run, new, gap_run["tool"]["driver"]["rules"])
    results.extend(new)
    return marked.count(CONFIRMED), marked.count(REFUTED), len(new)


def merge(manifest: ShimManifest, files: Sequence[ResultsFile], static: dict[str, Any] | None = None,
          static_origin: str = "static SARIF", prefix: str | None = None) -> Merged:
    """The merged SARIF log (see the module doc); ``static`` is a log from :func:`load_static`.

    ``prefix`` is put before the manifest's paths; None: inferred from the static log (else none).
    """
    tests, unknown = map_results(manifest, files)
    verdicts: dict[str, str] = {}
    confirmed = refuted = 0
    if static is None:
        failed = [t for t in tests if t.outcome is not None and t.outcome.failed]
        log = _new_log(failed, FAILED, prefix or "")
        run = log["runs"][0]
        new_results = len(run["results"])
        verdicts.update((test_name(t.test), FAILED) for t in failed)
    else:
        log = json.loads(json.dumps(static))  # a copy: the caller's log stays as it was
        run = _pbtlint_run(log, static_origin)
        confirmed, refuted, new_results = _merge_static(run, manifest, tests, prefix, verdicts)
    run["properties"] = {**_obj(run.get("properties")),
                         RUNTIME: _summary(manifest, files, tests, unknown, verdicts)}
    notes = _notifications(tests, unknown)
    if notes:
        invocations = run.setdefault("invocations", [])
        if not invocations:
            invocations.append({"executionSuccessful": True})
        invocations[0].setdefault("toolExecutionNotifications", []).extend(notes)
    counts = run["properties"][RUNTIME]["counts"]
    return Merged(dumps(log), tuple(tests), tuple(unknown), confirmed, refuted, new_results, counts)


def _reindex(run: dict[str, Any], new: list[dict[str, Any]], new_rules: list[Any]) -> None:
    """Point the new results' ``ruleIndex`` into ``run``'s rules, adding descriptors it lacks."""
    driver = run.setdefault("tool", {}).setdefault("driver", {"name": "pbtlint"})
    rules = driver.setdefault("rules", [])
    where = {r.get("id"): i for i, r in enumerate(rules) if isinstance(r, dict)}
    for res in new:
        rule_id = res["ruleId"]
        if rule_id not in where:
            rules.append(new_rules[res["ruleIndex"]])
            where[rule_id] = len(rules) - 1
        res["ruleIndex"] = where[rule_id]
