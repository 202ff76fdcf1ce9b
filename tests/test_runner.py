"""How apps become projects: nested module apps, dependencies and extra source roots."""

from __future__ import annotations

import json
from pathlib import Path

from pbtlint.runner import analyze

PAGE = """page 50100 "Host Page"
{
    var
        TaskId: Integer;

    trigger OnAfterGetCurrRecord()
    begin
        CurrPage.EnqueueBackgroundTask(TaskId, Codeunit::"Module Task");
    end;
}
"""
TASK = """codeunit 50101 "Module Task"
{
    trigger OnRun()
    var
        Log: Record "Module Log";
    begin
        Log.Insert();
    end;
}
"""
TABLE = """table 50102 "Module Log"
{
    fields
    {
        field(1; "Entry No."; Integer) { }
    }
}
"""


def app(root: Path, name: str, files: dict[str, str], dependencies: tuple[str, ...] = ()) -> None:
    root.mkdir(parents=True, exist_ok=True)
    manifest = {"id": f"00000000-0000-0000-0000-{abs(hash(name)) % 10**12:012d}", "name": name,
                "publisher": "t", "version": "1.0.0.0",
                "dependencies": [{"id": d, "name": d, "publisher": "t", "version": "1.0.0.0"} for d in dependencies]}
    (root / "app.json").write_text(json.dumps(manifest), encoding="utf-8")
    for file_name, text in files.items():
        (root / file_name).write_text(text, encoding="utf-8")


def rule_ids(result) -> list[tuple[str, str]]:  # noqa: ANN001
    return sorted((f.rule_id, Path(f.location.path).name) for f in result.findings)


def test_a_nested_module_app_is_part_of_the_app_around_it(tmp_path: Path) -> None:
    app(tmp_path / "Base", "Base", {"HostPage.Page.al": PAGE})
    app(tmp_path / "Base" / "Modules" / "Log", "Log", {"ModuleTask.Codeunit.al": TASK, "ModuleLog.Table.al": TABLE})
    result = analyze([tmp_path / "Base"])
    assert len(result.apps) == 1  # one project, as the AL compiler builds the folder
    assert rule_ids(result) == [("PBT0001", "ModuleTask.Codeunit.al")]


def test_code_under_a_source_root_is_followed_from_our_tasks(tmp_path: Path) -> None:
    app(tmp_path / "Mine", "Mine", {"HostPage.Page.al": PAGE})
    app(tmp_path / "Platform" / "Log", "Log", {"ModuleTask.Codeunit.al": TASK, "ModuleLog.Table.al": TABLE})
    without = analyze([tmp_path / "Mine"])
    assert ("PBT0035", "HostPage.Page.al") in rule_ids(without)  # the task codeunit is not in the sources
    followed = analyze([tmp_path / "Mine"], extra_roots=[tmp_path / "Platform"])
    # our enqueue reaches a write in the source root's code: reported there, with the path from our page
    (write,) = followed.findings
    assert write.rule_id == "PBT0001" and write.location.path.endswith("ModuleTask.Codeunit.al")
    assert write.call_path[0].path.endswith("HostPage.Page.al")


def test_a_source_root_alone_reports_nothing_of_its_own(tmp_path: Path) -> None:
    app(tmp_path / "Mine", "Mine", {"ModuleLog.Table.al": TABLE})
    app(tmp_path / "Platform", "Platform", {"HostPage.Page.al": PAGE, "ModuleTask.Codeunit.al": TASK,
                                            "ModuleLog.Table.al": TABLE.replace("50102", "50103")})
    assert analyze([tmp_path / "Mine"], extra_roots=[tmp_path / "Platform"]).findings == ()
