"""Write each rule's documentation page (``docs/rules/PBTnnnn.md``) from its module docstring.

The pages are what SARIF's ``helpUri`` links to; the docstring stays the single source:
``python -m pbtlint.ruledocs [DIR]`` rewrites them, and a test fails when they are out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pbtlint.rule import Rule, all_rules


def rule_page(rule: type[Rule]) -> str:
    """The Markdown page of one rule."""
    meta = rule.meta
    return f"# {meta.id}: {meta.name}\n\nDefault severity: **{meta.severity.value}**.\n\n{rule.doc()}\n"


def index_page() -> str:
    rows = "\n".join(
        f"| [{r.meta.id}]({r.meta.id}.md) | {r.meta.name} | {r.meta.severity.value} | {r.meta.summary} |"
        for r in all_rules()
    )
    return "# pbtlint rules\n\n| id | name | default | summary |\n|---|---|---|---|\n" + rows + "\n"


def pages() -> dict[str, str]:
    """File name -> content of every page."""
    out = {f"{r.meta.id}.md": rule_page(r) for r in all_rules()}
    out["README.md"] = index_page()
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0] if args else "docs/rules")
    target.mkdir(parents=True, exist_ok=True)
    for name, text in pages().items():
        (target / name).write_text(text, encoding="utf-8", newline="\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
