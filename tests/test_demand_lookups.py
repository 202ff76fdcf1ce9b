"""The text lookups of a demand-driven analysis (:mod:`pbtlint.demand_lookups`): what they find, and
what the run's record keeps of them and of the previous run's."""

from __future__ import annotations

from pathlib import Path

from pbtlint.demand_files import SourceFile
from pbtlint.demand_lookups import TextLookups
from pbtlint.replay import Choice

CALLER = """codeunit 50100 Caller
{
    procedure Run()
    var
        Helper: Codeunit Helper;
    begin
        Helper.Work();
        Counter := 1;
    end;
}
"""
OTHER = """codeunit 50101 Other
{
    procedure Work()
    begin
    end;
}
"""


def _files(tmp_path: Path) -> list[SourceFile]:
    out = []
    for name, text in (("Caller.Codeunit.al", CALLER), ("Other.Codeunit.al", OTHER)):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        out.append(SourceFile(path, name, ()))
    return out


def test_mentions_need_a_name_and_a_procedure_and_lines_are_noted(tmp_path: Path) -> None:
    caller, other = _files(tmp_path)
    look = TextLookups([caller, other], {f.path: f for f in (caller, other)}, 1, None, {})
    helper = (("Helper",), ("Work",))
    assert look.mentioned([helper]) == {caller.path}  # Other declares Work but never names Helper
    assert look.mentioned_each([helper, (("Other",), ("Nothing",))]) == [{caller.path}, set()]
    assert look.lines_naming(caller.path, "counter", True) == {8}
    mentions, lines = look.record(None)
    assert mentions == {(helper,): [str(caller.path)], ((("Other",), ("Nothing",)),): []}
    assert lines == {str(caller.path): {("counter", True): [8]}}


def test_the_record_keeps_the_previous_lookups_this_run_did_not_make(tmp_path: Path) -> None:
    caller, other = _files(tmp_path)
    asked = ((("Helper",), ("Work",)),)
    kept = ((("Gone",), ("Away",)),)
    known = {asked: {other.path}, kept: {other.path}}  # still true, says the previous run
    look = TextLookups([caller, other], {f.path: f for f in (caller, other)}, 1, None, known)
    assert look.lookup([asked]) == [{other.path}]  # known: not scanned again
    look.mentions[asked] = {caller.path}  # as if this run had found otherwise: its own answer wins
    choice = Choice((), frozenset(), frozenset(),
                    {asked: ["replayed"], ("only", "replayed"): ["x"]},
                    {str(caller.path): {("counter", None): [8]}, "elsewhere": {("n", True): [1]}})
    look.lines_naming(caller.path, "counter", True)
    mentions, lines = look.record(choice)
    assert mentions == {asked: [str(caller.path)], kept: [str(other.path)], ("only", "replayed"): ["x"]}
    assert lines == {str(caller.path): {("counter", None): [8], ("counter", True): [8]},
                     "elsewhere": {("n", True): [1]}}
