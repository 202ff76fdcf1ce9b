"""Hostile and broken input: each gives a PBT0000 finding (or a tool notification) naming the file and
the reason, in bounded time and memory, and every other file of the run is still analyzed as usual.

Each case copies fixtures/demo-app into tmp_path, adds one bad input and runs ``pbtlint check`` in
process (JSON and SARIF); the demo app's own findings must all still be there. The inputs that could
cost time or memory (a 50 MB file, a 20,000-term expression) run the real command in a subprocess
that reports its time and peak memory (``resource.getrusage``).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

import pbtlint.source
from pbtlint import parallel
from pbtlint.check import CheckOptions, run_check
from pbtlint.findings import SYNTAX_ERROR

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "demo-app"

# Runs `pbtlint check` in this process's interpreter and prints the exit code, the wall time and the
# peak memory of the child as one JSON line on stderr (stdout is the report).
MEASURE = textwrap.dedent("""
    import json, resource, subprocess, sys, time
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pbtlint", *sys.argv[1:]], capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    sys.stderr.write("\\n" + json.dumps({"rc": proc.returncode, "seconds": elapsed, "peak_mb": peak_kb / 1024}))
""")


def measured_check(cwd: Path, *args: str, timeout: float = 120) -> tuple[dict, str, str]:
    """Run ``pbtlint check ARGS`` in a subprocess; its figures, stdout and stderr."""
    proc = subprocess.run(
        [sys.executable, "-c", MEASURE, "check", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    *err, last = proc.stderr.rstrip("\n").split("\n")
    return json.loads(last), proc.stdout, "\n".join(err)


def demo_copy(tmp_path: Path, name: str = "app") -> Path:
    app = tmp_path / name
    shutil.copytree(DEMO, app)
    return app


def key(f) -> tuple:
    return (f.rule_id, f.location.path, f.location.span.line, f.location.span.column, f.message)


@pytest.fixture(scope="module")
def demo_findings(tmp_path_factory: pytest.TempPathFactory) -> set[tuple]:
    """The demo app's findings when nothing hostile is next to it (paths as ``app/...``)."""
    base = tmp_path_factory.mktemp("clean")
    demo_copy(base)
    old = os.getcwd()
    os.chdir(base)
    try:
        outcome = run_check(CheckOptions(paths=("app",), fmt="json"))
    finally:
        os.chdir(old)
    found = {key(f) for f in outcome.findings}
    assert found, "the demo app must have findings for these tests to mean anything"
    return found


def check_both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *paths: str) -> tuple:
    """Run the check on ``paths`` (relative to tmp_path) in JSON and SARIF, parsing every file; outcome,
    JSON and SARIF. The default (demand-driven) check must survive the same input and report the same
    findings but for syntax errors in files it has no reason to parse."""
    monkeypatch.chdir(tmp_path)
    outcome = run_check(CheckOptions(paths=paths or ("app",), fmt="json", full_parse=True))
    sarif = json.loads(run_check(CheckOptions(paths=paths or ("app",), fmt="sarif", full_parse=True)).report)
    fast = run_check(CheckOptions(paths=paths or ("app",), fmt="json", use_cache=False))
    assert {f for f in fast.findings if f.rule_id != SYNTAX_ERROR} == \
        {f for f in outcome.findings if f.rule_id != SYNTAX_ERROR}
    return outcome, json.loads(outcome.report), sarif


def pbt0000(outcome, path: str) -> list[str]:
    return [f.message for f in outcome.findings if f.rule_id == SYNTAX_ERROR and f.location.path == path]


def assert_rest_analyzed(outcome, demo_findings: set[tuple]) -> None:
    missing = demo_findings - {key(f) for f in outcome.findings}
    assert not missing, f"findings of the other files were lost: {sorted(missing)}"
    internal = [f.message for f in outcome.findings if "internal error" in f.message]
    assert not internal, internal


def sarif_mentions(sarif: dict, path: str) -> bool:
    run = sarif["runs"][0]
    notes = run["invocations"][0].get("toolExecutionNotifications", [])
    uris = [loc["physicalLocation"]["artifactLocation"]["uri"] for n in notes for loc in n.get("locations", [])]
    uris += [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]]
    return any(u.endswith(path.split("/", 1)[1]) for u in uris)


# --------------------------------------------------------------------------- bad bytes

BAD_FILES = {
    "binary": (bytes(range(256)) * 64, "UTF-8"),
    "invalid-utf8": (b"codeunit 50190 \"Bad Bytes\"\n{\n    // caf" + b"\xe9\n}\n", "invalid UTF-8 byte 0xE9"),
    "nul": b"codeunit 50191 \"Nul\"\n{\n    trigger OnRun()\n    begin\x00\n    end;\n}\n",
    "utf16-odd": (b"\xff\xfe" + "codeunit 1 X {}".encode("utf-16-le") + b"\x00", "UTF-16"),
    "unterminated-string": (b"codeunit 50192 \"S\"\n{\n    trigger OnRun()\n    begin\n        Message('abc);\n"
                            b"    end;\n}\n", "unterminated text"),
    "unterminated-comment": (b"codeunit 50193 \"C\"\n{\n    /* never closed\n    trigger OnRun()\n    begin\n"
                             b"    end;\n}\n", "unterminated comment"),
    "unterminated-quoted-name": (b"codeunit 50194 \"Q\n{\n}\n", "unterminated quoted name"),
    "unterminated-ml-text": (b"codeunit 50195 \"M\"\n{\n    var T: Text;\n    trigger OnRun()\n    begin\n"
                             b"        T := @'abc\n    end;\n}\n", "unterminated text"),
    "unterminated-if": (b"#if SOMETHING\ncodeunit 50196 \"D\"\n{\n}\n", "#if without a matching #endif"),
    "stray-endif": (b"codeunit 50197 \"E\"\n{\n}\n#endif\n", "#endif without a matching #if"),
    "unterminated-region": (b"#region open\ncodeunit 50198 \"R\"\n{\n}\n", "#region without a matching"),
    "truncated-object": (b"codeunit 50199 \"T\"\n{\n    trigger OnRun()\n    begin\n", "end of file"),
}
BAD_FILES["nul"] = (BAD_FILES["nul"], "NUL byte")


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_gives_pbt0000_and_the_rest_is_analyzed(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_findings: set[tuple]
) -> None:
    data, reason = BAD_FILES[case]
    app = demo_copy(tmp_path)
    (app / "src" / "Hostile.al").write_bytes(data)
    outcome, report, sarif = check_both(tmp_path, monkeypatch)
    messages = pbt0000(outcome, "app/src/Hostile.al")
    assert any(reason in m for m in messages), messages
    assert_rest_analyzed(outcome, demo_findings)
    assert sarif_mentions(sarif, "app/src/Hostile.al")
    assert any(f["rule_id"] == SYNTAX_ERROR for f in report["findings"])


def test_empty_file_is_analyzed_and_noted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_findings: set[tuple]
) -> None:
    """An empty .al file is valid AL (the compiler accepts it): no error, but a note that it holds nothing."""
    app = demo_copy(tmp_path)
    (app / "src" / "Empty.al").write_bytes(b"")
    (app / "src" / "Blank.al").write_bytes(b"\n  \n// only a comment\n")
    outcome, report, sarif = check_both(tmp_path, monkeypatch)
    assert not pbt0000(outcome, "app/src/Empty.al")
    assert_rest_analyzed(outcome, demo_findings)
    noted = {n["path"] for n in report["notifications"]}
    assert {"app/src/Empty.al", "app/src/Blank.al"} <= noted
    notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert any("no AL object" in n["message"]["text"] for n in notes)


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_findings: set[tuple]) -> None:
    """Tests run as root here, where chmod 000 does not stop reading: ``open`` is patched instead to
    fail with EACCES for that one file (and chmod is used too when it would work)."""
    app = demo_copy(tmp_path)
    locked = app / "src" / "Locked.Codeunit.al"
    locked.write_text('codeunit 50180 "Locked"\n{\n}\n', encoding="utf-8")
    locked.chmod(0)
    real_open = open

    def guarded_open(file, *args, **kwargs):
        if os.fspath(file).endswith("Locked.Codeunit.al"):
            raise PermissionError(13, "Permission denied", os.fspath(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(pbtlint.source, "open", guarded_open, raising=False)
    try:
        outcome, report, sarif = check_both(tmp_path, monkeypatch)
    finally:
        locked.chmod(0o644)
    messages = pbt0000(outcome, "app/src/Locked.Codeunit.al")
    assert messages == ["cannot read file: Permission denied"]
    assert_rest_analyzed(outcome, demo_findings)
    assert any(n["path"] == "app/src/Locked.Codeunit.al" for n in report["notifications"])
    assert sarif_mentions(sarif, "app/src/Locked.Codeunit.al")


def test_directory_named_al(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_findings: set[tuple]) -> None:
    app = demo_copy(tmp_path)
    (app / "src" / "Folder.al").mkdir()
    (app / "src" / "Folder.al" / "Inner.Codeunit.al").write_text('codeunit 50181 "Inner"\n{\n}\n')
    outcome, _, _ = check_both(tmp_path, monkeypatch)
    assert_rest_analyzed(outcome, demo_findings)
    assert not [f for f in outcome.findings if f.rule_id == SYNTAX_ERROR]


# --------------------------------------------------------------------------- the tree


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links here")
def test_symlink_loops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_findings: set[tuple]) -> None:
    app = demo_copy(tmp_path)
    src = app / "src"
    (src / "up").symlink_to("..")  # a folder loop: walked once
    (src / "Self.al").symlink_to("Self.al")
    (src / "A.al").symlink_to("B.al")
    (src / "B.al").symlink_to("A.al")
    (src / "Dangling.al").symlink_to("Nowhere.al")
    outcome, report, sarif = check_both(tmp_path, monkeypatch)
    assert_rest_analyzed(outcome, demo_findings)
    for name in ("Self.al", "A.al", "B.al"):
        assert pbt0000(outcome, f"app/src/{name}") == ["cannot read file: Too many levels of symbolic links"]
    assert pbt0000(outcome, "app/src/Dangling.al") == ["cannot read file: No such file or directory"]
    # every demo file is analyzed once, although the loop reaches it again through src/up
    assert len(outcome.findings) == len(set(outcome.findings))
    assert sorted(str(p) for a in outcome.run.apps for p in a.app.source_files) == sorted(
        {str(p) for a in outcome.run.apps for p in a.app.source_files})
    assert sarif_mentions(sarif, "app/src/Self.al")


MANIFESTS = {
    "not-json": (b'{ "id": "x", ', "app.json is not valid JSON"),
    "not-object": (b"[1, 2, 3]", "app.json must hold a JSON object"),
    "binary": (bytes(range(256)), "app.json is not valid"),
    "deep": (b"[" * 100_000 + b"]" * 100_000, "app.json is not valid JSON"),
    "wrong-types": (b'{"id": 1, "name": [], "publisher": "p", "version": "1.0.0.0", "dependencies": 7}',
                    "must be a string"),
}


@pytest.mark.parametrize("case", sorted(MANIFESTS))
def test_malformed_app_json(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_findings: set[tuple]
) -> None:
    data, reason = MANIFESTS[case]
    app = demo_copy(tmp_path)
    (app / "app.json").write_bytes(data)
    outcome, _, sarif = check_both(tmp_path, monkeypatch)
    messages = pbt0000(outcome, "app/app.json")
    assert any(reason in m for m in messages), messages
    assert_rest_analyzed(outcome, demo_findings)
    assert sarif_mentions(sarif, "app/app.json")


def test_missing_app_json_analyzes_the_folder_as_loose_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_findings: set[tuple]
) -> None:
    """Without app.json the files are still analyzed (as one anonymous app), with the same findings."""
    app = demo_copy(tmp_path)
    (app / "app.json").unlink()
    outcome, _, _ = check_both(tmp_path, monkeypatch)
    assert_rest_analyzed(outcome, demo_findings)


# --------------------------------------------------------------------------- packages


def navx(zip_data: bytes) -> bytes:
    header = b"NAVX" + struct.pack("<II", 40, 2) + b"\x11" * 16 + struct.pack("<II", len(zip_data), 0) + b"NAVX"
    return header + zip_data


def zip_of(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return buf.getvalue()


MANIFEST_XML = (b'<?xml version="1.0"?><Package xmlns="http://schemas.microsoft.com/navx/2015/manifest">'
                b'<App Id="1" Name="Lib" Publisher="p" Version="1.0.0.0"/></Package>')


def bomb_zip(claimed: int) -> bytes:
    """A ZIP whose SymbolReference.json claims ``claimed`` bytes (both of its headers rewritten to say so)."""
    data = bytearray(zip_of({"NavxManifest.xml": MANIFEST_XML, "SymbolReference.json": b"0" * 1000}))
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("SymbolReference.json")
    struct.pack_into("<I", data, info.header_offset + 22, claimed)  # local header: uncompressed size
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:  # central directory entry of that member
        if data[pos + 46:pos + 46 + len(info.filename)] == info.filename.encode():
            struct.pack_into("<I", data, pos + 24, claimed)
        pos = data.find(b"PK\x01\x02", pos + 4)
    return bytes(data)


def packages() -> dict[str, tuple[bytes, str]]:
    return {
        "not-a-zip": (b"this is not a package at all" * 100, "not a package: no NAVX header"),
        "navx-not-zip": (navx(b"\x00" * 500), "not a ZIP after the NAVX header"),
        "truncated-zip": (navx(zip_of({"NavxManifest.xml": MANIFEST_XML}))[:80], "not a valid ZIP"),
        "traversal": (navx(zip_of({"NavxManifest.xml": MANIFEST_XML, "../../evil.al": b"x",
                                   "/etc/passwd.al": b"x", "src\\..\\win.al": b"x",
                                   "src/%2e%2e/%2e%2e/enc.al": b"x"})), "holds '..'"),
        "bomb": (navx(bomb_zip(4_000_000_000)), "over the limit"),
        "deflate-bomb": (navx(zip_of({"NavxManifest.xml": MANIFEST_XML,
                                      "SymbolReference.json": b'{"Tables": [' + b" " * (100 * 1024 * 1024) + b"]}"})),
                         ""),
        "bad-symbols": (navx(zip_of({"NavxManifest.xml": MANIFEST_XML, "SymbolReference.json": b"\xff\xfe{"})), ""),
        "xml-entities": (navx(zip_of({"NavxManifest.xml": b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'})),
                         "declares a DTD or entities"),
    }


def test_hostile_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_findings: set[tuple]) -> None:
    """Every bad .app in .alpackages gives its finding; nothing is extracted; the sources are analyzed."""
    package_bytes = packages()
    app = demo_copy(tmp_path)
    folder = app / ".alpackages"
    folder.mkdir()
    for name, (data, _) in package_bytes.items():
        (folder / f"{name}.app").write_bytes(data)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    outcome, _, sarif = check_both(tmp_path, monkeypatch)
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before  # nothing extracted
    assert not (tmp_path.parent / "evil.al").exists()
    for name, (_, reason) in package_bytes.items():
        messages = pbt0000(outcome, f"app/.alpackages/{name}.app")
        if reason:
            assert any(reason in m for m in messages), (name, messages)
    # the deflate bomb (100 MB of JSON compressed to 100 kB) is within the limits: read, checked, dropped
    assert not pbt0000(outcome, "app/.alpackages/deflate-bomb.app")
    assert_rest_analyzed(outcome, demo_findings)
    assert sarif_mentions(sarif, "app/.alpackages/bomb.app")


# --------------------------------------------------------------------------- size and depth


def test_50_mb_file_is_refused_quickly(tmp_path: Path, demo_findings: set[tuple]) -> None:
    app = demo_copy(tmp_path)
    line = b"        Total := Total + 1; // padding padding padding padding padding padding\n"
    with open(app / "src" / "Huge.Codeunit.al", "wb") as f:
        f.write(b'codeunit 50170 "Huge"\n{\n    trigger OnRun()\n    var\n        Total: Integer;\n    begin\n')
        f.write(line * (50 * 1024 * 1024 // len(line)))
        f.write(b"    end;\n}\n")
    assert (app / "src" / "Huge.Codeunit.al").stat().st_size > 50 * 1000 * 1000
    figures, out, err = measured_check(tmp_path, "app", "-f", "json")
    assert figures["rc"] == 1, err
    report = json.loads(out)
    huge = [f["message"] for f in report["findings"] if f["location"]["path"] == "app/src/Huge.Codeunit.al"]
    assert len(huge) == 1 and "larger than the limit" in huge[0]
    assert {f[0] for f in demo_findings} <= {f["rule_id"] for f in report["findings"]}
    assert figures["seconds"] < 30, figures
    assert figures["peak_mb"] < 200, figures  # the file is never read into memory (about 60 MB here)


def deep_app(root: Path, expression: str) -> None:
    """An app whose page enqueues a task codeunit that evaluates ``expression`` and then writes."""
    (root / "src").mkdir(parents=True)
    (root / "app.json").write_text(json.dumps({"id": "7d1c3a52-0000-4000-8000-000000000001", "name": "Deep",
                                               "publisher": "pbtlint tests", "version": "1.0.0.0"}))
    (root / "src" / "DeepTable.Table.al").write_text(textwrap.dedent("""\
        table 50160 "Deep Entry"
        {
            fields
            {
                field(1; "Entry No."; Integer) { }
                field(2; Amount; Integer) { }
            }
        }
        """))
    (root / "src" / "DeepPage.Page.al").write_text(textwrap.dedent("""\
        page 50161 "Deep Page"
        {
            SourceTable = "Deep Entry";

            trigger OnAfterGetCurrRecord()
            var
                Params: Dictionary of [Text, Text];
            begin
                CurrPage.EnqueueBackgroundTask(TaskId, Codeunit::"Deep Task", Params);
            end;

            trigger OnPageBackgroundTaskCompleted(Id: Integer; Results: Dictionary of [Text, Text])
            begin
                if Id <> TaskId then
                    exit;
            end;

            var
                TaskId: Integer;
        }
        """))
    (root / "src" / "DeepTask.Codeunit.al").write_text(
        'codeunit 50162 "Deep Task"\n{\n    trigger OnRun()\n    var\n        Entry: Record "Deep Entry";\n'
        "        Total: Integer;\n    begin\n        Total := " + expression + ";\n"
        "        Entry.Amount := Total;\n        Entry.Modify();\n    end;\n}\n"
    )


DEEP_EXPRESSIONS = {
    "20000-plus-terms": lambda: " + ".join(["Total"] * 20_000),
    "parentheses-10000-deep": lambda: "(" * 10_000 + "Total" + ")" * 10_000,
    "member-chain-1000": lambda: "Total" + ".Value" * 1_000,
    "method-chain-1000": lambda: "Total" + ".Value()" * 1_000,
}


@pytest.mark.parametrize("shape", sorted(DEEP_EXPRESSIONS))
def test_deep_expression_whole_check(tmp_path: Path, shape: str) -> None:
    """No RecursionError anywhere (parser, transformer, model, resolve, rules, reporters): the task
    codeunit holding the expression is analyzed like any other, its database write reported."""
    expression = DEEP_EXPRESSIONS[shape]()
    deep_app(tmp_path / "app", expression)
    figures, out, err = measured_check(tmp_path, "app", "-f", "sarif", timeout=180)
    assert figures["rc"] == 1, err
    assert "Traceback" not in err and "internal error" not in err, err
    results = json.loads(out)["runs"][0]["results"]
    assert not [r for r in results if r["ruleId"] == SYNTAX_ERROR], results
    write = [r for r in results if r["ruleId"] == "PBT0001"]
    assert write and write[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 10, results
    assert figures["seconds"] < 90 and figures["peak_mb"] < 1024, figures


# --------------------------------------------------------------------------- the parser table cache


def test_corrupt_parser_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A garbage or truncated parser-table cache file is ignored and rebuilt, never an error."""
    from pbtlint.parser import _cache_file, grammar_text

    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("PBTLINT_CACHE_DIR", str(cache_dir))
    cache_file = Path(_cache_file(grammar_text()) or "")
    assert cache_file.parent == cache_dir
    demo_copy(tmp_path)
    monkeypatch.chdir(tmp_path)
    expected = run_check(CheckOptions(paths=("app",), fmt="json")).report
    command = [sys.executable, "-m", "pbtlint", "check", "app", "-f", "json"]
    cache_file.write_bytes(b"\x00garbage\xff" * 1000)  # lark reads a digest line, then pickles: neither here
    for _ in range(2):  # the first run rebuilds the cache, the second loads what it wrote
        run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert (run.returncode, run.stdout, run.stderr) == (1, expected, ""), run.stderr
        assert cache_file.stat().st_size > 10_000


# --------------------------------------------------------------------------- the runner's last line of defence


def test_a_file_that_breaks_the_analysis_is_left_out_and_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_findings: set[tuple]
) -> None:
    """When a stage after parsing hits the recursion limit on one file, that file is left out with a
    PBT0000 finding naming it, and the rest of its app and the other apps are analyzed as usual."""
    demo_copy(tmp_path)
    deep_app(tmp_path / "deep", "Total" + ".Value()" * 3_000)  # see RECURSIVE_RECEIVERS
    (tmp_path / "deep" / "src" / "Extra.Codeunit.al").write_text('codeunit 50163 "Extra"\n{\n    trigger OnRun()\n'
                                                                  "    begin\n        Commit(;\n    end;\n}\n")
    monkeypatch.chdir(tmp_path)
    outcome = run_check(CheckOptions(paths=("app", "deep"), fmt="json"))
    messages = pbt0000(outcome, "deep/src/DeepTask.Codeunit.al")
    if not messages:
        pytest.skip("resolution no longer recurses on call chains: nothing to leave out")
    assert len(messages) == 1 and "was left out of the analysis" in messages[0], messages
    assert "RecursionError" in messages[0]
    missing = demo_findings - {key(f) for f in outcome.findings}
    assert not missing
    extra = pbt0000(outcome, "deep/src/Extra.Codeunit.al")
    assert extra, "the syntax error next to it must still be reported"
    json.loads(run_check(CheckOptions(paths=("app", "deep"), fmt="sarif")).report)


def test_a_rule_that_raises_costs_only_its_own_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pbtlint.rule import Rule, RuleMeta, all_rules
    from pbtlint.runner import analyze

    class Exploding(Rule):
        meta = RuleMeta("PBT9999", "exploding", all_rules()[0].meta.severity, "raises on purpose")

        def check(self, context):
            yield from ()
            raise RecursionError("maximum recursion depth exceeded")

    demo_copy(tmp_path)
    monkeypatch.chdir(tmp_path)
    clean = analyze(["app"])
    result = analyze(["app"], rules=(*all_rules(), Exploding))
    errors = [f for f in result.findings if "PBT9999" in f.message]
    assert len(errors) == 1 and errors[0].rule_id == SYNTAX_ERROR
    assert "internal error in rule PBT9999 (exploding)" in errors[0].message
    assert errors[0].location.path.startswith("app/src/")
    assert set(clean.findings) == set(result.findings) - set(errors)


def test_a_front_end_stage_that_raises_costs_only_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_findings: set[tuple]
) -> None:
    import pbtlint.astparse

    app = demo_copy(tmp_path)
    (app / "src" / "Victim.Codeunit.al").write_text('codeunit 50164 "Victim"\n{\n}\n', encoding="utf-8")
    real = pbtlint.astparse.parse_to_ast

    def parse_to_ast(text, path):
        if '"Victim"' in text:
            raise RecursionError("maximum recursion depth exceeded")
        return real(text, path)

    monkeypatch.setattr(pbtlint.astparse, "parse_to_ast", parse_to_ast)  # as the front end imports it
    outcome, _, _ = check_both(tmp_path, monkeypatch)
    assert pbt0000(outcome, "app/src/Victim.Codeunit.al") == [
        "internal error in the parser: the code is nested too deeply; the file was not analyzed"]
    assert not demo_findings - {key(f) for f in outcome.findings}


def test_generic_types_nested_thousands_deep_in_reached_headers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_findings: set[tuple]
) -> None:
    # a background task's procedures declare `List of [List of [... Integer]]` 3,000 deep: the
    # demand-driven run summarizes those headers and sends them to a worker with the bodies to parse
    app = demo_copy(tmp_path)
    deep = "List of [" * 3000 + "Integer" + "]" * 3000
    (app / "src" / "DeepTask.Codeunit.al").write_text(
        'codeunit 50170 "Deep Task"\n{\n    trigger OnRun()\n    var\n        X: ' + deep + ';\n    begin\n'
        '        Helper();\n    end;\n\n    local procedure Helper()\n    var\n        Y: ' + deep + ';\n'
        '    begin\n        Commit();\n    end;\n}\n', encoding="utf-8")
    (app / "src" / "DeepPage.Page.al").write_text(
        'page 50170 "Deep Page"\n{\n    trigger OnAfterGetCurrRecord()\n    var\n        TaskId: Integer;\n'
        '        P: Dictionary of [Text, Text];\n    begin\n'
        '        CurrPage.EnqueueBackgroundTask(TaskId, Codeunit::"Deep Task", P);\n    end;\n}\n', encoding="utf-8")
    outcome, _, _ = check_both(tmp_path, monkeypatch)
    assert_rest_analyzed(outcome, demo_findings)
    assert any(f.rule_id == "PBT0002" and f.location.path == "app/src/DeepTask.Codeunit.al" for f in outcome.findings)
    monkeypatch.setattr(parallel, "SERIAL_BELOW", 1)  # two processes even for this small app
    two = run_check(CheckOptions(paths=("app",), fmt="json", use_cache=False, jobs=2))
    assert {key(f) for f in two.findings} == {key(f) for f in outcome.findings}
