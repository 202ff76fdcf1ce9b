"""The command line: exit codes, commands and formats."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pbtlint import __version__
from pbtlint.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """pbtlint in a real subprocess, so exit codes are the ones a shell sees."""
    return subprocess.run([sys.executable, "-m", "pbtlint", *args], cwd=cwd, capture_output=True, text=True)


def test_version_matches_the_package() -> None:
    result = run("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"pbtlint, version {__version__}"


def test_usage_errors_exit_with_2() -> None:
    assert run("check", "--format", "nope").returncode == 2
    assert run("no-such-command").returncode == 2
    assert run("explain", "PBT9999").returncode == 2


def test_parse_reports_syntax_errors_in_compiler_style(tmp_path: Path) -> None:
    (tmp_path / "Broken.Codeunit.al").write_text(
        "codeunit 50100 Broken\n{\n    trigger OnRun()\n    begin\n        Message('x')\n}\n", encoding="utf-8"
    )
    (tmp_path / "Fine.Codeunit.al").write_text("codeunit 50101 Fine\n{\n}\n", encoding="utf-8")
    result = run("parse", str(tmp_path))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(line.startswith(str(tmp_path / "Broken.Codeunit.al") + "(6,1): error PBT0000:") for line in lines), lines
    assert lines[-1].startswith("2 files, 1 with errors")


def test_parse_reports_each_body_that_does_not_parse(tmp_path: Path) -> None:
    (tmp_path / "Two.Codeunit.al").write_text("codeunit 50100 Two\n{\n    procedure A()\n    begin\n        if then;\n"
                                              "    end;\n\n    procedure B()\n    begin\n        B(;\n    end;\n}\n",
                                              encoding="utf-8")
    result = run("parse", str(tmp_path))
    errors = [line for line in result.stdout.splitlines() if ": error PBT0000:" in line]
    assert [line.split(":")[0].rsplit("(", 1)[1] for line in errors] == ["5,12)", "10,11)"], result.stdout
    assert result.stdout.splitlines()[-1].startswith("1 files, 1 with errors")


def test_check_clean_app_exits_0_and_broken_file_exits_1(tmp_path: Path) -> None:
    assert run("check", "fixtures/demo-app-fixed").returncode == 0
    (tmp_path / "Broken.Codeunit.al").write_bytes(b"codeunit 50100 X\n{\n\xff\n}\n")
    result = run("check", str(tmp_path))
    assert result.returncode == 1
    assert "PBT0000" in result.stdout and "invalid UTF-8" in result.stdout
    assert run("check", "--exit-zero", str(tmp_path)).returncode == 0


def test_the_console_script_exit_flushes_what_was_written_and_keeps_the_code() -> None:
    # exit_now skips the interpreter's teardown (os._exit): buffered output must still arrive whole,
    # here more than a pipe holds, and the exit code must be the one given
    script = "import sys; from pbtlint.cli import exit_now; sys.stdout.write('x' * 300000); exit_now(3)"
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 3
    assert len(proc.stdout) == 300000


def test_check_json_and_sarif_formats(tmp_path: Path) -> None:
    (tmp_path / "Broken.Codeunit.al").write_text("codeunit 50100 X\n{\n    trigger OnRun(\n}\n", encoding="utf-8")
    as_json = json.loads(run("check", "--full-parse", "--format", "json", str(tmp_path)).stdout)
    assert "PBT0000" in json.dumps(as_json)
    out = tmp_path / "out.sarif"
    result = run("check", "--full-parse", "--format", "sarif", "-o", str(out), str(tmp_path))
    assert result.returncode == 1
    sarif = json.loads(out.read_text(encoding="utf-8"))
    (run_,) = sarif["runs"]
    assert [r["ruleId"] for r in run_["results"]] == ["PBT0000"]
    assert run_["results"][0]["level"] == "error"


def test_syntax_errors_by_default_where_the_analysis_reads_and_everywhere_with_full_parse(tmp_path: Path) -> None:
    (tmp_path / "Unrelated.Codeunit.al").write_text(
        "codeunit 50100 Unrelated\n{\n    procedure A()\n    begin\n        if then;\n    end;\n}\n", encoding="utf-8")
    (tmp_path / "Task.Codeunit.al").write_text(
        "codeunit 50101 Task\n{\n    trigger OnRun()\n    begin\n        Page.SetBackgroundTaskResult(;\n    end;\n}\n",
        encoding="utf-8")
    fast = run("check", "--no-cache", str(tmp_path))
    assert fast.returncode == 1
    assert "Task.Codeunit.al(5," in fast.stdout and "Unrelated.Codeunit.al" not in fast.stdout
    full = run("check", "--full-parse", str(tmp_path))
    assert "Task.Codeunit.al(5," in full.stdout and "Unrelated.Codeunit.al(5," in full.stdout


def test_a_file_given_by_name_is_always_checked_for_syntax(tmp_path: Path) -> None:
    broken = tmp_path / "Unrelated.Codeunit.al"
    broken.write_text("codeunit 50100 Unrelated\n{\n    procedure A()\n    begin\n        if then;\n    end;\n}\n",
                      encoding="utf-8")
    (tmp_path / "app.json").write_text('{"id": "1", "name": "A", "publisher": "P", "version": "1.0.0.0"}')
    result = run("check", "--no-cache", str(broken))  # as pre-commit passes changed files
    assert result.returncode == 1 and "Unrelated.Codeunit.al(5," in result.stdout


def test_a_file_given_by_name_is_checked_inside_bodies_the_analysis_skips(tmp_path: Path) -> None:
    (tmp_path / "app.json").write_text('{"id": "1", "name": "A", "publisher": "P", "version": "1.0.0.0"}')
    (tmp_path / "Task.Codeunit.al").write_text(
        "codeunit 50101 Task\n{\n    trigger OnRun()\n    var\n        H: Codeunit Helper;\n    begin\n"
        "        H.Used();\n        Page.SetBackgroundTaskResult(R);\n    end;\n    var\n"
        "        R: Dictionary of [Text, Text];\n}\n", encoding="utf-8")
    helper = tmp_path / "Helper.Codeunit.al"  # parsed as a skeleton: Unused's body is never read
    helper.write_text("codeunit 50102 Helper\n{\n    procedure Used()\n    begin\n    end;\n\n"
                      "    procedure Unused()\n    begin\n        if then;\n    end;\n}\n", encoding="utf-8")
    assert "Helper.Codeunit.al" not in run("check", "--no-cache", str(tmp_path)).stdout
    result = run("check", "--no-cache", str(helper))
    assert result.returncode == 1 and "Helper.Codeunit.al(9," in result.stdout


def test_rules_and_explain_read_the_rule_docs() -> None:
    runner = CliRunner()
    listed = runner.invoke(main, ["rules"], standalone_mode=False)
    assert "PBT0000" in listed.output and "syntax-error" in listed.output
    explained = runner.invoke(main, ["explain", "pbt0000"], standalone_mode=False)
    assert "## What it does" in explained.output


def test_check_parses_with_every_usable_cpu_unless_told(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Without --jobs, check uses one process per CPU it may run on; -j N is taken as given."""
    import os

    import pbtlint.check
    from pbtlint.parallel import usable_cpus

    seen: list[int] = []

    def fake_run_check(options, progress=None):  # type: ignore[no-untyped-def]
        seen.append(options.jobs)
        raise SystemExit(0)

    monkeypatch.setattr(pbtlint.check, "run_check", fake_run_check)
    runner = CliRunner()
    runner.invoke(main, ["check", str(ROOT / "fixtures" / "demo-app")])
    runner.invoke(main, ["check", "-j", "1", str(ROOT / "fixtures" / "demo-app")])
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    assert usable_cpus() == expected >= 1
    assert seen == [expected, 1]


def test_runs_that_reuse_the_previous_result_import_no_parser_model_or_rules(tmp_path: Path) -> None:
    """A warm check, and one where only a file no analysis read changed (pre-commit's common cases), read
    the stored result: the parser (Lark), the AST's classes, the analysis proper, the rules and networkx
    stay unimported. Those imports were a third of such a run's start-up."""
    import shutil

    app = tmp_path / "app"
    shutil.copytree(ROOT / "fixtures" / "demand" / "app", app)
    heavy = ["lark", "networkx", "pbtlint.nodes", "pbtlint.demand_run", "pbtlint.rule", "pbtlint.analysis"]
    # and what only reading and indexing a file needs: a warm run does neither
    indexing = ["pbtlint.demand_work", "pbtlint.declindex", "pbtlint.preprocessor", "multiprocessing"]
    script = ("import sys; from pbtlint import demand; from pbtlint.cli import main\n"
              "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
              f"print(demand.last_stats.path, [m for m in {heavy + indexing!r} if m in sys.modules])")
    args = ["check", str(app), "--cache-dir", str(tmp_path / "cache"), "-o", str(tmp_path / "report.txt")]

    def imported() -> str:
        proc = subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT, capture_output=True, text=True)
        return proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr

    assert imported() == f"closure {heavy + indexing!r}"  # the first run needs them all
    report = (tmp_path / "report.txt").read_text(encoding="utf-8")
    assert imported() == "warm []"
    unrelated = app / "src" / "Unrelated.Codeunit.al"
    unrelated.write_text(unrelated.read_text(encoding="utf-8") + "\n// edited\n", encoding="utf-8")
    assert imported() == f"unchanged-closure {indexing[:3]!r}"  # the edited file is indexed (in this process)
    assert (tmp_path / "report.txt").read_text(encoding="utf-8") == report


def test_a_named_file_is_parsed_for_syntax_once_per_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pre-commit hook run again on the same files (after another hook failed) parses none of them
    whole again: the cache keeps what the parse found, errors included; a new content is parsed."""
    import pbtlint.check as check

    (tmp_path / "app.json").write_text('{"id": "1", "name": "A", "publisher": "P", "version": "1.0.0.0"}')
    broken = tmp_path / "Unrelated.Codeunit.al"
    broken.write_text("codeunit 50100 Unrelated\n{\n    procedure A()\n    begin\n        if then;\n    end;\n}\n",
                      encoding="utf-8")
    import pbtlint.skeleton as skeleton

    parsed: list[str] = []
    real = skeleton.parse_in_parts
    monkeypatch.setattr(skeleton, "parse_in_parts", lambda path, *a, **k: parsed.append(path) or real(path, *a, **k))
    options = check.CheckOptions(paths=(str(broken),), cache_dir=str(tmp_path / "cache"))
    outcomes = [check.run_check(options) for _ in range(2)]
    assert [sum(f.rule_id == "PBT0000" for f in o.findings) for o in outcomes] == [1, 1]
    assert len(parsed) == 1
    broken.write_text(broken.read_text(encoding="utf-8").replace("if then;", "if true then;"), encoding="utf-8")
    assert not check.run_check(options).findings and len(parsed) == 2


def test_a_named_file_reports_each_body_that_does_not_parse(tmp_path: Path) -> None:
    """Pre-commit names the changed files: every broken body of one is reported, not only the first
    (the parse goes on past a body that does not parse, as --full-parse does)."""
    import pbtlint.check as check

    (tmp_path / "app.json").write_text('{"id": "1", "name": "A", "publisher": "P", "version": "1.0.0.0"}')
    broken = tmp_path / "Two.Codeunit.al"
    broken.write_text("codeunit 50100 Two\n{\n    procedure A()\n    begin\n        if then;\n    end;\n\n"
                      "    procedure B()\n    begin\n        B(;\n    end;\n}\n", encoding="utf-8")
    outcome = check.run_check(check.CheckOptions(paths=(str(broken),), use_cache=False))
    assert [(f.rule_id, f.location.span.line) for f in outcome.findings] == [("PBT0000", 5), ("PBT0000", 10)]
