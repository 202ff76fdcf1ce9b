"""pbtlint's SARIF checked by Microsoft's SARIF validator, with GitHub's ingestion rules.

The validator is the npm package ``@microsoft/sarif-multitool`` (a self-contained .NET program; Node is
only needed to install it). It is looked for in this order: the executable named by the environment
variable ``PBTLINT_SARIF_MULTITOOL``; ``node_modules`` at the repository root
(``npm install --prefix . --no-save @microsoft/sarif-multitool``); ``npx --no-install @microsoft/sarif-multitool``.
Without it the test is skipped, saying so.

``validate`` exits 0 even when it reports problems, so the test reads its output: no ``error`` lines, no
``GH....`` (GitHub Advanced Security) warnings, and every file scanned.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from test_report_sarif import PAGE, TASK, meta_for, sample_findings

from pbtlint.findings import Finding, Location, Severity
from pbtlint.report import ReportMeta, ToolNotification
from pbtlint.report.sarif import render_sarif
from pbtlint.span import Span

REPO = Path(__file__).resolve().parent.parent
RULE_KINDS = "Sarif;Ghas"
INSTALL_HINT = "npm install --prefix . --no-save @microsoft/sarif-multitool (or set PBTLINT_SARIF_MULTITOOL)"
_ISSUE = re.compile(r"\): (error|warning|note) ([A-Z]+[0-9]+[.A-Za-z0-9]*): (.*)")


def _native_from_wrapper(wrapper: Path) -> Path | None:
    """The platform executable behind an npm ``.bin/sarif-multitool`` or ``bin.js`` wrapper."""
    real = wrapper.resolve()
    node_modules = next((p for p in real.parents if p.name == "node_modules"), None)
    if node_modules is None:
        return None
    platform = {"win32": "win32", "darwin": "darwin"}.get(sys.platform, "linux")
    exe = "Sarif.Multitool.exe" if platform == "win32" else "Sarif.Multitool"
    native = node_modules / "@microsoft" / f"sarif-multitool-{platform}" / exe
    return native if native.is_file() else None


def _command_for(path: Path) -> tuple[list[str], bool] | None:
    """(command prefix, goes through a shell) for a validator path."""
    if not path.is_file():
        return None
    with path.open("rb") as fh:
        is_script = fh.read(2) == b"#!"
    if is_script or path.suffix == ".js":
        native = _native_from_wrapper(path)
        if native is not None:
            return [str(native)], False
        return [str(path)], True  # the npm wrapper runs the tool through a shell
    return [str(path)], False


def _works(command: list[str]) -> bool:
    try:
        out = subprocess.run([*command, "--version"], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "SARIF Multitool" in out.stdout + out.stderr


@cache
def find_multitool() -> tuple[tuple[str, ...], bool] | None:
    candidates: list[tuple[list[str], bool]] = []
    env = os.environ.get("PBTLINT_SARIF_MULTITOOL")
    if env:
        found = _command_for(Path(env))
        if found is None:
            pytest.fail(f"PBTLINT_SARIF_MULTITOOL={env} is not a file")
        candidates.append(found)
    local = _command_for(REPO / "node_modules" / ".bin" / "sarif-multitool")
    if local:
        candidates.append(local)
    if shutil.which("npx"):
        candidates.append((["npx", "--no-install", "@microsoft/sarif-multitool"], True))
    for command, shell in candidates:
        if _works(command):
            return tuple(command), shell
    return None


def validate(paths: list[Path]) -> tuple[str, list[tuple[str, str, str]]]:
    """The validator's output and its (level, code, text) issues for ``paths``."""
    tool = find_multitool()
    if tool is None:
        pytest.skip(f"SARIF validator not installed: {INSTALL_HINT}")
    command, shell = tool
    kinds = f'"{RULE_KINDS}"' if shell else RULE_KINDS  # the npm wrapper passes arguments through a shell
    proc = subprocess.run(
        [*command, "validate", "--rule-kind", kinds, *map(str, paths)],
        capture_output=True, text=True, timeout=600,
    )
    output = proc.stdout + proc.stderr
    issues = [m.groups() for m in map(_ISSUE.search, output.splitlines()) if m]
    return output, issues


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_pbtlint_sarif_passes_the_validator_with_github_rules(tmp_path: Path):
    long_path = tuple(Location(TASK, Span(i, 1, i, 5), f"call {i}") for i in range(1, 30))
    extra = [
        Finding("PBT0000", Severity.WARNING, "expected ';' after 'end'", Location(TASK, Span(8, 8, 8, 9))),
        Finding(
            "PBT0001", Severity.ERROR, "Modify on [Rec](x) in background code", Location(TASK, Span(12, 9, 12, 22)),
            related=(Location(PAGE, Span(5, 9, 5, 66), "enqueue site"),), call_path=long_path,
            suppression="external",
        ),
        Finding("XYZ0001", Severity.NOTE, "a rule from elsewhere", Location("/outside/repo/x.al", Span(1, 1, 1, 2))),
    ]
    notes = (
        ToolNotification("src/Unreadable.al", "cannot read: permission denied", rule_id="PBT0000"),
        ToolNotification("src/Big.al", "file too large, skipped", level=Severity.WARNING),
    )
    files = [
        _write(tmp_path, "full.sarif", render_sarif([*sample_findings(), *extra], meta_for(notifications=notes))),
        _write(tmp_path, "clean.sarif", render_sarif([], ReportMeta(tool_version="0.1.0"))),
        _write(tmp_path, "category.sarif", render_sarif(sample_findings(), meta_for(category="pbtlint/app"))),
        _write(tmp_path, "rootless.sarif", render_sarif(sample_findings(), ReportMeta(tool_version="0.1.dev1"))),
    ]
    output, issues = validate(files)
    assert f"{len(files)} files scanned" in output, output
    errors = [i for i in issues if i[0] == "error"]
    github = [i for i in issues if i[1].startswith("GH")]
    assert not errors, output
    assert not github, output
    assert "ERR" not in " ".join(code for _, code, _ in issues), output


def test_the_validator_catches_what_github_rejects(tmp_path: Path):
    """The check is real: a rule without fullDescription and help is a GH error."""
    bad = _write(tmp_path, "bad.sarif", """{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x",
        "rules": [{"id": "A1", "shortDescription": {"text": "a."}}]}}, "results": []}]}""")
    output, issues = validate([bad])
    assert any(level == "error" and code.startswith("GH") for level, code, _ in issues), output
