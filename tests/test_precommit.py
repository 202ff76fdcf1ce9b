"""pbtlint as a pre-commit hook, run by the real pre-commit (`pre-commit try-repo`)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

BROKEN = "codeunit 50102 Broken\n{\n    trigger OnRun()\n    begin\n        Message('x')\n}\n"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture()
def app_repo(tmp_path: Path) -> Path:
    if shutil.which("pre-commit") is None or shutil.which("git") is None:
        pytest.skip("pre-commit or git is not installed: the pre-commit hook is not exercised")
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "fixtures" / "demo-app-fixed", repo / "app")
    (repo / "app" / "src" / "Broken.Codeunit.al").write_text(BROKEN, encoding="utf-8")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "app")
    return repo


def try_repo(repo: Path, *files: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(repo.parent / "pre-commit-home")}
    return subprocess.run(
        ["pre-commit", "try-repo", str(ROOT), "pbtlint", "--files", *files],
        cwd=repo, capture_output=True, text=True, env=env, timeout=900,
    )


def test_hook_reports_findings_of_the_passed_files_only(app_repo: Path) -> None:
    clean = try_repo(app_repo, "app/src/PageBackgroundRunner.Codeunit.al")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    broken = try_repo(app_repo, "app/src/Broken.Codeunit.al", "app/src/PageBackgroundRunner.Codeunit.al")
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "app/src/Broken.Codeunit.al(6,1): error PBT0000" in broken.stdout
