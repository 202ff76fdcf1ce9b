"""Each rule's doc: its sections exist, its Example fires the rule and its Use instead does not."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pbtlint.rule import Rule, all_rules
from pbtlint.runner import analyze

SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead")


def al_block(rule: type[Rule], section: str) -> str:
    match = re.search(r"```al\n(.*?)```", rule.doc_section(section), re.DOTALL)
    assert match, f"{rule.meta.id}: no ```al block under '## {section}'"
    return match.group(1)


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.meta.id)
def test_doc_has_every_section(rule: type[Rule]) -> None:
    doc = rule.doc()
    assert doc.splitlines()[0].strip(), f"{rule.meta.id}: the doc starts with a one-line summary"
    for section in SECTIONS:
        assert rule.doc_section(section), f"{rule.meta.id}: missing '## {section}'"


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.meta.id)
@pytest.mark.parametrize(("section", "fires"), [("Example", True), ("Use instead", False)])
def test_doc_examples(rule: type[Rule], section: str, fires: bool, tmp_path: Path) -> None:
    source = tmp_path / "Example.al"
    source.write_text(al_block(rule, section), encoding="utf-8")
    ids = {f.rule_id for f in analyze([tmp_path]).findings}
    assert (rule.meta.id in ids) == fires, f"{rule.meta.id} {section}: reported {sorted(ids)}"


def test_rule_pages_are_up_to_date() -> None:
    """docs/rules/ (what SARIF's helpUri links to) matches the docstrings: run
    `python -m pbtlint.ruledocs` after changing a rule's doc."""
    from pbtlint.ruledocs import pages

    folder = Path(__file__).resolve().parent.parent / "docs" / "rules"
    stale = [name for name, text in pages().items()
             if not (folder / name).is_file() or (folder / name).read_text(encoding="utf-8") != text]
    assert not stale, f"out of date: {stale}; run python -m pbtlint.ruledocs"
