"""Demand-driven analysis in batches and processes: how bodies and files are batched and sent, the walk
gate, and what each process does meanwhile; the findings stay those of a full parse."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from demand_apps import APP_DIRS, CASES, FIXTURES, demand_app, demand_app_with_a_page_procedure, edit_one, replace_once

from pbtlint import demand, demand_files, demand_work, parallel
from pbtlint.cache import Cache
from pbtlint.runner import analyze


def test_a_body_asked_for_twice_in_one_batch_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fixpoint may ask for a body in two roles before it is parsed (read for a codeunit id, then
    reached): one parse, and the statistic counts it once."""
    import pbtlint.demand_run as demand_run

    asked: list[list[tuple[str, int]]] = []
    closure = demand_run.Closure

    def recording(files, indexes, parse, mentioned, bodies=None, *args, **kwargs):  # type: ignore[no-untyped-def]
        def parse_bodies(items):  # type: ignore[no-untyped-def]
            asked.append([(str(key), proc.lines[0]) for key, proc in items])
            return bodies(items)
        return closure(files, indexes, parse, mentioned, parse_bodies if bodies else None, *args, **kwargs)

    monkeypatch.setattr(demand_run, "Closure", recording)
    demand.analyze_demand([FIXTURES / "demand" / "cases" / "codeunit-id-from-function"], use_cache=False)
    assert any(len(batch) > len(set(batch)) for batch in asked)  # the case asks for one body twice
    assert demand.last_stats is not None
    assert demand.last_stats.bodies == sum(len(set(batch)) for batch in asked)


@pytest.mark.parametrize("gate", ["1", "0"])
def test_the_walk_gate_leaves_out_what_a_temporary_record_makes_dead(
        gate: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The task inserts into a temporary buffer whose insert subscriber exits for a temporary record:
    the walk gate (the default) follows the subscriber but not what it calls after the exit, which the
    fixpoint by name alone (PBTLINT_WALK_GATE=0) parses; both give the full parse's findings."""
    monkeypatch.setenv("PBTLINT_WALK_GATE", gate)
    app = FIXTURES / "demand" / "cases" / "temporary-insert-subscriber-exits"
    assert demand.analyze_demand([app], cache_dir=tmp_path).findings == analyze([app]).findings
    run = Cache(tmp_path).latest_run()
    parsed = {Path(p).name for p in run["parsed"]}
    bodied = {Path(p).name for p in run["bodied"]}
    assert "SalesBufferSubscriber.Codeunit.al" in bodied
    assert ("SalesBufferArchive.Codeunit.al" in bodied) == (gate == "0")
    assert ("SalesBufferLog.Table.al" in parsed) == (gate == "0")
    allowed = {Path(p).name for p, _ in run["allowed"][0]}
    assert ("SalesBufferSubscriber.Codeunit.al" in allowed) == (gate == "1")  # kept for the next run's gate


@pytest.mark.parametrize("app_dir", CASES, ids=[p.name for p in CASES])
def test_same_findings_without_the_walk_gate(app_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fixpoint by name alone (the walk gate off) still chooses enough for the full parse's findings."""
    monkeypatch.setenv("PBTLINT_WALK_GATE", "0")
    assert demand.analyze_demand([app_dir], use_cache=False).findings == analyze([app_dir]).findings


def test_an_edit_that_opens_what_the_walk_gate_held(tmp_path: Path) -> None:
    """An edit of a condition only (the procedures' summaries stay the same): the insert subscriber now
    goes on for a temporary record, so the walk reaches what the gate held before; the run finds what
    a full parse finds (the archive's insert and commit run in the background)."""
    copy = tmp_path / "src"
    shutil.copytree(FIXTURES / "demand" / "cases" / "temporary-insert-subscriber-exits", copy)
    assert not demand.analyze_demand([copy], cache_dir=tmp_path / "cache").findings
    subscriber = copy / "SalesBufferSubscriber.Codeunit.al"
    subscriber.write_text(subscriber.read_text(encoding="utf-8").replace("if Rec.IsTemporary()", "if not Rec.IsTemporary()"),
                          encoding="utf-8")
    again = demand.analyze_demand([copy], cache_dir=tmp_path / "cache")
    assert again.findings == analyze([copy]).findings
    assert {f.rule_id for f in again.findings} >= {"PBT0001", "PBT0002"}


def test_the_rules_run_on_the_project_the_gate_s_last_check_built(monkeypatch: pytest.MonkeyPatch) -> None:
    """The gated closure ends on a walk over a project built afresh from the files it chose: the rules
    run on that project rather than on one built again (the full parse's findings either way)."""
    from pbtlint import demand_run, walk_planner

    checked: list[object] = []
    fresh = walk_planner.fresh_reach

    def counted(units: list) -> tuple:
        project, keys = fresh(units)
        checked.append(project)
        return project, keys

    ruled: list[object] = []
    run_rules = demand_run.run_rules

    def noted(context: object, rules: list) -> object:
        ruled.append(context.project)  # type: ignore[attr-defined]
        return run_rules(context, rules)  # type: ignore[arg-type]

    monkeypatch.setattr(demand_run, "fresh_reach", counted)
    monkeypatch.setattr(demand_run, "run_rules", noted)
    monkeypatch.setattr(demand_run, "build_project", lambda units: pytest.fail("the model was built again"))
    app = FIXTURES / "demand" / "cases" / "temporary-insert-subscriber-exits"
    assert demand.analyze_demand([app], use_cache=False).findings == analyze([app]).findings
    assert checked and ruled == checked[-1:]


def test_a_body_the_walk_reads_while_left_out_is_read_in_the_same_closure(tmp_path: Path) -> None:
    """The walk between the gate's rounds reads a left-out body (a function that may alias
    ``GuiAllowed``): the closure reads it at once, as the audit would have it read in a second round,
    and keeps it with the run for the next closure."""
    app = FIXTURES / "demand" / "cases" / "gui-alias-two-levels"
    assert demand.analyze_demand([app], cache_dir=tmp_path).findings == analyze([app]).findings
    assert demand.last_stats is not None and demand.last_stats.rounds == 0
    bodies, _ = Cache(tmp_path).latest_run()["extra"][0]
    assert [(Path(p).name, line) for p, line in bodies] == [("StatusClient.Codeunit.al", 9)]


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_index_bundle_is_written_by_a_worker_when_there_is_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                    jobs: int) -> None:
    """With a worker, the first run's index bundle is written by it while the calling process analyzes;
    either way it is complete when the run returns, and the next run is warm."""
    copy, cache = demand_app(tmp_path)
    writers = tmp_path / "writers"
    save = demand_files.save_indexes

    def noted(*args: object) -> None:
        with open(writers, "a", encoding="utf-8") as f:
            f.write(f"{os.getpid()}\n")
        save(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(demand_files, "save_indexes", noted)
    first = demand.analyze_demand([copy], cache_dir=cache, jobs=jobs)
    assert demand_work.deferred_write is None
    (writer,) = writers.read_text().split()
    forks = jobs > 1 and parallel.can_fork()
    assert (int(writer) != os.getpid()) == forks
    assert len(Cache(cache).load_indexes()) == len(list(copy.rglob("*.al")))
    again = demand.analyze_demand([copy], cache_dir=cache, jobs=jobs)
    assert demand.last_stats is not None and demand.last_stats.path == "warm"
    assert again.findings == first.findings


def test_files_and_bodies_parsed_in_one_batch_change_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """When files and bodies both wait, the fixpoint parses them in one batch: on every fixture app it
    parses, follows and finds what it does with one batch of each (and some fixtures take that path)."""
    from pbtlint import closure_session

    merged: list[bool] = []
    real = demand_work.parse_file_or_bodies

    def counting(item: tuple[bool, object], in_worker: bool) -> tuple[bool, object]:
        merged.append(item[0])
        return real(item, in_worker)

    monkeypatch.setattr(demand_work, "parse_file_or_bodies", counting)

    def run(app: Path) -> tuple[object, ...]:
        result = demand.analyze_demand([app], use_cache=False)
        st = demand.last_stats
        assert st is not None
        return result.findings, st.parsed, st.bodies, st.parsed_lines, st.walked, st.followed

    together = {app: run(app) for app in APP_DIRS}
    assert True in merged and False in merged  # files and bodies went in one batch somewhere
    init = closure_session.Closure.__init__

    def apart(self: closure_session.Closure, *args: object, **kwargs: object) -> None:
        init(self, *args, **kwargs)  # type: ignore[arg-type]
        self.together = None

    monkeypatch.setattr(closure_session.Closure, "__init__", apart)
    merged.clear()
    for app in APP_DIRS:
        assert run(app) == together[app], app
    assert not merged


def test_bodies_parsed_here_are_pickled_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch of bodies parsed in the calling process is pickled once, for its cache entry (the pickle
    made to send it is that one), and the next run puts those bodies back from the cache."""
    import pickle

    from pbtlint import nodes as n

    app, cache = demand_app(tmp_path)
    real = pickle.dumps
    pickled: list[int] = []

    def counting(value: object, *args: object, **kwargs: object) -> bytes:
        if isinstance(value, list) and value and all(isinstance(b, n.Block) for b in value):
            pickled.append(id(value))
        return real(value, *args, **kwargs)

    monkeypatch.setattr(pickle, "dumps", counting)
    first = demand.analyze_demand([app], cache_dir=cache, jobs=1)
    assert demand.last_stats is not None and demand.last_stats.bodies > 0
    assert pickled and len(pickled) == len(set(pickled))  # each batch once
    monkeypatch.setattr(pickle, "dumps", real)
    edit_one(app)  # a re-run that loads the choice again, bodies with it
    again = demand.analyze_demand([app], cache_dir=cache, jobs=1)
    fresh = demand.analyze_demand([app], use_cache=False)
    assert again.findings == fresh.findings and first.findings


@pytest.mark.skipif(not parallel.can_fork(), reason="no fork on this platform: the index pass runs serially")
def test_a_large_index_pass_loads_the_analysis_meanwhile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With at least WARM_UP_FROM files to index and a worker, the index pass loads what the analysis
    uses (:func:`pbtlint.demand_run.warm_up`) while the worker indexes; below it, it does not. Either
    way the findings are the same."""
    from pbtlint import demand_run

    app, cache = demand_app(tmp_path)
    files = len(list(app.rglob("*.al")))
    assert files >= parallel.SERIAL_BELOW  # the index pass forks a worker
    warmed: list[int] = []
    real = demand_run.warm_up
    monkeypatch.setattr(demand_run, "warm_up", lambda: (warmed.append(1), real())[1])
    monkeypatch.setattr(demand, "WARM_UP_FROM", files)
    first = demand.analyze_demand([app], cache_dir=cache, jobs=2)
    assert warmed == [1]
    monkeypatch.setattr(demand, "WARM_UP_FROM", files + 1)
    again = demand.analyze_demand([app], cache_dir=tmp_path / "other", jobs=2)
    assert warmed == [1]
    assert first.findings == again.findings == demand.analyze_demand([app], use_cache=False).findings


@pytest.mark.parametrize(("file", "old", "new"), [
    ("DemandWorkerImpl.Codeunit.al", "Entry.DeleteAll();", "Entry.DeleteAll(false);"),  # same choice
    ("DemandHelper.Codeunit.al", "Commit();", "Commit(); NotCalled();"),  # the closure again
    ("Unrelated.Codeunit.al", "'not a background task'", "'Demand Page Refresh'"),  # it too, mentions changed
])
def test_a_run_keeps_the_lookups_it_did_not_make(tmp_path: Path, file: str, old: str, new: str) -> None:
    """Every mention lookup of the previous run is in the next run's record, those it made and those it
    did not (still true: updated for the changed files), so that a later run asking again scans nothing."""
    copy, cache = demand_app_with_a_page_procedure(tmp_path)
    demand.analyze_demand([copy], cache_dir=cache)
    before = Cache(cache).latest_run()["mentions"]
    unasked = ((("Not Looked Up", "page 50999"), ("Never",)),)  # one group; the next run does not ask it
    before[unasked] = []
    store = Cache(cache)
    (run,) = (p for p in (store.base / "run").glob("*.pickle"))
    key = run.stem
    record = store.get_run(key)
    record["mentions"] = before
    store.put_run(key, record)
    replace_once(copy / "src" / file, old, new)
    after = demand.analyze_demand([copy], cache_dir=cache)
    assert after.findings == analyze([copy]).findings
    kept = Cache(cache).latest_run()["mentions"]
    assert set(before) <= set(kept)
    assert kept[unasked] == []
