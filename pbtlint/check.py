"""``pbtlint check`` without the command line: configuration, analysis, suppression, baseline, report.

Reads the configuration, files and baseline it is pointed at (the input end of the pipeline) and
returns the rendered report; the CLI writes it and picks the exit code.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pbtlint.cache import Cache, content_hash, file_key
from pbtlint.config import load_config
from pbtlint.demand import analyze_demand
from pbtlint.demand_files import cache_for
from pbtlint.findings import SYNTAX_ERROR, Finding, Severity, shown_at
from pbtlint.report import ReportMeta, ToolNotification, render
from pbtlint.runner import RunResult, analyze, display_path
from pbtlint.source import DEFAULT_MAX_BYTES, read_source
from pbtlint.suppress import apply_suppressions


@dataclass(frozen=True, slots=True)
class CheckOptions:
    paths: Sequence[str] = (".",)
    fmt: str = "text"
    config_file: str | None = None
    defines: Sequence[str] = ()
    extra_roots: Sequence[str] = ()
    baseline: str | None = None
    write_baseline: str | None = None
    sarif_category: str | None = None
    show_suppressed: bool = False
    jobs: int = 1
    full_parse: bool = False
    cache_dir: str | None = None
    use_cache: bool = True


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    findings: tuple[Finding, ...]
    report: str
    run: RunResult


def app_root_of(file: Path) -> Path:
    """The folder of the nearest app.json above ``file``, or ``file`` itself when there is none."""
    for parent in Path(os.path.realpath(file)).parents:  # realpath: no error on a symlink loop
        if (parent / "app.json").is_file():
            return parent
    return file


def expand_paths(paths: Sequence[str]) -> tuple[list[Path], set[str] | None]:
    """Directories stay; a .al file stands for its whole app, and findings are then kept only for the
    files given (None: keep all). This is what pre-commit needs: it passes changed files only."""
    roots: list[Path] = []
    only: set[str] | None = None
    for raw in paths:
        p = Path(raw)
        if p.is_file():
            only = (only or set()) | {display_path(p)}
            root = app_root_of(p)
            if root not in roots:
                roots.append(root)
        elif p not in roots:
            roots.append(p)
    if only is not None and any(Path(r).is_dir() for r in paths):
        only = None  # a directory was given too: report everything under it
    return roots, only


def _syntax_of_given_files(run: RunResult, only: set[str], cache: Cache | None) -> list[Finding]:
    """Syntax errors of the files given one by one (as pre-commit gives the changed files) that the
    demand-driven analysis may not have seen (it parses most files without the bodies it does not
    need): a user who names a file expects to hear that it is broken. Those few files are parsed whole
    (as --full-parse does: each body that does not parse gives its own error), once per content: the
    cache keeps what each parse found (a hook run again on the same files, after another hook failed,
    parses none)."""
    out: list[Finding] = []
    for app in run.apps:
        symbols = app.app.preprocessor_symbols
        for pf in app.files:
            if pf.path in only:
                known = set(pf.findings)
                out.extend(f for f in _syntax_errors(pf.path, symbols, cache) if f not in known)
    return out


def _syntax_errors(path: str, symbols: tuple[str, ...], cache: Cache | None) -> list[Finding]:
    key = None
    if cache is not None:
        try:
            with open(path, "rb") as f:
                key = "syntax-" + file_key(content_hash(f.read()), symbols)
        except OSError:
            key = None
        found = cache.get_ast(key) if key else None
        if isinstance(found, list) and all(isinstance(f, Finding) for f in found):
            return list(shown_at(tuple(found), path))  # maybe found for the same content under another name
    from pbtlint.skeleton import parse_in_parts  # here: a run that reuses its result imports no parser

    found = [f for f in parse_in_parts(path, symbols, path).findings if f.rule_id == SYNTAX_ERROR]
    if cache is not None and key:
        cache.put_ast_bytes(key, pickle.dumps(found, pickle.HIGHEST_PROTOCOL))
    return found


def _lines_of(path: str) -> list[str] | None:
    text = read_source(path).text
    return text.split("\n") if text is not None else None


def run_check(options: CheckOptions, progress: Callable[[str], None] | None = None) -> CheckOutcome:
    """Analyze, suppress, apply the baseline and render; may raise ConfigError for bad configuration."""
    config = load_config(options.config_file, start=options.paths[0] if options.paths else ".")
    roots, only = expand_paths(options.paths)
    defines = (*config.defines, *options.defines)
    extra_roots = (*config.source_roots, *(Path(r) for r in options.extra_roots))
    if options.full_parse:
        run = analyze(roots, defines=defines, extra_roots=extra_roots, progress=progress, jobs=options.jobs)
    else:
        run = analyze_demand(roots, defines, extra_roots, cache_dir=options.cache_dir, jobs=options.jobs,
                             use_cache=options.use_cache)
    all_findings = list(run.findings)
    if only is not None and not options.full_parse:
        cache = cache_for(run.workspace, options.cache_dir) if options.use_cache else None
        all_findings.extend(_syntax_of_given_files(run, only, cache))
    findings = [
        f for f in all_findings
        if (only is None or f.location.path in only) and (f.rule_id == SYNTAX_ERROR or config.selects(f.location.path))
    ]
    pragmas = {pf.path: pf.pragmas for app in run.apps for pf in app.files}
    suppress_warnings = {
        pf.path: app.app.manifest.suppress_warnings for app in run.apps if app.app.manifest for pf in app.files
    }
    findings = apply_suppressions(findings, pragmas=pragmas, suppress_warnings=suppress_warnings, config=config)
    if options.baseline or options.write_baseline:
        from pbtlint.baseline import apply_baseline, read_baseline, render_baseline  # only when asked for

        if options.baseline:
            findings = apply_baseline(findings, read_baseline(options.baseline), _lines_of)
        if options.write_baseline:
            Path(options.write_baseline).write_text(render_baseline(findings, _lines_of), encoding="utf-8")
    unreadable = {pf.path for app in run.apps for pf in app.files if pf.unit is None and pf.lines == 0}
    empty = sorted(
        pf.path for app in run.apps for pf in app.files
        if pf.unit is not None and not pf.unit.objects and not pf.findings and (only is None or pf.path in only)
    )
    notifications = tuple(
        ToolNotification(f.location.path, f.message, f.severity, f.rule_id)
        for f in findings
        if f.rule_id == SYNTAX_ERROR and f.location.path in unreadable
    ) + tuple(ToolNotification(path, "file holds no AL object; nothing to analyze", Severity.NOTE, "")
              for path in empty)
    sources = {}
    for path in sorted({f.location.path for f in findings}):
        try:  # for snippets and fingerprints; a file over the size limit was never read, nor is it here
            if os.stat(path).st_size <= DEFAULT_MAX_BYTES:
                sources[path] = Path(path).read_bytes()
        except (OSError, ValueError):
            continue
    meta = ReportMeta(
        root=str(Path.cwd()),
        sources=sources,
        notifications=notifications,
        category=options.sarif_category,
        show_suppressed=options.show_suppressed,
    )
    return CheckOutcome(tuple(findings), render(options.fmt, findings, meta), run)
