"""The analysis proper of a demand-driven run (:func:`pbtlint.demand.analyze_demand`), once the files are
indexed: for each app the closure, the model, the rules and the audit (see :mod:`pbtlint.demand`). Kept
apart so that a run that reuses its previous result imports none of it."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pickle
from collections.abc import Callable
from pathlib import Path

from pbtlint import audit, demand_audit, demand_files
from pbtlint import demand_work as work
from pbtlint import nodes as n
from pbtlint.analysis import AnalyzedProject, build_project
from pbtlint.audit import Extra
from pbtlint.cache import Cache, bodies_key
from pbtlint.closure_gate import GateKey, Plan
from pbtlint.closure_session import Closure
from pbtlint.declindex import FileIndex
from pbtlint.demand import timed
from pbtlint.demand_audit import Group
from pbtlint.demand_files import SourceFile
from pbtlint.demand_lookups import TextLookups
from pbtlint.demand_previous import extra_of, gate_keys_of
from pbtlint.dependency_roots import SeedText, closure_seeds
from pbtlint.elide import BodyKey, splice
from pbtlint.findings import SYNTAX_ERROR, Finding
from pbtlint.frontend import ParsedFile
from pbtlint.parallel import run_parallel, worker_pool
from pbtlint.pickling import fast_pickling
from pbtlint.project import Workspace
from pbtlint.replay import Choice
from pbtlint.rule import all_rules
from pbtlint.runner import AppResult, RuleContext, RunResult, concerns, project_plans, run_rules
from pbtlint.skeleton import BodySpan, body_nodes, keeping_reads, shown_as, unparsed_error
from pbtlint.summaries import ObjectSummary, ProcSummary
from pbtlint.walk_planner import WalkPlanner, fresh_reach, gate_keys, walk_within, walked_count

_MAX_ROUNDS = 8  # closures per app: the first, and those that add what an audit found missing


def _unpickled(result: tuple[bytes | None, object], keep: bool = True) -> tuple[bytes | None, object]:
    """A parse result as :func:`pbtlint.demand_work.ship` hands it back, with a worker's pickle loaded;
    the bytes are kept when ``keep`` (the bodies' cache entries are made of them; a file's the worker
    has cached already)."""
    data, payload = result
    if payload is None and data is not None:
        payload = pickle.loads(data)
    return data if keep else None, payload


def _tree_unpickled(result: tuple[bytes | None, object]) -> tuple[bytes | None, object]:
    return _unpickled(result, keep=False)


def _bodies_unpickled(result: tuple[tuple[bytes | None, object], list[object]]
                      ) -> tuple[tuple[bytes | None, object], list[object]]:
    return _unpickled(result[0]), result[1]


def _either_unpickled(result: tuple[bool, object]) -> tuple[bool, object]:
    is_bodies, inner = result
    return is_bodies, (_bodies_unpickled(inner) if is_bodies else _tree_unpickled(inner))  # type: ignore[arg-type]


_BYTES_PER_LINE = 40
"""A body's lines as bytes, to weigh bodies against files (by size) in one batch."""


def _mode_key(f: SourceFile, whole: bool) -> str:
    """The cache key of a file's parse: whole, or as a skeleton."""
    if not f.key:
        return ""
    return f.key if whole else f.key + "-s"


def warm_up() -> None:
    """Load what an analysis uses first: the parser's tables and networkx (the call graph's)."""
    import networkx  # noqa: F401 - imported here once, where pbtlint.callgraph would import it later

    from pbtlint.astparse import get_ast_parser

    get_ast_parser()


def analyze(workspace: Workspace, files: list[SourceFile], cache: Cache | None, jobs: int,
            choice: Choice | None = None, known: dict[tuple, set[Path]] | None = None,
            allowed_before: object = None, passed_before: object = None, extra_before: object = None,
            meanwhile: Callable[[], None] | None = None) -> tuple[RunResult, dict, dict[str, int]]:
    """Analyze every app of ``workspace`` (see :func:`_analyze_in`) with ``jobs`` processes: the result,
    the record the cache keeps of it, and what was done (counts for :class:`pbtlint.demand.Stats`).
    ``meanwhile`` (writing what the run learnt of the files: the index bundle of a first run, 0.3 s on
    the Base Application) is done once before it returns: by a worker while this process analyzes, when
    there is one (the worker is idle most of the run)."""
    work.set_worker_cache(cache)  # before the workers are forked: they write what they parse
    work.deferred_write = meanwhile  # likewise: a worker calls it
    try:
        with keeping_reads(), work.keeping_scans(), worker_pool(jobs) as pool:
            written = pool.apply_async(work.run_deferred_write) if pool is not None and meanwhile is not None else None
            result = _analyze_in(workspace, files, cache, jobs, pool, choice, known or {}, allowed_before,
                                 passed_before, extra_before)
            if written is not None:
                written.get()
            elif meanwhile is not None:
                meanwhile()
            return result
    finally:
        work.deferred_write = None


def _analyze_in(workspace: Workspace, files: list[SourceFile], cache: Cache | None, jobs: int, pool: object,
                choice: Choice | None = None, known: dict[tuple, set[Path]] | None = None,
                allowed_before: object = None, passed_before: object = None, extra_before: object = None
                ) -> tuple[RunResult, dict, dict[str, int]]:
    """The closure, the model and the rules for each app; with ``choice`` (:mod:`pbtlint.replay`) the
    previous run's files and bodies are loaded instead of running the closure, unless some of them
    are missing from the cache. ``known`` are mention lookups an earlier run made, still true now.
    When the rules read what the closure left out (:mod:`pbtlint.audit`),
    the closure runs again with that added (a later run gets those bodies back from the cache)."""
    by_path = {f.path: f for f in files}
    walk_gate = os.environ.get("PBTLINT_WALK_GATE", "1") != "0"  # pbtlint.closure_gate; 0: the fixpoint by name only
    parsed: dict[Path, ParsedFile] = {}
    summaries: dict[Path, list[ObjectSummary]] = {}
    counts = {"parsed": 0, "cached": 0, "lines": 0, "bodies": 0, "replayed": 0, "walked": 0, "rounds": 0, "unmet": 0,
              "followed": 0}
    parsed_whole: set[Path] = set()

    def parse_batch(keys: list[Path], whole: set[Path], eager: bool = False) -> dict[Path, list[ObjectSummary]]:
        out: dict[Path, list[ObjectSummary]] = {}
        need = files_needed(keys, whole, eager, out)
        if need:
            run_files(need, whole, out)
        return out

    def run_files(need: list[SourceFile], whole: set[Path], out: dict[Path, list[ObjectSummary]]) -> None:
        work.set_worker_cache(cache)
        items, sizes = file_items(need, whole)
        with timed("parse"):
            results = run_parallel(work.parse_one, items, jobs, chunk_size=4, weights=sizes, pool=pool,
                                   receive=_tree_unpickled)
        files_done(need, items, results, out)

    def files_needed(keys: list[Path], whole: set[Path], eager: bool,
                     out: dict[Path, list[ObjectSummary]]) -> list[SourceFile]:
        """The files of ``keys`` to parse; those parsed or cached already go to ``out``."""
        need: list[SourceFile] = []
        for key in keys:
            if key in summaries:
                out[key] = summaries[key]
                continue
            f = by_path[key]
            if key in whole:
                parsed_whole.add(key)
            ckey = _mode_key(f, key in whole)
            with timed("cache-read"):
                hit = cache.get_ast(ckey) if cache is not None and ckey else None
            if isinstance(hit, tuple) and len(hit) == 2 and isinstance(hit[0], ParsedFile):
                parsed[key] = shown_as(hit[0], f.display)
                counts["cached"] += 1
                out[key] = summaries[key] = hit[1]
                if key not in whole:
                    _restore_bodies(key, ckey, eager)
            else:
                need.append(f)
        return need

    def file_items(need: list[SourceFile], whole: set[Path]) -> tuple[list[tuple], list[int]]:
        items = [(str(f.path), f.display, f.symbols, _mode_key(f, f.path in whole), f.path in whole) for f in need]
        return items, [demand_files.size(f.path) for f in need]

    def files_done(need: list[SourceFile], items: list[tuple], results: list[tuple[bytes | None, object]],
                   out: dict[Path, list[ObjectSummary]]) -> None:
        for f, item, (_, payload) in zip(need, items, results, strict=True):
            if payload == work.AGAIN:
                pf, summary = work.parse_one(item, False)[1]  # type: ignore[misc]
            else:
                pf, summary = payload  # type: ignore[misc]
            parsed[f.path] = pf
            out[f.path] = summaries[f.path] = summary  # type: ignore[assignment]
            counts["parsed"] += 1
            counts["lines"] += pf.lines

    nodes: dict[Path, dict[BodyKey, n.Procedure]] = {}
    bodies: dict[Path, dict[BodyKey, n.Block]] = {}
    unparsed: dict[Path, dict[BodyKey, n.UnparsedBlock]] = {}  # bodies that do not parse on their own, by file
    with_unparsed: set[Path] = set()  # files given unparsed blocks (and their syntax errors) in this run
    # bodies parsed in this run, kept per file as the pickles the workers sent back, and their facts
    shipped: dict[Path, list[tuple[list[BodySpan], bytes]]] = {}
    facts: dict[Path, dict[BodyKey, tuple[object, ...]]] = {}
    grew: set[Path] = set()
    restored: set[Path] = set()  # files whose earlier bodies came from the cache (re-read if they grow)

    def _body_entry(ckey: str, key: Path) -> dict | None:
        with timed("cache-read"):
            entry = cache.get_ast(bodies_key(ckey, by_path[key].real)) if cache is not None else None
        if isinstance(entry, dict) and isinstance(entry.get("batches"), list) and isinstance(entry.get("facts"), dict):
            return entry
        return None

    # bodies an earlier run parsed, by file: put back when the closure asks for them, as it would
    # have them parsed (a body put back unasked is read by the rules but never followed by the closure,
    # nor noted by the audit: what it names could be left out)
    stashed: dict[Path, dict[BodyKey, tuple[n.Block, tuple[object, ...]]]] = {}

    def _restore_bodies(key: Path, ckey: str, eager: bool) -> None:
        """Keep the bodies an earlier run parsed in this skeleton, with their summaries, for when the
        closure asks for them; with ``eager`` (a replayed choice, no closure), put them all back now."""
        entry = _body_entry(ckey, key)
        if entry is None:
            return
        try:
            found: dict[BodyKey, n.Block] = {}
            for _, data in entry["batches"]:
                for block in pickle.loads(data):
                    if isinstance(block, n.Block):
                        found[(block.span.line, block.span.column)] = block
            kept = {body_key: (found[body_key], body_facts) for body_key, body_facts in entry["facts"].items()
                    if body_key in found}
        except Exception:  # noqa: BLE001 - a damaged entry: those bodies are parsed again
            return
        restored.add(key)  # memory: the entry's pickles are not kept; read again if the file grows
        if not eager:
            stashed[key] = kept
            return
        by_key = {proc.pending: proc for obj in summaries[key] for proc in obj.procs if proc.pending}
        for body_key, (block, body_facts) in kept.items():
            if body_key in by_key:
                by_key[body_key].restore(body_facts)
                bodies.setdefault(key, {})[body_key] = block

    def parse_body_batch(items: list[tuple[Path, ProcSummary]]) -> None:
        need = bodies_needed(items)
        if need:
            run_bodies(need)

    def parse_together(keys: list[Path], whole: set[Path], items: list[tuple[Path, ProcSummary]]
                       ) -> dict[Path, list[ObjectSummary]]:
        """:func:`parse_batch` of ``keys`` and :func:`parse_body_batch` of ``items`` in one batch: neither
        waits for the other, and small batches of each share both cores."""
        out: dict[Path, list[ObjectSummary]] = {}
        need = files_needed(keys, whole, False, out)
        wanted = bodies_needed(items)
        if not need or not wanted:
            if need:
                run_files(need, whole, out)
            if wanted:
                run_bodies(wanted)
            return out
        work.set_worker_cache(cache)
        file_list, sizes = file_items(need, whole)
        body_list, lines = body_items(wanted)
        mixed = [(False, item) for item in file_list] + [(True, item) for item in body_list]
        weights = sizes + [n_lines * _BYTES_PER_LINE for n_lines in lines]
        with timed("parse"):
            try:
                results = run_parallel(work.parse_file_or_bodies, mixed, jobs, chunk_size=4, weights=weights,
                                       pool=pool, receive=_either_unpickled)
            except RecursionError:  # as in run_bodies
                results = [work.parse_file_or_bodies(item, False) for item in mixed]
        files_done(need, file_list, [r for _, r in results[:len(file_list)]], out)  # type: ignore[misc]
        bodies_done(wanted, body_list, [r for _, r in results[len(file_list):]])  # type: ignore[misc]
        return out

    def run_bodies(need: list) -> None:
        jobs_items, weights = body_items(need)
        with timed("bodies"):
            try:
                results = run_parallel(work.parse_body_item, jobs_items, jobs, chunk_size=8, weights=weights, pool=pool,
                                       receive=_bodies_unpickled)
            except RecursionError:  # a header too deeply nested to send to a worker: all here, then
                results = [work.parse_body_item(item, False) for item in jobs_items]
        bodies_done(need, jobs_items, results)

    def bodies_needed(items: list[tuple[Path, ProcSummary]]) -> list:
        """The bodies of ``items`` to parse, by file; those an earlier run parsed are put back."""
        wanted: dict[Path, list[tuple[ProcSummary, n.Procedure, BodySpan]]] = {}
        asked: set[int] = set()  # a body asked for twice in one batch (read, then reached) is parsed once
        for key, proc in items:
            if id(proc) in asked:
                continue
            asked.add(id(proc))
            cached = stashed.get(key, {}).pop(proc.pending, None) if proc.pending is not None else None
            if cached is not None:  # parsed by an earlier run: put back
                proc.restore(cached[1])  # type: ignore[arg-type]
                bodies.setdefault(key, {})[(cached[0].span.line, cached[0].span.column)] = cached[0]
                continue
            unit = parsed[key].unit
            if unit is None or proc.pending is None or proc.pending in unparsed.get(key, ()):
                continue
            if key not in nodes:
                nodes[key] = body_nodes(unit)
            node = nodes[key].get(proc.pending)
            if node is None or node.body is None:
                continue
            sp = node.body.span
            wanted.setdefault(key, []).append((proc, node, (sp.line, sp.column, sp.end_line, sp.end_column)))
        return list(wanted.items())

    def body_items(need: list) -> tuple[list[work.BodyItem], list[int]]:
        jobs_items: list[work.BodyItem] = [
            (str(key), by_path[key].display, by_path[key].symbols, [span for _, _, span in procs],
             [(work.header(node), proc.element) for proc, node, _ in procs])
            for key, procs in need]
        return jobs_items, [sum(span[2] - span[0] + 1 for span in item[3]) for item in jobs_items]

    def bodies_done(need: list, jobs_items: list[work.BodyItem], results: list) -> None:
        for (key, procs), item, ((data, payload), body_facts) in zip(need, jobs_items, results, strict=True):
            if payload == work.AGAIN:
                (_, blocks), body_facts = work.parse_body_item(item, False)
            else:
                blocks = payload
            if cache is not None:  # a body that did not parse has no facts there: parsed again when asked for
                if data is None:
                    with contextlib.suppress(RecursionError):
                        data = pickle.dumps(blocks, pickle.HIGHEST_PROTOCOL)
                if data is not None:
                    shipped.setdefault(key, []).append((item[3], data))
                    grew.add(key)
            for (proc, _, span), block, added in zip(procs, blocks, body_facts, strict=True):  # type: ignore[arg-type]
                counts["bodies"] += 1
                counts["lines"] += span[2] - span[0] + 1
                if isinstance(block, n.UnparsedBlock):
                    unparsed.setdefault(key, {})[(span[0], span[1])] = block
                else:
                    body_key = (block.span.line, block.span.column)
                    proc.restore(added)  # type: ignore[arg-type]
                    facts.setdefault(key, {})[body_key] = added  # type: ignore[assignment]
                    bodies.setdefault(key, {})[body_key] = block

    look = TextLookups(files, by_path, jobs, pool, known or {})
    lines_naming, mentioned, mentioned_each = look.lines_naming, look.mentioned, look.mentioned_each

    def _assemble(chosen: list[Path]) -> None:
        """Put the bodies parsed into the chosen files (and into the cache with their skeletons); those
        left out stay :class:`~pbtlint.audit.ElidedBlock` s (:func:`pbtlint.skeleton.parse_skeleton`)."""
        for p in chosen:
            bad = unparsed.pop(p, None)
            if bad and parsed[p].unit is not None:  # bodies that do not parse: their procedures are opaque
                errors = tuple(unparsed_error(u, by_path[p].display) for u in bad.values())
                parsed[p] = dataclasses.replace(parsed[p], unit=splice(parsed[p].unit, bad),  # type: ignore[arg-type]
                                                findings=parsed[p].findings + errors)
                with_unparsed.add(p)
            if p in bodies and parsed[p].unit is not None:
                parsed[p] = dataclasses.replace(parsed[p], unit=splice(parsed[p].unit, bodies.pop(p)))
                if cache is not None and by_path[p].key and p in grew:  # next time, with the skeleton
                    ckey = _mode_key(by_path[p], False)
                    earlier = _body_entry(ckey, p) if p in restored else None
                    with timed("cache-write"):
                        entry = {"batches": [*(earlier["batches"] if earlier else []), *shipped.pop(p, [])],
                                 "facts": {**(earlier["facts"] if earlier else {}), **facts.pop(p, {})}}
                        cache.put_ast_bytes(bodies_key(ckey, by_path[p].real),
                                            pickle.dumps(entry, pickle.HIGHEST_PROTOCOL))
                    restored.add(p)  # a later app's closure that adds bodies keeps these
                    grew.discard(p)
        nodes.clear()
        for p in chosen:  # memory: the bodies' pickles are written (or were already there)
            shipped.pop(p, None)
            facts.pop(p, None)

    by_display = {f.display: f.path for f in files}

    def index_of(path: Path) -> FileIndex | None:
        entry = by_path[path].entry
        return entry.index if entry is not None else None

    def in_model_order(chosen: list[Path], own: set[Path]) -> list[ParsedFile]:
        """The files of an app's model, in the order it is built: its own, then its dependencies'."""
        return [*(parsed[p] for p in chosen if p in own), *(parsed[p] for p in chosen if p not in own)]

    last_fresh: list[tuple[list[ParsedFile], AnalyzedProject, audit.Needs]] = []

    def walk_plan(own: set[Path]) -> Plan:
        """The walk gate's plan for one closure (:mod:`pbtlint.closure_gate`): what the background walk
        reaches in the files chosen so far, on a project grown in place for that closure only, or
        (``fresh``) built afresh. The last project built afresh is kept in ``last_fresh``, with the
        reads of left-out bodies noted while it was built and walked: when the closure ends on it, it is
        the project the rules run on."""
        planner = WalkPlanner()
        last_fresh.clear()

        def walked(chosen_now: list[Path], fresh: bool) -> tuple[set[GateKey], Extra]:
            bodied.update(p for p in chosen_now if p in bodies)
            _assemble(chosen_now)
            with timed("plan"):
                units = in_model_order(chosen_now, own)
                with audit.recording() as needs:
                    if fresh:
                        last_fresh.clear()  # memory: one at a time
                        project, keys = fresh_reach(units)
                        last_fresh.append((units, project, needs))
                    else:
                        project, keys = planner.reach(units)
                read = demand_audit.unmet(audit.Needs(bodies=needs.bodies), project.model, by_display, chosen_now,
                                          parsed, lines_naming, mentioned_each, index_of)
                return gate_keys(project, keys, by_display), read
        return walked

    def built_already(units: list[ParsedFile]) -> tuple[AnalyzedProject, audit.Needs] | None:
        """The project the gate's last fresh check built, when it was built from exactly ``units``."""
        kept = last_fresh.pop() if last_fresh else None
        if kept is None or len(kept[0]) != len(units) or any(a is not b for a, b in zip(kept[0], units, strict=True)):
            return None
        return kept[1], kept[2]

    rule_list = all_rules()
    results: list[AppResult] = []
    all_findings: list[Finding] = list(workspace.findings)
    stored_apps: list[tuple[tuple[ParsedFile, ...], tuple[Finding, ...]]] = []
    used: set[Path] = set()
    plans = project_plans(workspace)
    chosen_by_plan: list[list[Path]] = []
    allowed_by_plan: list[set[GateKey]] = []
    passed_by_plan: list[set[GateKey]] = []
    extra_by_plan: list[Extra] = []
    seed_texts: list[SeedText | None] = []
    bodied: set[Path] = set()
    for number, plan in enumerate(plans, 1):
        app, deps = plan.app, plan.dependencies
        universe = list(dict.fromkeys([*plan.source_files, *(p for d in deps for p in d.source_files)]))
        used.update(universe)
        indexes = {p: by_path[p].entry.index for p in universe}  # type: ignore[union-attr]
        own_set = set(plan.source_files)
        seeds, seed_text = closure_seeds(plan.source_files, [p for p in universe if p not in own_set], indexes,
                                         lambda p: demand_files.folded_text(by_path[p]))
        seed_texts.append(seed_text)
        extra = extra_of(extra_before, number)  # what the previous run's audits added: no second closure for it
        # with the walk gate: what the walk reached, across the audit's rounds, starting from what it reached
        # in the previous run (a key an edit moved only lets more through the gate)
        allowed = gate_keys_of(allowed_before, number)
        allowed_by_plan.append(allowed)
        # what the gated fixpoint followed: a replay holds only while the walk stays within it (an edit
        # of a condition can make the walk reach a procedure the gate held, whose objects were not loaded)
        passed_then = gate_keys_of(passed_before, number) if isinstance(passed_before, list) else None
        passed: set[GateKey] = set()  # this run's closures fill it; a run that only replays keeps passed_then
        passed_by_plan.append(passed)

        whole_groups: set[Group] = set()
        followed: list[int] = []  # procedures each closure of this app followed (a statistic)
        session: Closure | None = None  # kept while the audit may add to it: only what it adds is settled again
        round_ = 0
        while True:
            round_ += 1
            chosen = (_replayed(choice, number, parse_batch, by_path, bodies, counts)
                      if choice is not None and round_ == 1 else None)
            replayed = chosen is not None
            if chosen is None and choice is not None and round_ == 1:
                summaries.clear()  # a replay that failed put every cached body back: the closure loads afresh
                bodies.clear()
                stashed.clear()
            if chosen is None:
                with timed("closure"):
                    if session is None:
                        session = Closure(universe, indexes, parse_batch, mentioned, parse_body_batch, lines_naming,
                                          extra, seeds, walk_plan(own_set) if walk_gate else None, allowed,
                                          parse_together)
                    else:
                        session.add(extra)
                    chosen = session.run(whole_groups, followed, passed)
                extra = extra | session.extra  # with what the walk read while left out: kept for the next run
                look.forget_texts()
            bodied.update(p for p in chosen if p in bodies)
            _assemble(chosen)
            if number == len(plans):  # memory: the model below reuses what the summaries held (-175 MB on BaseApp)
                summaries.clear()
            units = in_model_order(chosen, own_set)
            built = built_already(units)  # the closure ended on a fresh check of these files: its project
            with audit.recording() as needs:
                with timed("model"):  # when built already, its time is the plan's
                    if built is not None:
                        project, noted = built
                        needs.add(noted)
                    else:
                        project = build_project(units)
                own_files = tuple(parsed[p] if p in parsed else demand_files.lite(by_path[p])
                                  for p in plan.source_files)
                own_paths = {f.path for f in own_files}
                front = tuple(f for pf in own_files for f in pf.findings) + tuple(app.findings)
                context = RuleContext(project, front, own_files)
                with timed("rules"):
                    findings = [f for f in run_rules(context, rule_list) if concerns(f, own_paths)]
            with timed("audit"):
                more = demand_audit.unmet(needs, project.model, by_display, chosen, parsed, lines_naming,
                                          mentioned_each, index_of, whole_groups)
            look.forget_texts()  # the same for what the audit read
            if (replayed and walk_gate and passed_then is not None and round_ < _MAX_ROUNDS
                    and not walk_within(project, by_display, passed_then)):
                counts["rounds"] += 1  # the walk left what the gated fixpoint followed: run it
                del project, context, needs
                continue
            if extra.covers(more) or round_ == _MAX_ROUNDS:
                counts["unmet"] += len(more.bodies) + len(more.groups) if more else 0
                break
            extra = extra | more
            counts["rounds"] += 1
            del project, context, needs  # memory: the next closure builds them again
        session = None  # memory: the fixpoint and its planner are done with
        chosen_by_plan.append(chosen)
        extra_by_plan.append(extra)
        if round_ == 1 and replayed and passed_then:  # no closure ran: what the replayed one followed holds
            passed |= passed_then
        counts["walked"] += walked_count(project)
        counts["followed"] += followed[-1] if followed else 0
        results.append(AppResult(app, own_files, tuple(findings)))
        all_findings.extend(findings)
        stored_apps.append((tuple(demand_files.strip(pf) for pf in own_files), tuple(findings)))
    for i, plan in enumerate(plans):  # a body of an earlier app's file that a later app's closure parsed
        # and found broken: its syntax error is the file's own app's, where the full parse reports it
        reported = set(results[i].findings)
        late = [f for p in plan.source_files if p in parsed for f in parsed[p].findings
                if f.rule_id == SYNTAX_ERROR and f not in reported]
        if late:
            own = tuple(parsed[p] if p in parsed else demand_files.lite(by_path[p]) for p in plan.source_files)
            results[i] = AppResult(results[i].app, own, (*results[i].findings, *late))
            stored_apps[i] = (tuple(demand_files.strip(pf) for pf in own), results[i].findings)
            all_findings.extend(late)
    unique = tuple(sorted(set(all_findings), key=Finding.sort_key))
    lines = sum(by_path[p].entry.lines for p in used if by_path[p].entry is not None)  # type: ignore[union-attr]
    stored = {"apps": stored_apps, "findings": unique, "files": len(used), "lines": lines,
              "parsed": sorted(str(p) for p in parsed), "used": sorted(str(p) for p in used),
              "structure": demand_files.structure(workspace),
              "keys": {str(f.path): f.key for f in files},
              "chosen": [[str(p) for p in c] for c in chosen_by_plan], "whole": sorted(str(p) for p in parsed_whole),
              "bodied": sorted(str(p) for p in bodied),
              "with_unparsed": sorted(str(p) for p in with_unparsed), "seed_text": seed_texts,
              "allowed": [sorted((str(p), line) for p, line in a) for a in allowed_by_plan],
              "passed": [sorted((str(p), line) for p, line in a) for a in passed_by_plan] if walk_gate else None,
              "extra": [(sorted((str(p), line) for p, line in e.bodies), sorted(e.groups)) for e in extra_by_plan]}
    stored["mentions"], stored["lookups"] = look.record(choice)
    result = RunResult(workspace, tuple(results), unique, len(used), lines)
    return result, stored, counts


def _replayed(choice: Choice, number: int, parse_batch: Callable[[list[Path], set[Path], bool], object],
              by_path: dict[Path, SourceFile], bodies: dict[Path, dict], counts: dict[str, int]) -> list[Path] | None:
    """App ``number``'s files as the previous run chose them, loaded from the cache with their bodies;
    None when one is missing there (the closure then runs, on what was loaded)."""
    if number > len(choice.chosen):
        return None
    chosen = [Path(p) for p in choice.chosen[number - 1]]
    if any(p not in by_path for p in chosen):
        return None
    before = counts["parsed"]
    with timed("closure"):  # what it stands in for: loading the files (cache-read) without the fixpoint
        parse_batch(chosen, {p for p in chosen if str(p) in choice.whole}, True)
    members = set(chosen)
    if counts["parsed"] != before or any(Path(p) in members and Path(p) not in bodies for p in choice.bodied):
        return None
    counts["replayed"] += 1
    return chosen


fast_pickling(globals())
