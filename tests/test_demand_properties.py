"""Property tests: on generated apps, demand-driven analysis reports exactly what a full parse reports,
cold and in the run after an edit in place.

Each app has a page that enqueues a task codeunit (by name or by an id a function returns; from a
trigger or a page procedure; with keys a page procedure may add; keeping the task id or not), helper
codeunits whose procedures call each other in the ways the closure and the audit must follow (a
codeunit variable, a factory function that returns the codeunit or an interface it implements,
``Codeunit.Run`` by name or id, a try function, an integration event and its subscriber, a record write
or ``Validate`` whose trigger or event subscriber calls on), writes, locks, commits, UI, guarded and
unguarded parameter lookups, and a codeunit that nothing reaches but that calls the helpers too (its
calls decide whether a lookup sits only under try functions). Some files may sit in a dependency's
sources (``--source-root``).

Profiles as in tests/test_properties.py: ``ci`` (derandomized, 100 examples) and ``explore``
(``PBTLINT_HYPOTHESIS_PROFILE=explore``, 300 random examples).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pbtlint import demand
from pbtlint.runner import analyze

_CHECKS = [HealthCheck.too_slow, HealthCheck.data_too_large]
PROFILE = {  # not registered: tests/test_properties.py registers its own under these names
    "ci": settings(derandomize=True, max_examples=100, deadline=None, database=None, suppress_health_check=_CHECKS),
    "explore": settings(max_examples=300, deadline=None, database=None, suppress_health_check=_CHECKS),
}[os.environ.get("PBTLINT_HYPOTHESIS_PROFILE", "ci")]

HELPERS = 4  # codeunits "Helper 1".."Helper 4", ids 50201..50204: P1, P2, TryP and Work generated, Read and Fill
# drawn from a few forms, the event OnGen


@dataclass
class Body:
    """The statements of one procedure and the local variables they need."""

    lines: list[str] = field(default_factory=list)
    vars: dict[str, str] = field(default_factory=dict)

    def text(self, indent: str = "    ") -> str:
        out = []
        if self.vars:
            out.append(f"{indent}var")
            out.extend(f"{indent}    {name}: {type_};" for name, type_ in self.vars.items())
        out.append(f"{indent}begin")
        out.extend(f"{indent}    {line}" for line in self.lines)
        out.append(f"{indent}end;")
        return "\n".join(out)


def _helper_name(i: int) -> str:
    return f'"Helper {i}"'


def _through_helper(i: int, statement: str, indent: str = "    ") -> str:
    """A body that does ``statement`` with helper ``i`` in a local ``H``."""
    return Body([statement], {"H": f"Codeunit {_helper_name(i)}"}).text(indent)


statement_kinds = st.sampled_from([
    "call", "factory", "interface", "run", "run-id", "insert", "insert-temp", "modify", "validate", "lock",
    "commit", "message", "guarded-message", "get", "get-guarded", "try", "publish", "set-result",
    "global-call", "global-temp-insert", "gui-alias-set", "gui-alias-use", "id-set", "id-run", "pass-parameters",
    "fill-results",
])
GLOBALS = """    var
        GHelper: Codeunit {helper};
        GTemp: Record "Gen Entry" temporary;
        IsGui: Boolean;
        CuId: Integer;
"""
"""The globals of every codeunit whose bodies are generated: a codeunit, a temporary record, a Boolean
that may alias GuiAllowed() and an Integer that may hold a codeunit id."""


@st.composite
def statements(draw: st.DrawFn, owner: int | None) -> Body:
    """A procedure body of one to four statements (``owner``: the helper it belongs to, None for the task)."""
    body = Body()
    for kind in draw(st.lists(statement_kinds, min_size=1, max_size=4)):
        target = draw(st.integers(1, HELPERS))
        proc = draw(st.sampled_from(["P1", "P2"]))
        if kind == "call":
            body.vars[f"H{target}"] = f"Codeunit {_helper_name(target)}"
            body.lines.append(f"H{target}.{proc}();")
        elif kind == "factory":
            body.vars["Factory"] = 'Codeunit "Helper Factory"'
            body.lines.append(f"Factory.Helper{target}().{proc}();")
        elif kind == "interface":
            body.vars["Factory"] = 'Codeunit "Helper Factory"'
            body.vars["Worker"] = 'Interface "Gen Worker"'
            body.lines.append(f"Worker := Factory.Worker{target}();")
            body.lines.append("Worker.Work();")
        elif kind == "run":
            body.lines.append(f"Codeunit.Run(Codeunit::{_helper_name(target)});")
        elif kind == "run-id":
            body.lines.append(f"Codeunit.Run({50200 + target});")
        elif kind == "validate":
            body.vars["Entry"] = 'Record "Gen Entry"'
            body.lines.append("Entry.Validate(Code, 'x');")
        elif kind == "publish":
            body.vars[f"H{target}"] = f"Codeunit {_helper_name(target)}"
            body.lines.append(f"H{target}.OnGen();")
        elif kind in ("insert", "insert-temp", "modify"):
            name = "TempEntry" if kind == "insert-temp" else "Entry"
            body.vars[name] = 'Record "Gen Entry"' + (" temporary" if kind == "insert-temp" else "")
            body.lines.append(f"{name}.Init();")
            body.lines.append(f"{name}.Insert(true);" if kind != "modify" else f"{name}.Modify(true);")
        elif kind == "lock":
            body.vars["Entry"] = 'Record "Gen Entry"'
            body.lines.append("Entry.LockTable();")
        elif kind == "commit":
            body.lines.append("Commit();")
        elif kind == "message":
            body.lines.append("Message('m');")
        elif kind == "guarded-message":
            body.lines.append("if GuiAllowed() then Message('g');")
        elif kind in ("get", "get-guarded"):
            body.vars["Parameters"] = "Dictionary of [Text, Text]"
            body.vars["Value"] = "Text"
            key = draw(st.sampled_from(["A", "B"]))
            body.lines.append("Parameters := Page.GetBackgroundParameters();")
            body.lines.append(f"if Parameters.ContainsKey('{key}') then Value := Parameters.Get('{key}');"
                              if kind == "get-guarded" else f"Value := Parameters.Get('{key}');")
        elif kind == "try" and owner is not None:
            body.lines.append("if TryP() then;")
        elif kind == "set-result":
            body.vars["Results"] = "Dictionary of [Text, Text]"
            body.lines.append("Results.Add('R', 'r');")
            body.lines.append("Page.SetBackgroundTaskResult(Results);")
        elif kind == "global-call":
            body.lines.append(f"GHelper.{proc}();")
        elif kind == "global-temp-insert":
            body.lines.append("GTemp.Init();")
            body.lines.append("GTemp.Insert(true);")
        elif kind == "gui-alias-set":
            body.lines.append(draw(st.sampled_from(["IsGui := GuiAllowed();", "IsGui := true;"])))
        elif kind == "gui-alias-use":
            body.lines.append("if IsGui then Message('a');")
        elif kind == "id-set":
            body.lines.append(f"CuId := {50200 + target};")
        elif kind == "id-run":
            body.lines.append("Codeunit.Run(CuId);")
        elif kind == "pass-parameters":
            body.vars["Parameters"] = "Dictionary of [Text, Text]"
            body.vars[f"H{target}"] = f"Codeunit {_helper_name(target)}"
            body.lines.append("Parameters := Page.GetBackgroundParameters();")
            body.lines.append(f"H{target}.Read(Parameters);")
        elif kind == "fill-results":
            body.vars["Results"] = "Dictionary of [Text, Text]"
            body.vars[f"H{target}"] = f"Codeunit {_helper_name(target)}"
            body.lines.append(f"H{target}.Fill(Results);")
            body.lines.append("Page.SetBackgroundTaskResult(Results);")
    if not body.lines:
        body.lines.append("Message('m');")
    return body


@st.composite
def apps(draw: st.DrawFn) -> dict[str, str]:
    """The files of one generated app, by name."""
    files: dict[str, str] = {}
    keys = draw(st.lists(st.sampled_from(["A", "B"]), max_size=2, unique=True))
    adds = "".join(f"        Parameters.Add('{k}', '{k}');\n" for k in keys)
    if draw(st.booleans()):  # a page procedure adds a key: foreground code, followed for its values only
        adds += "        AddKeys(Parameters);\n"
    completed = "        if CompletedTaskId <> TaskId then\n            exit;\n" if draw(st.booleans()) else ""
    completed += draw(st.sampled_from([
        "", "        Message(Results.Get('R'));\n",
        "        if Results.ContainsKey('R') then\n            Message(Results.Get('R'));\n",
        "        ShowResults(Results);\n"]))
    task = draw(st.sampled_from(['Codeunit::"Gen Task"', "TaskCodeunit()"]))
    task_id = draw(st.sampled_from(["TaskId", "LocalId"]))  # a task id kept in a local is never compared
    enqueue = f"""    var
        Parameters: Dictionary of [Text, Text];
        LocalId: Integer;
    begin
{adds}        CurrPage.EnqueueBackgroundTask({task_id}, {task}, Parameters);
    end;"""
    trigger = draw(st.sampled_from(["OnAfterGetCurrRecord", "OnOpenPage", "StartTask"]))
    if trigger == "StartTask":  # enqueued from a page procedure the trigger calls
        enqueuing = f"""    trigger OnAfterGetCurrRecord()
    begin
        StartTask();
    end;

    local procedure StartTask()
{enqueue}"""
    else:
        enqueuing = f"""    trigger {trigger}()
{enqueue}"""
    added = draw(st.sampled_from(["A", "B", "C"]))
    files["GenPage.Page.al"] = f"""page 50100 "Gen Page"
{{
    PageType = CardPart;

    var
        TaskId: Integer;

{enqueuing}

    local procedure AddKeys(var P: Dictionary of [Text, Text])
    var
        Entry: Record "Gen Entry";
    begin
        P.Add('{added}', '{added}');
        Entry.Insert();
    end;

    local procedure TaskCodeunit(): Integer
    begin
        exit(Codeunit::"Gen Task");
    end;

    local procedure ShowResults(R: Dictionary of [Text, Text])
    begin
        Message(R.Get('R'));
    end;

    trigger OnPageBackgroundTaskCompleted(CompletedTaskId: Integer; Results: Dictionary of [Text, Text])
    begin
{completed}        Message('done');
    end;
}}
"""
    files["GenTask.Codeunit.al"] = f"""codeunit 50150 "Gen Task"
{{
{GLOBALS.format(helper=_helper_name(draw(st.integers(1, HELPERS))))}
    trigger OnRun()
{draw(statements(None)).text()}
}}
"""
    for i in range(1, HELPERS + 1):
        procs = "\n\n".join(f"{attribute}    procedure {name}()\n{draw(statements(i)).text()}"
                              for name, attribute in (("P1", ""), ("P2", ""), ("TryP", "    [TryFunction]\n"),
                                                      ("Work", "")))
        read = draw(st.sampled_from(["if Params.ContainsKey('A') then Value := Params.Get('A');",
                                     "Value := Params.Get('A');", "Value := Params.Get('B');"]))
        fill = draw(st.sampled_from(["Res.Add('R', 'r');", "Res.Add('S', 's');"]))
        files[f"Helper{i}.Codeunit.al"] = f"""codeunit {50200 + i} {_helper_name(i)} implements "Gen Worker"
{{
{GLOBALS.format(helper=_helper_name(draw(st.integers(1, HELPERS))))}
    procedure Read(Params: Dictionary of [Text, Text])
    var
        Value: Text;
    begin
        {read}
    end;

    procedure Fill(var Res: Dictionary of [Text, Text])
    begin
        {fill}
    end;

    trigger OnRun()
    begin
        P1();
    end;

    [IntegrationEvent(false, false)]
    procedure OnGen()
    begin
    end;

{procs}
}}
"""
    getters = []  # a helper as its codeunit, and as the interface it implements
    for i in range(1, HELPERS + 1):
        for function, returned in (("Helper", f"Codeunit {_helper_name(i)}"), ("Worker", 'Interface "Gen Worker"')):
            getters.append(f"    procedure {function}{i}(): {returned}\n{_through_helper(i, 'exit(H);')}")
    functions = "\n\n".join(getters)
    files["HelperFactory.Codeunit.al"] = f"""codeunit 50190 "Helper Factory"
{{
{functions}
}}
"""
    files["GenWorker.Interface.al"] = """interface "Gen Worker"
{
    procedure Work();
}
"""
    trigger_call, validate_call = draw(st.integers(1, HELPERS)), draw(st.integers(1, HELPERS))
    files["GenEntry.Table.al"] = f"""table 50300 "Gen Entry"
{{
    fields
    {{
        field(1; "Entry No."; Integer) {{ }}
        field(2; Code; Code[20])
        {{
            trigger OnValidate()
{_through_helper(validate_call, "H.P1();", " " * 12)}
        }}
    }}

    trigger OnInsert()
{_through_helper(trigger_call, "H.P2();")}
}}
"""
    subscriber_call = draw(st.integers(1, HELPERS))
    files["GenSubscriber.Codeunit.al"] = f"""codeunit 50310 "Gen Subscriber"
{{
    [EventSubscriber(ObjectType::Table, Database::"Gen Entry", 'OnAfterModifyEvent', '', false, false)]
    local procedure OnAfterModify(var Rec: Record "Gen Entry")
{_through_helper(subscriber_call, "H.P1();")}
}}
"""
    published, called = draw(st.integers(1, HELPERS)), draw(st.integers(1, HELPERS))
    files["GenEventSubscriber.Codeunit.al"] = f"""codeunit 50320 "Gen Event Subscriber"
{{
    [EventSubscriber(ObjectType::Codeunit, Codeunit::{_helper_name(published)}, 'OnGen', '', false, false)]
    local procedure OnGen()
{_through_helper(called, "H.P2();")}
}}
"""
    files["Unreached.Codeunit.al"] = f"""codeunit 50400 "Unreached Caller"
{{
{GLOBALS.format(helper=_helper_name(draw(st.integers(1, HELPERS))))}
    procedure Elsewhere()
{draw(statements(None)).text()}
}}
"""
    return files


DEPENDENCY_FILES = ["Helper1.Codeunit.al", "Helper2.Codeunit.al", "HelperFactory.Codeunit.al", "GenWorker.Interface.al",
                    "GenEntry.Table.al", "GenSubscriber.Codeunit.al", "GenEventSubscriber.Codeunit.al",
                    "Unreached.Codeunit.al"]
"""Files a test may move into a dependency's sources."""


def _write(app: Path, files: dict[str, str], name: str = "Generated") -> None:
    (app / "app.json").write_text(json.dumps(
        {"id": "5d1e2c3b-0000-4000-8000-00000000a7e1" if name == "Generated" else "5d1e2c3b-0000-4000-8000-00000000a7e2",
         "name": name, "publisher": "pbtlint tests", "version": "1.0.0.0"}), encoding="utf-8")
    for name, text in files.items():
        (app / name).write_text(text, encoding="utf-8")


@settings(PROFILE)
@given(apps(), st.sets(st.sampled_from(DEPENDENCY_FILES)))
def test_demand_driven_analysis_reports_what_a_full_parse_reports(files: dict[str, str], apart: set[str]) -> None:
    """``apart``: files that live in a dependency's sources (``--source-root``, as the Base Application
    for an extension), whose code calls are followed into but whose own findings are not reported."""
    with tempfile.TemporaryDirectory() as tmp:
        app, dependency = Path(tmp) / "app", Path(tmp) / "dependency"
        app.mkdir()
        dependency.mkdir()
        _write(app, {name: text for name, text in files.items() if name not in apart})
        _write(dependency, {name: text for name, text in files.items() if name in apart}, "Generated Dependency")
        full = analyze([app], extra_roots=[dependency])
        assert not [f for f in full.findings if f.rule_id == "PBT0000"], full.findings  # the generator writes valid AL
        assert demand.analyze_demand([app], (), [dependency], cache_dir=Path(tmp) / "cache").findings == full.findings


def test_generated_apps_are_not_vacuous() -> None:
    """The generator's apps give findings of ten rules (a property over silent apps tests nothing)."""
    seen: set[str] = set()

    @settings(PROFILE)
    @given(apps())
    def collect(files: dict[str, str]) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            app = Path(tmp)
            _write(app, files)
            seen.update(f.rule_id for f in analyze([app]).findings)

    collect()
    assert {"PBT0001", "PBT0002", "PBT0003", "PBT0004", "PBT0010", "PBT0012", "PBT0020", "PBT0021", "PBT0022",
            "PBT0032"} <= seen, seen


EDITS = ["// edited", "Commit();", "Message('e');", "if IsGui then Message('e');", "IsGui := GuiAllowed();",
         "IsGui := false;", "CuId := 50203;", "Codeunit.Run(CuId);", "GHelper.P2();", "GTemp.Insert();"]
"""What an edit appends to a ``begin`` line: each needs only the globals every generated codeunit has."""


@st.composite
def edited_apps(draw: st.DrawFn) -> tuple[dict[str, str], dict[str, str]]:
    """A generated app, and the same app with a comment or a statement added to one body of a codeunit
    that has the generated globals (the task, a helper or the unreached caller): appended to its
    ``begin`` line (no line moves), on a line of its own after it, or appended with a comment line
    added above the procedure (the lines below move); some files (any) may also get a licence comment
    line added at the top, as a change to many files at once does."""
    files = draw(apps())
    name = draw(st.sampled_from(sorted(n for n, text in files.items() if "GHelper: Codeunit" in text)))
    lines = files[name].split("\n")
    begins = [i for i, line in enumerate(lines) if line.strip() == "begin"]
    at = draw(st.sampled_from(begins))
    edit = draw(st.sampled_from(EDITS))
    where = draw(st.sampled_from(["same line", "own line", "line above"]))
    if where == "own line":
        lines.insert(at + 1, "        " + edit)
    else:
        lines[at] += " " + edit
        if where == "line above":
            header = max(i for i in range(at) if lines[i].strip().startswith(("procedure", "trigger", "local")))
            lines.insert(header, "    // a line added above")
    edited = {**files, name: "\n".join(lines)}
    for other in draw(st.sets(st.sampled_from(sorted(files)), max_size=3)):
        edited[other] = "// Copyright (c) the authors\n" + edited[other]
    return files, edited


@settings(PROFILE)
@given(edited_apps())
def test_after_an_edit_the_next_run_reports_what_a_full_parse_reports(pair: tuple[dict[str, str], dict[str, str]]
                                                                      ) -> None:
    """The run after an edit reuses what it can of the previous one (its result, its choice of files and
    bodies, its text lookups): what it reports must still be the full parse's."""
    before, after = pair
    with tempfile.TemporaryDirectory() as tmp:
        app, cache = Path(tmp) / "app", Path(tmp) / "cache"
        app.mkdir()
        _write(app, before)
        assert demand.analyze_demand([app], cache_dir=cache).findings == analyze([app]).findings
        for name, text in after.items():
            if before[name] != text:
                (app / name).write_text(text, encoding="utf-8")
        full = analyze([app])
        assert not [f for f in full.findings if f.rule_id == "PBT0000"], full.findings
        assert demand.analyze_demand([app], cache_dir=cache).findings == full.findings
        assert demand.last_stats is not None and demand.last_stats.path != "warm"
