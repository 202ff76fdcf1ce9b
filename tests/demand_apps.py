"""The fixture apps the demand-driven tests run on, and the helpers that copy and edit them."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
# Apps where what an analysis reads lies off the call paths: a global assigned in a procedure nothing
# reaches, a task codeunit id returned, kept in a global or passed to a helper.
CASES = sorted(p for p in (FIXTURES / "demand" / "cases").iterdir() if p.is_dir())
APP_DIRS = sorted(
    [FIXTURES / "demo-app", FIXTURES / "demand" / "app", *CASES]
    + [p for p in (FIXTURES / "apps").iterdir() if p.is_dir()]
    + [p for p in (FIXTURES / "rules").iterdir() if p.is_dir()]
)
TWO_JOB_DIRS = [FIXTURES / "demand" / "app", FIXTURES / "demo-app", FIXTURES / "apps" / "edges",
                FIXTURES / "rules" / "PBT0001"]
BEGIN_LINE = re.compile(r"^([ \t]*begin)[ \t]*$", re.IGNORECASE | re.MULTILINE)


def edit_one(root: Path) -> Path:
    """Append a comment to the first ``begin`` line of some file (no line moves)."""
    for path in sorted(root.rglob("*.al")):
        text = path.read_text(encoding="utf-8-sig")
        m = BEGIN_LINE.search(text)
        if m:
            path.write_text(text[:m.end()] + " // edited" + text[m.end():], encoding="utf-8")
            return path
    path = sorted(root.rglob("*.al"))[0]  # no procedure anywhere: change the file's end instead
    path.write_text(path.read_text(encoding="utf-8-sig") + "\n// edited\n", encoding="utf-8")
    return path


def demand_app(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of fixtures/demand/app to edit, and a cache folder for it."""
    copy = tmp_path / "src"
    shutil.copytree(FIXTURES / "demand" / "app", copy)
    return copy, tmp_path / "cache"


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def demand_app_with_a_page_procedure(tmp_path: Path) -> tuple[Path, Path]:
    """:func:`demand_app` with a procedure other code can call on the page: the files whose text names
    the page and it are looked up."""
    copy, cache = demand_app(tmp_path)
    replace_once(copy / "src" / "DemandPage.Page.al", "    trigger OnPageBackgroundTaskCompleted",
             "    procedure Refresh()\n    begin\n    end;\n\n    trigger OnPageBackgroundTaskCompleted")
    return copy, cache
