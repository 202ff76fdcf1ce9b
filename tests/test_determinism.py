"""Determinism: the JSON and SARIF reports are byte-identical across runs, the order in which files
were created (and so listed by the file system), the order of the paths given, the number of worker
processes, and ``PYTHONHASHSEED`` values (fresh interpreters).

The workspace holds several fixture apps (apps depending on nothing, with tasks, pages and
extensions), one file that cannot be decoded and one with a syntax error, so that every part of
the report (results, code flows, related locations, notifications) takes part.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pbtlint.check import CheckOptions, run_check

ROOT = Path(__file__).resolve().parent.parent
APPS = {
    "demo": ROOT / "fixtures" / "demo-app",
    "edges": ROOT / "fixtures" / "apps" / "edges",
    "naming": ROOT / "fixtures" / "apps" / "naming",
    "params": ROOT / "fixtures" / "apps" / "params",
}
EXTRA = {
    "demo/src/Broken.Codeunit.al": b'codeunit 50198 "Broken"\n{\n    trigger OnRun()\n    begin\n',
    "demo/src/Latin1.Codeunit.al": b'codeunit 50199 "Latin"\n{\n    // caf\xe9\n}\n',
}
FORMATS = ("json", "sarif")

# Prints each report of `pbtlint check` on the given paths, separated by NUL lines, from a fresh
# interpreter (so that PYTHONHASHSEED applies).
REPORTS = textwrap.dedent("""
    import sys
    from pbtlint.check import CheckOptions, run_check
    formats, paths = sys.argv[1].split(","), sys.argv[2:]
    sys.stdout.write("\\n\\0\\n".join(run_check(CheckOptions(paths=tuple(paths), fmt=f)).report for f in formats))
""")


def build(workspace: Path, reverse: bool = False) -> None:
    """The workspace, its files created in sorted order or in reverse."""
    if workspace.exists():
        shutil.rmtree(workspace)
    items: list[tuple[str, bytes]] = []
    for name, src in APPS.items():
        items += [(f"{name}/{p.relative_to(src).as_posix()}", p.read_bytes()) for p in src.rglob("*") if p.is_file()]
    items += list(EXTRA.items())
    items.sort(reverse=reverse)
    for rel, data in items:
        target = workspace / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def reports(paths: tuple[str, ...]) -> dict[str, str]:
    return {fmt: run_check(CheckOptions(paths=paths, fmt=fmt)).report for fmt in FORMATS}


@pytest.fixture()
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    build(tmp_path / "ws")
    return tmp_path / "ws"


def test_reports_are_rich_enough(workspace: Path) -> None:
    report = json.loads(reports(("ws",))["json"])
    rules = {f["rule_id"] for f in report["findings"]}
    assert "PBT0000" in rules and len(rules) >= 4, rules
    assert any(f["call_path"] for f in report["findings"])
    assert report["notifications"]


def test_same_bytes_across_runs_file_orders_and_path_orders(workspace: Path) -> None:
    first = reports(("ws",))
    assert reports(("ws",)) == first  # the same process again (parser and rule caches warm)
    build(workspace, reverse=True)  # files created, and so listed, in the other order
    assert reports(("ws",)) == first
    apps = tuple(f"ws/{name}" for name in APPS)
    by_app = reports(apps)
    assert reports(tuple(reversed(apps))) == by_app
    assert json.loads(by_app["json"])["findings"] == json.loads(first["json"])["findings"]


def test_same_bytes_across_hash_seeds(workspace: Path) -> None:
    expected = "\n\0\n".join(reports(("ws",))[fmt] for fmt in FORMATS)
    for seed in ("0", "1", "4242"):
        env = {"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin", "HOME": str(Path.home())}
        run = subprocess.run([sys.executable, "-c", REPORTS, ",".join(FORMATS), "ws"], cwd=workspace.parent,
                             env=env, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        assert run.stdout == expected, f"PYTHONHASHSEED={seed} changed the report"


def test_same_bytes_across_process_counts(workspace: Path) -> None:
    help_text = subprocess.run([sys.executable, "-m", "pbtlint", "check", "--help"], capture_output=True,
                               text=True, timeout=60).stdout
    if "--jobs" not in help_text:
        pytest.skip("pbtlint check has no --jobs option yet: one process is all there is")
    outputs = set()
    for jobs in ("1", "2"):
        for fmt in FORMATS:
            run = subprocess.run([sys.executable, "-m", "pbtlint", "check", "ws", "-f", fmt, "--jobs", jobs],
                                 cwd=workspace.parent, capture_output=True, text=True, timeout=120)
            assert run.returncode == 1, run.stderr
            outputs.add((fmt, run.stdout))
    assert len(outputs) == len(FORMATS)
