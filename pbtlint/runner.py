"""The whole analysis of a set of paths: discover apps, parse, build each project, run the rules.

No printing and no writing: the CLI renders what this returns. Each app found under the paths is
analyzed as one project together with the sources of the apps in the workspace it depends on
(matched by app id), so that calls into them are followed instead of being opaque. Findings are
kept only for files of the app itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pbtlint.analysis import AnalyzedProject, build_project
from pbtlint.findings import Finding
from pbtlint.frontend import ParsedFile, parse_file
from pbtlint.project import App, Workspace, discover
from pbtlint.rule import Rule, all_rules


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
    base = (base or Path.cwd()).resolve()
    try:
        return path.resolve().relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def _dependencies(app: App, workspace: Workspace) -> list[App]:
    """Apps of the workspace (and extra roots) whose id the app depends on, plus every extra root
    without a manifest (plain source folders given on the command line)."""
    wanted = {d.id.lower() for d in (app.manifest.dependencies if app.manifest else ()) if d.id}
    out: list[App] = []
    for other in (*workspace.apps, *workspace.extra_roots):
        if other is app:
            continue
        depended_on = bool(other.manifest and other.manifest.id and other.manifest.id.lower() in wanted)
        plain_extra_root = other in workspace.extra_roots and not other.manifest
        if depended_on or plain_extra_root:
            out.append(other)
    return out


def run_rules(context: RuleContext, rules: Iterable[type[Rule]] | None = None) -> list[Finding]:
    """Every finding of every rule on one project."""
    out: list[Finding] = []
    for rule_class in rules if rules is not None else all_rules():
        out.extend(rule_class().check(context))
    return out


def _parser_for(parsed: dict[Path, ParsedFile]) -> Callable[[App], list[ParsedFile]]:
    """Parse each file of an app once, however many projects include it."""

    def parse_app(app: App) -> list[ParsedFile]:
        out = []
        for path in app.source_files:
            if path not in parsed:
                parsed[path] = parse_file(path, app.preprocessor_symbols, display_path(path))
            out.append(parsed[path])
        return out

    return parse_app


def analyze_projects(
    workspace: Workspace, parsed: dict[Path, ParsedFile] | None = None
) -> Iterator[tuple[App, list[ParsedFile], AnalyzedProject]]:
    """Each app of ``workspace``, its own parsed files and its analyzed project (the app plus the
    sources of its dependencies). ``parsed`` caches parsed files across apps."""
    parse_app = _parser_for(parsed if parsed is not None else {})
    for app in workspace.apps:
        own = parse_app(app)
        deps = [f for dep in _dependencies(app, workspace) for f in parse_app(dep)]
        yield app, own, build_project([*own, *deps])


def analyze(
    paths: Sequence[str | Path],
    defines: Sequence[str] = (),
    extra_roots: Sequence[str | Path] = (),
    rules: Iterable[type[Rule]] | None = None,
    progress: Callable[[str], None] | None = None,
) -> RunResult:
    """Analyze every app under ``paths``; see the module doc."""
    workspace = discover([Path(p) for p in paths], [Path(p) for p in extra_roots], defines)
    parsed: dict[Path, ParsedFile] = {}

    results: list[AppResult] = []
    all_findings: list[Finding] = list(workspace.findings)
    rule_list = tuple(rules) if rules is not None else all_rules()
    for app, own, project in analyze_projects(workspace, parsed):
        if progress:
            progress(f"analyzed {display_path(app.root)}")
        own_paths = {f.path for f in own}
        front = tuple(f for pf in own for f in pf.findings) + tuple(app.findings)
        context = RuleContext(project, front, tuple(own))
        findings = [f for f in run_rules(context, rule_list) if f.location.path in own_paths or f.rule_id == "PBT0000"]
        results.append(AppResult(app, tuple(own), tuple(findings)))
        all_findings.extend(findings)
    unique = sorted(set(all_findings), key=Finding.sort_key)
    lines = sum(pf.lines for pf in parsed.values())
    return RunResult(workspace, tuple(results), tuple(unique), len(parsed), lines)
