"""What a demand-driven run (:mod:`pbtlint.demand`) hands to its processes, one file at a time:
index a file, parse it whole or as a skeleton and summarize it, parse and summarize some of its
bodies, look for page names in its text. Each function runs in the parent or in a forked worker
(``in_worker``); a worker's result travels back pickled, so a parsed tree is pickled once, for the
cache and for the trip.
"""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import ahocorasick_rs

from pbtlint.cache import Cache, content_hash, file_key
from pbtlint.declindex import FileIndex, index_text
from pbtlint.findings import Finding
from pbtlint.frontend import ParsedFile
from pbtlint.parallel import RunMemo
from pbtlint.pickling import fast_pickling
from pbtlint.pragma import PragmaWarning
from pbtlint.preprocessor import preprocess
from pbtlint.source import read_source_bytes

if TYPE_CHECKING:  # the parsing functions import the parser and the summaries themselves: indexing and
    # scanning files (a run where only files no analysis read changed) need neither
    from pbtlint import nodes as n
    from pbtlint.elide import BodyKey
    from pbtlint.skeleton import BodySpan
    from pbtlint.summaries import ObjectSummary

    BodyItem = tuple[str, str, tuple[str, ...], list[BodySpan], list[tuple[n.Procedure, str]]]
    """A file's bodies to parse: path, shown path, symbols, the bodies' places, and each body's procedure
    (as the skeleton has it) with the element it sits on."""


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """What reading, preprocessing and indexing one file gave."""

    index: FileIndex
    findings: tuple[Finding, ...]
    pragmas: tuple[PragmaWarning, ...]
    lines: int


known_keys: frozenset[str] = frozenset()
"""Keys (:func:`pbtlint.cache.file_key`) of the contents whose index entries the parent already holds;
set before the workers are forked."""


def index_file(item: tuple[str, str, tuple[str, ...]], in_worker: bool) -> tuple[str, IndexEntry | None]:
    """The file's content hash and index entry; no entry (None) when :data:`known_keys` says the parent
    has the entry of that content already (a file whose modification time changed, not its text:
    a checkout, a branch switch and back)."""
    path, shown, symbols = item
    source, data = read_source_bytes(path, shown)
    if data is not None:
        digest = content_hash(data)
    else:  # unreadable or too large: what is there, if anything, tells when that changes
        try:
            with open(path, "rb") as f:
                digest = content_hash(f.read())
        except (OSError, ValueError):
            digest = "unreadable"
    if known_keys and file_key(digest, symbols) in known_keys:
        return digest, None
    if source.text is None:
        return digest, IndexEntry(FileIndex((), (), (), False, 0), tuple(source.findings), (), 0)
    pre = preprocess(source.text, symbols, shown)
    lines = source.text.count("\n") + 1 if source.text else 0
    return digest, IndexEntry(index_text(pre.text), tuple(source.findings) + tuple(pre.findings), pre.pragmas, lines)


worker_cache: Cache | None = None


def parse_summarized(path: str | Path, shown: str, symbols: tuple[str, ...], whole: bool
                     ) -> tuple[ParsedFile, frozenset[BodyKey], list[ObjectSummary]]:
    """The file parsed whole or as a skeleton, the bodies the skeleton left out, and its summaries."""
    from pbtlint.skeleton import parse_in_parts, parse_skeleton
    from pbtlint.summaries import summarize

    if whole:  # as --full-parse parses it: a body that does not parse costs its procedure, not the file
        parsed, elided = parse_in_parts(path, symbols, shown), frozenset()
    else:
        parsed, elided = parse_skeleton(path, shown, symbols)
    return parsed, elided, summarize(parsed.unit, elided) if parsed.unit is not None else []


def parse_one(item: tuple[str, str, tuple[str, ...], str, bool], in_worker: bool) -> tuple[bytes | None, object]:
    path, shown, symbols, key, whole = item
    parsed, _, summary = parse_summarized(path, shown, symbols, whole)
    return ship((parsed, summary), key, in_worker)


def parse_file_or_bodies(item: tuple[bool, object], in_worker: bool) -> tuple[bool, object]:
    """:func:`parse_body_item` of a body item, :func:`parse_one` of a file item (``item`` is whether it
    is bodies, and the item), for one batch of both: the kind and the result."""
    is_bodies, inner = item
    return is_bodies, (parse_body_item(inner, in_worker) if is_bodies  # type: ignore[arg-type]
                       else parse_one(inner, in_worker))  # type: ignore[arg-type]


def ship(value: object, key: str, in_worker: bool) -> tuple[bytes | None, object]:
    """Cache ``value`` under ``key`` (when a cache is set) and hand it back: pickled from a worker; in
    the calling process, with its pickle when one was made (a body batch's cache entry is made of it)."""
    data: bytes | None = None
    if worker_cache is not None or in_worker:
        try:
            data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except RecursionError:  # a very deeply nested expression: not cached, not sent
            data = None
    if worker_cache is not None and data is not None and key:
        worker_cache.put_ast_bytes(key, data)
    if in_worker:
        return (data, None) if data is not None else (None, AGAIN)
    return data, value


AGAIN = "parse-in-parent"
"""What a worker returns for a result that cannot be pickled: the parent computes it itself."""


def header(node: n.Procedure) -> n.Procedure:
    """What a body's summary needs of its procedure besides the body: no body, no attributes (they
    can nest deeply, and only say whether it publishes an event, which the skeleton's summary has)."""
    return dataclasses.replace(node, body=None, attributes=(),
                               variables=tuple(dataclasses.replace(v, attributes=()) for v in node.variables))


def parse_body_item(item: BodyItem, in_worker: bool) -> tuple[tuple[bytes | None, object], list[object]]:
    """The bodies (as :func:`ship` hands them back) and what each adds to its procedure's summary
    (None for a body that does not parse): summarized where they were parsed, on either core."""
    path, shown, symbols, spans, procedures = item
    blocks, facts = bodies_with_facts(path, shown, symbols, spans, procedures)
    return ship(blocks, "", in_worker), facts


def bodies_with_facts(path: str | Path, shown: str, symbols: tuple[str, ...], spans: list[BodySpan],
                      procedures: list[tuple[n.Procedure, str]]) -> tuple[list[n.Block], list[object]]:
    """The bodies at ``spans`` (an :class:`~pbtlint.nodes.UnparsedBlock` with its error for one that
    does not parse) and what each adds to its procedure's summary (None for an unparsed one);
    ``procedures`` as in :data:`BodyItem`."""
    from pbtlint.nodes import UnparsedBlock
    from pbtlint.skeleton import parse_bodies
    from pbtlint.summaries import body_summary

    blocks: list[n.Block] = parse_bodies(path, shown, symbols, spans, unparsed=True)  # type: ignore[assignment]
    facts = [None if isinstance(block, UnparsedBlock)
             else body_summary(dataclasses.replace(node, body=block), element).body_facts()
             for (node, element), block in zip(procedures, blocks, strict=True)]
    return blocks, facts


def set_known_keys(keys: frozenset[str]) -> None:
    """The contents :func:`index_file` need not index (set before the workers are forked)."""
    global known_keys
    known_keys = keys


deferred_write: Callable[[], None] | None = None
"""What a worker writes of the run's files while the calling process analyzes them (the index bundle),
set by :func:`pbtlint.demand_run.analyze` before the workers are forked."""


def run_deferred_write() -> None:
    """:data:`deferred_write`, in a worker (which holds the data as they were when it was forked)."""
    if deferred_write is not None:
        deferred_write()


def set_worker_cache(cache: Cache | None) -> None:
    """The cache every process writes what it parses into (set before the workers are forked)."""
    global worker_cache
    worker_cache = cache


@dataclass(frozen=True, slots=True)
class Needles:
    """Mention groups as the bytes a scan looks for (lower-case UTF-8): each distinct word once, and per
    group the indexes of its names and of its procedures (groups share names: a scan looks for each
    word at most once per file)."""

    words: list[bytes]
    groups: list[tuple[tuple[int, ...], tuple[int, ...]]]
    ascii: bool  # bytes.lower() folds ASCII letters only: otherwise a file is decoded to fold it
    names: tuple[int, ...] = ()  # the indexes of the groups' names (a scan looks for them first)


def needles(groups: list[tuple[tuple[str, ...], tuple[str, ...]]]) -> Needles:
    index: dict[bytes, int] = {}

    def enc(xs: tuple[str, ...]) -> tuple[int, ...]:
        return tuple(index.setdefault(x.lower().encode("utf-8"), len(index)) for x in xs if x)

    encoded = [(enc(names), enc(procs)) for names, procs in groups]
    return Needles(list(index), encoded, all(w.isascii() for w in index),
                   tuple(sorted({i for names, _ in encoded for i in names})))


_automata: dict[tuple[bytes, ...], ahocorasick_rs.BytesAhoCorasick] = {}


def _automaton(words: list[bytes]) -> ahocorasick_rs.BytesAhoCorasick:
    """An automaton over ``words`` (reported by their position), built once per set of words in each
    process. It searches bytes, so it finds exactly what ``word in data`` finds. (ahocorasick_rs, against
    a search per word and pyahocorasick, on the Base Application's 109 MB in one process: for 1 word
    0.016 s against 0.070 s per word; for 48 words 0.19 s against 2.48 s per word and 0.91 s with
    pyahocorasick.)"""
    key = tuple(words)
    found = _automata.get(key)
    if found is None:
        if len(_automata) >= 8:  # a run has a few lookups; keep memory flat in a long-lived process
            _automata.clear()
        found = _automata[key] = ahocorasick_rs.BytesAhoCorasick(words)
    return found


_scanned: RunMemo[str, bytes] = RunMemo()
"""The files this process has scanned, as bytes lower-cased: a run scans every file several times (for
the fixpoint's page mentions, then for the audit's callers), and after the first time each process
looks again in what it read rather than reading and lower-casing it again."""

keeping_scans = _scanned.keeping
"""Keep what :func:`mention_hits` reads in this process and, when entered before they are forked, in
its workers; forgotten when the block ends (one run: a file is taken to stay as read)."""


def _lowered(path: str) -> bytes:
    kept = _scanned.kept
    data = kept.get(path) if kept is not None else None
    if data is None:
        with open(path, "rb") as f:
            data = f.read().lower()
        if kept is not None:
            kept[path] = data
    return data


def mentions(item: tuple[str, Needles], in_worker: bool) -> bool:
    """Whether the file mentions, for some group, one of its names and one of its procedures."""
    return bool(mention_hits(item, in_worker, first=True))


def mention_hits(item: tuple[str, Needles], in_worker: bool, first: bool = False) -> tuple[int, ...]:
    """The groups the file mentions (one of the group's names and one of its procedures), by index;
    with ``first``, only the first. A file that cannot be decoded mentions every group."""
    path, needles = item
    try:
        data = _lowered(path)
    except OSError:
        return ()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            data = data.decode("utf-16").lower().encode("utf-8")
        except UnicodeDecodeError:
            return tuple(range(len(needles.groups)))
    elif not needles.ascii:
        data = data.decode("utf-8", "replace").lower().encode("utf-8")  # bytes.lower() folds ASCII only
    words, names = needles.words, needles.names
    # one pass finds the names; a group's procedures, often common words that match all over a file,
    # are looked for one by one, only where one of its names is
    seen = dict.fromkeys(names, False)
    if names:
        seen.update((names[i], True) for i, _, _ in
                    _automaton([words[i] for i in names]).find_matches_as_indexes(data, overlapping=True))

    def has_one(indexes: tuple[int, ...]) -> bool:
        for i in indexes:
            hit = seen.get(i)
            if hit is None:
                hit = seen[i] = words[i] in data
            if hit:
                return True
        return False

    out: list[int] = []
    for i, (names, procs) in enumerate(needles.groups):
        if has_one(names) and has_one(procs):
            out.append(i)
            if first:
                break
    return tuple(out)


fast_pickling(globals())
