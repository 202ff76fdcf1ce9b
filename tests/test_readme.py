"""The README's examples stay true: the quick start commands and the configuration example."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from pbtlint.config import config_from_table
from pbtlint.findings import Severity

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_quick_start_is_the_first_section_with_two_commands() -> None:
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)\n```", quick, re.DOTALL)
    assert commands == ["pip install . && pbtlint check fixtures/demo-app", "pip install -e '.[test]' && python -m pytest -q"]
    assert (ROOT / "fixtures" / "demo-app" / "app.json").is_file()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python -m pytest -q" in ci and "pip install --quiet -e '.[test]'" in ci


def test_configuration_example_is_valid(tmp_path: Path) -> None:
    (block,) = re.findall(r"```toml\n(.*?)```", README, re.DOTALL)
    config = config_from_table(tomllib.loads(block), "README.md", tmp_path)
    assert config.defines == ("CLEAN24",)
    assert config.is_disabled("PBT0040")
    assert config.resolve("PBT0035", Severity.NOTE) is None  # "none": hidden
    assert config.resolve("PBT0010", Severity.WARNING) is Severity.ERROR
