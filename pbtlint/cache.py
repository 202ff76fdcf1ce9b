"""A persistent cache for demand-driven analysis: per-file parsed ASTs and declaration indexes, and
whole-run results.

Every entry is keyed by what it was computed from: the file's content hash, the tool (its version and
the digest of its own source code), the grammar and the preprocessor symbols; a run result by the
hash of every input. The default location is in the user's cache directory, one folder per app root
(:func:`default_location`); ``--cache-dir`` puts it anywhere else (``.pbtlint-cache/`` is the
name to use inside a repository, and discovery skips it). A corrupt or
unreadable entry is ignored and rewritten, never an error; a cache that cannot be written is simply
not used. The AST store is size-bounded: the least recently used entries go first.

Entries are pickles, and loading a pickle can run code; a cache folder can arrive with a repository
(committed by mistake or on purpose). So every entry is signed with HMAC-SHA256 under a key that
never leaves the user's own cache directory (``cache-key`` beside the parser tables, created on
first use, readable by the user only), and an entry whose signature does not verify is never
unpickled: it is treated as missing and rewritten. A cache made on another machine or by another
user is therefore simply rebuilt.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import importlib.util
import os
import pickle
import secrets
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from importlib import resources
from pathlib import Path
from typing import Any

import pbtlint

CACHE_DIR_NAME = ".pbtlint-cache"
DEFAULT_MAX_BYTES = 2 * 1024 * 1024 * 1024
_LAYOUT = "v1"
_PROTOCOL = pickle.HIGHEST_PROTOCOL


_TAG = 32  # bytes of HMAC-SHA256 before each entry's pickle


@functools.cache
def _signing_key() -> bytes:
    """The user's key for signing cache entries (see the module doc); a fresh one per process when the
    user's cache directory cannot hold it (entries then only verify within this run)."""
    path = Path(user_cache_dir()) / "cache-key"
    try:
        key = path.read_bytes()
        if len(key) >= 32:
            return key
    except OSError:
        pass
    key = secrets.token_bytes(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key-")
        with os.fdopen(fd, "wb") as f:
            f.write(key)
        os.chmod(tmp, 0o600)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)  # the first writer wins; others read the winner's key
        os.unlink(tmp)
        won = path.read_bytes()
        return won if len(won) >= 32 else key
    except OSError:
        return key


def write_replacing(path: Path, data: bytes, prefix: str = ".tmp-") -> None:
    """Write ``data`` to ``path`` through a temporary file beside it and a rename: a reader finds the
    old content or the new, never a part. Raises OSError when the place cannot be written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _write_in_place(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` directly, making its folder when the open says it is missing."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except FileNotFoundError:  # the first entry in its folder
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def sign(data: bytes) -> bytes:
    """``data`` with its signature in front."""
    return hmac.new(_signing_key(), data, hashlib.sha256).digest() + data


def verified(blob: bytes) -> bytes | None:
    """The data of a signed blob, or None when its signature does not verify."""
    tag, data = blob[:_TAG], blob[_TAG:]
    if len(tag) != _TAG or not hmac.compare_digest(tag, hmac.new(_signing_key(), data, hashlib.sha256).digest()):
        return None
    return data


def content_hash(data: bytes) -> str:
    """The hash of a file's bytes."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def user_cache_dir() -> str:
    """pbtlint's directory in the user's cache (``$PBTLINT_CACHE_DIR``, ``$XDG_CACHE_HOME/pbtlint`` or
    ``~/.cache/pbtlint``); it may not exist yet."""
    base = os.environ.get("PBTLINT_CACHE_DIR")
    if not base:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = str(Path(xdg) / "pbtlint") if xdg else str(Path.home() / ".cache" / "pbtlint")
    return base


@functools.cache
def grammar_hash() -> str:
    """The grammar, Lark's version and Python's (pickled trees depend on all three). Lark's version is
    read from its ``__init__.py``, which sets it, without importing Lark: a run that reuses its previous
    result parses nothing, and the import was a sixth of its start-up."""
    grammar = resources.files("pbtlint").joinpath("al.lark").read_bytes()
    spec = importlib.util.find_spec("lark")
    try:
        lark_init = Path(spec.origin).read_bytes() if spec is not None and spec.origin else b""
    except OSError:
        lark_init = b""
    text = b"\0".join((grammar, lark_init, f"{sys.version_info[0]}.{sys.version_info[1]}".encode()))
    return hashlib.blake2b(text, digest_size=16).hexdigest()


@functools.cache
def tool_version() -> str:
    """pbtlint's version and a digest of its own modules (rules included), so that a changed analysis
    never reuses results computed by another."""
    h = hashlib.blake2b(pbtlint.__version__.encode("utf-8"), digest_size=16)
    for package in ("pbtlint", "pbtlint.rules"):
        try:
            root = resources.files(package)
        except ModuleNotFoundError:  # pragma: no cover - the rules package is always installed
            continue
        for entry in sorted(root.iterdir(), key=lambda e: e.name):
            if entry.name.endswith((".py", ".lark")):
                h.update(entry.name.encode("utf-8"))
                h.update(entry.read_bytes())
    return h.hexdigest()


def file_key(digest: str, symbols: Iterable[str], version: str | None = None) -> str:
    """The key of one file's cached index and AST: its content, the tool and the preprocessor symbols, not
    where the file is nor how it is shown (from another working folder, or once moved, it is found
    again; what an entry says of its file's path is put right where it is loaded)."""
    parts = (version or tool_version(), grammar_hash(), digest, ",".join(sorted(set(symbols))))
    return hashlib.blake2b("\0".join(parts).encode("utf-8"), digest_size=16).hexdigest()


def bodies_key(skeleton_key: str, real_path: str) -> str:
    """The key of the bodies parsed for one file's skeleton: unlike the skeleton's, it names the file (by
    its real path). Two files of the same content may be asked for other bodies, and a replay puts back
    every body cached for a file: it must be only those asked for that file."""
    return skeleton_key + "b" + hashlib.blake2b(real_path.encode("utf-8", "surrogateescape"), digest_size=8).hexdigest()


def default_location(app_root: Path) -> Path:
    """Where a project's cache lives unless told otherwise: in the user's cache directory, under a
    name derived from the app root's real path. Never in the analyzed tree: a check must not write
    there (a pre-commit hook would leave files behind, and a folder in the repository could be committed)."""
    real = os.path.realpath(app_root)
    tag = hashlib.blake2b(real.encode("utf-8", "surrogateescape"), digest_size=10).hexdigest()
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(real).name)[:40]
    return Path(user_cache_dir()) / "projects" / f"{name}-{tag}"


KEPT_RUNS = 3
"""Whole runs' results kept (a Base Application run's is about 2 MB): a run's key includes the working
folder, which its paths are shown from, and a user may run from two (a terminal in the app, pre-commit
at the repository's root)."""


class StoredEntries(MutableMapping[str, Any]):
    """Cache entries by key, each kept pickled on its own until first asked for.

    A re-run after an edit looks at the index entries of a few files, and the closure of a larger edit
    at some thousands; unpickling the Base Application's whole bundle (9,469 entries) took 0.14 s of
    every re-run, and one entry at a time costs no more in all. An entry set here is pickled again only
    when written.
    """

    __slots__ = ("_blobs", "_values")

    def __init__(self, blobs: dict[str, bytes] | None = None) -> None:
        self._blobs: dict[str, bytes] = dict(blobs) if blobs else {}
        self._values: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        try:
            return self._values[key]
        except KeyError:
            value = self._values[key] = pickle.loads(self._blobs[key])
            return value

    def __setitem__(self, key: str, value: Any) -> None:
        self._values[key] = value
        self._blobs.pop(key, None)

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        self._values.pop(key, None)
        self._blobs.pop(key, None)

    def __contains__(self, key: object) -> bool:
        return key in self._blobs or key in self._values

    def __iter__(self) -> Iterator[str]:
        yield from self._blobs
        yield from (k for k in self._values if k not in self._blobs)

    def __len__(self) -> int:
        return len(self._blobs) + sum(1 for k in self._values if k not in self._blobs)

    def only(self, keys: Iterable[str]) -> StoredEntries:
        """The entries of ``keys`` that are here, as they are (read or not)."""
        out = StoredEntries()
        for k in keys:
            if k in self._blobs:
                out._blobs[k] = self._blobs[k]
            if k in self._values:
                out._values[k] = self._values[k]
        return out

    def blob(self, key: str) -> bytes:
        """The entry as it is written: its pickle, kept from the read when it was read."""
        found = self._blobs.get(key)
        return found if found is not None else pickle.dumps(self._values[key], protocol=_PROTOCOL)


def _blobs(entries: StoredEntries | dict[str, Any]) -> dict[str, bytes]:
    if isinstance(entries, StoredEntries):
        return {k: entries.blob(k) for k in entries}
    return {k: pickle.dumps(v, protocol=_PROTOCOL) for k, v in entries.items()}


class Cache:
    """The cache under ``root``; every method tolerates a missing, unwritable or corrupt store."""

    def __init__(self, root: Path, max_bytes: int = DEFAULT_MAX_BYTES, version: str | None = None) -> None:
        self.root = Path(root)
        self.base = self.root / _LAYOUT
        self.max_bytes = max_bytes
        self.version = version or tool_version()
        self.writable = True
        self.index_delta: set[str] = set()  # the keys load_indexes found in the delta (maybe in the bundle too)

    # ------------------------------------------------------------------ raw entries

    def _read(self, path: Path) -> Any | None:
        try:
            with open(path, "rb") as f:
                data = verified(f.read())
            if data is None:  # not signed with this user's key: never unpickled
                raise ValueError("unsigned cache entry")
            return pickle.loads(data)
        except FileNotFoundError:
            return None
        except Exception:  # noqa: BLE001 - corrupt: drop it, it will be rewritten
            with contextlib.suppress(OSError):
                path.unlink()
            return None

    def _write_bytes(self, path: Path, data: bytes, in_place: bool = False) -> None:
        """Write ``data``, signed, through a rename (:func:`write_replacing`), or ``in_place`` (see
        :meth:`put_ast_bytes`); a place that cannot be written is not tried again."""
        if not self.writable:
            return
        try:
            (_write_in_place if in_place else write_replacing)(path, sign(data))
        except OSError:
            self.writable = False

    def _write(self, path: Path, value: Any) -> None:
        self._write_bytes(path, pickle.dumps(value, protocol=_PROTOCOL))

    # ------------------------------------------------------------------ stat table

    def load_stats(self) -> dict[str, tuple[int, int, str]]:
        """path -> (mtime_ns, size, content hash) of the files seen last time."""
        value = self._read(self.base / "stats.pickle")
        if not isinstance(value, dict) or value.get("version") != self.version:
            return {}
        stats = value.get("stats")
        return stats if isinstance(stats, dict) else {}

    def save_stats(self, stats: dict[str, tuple[int, int, str]]) -> None:
        self._write(self.base / "stats.pickle", {"version": self.version, "stats": stats})

    # ------------------------------------------------------------------ declaration indexes

    def load_indexes(self) -> StoredEntries:
        """file key -> cached index entry: the bundle, read once per run, with the delta written since
        (:meth:`save_index_delta`); the delta's keys are kept in :attr:`index_delta`. Each entry is
        unpickled when first asked for (:class:`StoredEntries`)."""
        entries = self._entries(self.base / "index.pickle")
        delta = self._entries(self.base / "index-delta.pickle") if entries else {}
        self.index_delta = set(delta)
        entries.update(delta)
        return StoredEntries(entries)

    def _entries(self, path: Path) -> dict[str, bytes]:
        value = self._read(path)
        if not isinstance(value, dict) or value.get("version") != self.version:
            return {}
        entries = value.get("entries")
        if not isinstance(entries, dict) or not all(type(v) is bytes for v in entries.values()):
            return {}
        return entries

    def save_indexes(self, entries: StoredEntries | dict[str, Any]) -> None:
        """Write the whole bundle (and drop the delta)."""
        self._write(self.base / "index.pickle", {"version": self.version, "entries": _blobs(entries)})
        self._write(self.base / "index-delta.pickle", {"version": self.version, "entries": {}})
        self.index_delta = set()

    def save_index_delta(self, entries: StoredEntries | dict[str, Any]) -> None:
        """Write only ``entries`` (the few files indexed since the bundle was), beside the bundle: a
        later :meth:`load_indexes` reads both."""
        self._write(self.base / "index-delta.pickle", {"version": self.version, "entries": _blobs(entries)})
        self.index_delta = set(entries)

    # ------------------------------------------------------------------ parsed files

    def _ast_path(self, key: str) -> Path:
        return self.base / "ast" / key[:2] / f"{key}.pickle"

    def get_ast(self, key: str) -> Any | None:
        path = self._ast_path(key)
        value = self._read(path)
        if value is not None:
            with contextlib.suppress(OSError):
                os.utime(path)  # recently used: pruned last
        return value

    def put_ast_bytes(self, key: str, data: bytes) -> None:
        """Write a parsed file's (or its bodies') entry in place, not through a temporary file and a
        rename as the other entries are: creating the temporary file took half of the 0.9 s the Base
        Application's cold run spent writing 1,628 such entries in its main process. A reader that
        meets one half written finds its signature wrong and parses the file again, as for any damaged
        entry; an entry lost so costs one parse, where a lost index bundle would cost the whole index."""
        self._write_bytes(self._ast_path(key), data, in_place=True)

    # ------------------------------------------------------------------ whole runs

    def get_run(self, key: str) -> Any | None:
        path = self.base / "run" / f"{key}.pickle"
        value = self._read(path)
        if not isinstance(value, dict) or value.get("key") != key:
            return None
        with contextlib.suppress(OSError):  # the latest run again: the next edit starts from it
            os.utime(path)
        return value.get("result")

    def put_run(self, key: str, result: Any) -> None:
        run_dir = self.base / "run"
        with contextlib.suppress(OSError):  # the latest few: runs from other working folders stay warm
            runs = sorted((p for p in run_dir.glob("*.pickle") if p.stem != key), key=lambda p: p.stat().st_mtime,
                          reverse=True)
            for old in runs[KEPT_RUNS - 1:]:
                old.unlink()
        self._write(run_dir / f"{key}.pickle", {"key": key, "result": result})

    def latest_run(self, fits: Callable[[Any], bool] | None = None) -> Any | None:
        """The last run stored (whatever its key) that ``fits``, for incremental re-runs: the runs kept
        may come from other working folders, which an edit cannot start from."""
        try:
            runs = sorted((self.base / "run").glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        except OSError:
            return None
        for path in runs:
            value = self._read(path)
            if isinstance(value, dict) and "result" in value and (fits is None or fits(value["result"])):
                return value["result"]
        return None

    # ------------------------------------------------------------------ size bound

    def prune(self) -> None:
        """Drop the least recently used ASTs until the store is within ``max_bytes``."""
        entries: list[tuple[float, int, Path]] = []
        total = 0
        try:
            for path in (self.base / "ast").glob("*/*.pickle"):
                st = path.stat()
                entries.append((st.st_mtime, st.st_size, path))
                total += st.st_size
        except OSError:
            return
        if total <= self.max_bytes:
            return
        entries.sort()
        for _mtime, size, path in entries:
            if total <= self.max_bytes:
                break
            with contextlib.suppress(OSError):
                path.unlink()
                total -= size
