"""What a demand-driven run (:mod:`pbtlint.demand`) makes of the previous run's record.

The cache keeps, beside each run's findings, what the run read: the files it chose and parsed, the
mentions and lines its text lookups found. A later run whose changed files
leave all of that as it was keeps the previous result (:func:`unchanged_closure`) or replays the
previous choice of files and bodies (:func:`same_choice_of`, :mod:`pbtlint.replay`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pbtlint import demand_files
from pbtlint import demand_work as work
from pbtlint.cache import Cache
from pbtlint.demand_files import SourceFile
from pbtlint.findings import Finding
from pbtlint.project import Workspace
from pbtlint.replay import Changed, Choice, declares_and_mentions_the_same, same_choice
from pbtlint.runner import AppResult, RunResult, project_plans


def unchanged_closure(workspace: Workspace, files: list[SourceFile], bundle: dict[str, work.IndexEntry],
                       previous: dict) -> tuple[RunResult, dict] | None:
    """The previous result, when the files that changed since were not parsed, declare and mention the
    same as before, and name on the same lines what the fixpoint and the audit looked up in them: the
    closure, and so every rule's input, is then the same. Only the changed files'
    own front-end findings (read and preprocessor errors) are refreshed."""
    try:
        changes = _changes(workspace, files, bundle, previous)
        parsed, same_mentions = set(previous["parsed"]), _mentions_same(previous)
        if not changes or any(str(f.path) in parsed or not declares_and_mentions_the_same(c, same_mentions)
                              for f, c in changes) or not _lookups_same(previous, changes):
            return None
    except (KeyError, TypeError, AttributeError):
        return None
    changed = [f for f, _ in changes]
    shown = {f.display: f for f in changed}
    apps: list[AppResult] = []
    stored_apps = []
    everything: list[Finding] = list(workspace.findings)
    top_apps = [plan.app for plan in project_plans(workspace)]
    for app, (old_files, old_findings) in zip(top_apps, previous["apps"], strict=True):
        own = tuple(demand_files.lite(shown[pf.path]) if pf.path in shown else pf for pf in old_files)
        findings = [f for f in old_findings if not (f.rule_id == "PBT0000" and f.location.path in shown)]
        findings.extend(f for pf in own if pf.path in shown for f in pf.findings)
        findings.sort(key=Finding.sort_key)
        apps.append(AppResult(app, own, tuple(findings)))
        stored_apps.append((own, tuple(findings)))
        everything.extend(findings)
    unique = tuple(sorted(set(everything), key=Finding.sort_key))
    used = set(previous["used"])
    lines = sum(f.entry.lines for f in files if f.entry is not None and str(f.path) in used)
    stored = {**previous, "apps": stored_apps, "findings": unique, "lines": lines,
              "keys": {str(f.path): f.key for f in files}}
    return RunResult(workspace, tuple(apps), unique, previous["files"], lines), stored


def same_choice_of(workspace: Workspace, files: list[SourceFile], bundle: dict[str, work.IndexEntry], previous: dict,
                   cache: Cache | None) -> Choice | None:
    """The previous run's choice of files and bodies when the changed files leave it as it was (see
    :mod:`pbtlint.replay`)."""
    if cache is None:
        return None
    try:
        changes = _changes(workspace, files, bundle, previous)
        if not changes or not _lookups_same(previous, changes):
            return None
        return same_choice(previous, [c for _, c in changes], cache, _mentions_same(previous))
    except (KeyError, TypeError, AttributeError):
        return None


def known_mentions(workspace: Workspace, files: list[SourceFile], bundle: dict[str, work.IndexEntry],
                   previous: dict) -> dict[tuple, set[Path]]:
    """The mention groups the previous run looked up, each with the files that mention it now: its
    hits then, with the changed files looked at again (nothing when more than contents changed)."""
    try:
        changes = _changes(workspace, files, bundle, previous)
        if changes is None:
            return {}
        changed = {f.path for f, _ in changes}
        out: dict[tuple, set[Path]] = {}
        for groups, hits in previous.get("mentions", {}).items():
            needles = work.needles(list(groups))
            out[groups] = {Path(p) for p in hits} - changed
            out[groups].update(p for p in changed if work.mentions((str(p), needles), False))
        return out
    except (KeyError, TypeError, AttributeError, ValueError):
        return {}


def _changes(workspace: Workspace, files: list[SourceFile], bundle: dict[str, work.IndexEntry], previous: dict
             ) -> list[tuple[SourceFile, Changed]] | None:
    """The files whose content changed since the ``previous`` run, each with what it was then; None
    when more than contents changed (the apps, their settings, which files there are)."""
    if previous.get("structure") != demand_files.structure(workspace):
        return None
    old_keys: dict[str, str] = previous["keys"]
    if len(old_keys) != len(files):
        return None
    out: list[tuple[SourceFile, Changed]] = []
    for f in files:
        old = old_keys.get(str(f.path))
        if old is None or f.key is None:
            return None
        if old != f.key:
            before = bundle.get(old)
            out.append((f, Changed(f.path, f.display, f.symbols, old, f.key, before.index if before else None,
                                   f.entry.index if f.entry else None)))
    return out


def _lookups_same(previous: dict, changes: list[tuple[SourceFile, Changed]]) -> bool:
    """Whether the changed files' text still names the watched globals the fixpoint looked up in them
    on the same lines (an edit in a body no one parsed can add an assignment an analysis reads)."""
    lookups: dict[str, dict[tuple[str, bool], list[int]]] = previous.get("lookups", {})
    for f, _ in changes:
        found = lookups.get(str(f.path))
        if found:
            text = demand_files.folded_text(f)
            if any(sorted(demand_files.lines_naming(text, name, assigned)) != lines
                   for (name, assigned), lines in found.items()):
                return False
    return True


def _mentions_same(previous: dict) -> Callable[[Changed], bool]:
    """Whether a changed file's text still mentions exactly the page names the previous run found."""
    groups_hits: dict = previous["mentions"]

    def same(c: Changed) -> bool:
        return all(work.mentions((str(c.path), work.needles(list(groups))), False) == (str(c.path) in hits)
                   for groups, hits in groups_hits.items())
    return same

