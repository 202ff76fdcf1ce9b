"""What a demand-driven analysis (:mod:`pbtlint.demand_run`) looks up in the files' text, and keeps.

Two kinds of lookup:
- the files whose text mentions names: the fixpoint's page mention groups, the audit's caller groups.
  One pass scans every file, on every core, for all the groups not answered yet.
- the lines of one file that name a name: the fixpoint's readers of watched globals, and the audit.

What they found goes into the run's record. A later run checks its edits against that record
(:mod:`pbtlint.demand_previous`), so an edit that changes what a lookup found is never taken for one
that no analysis read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from pbtlint import demand_files
from pbtlint import demand_work as work
from pbtlint.demand_audit import Group
from pbtlint.demand_files import SourceFile
from pbtlint.parallel import run_parallel
from pbtlint.replay import Choice

Lines = dict[str, dict[tuple[str, bool | None], list[int]]]
"""By file: the lines found naming a name, by the name and whether assigned (None: either)."""


class TextLookups:
    """The lookups of one analysis of ``files`` (``by_path``: the same by path), with ``jobs``
    processes, those of ``pool``. ``known`` are mention lookups an earlier run made that still hold."""

    def __init__(self, files: Sequence[SourceFile], by_path: Mapping[Path, SourceFile], jobs: int, pool: object,
                 known: dict[tuple, set[Path]]) -> None:
        self.files, self.by_path = files, by_path
        self.jobs, self.pool, self.known = jobs, pool, known
        self.mentions: dict[tuple, set[Path]] = {}  # what each mention lookup found
        self.lines: Lines = {}
        self.texts: dict[Path, str] = {}  # the texts read for lines; emptied by forget_texts

    def lookup(self, keys: list[tuple[Group, ...]]) -> list[set[Path]]:
        """For each key, the files whose text mentions one of its groups (one of the group's names and
        one of its procedures); the keys no lookup of this run or, still true, of the previous one
        answered are looked up in one pass."""
        mentions, known = self.mentions, self.known
        mentions.update({k: known[k] for k in keys if k not in mentions and k in known})
        todo = [k for k in dict.fromkeys(keys) if k not in mentions]
        if todo:
            owner = [k for k in todo for _ in k]  # the key of each group, by the group's index
            needles = work.needles([g for k in todo for g in k])
            # large chunks: after the first scan each process looks in what it kept (demand_work._scanned),
            # a few microseconds a file, and a worker given 64 at a time waited for more a third of a scan
            found = run_parallel(work.mention_hits, [(str(f.path), needles) for f in self.files], self.jobs,
                                 chunk_size=512, pool=self.pool)
            mentions.update({k: set() for k in todo})
            for f, hits in zip(self.files, found, strict=True):
                for i in hits:
                    mentions[owner[i]].add(f.path)
        return [mentions[k] for k in keys]

    def mentioned(self, groups: list[Group]) -> set[Path]:
        """The files that mention one of ``groups`` (the fixpoint's page mention groups)."""
        return self.lookup([tuple(groups)])[0]

    def mentioned_each(self, groups: list[Group]) -> list[set[Path]]:
        """The files that mention each of ``groups`` (the audit's caller groups)."""
        return self.lookup([(g,) for g in groups])

    def lines_naming(self, key: Path, name: str, assigned: bool | None) -> set[int]:
        """The lines of a file that name ``name`` (for the fixpoint's readers and the audit)."""
        text = self.texts.get(key)
        if text is None:
            text = self.texts[key] = demand_files.folded_text(self.by_path[key])
        found = demand_files.lines_naming(text, name, assigned)
        self.lines.setdefault(str(key), {})[(name, assigned)] = sorted(found)
        return found

    def forget_texts(self) -> None:
        """Memory: the texts read for lines are not kept while the model is built (what was found is)."""
        self.texts.clear()

    def record(self, choice: Choice | None) -> tuple[dict, Lines]:
        """The mentions and lines for the run's record. The previous run's lookups that this run did
        not make still hold: the ``known`` mentions, updated for the changed files, and, when this run
        replayed ``choice``, that choice's mentions and lines (replay checked them). Kept, a later run
        that asks again does not scan every file for them."""
        mentions = {**_stored(self.known), **_stored(self.mentions)}
        lines = self.lines
        if choice is not None:
            mentions = {**choice.mentions, **mentions}
            lines = {path: {**choice.lookups.get(path, {}), **self.lines.get(path, {})}  # per file: the
                     for path in {*choice.lookups, *self.lines}}  # audit's lookups add to the fixpoint's
        return mentions, lines


def _stored(mentions: dict[tuple, set[Path]]) -> dict[tuple, list[str]]:
    """Mention lookups as the record keeps them: each one's files by name, sorted."""
    return {names: sorted(str(p) for p in hits) for names, hits in mentions.items()}
