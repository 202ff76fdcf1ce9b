"""What a demand-driven run (:mod:`pbtlint.demand`) makes of the previous run's record.

The cache keeps, beside each run's findings, what the run read: the files it chose and parsed, the
mentions and lines its text lookups found. A later run whose changed files
leave all of that as it was, but for the lines below an edit, keeps the previous result with those
lines renumbered (:func:`same_trees`), or replays the previous choice of files and bodies
(:func:`same_choice_of`, :mod:`pbtlint.replay`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pbtlint import demand_files, replay
from pbtlint import demand_work as work
from pbtlint.cache import Cache
from pbtlint.demand_files import SourceFile
from pbtlint.dependency_roots import SeedText
from pbtlint.findings import Finding
from pbtlint.line_map import LineMap, moved_finding, moved_lines
from pbtlint.parallel import run_parallel
from pbtlint.project import Workspace
from pbtlint.replay import (
    Changed,
    Choice,
    Reparsed,
    declares_the_same_but_lines,
    declares_the_same_moved,
    index_line_map,
    reparse_one,
    same_choice,
)
from pbtlint.runner import AppResult, RunResult, project_plans

if TYPE_CHECKING:
    from pbtlint.audit import Extra
    from pbtlint.closure_gate import GateKey


@dataclass(frozen=True, slots=True)
class Edits:
    """What changed since the previous run: each changed file with what it was then, and which of the
    previous run's mention lookups its text answers now (each changed file read once for all of them)."""

    changes: list[tuple[SourceFile, Changed]]
    hits: list[set[str]]  # the files each of the previous run's mention lookups found, by lookup
    now: dict[Path, frozenset[int]]  # the lookups each changed file's text answers now

    def mentions_same(self, c: Changed) -> bool:
        """Whether a changed file's text still mentions exactly the page names the previous run found."""
        now = self.now[c.path]
        return all((i in now) == (str(c.path) in hit) for i, hit in enumerate(self.hits))


def edits_since(workspace: Workspace, files: list[SourceFile], bundle: Mapping[str, work.IndexEntry],
                previous: dict) -> Edits | None:
    """The edits since the ``previous`` run; None when more than contents changed (the apps, their
    settings, which files there are) or the record cannot be read."""
    try:
        changes = _changes(workspace, files, bundle, previous)
        if changes is None:
            return None
        lookups = list(previous["mentions"])
        hits = [set(previous["mentions"][k]) for k in lookups]
    except (KeyError, TypeError, AttributeError, ValueError):
        return None
    owner = [i for i, groups in enumerate(lookups) for _ in groups]  # the lookup of each group, by index
    needles = work.needles([g for groups in lookups for g in groups])
    now = {f.path: frozenset(owner[i] for i in work.mention_hits((str(f.path), needles), False)) if lookups
           else frozenset() for f, _ in changes}
    return Edits(changes, hits, now)


def reparse_changed(edits: Edits, previous: dict, cache: Cache | None, jobs: int = 1) -> dict[Path, Reparsed | None]:
    """Each changed file the previous run parsed, parsed again the same way and cached
    (:func:`pbtlint.replay.reparse`), when every changed file mentions what it did and declares it,
    wherever; else nothing: neither :func:`same_trees` nor :func:`same_choice_of` would hold, and the
    closure parses what it needs on every core."""
    changes = edits.changes
    if cache is None or not changes:
        return {}
    try:
        parsed, whole = set(previous["parsed"]), set(previous["whole"])
    except (KeyError, TypeError):
        return {}
    if not all(edits.mentions_same(c) and declares_the_same_but_lines(c) for _, c in changes):
        return {}
    again = [(f, c) for f, c in changes if str(f.path) in parsed]
    replay.worker_cache = cache  # before the workers are forked: they parse into it
    try:
        found = run_parallel(reparse_one, [(c, str(f.path) in whole) for f, c in again], jobs, chunk_size=2,
                             weights=[f.entry.lines if f.entry else 1 for f, _ in again])
    finally:
        replay.worker_cache = None
    return {f.path: r for (f, _), r in zip(again, found, strict=True)}


def same_trees(workspace: Workspace, files: list[SourceFile], edits: Edits, previous: dict,
               reparsed: dict[Path, Reparsed | None]) -> tuple[RunResult, dict] | None:
    """The previous result, with the lines of the changed files' findings renumbered, when every
    analysis would read what it read before: each changed file mentions the same, declares the same on
    lines that kept their order, names the looked-up globals on the same lines (renumbered) and, if
    the previous run parsed it, parses to the same trees but for their lines (:mod:`pbtlint.line_map`).
    The closure, and every rule's input, is then the same but for those lines (``#pragma`` lines are
    not among them: the report reads the new parse's). An edit in a file no analysis parsed, in a
    comment, or in a body no analysis read qualifies. The changed files' own front-end findings (read
    and preprocessor errors) are refreshed."""
    changes = edits.changes
    if not changes:
        return None
    try:
        parsed = set(previous["parsed"])
        with_unparsed = set(previous["with_unparsed"])  # their unparsed bodies' errors are not cached to compare
        maps: dict[str, LineMap] = {}  # the parsed files': their findings move along
        moves: dict[Path, LineMap | None] = {}  # every changed file's, for the lines its text names
        for f, c in changes:
            if str(f.path) not in parsed:  # only its index and text were read: the same, or moved in order
                moves[f.path] = index_line_map(c)
                if moves[f.path] is None or not edits.mentions_same(c):
                    return None
                continue
            again = reparsed.get(f.path)
            if (again is None or again.lines is None or str(f.path) in with_unparsed or not edits.mentions_same(c)
                    or not declares_the_same_moved(c, again.lines)):
                return None
            maps[f.display] = moves[f.path] = again.lines
        lookups = _lookups_moved(previous, changes, moves)
        if lookups is None or not _seeds_same(workspace, previous, changes):
            return None
    except (KeyError, TypeError, AttributeError, ValueError):
        return None
    unparsed = {f.display: f for f, _ in changes if f.display not in maps}
    new_parse = {again.parsed.path: demand_files.strip(again.parsed) for again in reparsed.values() if again}
    apps: list[AppResult] = []
    stored_apps = []
    everything: list[Finding] = list(workspace.findings)
    top_apps = [plan.app for plan in project_plans(workspace)]
    for app, (old_files, old_findings) in zip(top_apps, previous["apps"], strict=True):
        own = tuple(demand_files.lite(unparsed[pf.path]) if pf.path in unparsed
                    else new_parse.get(pf.path, pf) if pf.path in maps else pf for pf in old_files)
        findings = []
        front = {f for pf in old_files for f in pf.findings}  # read, preprocessor and syntax errors
        for finding in old_findings:
            if finding.rule_id == "PBT0000" and finding not in front and (finding.location.path in unparsed
                                                                          or finding.location.path in maps):
                return None  # an analysis that failed, put at a file's first line: not a place in the code
            if finding.rule_id == "PBT0000" and finding.location.path in unparsed:
                continue  # refreshed below
            located = {loc.path for loc in (finding.location, *finding.related, *finding.call_path)}
            for path in located.intersection(maps):
                finding = moved_finding(finding, path, maps[path])
                if finding is None:
                    return None
            findings.append(finding)
        findings.extend(f for pf in own if pf.path in unparsed for f in pf.findings)
        findings.sort(key=Finding.sort_key)
        apps.append(AppResult(app, own, tuple(findings)))
        stored_apps.append((own, tuple(findings)))
        everything.extend(findings)
    unique = tuple(sorted(set(everything), key=Finding.sort_key))
    used = set(previous["used"])
    # the lines of the files the previous run used: only the changed ones' differ (and only their
    # index entries are read, not every file's)
    grown = [c.lines_added for f, c in changes if str(f.path) in used]
    if any(n is None for n in grown):
        lines = sum(f.entry.lines for f in files if str(f.path) in used and f.entry is not None)
    else:
        lines = previous["lines"] + sum(n for n in grown if n is not None)
    stored = {**previous, "apps": stored_apps, "findings": unique, "lines": lines, "lookups": lookups,
              "keys": {str(f.path): f.key for f in files}}
    return RunResult(workspace, tuple(apps), unique, previous["files"], lines), stored


def same_choice_of(workspace: Workspace, edits: Edits, previous: dict,
                   reparsed: dict[Path, Reparsed | None]) -> Choice | None:
    """The previous run's choice of files and bodies when the changed files leave it as it was (see
    :mod:`pbtlint.replay`); ``reparsed`` as :func:`reparse_changed` gave it."""
    try:
        if (not edits.changes or _lookups_moved(previous, edits.changes, {}) is None
                or not _seeds_same(workspace, previous, edits.changes)):
            return None
        return same_choice(previous, [c for _, c in edits.changes], reparsed, edits.mentions_same)
    except (KeyError, TypeError, AttributeError, ValueError):
        return None


def known_mentions(edits: Edits, previous: dict) -> dict[tuple, set[Path]]:
    """The mention lookups the previous run made, each with the files that mention it now: its hits
    then, with the changed files looked at again."""
    changed = {f.path for f, _ in edits.changes}
    return {groups: {Path(p) for p in hits} - changed | {p for p in changed if i in edits.now[p]}
            for i, (groups, hits) in enumerate(zip(previous["mentions"], edits.hits, strict=True))}


def _changes(workspace: Workspace, files: list[SourceFile], bundle: Mapping[str, work.IndexEntry], previous: dict
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
            now = f.entry
            out.append((f, Changed(f.path, f.display, f.symbols, old, f.key, before.index if before else None,
                                   now.index if now else None, f.real,
                                   now.lines - before.lines if now and before else None)))
    return out


def _lookups_moved(previous: dict, changes: list[tuple[SourceFile, Changed]], maps: dict[Path, LineMap | None]
                   ) -> dict | None:
    """The previous run's lookups of lines naming watched globals, with the changed files' on their new
    lines (through their line maps; a file without one must name them on the same lines); None when a
    changed file now names one elsewhere."""
    lookups: dict[str, dict[tuple[str, bool], list[int]]] = previous.get("lookups", {})
    out = dict(lookups)
    for f, _ in changes:
        found = lookups.get(str(f.path))
        if not found:
            continue
        text = demand_files.folded_text(f)
        mapping = maps.get(f.path)
        now: dict[tuple[str, bool], list[int]] = {}
        for (name, assigned), lines in found.items():
            expected = lines if mapping is None else moved_lines(mapping, lines)
            now[(name, assigned)] = sorted(demand_files.lines_naming(text, name, assigned))
            if expected is None or now[(name, assigned)] != expected:
                return None
        out[str(f.path)] = now
    return out


def _seeds_same(workspace: Workspace, previous: dict, changes: list[tuple[SourceFile, Changed]]) -> bool:
    """Whether the changed files' text leaves each app's closure seeds as the previous run chose them
    (:func:`pbtlint.dependency_roots.closure_seeds`): no app file names one more of the dependency's
    task codeunits, the file that named one still does, and each dependency marker file it searched
    still names one of them, or still does not."""
    records: list[SeedText | None] = previous["seed_text"]
    for plan, record in zip(project_plans(workspace), records, strict=True):
        if record is None:
            continue
        own = set(plan.source_files)
        for f, _ in changes:
            key = str(f.path)
            if key not in record.looked and f.path not in own:
                continue
            text = demand_files.folded_text(f)
            if key in record.looked:
                if any(name in text for name in record.named_in) != record.looked[key]:
                    return False
                continue
            if any(name in text and name not in record.named_in for name in record.names):
                return False
            if any(where == key and name not in text for name, where in record.named_in.items()):
                return False
    return True


def gate_keys_of(before: object, number: int) -> set[GateKey]:
    """App ``number``'s procedures in a list the previous run kept (what the walk gate let through, or
    what the gated fixpoint followed); empty when that run's record holds none, or not in this form."""
    try:
        return {(Path(p), int(line)) for p, line in before[number - 1]}  # type: ignore[index]
    except (TypeError, ValueError, IndexError, KeyError):
        return set()


def extra_of(before: object, number: int) -> Extra:
    """What the previous run's audits added to app ``number``'s closure (empty when its record holds
    none, or not in this form). A body an edit moved is read where it was: only more is read."""
    from pbtlint.audit import Extra  # here: the paths that reuse a result import none of the analysis
    try:
        bodies, groups = before[number - 1]  # type: ignore[index]
        return Extra(frozenset((Path(p), int(line)) for p, line in bodies),
                     frozenset((tuple(names), tuple(procs)) for names, procs in groups))
    except (TypeError, ValueError, IndexError, KeyError):
        return Extra()
