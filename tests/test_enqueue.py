"""Enqueue sites: task codeunits named every way, task id variables, parameter keys, timeouts,
error levels, and the completion and error triggers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pbtlint.analysis import AnalyzedProject, build_project
from pbtlint.enqueue import EnqueueSite
from pbtlint.frontend import parse_file

APPS = Path(__file__).resolve().parent.parent / "fixtures" / "apps"


def load(app: str) -> AnalyzedProject:
    files = sorted((APPS / app).rglob("*.al"))
    assert files
    return build_project([parse_file(f, (), str(f.relative_to(APPS))) for f in files])


@pytest.fixture(scope="module")
def naming() -> AnalyzedProject:
    return load("naming")


@pytest.fixture(scope="module")
def params() -> AnalyzedProject:
    return load("params")


def by_task_id(project: AnalyzedProject) -> dict[str, EnqueueSite]:
    return {s.task_id.name: s for s in project.enqueue.sites}  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("task_id", "codeunit_id", "written"),
    [
        ("QuotedId", 50201, "Naming Quoted Task"),
        ("PlainId", 50202, "NamingPlainTask"),
        ("LiteralId", 50203, "50203"),
        ("NamespaceId", 50204, "Fixture.Naming.Naming Namespace Task"),
        ("VarId", 50207, "Naming Var Task"),
        ("FunctionId", 50208, "Naming Function Task"),
        ("LocalId", 50201, "Naming Quoted Task"),
        ("ExtTaskId", 50201, "Naming Quoted Task"),
    ],
)
def test_task_codeunit_named_every_way(naming: AnalyzedProject, task_id: str, codeunit_id: int, written: str) -> None:
    site = by_task_id(naming)[task_id]
    [task] = site.task_codeunits
    assert task.resolved and task.codeunit.id == codeunit_id and task.written == written
    assert task.root is not None and site.roots == (task.root.key,)
    assert site.roots[0] == f"codeunit/{codeunit_id}/OnRun"


def test_task_codeunit_through_helper_parameter(naming: AnalyzedProject) -> None:
    site = by_task_id(naming)["Id"]
    assert site.procedure.name == "StartTask"
    assert site.task_id_scope == "var-parameter"
    ids = sorted(t.codeunit.id for t in site.task_codeunits)
    assert ids == [50205, 50206]
    for t in site.task_codeunits:
        [call] = t.via
        assert call.name == "StartTask" and call.caller.name in ("OnAfterGetCurrRecord", "OnAfterGetRecord")


@pytest.mark.parametrize(("task_id", "reason", "written"), [("DataId", "from-data", None),
                                                           ("MissingId", "no-source", "Not In These Sources")])
def test_unresolved_task_codeunits_say_why(naming: AnalyzedProject, task_id: str, reason: str, written: str) -> None:
    [task] = by_task_id(naming)[task_id].task_codeunits
    assert not task.resolved and task.reason == reason and task.written == written and task.root is None
    assert by_task_id(naming)[task_id].roots == ()


def test_task_id_scope_and_page(naming: AnalyzedProject) -> None:
    sites = by_task_id(naming)
    assert sites["QuotedId"].task_id_scope == "global"
    assert sites["QuotedId"].task_id_var.name == "QuotedId"
    assert sites["LocalId"].task_id_scope == "local"
    ext = sites["ExtTaskId"]
    assert ext.page.kind == "pageextension" and ext.base_page.name == "Naming Page"
    assert ext.procedure.key == "pageextension/50200/action/Recalculate/OnAction"
    assert ext.task_id_scope == "global"
    page = naming.model.object_by_name("page", "Naming Page")
    assert ext in naming.enqueue.for_page(page) and len(naming.enqueue.for_page(page)) == 11
    quoted = naming.model.object_by_name("codeunit", "Naming Quoted Task")
    assert len(naming.enqueue.sites_for_codeunit(quoted)) == 3
    assert len(naming.enqueue.task_codeunits()) == 8


def test_completion_trigger_in_page_extension(naming: AnalyzedProject) -> None:
    page = naming.model.object_by_name("page", "Naming Page")
    [done] = naming.enqueue.completion_for(page)
    assert done.page.kind == "pageextension"
    assert done.task_id.name == "CompletedTaskId" and done.results.name == "TaskResults"
    assert naming.enqueue.errors_for(page) == []


def test_parameter_keys_timeout_and_error_level(params: AnalyzedProject) -> None:
    sites = by_task_id(params)
    stats = sites["StatsTaskId"]
    assert [k.key for k in stats.parameter_keys] == ["CustomerNo", "DateFilter", "Mode", "Currency"]
    assert stats.keys_complete
    # The key added by a helper procedure is reported where it is added.
    assert stats.parameter_keys[-1].site.caller.name == "AddCurrency"
    assert stats.timeout_value == 30000 and stats.error_level_value == "Ignore"
    assert not stats.checked
    dynamic = sites["DynamicTaskId"]
    assert [k.key for k in dynamic.parameter_keys] == [None] and not dynamic.keys_complete
    assert dynamic.timeout_value == 45000  # from TimeoutMs(): exit(45000)
    assert dynamic.error_level is None and dynamic.error_level_value is None
    checked = sites["CheckedTaskId"]
    assert checked.checked and checked.timeout_value == 900000


def test_keys_from_helper_parameters_and_timeouts_a_subscriber_may_change(params: AnalyzedProject) -> None:
    site = by_task_id(params)["HelperTaskId"]
    assert [k.key for k in site.parameter_keys] == ["Sales", "Name"] and site.keys_complete
    # TimeoutMs := 1000, then passed by var to an event: not a known constant.
    assert site.timeout is not None and site.timeout_value is None


def test_completion_and_error_triggers_matched_by_position(params: AnalyzedProject) -> None:
    page = params.model.object_by_name("page", "Params Page")
    [done] = params.enqueue.completion_for(page)
    assert (done.task_id.name, done.results.name) == ("Id", "Res")
    [err] = params.enqueue.errors_for(page)
    assert [v.name for v in (err.task_id, err.error_code, err.error_text, err.error_call_stack, err.is_handled)] == [
        "Id", "Code", "Msg", "Stack", "Handled"]
    assert err.is_handled.by_ref


def test_enqueue_site_locations(params: AnalyzedProject) -> None:
    site = by_task_id(params)["StatsTaskId"]
    assert site.path.endswith("ParamsPage.Page.al") and site.span.line == 22
    assert site.site.builtin == "currpage.enqueuebackgroundtask"


@pytest.mark.corpus
def test_real_enqueue_site_in_bcapps_retention_policy() -> None:
    root = os.environ.get("PBTLINT_CORPUS_BCAPPS")
    if not root:
        pytest.skip("PBTLINT_CORPUS_BCAPPS is not set: real enqueue sites not checked")
    module = Path(root) / "src" / "System Application" / "App" / "Retention Policy"
    files = sorted(module.rglob("*.al"))
    if not files:
        pytest.skip(f"no .al file under {module}")
    project = build_project([parse_file(f, (), str(f.relative_to(module))) for f in files])
    [site] = project.enqueue.sites
    [task] = site.task_codeunits
    assert task.resolved and task.codeunit.name == "PBT Expired Record Count"
    assert site.task_id_scope == "global" and site.keys_complete
    assert [k.key for k in site.parameter_keys] == ["SystemId"]
    assert site.timeout_value == 600000  # from a procedure that exits with a constant
    reach = project.graph.reachable_from(site.roots[0])
    assert len(reach) > 10
    assert project.enqueue.completion_for(site.page)
