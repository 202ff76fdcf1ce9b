"""Reading .app packages: the NAVX header, the ZIP inside, limits, hostile names, symbols."""

from __future__ import annotations

import io
import json
import os
import struct
import zipfile
from pathlib import Path

import pytest

from pbtlint.findings import SYNTAX_ERROR
from pbtlint.packages import (
    PackageLimits,
    SymbolMethod,
    SymbolObject,
    SymbolParameter,
    read_package,
    symbol_objects,
    type_text,
)
from pbtlint.project import Dependency

MANIFEST = b"""<?xml version="1.0" encoding="utf-8"?>
<Package xmlns="http://schemas.microsoft.com/navx/2015/manifest">
  <App Id="22222222-0000-0000-0000-000000000002" Name="Fixture Library" Publisher="pbtlint fixtures"
       Version="2.0.0.0" Runtime="13.0" />
  <Dependencies>
    <Dependency Id="99999999-0000-0000-0000-000000000001" Name="Fixture Base" Publisher="pbtlint fixtures"
                MinVersion="1.0.0.0" />
  </Dependencies>
</Package>
"""

SYMBOLS = {
    "RuntimeVersion": "13.0",
    "Tables": [{"Id": 50100, "Name": "Fixture Entry", "Fields": [{"Id": 1, "Name": "Entry No."},
                                                               {"Id": 2, "Name": "Amount"}]}],
    "Namespaces": [{
        "Name": "Fixture",
        "Codeunits": [{"Id": 50101, "Name": "Fixture Top", "Methods": []}],
        "Namespaces": [{
            "Name": "Sales",
            "Codeunits": [{
                "Id": 50102,
                "Name": "Fixture Task",
                "Methods": [{
                    "Name": "Compute",
                    "Parameters": [
                        {"Name": "Entry", "IsVar": True, "TypeDefinition": {
                            "Name": "Record", "Subtype": {"Name": "Fixture Entry", "Id": 50100},
                            "Temporary": True}},
                        {"Name": "Params", "TypeDefinition": {
                            "Name": "Dictionary", "TypeArguments": [{"Name": "Text"}, {"Name": "Text"}]}},
                    ],
                    "ReturnTypeDefinition": {"Name": "Boolean"},
                    "Attributes": [{"Name": "IntegrationEvent", "Arguments": []}],
                }],
            }],
            "PageExtensions": [{"Id": 50103, "Name": "Fixture Card Ext", "TargetObject": "Customer Card"}],
        }],
    }],
}


def navx(content: bytes, *, trailer: bytes = b"", header_size: int = 40) -> bytes:
    """The header pbtlint assumes (see pbtlint.packages) followed by ``content``."""
    header = b"NAVX" + struct.pack("<II", header_size, 2) + bytes(range(16))
    header += struct.pack("<II", len(content), 0) + b"NAVX"
    assert len(header) == 40
    return header + content + trailer


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return buffer.getvalue()


def valid_members() -> dict[str, bytes]:
    return {
        "[Content_Types].xml": b"<Types/>",
        "NavxManifest.xml": MANIFEST,
        "SymbolReference.json": b"\xef\xbb\xbf" + json.dumps(SYMBOLS).encode(),
        "src/Fixture%20Task.Codeunit.al": b'codeunit 50102 "Fixture Task"\r\n{\r\n}\r\n',
        "src/Fixture Entry.Table.al": b'table 50100 "Fixture Entry"\n{\n}\n',
    }


GOOD_SOURCES = ["src/Fixture Entry.Table.al", "src/Fixture Task.Codeunit.al"]


def write(tmp_path: Path, data: bytes, name: str = "Fixture_Library_2.0.0.0.app") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def messages(package) -> list[str]:
    return [f.message for f in package.findings]


# --------------------------------------------------------------------------- valid packages


def test_valid_package(tmp_path):
    package = read_package(write(tmp_path, navx(zip_bytes(valid_members()))))
    assert package.findings == ()
    m = package.manifest
    assert (m.id, m.name, m.publisher, m.version, m.runtime) == (
        "22222222-0000-0000-0000-000000000002", "Fixture Library", "pbtlint fixtures", "2.0.0.0", "13.0")
    assert m.dependencies == (Dependency("99999999-0000-0000-0000-000000000001", "Fixture Base",
                                         "pbtlint fixtures", "1.0.0.0"),)
    assert package.symbols is not None and package.symbols["RuntimeVersion"] == "13.0"  # BOM stripped
    # OPC names are percent-decoded; sources sorted by name
    assert [name for name, _ in package.sources] == GOOD_SOURCES
    assert package.sources[1][1].startswith(b"codeunit 50102")


def test_signature_block_after_the_zip_is_ignored(tmp_path):
    package = read_package(write(tmp_path, navx(zip_bytes(valid_members()), trailer=b"SIGNATURE" * 500)))
    assert package.findings == () and package.manifest.name == "Fixture Library"


def test_bare_zip_without_header(tmp_path):
    package = read_package(write(tmp_path, zip_bytes(valid_members())))
    assert package.findings == () and package.symbols is not None


def test_sources_can_be_left_out(tmp_path):
    path = write(tmp_path, navx(zip_bytes(valid_members())))
    package = read_package(path, PackageLimits(read_sources=False))
    assert package.sources == () and package.symbols is not None


def test_unexpected_header_length_is_reported_but_read(tmp_path):
    package = read_package(write(tmp_path, navx(zip_bytes(valid_members()), header_size=48)))
    assert len(package.findings) == 1 and "header length" in package.findings[0].message
    assert package.manifest is not None


# --------------------------------------------------------------------------- not packages


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"hello, not a package at all" * 10, "no NAVX header"),
        (b"", "no NAVX header"),
        (b"NAVX", "no NAVX header"),
        (navx(b".NEA" + os.urandom(200)), "runtime package"),
        (navx(b"PK\x03\x04" + b"\x00" * 100), "not a valid ZIP"),
    ],
)
def test_not_a_zip(tmp_path, data, expected):
    path = write(tmp_path, data)
    package = read_package(path)
    assert package.symbols is None and package.manifest is None and package.sources == ()
    (finding,) = package.findings
    assert finding.rule_id == SYNTAX_ERROR and finding.location.path == str(path)
    assert expected in finding.message


def test_missing_file(tmp_path):
    package = read_package(tmp_path / "absent.app")
    assert package.symbols is None and "cannot read package" in messages(package)[0]


def test_missing_manifest_is_reported(tmp_path):
    members = valid_members()
    del members["NavxManifest.xml"]
    package = read_package(write(tmp_path, navx(zip_bytes(members))))
    assert messages(package) == ["no NavxManifest.xml in the package"]
    assert package.symbols is not None


# --------------------------------------------------------------------------- hostile packages


def test_zip_bomb_member_over_the_limit(tmp_path):
    members = valid_members()
    members["src/Bomb.Codeunit.al"] = b"\x00" * (8 * 1024 * 1024)  # compresses to a few KB
    data = navx(zip_bytes(members))
    assert len(data) < 100_000
    package = read_package(write(tmp_path, data), PackageLimits(max_member_bytes=1024 * 1024))
    assert [name for name, _ in package.sources] == GOOD_SOURCES
    (finding,) = package.findings
    assert "src/Bomb.Codeunit.al" in finding.message and "limit" in finding.message


def test_total_limit_across_members(tmp_path):
    members = {f"src/part{i}.al": b" " * 400_000 for i in range(10)}
    members["NavxManifest.xml"] = MANIFEST
    limits = PackageLimits(max_member_bytes=500_000, max_total_bytes=1_000_000)
    package = read_package(write(tmp_path, navx(zip_bytes(members))), limits)
    assert sum(len(data) for _, data in package.sources) <= 1_000_000
    assert len(package.sources) == 2 and len(package.findings) == 8
    assert all("total limit" in m for m in messages(package))


def _lie_about_size(data: bytes, name: bytes, claimed: int) -> bytes:
    """Rewrite the uncompressed size of member ``name`` in its local and central headers."""
    out = bytearray(data)
    local = out.find(b"PK\x03\x04")
    while local != -1:
        name_len = struct.unpack_from("<H", out, local + 26)[0]
        if out[local + 30: local + 30 + name_len] == name:
            struct.pack_into("<I", out, local + 22, claimed)
        local = out.find(b"PK\x03\x04", local + 4)
    central = out.find(b"PK\x01\x02")
    while central != -1:
        name_len = struct.unpack_from("<H", out, central + 28)[0]
        if out[central + 46: central + 46 + name_len] == name:
            struct.pack_into("<I", out, central + 24, claimed)
        central = out.find(b"PK\x01\x02", central + 4)
    return bytes(out)


def test_header_lying_about_a_small_size_is_caught_while_reading(tmp_path):
    members = valid_members()
    members["src/Liar.al"] = b"\x00" * (4 * 1024 * 1024)
    data = _lie_about_size(zip_bytes(members), b"src/Liar.al", 100)
    package = read_package(write(tmp_path, navx(data)), PackageLimits(max_member_bytes=1024 * 1024))
    assert "src/Liar.al" not in [name for name, _ in package.sources]
    (finding,) = package.findings
    assert "src/Liar.al" in finding.message and finding.rule_id == SYNTAX_ERROR
    assert package.symbols is not None  # the rest is still read


class _FakeZip:
    """A ZipFile stand-in whose member decompresses to more than its header claims."""

    def __init__(self, real: bytes) -> None:
        self.real = real

    def open(self, info):
        return io.BytesIO(self.real)


def test_real_decompressed_size_is_counted_not_the_claim(tmp_path):
    from pbtlint.packages import _Reader

    reader = _Reader(tmp_path / "x.app", PackageLimits(max_member_bytes=100_000, max_total_bytes=120_000))
    info = zipfile.ZipInfo("src/liar.al")
    info.file_size = 10
    assert reader.read_member(_FakeZip(b"a" * 50_000), info, 100_000) == b"a" * 50_000  # type: ignore[arg-type]
    assert reader.read_member(_FakeZip(b"b" * 200_000), info, 100_000) is None  # type: ignore[arg-type]
    assert reader.read_member(_FakeZip(b"c" * 99_000), info, 100_000) is None  # type: ignore[arg-type]
    assert reader.total == 50_000
    assert len(reader.findings) == 2
    assert all("more than its header claims" in f.message for f in reader.findings)


def test_header_claiming_a_huge_size_is_refused_before_reading(tmp_path):
    members = valid_members()
    data = _lie_about_size(zip_bytes(members), b"SymbolReference.json", 3_000_000_000)
    package = read_package(write(tmp_path, navx(data)))
    assert package.symbols is None
    assert any("claims 3000000000 bytes" in m for m in messages(package))


def test_too_many_members(tmp_path):
    members = {f"src/f{i}.al": b"x" for i in range(20)}
    package = read_package(write(tmp_path, navx(zip_bytes(members))), PackageLimits(max_members=10))
    assert package.sources == () and "over the limit of 10" in messages(package)[0]


@pytest.mark.parametrize(
    "name",
    ["../evil.al", "src/../../evil.al", "/etc/evil.al", "src\\evil.al", "C:/evil.al",
     "src/%2e%2e/%2e%2e/evil.al", "%2Fetc%2Fevil.al"],
)
def test_traversal_and_absolute_names_are_refused(tmp_path, name):
    members = valid_members()
    members[name] = b"codeunit 1 Evil { }"
    before = sorted(p.name for p in tmp_path.iterdir())
    path = write(tmp_path, navx(zip_bytes(members)))
    package = read_package(path)
    assert len(package.sources) == 2
    assert all("evil" not in source_name for source_name, _ in package.sources)
    (finding,) = package.findings
    assert repr(name) in finding.message and "skipped" in finding.message
    # nothing was written anywhere near the package
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*before, path.name])
    assert not (tmp_path.parent / "evil.al").exists()


def test_huge_symbol_file(tmp_path):
    symbols = dict(SYMBOLS, Padding=["x" * 1000] * 3000)  # about 3 MB of JSON
    members = valid_members()
    members["SymbolReference.json"] = json.dumps(symbols).encode()
    limits = PackageLimits(max_symbol_bytes=1024 * 1024)
    package = read_package(write(tmp_path, navx(zip_bytes(members))), limits)
    assert package.symbols is None and package.manifest is not None
    (finding,) = package.findings
    assert "SymbolReference.json" in finding.message


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2, 3]", "JSON object"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[" * 200_000 + b"]" * 200_000, "not valid JSON"),
    ],
)
def test_malformed_symbol_file(tmp_path, payload, expected):
    members = valid_members()
    members["SymbolReference.json"] = payload
    package = read_package(write(tmp_path, navx(zip_bytes(members))))
    assert package.symbols is None
    (finding,) = package.findings
    assert expected in finding.message


def test_manifest_with_entities_is_refused(tmp_path):
    members = valid_members()
    members["NavxManifest.xml"] = (b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaa">]>'
                                   b'<Package><App Name="&a;"/></Package>')
    package = read_package(write(tmp_path, navx(zip_bytes(members))))
    assert package.manifest is None and "DTD" in messages(package)[0]


def test_broken_manifest_xml(tmp_path):
    members = valid_members()
    members["NavxManifest.xml"] = b"<Package><App"
    package = read_package(write(tmp_path, navx(zip_bytes(members))))
    assert package.manifest is None and "not valid XML" in messages(package)[0]


# --------------------------------------------------------------------------- symbols


def test_symbol_objects_flatten_namespaces():
    objects = list(symbol_objects(SYMBOLS))
    assert [(o.kind, o.id, o.name, o.namespace) for o in objects] == [
        ("table", 50100, "Fixture Entry", None),
        ("codeunit", 50101, "Fixture Top", "Fixture"),
        ("pageextension", 50103, "Fixture Card Ext", "Fixture.Sales"),
        ("codeunit", 50102, "Fixture Task", "Fixture.Sales"),
    ]
    assert objects[0].fields == ("Entry No.", "Amount")
    assert objects[3].methods == (SymbolMethod(
        name="Compute",
        parameters=(SymbolParameter("Entry", 'Record "Fixture Entry" temporary', True),
                    SymbolParameter("Params", "Dictionary of [Text, Text]", False)),
        return_type="Boolean",
        attributes=("IntegrationEvent",),
    ),)
    assert objects[2].extends == "Customer Card"


def test_symbol_objects_of_a_read_package(tmp_path):
    package = read_package(write(tmp_path, navx(zip_bytes(valid_members()))))
    assert [o.name for o in symbol_objects(package.symbols)] == [
        "Fixture Entry", "Fixture Top", "Fixture Card Ext", "Fixture Task"]


def test_fully_qualified_nested_namespace_names_are_not_doubled():
    inner = {"Name": "A.B", "Codeunits": [{"Id": 1, "Name": "X"}]}
    symbols = {"Namespaces": [{"Name": "A", "Namespaces": [inner]}]}
    assert [o.namespace for o in symbol_objects(symbols)] == ["A.B"]


def test_symbol_objects_tolerate_garbage():
    assert list(symbol_objects(None)) == []
    assert list(symbol_objects([1, 2])) == []  # type: ignore[arg-type]
    garbage = {
        "Codeunits": [3, "x", {"Id": "not an int", "Name": 7, "Methods": [None, {"Parameters": "no"}]}],
        "Tables": {"not": "a list"},
        "Namespaces": [None, {"Name": 5, "Pages": [{"Id": 9, "Name": "P"}]}],
    }
    objects = list(symbol_objects(garbage))
    assert objects == [
        SymbolObject("codeunit", None, "", None, (SymbolMethod("", (), None, ()),)),
        SymbolObject("page", 9, "P", None),
    ]


def test_deep_namespace_nesting_is_bounded():
    symbols: dict = {"Codeunits": [{"Id": 1, "Name": "Top"}]}
    inner = symbols
    for i in range(500):
        child = {"Name": f"N{i}", "Codeunits": [{"Id": i + 2, "Name": f"C{i}"}]}
        inner["Namespaces"] = [child]
        inner = child
    objects = list(symbol_objects(symbols))
    assert 2 <= len(objects) <= 66


def test_type_text():
    assert type_text({"Name": "Code[20]"}) == "Code[20]"
    assert type_text({"Name": "Codeunit", "Subtype": {"Name": "Sales_Post"}}) == "Codeunit Sales_Post"
    assert type_text({"Name": "List", "TypeArguments": [{"Name": "Integer"}]}) == "List of [Integer]"
    assert type_text(None) == ""


# --------------------------------------------------------------------------- real packages


@pytest.mark.corpus
def test_real_packages_of_bcapps():
    root = os.environ.get("PBTLINT_CORPUS_BCAPPS")
    if not root:
        pytest.skip("PBTLINT_CORPUS_BCAPPS is not set: real .app packages not checked")
    apps = sorted(Path(root).rglob("*.app"))
    if not apps:
        pytest.skip(f"no .app file under {root}")
    for path in apps:
        package = read_package(path)
        assert package.findings == (), path
        assert package.manifest is not None and package.manifest.id and package.manifest.name
        assert isinstance(package.symbols, dict)
        list(symbol_objects(package.symbols))
