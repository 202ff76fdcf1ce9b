"""The benchmark (pbtlint.bench) end to end on a fixture app: every row measured, the findings of
every run identical, and the corpus left untouched."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "fixtures" / "demand" / "app"  # has files the analysis never parses


def _digest(top: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(top.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(top)).encode() + p.read_bytes())
    return h.hexdigest()


def test_bench_measures_every_run_on_a_copy(tmp_path: Path) -> None:
    before = _digest(APP)
    out = tmp_path / "figures.json"
    proc = subprocess.run(
        [sys.executable, "-m", "pbtlint.bench", str(APP), "--jobs", "2", "--ts-python", "/nonexistent/python",
         "--json", str(out), "--random-edits", "4", "--verify-edits"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    floor = re.search(r"^tokenize floor \(1 process\)\s+[\d.]+ s\s+[\d.]+x\s+[\d.]+x\s+\d+ MB$", proc.stdout,
                      re.MULTILINE)
    assert floor is not None, proc.stdout
    for label in ("cold (empty cache)", "warm (nothing changed)", "incremental (parsed file, comment)",
                  "incremental (parsed file, new call)", "incremental (unparsed file edited)", "full parse"):
        # an analysis row: the whole process (what a user waits for), then the analysis inside it
        row = re.search(rf"^{re.escape(label)}\s+([\d.]+) s\s+[\d.]+x\s+[\d.]+x\s+\d+ MB\s+([\d.]+) s$", proc.stdout,
                        re.MULTILINE)
        assert row is not None, (label, proc.stdout)
        assert float(row.group(1)) > float(row.group(2)), row.group(0)  # the process holds the analysis
    assert ("findings identical across cold, warm, incremental (parsed), incremental (read code), incremental (new call), "
            "incremental (unparsed), full parse: yes") in proc.stdout
    walked = re.search(r"^cold parsed \d+ of \d+ files \(\d+ of \d+ lines\) and \d+ bodies on their own; "
                       r"the fixpoint followed (\d+) procedures by name and the background walk reached (\d+); "
                       r"the audit ran the closure (\d+) more times$",
                       proc.stdout, re.MULTILINE)
    assert walked is not None and int(walked.group(2)) > 0, proc.stdout  # the fixture's task reaches code
    assert int(walked.group(1)) >= int(walked.group(2)), walked.group(0)  # by name: at least what the walk reaches
    assert re.search(r"^cold phases \(closure includes parse and bodies\): index [\d.]+ s, closure .*\bparse [\d.]+ s\b.*\bmodel [\d.]+ s\b.*\brules [\d.]+ s", proc.stdout,
                     re.MULTILINE), proc.stdout
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["cold"]["findings"] == 5
    assert report["cold"]["stats"]["parsed"] < 9  # Unrelated*.al are indexed, not parsed
    assert report["warm"]["stats"]["path"] == "warm"
    assert report["incremental (parsed file)"]["stats"]["path"] == "same-trees"  # a comment: same trees
    assert report["incremental (parsed file, read code)"]["stats"]["path"] == "same-choice"  # same closure
    assert report["incremental (parsed file, new call)"]["stats"]["path"] == "closure"
    assert report["incremental (unparsed file)"]["stats"]["path"] == "unchanged-closure"
    edits = report["random edits"]  # one of each kind, each checked against a run with an empty cache
    assert sorted(e["kind"] for e in edits) == ["comment", "comment line", "literal", "statement"], edits
    assert all(e["verified"] is True for e in edits), edits
    assert re.search(r"^random edits \(--seed 1\), by the path each run took:\n  \S+: \d+ edits, median [\d.]+ s",
                     proc.stdout, re.MULTILINE), proc.stdout
    assert "random edits' findings equal a run with an empty cache and come back after the undo: yes" in proc.stdout
    assert all(e["undone"] is True for e in edits), edits
    assert _digest(APP) == before


TASK = """codeunit 50400 "A Task"
{
    trigger OnRun()
    var
        Results: Dictionary of [Text, Text];
    begin
        Results.Add('Total', Format(Total()));
        Page.SetBackgroundTaskResult(Results);
    end;

    local procedure Total(): Integer
    begin
        exit(Count() + 1);
    end;

    local procedure Count(): Integer
    begin
        exit(1);
    end;
}
"""

PAGE = """page 50401 "B Page"
{
    PageType = Card;

    var
        TaskId: Integer;

    trigger OnAfterGetCurrRecord()
    var
        Params: Dictionary of [Text, Text];
    begin
        CurrPage.EnqueueBackgroundTask(TaskId, Codeunit::"A Task", Params);
    end;

    trigger OnPageBackgroundTaskCompleted(CompletedTaskId: Integer; Results: Dictionary of [Text, Text])
    begin
        if CompletedTaskId <> TaskId then
            exit;
        if Results.ContainsKey('Total') then
            Message(Results.Get('Total'));
    end;
}
"""


def test_an_edit_that_changes_the_findings_is_checked_against_an_empty_cache_run(tmp_path: Path) -> None:
    # the bench's new call lands in the task's code: an unresolved call in background code, one finding
    # more, which is right; the runs after it must equal an empty-cache run of the edited sources
    app = tmp_path / "app"
    (app / "src").mkdir(parents=True)
    (app / "app.json").write_text('{"id": "0b4f5e2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b", "name": "Bench Edit", '
                                  '"publisher": "pbtlint", "version": "1.0.0.0", "runtime": "13.0"}', encoding="utf-8")
    (app / "src" / "ATask.Codeunit.al").write_text(TASK, encoding="utf-8")
    (app / "src" / "BPage.Page.al").write_text(PAGE, encoding="utf-8")
    out = tmp_path / "figures.json"
    proc = subprocess.run(
        [sys.executable, "-m", "pbtlint.bench", str(app), "--jobs", "1", "--ts-python", "/nonexistent/python",
         "--json", str(out)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert ("empty-cache runs of the edited sources, after: new call, read code; each run equals the last of them "
            "before it (or cold): yes") in proc.stdout
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["cold"]["findings"] == 0
    assert report["full parse"]["findings"] == 1  # PBT0040 at the new call, on the final sources
    assert report["incremental (parsed file, new call)"]["digest"] == report["full parse"]["digest"]
    assert report["incremental (parsed file, read code)"]["digest"] == report["full parse"]["digest"]


def test_the_snapshot_is_byte_compiled_as_an_installed_package(tmp_path: Path) -> None:
    """Every module of the code the measurements import has its bytecode beside it, valid for its
    source, as pip leaves an installed package: no measurement compiles pbtlint, whatever
    ``PYTHONDONTWRITEBYTECODE`` says."""
    import importlib.util

    from pbtlint import bench

    dest = bench._snapshot(tmp_path / "code")
    sources = sorted((dest / "pbtlint").rglob("*.py"))
    assert len(sources) > 50 and (dest / "pbtlint" / "rules" / "__init__.py") in sources
    for source in sources:
        cached = Path(importlib.util.cache_from_source(str(source)))
        assert cached.is_file(), source
        header = cached.read_bytes()[:16]
        assert header[:4] == importlib.util.MAGIC_NUMBER
        assert int.from_bytes(header[12:16], "little") == source.stat().st_size  # checked against its source
