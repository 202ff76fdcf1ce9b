"""Demand-driven analysis: the findings of :func:`pbtlint.runner.analyze` without parsing every file.

Every file is read, preprocessed and indexed (:mod:`pbtlint.declindex`, compiled regular expressions,
both cores); then only the files that page background tasks can reach are parsed
(:mod:`pbtlint.closure`), the project is built from them and every rule runs on it, exactly as in a
full parse. Indexes and parsed files are cached by content (:mod:`pbtlint.cache`); when no input
changed the previous run's result is returned as it was, and when only files that no analysis read
changed (their declarations, markers and mentions alike), the previous result is kept and only their
own front-end findings are refreshed. So it is when a changed file that was parsed parses to the same
trees but for their lines (a comment, a line added, an edit in a body no analysis read): the previous
findings are kept with their lines in that file renumbered (:mod:`pbtlint.line_map`).

The project checks itself (:mod:`pbtlint.audit`): the bodies the closure left out are kept as
markers, and a rule that reads one, or asks for the callers of a procedure, is noted. When a full
parse could have given such a read something (:mod:`pbtlint.demand_audit`), the closure runs again
with those bodies and callers added, until the rules read nothing that is missing.

What a full parse reports and this does not: syntax errors in files and bodies that are never parsed
(a file that is read and preprocessed still reports its read and preprocessor errors). ``AppResult.files``
holds one ParsedFile per file of the app; the unit is None for files this run did not parse.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pbtlint import demand_files
from pbtlint.cache import Cache, StoredEntries, file_key
from pbtlint.demand_files import SourceFile
from pbtlint.parallel import gc_paused, run_parallel
from pbtlint.pickling import fast_pickling
from pbtlint.project import App, discover
from pbtlint.runner import RunResult


@dataclass(frozen=True, slots=True)
class Stats:
    """What one run did (for the benchmark)."""

    files: int
    indexed: int
    parsed: int
    parsed_from_cache: int
    parsed_lines: int
    path: str  # "warm", "unchanged-closure", "same-trees" (pbtlint.line_map), "same-choice" (pbtlint.replay), "closure"
    bodies: int = 0  # bodies a skeleton left out, parsed on their own
    phases: tuple[tuple[str, float], ...] = ()  # wall seconds per phase (index, parse, bodies, model, rules...)
    walked: int = 0  # procedures the background walk reached (what PBT0001-PBT0004 read; summed over apps)
    rounds: int = 0  # closures run again because an audit found reads of what was left out (pbtlint.audit)
    unmet: int = 0  # what the last audit still found unmet (bodies and caller groups): the closure could not add it
    followed: int = 0  # procedures the last closure of each app followed as reachable, by name (0 when replayed)


phases: dict[str, float] = {}
"""Wall seconds per phase of the latest run (index, parse, bodies, model, rules...)."""


@contextlib.contextmanager
def timed(phase: str) -> Iterator[None]:
    """Add the wall time of the block to ``phase`` (for :attr:`Stats.phases`)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        phases[phase] = phases.get(phase, 0.0) + time.perf_counter() - start


WARM_UP_FROM = 256
"""Files to index from which the index pass also loads what the analysis will use (:func:`_warm_up`):
so many unknown contents are a first run, or one after many changes, which analyzes."""


def _warm_up() -> None:
    """Import the analysis and load what it uses first (:func:`pbtlint.demand_run.warm_up`), while a
    worker indexes: 0.26 s a cold run spent later with the worker idle (or, the parser's tables, in
    both processes). Workers forked afterwards have them loaded."""
    from pbtlint import demand_run

    demand_run.warm_up()


def _index_files(todo: list[SourceFile], bundle: StoredEntries, stats: dict[str, tuple[int, int, str]],
                 jobs: int) -> tuple[list[SourceFile], bool]:
    """Read and hash ``todo``; index the files whose content ``bundle`` does not hold (and add them to it).
    Returns the files indexed, and whether ``stats`` got an entry (a file that cannot be stated gets none)."""
    if not todo:
        return [], False
    from pbtlint import demand_work as work  # here: a warm run reads and indexes nothing

    work.set_known_keys(frozenset(bundle))  # a file whose content is known is read and hashed only
    try:
        with timed("index"):
            results = run_parallel(work.index_file, [(str(f.path), f.display, f.symbols) for f in todo], jobs,
                                   chunk_size=16, weights=[demand_files.size(f.path) for f in todo],
                                   meanwhile=_warm_up if len(todo) >= WARM_UP_FROM else None)
    finally:
        work.set_known_keys(frozenset())
    indexed: list[SourceFile] = []
    restated = False
    for f, (digest, entry) in zip(todo, results, strict=True):
        f.digest = digest
        f.key = file_key(digest, f.symbols)
        if entry is None:  # the bundle holds this content (known_keys came from it)
            f.keep_stored(bundle)
        else:
            f.entry = bundle[f.key] = entry
            indexed.append(f)
        try:
            st = os.stat(f.path)
        except OSError:
            continue
        stats[f.real] = (st.st_mtime_ns, st.st_size, digest)
        restated = True
    return indexed, restated


last_stats: Stats | None = None
"""Statistics of the latest :func:`analyze_demand` call in this process."""


@gc_paused()
def analyze_demand(
    paths: Sequence[str | Path],
    defines: Sequence[str] = (),
    extra_roots: Sequence[str | Path] = (),
    cache_dir: str | Path | None = None,
    jobs: int = 1,
    use_cache: bool = True,
) -> RunResult:
    """Analyze every app under ``paths`` like :func:`pbtlint.runner.analyze`, parsing only what the
    analysis can reach; see the module doc."""
    global last_stats
    workspace = discover([Path(p) for p in paths], [Path(p) for p in extra_roots], defines)
    files = demand_files.files_of(workspace)
    cache = demand_files.cache_for(workspace, cache_dir) if use_cache else None
    stats = demand_files.hash_files(files, cache)
    if cache is not None and all(f.digest is not None for f in files):
        warm = cache.get_run(demand_files.run_key(workspace, files))  # nothing changed: no index needs loading
        if warm is not None:
            last_stats = Stats(len(files), 0, 0, 0, 0, "warm")
            return demand_files.from_stored(workspace, warm)
    phases.clear()
    bundle = cache.load_indexes() if cache is not None else StoredEntries()
    # index: files whose content is unknown or whose entry is not cached
    todo = []
    for f in files:
        if f.digest is not None:
            f.key = file_key(f.digest, f.symbols)
            if f.key in bundle:
                f.keep_stored(bundle)
                continue
        todo.append(f)
    indexed, restated = _index_files(todo, bundle, stats, jobs)

    def remember(cache: Cache) -> None:
        """What this run learnt of the files: new index entries, new times (also for files touched,
        not changed: next time their modification times are known)."""
        demand_files.save_indexes(cache, bundle, files, indexed)
        if restated:
            cache.save_stats(stats)

    run_key = demand_files.run_key(workspace, files)
    if cache is not None:
        warm = cache.get_run(run_key)
        if warm is not None:
            remember(cache)
            last_stats = Stats(len(files), len(indexed), 0, 0, 0, "warm")
            return demand_files.from_stored(workspace, warm)
    from pbtlint import demand_previous  # here, past the warm checks: they read no previous run's record

    # the last run from this folder, also when every content is known (an edit undone, or made while
    # a run from another folder indexed it): what changed since is looked at as after any edit
    structure = demand_files.structure(workspace)
    previous = (cache.latest_run(lambda run: isinstance(run, dict) and run.get("structure") == structure)
                if cache is not None else None)
    choice, known = None, {}
    edits = demand_previous.edits_since(workspace, files, bundle, previous) if isinstance(previous, dict) else None
    if edits is not None and isinstance(previous, dict):
        reparsed = demand_previous.reparse_changed(edits, previous, cache, jobs)
        kept = demand_previous.same_trees(workspace, files, edits, previous, reparsed)
        if kept is not None and cache is not None:
            result, stored = kept
            remember(cache)
            cache.put_run(run_key, stored)
            last_stats = Stats(len(files), len(indexed), 0, 0, 0, "same-trees" if reparsed else "unchanged-closure")
            return result
        choice = demand_previous.same_choice_of(workspace, edits, previous, reparsed)
        known = demand_previous.known_mentions(edits, previous)
    from pbtlint import demand_run  # here: the parser, the model and the rules, for this run only
    from pbtlint import demand_work as work

    before = previous if isinstance(previous, dict) else {}
    result, stored, counts = demand_run.analyze(workspace, files, cache, jobs, choice, known, before.get("allowed"),
                                                before.get("passed"), before.get("extra"),
                                                functools.partial(remember, cache) if cache is not None else None)
    if cache is not None:
        cache.put_run(run_key, stored)
        cache.prune()
    last_stats = Stats(len(files), len(indexed), counts["parsed"], counts["cached"], counts["lines"],
                       "same-choice" if counts["replayed"] else "closure", counts["bodies"],
                       tuple(sorted(phases.items())), counts["walked"], counts["rounds"], counts["unmet"],
                       counts["followed"])
    work.set_worker_cache(None)
    return result


def app_files(app: App) -> tuple[Path, ...]:
    """The source files of ``app`` (a convenience for tools)."""
    return app.source_files


fast_pickling(globals())
