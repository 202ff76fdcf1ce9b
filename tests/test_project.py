"""Project discovery: app roots, manifests, source files, packages, and bad input."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from pbtlint.findings import SYNTAX_ERROR
from pbtlint.project import AppManifest, Dependency, discover, parse_manifest, real_path
from pbtlint.runner import display_path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "apps" / "discovery"


def names(files: tuple[Path, ...]) -> list[str]:
    return [f.name for f in files]


def by_name(ws, name: str):
    return next(a for a in ws.apps if a.manifest is not None and a.manifest.name == name)


# --------------------------------------------------------------------------- layouts


def test_repository_with_app_and_test_app():
    ws = discover([FIXTURES / "repo"])
    assert [a.manifest.name for a in ws.apps] == ["Discovery App", "Discovery App Tests"]
    app, test = ws.apps
    assert app.root == FIXTURES / "repo" / "App"
    # node_modules, .snapshots and .output are skipped; only .al files count
    assert names(app.source_files) == ["DiscMain.Codeunit.al", "DiscCard.Page.al"]
    assert names(test.source_files) == ["DiscMainTest.Codeunit.al"]
    assert ws.findings == () and app.findings == () and test.findings == ()
    # a folder holding only apps is not an anonymous app of its own
    assert all(a.manifest is not None for a in ws.apps)


def test_manifest_fields_new_and_old_spellings():
    ws = discover([FIXTURES / "repo"], defines=["EXTRA", "CLEAN24"])
    app, test = ws.apps
    m = app.manifest
    assert (m.id, m.publisher, m.version) == ("11111111-0000-0000-0000-000000000001", "pbtlint fixtures",
                                              "1.0.0.0")
    assert m.dependencies == (Dependency("22222222-0000-0000-0000-000000000002", "Discovery Library",
                                         "pbtlint fixtures", "2.0.0.0"),)
    assert m.id_ranges == ((50100, 50149), (50200, 50209))
    assert m.suppress_warnings == ("AL0432",)
    assert (m.runtime, m.application, m.platform) == ("13.0", "24.0.0.0", "1.0.0.0")
    assert m.preprocessor_symbols == ("CLEAN24", "DISCOVERY")
    # app.json symbols, then the defines, without duplicates
    assert app.preprocessor_symbols == ("CLEAN24", "DISCOVERY", "EXTRA")
    # old spellings: "appId" in a dependency, a single "idRange"
    assert test.manifest.dependencies[0].id == "11111111-0000-0000-0000-000000000001"
    assert test.manifest.id_ranges == ((50150, 50199),)
    assert test.preprocessor_symbols == ("EXTRA", "CLEAN24")


def test_nested_apps_own_their_files():
    ws = discover([FIXTURES / "nested"])
    outer, inner = by_name(ws, "Outer"), by_name(ws, "Inner")
    assert names(outer.source_files) == ["Outer.Codeunit.al"]
    assert names(inner.source_files) == ["Inner.Codeunit.al"]
    assert len(ws.apps) == 2


def test_directory_inside_an_app_walks_up_to_its_app_json():
    ws = discover([FIXTURES / "repo" / "App" / "src" / "sub"])
    (app,) = ws.apps
    assert app.manifest.name == "Discovery App"
    assert app.root == FIXTURES / "repo" / "App"
    assert names(app.source_files) == ["DiscCard.Page.al"]


def test_files_given_explicitly_belong_to_their_app():
    main = FIXTURES / "repo" / "App" / "src" / "DiscMain.Codeunit.al"
    skipped = FIXTURES / "repo" / "App" / "node_modules" / "pkg" / "Skipped.Codeunit.al"
    inner = FIXTURES / "nested" / "inner" / "Inner.Codeunit.al"
    ws = discover([main, skipped, inner, main])
    assert [a.manifest.name for a in ws.apps] == ["Inner", "Discovery App"]
    app = by_name(ws, "Discovery App")
    # explicit files are taken even from skipped folders, once each
    assert names(app.source_files) == ["Skipped.Codeunit.al", "DiscMain.Codeunit.al"]
    assert names(by_name(ws, "Inner").source_files) == ["Inner.Codeunit.al"]


def test_same_app_from_several_arguments_is_merged():
    ws = discover([FIXTURES / "repo" / "App" / "src" / "sub", FIXTURES / "repo" / "App",
                   FIXTURES / "repo" / "App" / "app.json"])
    (app,) = ws.apps
    assert names(app.source_files) == ["DiscMain.Codeunit.al", "DiscCard.Page.al"]


def test_folder_without_app_json_is_one_anonymous_app():
    ws = discover([FIXTURES / "noapp"], defines=["X"])
    (app,) = ws.apps
    assert app.manifest is None and app.anonymous
    assert app.root == FIXTURES / "noapp"
    assert names(app.source_files) == ["Loose.Codeunit.al", "LooseTwo.Codeunit.al"]
    assert app.preprocessor_symbols == ("X",)


def test_loose_files_beside_apps_form_an_anonymous_app(tmp_path):
    shutil.copytree(FIXTURES / "nested", tmp_path / "nested")
    (tmp_path / "script.al").write_text("codeunit 1 X { }\n", encoding="utf-8")
    ws = discover([tmp_path])
    anon = [a for a in ws.apps if a.anonymous]
    assert len(ws.apps) == 3 and len(anon) == 1
    assert names(anon[0].source_files) == ["script.al"]


def test_relative_paths_stay_relative(monkeypatch):
    monkeypatch.chdir(FIXTURES / "repo")
    ws = discover(["App/src"])
    (app,) = ws.apps
    assert app.root == Path("App")
    assert [str(f) for f in app.source_files] == [os.path.join("App", "src", "DiscMain.Codeunit.al"),
                                                 os.path.join("App", "src", "sub", "DiscCard.Page.al")]


def test_dot_dot_in_a_path_is_normalized(monkeypatch):
    monkeypatch.chdir(FIXTURES / "repo")
    (app,) = discover(["Test/src/.."]).apps
    assert app.root == Path("Test")
    assert [str(f) for f in app.source_files] == [os.path.join("Test", "src", "DiscMainTest.Codeunit.al")]


def test_file_outside_any_app_is_an_anonymous_app_of_its_folder():
    (app,) = discover([FIXTURES / "noapp" / "sub" / "LooseTwo.Codeunit.al"]).apps
    assert app.anonymous and app.root == FIXTURES / "noapp" / "sub"
    assert names(app.source_files) == ["LooseTwo.Codeunit.al"]


def test_package_files_are_listed(tmp_path):
    shutil.copytree(FIXTURES / "repo" / "App", tmp_path / "App")
    packages = tmp_path / "App" / ".alpackages"
    packages.mkdir()
    for name in ("Microsoft_System_24.0.app", "Microsoft_Base Application_24.0.app", "readme.txt"):
        (packages / name).write_bytes(b"")
    (packages / "inside.al").write_text("codeunit 2 Y { }\n", encoding="utf-8")
    (app,) = discover([tmp_path / "App"]).apps
    assert names(app.package_files) == ["Microsoft_Base Application_24.0.app", "Microsoft_System_24.0.app"]
    assert "inside.al" not in names(app.source_files)


def test_git_folder_is_skipped(tmp_path):
    (tmp_path / ".git" / "objects").mkdir(parents=True)
    (tmp_path / ".git" / "objects" / "x.al").write_text("codeunit 3 Z { }\n", encoding="utf-8")
    (tmp_path / "a.al").write_text("codeunit 4 A { }\n", encoding="utf-8")
    (app,) = discover([tmp_path]).apps
    assert names(app.source_files) == ["a.al"]


def test_extra_source_roots_are_separate_and_not_duplicated():
    ws = discover([FIXTURES / "repo" / "App"], extra_source_roots=[FIXTURES / "repo", FIXTURES / "bom"])
    assert [a.manifest.name for a in ws.apps] == ["Discovery App"]
    assert sorted(a.manifest.name for a in ws.extra_roots) == ["Bom App", "Discovery App Tests"]


# --------------------------------------------------------------------------- bad input


def test_symlink_loop_is_not_followed_forever(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.al").write_text("codeunit 5 A { }\n", encoding="utf-8")
    try:
        os.symlink(tmp_path, tmp_path / "src" / "loop", target_is_directory=True)
        os.symlink(tmp_path / "src", tmp_path / "again", target_is_directory=True)
    except (OSError, NotImplementedError):
        pytest.skip("symlinks are not available here")
    (app,) = discover([tmp_path]).apps
    assert names(app.source_files) == ["a.al"]  # once, though reachable by three paths


def test_files_under_linked_folders_have_their_real_paths(tmp_path):
    """Discovery takes a folder's real path from its parent's unless the folder is a link: files under a
    link, and under plain folders inside it, get the real paths the system gives."""
    outside = tmp_path / "outside" / "deep"
    (outside / "inner").mkdir(parents=True)
    (outside / "inner" / "b.al").write_text("codeunit 8 B { }\n", encoding="utf-8")
    app = tmp_path / "app"
    (app / "src" / "plain").mkdir(parents=True)
    (app / "src" / "plain" / "a.al").write_text("codeunit 9 A { }\n", encoding="utf-8")
    try:
        os.symlink(tmp_path / "outside", app / "src" / "linked", target_is_directory=True)
    except (OSError, NotImplementedError):
        pytest.skip("symlinks are not available here")
    (found,) = discover([app]).apps
    assert sorted(names(found.source_files)) == ["a.al", "b.al"]
    for path in found.source_files:
        assert real_path(path) == os.path.realpath(path)
    assert real_path(app / "src" / "linked" / "deep" / "inner" / "b.al") == str(outside.resolve() / "inner" / "b.al")


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root reads everything")
def test_unreadable_folder_gives_a_finding(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "x.al").write_text("codeunit 6 X { }\n", encoding="utf-8")
    (tmp_path / "ok.al").write_text("codeunit 7 Y { }\n", encoding="utf-8")
    locked.chmod(0)
    try:
        ws = discover([tmp_path])
    finally:
        locked.chmod(0o755)
    assert names(ws.apps[0].source_files) == ["ok.al"]
    (finding,) = ws.findings
    assert finding.rule_id == SYNTAX_ERROR and finding.location.path == str(locked)


def test_unreadable_folder_gives_a_finding_even_as_root(tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    (tmp_path / "ok.al").write_text("codeunit 7 Y { }\n", encoding="utf-8")
    real_scandir = os.scandir

    def scandir(path):
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr("pbtlint.project.os.scandir", scandir)
    ws = discover([tmp_path])
    assert names(ws.apps[0].source_files) == ["ok.al"]
    (finding,) = ws.findings
    assert finding.rule_id == SYNTAX_ERROR and finding.location.path == str(locked)
    assert "Permission denied" in finding.message


def test_missing_path_and_non_al_file(tmp_path):
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    ws = discover([tmp_path / "nope", tmp_path / "notes.txt"])
    assert ws.apps == ()
    assert [f.location.path for f in ws.findings] == [str(tmp_path / "nope"), str(tmp_path / "notes.txt")]
    assert all(f.rule_id == SYNTAX_ERROR for f in ws.findings)


def test_bom_in_app_json_is_accepted():
    (app,) = discover([FIXTURES / "bom"]).apps
    assert app.findings == ()
    assert app.manifest.name == "Bom App" and app.preprocessor_symbols == ("BOM",)


def test_comments_in_app_json_are_an_error_but_the_manifest_is_still_read():
    (app,) = discover([FIXTURES / "malformed"]).apps
    (finding,) = app.findings
    assert finding.rule_id == SYNTAX_ERROR
    assert finding.location.path == str(FIXTURES / "malformed" / "app.json")
    assert (finding.location.span.line, finding.location.span.column) == (4, 3)  # the "//"
    assert app.manifest.name == "Malformed App"
    assert app.preprocessor_symbols == ("STILL_READ",)
    assert names(app.source_files) == ["Malformed.Codeunit.al"]


def test_missing_required_keys_and_wrong_types():
    (app,) = discover([FIXTURES / "missingkeys"]).apps
    messages = [f.message for f in app.findings]
    assert 'app.json has no "publisher"' in messages and 'app.json has no "version"' in messages
    bad_symbols = next(f for f in app.findings if "preprocessorSymbols" in f.message)
    assert bad_symbols.location.span.line == 4  # where the key is
    assert 'a dependency in app.json has no "id"' in messages
    assert app.manifest.name == "Missing Keys" and app.manifest.preprocessor_symbols == ()
    assert app.manifest.dependencies == (Dependency("", "No Id", "", ""),)
    assert len(app.findings) == 4
    assert names(app.source_files) == ["Missing.Codeunit.al"]


@pytest.mark.parametrize(
    ("data", "line", "column"),
    [
        (b'{\n  "id": "x",\n  "name": \n}', 4, 1),
        (b"", 1, 1),
        (b'{"id": "a", "name": "b", "publisher": "c", "version": "d"} trailing', 1, 60),
    ],
)
def test_json_errors_are_placed(data, line, column):
    manifest, findings = parse_manifest(data, "app.json")
    assert manifest == AppManifest()
    (finding,) = findings
    assert (finding.location.span.line, finding.location.span.column) == (line, column)


def test_not_an_object_and_not_utf8():
    manifest, findings = parse_manifest(b"[1, 2]", "app.json")
    assert manifest == AppManifest() and "object" in findings[0].message
    manifest, findings = parse_manifest(b'{\n"name": "\xff"}', "app.json")
    assert manifest == AppManifest() and findings[0].location.span.line == 2


def test_utf16_manifest():
    text = '{"id": "a", "name": "Sixteen", "publisher": "c", "version": "1.0.0.0"}'
    manifest, findings = parse_manifest(text.encode("utf-16"), "app.json")
    assert findings == () and manifest.name == "Sixteen"


def test_deeply_nested_json_does_not_crash():
    manifest, findings = parse_manifest(b"[" * 100_000 + b"]" * 100_000, "app.json")
    assert manifest == AppManifest() and findings


def test_bad_id_ranges():
    data = b'{"id": "a", "name": "b", "publisher": "c", "version": "d",'
    data += b' "idRanges": [{"from": 9, "to": 1}, 3]}'
    manifest, findings = parse_manifest(data, "app.json")
    assert manifest.id_ranges == ()
    assert len(findings) == 2 and all("idRanges" in f.message for f in findings)


def test_real_paths_remembered_by_discovery_follow_the_working_directory(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("a", "b"):
        (tmp_path / name / "src").mkdir(parents=True)
        (tmp_path / name / "src" / "X.Codeunit.al").write_text("codeunit 50100 X { }\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path / "a")
    discover([Path("src")])
    assert real_path(Path("src/X.Codeunit.al")) == os.path.realpath(tmp_path / "a" / "src" / "X.Codeunit.al")
    monkeypatch.chdir(tmp_path / "b")  # the same relative path now names another file
    assert real_path(Path("src/X.Codeunit.al")) == os.path.realpath(tmp_path / "b" / "src" / "X.Codeunit.al")
    assert display_path(Path("src/X.Codeunit.al")) == "src/X.Codeunit.al"


def test_a_found_file_is_known_by_its_absolute_path_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Discovery records files as it was given them; a lookup by another spelling (absolute) finds them
    too, also files found by a later discovery in the same run (``--source-root``), and not after the
    run's paths are forgotten."""
    from pbtlint.project import forget_real_paths, found_real_path

    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "X.Codeunit.al").write_text("codeunit 50100 X { }\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    discover([Path("a")])
    first = tmp_path / "a" / "X.Codeunit.al"
    assert found_real_path(first) == os.path.realpath(first)  # absolute: not as it was given
    assert found_real_path(tmp_path / "b" / "X.Codeunit.al") is None  # not found (yet)
    discover([Path("a")], [Path("b")])
    assert found_real_path(tmp_path / "b" / "X.Codeunit.al") == os.path.realpath(tmp_path / "b" / "X.Codeunit.al")
    forget_real_paths()
    assert found_real_path(first) is None


@pytest.mark.parametrize("given", ["fixtures", ".", "FIXTURES_ABSOLUTE"])
def test_a_walk_makes_the_paths_parsing_them_would(monkeypatch: pytest.MonkeyPatch, given: str) -> None:
    """The walk makes each entry's path from its folder's (``project._child_of``); with plain parsing of
    the entry's whole path instead, discovery finds the same paths, relative, from ``.`` or absolute."""
    from pbtlint import project

    root = Path(__file__).resolve().parent.parent
    monkeypatch.chdir(root)
    target = str(root / "fixtures") if given == "FIXTURES_ABSOLUTE" else given
    fast = discover([target])
    monkeypatch.setattr(project, "_child_of", lambda directory: lambda entry: Path(entry.path))
    plain = discover([target])
    assert [(a.root, a.source_files) for a in fast.apps] == [(a.root, a.source_files) for a in plain.apps]
    files = [f for a in fast.apps for f in a.source_files]
    assert len(files) > 50 and all(str(f) == os.path.normpath(str(f)) for f in files)
    assert all(f.is_absolute() == (given == "FIXTURES_ABSOLUTE") for f in files)
