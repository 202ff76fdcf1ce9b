"""The files of a demand-driven run (:mod:`pbtlint.demand`) and what the cache records about them: the
content hashes the stat table still vouches for, the key of a whole run, the workspace's structure, and
the index bundle with its delta."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pbtlint.cache import Cache, StoredEntries, default_location, grammar_hash, tool_version
from pbtlint.findings import shown_at
from pbtlint.frontend import ParsedFile
from pbtlint.pickling import fast_pickling
from pbtlint.project import Workspace, found_real_path, real_dir, real_path
from pbtlint.runner import AppResult, RunResult, display_path, project_plans, shown_as
from pbtlint.source import read_source

if TYPE_CHECKING:
    from pbtlint import demand_work as work


@dataclass(slots=True)
class SourceFile:
    """A source file of the run: where it is, how it is shown, its preprocessor symbols, and once known
    its content hash, its cache key and its index entry."""

    path: Path
    display: str
    symbols: tuple[str, ...]
    digest: str | None = None
    key: str | None = None
    real: str = ""  # its real path: what the stat table knows it by, whatever the working folder
    stored: Mapping[str, work.IndexEntry] | None = None  # the cached entries holding its entry, until read
    known: work.IndexEntry | None = None

    @property
    def entry(self) -> work.IndexEntry | None:
        """Its index entry; one found in the cache (:meth:`keep_stored`) is read when first asked for."""
        if self.stored is not None:
            assert self.key is not None
            self.known, self.stored = entry_for(self, self.stored[self.key]), None
        return self.known

    @entry.setter
    def entry(self, value: work.IndexEntry | None) -> None:
        self.known, self.stored = value, None

    def keep_stored(self, stored: Mapping[str, work.IndexEntry]) -> None:
        """Take its entry from ``stored`` (which holds its :attr:`key`) when it is first asked for."""
        self.known, self.stored = None, stored


def entry_for(f: SourceFile, entry: work.IndexEntry) -> work.IndexEntry:
    """``entry`` (cached for ``f``'s content, maybe under another name) with ``f``'s name in its findings."""
    if all(x.location.path == f.display for x in entry.findings):
        return entry
    return dataclasses.replace(entry, findings=shown_at(entry.findings, f.display))


def files_of(workspace: Workspace) -> list[SourceFile]:
    """Every source file of the workspace's apps and extra roots, once each."""
    seen: dict[Path, SourceFile] = {}
    cwd = os.getcwd()
    root = real_dir(cwd)
    for app in (*workspace.apps, *workspace.extra_roots):
        for path in app.source_files:
            if path in seen:
                continue
            real = found_real_path(path, cwd)  # a plain file discovery found (all but links, mostly)
            shown = shown_as(path, real, root) if real is not None else display_path(path)
            seen[path] = SourceFile(path, shown, app.preprocessor_symbols, real=real or real_path(path))
    return list(seen.values())


def hash_files(files: list[SourceFile], cache: Cache | None) -> dict[str, tuple[int, int, str]]:
    """Give each file whose size and modification time the stat table knows its recorded content hash;
    the table's entries still true are returned."""
    old = cache.load_stats() if cache is not None else {}
    new: dict[str, tuple[int, int, str]] = {}
    for f in files:
        try:
            st = os.stat(f.path)
        except OSError:
            continue
        known = old.get(f.real)
        if known is not None and known[0] == st.st_mtime_ns and known[1] == st.st_size:
            f.digest = known[2]
            new[f.real] = known
    return new


def run_key(workspace: Workspace, files: list[SourceFile]) -> str:
    """The key of a whole run's result: the tool, the workspace and every file's content."""
    h = hashlib.blake2b(digest_size=20)
    for part in (tool_version(), grammar_hash(), str(Path.cwd()), repr(workspace.findings)):
        h.update(part.encode("utf-8"))
    for app in (*workspace.apps, ("extra",), *workspace.extra_roots):
        h.update(repr(app if isinstance(app, tuple) else (app.root, app.manifest, app.findings,
                                                          app.preprocessor_symbols)).encode("utf-8"))
    for f in files:
        h.update(f"{f.path}\0{f.digest}\0".encode())
    return h.hexdigest()


def cache_for(workspace: Workspace, cache_dir: str | Path | None) -> Cache | None:
    """The cache at ``cache_dir``, or at the default location of the first app's root."""
    if cache_dir is not None:
        return Cache(Path(cache_dir))
    roots = [a.root for a in workspace.apps]
    return Cache(default_location(roots[0])) if roots else None


def save_indexes(cache: Cache, bundle: StoredEntries, files: list[SourceFile],
                 indexed: list[SourceFile]) -> None:
    """Write the entries of the files this run indexed. While the files indexed since the bundle was last
    written are few, only they go to the delta beside it (rewriting ten thousand entries for one edited
    file cost more than the edit's analysis saved); beyond that, or when there was no bundle (a first
    run), the whole bundle is written again, with today's files only."""
    if not indexed:
        return
    delta = cache.index_delta | {f.key for f in indexed if f.key}
    if len(indexed) < len(files) and len(delta) <= max(FEW_INDEXED, len(files) // 100):
        cache.save_index_delta(bundle.only(delta))
        return
    keys = {f.key for f in files}
    cache.save_indexes(bundle.only(keys))


FEW_INDEXED = 16


def structure(workspace: Workspace) -> str:
    """Everything about the workspace but the files' contents."""
    h = hashlib.blake2b(digest_size=20)
    h.update(repr((str(Path.cwd()), workspace.findings)).encode("utf-8"))
    for app in (*workspace.apps, None, *workspace.extra_roots):
        h.update(repr(None if app is None else (app.root, app.manifest, app.findings, app.preprocessor_symbols,
                                                 app.source_files)).encode("utf-8"))
    return h.hexdigest()


def lite(f: SourceFile) -> ParsedFile:
    """A file the run did not parse, with what reading and indexing it gave."""
    entry = f.entry
    if entry is None:
        return ParsedFile(f.display, None, (), (), 0)
    return ParsedFile(f.display, None, entry.pragmas, entry.findings, entry.lines)




def folded_text(f: SourceFile) -> str:
    """A file's text, case-folded (for :func:`lines_naming`)."""
    return (read_source(f.path, f.display).text or "").casefold()


@functools.cache
def _assigned_tail() -> re.Pattern[str]:
    """Blanks and comments, then an assignment: each comment read one way only
    (declindex.COMMENT_PATTERN; otherwise a failed match backtracks through every way of splitting the
    comment lines between the name and what follows). Made when first used: a warm run imports no
    index patterns."""
    from pbtlint.declindex import COMMENT_PATTERN

    return re.compile(rf'"?(?:\s|{COMMENT_PATTERN})*[-+*/:]=')


def lines_naming(text: str, name: str, assigned: bool | None) -> set[int]:
    """The lines of a case-folded ``text`` that name ``name`` (with ``assigned``, as ``name :=``, ``+=``...;
    a name and its ``:=`` may be on different lines, with comments between). A name after a dot is a
    member, not the plain name, unless ``assigned`` is None: then every mention counts (``Cu.Name``)."""
    found: set[int] = set()
    line, at = 1, 0
    start = text.find(name)
    while start >= 0:
        stop = start + len(name)
        before = text[start - 1] if start else " "
        if not (before.isalnum() or before == "_" or (before == "." and assigned is not None)) and (
                _assigned_tail().match(text, stop) if assigned else
                stop == len(text) or not (text[stop].isalnum() or text[stop] == "_")):
            line += text.count("\n", at, start)
            at = start
            found.add(line)
        start = text.find(name, stop)
    return found


def size(path: Path) -> int:
    """A file's size in bytes (0 when it cannot be stated): how much work parsing it is, for sharing out."""
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def strip(pf: ParsedFile) -> ParsedFile:
    """A parsed file as a run stores it: without its unit."""
    return pf if pf.unit is None else ParsedFile(pf.path, None, pf.pragmas, pf.findings, pf.lines)


def from_stored(workspace: Workspace, stored: dict) -> RunResult:
    """The result of a run as the cache stored it."""
    apps = tuple(AppResult(app, files, findings)
                 for app, (files, findings) in zip([p.app for p in project_plans(workspace)], stored["apps"],
                                                   strict=True))
    return RunResult(workspace, apps, stored["findings"], stored["files"], stored["lines"])


fast_pickling(globals())
