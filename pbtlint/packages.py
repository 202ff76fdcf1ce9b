"""Reading ``.app`` packages (compiled dependencies in ``.alpackages``) safely, in memory.

Layout of a package, as pbtlint reads it (observed and documented by third-party tools, not by
Microsoft; treat it as assumed):

=======  ======  =====================================================================
offset   size    content
=======  ======  =====================================================================
0        4       magic ``NAVX``
4        4       header length, little-endian uint32 (40)
8        4       format version, uint32 (2)
12       16      package id (a GUID)
28       4       length of the ZIP content that follows the header, uint32
32       4       unknown (zero)
36       4       magic ``NAVX`` again
40       ...     the ZIP (an OPC package: ``NavxManifest.xml``, ``SymbolReference.json``,
                 ``src/**.al`` when the publisher allowed it, ``[Content_Types].xml``...)
=======  ======  =====================================================================

A signature block may follow the ZIP, hence the content length. A "runtime package" has an
encrypted body instead of a ZIP: it gives a finding and no symbols. A bare ZIP (no header) is read
too. Member names of an OPC package are percent-encoded (``src/My%20Page.al``); they are decoded.

Nothing is ever written to disk. Every limit of :class:`PackageLimits` is checked on the bytes
really decompressed, not only on what the ZIP headers claim. :func:`read_package` never raises.
"""

from __future__ import annotations

import io
import json
import re
import struct
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import unquote

from pbtlint.findings import Finding, syntax_error
from pbtlint.pickling import fast_pickling
from pbtlint.project import Dependency
from pbtlint.span import Span

MAGIC = b"NAVX"
HEADER_SIZE = 40
ZIP_MAGIC = b"PK\x03\x04"
MANIFEST_MEMBER = "navxmanifest.xml"
SYMBOLS_MEMBER = "symbolreference.json"
_CHUNK = 1 << 16

MiB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class PackageLimits:
    """Bounds on what one package may make pbtlint read (all in bytes, of decompressed data)."""

    max_package_bytes: int = 2048 * MiB
    max_members: int = 100_000
    max_member_bytes: int = 512 * MiB
    max_total_bytes: int = 2048 * MiB
    max_symbol_bytes: int = 512 * MiB
    max_manifest_bytes: int = 4 * MiB
    read_sources: bool = True
    parse_symbols: bool = True
    """False: ``SymbolReference.json`` is only decompressed (in chunks, counted against the limits,
    its CRC checked) and then dropped, so a huge or hostile one costs time but no memory."""


@dataclass(frozen=True, slots=True)
class NavxManifest:
    """The ``<App>`` of ``NavxManifest.xml`` and its ``<Dependencies>``."""

    id: str = ""
    name: str = ""
    publisher: str = ""
    version: str = ""
    runtime: str | None = None
    dependencies: tuple[Dependency, ...] = ()


@dataclass(frozen=True, slots=True)
class Package:
    """What :func:`read_package` could read. ``symbols`` is the parsed ``SymbolReference.json``."""

    path: Path
    manifest: NavxManifest | None = None
    symbols: dict[str, Any] | None = None
    sources: tuple[tuple[str, bytes], ...] = ()
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True, slots=True)
class SymbolParameter:
    name: str
    type: str
    by_ref: bool


@dataclass(frozen=True, slots=True)
class SymbolMethod:
    name: str
    parameters: tuple[SymbolParameter, ...]
    return_type: str | None
    attributes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SymbolObject:
    """One object of a symbol file. ``kind`` uses the AST's object kinds (``tableextension``...)."""

    kind: str
    id: int | None
    name: str
    namespace: str | None
    methods: tuple[SymbolMethod, ...] = ()
    fields: tuple[str, ...] = ()
    extends: str | None = None


# --------------------------------------------------------------------------- reading


class _Window(io.RawIOBase):
    """A read-only, seekable view of ``[start, start + length)`` of a binary file."""

    def __init__(self, raw: BinaryIO, start: int, length: int) -> None:
        super().__init__()
        self._raw, self._start, self._length, self._pos = raw, start, length, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._length}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        n = max(0, min(len(buffer), self._length - self._pos))
        if n == 0:
            return 0
        self._raw.seek(self._start + self._pos)
        data = self._raw.read(n)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)


class _LimitError(Exception):
    pass


@dataclass
class _Reader:
    path: Path
    limits: PackageLimits
    findings: list[Finding] = field(default_factory=list)
    total: int = 0

    def error(self, message: str) -> None:
        self.findings.append(syntax_error(str(self.path), Span.point(1), message))

    def read_member(
        self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, keep: bool = True
    ) -> bytes | None:
        """The member's bytes, counting what is really decompressed against ``limit`` and the total.

        ``keep=False`` checks the member the same way but keeps none of it (returns ``b""``)."""
        if info.file_size > limit:
            self.error(f"member {info.filename!r} claims {info.file_size} bytes, over the limit of {limit}; "
                       "skipped")
            return None
        if self.total + info.file_size > self.limits.max_total_bytes:
            self.error(f"member {info.filename!r} would take the package over the total limit of "
                       f"{self.limits.max_total_bytes} bytes; skipped")
            return None
        out = bytearray()
        size = 0
        try:
            with zf.open(info) as member:
                while chunk := member.read(_CHUNK):
                    size += len(chunk)
                    if keep:
                        out += chunk
                    if size > limit or self.total + size > self.limits.max_total_bytes:
                        raise _LimitError
        except _LimitError:
            self.error(f"member {info.filename!r} decompresses to more than its header claims and the "
                       "limit allows; skipped")
            return None
        except Exception as e:  # BadZipFile (bad CRC), zlib.error, encrypted, unsupported method...
            self.error(f"member {info.filename!r} cannot be read: {type(e).__name__}: {e}")
            return None
        self.total += size
        return bytes(out)


_DRIVE = re.compile(r"^[A-Za-z]:")


def _unsafe_name(name: str) -> str | None:
    """Why ``name`` is refused as a member name, or None when it is fine."""
    for candidate in (name, unquote(name)):
        if "\\" in candidate:
            return "holds a backslash"
        if candidate.startswith("/") or _DRIVE.match(candidate):
            return "is an absolute path"
        if ".." in candidate.split("/"):
            return "holds '..'"
        if "\x00" in candidate:
            return "holds a NUL character"
    return None


def _zip_window(raw: BinaryIO, size: int, reader: _Reader) -> tuple[int, int] | None:
    """Start and length of the ZIP inside the file, or None (with a finding) when there is none."""
    head = raw.read(HEADER_SIZE + 4)
    if head.startswith(ZIP_MAGIC):
        return 0, size
    if not head.startswith(MAGIC) or len(head) < HEADER_SIZE:
        reader.error("not a package: no NAVX header")
        return None
    header_size = struct.unpack_from("<I", head, 4)[0]
    if header_size != HEADER_SIZE:
        reader.error(f"unexpected NAVX header length {header_size}; assuming {HEADER_SIZE}")
    content = struct.unpack_from("<I", head, 28)[0]
    if head[HEADER_SIZE:HEADER_SIZE + 4] != ZIP_MAGIC:
        reader.error("not a ZIP after the NAVX header (a runtime package?); no symbols read")
        return None
    if content == 0 or HEADER_SIZE + content > size:
        content = size - HEADER_SIZE
    return HEADER_SIZE, content


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _parse_navx_manifest(data: bytes, reader: _Reader) -> NavxManifest | None:
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        reader.error("NavxManifest.xml declares a DTD or entities; refused")
        return None
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        reader.error(f"NavxManifest.xml is not valid XML: {e}")
        return None
    app = next((el for el in root.iter() if _local(el.tag) == "App"), None)
    if app is None:
        reader.error("NavxManifest.xml has no <App> element")
        return None
    deps = tuple(
        Dependency(el.get("Id", el.get("AppId", "")), el.get("Name", ""), el.get("Publisher", ""),
                   el.get("MinVersion", el.get("Version", "")))
        for el in root.iter() if _local(el.tag) == "Dependency"
    )
    return NavxManifest(app.get("Id", ""), app.get("Name", ""), app.get("Publisher", ""),
                        app.get("Version", ""), app.get("Runtime"), deps)


def _parse_symbols(data: bytes, reader: _Reader) -> dict[str, Any] | None:
    try:
        value = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as e:
        reader.error(f"SymbolReference.json is not UTF-8: {e.reason}")
        return None
    except (ValueError, RecursionError) as e:
        reader.error(f"SymbolReference.json is not valid JSON: {e}")
        return None
    if not isinstance(value, dict):
        reader.error("SymbolReference.json does not hold a JSON object")
        return None
    return value


def _read_zip(zf: zipfile.ZipFile, reader: _Reader) -> Package:
    limits = reader.limits
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        reader.error(f"{len(infos)} members, over the limit of {limits.max_members}; not read")
        return Package(reader.path)
    manifest: NavxManifest | None = None
    symbols: dict[str, Any] | None = None
    sources: list[tuple[str, bytes]] = []
    seen_manifest = seen_symbols = False
    for info in infos:
        if info.is_dir():
            continue
        why = _unsafe_name(info.filename)
        if why is not None:
            reader.error(f"member name {info.filename!r} {why}; skipped")
            continue
        name = unquote(info.filename)
        lower = name.lower()
        if lower == MANIFEST_MEMBER and not seen_manifest:
            seen_manifest = True
            data = reader.read_member(zf, info, limits.max_manifest_bytes)
            manifest = _parse_navx_manifest(data, reader) if data is not None else None
        elif lower == SYMBOLS_MEMBER and not seen_symbols:
            seen_symbols = True
            data = reader.read_member(zf, info, limits.max_symbol_bytes, keep=limits.parse_symbols)
            if data is not None and limits.parse_symbols:
                symbols = _parse_symbols(data, reader)
        elif lower.endswith(".al") and limits.read_sources:
            data = reader.read_member(zf, info, limits.max_member_bytes)
            if data is not None:
                sources.append((name, data))
    if not seen_manifest:
        reader.error("no NavxManifest.xml in the package")
    sources.sort(key=lambda s: s[0])
    return Package(reader.path, manifest, symbols, tuple(sources))


DEFAULT_LIMITS = PackageLimits()


def read_package(path: str | Path, limits: PackageLimits = DEFAULT_LIMITS) -> Package:
    """Read the ``.app`` at ``path``: manifest, symbols and embedded sources, with findings.

    Never raises: every problem (unreadable file, not a ZIP, ZIP bomb, unsafe member names,
    oversized or malformed members) becomes a PBT0000 finding at the package's path.
    """
    path = Path(path)
    reader = _Reader(path, limits)
    package = Package(path)
    try:
        with path.open("rb") as raw:
            size = raw.seek(0, io.SEEK_END)
            raw.seek(0)
            if size > limits.max_package_bytes:
                reader.error(f"{size} bytes, over the limit of {limits.max_package_bytes}; not read")
            elif (window := _zip_window(raw, size, reader)) is not None:
                with zipfile.ZipFile(io.BufferedReader(_Window(raw, *window))) as zf:
                    package = _read_zip(zf, reader)
    except zipfile.BadZipFile as e:
        reader.error(f"not a valid ZIP: {e}")
    except OSError as e:
        reader.error(f"cannot read package: {e.strerror or e}")
    except Exception as e:  # a hostile package must give a finding, never a crash
        reader.error(f"cannot read package: {type(e).__name__}: {e}")
    return Package(path, package.manifest, package.symbols, package.sources, tuple(reader.findings))


# --------------------------------------------------------------------------- symbols

OBJECT_LISTS: Mapping[str, str] = {
    "Tables": "table",
    "TableExtensions": "tableextension",
    "Pages": "page",
    "PageExtensions": "pageextension",
    "PageCustomizations": "pagecustomization",
    "Codeunits": "codeunit",
    "Reports": "report",
    "ReportExtensions": "reportextension",
    "Queries": "query",
    "XmlPorts": "xmlport",
    "EnumTypes": "enum",
    "EnumExtensionTypes": "enumextension",
    "Interfaces": "interface",
    "ControlAddIns": "controladdin",
    "Profiles": "profile",
    "ProfileExtensions": "profileextension",
    "PermissionSets": "permissionset",
    "PermissionSetExtensions": "permissionsetextension",
    "Entitlements": "entitlement",
}
"""Lists of a symbol file (and of each of its namespaces) and the object kind they hold."""

MAX_NAMESPACE_DEPTH = 64


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def type_text(td: object) -> str:
    """A ``TypeDefinition`` of a symbol file as AL writes the type: ``Record Customer temporary``."""
    if not isinstance(td, dict):
        return ""
    text = _str(td.get("Name"))
    args = [type_text(a) for a in _list(td.get("TypeArguments"))]
    if args:
        text += " of [" + ", ".join(args) + "]"
    subtype = td.get("Subtype")
    sub_name = _str(subtype.get("Name")) if isinstance(subtype, dict) else _str(subtype)
    if sub_name:
        quoted = sub_name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", sub_name) else f'"{sub_name}"'
        text += " " + quoted
    if td.get("Temporary") is True:
        text += " temporary"
    return text


def _method(m: dict[str, Any]) -> SymbolMethod:
    params = tuple(
        SymbolParameter(_str(p.get("Name")), type_text(p.get("TypeDefinition")),
                        p.get("IsVar") is True or p.get("ByReference") is True)
        for p in _list(m.get("Parameters")) if isinstance(p, dict)
    )
    ret = m.get("ReturnTypeDefinition")
    return SymbolMethod(
        name=_str(m.get("Name")),
        parameters=params,
        return_type=type_text(ret) or None,
        attributes=tuple(_str(a.get("Name")) for a in _list(m.get("Attributes")) if isinstance(a, dict)),
    )


def _object(kind: str, obj: dict[str, Any], namespace: str | None) -> SymbolObject:
    ident = obj.get("Id")
    target = obj.get("TargetObject")
    return SymbolObject(
        kind=kind,
        id=ident if type(ident) is int else None,
        name=_str(obj.get("Name")),
        namespace=namespace,
        methods=tuple(_method(m) for m in _list(obj.get("Methods")) if isinstance(m, dict)),
        fields=tuple(_str(f.get("Name")) for f in _list(obj.get("Fields")) if isinstance(f, dict)),
        extends=target if isinstance(target, str) and target else None,
    )


def symbol_objects(symbols: Mapping[str, Any] | None) -> Iterator[SymbolObject]:
    """Every object of a parsed ``SymbolReference.json``, namespaces flattened.

    A nested namespace's full name joins the names on the way (``Microsoft.Sales.Customer``);
    objects outside any namespace have ``namespace=None``. Malformed entries are skipped.
    """
    if not isinstance(symbols, Mapping):
        return
    stack: list[tuple[Mapping[str, Any], str | None, int]] = [(symbols, None, 0)]
    while stack:
        scope, namespace, depth = stack.pop()
        for key, kind in OBJECT_LISTS.items():
            for obj in _list(scope.get(key)):
                if isinstance(obj, dict):
                    yield _object(kind, obj, namespace)
        if depth >= MAX_NAMESPACE_DEPTH:
            continue
        nested = []
        for ns in _list(scope.get("Namespaces")):
            if not isinstance(ns, dict):
                continue
            name = _str(ns.get("Name"))
            if namespace and name and not name.lower().startswith(namespace.lower() + "."):
                full = f"{namespace}.{name}"
            else:
                full = name or namespace
            nested.append((ns, full, depth + 1))
        stack.extend(reversed(nested))


fast_pickling(globals())
