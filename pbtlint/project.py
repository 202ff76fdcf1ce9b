"""Project discovery: which apps the given paths hold, their manifests, sources and packages.

An *app root* is a directory holding ``app.json``. From a directory argument discovery walks down
and starts a new app at every ``app.json`` it meets (a repository often holds an app and its test
app, and apps may nest). A directory or file inside an app belongs to the nearest ``app.json``
above it. Sources found under no ``app.json`` at all form one *anonymous* app (``manifest is None``)
rooted at the directory given. Each app's files are the ``.al`` files under its root, minus nested
apps and the skipped folders (:data:`SKIP_DIRS`); a file given explicitly always belongs to its app.

Nothing here parses AL. Bad input (unreadable folders, broken ``app.json``) becomes a PBT0000
finding at the place it happened; discovery never raises for it.
"""

from __future__ import annotations

import functools
import json
import operator
import os
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pbtlint.findings import Finding, syntax_error
from pbtlint.pickling import fast_pickling
from pbtlint.span import Span


@functools.lru_cache(maxsize=65536)
def real_dir(directory: str) -> str:
    """``os.path.realpath`` of a folder, remembered until :func:`forget_real_paths`."""
    return os.path.realpath(directory)


_found_as_given: dict[tuple[str, str], str] = {}
"""Files discovery found as plain files (no symbolic link), by the working directory and the path as
discovery gave them -> their real paths, until :func:`forget_real_paths`: looked up without
``os.path.abspath`` (two to three times per file in a re-run that finds everything cached: a tenth of
npcore's warm run went to it)."""

_found_files: dict[str, str] = {}
"""The same files by absolute path, made from :data:`_found_as_given` when a path is first looked up
as discovery did not give it (most runs never do)."""

_found_files_from = 0
"""How many entries of :data:`_found_as_given` :data:`_found_files` was made from."""


def real_path(path: str | os.PathLike[str]) -> str:
    """``os.path.realpath(path)``, resolving each folder once per run instead of once per file (a
    Base Application file sits ten folders deep: ten ``lstat`` calls each)."""
    found = found_real_path(path)
    if found is not None:
        return found
    head, name = os.path.split(os.path.abspath(path))
    if not name or name in (".", "..") or os.path.islink(path):
        return os.path.realpath(path)
    return os.path.join(real_dir(head), name)


def found_real_path(path: str | os.PathLike[str], cwd: str | None = None) -> str | None:
    """The real path of a file this run's discovery found as a plain file (so it exists), else None
    (``cwd``: the working directory, when the caller has it)."""
    found = _found_as_given.get((cwd or os.getcwd(), os.fspath(path)))
    if found is not None:
        return found
    global _found_files_from
    if _found_files_from != len(_found_as_given):  # discovery found more since (entries are only added)
        _found_files.clear()
        _found_files.update((os.path.normpath(os.path.join(*given)), real) for given, real in _found_as_given.items())
        _found_files_from = len(_found_as_given)
    return _found_files.get(os.path.abspath(path))


def forget_real_paths() -> None:
    """Drop the folders and files :func:`real_path` remembers (a new run may see a changed tree)."""
    global _found_files_from
    real_dir.cache_clear()
    _found_files.clear()
    _found_as_given.clear()
    _found_files_from = 0

SKIP_DIRS = frozenset({".git", "node_modules", ".alpackages", ".snapshots", ".output", ".pbtlint-cache"})
"""Folder names (compared case-insensitively) that discovery never enters."""

MANIFEST_NAME = "app.json"
PACKAGE_DIR = ".alpackages"
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
REQUIRED_KEYS = ("id", "name", "publisher", "version")


# --------------------------------------------------------------------------- data


@dataclass(frozen=True, slots=True)
class Dependency:
    """One entry of ``dependencies`` (``"id"``, or ``"appId"`` in the old spelling)."""

    id: str
    name: str
    publisher: str
    version: str


@dataclass(frozen=True, slots=True)
class AppManifest:
    """What pbtlint uses of ``app.json``. Missing strings are ``""``; missing lists are ``()``."""

    id: str = ""
    name: str = ""
    publisher: str = ""
    version: str = ""
    dependencies: tuple[Dependency, ...] = ()
    preprocessor_symbols: tuple[str, ...] = ()
    suppress_warnings: tuple[str, ...] = ()
    id_ranges: tuple[tuple[int, int], ...] = ()
    runtime: str | None = None
    application: str | None = None
    platform: str | None = None


@dataclass(frozen=True, slots=True)
class App:
    """One app: its root, its manifest (``None`` for an anonymous app) and its files.

    ``preprocessor_symbols`` is the manifest's ``preprocessorSymbols`` followed by the ``defines``
    given to :func:`discover`, without duplicates. ``findings`` are about the manifest.
    """

    root: Path
    manifest: AppManifest | None
    source_files: tuple[Path, ...]
    package_files: tuple[Path, ...]
    findings: tuple[Finding, ...] = ()
    preprocessor_symbols: tuple[str, ...] = ()

    @property
    def anonymous(self) -> bool:
        return self.manifest is None


@dataclass(frozen=True, slots=True)
class Workspace:
    """The apps to analyze, the apps given as extra source roots, and findings about the paths."""

    apps: tuple[App, ...]
    extra_roots: tuple[App, ...] = ()
    findings: tuple[Finding, ...] = ()

    def all_findings(self) -> tuple[Finding, ...]:
        out = list(self.findings)
        for app in (*self.apps, *self.extra_roots):
            out.extend(app.findings)
        return tuple(out)


# --------------------------------------------------------------------------- app.json


def _position(text: str, offset: int) -> Span:
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    return Span.point(line, offset - start + 1)


def _key_span(text: str, key: str) -> Span:
    """Where ``"key":`` first appears in ``text`` (a good enough place for a finding), else 1:1."""
    m = re.search(r'"' + re.escape(key) + r'"\s*:', text, re.IGNORECASE)
    return _position(text, m.start()) if m else Span.point(1)


def _decode(data: bytes) -> tuple[str | None, str, int]:
    """Text of ``data`` (BOM-aware), or ``(None, message, byte offset)``."""
    encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        return data.decode(encoding), "", 0
    except UnicodeDecodeError as e:
        return None, f"app.json is not valid {encoding.upper()}: {e.reason}", e.start


_LENIENT = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/|,(?=\s*[}\]])', re.DOTALL)


def _lenient_loads(text: str) -> Any:
    """Parse JSON after dropping ``//`` and ``/* */`` comments and trailing commas."""

    def keep(m: re.Match[str]) -> str:
        s = m.group(0)
        if s.startswith('"'):
            return s
        return "".join(ch for ch in s if ch == "\n")  # keep line numbers

    return json.loads(_LENIENT.sub(keep, text))


class _ManifestReader:
    def __init__(self, path: str, text: str, data: dict[str, Any]) -> None:
        self.path = path
        self.text = text
        self.findings: list[Finding] = []
        self.data: dict[str, Any] = {}
        for key, value in data.items():  # JSON keys as the compiler reads them: case-insensitively
            self.data.setdefault(key.casefold(), value)

    def error(self, key: str, message: str) -> None:
        self.findings.append(syntax_error(self.path, _key_span(self.text, key), message))

    def string(self, key: str, required: bool = False) -> str | None:
        value = self.data.get(key.casefold())
        if value is None:
            if required:
                self.findings.append(syntax_error(self.path, Span.point(1), f'app.json has no "{key}"'))
            return None
        if not isinstance(value, str):
            self.error(key, f'"{key}" in app.json must be a string')
            return None
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key.casefold())
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.error(key, f'"{key}" in app.json must be a list of strings')
            return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()
        return tuple(value)

    def dependencies(self) -> tuple[Dependency, ...]:
        value = self.data.get("dependencies")
        if value is None:
            return ()
        if not isinstance(value, list):
            self.error("dependencies", '"dependencies" in app.json must be a list')
            return ()
        out: list[Dependency] = []
        for entry in value:
            if not isinstance(entry, dict):
                self.error("dependencies", 'an entry of "dependencies" in app.json is not an object')
                continue
            d = {k.casefold(): v for k, v in entry.items()}
            dep_id = d.get("id", d.get("appid"))
            fields = {"id": dep_id, "name": d.get("name"), "publisher": d.get("publisher"),
                      "version": d.get("version")}
            if not isinstance(dep_id, str):  # name and publisher may be left out when id is there
                self.error("dependencies", 'a dependency in app.json has no "id"')
                if not isinstance(fields["name"], str):
                    continue
            out.append(Dependency(*(v if isinstance(v, str) else "" for v in fields.values())))
        return tuple(out)

    def id_ranges(self) -> tuple[tuple[int, int], ...]:
        ranges: list[Any] = []
        key = "idRanges"
        if "idranges" in self.data:
            ranges = self.data["idranges"] if isinstance(self.data["idranges"], list) else [None]
        elif "idrange" in self.data:  # the old single-range spelling
            key = "idRange"
            ranges = [self.data["idrange"]]
        out: list[tuple[int, int]] = []
        for r in ranges:
            lo = r.get("from") if isinstance(r, dict) else None
            hi = r.get("to") if isinstance(r, dict) else None
            if type(lo) is int and type(hi) is int and lo <= hi:
                out.append((lo, hi))
            else:
                self.error(key, f'"{key}" in app.json must hold objects {{"from": int, "to": int}}')
        return tuple(out)

    def manifest(self) -> AppManifest:
        ident, name, publisher, version = (self.string(k, required=True) or "" for k in REQUIRED_KEYS)
        return AppManifest(
            id=ident,
            name=name,
            publisher=publisher,
            version=version,
            dependencies=self.dependencies(),
            preprocessor_symbols=self.strings("preprocessorSymbols"),
            suppress_warnings=self.strings("suppressWarnings"),
            id_ranges=self.id_ranges(),
            runtime=self.string("runtime"),
            application=self.string("application"),
            platform=self.string("platform"),
        )


def parse_manifest(data: bytes, path: str) -> tuple[AppManifest, tuple[Finding, ...]]:
    """The manifest in ``data`` (the bytes of an ``app.json``) and findings about it.

    A UTF-8 BOM (or a UTF-16 one) is accepted. Comments and trailing commas are not JSON: they give
    a finding at the first one, then the file is read once more without them so that its
    ``preprocessorSymbols`` still apply. A file that cannot be read at all gives an empty manifest.
    """
    text, message, offset = _decode(data)
    if text is None:
        line = data.count(b"\n", 0, offset) + 1
        return AppManifest(), (syntax_error(path, Span.point(line), message),)
    findings: list[Finding] = []
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as e:
        if isinstance(e, json.JSONDecodeError):
            span = Span.point(e.lineno, e.colno)
            findings.append(syntax_error(path, span, f"app.json is not valid JSON: {e.msg}"))
        else:
            findings.append(syntax_error(path, Span.point(1), f"app.json is not valid JSON: {e}"))
        try:
            value = _lenient_loads(text)
        except (ValueError, RecursionError):
            return AppManifest(), tuple(findings)
    if not isinstance(value, dict):
        findings.append(syntax_error(path, Span.point(1), "app.json must hold a JSON object"))
        return AppManifest(), tuple(findings)
    reader = _ManifestReader(path, text, value)
    manifest = reader.manifest()
    return manifest, (*findings, *reader.findings)


def read_manifest(path: Path) -> tuple[AppManifest, tuple[Finding, ...]]:
    """Read and parse the ``app.json`` at ``path``; never raises for bad or unreadable files."""
    try:
        size = path.stat().st_size
        if size > MAX_MANIFEST_BYTES:
            message = f"app.json is too large ({size} bytes, limit {MAX_MANIFEST_BYTES})"
            return AppManifest(), (syntax_error(str(path), Span.point(1), message),)
        data = path.read_bytes()
    except OSError as e:
        return AppManifest(), (syntax_error(str(path), Span.point(1), f"cannot read app.json: {e}"),)
    return parse_manifest(data, str(path))


# --------------------------------------------------------------------------- discovery


@dataclass(slots=True)
class _AppAcc:
    root: Path
    anonymous: bool
    files: dict[str, Path] = field(default_factory=dict)  # real path -> path as found


class _Collector:
    def __init__(self) -> None:
        self.apps: dict[str, _AppAcc] = {}
        self.findings: list[Finding] = []

    def app(self, root: Path, anonymous: bool) -> _AppAcc:
        key = os.path.realpath(root)
        acc = self.apps.get(key)
        if acc is None:
            acc = self.apps[key] = _AppAcc(root, anonymous)
        return acc

    def add_file(self, owner: _AppAcc, path: Path, real: str | None = None) -> None:
        """Add ``path`` to ``owner``'s files (``real``: its real path, when the caller knows it)."""
        owner.files.setdefault(real if real is not None else real_path(path), path)

    def error(self, path: Path | str, message: str) -> None:
        self.findings.append(syntax_error(str(path), Span.point(1), message))

    # -- walking

    def _has_manifest(self, directory: Path) -> bool:
        try:
            return (directory / MANIFEST_NAME).is_file()
        except OSError:
            return False

    def app_above(self, path: Path) -> Path | None:
        """The nearest directory at or above ``path`` holding app.json, expressed like ``path``."""
        start = Path(os.path.abspath(path))
        for candidate in (start, *start.parents):
            if self._has_manifest(candidate):
                if path.is_absolute():
                    return candidate
                try:
                    return Path(os.path.relpath(candidate))
                except ValueError:  # another drive
                    return candidate
        return None

    def walk(self, top: Path, owner: _AppAcc) -> bool:
        """Add the .al files under ``top`` to ``owner`` or to the apps nested in it.

        Returns whether a nested app (an app.json below ``top``) was found.
        """
        seen: set[str] = set()
        nested = False
        cwd = os.getcwd()
        stack: list[tuple[Path, _AppAcc, str | None]] = [(top, owner, None)]
        while stack:
            directory, current, real_or_none = stack.pop()
            # a folder that is no link lies where its parent really is: one realpath (an lstat per
            # part of the path) for the top and for each link, not for each of a tree's folders
            real = real_or_none if real_or_none is not None else os.path.realpath(directory)
            if real in seen:
                continue  # a symlink back into something already walked
            seen.add(real)
            try:
                with os.scandir(directory) as it:
                    entries = sorted(it, key=_name)
            except OSError as e:
                self.error(directory, f"cannot read directory: {e.strerror or e}")
                continue
            if directory != top and any(e.name.lower() == MANIFEST_NAME and _is_file(e) for e in entries):
                current = self.app(directory, anonymous=False)
                nested = True
            subdirs: list[tuple[Path, str | None]] = []
            child = _child_of(directory)
            for entry in entries:
                lower = entry.name.lower()
                if lower in SKIP_DIRS:
                    continue
                if _is_dir(entry):
                    subdirs.append((child(entry), None if _is_link(entry) else os.path.join(real, entry.name)))
                elif lower.endswith(".al") and (_is_file(entry) or _is_bad_link(entry)):
                    path = child(entry)
                    if _is_link(entry):  # a broken link too: reading it says why
                        self.add_file(current, path)
                        continue
                    found = os.path.join(real, entry.name)  # its folder's real path and its name: no lstat
                    _found_as_given[cwd, str(path)] = found
                    self.add_file(current, path, found)
            stack.extend((d, current, r) for d, r in reversed(subdirs))
        return nested


_name = operator.attrgetter("name")


def _child_of(directory: Path) -> Callable[[os.DirEntry[str]], Path]:
    """How to make the path of an entry of ``directory``: from the folder's path and the entry's name,
    not by parsing its whole path again (a quarter of the time on npcore's 7,066 files: 7.5 ms against
    29 ms), with pathlib's own helper for that where this Python has it; the same path either way."""
    make = getattr(directory, "_make_child_relpath", None)
    if make is None:
        return lambda entry: Path(entry.path)
    return lambda entry: make(entry.name)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _is_link(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_symlink()
    except OSError:
        return True


def _is_bad_link(entry: os.DirEntry[str]) -> bool:
    """A symbolic link that leads nowhere (dangling, or a loop)."""
    try:
        return entry.is_symlink() and not os.path.exists(entry.path)
    except (OSError, ValueError):
        return False


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def _discover_into(col: _Collector, paths: Iterable[str | Path]) -> None:
    for raw in paths:
        path = Path(os.path.normpath(raw))  # "App/src/.." -> "App" in every path reported
        try:
            is_dir, is_file, exists = path.is_dir(), path.is_file(), path.exists()
        except OSError as e:
            col.error(path, f"cannot access path: {e}")
            continue
        if is_file and path.name.lower() == MANIFEST_NAME:
            path, is_dir, is_file = path.parent, True, False  # app.json given: its app
        if is_dir:
            above = col.app_above(path)
            if above is not None:
                col.walk(path, col.app(above, anonymous=False))
                continue
            anonymous = col.app(path, anonymous=True)
            nested = col.walk(path, anonymous)
            if nested and not anonymous.files:  # a folder of apps, not an app of its own
                del col.apps[os.path.realpath(path)]
        elif is_file:
            if not path.name.lower().endswith(".al"):
                col.error(path, "not an AL source file (.al); ignored")
                continue
            above = col.app_above(path.parent)
            owner = col.app(above, anonymous=False) if above is not None else col.app(path.parent, True)
            col.add_file(owner, path)
        elif exists:
            col.error(path, "not a file or directory; ignored")
        else:
            col.error(path, "no such file or directory")


def _package_files(root: Path, col: _Collector) -> tuple[Path, ...]:
    folder = root / PACKAGE_DIR
    try:
        if not folder.is_dir():
            return ()
        with os.scandir(folder) as it:
            found = [Path(e.path) for e in it if e.name.lower().endswith(".app") and _is_file(e)]
    except OSError as e:
        col.error(folder, f"cannot read directory: {e.strerror or e}")
        return ()
    return tuple(sorted(found, key=str))


def _merge_symbols(*groups: Iterable[str]) -> tuple[str, ...]:
    out: dict[str, None] = {}
    for group in groups:
        for s in group:
            out.setdefault(s, None)
    return tuple(out)


def _build(col: _Collector, defines: Sequence[str], exclude: Collection[str] = ()) -> tuple[App, ...]:
    apps: list[App] = []
    for key, acc in col.apps.items():
        if key in exclude:
            continue
        manifest: AppManifest | None = None
        findings: tuple[Finding, ...] = ()
        if not acc.anonymous:
            manifest, findings = read_manifest(acc.root / MANIFEST_NAME)
        symbols = _merge_symbols(manifest.preprocessor_symbols if manifest else (), defines)
        apps.append(App(
            root=acc.root,
            manifest=manifest,
            source_files=tuple(sorted(acc.files.values(), key=str)),
            package_files=_package_files(acc.root, col),
            findings=findings,
            preprocessor_symbols=symbols,
        ))
    apps.sort(key=lambda a: str(a.root))
    return tuple(apps)


def discover(
    paths: Sequence[str | Path],
    extra_source_roots: Sequence[str | Path] = (),
    defines: Sequence[str] = (),
) -> Workspace:
    """Find the apps that ``paths`` (directories or .al files) hold; see the module doc.

    ``extra_source_roots`` are discovered the same way into ``Workspace.extra_roots`` (sources to
    resolve calls against, not to report on); an app that is also in ``paths`` stays in ``apps``
    only. ``defines`` are added to every app's preprocessor symbols.
    """
    forget_real_paths()
    main = _Collector()
    _discover_into(main, paths)
    extra = _Collector()
    _discover_into(extra, extra_source_roots)
    apps = _build(main, defines)
    extra_apps = _build(extra, defines, exclude=set(main.apps))
    return Workspace(apps=apps, extra_roots=extra_apps, findings=(*main.findings, *extra.findings))


fast_pickling(globals())
