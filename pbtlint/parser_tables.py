"""The one-pass parser's tables in the user cache, loaded without Lark's parser.

:class:`pbtlint.astparse.AstParser` drives Lark's LALR tables, with each reduction's callback. Getting
it ready meant loading Lark's cached parser (:func:`pbtlint.parser.get_parser`) and deriving the
driver's tables from it: about a tenth of a second, in every process that parses anything, and a
sixth of a re-run that parses one edited file. This module saves what the driver uses, once:

- the actions per state, each reduction's callback replaced by its number among the rules;
- the gotos, the start and end states;
- each rule's name and plan (:data:`pbtlint.astparse.RulePlan`), to build its callback again;
- the lexer's parts (:class:`pbtlint.parser.LexerParts`).

Loading them is one read and two unpicklings. The file's name holds the grammar's digest, Lark's and
Python's versions and the digest of pbtlint's own modules (the builder's methods decide which rules
hand a child up), so a changed tool never loads another's tables; the latest three such files are
kept. A file that cannot be read or unpickled is rebuilt; where the cache cannot be written, the
parser is derived in memory each time.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pickle
from collections.abc import Callable
from pathlib import Path

from pbtlint.astparse import AstParser
from pbtlint.cache import grammar_hash, tool_version, user_cache_dir, write_replacing
from pbtlint.parser import START_SYMBOLS, ALLexer

FORMAT = "1"
"""The layout of the file; a new layout gets a new name."""

KEPT_TABLES = 3
"""How many tables files (of as many versions of pbtlint) the user cache keeps: saving one removes
the oldest beyond these."""


def tables_file() -> str:
    """Where the tables of this pbtlint, grammar, Lark and Python are kept."""
    parts = (FORMAT, grammar_hash(), tool_version(), ",".join(START_SYMBOLS))
    key = hashlib.blake2b("\0".join(parts).encode("utf-8"), digest_size=10).hexdigest()
    return os.path.join(user_cache_dir(), f"astparse-{key}.tables")


def cached_parser(derive: Callable[[], AstParser], path: str | None = None) -> AstParser:
    """The parser loaded from ``path`` (default :func:`tables_file`), or else ``derive()``d and saved
    there for the next process."""
    path = path or tables_file()
    parser = load(path)
    if parser is None:
        parser = derive()
        save(parser, path)
    return parser


def load(path: str) -> AstParser | None:
    """The parser saved at ``path``; None when there is none or it cannot be read back."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    try:
        stream = io.BytesIO(data)
        parts, start_states, end_states, rule_plans = pickle.load(stream)
        parser = AstParser.from_plans(ALLexer.from_parts(parts), start_states, end_states, rule_plans)
        tables = pickle.Unpickler(stream)
        tables.persistent_load = parser.callbacks.__getitem__  # type: ignore[method-assign]
        parser.actions, parser.gotos = tables.load()
    except Exception:  # noqa: BLE001 - a damaged or foreign file: derive the tables again
        return None
    return parser


def save(parser: AstParser, path: str) -> None:
    """Write ``parser``'s tables to ``path`` (atomically); nothing when its callbacks are Lark's own
    wrappers (they cannot be built again from a plan) or the directory cannot be written."""
    if parser.rule_plans is None:
        return
    numbers = {id(callback): i for i, callback in enumerate(parser.callbacks)}
    stream = io.BytesIO()
    try:
        pickle.dump((parser.lexer.parts, parser.start_states, parser.end_states, parser.rule_plans), stream,
                    protocol=pickle.HIGHEST_PROTOCOL)
        tables = pickle.Pickler(stream, protocol=pickle.HIGHEST_PROTOCOL)
        tables.persistent_id = lambda obj: numbers.get(id(obj)) if callable(obj) else None  # type: ignore[method-assign]
        tables.dump((parser.actions, parser.gotos))
    except (pickle.PicklingError, AttributeError, TypeError):  # a callback not among the rules': keep it in memory
        return
    try:
        write_replacing(Path(path), stream.getvalue(), ".astparse-")
        _prune(os.path.dirname(path), path)
    except OSError:
        pass


def _prune(folder: str, kept: str) -> None:
    """Remove the oldest tables files of other versions beyond :data:`KEPT_TABLES`."""
    others = []
    for entry in os.scandir(folder):
        if entry.name.startswith("astparse-") and entry.name.endswith(".tables") and entry.path != kept:
            try:
                others.append((entry.stat().st_mtime_ns, entry.path))
            except OSError:
                continue
    for _, old in sorted(others, reverse=True)[KEPT_TABLES - 1:]:
        with contextlib.suppress(OSError):
            os.unlink(old)
