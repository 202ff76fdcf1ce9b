"""A wheel built from the repository installs into a fresh virtual environment and runs."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_installs_and_runs_on_the_demo_app(tmp_path: Path) -> None:
    pytest.importorskip("build", reason="the 'build' package is not installed: the wheel is not built")
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".git", "node_modules", "*.egg-info", "build", "dist"))
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(src)], check=True,
                   capture_output=True, timeout=900)
    (wheel,) = dist.glob("pbtlint-*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / ("Scripts" if sys.platform == "win32" else "bin")
    subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(wheel)], check=True, timeout=900)
    exe = str(bin_dir / "pbtlint")
    version = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True).stdout
    expected = re.search(r'^__version__ = "(.+)"$', (ROOT / "pbtlint" / "__init__.py").read_text(), re.MULTILINE)
    assert expected and version.strip() == f"pbtlint, version {expected.group(1)}"
    metadata = subprocess.run([str(bin_dir / "python"), "-c", "import importlib.metadata as m; print(m.version('pbtlint'))"],
                              capture_output=True, text=True, check=True).stdout
    assert metadata.strip() == expected.group(1)  # pyproject.toml takes the version from the package
    rules = subprocess.run([exe, "rules"], capture_output=True, text=True, check=True).stdout
    assert "PBT0000" in rules  # the rules package is inside the wheel as pbtlint.rules
    bare = subprocess.run([str(bin_dir / "python"), "-c", "import rules"], capture_output=True, cwd=tmp_path)
    assert bare.returncode != 0, "a top-level 'rules' package must not be installed"
    checked = subprocess.run([exe, "check", str(ROOT / "fixtures" / "demo-app-fixed")], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
