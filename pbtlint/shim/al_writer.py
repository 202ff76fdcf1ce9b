"""Render a :class:`pbtlint.shim.generate.ShimPlan` as the files of a test app: app.json, the write
guard, one test codeunit per planned site, the manifest and a README. Pure: text in, text out."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence

from pbtlint.shim.generate import DEFAULT_RUNTIME, GENERATED_MARK, LIBRARY_ASSERT, KeyUse, ShimPlan, SitePlan
from pbtlint.shim.manifest import MANIFEST_NAME, ShimManifest, ShimTest, SourceLocation

TASK_RUNS_RULES = ("PBT0001", "PBT0002", "PBT0003", "PBT0004", "PBT0040")
RESULT_KEYS_RULES = ("PBT0021", "PBT0023", "PBT0030")
MISSING_PARAMETER_RULES = ("PBT0020", "PBT0022")

TASK_RUNS_METHOD = "TaskRunsWithoutError"
RESULT_KEYS_METHOD = "ResultKeysAreSet"
GUARD_NAME = "PBT Shim Write Guard"
GUARD_FILE = "src/PBTShimWriteGuard.Codeunit.al"
MAX_IDENT = 30


def al_string(text: str) -> str:
    """An AL text literal: single quotes doubled, line breaks as spaces."""
    return "'" + re.sub(r"[\r\n]+", " ", text).replace("'", "''") + "'"


def comment(text: str) -> str:
    """Text safe on one ``//`` comment line."""
    return re.sub(r"[\r\n]+", " ", text)


def where(loc: SourceLocation) -> str:
    return f"{loc.path}({loc.line},{loc.column})"


def rules_text(rules: Iterable[str]) -> str:
    return ", ".join(rules)


def missing_methods(keys: Iterable[str]) -> list[str]:
    """``MissingParam<Key>`` for each key: ASCII letters and digits only, at most 30 characters,
    unique (a number is appended when two keys give the same name)."""
    out: list[str] = []
    for i, key in enumerate(keys, start=1):
        words = re.findall(r"[A-Za-z0-9]+", key)
        stem = "".join(w[:1].upper() + w[1:] for w in words) or str(i)
        name = ("MissingParam" + stem)[:MAX_IDENT]
        n = 2
        while name.casefold() in (o.casefold() for o in out):
            suffix = str(n)
            name = ("MissingParam" + stem)[:MAX_IDENT - len(suffix)] + suffix
            n += 1
        out.append(name)
    return out


# --------------------------------------------------------------------------- manifest


def manifest_tests(site: SitePlan) -> list[ShimTest]:
    """The tests of one site's codeunit, in the order they appear in it."""
    common = {"codeunit_id": site.codeunit_id, "codeunit": site.codeunit_name, "location": site.site,
              "task_codeunit": site.task_name}
    task_related = (site.task_location,) if site.task_location is not None else ()
    tests = [ShimTest(method=TASK_RUNS_METHOD, kind="task-runs", rule_ids=TASK_RUNS_RULES, related=task_related,
                      description=f'Task codeunit "{site.task_name}" runs in a child session without an error '
                                  "(no write, commit, lock or UI).", **common)]
    if site.result_keys:
        related = tuple(loc for k in site.result_keys for loc in k.reads)
        keys = ", ".join(f"'{k.key}'" for k in site.result_keys)
        tests.append(ShimTest(method=RESULT_KEYS_METHOD, kind="result-keys", rule_ids=RESULT_KEYS_RULES,
                              related=related, description=f"The task sets every result key the completion "
                                                           f"trigger reads: {keys}.", **common))
    for key, method in zip(site.parameter_keys, missing_methods(k.key for k in site.parameter_keys), strict=True):
        tests.append(ShimTest(method=method, kind="missing-parameter", rule_ids=MISSING_PARAMETER_RULES,
                              parameter_key=key.key, related=(*key.reads, *key.passes),
                              description=f"The task copes when parameter '{key.key}' is missing.", **common))
    return tests


def build_manifest(plan: ShimPlan) -> ShimManifest:
    tests = tuple(t for site in plan.sites for t in manifest_tests(site))
    return ShimManifest(plan.tool_version, plan.app.name, plan.app.publisher, plan.test_app_name, tests)


# --------------------------------------------------------------------------- app.json


def _dependency(dep_id: str, name: str, publisher: str, version: str) -> dict[str, str]:
    return {"id": dep_id, "name": name, "publisher": publisher, "version": version or "1.0.0.0"}


def app_json(plan: ShimPlan) -> str:
    app = plan.app
    deps = [_dependency(app.id, app.name, app.publisher, app.version)]
    ids = {app.id.lower(), LIBRARY_ASSERT.id}
    for d in app.dependencies:
        if d.id and d.id.lower() not in ids:
            ids.add(d.id.lower())
            deps.append(_dependency(d.id, d.name, d.publisher, d.version))
    assert_version = app.application or app.platform or "1.0.0.0"
    deps.append(_dependency(LIBRARY_ASSERT.id, LIBRARY_ASSERT.name, LIBRARY_ASSERT.publisher, assert_version))
    data: dict[str, object] = {
        "id": plan.test_app_id,
        "name": plan.test_app_name,
        "publisher": app.publisher,
        "version": app.version,
        "brief": f"Runtime checks of the page background tasks of {app.name}, generated by pbtlint shim.",
        "description": "Generated by pbtlint shim. Test codeunits that run each page background task in a child "
                       "session, and a write guard that fails any database write made there.",
        "dependencies": deps,
        "platform": app.platform or "1.0.0.0",
    }
    if app.application:
        data["application"] = app.application
    data["idRanges"] = [{"from": plan.id_range[0], "to": plan.id_range[1]}]
    data["runtime"] = app.runtime or DEFAULT_RUNTIME
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- write guard


def write_guard(plan: ShimPlan) -> str:
    ops = ("Insert", "Modify", "Delete", "Rename")
    lines = [
        f"{GENERATED_MARK}: the write guard of the page background task tests. Do not edit.",
        "// A non-temporary database write made in a child session (where page background tasks run) fails",
        "// with an error naming the table, the operation and PBT0001, instead of the runtime's permission error.",
        "// EventSubscriberInstance = StaticAutomatic: the task runs in a child session of its own, where a",
        "// subscriber bound manually in the test session would not be active; a static subscriber is active in",
        "// every session, so the guard checks the client type itself. Install this app in test containers only.",
        f'codeunit {plan.guard_id} "{GUARD_NAME}"',
        "{",
        "    EventSubscriberInstance = StaticAutomatic;",
        "",
        "    var",
        "        WriteInChildSessionErr: Label 'PBT0001: a page background task (child session) tried to %1 a record "
        "of table %2 \"%3\"; page background tasks must not write to the database.', "
        "Comment = '%1 = the operation, %2 = the table id, %3 = the table name';",
        "",
        "    [EventSubscriber(ObjectType::Codeunit, Codeunit::\"Global Triggers\", 'GetDatabaseTableTriggerSetup', "
        "'', false, false)]",
        "    local procedure GetDatabaseTableTriggerSetup(TableId: Integer; var OnDatabaseInsert: Boolean; "
        "var OnDatabaseModify: Boolean; var OnDatabaseDelete: Boolean; var OnDatabaseRename: Boolean)",
        "    begin",
        "        OnDatabaseInsert := true;",
        "        OnDatabaseModify := true;",
        "        OnDatabaseDelete := true;",
        "        OnDatabaseRename := true;",
        "    end;",
    ]
    for op in ops:
        params = "RecRef: RecordRef; xRecRef: RecordRef" if op == "Rename" else "RecRef: RecordRef"
        lines += [
            "",
            f"    [EventSubscriber(ObjectType::Codeunit, Codeunit::\"Global Triggers\", 'OnDatabase{op}', '', "
            "false, false)]",
            f"    local procedure OnDatabase{op}({params})",
            "    begin",
            f"        FailInChildSession(RecRef, {al_string(op.lower())});",
            "    end;",
        ]
    lines += [
        "",
        "    local procedure FailInChildSession(RecRef: RecordRef; Operation: Text)",
        "    begin",
        "        if Session.CurrentClientType() <> ClientType::ChildSession then",
        "            exit;",
        "        if RecRef.IsTemporary() then",
        "            exit;",
        "        Error(WriteInChildSessionErr, Operation, RecRef.Number(), RecRef.Name());",
        "    end;",
        "}",
    ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- test codeunits


def _places(label: str, locs: Iterable[SourceLocation]) -> str:
    items = [where(loc) for loc in locs]
    return f"{label} {', '.join(items)}" if items else ""


def test_codeunit(plan: ShimPlan, site: SitePlan) -> str:
    tests = manifest_tests(site)
    by_method = {t.method: t for t in tests}
    at = where(site.site)
    out: list[str] = [
        f"{GENERATED_MARK}: runtime checks of one page background task. Edit FillParameters (and RunTask if",
        "// the page needs a record or setup to open); regenerating overwrites this file, so commit it and",
        "// review the diff.",
        f'// Enqueue site: {at} in {comment(site.page_display)}, task codeunit "{comment(site.task_name)}"'
        + (f" at {where(site.task_location)}." if site.task_location is not None
           else " (not in the analyzed sources).")
    ]
    out.extend(f"using {ns};" for ns in site.usings)
    if site.usings:
        out.append("")
    out += [
        f'codeunit {site.codeunit_id} "{site.codeunit_name}"',
        "{",
        "    Subtype = Test;",
        "    TestPermissions = Disabled;",
        "",
    ]
    if site.result_keys:
        out += ["    var", '        Assert: Codeunit "Library Assert";', ""]
    out += _task_runs(site, at)
    if site.result_keys:
        out += _result_keys(site, at)
    for test in tests:
        if test.kind == "missing-parameter":
            key = next(k for k in site.parameter_keys if k.key == test.parameter_key)
            out += _missing(at, key, by_method[test.method])
    out += _fill(site)
    out += _run_task(site)
    out.append("}")
    return "\n".join(out) + "\n"


def _test_procedure(comments: list[str], method: str, before: Sequence[str] = (), after: Sequence[str] = ()
                    ) -> list[str]:
    """A [Test] procedure: its comment lines; fill the parameters, ``before``, run the task, ``after``."""
    return [
        *comments,
        "    [Test]",
        f"    procedure {method}()",
        "    var",
        "        Parameters: Dictionary of [Text, Text];",
        "        Results: Dictionary of [Text, Text];",
        "    begin",
        "        FillParameters(Parameters);",
        *before,
        "        RunTask(Parameters, Results);",
        *after,
        "    end;",
        "",
    ]


def _task_runs(site: SitePlan, at: str) -> list[str]:
    return _test_procedure([
        f"    // {rules_text(TASK_RUNS_RULES)}: the task of the enqueue site at {at} runs in a child session",
        "    // without an error: no database write (the write guard names PBT0001), commit, lock or UI.",
    ], TASK_RUNS_METHOD)


def _result_keys(site: SitePlan, at: str) -> list[str]:
    checks = []
    for key in site.result_keys:
        reads = ", ".join(where(loc) for loc in key.reads)
        message = (f"{'/'.join(RESULT_KEYS_RULES)} {at}: the completion trigger reads result key '{key.key}' "
                   f"(at {reads}), which task codeunit \"{site.task_name}\" did not set")
        checks.append(f"        Assert.IsTrue(Results.ContainsKey({al_string(key.key)}), {al_string(message)});")
    return _test_procedure([
        f"    // {rules_text(RESULT_KEYS_RULES)}: every result key the completion trigger reads for the task",
        f"    // enqueued at {at} is set by the task.",
    ], RESULT_KEYS_METHOD, after=checks)


def _missing(at: str, key: KeyUse, test: ShimTest) -> list[str]:
    read = _places("read at", key.reads) or "not read by a constant key the analysis saw"
    passed = _places("passed at", key.passes) or ("" if key.passed else "the enqueue site does not pass it")
    return _test_procedure([
        f"    // {rules_text(MISSING_PARAMETER_RULES)}: the task of the enqueue site at {at} copes when parameter",
        f"    // {comment(al_string(key.key))} is missing ({comment(read)}{'; ' + comment(passed) if passed else ''}).",
    ], test.method, before=[f"        if Parameters.Remove({al_string(key.key)}) then;"])


def _fill(site: SitePlan) -> list[str]:
    out = [
        "    // EDIT: values for which the task has real work to do. The values below are placeholders ('');",
        "    // the keys are every key the task reads and the enqueue site passes.",
    ]
    if not site.task_in_sources:
        out.append("    // The task codeunit is not in the analyzed sources: these are the keys the enqueue site")
        out.append("    // passes; add any other key the task reads.")
    if not site.keys_complete:
        out.append("    // The enqueue site also passes keys the analysis could not read as constants: add them here.")
    out += [
        "    local procedure FillParameters(var Parameters: Dictionary of [Text, Text])",
        "    begin",
    ]
    if not site.parameter_keys:
        out.append("        // No parameter key known: neither the task nor the enqueue site uses one pbtlint saw.")
    for key in site.parameter_keys:
        passed = _places("passed at", key.passes) or ("" if key.passed else "the enqueue site does not pass it")
        notes = [p for p in (_places("read at", key.reads), passed) if p]
        note = f" // EDIT placeholder; {comment('; '.join(notes))}" if notes else " // EDIT placeholder"
        out.append(f"        Parameters.Set({al_string(key.key)}, '');{note}")
    out += ["    end;", ""]
    return out


def _run_task(site: SitePlan) -> list[str]:
    return [
        "    // Opens the page the task is enqueued on and runs the task codeunit in a child session, as the page",
        "    // would. EDIT if the page needs a record or setup data to open.",
        "    local procedure RunTask(var Parameters: Dictionary of [Text, Text]; "
        "var Results: Dictionary of [Text, Text])",
        "    var",
        f"        TestPage: TestPage {site.page_ref};",
        "    begin",
        "        TestPage.OpenView();",
        f"        Results := TestPage.RunPageBackgroundTask({site.task_ref}, Parameters);",
        "        TestPage.Close();",
        "    end;",
    ]


# --------------------------------------------------------------------------- all files


def render(plan: ShimPlan) -> dict[str, str]:
    """Every file of the test app: relative path (with ``/``) -> text."""
    files = {
        "app.json": app_json(plan),
        GUARD_FILE: write_guard(plan),
        MANIFEST_NAME: build_manifest(plan).to_json(),
        "README.md": render_readme(plan),
    }
    for site in plan.sites:
        files[site.file_name] = test_codeunit(plan, site)
    return files


# --------------------------------------------------------------------------- README


def render_readme(plan: ShimPlan) -> str:
    app = plan.app
    start, end = plan.id_range
    lines = [
        f"# {plan.test_app_name}",
        "",
        f"Generated by `pbtlint shim` from the app \"{app.name}\" ({app.publisher}, {app.version}). It checks at run "
        "time, in a Business Central test container, what pbtlint checks statically about the app's page "
        "background tasks. Nothing in this folder has been compiled or run by pbtlint: it parses with pbtlint's "
        "own AL parser, and that is all that was verified when it was generated.",
        "",
        "## What is here",
        "",
        f"- `app.json`: the test app (id `{plan.test_app_id}`, derived from the analyzed app's id; object ids "
        f"{start}..{end}). It depends on the analyzed app, on that app's own dependencies, and on Microsoft's "
        "\"Library Assert\".",
        f"- `{GUARD_FILE}`: codeunit {plan.guard_id} \"{GUARD_NAME}\". It subscribes to the \"Global Triggers\" "
        "database events and fails any non-temporary insert, modify, delete or rename made in a child session "
        "(where page background tasks run) with an error naming the table, the operation and PBT0001. It is "
        "active in every session of the tenant where this app is installed: install the app in test containers "
        "only.",
        "- One test codeunit per enqueue site (and task codeunit it runs):",
        "",
        "| Codeunit | Enqueue site | In | TestPage | Task codeunit | Tests |",
        "|---|---|---|---|---|---|",
    ]
    for site in plan.sites:
        methods = ", ".join(f"`{t.method}`" for t in manifest_tests(site))
        lines.append(f"| {site.codeunit_id} \"{site.codeunit_name}\" (`{site.file_name}`) | `{where(site.site)}` | "
                     f"{site.page_display} | {site.page_ref} | \"{site.task_name}\" | {methods} |")
    lines += [
        "",
        f"- `{MANIFEST_NAME}`: which test verifies which rule ids at which place of the analyzed app (paths "
        "relative to the folder that was analyzed). `pbtlint shim import` reads it.",
        "",
        "Each test codeunit has:",
        "",
        f"- `{TASK_RUNS_METHOD}` ({rules_text(TASK_RUNS_RULES)}): runs the task codeunit with "
        "`TestPage.RunPageBackgroundTask`, in a child session; any error fails the test: a database write (the "
        "write guard's PBT0001 error, or the runtime's permission error), a commit, a lock, UI.",
        f"- `{RESULT_KEYS_METHOD}` ({rules_text(RESULT_KEYS_RULES)}), when the page's completion trigger reads "
        "constant result keys for this task: asserts that each is in the results the task set.",
        f"- `MissingParam<Key>` ({rules_text(MISSING_PARAMETER_RULES)}), one per parameter key: runs the task "
        "without that key and expects it to cope (no error).",
        "",
    ]
    if plan.skipped:
        lines += ["## Enqueue sites without a test", "",
                  "The task codeunit of these sites is not known, so no test could be generated for them:", ""]
        for s in plan.skipped:
            lines.append(f"- `{where(s.site)}` in {s.page_display}: {s.reason}.")
        lines.append("")
    lines += [
        "## What to edit",
        "",
        "- `FillParameters` in each test codeunit: the parameter values are placeholders (`''`). Put values for "
        "which the task has real work to do (a record that exists in the test company).",
        "- `RunTask`, when the page needs a record or setup data before it can open.",
        "- Regenerating (`pbtlint shim`) overwrites every generated file, your edits included: commit this folder "
        "and review the diff after regenerating. The output is deterministic, so the diff shows only what changed.",
        "",
        "## Add it to the workspace and run it",
        "",
        "With AL-Go for GitHub: put this folder in the repository and list it in the project's "
        "`.AL-Go/settings.json` under `testFolders` (for example `\"testFolders\": [\"pbt-shim\"]`). The CI/CD "
        "workflow builds it, publishes it after the app and runs its tests; the test results are in the "
        "workflow's test results artifact (XUnit XML).",
        "",
        "With BcContainerHelper, in a container created with the test toolkit (`-includeTestToolkit` or "
        "`-includeTestLibrariesOnly`, which bring \"Library Assert\"), after publishing the analyzed app:",
        "",
        "```powershell",
        "Compile-AppInBcContainer -containerName bcserver -credential $credential -appProjectFolder <this folder> "
        "-appOutputFolder <this folder>\\output",
        "Publish-BcContainerApp -containerName bcserver -appFile <the .app file in output> -skipVerification "
        "-sync -install",
        f"Run-TestsInBcContainer -containerName bcserver -credential $credential -extensionId {plan.test_app_id} "
        "-detailed -XUnitResultFileName C:\\ProgramData\\BcContainerHelper\\results.xml",
        "```",
        "",
        "Then bring the results back to the static findings:",
        "",
        "```sh",
        "pbtlint check <analyzed folder> --format sarif -o pbtlint.sarif",
        f"pbtlint shim import results.xml --manifest <this folder>/{MANIFEST_NAME} --sarif pbtlint.sarif "
        "-o merged.sarif",
        "```",
        "",
        "The manifest's paths are relative to the analyzed folder and the SARIF file's to the folder `pbtlint "
        "check` ran in; the importer matches a place when one path ends with the other.",
        "",
    ]
    return "\n".join(lines)
