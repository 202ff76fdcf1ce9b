"""The whole analysis of a set of paths: discover apps, parse, build each project, run the rules.

No printing and no writing: the CLI renders what this returns. Each app found under the paths is
analyzed as one project together with the sources of the apps in the workspace it depends on
(matched by app id), so that calls into them are followed instead of being opaque. Findings are
kept only for files of the app itself.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from pbtlint.findings import SYNTAX_ERROR, Finding, syntax_error
from pbtlint.frontend import ParsedFile
from pbtlint.parallel import fork_pool, gc_paused
from pbtlint.pickling import fast_pickling
from pbtlint.project import MANIFEST_NAME, App, Workspace, discover, found_real_path, real_dir, real_path
from pbtlint.span import Span

if TYPE_CHECKING:  # the model, the rules and the package reader are imported where they are used: a run
    # that reuses its previous result (pbtlint.demand) needs this module's result classes only
    from pbtlint.analysis import AnalyzedProject
    from pbtlint.rule import Rule

MAX_LEFT_OUT = 3
PARALLEL_THRESHOLD = 32
"""Below this many files, parsing in one process is faster than starting workers."""
"""How many files an analysis that hit the recursion limit may leave out, deepest first, before giving up."""


@dataclass(frozen=True, slots=True)
class RuleContext:
    """What a rule sees: the analyzed project (read-only) and the front end's own findings."""

    project: AnalyzedProject
    front_end_findings: tuple[Finding, ...]
    files: tuple[ParsedFile, ...]


@dataclass(frozen=True, slots=True)
class AppResult:
    app: App
    files: tuple[ParsedFile, ...]
    findings: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class RunResult:
    """Findings of every app, sorted; ``workspace`` says what was found where."""

    workspace: Workspace
    apps: tuple[AppResult, ...]
    findings: tuple[Finding, ...]
    files: int = 0
    lines: int = 0


def display_path(path: Path, base: Path | None = None) -> str:
    """``path`` relative to ``base`` (default: the working directory) with forward slashes."""
    # realpath, unlike resolve(), accepts symlink loops; the folder is resolved once per run
    root = real_path(base) if base is not None else real_dir(os.getcwd())
    # a broken link (dangling, or a loop) is shown as itself, not as where it leads
    real = found_real_path(path)
    if real is None:
        real = real_path(path) if os.path.exists(path) else os.path.abspath(path)
    return shown_as(path, real, root)


def shown_as(path: Path, real: str, root: str) -> str:
    """:func:`display_path` of ``path``, whose real path is ``real``, under the real folder ``root``."""
    if real == root:
        return "."
    prefix = root if root.endswith(os.sep) else root + os.sep
    if real.startswith(prefix):
        return real[len(prefix):].replace(os.sep, "/")
    return Path(path).as_posix()


def _dependencies(app: App, workspace: Workspace) -> list[App]:
    """Apps of the workspace whose id the app depends on, plus everything found under the extra
    source roots (``--source-root``: sources the user wants followed, such as the System
    Application, whose modules are apps of their own)."""
    wanted = {d.id.lower() for d in (app.manifest.dependencies if app.manifest else ()) if d.id}
    out: list[App] = []
    for other in workspace.apps:
        if other is not app and other.manifest and other.manifest.id and other.manifest.id.lower() in wanted:
            out.append(other)
    out.extend(other for other in workspace.extra_roots if other is not app)
    return out


def _reason(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "RecursionError: the code is nested too deeply"
    text = str(exc)
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


def _where(context: RuleContext) -> str:
    """A path to put an internal error of a rule at: the first file of the app."""
    paths = sorted(f.path for f in context.files)
    return paths[0] if paths else "."


def concerns(finding: Finding, own_paths: set[str]) -> bool:
    """Is a finding the app's to report? Yes when it is located in one of its files, or when the
    path that leads to it starts there (a task of the app reaching a write in a dependency)."""
    if finding.rule_id == SYNTAX_ERROR or finding.location.path in own_paths:
        return True
    return bool(finding.call_path) and finding.call_path[0].path in own_paths


def run_rules(context: RuleContext, rules: Iterable[type[Rule]] | None = None) -> list[Finding]:
    """Every finding of every rule on one project.

    A rule that raises keeps the findings it yielded before; the failure itself becomes a PBT0000
    finding naming the rule, and the other rules still run.
    """
    from pbtlint.rule import all_rules

    out: list[Finding] = []
    for rule_class in rules if rules is not None else all_rules():
        try:
            for finding in rule_class().check(context):
                out.append(finding)
        except Exception as exc:  # noqa: BLE001 - one broken rule must not lose the others' findings
            meta = rule_class.meta
            message = (f"internal error in rule {meta.id} ({meta.name}) on this app: {_reason(exc)}; "
                       "its findings may be incomplete")
            out.append(syntax_error(_where(context), Span.point(1), message))
    return out


def ast_depth(root: object) -> int:
    """How deep the dataclass tree under ``root`` nests (iterative: trees may be very deep)."""
    deepest = 0
    stack: list[tuple[object, int]] = [(root, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, tuple | list):
            stack.extend((item, depth) for item in value)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            deepest = max(deepest, depth + 1)
            stack.extend((getattr(value, f.name), depth + 1) for f in dataclasses.fields(value))
    return deepest


def build_project_safely(
    files: Sequence[ParsedFile], app_path: str
) -> tuple[AnalyzedProject | None, list[Finding]]:
    """:func:`build_project`, never raising: when the analysis hits the recursion limit the deepest
    file is left out (with a PBT0000 finding saying so) and the project built again, at most
    :data:`MAX_LEFT_OUT` times; any other failure gives a PBT0000 finding at ``app_path`` and no project."""
    from pbtlint.analysis import build_project

    remaining = list(files)
    findings: list[Finding] = []
    for _ in range(MAX_LEFT_OUT + 1):
        try:
            return build_project(remaining), findings
        except RecursionError as exc:
            parsed = [f for f in remaining if f.unit is not None]
            if not parsed:
                error = exc
                break
            depths = {id(f): ast_depth(f.unit) for f in parsed}
            deepest = max(parsed, key=lambda f: (depths[id(f)], f.path))
            message = (f"internal error while analyzing the project ({_reason(exc)}); this file (nesting depth "
                       f"{depths[id(deepest)]}) was left out of the analysis")
            findings.append(syntax_error(deepest.path, Span.point(1), message))
            remaining = [f for f in remaining if f is not deepest]
            error = exc
        except Exception as exc:  # noqa: BLE001 - reported, never a traceback
            error = exc
            break
    message = f"internal error while analyzing this app: {_reason(error)}; no rule findings for it"
    findings.append(syntax_error(app_path, Span.point(1), message))
    return None, findings


def package_findings(app: App) -> list[Finding]:
    """Problems with the app's ``.alpackages/*.app`` files, at their display paths. Packages are only
    checked (header, ZIP, member names, sizes, manifest): nothing uses their symbols yet."""
    from pbtlint.packages import PackageLimits, read_package

    limits = PackageLimits(read_sources=False, parse_symbols=False)
    out: list[Finding] = []
    for path in app.package_files:
        shown = display_path(path)
        for f in read_package(path, limits).findings:
            out.append(replace(f, location=replace(f.location, path=shown)))
    return out


def _app_path(app: App) -> str:
    return display_path(app.root / MANIFEST_NAME) if app.manifest is not None else display_path(app.root)


def _parser_for(parsed: dict[Path, ParsedFile]) -> Callable[[App], list[ParsedFile]]:
    """Parse each file of an app once, however many projects include it."""

    def parse_app(app: App) -> list[ParsedFile]:
        from pbtlint.skeleton import parse_in_parts  # here: a run that reuses its result imports no parser

        out = []
        for path in app.source_files:
            if path not in parsed:
                parsed[path] = parse_in_parts(path, app.preprocessor_symbols, display_path(path))
            out.append(parsed[path])
        return out

    return parse_app


def _parse_job(job: tuple[Path, tuple[str, ...], str]) -> ParsedFile | None:
    """Parse one file in a worker process; None when the result cannot be sent back (a tree too
    deep to pickle), so that the parent parses that file itself."""
    from pbtlint.skeleton import parse_in_parts

    parsed = parse_in_parts(*job)
    try:
        pickle.dumps(parsed, protocol=pickle.HIGHEST_PROTOCOL)
    except (RecursionError, pickle.PicklingError):
        return None
    return parsed


def parse_in_parallel(workspace: Workspace, parsed: dict[Path, ParsedFile], jobs: int) -> None:
    """Parse every file the apps of ``workspace`` need with ``jobs`` processes, into ``parsed``.
    The result is the same as parsing them one by one: each file is parsed alone."""
    needed: list[App] = []
    for app in workspace.apps:
        for candidate in (app, *_dependencies(app, workspace)):
            if candidate not in needed:
                needed.append(candidate)
    todo: list[tuple[Path, tuple[str, ...], str]] = []
    seen: set[Path] = set(parsed)
    for app in needed:
        for path in app.source_files:
            if path not in seen:
                seen.add(path)
                todo.append((path, tuple(app.preprocessor_symbols), display_path(path)))
    if jobs <= 1 or len(todo) < PARALLEL_THRESHOLD:
        return
    with fork_pool(jobs) as pool:
        for job, result in zip(todo, pool.imap(_parse_job, todo, chunksize=8), strict=True):
            if result is not None:
                parsed[job[0]] = result


def _analyze_apps(
    workspace: Workspace, parsed: dict[Path, ParsedFile]
) -> Iterator[tuple[App, list[ParsedFile], AnalyzedProject | None, list[Finding]]]:
    parse_app = _parser_for(parsed)
    for plan in project_plans(workspace):
        own = [f for part in plan.parts for f in parse_app(part)]
        deps = [f for dep in plan.dependencies for f in parse_app(dep)]
        project, errors = build_project_safely([*own, *deps], _app_path(plan.app))
        yield plan.app, own, project, errors


@dataclass(frozen=True, slots=True)
class ProjectPlan:
    """What one project is made of: the app, the apps compiled with it (itself and the module apps
    nested in it) and the apps whose sources are followed (dependencies, source roots)."""

    app: App
    parts: tuple[App, ...]
    dependencies: tuple[App, ...]

    @property
    def source_files(self) -> tuple[Path, ...]:
        return tuple(p for part in self.parts for p in part.source_files)


def project_plans(workspace: Workspace) -> list[ProjectPlan]:
    """One plan per app that is not nested in another app of the workspace."""
    nested = nested_apps(workspace.apps)
    plans: list[ProjectPlan] = []
    for app in workspace.apps:
        if any(app in inner for inner in nested.values()):
            continue  # compiled as part of the app around it, as the AL compiler does
        parts = (app, *nested.get(app, []))
        deps = tuple(d for d in _dependencies(app, workspace) if d not in parts)
        plans.append(ProjectPlan(app, parts, deps))
    return plans


def nested_apps(apps: Sequence[App]) -> dict[App, list[App]]:
    """For each app, the apps whose root lies inside its root (the Base Application's ``Modules``
    each have an app.json). The AL compiler compiles every .al file under a project folder, so
    their files belong to the outer app's project."""
    out: dict[App, list[App]] = {}
    for outer in apps:
        for inner in apps:
            if inner is not outer and outer.root in inner.root.parents:
                out.setdefault(outer, []).append(inner)
    # keep only the outermost: an app nested twice belongs to the outermost one
    outermost = {a: inner for a, inner in out.items() if not any(a in v for v in out.values())}
    return {a: sorted({i for i in inner}, key=lambda x: str(x.root)) for a, inner in outermost.items()}


def analyze_projects(
    workspace: Workspace, parsed: dict[Path, ParsedFile] | None = None
) -> Iterator[tuple[App, list[ParsedFile], AnalyzedProject]]:
    """Each app of ``workspace``, its own parsed files and its analyzed project (the app plus the
    sources of its dependencies). ``parsed`` caches parsed files across apps. An app whose project
    cannot be built at all is skipped (``analyze`` reports why)."""
    for app, own, project, _errors in _analyze_apps(workspace, parsed if parsed is not None else {}):
        if project is not None:
            yield app, own, project


@gc_paused()
def analyze(
    paths: Sequence[str | Path],
    defines: Sequence[str] = (),
    extra_roots: Sequence[str | Path] = (),
    rules: Iterable[type[Rule]] | None = None,
    progress: Callable[[str], None] | None = None,
    jobs: int = 1,
) -> RunResult:
    """Analyze every app under ``paths``; see the module doc. ``jobs`` > 1 parses with that many
    processes (the findings are the same)."""
    from pbtlint.rule import all_rules

    workspace = discover([Path(p) for p in paths], [Path(p) for p in extra_roots], defines)
    parsed: dict[Path, ParsedFile] = {}
    parse_in_parallel(workspace, parsed, jobs)

    results: list[AppResult] = []
    all_findings: list[Finding] = list(workspace.findings)
    rule_list = tuple(rules) if rules is not None else all_rules()
    for app, own, project, errors in _analyze_apps(workspace, parsed):
        if progress:
            progress(f"analyzed {display_path(app.root)}")
        own_paths = {f.path for f in own}
        front = tuple(f for pf in own for f in pf.findings) + tuple(app.findings)
        front += (*package_findings(app), *errors)
        if project is None:
            findings = list(front)
        else:
            context = RuleContext(project, front, tuple(own))
            findings = [
                f for f in run_rules(context, rule_list) if concerns(f, own_paths)
            ]
        results.append(AppResult(app, tuple(own), tuple(findings)))
        all_findings.extend(findings)
    unique = sorted(set(all_findings), key=Finding.sort_key)
    lines = sum(pf.lines for pf in parsed.values())
    return RunResult(workspace, tuple(results), tuple(unique), len(parsed), lines)


fast_pickling(globals())
