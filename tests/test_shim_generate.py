"""``pbtlint shim``: the generated test app (golden files), its AL (parsed with pbtlint's own parser), the
manifest, id ranges, determinism and the command line.

Golden files live in ``tests/golden/shim/<case>/``, one file per generated file. After a deliberate change
to the generator, regenerate them with::

    PBTLINT_UPDATE_GOLDEN=1 python -m pytest -q tests/test_shim_generate.py

and review the diff. Nothing here runs in Business Central: what the generated tests do at run time needs a
container (see docs/shim.md).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from pbtlint import nodes as n
from pbtlint.cli import main
from pbtlint.frontend import parse_text
from pbtlint.runner import analyze
from pbtlint.shim.al_writer import (
    GUARD_FILE,
    MISSING_PARAMETER_RULES,
    RESULT_KEYS_RULES,
    TASK_RUNS_RULES,
    missing_methods,
    render,
)
from pbtlint.shim.generate import (
    DEFAULT_ID_RANGE,
    LIBRARY_ASSERT,
    MAX_NAME,
    NothingToGenerate,
    ShimError,
    ShimPlan,
    object_name,
    parse_id_range,
    plan_shim,
    shim_app_name,
    write_output,
)
from pbtlint.shim.manifest import MANIFEST_NAME, TEST_KINDS, manifest_from_json

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "shim"
VERSION = "0.0.0-golden"
"""The tool version written into golden manifests (the CLI writes the real one)."""

CASES = {
    "demo-app": (ROOT / "fixtures" / "demo-app", DEFAULT_ID_RANGE),
    "params": (ROOT / "fixtures" / "apps" / "params", (60000, 60009)),
    "multi-site": (ROOT / "fixtures" / "shim" / "multi-site", (70000, 70019)),
}

_plans: dict[str, ShimPlan] = {}


def plan_of(case: str) -> ShimPlan:
    if case not in _plans:
        path, ids = CASES[case]
        _plans[case] = plan_shim(path, ids, tool_version=VERSION)
    return _plans[case]


def files_of(case: str) -> dict[str, str]:
    return render(plan_of(case))


def al_files(files: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in files.items() if k.endswith(".al")}


def parse_ok(path: str, text: str) -> n.CompilationUnit:
    parsed = parse_text(text, path)
    assert parsed.findings == (), [f.message for f in parsed.findings]
    assert parsed.unit is not None
    return parsed.unit


def is_test(proc: n.Procedure) -> bool:
    return any(a.name.casefold() == "test" for a in proc.attributes)


# --------------------------------------------------------------------------- golden files


@pytest.mark.parametrize("case", sorted(CASES))
def test_generated_files_match_the_golden_files(case: str) -> None:
    files = files_of(case)
    folder = GOLDEN / case
    if os.environ.get("PBTLINT_UPDATE_GOLDEN") == "1":
        if folder.exists():
            for old in sorted(folder.rglob("*"), reverse=True):
                old.unlink() if old.is_file() else old.rmdir()
        write_output(folder, files)
    on_disk = {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
               for p in sorted(folder.rglob("*")) if p.is_file()}
    assert sorted(on_disk) == sorted(files), "generated file set differs; PBTLINT_UPDATE_GOLDEN=1 regenerates"
    for rel, text in files.items():
        assert on_disk[rel] == text, f"{case}/{rel} differs from the golden file; PBTLINT_UPDATE_GOLDEN=1 regenerates"


@pytest.mark.parametrize("case", sorted(CASES))
def test_generation_is_deterministic_and_independent_of_the_working_directory(
        case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, ids = CASES[case]
    first = render(plan_shim(path, ids, tool_version=VERSION))
    second = render(plan_shim(path, ids, tool_version=VERSION))
    assert first == second
    monkeypatch.chdir(tmp_path)
    elsewhere = render(plan_shim(os.path.relpath(path, tmp_path), ids, tool_version=VERSION))
    assert elsewhere == first
    a, b = tmp_path / "a", tmp_path / "b"
    write_output(a, first)
    write_output(b, second)
    for rel in first:
        assert (a / rel).read_bytes() == (b / rel).read_bytes()
        assert b"\r\n" not in (a / rel).read_bytes()


# --------------------------------------------------------------------------- the AL


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_generated_al_file_parses_with_pbtlints_parser(case: str) -> None:
    for rel, text in al_files(files_of(case)).items():
        unit = parse_ok(rel, text)
        assert len(unit.objects) == 1
        obj = unit.objects[0]
        assert obj.kind == "codeunit"
        assert len(obj.name) <= MAX_NAME and obj.name.isascii()
        low, high = plan_of(case).id_range
        assert obj.id is not None and low <= obj.id <= high


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_generated_folder_analyzes_as_an_app_without_syntax_errors(case: str, tmp_path: Path) -> None:
    write_output(tmp_path / "shim", files_of(case))
    result = analyze([tmp_path / "shim"])
    assert [f for f in result.findings if f.rule_id == "PBT0000"] == []
    assert len(result.apps) == 1 and len(result.apps[0].files) == len(al_files(files_of(case)))


def test_the_parser_would_catch_a_broken_generated_file() -> None:
    text = files_of("demo-app")["src/PBTShim1PageBackground.Codeunit.al"]
    broken = text.replace("FillParameters(Parameters);", "FillParameters(Parameters)", 1)
    assert [f.rule_id for f in parse_text(broken, "x.al").findings] == ["PBT0000"]


def test_object_ids_and_names_are_unique() -> None:
    for case in CASES:
        objects = [parse_ok(rel, text).objects[0] for rel, text in al_files(files_of(case)).items()]
        assert len({o.id for o in objects}) == len(objects)
        assert len({o.name.casefold() for o in objects}) == len(objects)


def test_test_codeunits_are_test_codeunits_with_the_manifests_methods() -> None:
    for case in CASES:
        plan = plan_of(case)
        files = files_of(case)
        manifest = manifest_from_json(files[MANIFEST_NAME])
        for site in plan.sites:
            obj = parse_ok(site.file_name, files[site.file_name]).objects[0]
            assert (obj.id, obj.name) == (site.codeunit_id, site.codeunit_name)
            props = {p.name.casefold(): p.text.strip() for p in obj.properties}
            assert props.get("subtype", "").casefold() == "test"
            tests = sorted(p.name for p in obj.procedures if is_test(p))
            expected = sorted(t.method for t in manifest.tests if t.codeunit_id == site.codeunit_id)
            assert tests == expected
            assert all(len(m) <= 30 and re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", m) for m in tests)
            helpers = {p.name: p.access for p in obj.procedures if not is_test(p)}
            assert helpers == {"FillParameters": "local", "RunTask": "local"}


def test_demo_app_test_codeunit_fills_every_key_and_checks_every_result_key() -> None:
    text = files_of("demo-app")["src/PBTShim1PageBackground.Codeunit.al"]
    assert "Parameters.Set('MyPrimaryKey1', '');" in text and "Parameters.Set('MyPrimaryKey2', '');" in text
    assert "Results := TestPage.RunPageBackgroundTask(Codeunit::\"Page Background Runner\", Parameters);" in text
    assert 'TestPage: TestPage "Demo Containers";' in text
    assert "Assert.IsTrue(Results.ContainsKey('ProcessingDone'), 'PBT0021/PBT0023/PBT0030 " \
           "src/DemoContainers.Page.al(38,9):" in text
    assert "if Parameters.Remove('MyPrimaryKey1') then;" in text
    # each test names its rules and the enqueue site in a comment just above it
    for rules in (TASK_RUNS_RULES, RESULT_KEYS_RULES, MISSING_PARAMETER_RULES):
        assert f"// {', '.join(rules)}: the task" in text or f"// {', '.join(rules)}: every result key" in text
    assert text.count("src/DemoContainers.Page.al(38,9)") >= 4


def test_write_guard_subscribes_to_the_global_triggers_and_names_pbt0001() -> None:
    text = files_of("demo-app")[GUARD_FILE]
    obj = parse_ok(GUARD_FILE, text).objects[0]
    assert obj.id == DEFAULT_ID_RANGE[0]
    subscribed = {}
    for proc in obj.procedures:
        for attr in proc.attributes:
            if attr.name.casefold() == "eventsubscriber":
                assert isinstance(attr.args[2], n.LiteralValue)
                subscribed[attr.args[2].value] = [p.name for p in proc.parameters]
    assert subscribed == {
        "GetDatabaseTableTriggerSetup": ["TableId", "OnDatabaseInsert", "OnDatabaseModify", "OnDatabaseDelete",
                                         "OnDatabaseRename"],
        "OnDatabaseInsert": ["RecRef"], "OnDatabaseModify": ["RecRef"], "OnDatabaseDelete": ["RecRef"],
        "OnDatabaseRename": ["RecRef", "xRecRef"],
    }
    assert 'Codeunit::"Global Triggers"' in text
    assert "Session.CurrentClientType() <> ClientType::ChildSession" in text
    assert "RecRef.IsTemporary()" in text and "PBT0001" in text
    assert "EventSubscriberInstance = StaticAutomatic;" in text


# --------------------------------------------------------------------------- app.json


def test_app_json_depends_on_the_app_and_library_assert() -> None:
    data = json.loads(files_of("multi-site")["app.json"])
    again = json.loads(render(plan_shim(CASES["multi-site"][0], (70000, 70019)))["app.json"])
    assert data["id"] == again["id"]  # uuid5 of the analyzed app's id
    assert len(data["name"]) <= 30 and data["name"].endswith(" PBT Shim")
    assert data["publisher"] == "pbtlint" and data["version"] == "2.1.0.0"
    assert data["idRanges"] == [{"from": 70000, "to": 70019}]
    deps = {d["name"]: d for d in data["dependencies"]}
    assert deps["Shim Fixture: Stock and Price Dashboard"]["id"] == "0d6e3b52-7c41-4a8e-b0f3-5e1a2c3d4f50"
    assert deps["Shim Fixture Library"]["version"] == "1.2.0.0"  # the app's own dependencies
    assert deps["Library Assert"] == {"id": LIBRARY_ASSERT.id, "name": "Library Assert", "publisher": "Microsoft",
                                      "version": "23.0.0.0"}
    assert (data["platform"], data["application"], data["runtime"]) == ("23.0.0.0", "23.0.0.0", "12.0")
    demo = json.loads(files_of("demo-app")["app.json"])
    assert demo["id"] != data["id"]


def test_names_stay_within_the_al_limits() -> None:
    assert shim_app_name("PBT Demo") == "PBT Demo PBT Shim"
    long = shim_app_name("Shim Fixture: Stock and Price Dashboard")
    assert len(long) <= 30 and long.endswith(" PBT Shim")
    assert object_name("PBT Shim 12", "Ünïcode \"Task\" With A Very Long Name Indeed").isascii()
    assert len(object_name("PBT Shim 12", "x" * 80)) <= 30
    methods = missing_methods(["Item No.", "item-no", "", "ÄÖ", "a very long key name that goes on and on and on"])
    assert len(set(m.casefold() for m in methods)) == len(methods)
    assert all(len(m) <= 30 and re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", m) for m in methods)
    assert methods[0] == "MissingParamItemNo" and methods[1] == "MissingParamItemNo2"  # AL names ignore case


# --------------------------------------------------------------------------- the manifest


@pytest.mark.parametrize("case", sorted(CASES))
def test_manifest_round_trips_and_lists_every_test(case: str) -> None:
    plan = plan_of(case)
    text = files_of(case)[MANIFEST_NAME]
    manifest = manifest_from_json(text)
    assert manifest.to_json() == text
    assert manifest.tool_version == VERSION and manifest.app_name == plan.app.name
    assert manifest.test_app_name == plan.test_app_name
    assert {t.kind for t in manifest.tests} <= set(TEST_KINDS)
    for site in plan.sites:
        mine = [t for t in manifest.tests if t.codeunit_id == site.codeunit_id]
        assert [t.kind for t in mine].count("task-runs") == 1
        assert sorted(t.parameter_key for t in mine if t.kind == "missing-parameter") == \
            sorted(k.key for k in site.parameter_keys)
        assert [t.kind for t in mine].count("result-keys") == (1 if site.result_keys else 0)
        for t in mine:
            assert t.location == site.site and t.codeunit == site.codeunit_name
            assert manifest.find(site.codeunit_id, t.method) == t
            assert manifest.find(site.codeunit_name.upper(), t.method) == t
            expected = {"task-runs": TASK_RUNS_RULES, "result-keys": RESULT_KEYS_RULES,
                        "missing-parameter": MISSING_PARAMETER_RULES}[t.kind]
            assert t.rule_ids == expected
            assert not t.location.path.startswith(("/", "..")) and "\\" not in t.location.path


def test_params_fixture_sites_and_keys() -> None:
    plan = plan_of("params")
    assert [(s.site.path, s.site.line) for s in plan.sites] == [
        ("src/ParamsPage.Page.al", 22), ("src/ParamsPage.Page.al", 25), ("src/ParamsPage.Page.al", 27),
        ("src/ParamsPage.Page.al", 56)]
    first = plan.sites[0]
    assert [k.key for k in first.parameter_keys] == ["Currency", "CustomerNo", "DateFilter", "Mode"]
    customer = first.parameter_keys[1]
    assert [(r.path, r.line) for r in customer.reads] == [("src/ParamsTask.Codeunit.al", 11)]
    assert [k.key for k in first.result_keys] == ["Balance"]
    # the completion trigger reads Balance only for StatsTaskId: the other sites get no result test
    assert all(not s.result_keys for s in plan.sites[1:])
    assert not plan.sites[1].keys_complete  # DynamicParams.Add(Rec."No.", ...)
    assert "could not read as constants" in render(plan)[plan.sites[1].file_name]
    assert [k.key for k in plan.sites[3].parameter_keys] == ["CustomerNo", "Name", "Sales"]


def test_multi_site_fixture_page_extensions_unknown_and_external_codeunits() -> None:
    plan = plan_of("multi-site")
    files = render(plan)
    by_line = {(s.site.path, s.site.line): s for s in plan.sites}
    customer = by_line[("src/ShimCustomerCardExt.PageExt.al", 13)]
    assert customer.page_ref == '"Customer Card"'  # a page extension tests its base page
    ext = by_line[("src/ShimStockCardExt.PageExt.al", 13)]
    assert ext.page_ref == '"Shim Stock Card"'
    assert not ext.result_keys  # the base page's trigger reads results for PriceTaskId only
    stock = by_line[("src/ShimStockCard.Page.al", 38)]
    assert [k.key for k in stock.result_keys] == ["Inventory", "Reserved"]
    assert [k.key for k in stock.parameter_keys] == ["ItemNo", "LocationCode", "Variant"]
    external = by_line[("src/ShimStockCard.Page.al", 47)]
    assert not external.task_in_sources and external.task_ref == 'Codeunit::"Shim External Task"'
    assert [k.key for k in external.parameter_keys] == ["ItemNo"]
    assert "using Pbtlint.Fixtures.Shim;" in files[stock.file_name]
    assert [(s.site.line, s.reason) for s in plan.skipped] == [
        (44, "the task codeunit id is read from data (a field or setup record)")]
    assert "src/ShimStockCard.Page.al(44,9)" in files["README.md"]
    assert all(s.site.line != 44 for s in plan.sites)


def test_readme_says_how_to_run_and_import() -> None:
    readme = files_of("demo-app")["README.md"]
    for needed in ("testFolders", "Run-TestsInBcContainer", "-XUnitResultFileName", "pbtlint shim import results.xml",
                   "--sarif pbtlint.sarif -o merged.sarif", "FillParameters", "Library Assert", plan_of("demo-app")
                   .test_app_id):
        assert needed in readme


# --------------------------------------------------------------------------- id ranges


def test_id_range_parsing() -> None:
    assert parse_id_range("50100..50149") == (50100, 50149)
    assert parse_id_range(" 50100 - 50149 ") == (50100, 50149)
    for bad in ("", "50100", "50100..", "a..b", "50149..50100", "0..10", "1..99999999999"):
        with pytest.raises(ShimError):
            parse_id_range(bad)


def test_id_range_too_small_or_overlapping_is_an_error() -> None:
    path = CASES["params"][0]
    with pytest.raises(ShimError, match="needs 5"):
        plan_shim(path, (60000, 60003))
    assert len(plan_shim(path, (60000, 60004)).sites) == 4
    with pytest.raises(ShimError, match="overlaps"):
        plan_shim(path, (50390, 50500))


def test_no_enqueue_site_is_nothing_to_generate(tmp_path: Path) -> None:
    with pytest.raises(NothingToGenerate):
        plan_shim(ROOT / "fixtures" / "apps" / "discovery")


# --------------------------------------------------------------------------- command line


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_cli_generates_the_app(tmp_path: Path) -> None:
    out = tmp_path / "shim"
    code, output = invoke("shim", str(CASES["demo-app"][0]), "--out", str(out))
    assert code == 0, output
    assert "wrote 5 files" in output
    generated = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert generated == sorted(files_of("demo-app"))
    manifest = manifest_from_json((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    from pbtlint import __version__
    assert manifest.tool_version == __version__
    # the explicit subcommand is the same
    code, _ = invoke("shim", "generate", str(CASES["demo-app"][0]), "--out", str(out))
    assert code == 0


def test_cli_regenerating_removes_stale_generated_files_only(tmp_path: Path) -> None:
    out = tmp_path / "shim"
    assert invoke("shim", str(CASES["params"][0]), "-o", str(out), "--id-range", "60000..60009")[0] == 0
    stale = out / "src" / "PBTShim9Old.Codeunit.al"
    stale.write_text("// Generated by pbtlint shim: old\ncodeunit 60009 \"PBT Shim 9 Old\" { }\n", encoding="utf-8")
    mine = out / "src" / "MyOwn.Codeunit.al"
    mine.write_text("codeunit 60008 \"My Own\" { }\n", encoding="utf-8")
    assert invoke("shim", str(CASES["params"][0]), "-o", str(out), "--id-range", "60000..60009")[0] == 0
    assert not stale.exists() and mine.exists()


def test_cli_errors_exit_with_2(tmp_path: Path) -> None:
    demo = str(CASES["demo-app"][0])
    cases = [
        (["shim", demo, "--out", str(tmp_path / "a"), "--id-range", "nope"], "bad --id-range"),
        (["shim", demo, "--out", str(tmp_path / "a"), "--id-range", "60000..60000"], "give a larger range"),
        (["shim", demo, "--out", str(tmp_path / "a"), "--id-range", "50100..50200"], "overlaps"),
        (["shim", str(ROOT / "fixtures" / "apps"), "--out", str(tmp_path / "a")], "no app.json"),
        (["shim", demo], "Missing option"),
        (["shim", str(tmp_path / "missing"), "--out", str(tmp_path / "a")], "does not exist"),
    ]
    for args, message in cases:
        code, output = invoke(*args)
        assert code == 2, (args, output)
        assert message in output, (args, output)
    assert not (tmp_path / "a").exists()
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine", encoding="utf-8")
    code, output = invoke("shim", demo, "--out", str(foreign))
    assert code == 2 and "not generated by pbtlint shim" in output
    assert sorted(p.name for p in foreign.iterdir()) == ["notes.txt"]


def test_cli_no_enqueue_site_writes_nothing_and_exits_0(tmp_path: Path) -> None:
    code, output = invoke("shim", str(ROOT / "fixtures" / "apps" / "discovery"), "--out", str(tmp_path / "o"))
    assert code == 0 and "nothing to generate" in output
    assert not (tmp_path / "o").exists()


def test_cli_help_shows_both_usages() -> None:
    code, output = invoke("shim", "--help")
    assert code == 0
    assert "pbtlint shim PATH --out DIR" in output and "pbtlint shim import RESULTS.xml" in output


def test_cli_routes_import_to_the_importer() -> None:
    pytest.importorskip("pbtlint.shim.import_cli", reason="the importer (pbtlint.shim.import_cli) is not there yet")
    code, output = invoke("shim", "import", "--help")
    assert code == 0 and "RESULTS" in output


# --------------------------------------------------------------------------- small apps written here


def small_app(root: Path, body: str, app_id: str = "11111111-2222-4333-8444-555555555555") -> Path:
    root.mkdir(parents=True)
    (root / "app.json").write_text(json.dumps({
        "id": app_id, "name": "Small", "publisher": "pbtlint", "version": "1.0.0.0",
        "idRanges": [{"from": 50100, "to": 50109}]}), encoding="utf-8")
    (root / "Small.Page.al").write_text(
        'page 50100 "Small Page"\n{\n    var\n        TaskId: Integer;\n\n    trigger OnAfterGetCurrRecord()\n'
        f"    begin\n{body}    end;\n}}\n", encoding="utf-8")
    return root


def test_define_symbols_reach_the_analysis(tmp_path: Path) -> None:
    app = small_app(tmp_path / "app", "#if SHIMTEST\n        CurrPage.EnqueueBackgroundTask(TaskId, 50999);\n#endif\n")
    with pytest.raises(NothingToGenerate):
        plan_shim(app)
    plan = plan_shim(app, defines=["SHIMTEST"])
    assert len(plan.sites) == 1
    code, output = invoke("shim", str(app), "-D", "SHIMTEST", "--out", str(tmp_path / "out"))
    assert code == 0 and (tmp_path / "out" / "app.json").is_file(), output


def test_an_integer_codeunit_id_outside_the_sources_is_tested_by_id(tmp_path: Path) -> None:
    app = small_app(tmp_path / "app", "        CurrPage.EnqueueBackgroundTask(TaskId, 50999);\n")
    plan = plan_shim(app)
    (site,) = plan.sites
    assert site.task_ref == "50999" and not site.task_in_sources and site.parameter_keys == ()
    text = render(plan)[site.file_name]
    parse_ok(site.file_name, text)
    assert "TestPage.RunPageBackgroundTask(50999, Parameters);" in text
    assert "No parameter key known" in text


def test_several_apps_with_enqueue_sites_is_an_error(tmp_path: Path) -> None:
    body = "        CurrPage.EnqueueBackgroundTask(TaskId, 50999);\n"
    small_app(tmp_path / "ws" / "one", body)
    small_app(tmp_path / "ws" / "two", body, app_id="11111111-2222-4333-8444-666666666666")
    with pytest.raises(ShimError, match="2 apps with page background tasks"):
        plan_shim(tmp_path / "ws")
    assert len(plan_shim(tmp_path / "ws" / "two").sites) == 1
    code, output = invoke("shim", str(tmp_path / "ws"), "--out", str(tmp_path / "out"))
    assert code == 2 and "one app folder at a time" in output


def test_out_must_be_a_folder(tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_text("x", encoding="utf-8")
    with pytest.raises(ShimError, match="not a folder"):
        write_output(target, files_of("demo-app"))
