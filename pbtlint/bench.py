"""The benchmark of issue 7: ``python -m pbtlint.bench DIR [--source-root R] [--jobs N]``.

In one run, on one corpus, it measures the tokenize-only floor (every file through the project's own
Lark lexer, nothing else, one process), a cold demand-driven analysis (empty cache), a warm re-run
(nothing changed), an incremental re-run after one procedure body is edited (in a file the analysis
parses, and in one it does not), a full parse of every file, and, when tree-sitter-al is importable
by some Python (``--ts-python``, ``$PBTLINT_TS_PYTHON``, or pyenv's 3.12), tree-sitter-al's parse
time. Every measurement runs in a subprocess of its own, which also gives its peak RSS. An analysis
run is timed as a user waits for it: the whole subprocess, from its start (interpreter and imports)
to its exit; the floor and tree-sitter-al are timed around the tokenizing or parsing alone. It prints
each figure with its ratio to the floor and to cold, and checks that every analysis run finds what the
sources it ran on hold: cold's findings, or after an edit that changes them (or with ``--verify-edits``)
an empty-cache run's; the full parse, on the final sources, must agree. ``--random-edits N`` also times
N random one-line edits (:mod:`pbtlint.bench_edits`).

The corpus is never modified: the runs read a copy of it under a temporary directory.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

# --------------------------------------------------------------------------- measurements (child side)


def _peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024.0


def _digest(findings: Sequence[object]) -> str:
    h = hashlib.sha256()
    for f in findings:
        h.update(repr(f).encode("utf-8"))
    return h.hexdigest()[:16]


def _source_files(paths: list[str], roots: list[str], defines: list[str]) -> list[tuple[Path, tuple[str, ...]]]:
    from pbtlint.project import discover

    ws = discover([Path(p) for p in paths], [Path(p) for p in roots], defines)
    seen: dict[Path, tuple[str, ...]] = {}
    for app in (*ws.apps, *ws.extra_roots):
        for p in app.source_files:
            seen.setdefault(p, app.preprocessor_symbols)
    return list(seen.items())


def measure_floor(paths: list[str], roots: list[str], defines: list[str]) -> dict[str, object]:
    """Tokenize every file (already read and preprocessed, untimed) with the project's lexer."""
    from pbtlint.parser import get_parser, tokenize
    from pbtlint.preprocessor import preprocess
    from pbtlint.source import read_source

    get_parser()
    texts: list[str] = []
    lines = 0
    for path, symbols in _source_files(paths, roots, defines):
        src = read_source(path)
        if src.text is None:
            continue
        lines += src.text.count("\n") + 1
        texts.append(preprocess(src.text, symbols, str(path)).text)
    tokens = errors = 0
    start = time.perf_counter()
    for text in texts:
        try:
            for _ in tokenize(text):
                tokens += 1
        except Exception:  # noqa: BLE001 - a lexer error ends that file's tokens
            errors += 1
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "files": len(texts), "lines": lines, "tokens": tokens, "lex_errors": errors}


def measure_demand(paths: list[str], roots: list[str], defines: list[str], cache: str, jobs: int,
                   lists: bool = False) -> dict[str, object]:
    """A demand-driven run as ``pbtlint check`` makes it (the command's imports, its configuration, the
    analysis, suppressions and the text report, not written); with ``lists``, also the files it parsed
    (read back from the cache, which the process's time then includes: the cold run's, to choose the
    files to edit)."""
    import pbtlint.cli  # noqa: F401 - what the command imports before it runs
    from pbtlint import demand
    from pbtlint.check import CheckOptions, run_check

    start = time.perf_counter()
    result = run_check(CheckOptions(tuple(paths), "text", None, tuple(defines), tuple(roots), jobs=jobs,
                                    cache_dir=cache)).run
    seconds = time.perf_counter() - start
    st = demand.last_stats
    out: dict[str, object] = {
        "seconds": seconds, "findings": len(result.findings), "digest": _digest(result.findings),
        "files": result.files, "lines": result.lines,
        "stats": None if st is None else {k: getattr(st, k) for k in st.__slots__}}
    if lists:
        out.update(parsed_files=_parsed_list(cache), whole_files=_parsed_list(cache, "whole"))
    return out


def _parsed_list(cache: str, which: str = "parsed") -> list[str]:
    """The files the latest run parsed (``parsed``), or parsed whole, every body (``whole``)."""
    from pbtlint.cache import Cache

    stored = Cache(Path(cache)).latest_run()
    return list(stored.get(which, [])) if isinstance(stored, dict) else []


def measure_full(paths: list[str], roots: list[str], defines: list[str], jobs: int) -> dict[str, object]:
    """Every file parsed (``jobs`` processes), then exactly what :func:`pbtlint.runner.analyze` does."""
    from pbtlint.findings import Finding
    from pbtlint.frontend import parse_file
    from pbtlint.parallel import run_parallel
    from pbtlint.project import discover
    from pbtlint.rule import all_rules
    from pbtlint.runner import RuleContext, analyze, analyze_projects, concerns, display_path, run_rules

    start = time.perf_counter()
    if jobs <= 1:
        result = analyze(paths, defines, roots)
        findings: Sequence[Finding] = result.findings
    else:
        ws = discover([Path(p) for p in paths], [Path(p) for p in roots], defines)
        files = _source_files(paths, roots, defines)
        items = [(str(p), display_path(p), s) for p, s in files]
        parsed_list = run_parallel(_full_parse_one, items, jobs, chunk_size=4,
                                   weights=[os.stat(p).st_size for p, _ in files])
        parsed = {p: pf if pf is not None else _full_parse_one(item, False)
                  for (p, _), item, pf in zip(files, items, parsed_list, strict=True)}
        del parse_file
        out: list[Finding] = list(ws.findings)
        for app, own, project in analyze_projects(ws, parsed):
            own_paths = {f.path for f in own}
            front = tuple(f for pf in own for f in pf.findings) + tuple(app.findings)
            context = RuleContext(project, front, tuple(own))
            out.extend(f for f in run_rules(context, all_rules())  # what runner.analyze keeps
                       if concerns(f, own_paths) or f.rule_id == "PBT0000")
        findings = sorted(set(out), key=Finding.sort_key)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "findings": len(findings), "digest": _digest(findings)}


def _full_parse_one(item: tuple[str, str, tuple[str, ...]], in_worker: bool) -> object:
    import pickle

    from pbtlint.frontend import parse_file

    path, shown, symbols = item
    parsed = parse_file(path, symbols, shown)
    if in_worker:
        try:
            pickle.dumps(parsed)
        except RecursionError:  # too deep to send back: the parent parses it again
            return None
    return parsed


def _child_main(argv: list[str]) -> None:
    ns = json.loads(argv[0])
    kind = ns["kind"]
    os.chdir(ns["cwd"])
    if kind == "floor":
        out = measure_floor(ns["paths"], ns["roots"], ns["defines"])
    elif kind == "demand":
        out = measure_demand(ns["paths"], ns["roots"], ns["defines"], ns["cache"], ns["jobs"], ns.get("lists", False))
    else:
        out = measure_full(ns["paths"], ns["roots"], ns["defines"], ns["jobs"])
    out["rss_mb"] = _peak_rss_mb()
    print(json.dumps(out))
    from pbtlint.cli import exit_now

    exit_now(0)  # as the console script ends: without freeing the heap object by object


# --------------------------------------------------------------------------- tree-sitter-al

_TS_SCRIPT = r"""
import json, sys, time
import tree_sitter, tree_sitter_al
parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_al.language()))
datas = [open(p, 'rb').read() for p in json.load(sys.stdin)]
start = time.perf_counter()
errors = 0
for d in datas:
    errors += parser.parse(d).root_node.has_error
seconds = time.perf_counter() - start
import resource
print(json.dumps({"seconds": seconds, "files": len(datas), "with_errors": errors,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def find_ts_python(explicit: str | None) -> str | None:
    """A Python that can import tree_sitter_al, or None."""
    candidates = [explicit, os.environ.get("PBTLINT_TS_PYTHON"), sys.executable]
    pyenv = Path.home() / ".pyenv" / "versions"
    if pyenv.is_dir():
        candidates.extend(str(p / "bin" / "python") for p in sorted(pyenv.glob("3.12*")))
    for c in candidates:
        if not c or not Path(c).exists():
            continue
        try:
            ok = subprocess.run([c, "-c", "import tree_sitter, tree_sitter_al"], capture_output=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if ok.returncode == 0:
            return c
    return None


def measure_tree_sitter(python: str, files: list[Path]) -> dict[str, object]:
    proc = subprocess.run([python, "-c", _TS_SCRIPT], input=json.dumps([str(f) for f in files]),
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"}
    return json.loads(proc.stdout)


# --------------------------------------------------------------------------- driver


def _snapshot(dest: Path) -> Path:
    """A copy of pbtlint (rules included) for every measurement to import: the same code throughout a
    run, however the working tree changes meanwhile (the cache keys include the code's digest).
    It is byte-compiled, as an installed package is (pip compiles what it installs): a process that
    runs with ``PYTHONDONTWRITEBYTECODE`` (or cannot write there) would otherwise compile every module
    it imports in every measurement (0.2 s for all of pbtlint here; 0.03 s of a warm run)."""
    import compileall

    import pbtlint
    import pbtlint.rules

    pkg = dest / "pbtlint"
    shutil.copytree(Path(pbtlint.__file__).parent, pkg, ignore=shutil.ignore_patterns("__pycache__", "rules"))
    shutil.copytree(Path(pbtlint.rules.__file__).parent, pkg / "rules", ignore=shutil.ignore_patterns("__pycache__"))
    compileall.compile_dir(str(pkg), quiet=1)
    return dest


_SNAPSHOT: Path | None = None


def _run_child(spec: dict[str, object]) -> dict[str, object]:
    env = dict(os.environ)
    if _SNAPSHOT is not None:
        env["PYTHONPATH"] = os.pathsep.join(x for x in (str(_SNAPSHOT), env.get("PYTHONPATH", "")) if x)
    # the working directory must not hold a pbtlint package: ``-m`` puts it first on sys.path
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pbtlint.bench", "--child", json.dumps(spec)],
                          capture_output=True, text=True, check=False, env=env, cwd=str(_SNAPSHOT or Path.cwd()))
    process = time.perf_counter() - start
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-3:]
        return {"error": " | ".join(tail) or f"exit {proc.returncode}"}
    out: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    if spec["kind"] != "floor":  # an analysis: what the user waits for is the whole process
        out["in_process"], out["seconds"] = out["seconds"], process
    return out


def _mirror(sources: list[Path], top: Path) -> dict[Path, Path]:
    """A copy of each source tree under ``top``: plain files, as in a checkout (with symbolic links every
    file cost a ``realpath`` a real working tree does not, a third of a warm run)."""
    out: dict[Path, Path] = {}
    for i, src in enumerate(sources):
        dst = top / f"{i}-{src.name}"
        for dirpath, dirnames, filenames in os.walk(src):
            rel = Path(dirpath).relative_to(src)
            (dst / rel).mkdir(parents=True, exist_ok=True)
            for name in filenames:
                shutil.copyfile(Path(dirpath) / name, dst / rel / name)
            dirnames[:] = [d for d in dirnames if d.lower() != ".pbtlint-cache"]
        out[src] = dst
    return out


_BEGIN = re.compile(r"^[ \t]*begin[ \t]*$", re.IGNORECASE | re.MULTILINE)


def edit_file(path: Path, addition: str = " // pbtlint bench edit") -> str:
    """Rewrite ``path`` so that its first procedure body gets ``addition`` (a comment by default, or a
    statement) appended to its ``begin`` line: content changes, no line moves. Returns a description."""
    data = path.read_bytes()
    text = data.decode("utf-8-sig", errors="surrogateescape")
    m = _BEGIN.search(text)
    if m is None:
        text = text + "\n// pbtlint bench edit\n"
        where = "end of file"
    else:
        text = text[:m.end()] + addition + text[m.end():]
        where = f"line {text.count(chr(10), 0, m.start()) + 1}"
    path.unlink()
    path.write_bytes(text.encode("utf-8", errors="surrogateescape"))
    return f"{where} of {path.name}"


def _pick_unparsed(files: list[Path], parsed: set[str]) -> Path | None:
    for f in files:
        if str(f) not in parsed and _BEGIN.search(f.read_text(encoding="utf-8-sig", errors="replace")):
            return f
    return None


def _row(name: str, r: dict[str, object], floor: float | None, cold: float | None) -> str:
    if "error" in r:
        return f"{name:<36} error: {r['error']}"
    s = float(r["seconds"])  # type: ignore[arg-type]
    to_floor = f"{s / floor:8.3f}x" if floor else "       -"
    to_cold = f"{s / cold:8.3f}x" if cold else "       -"
    rss = f"{float(r['rss_mb']):8.0f}" if "rss_mb" in r else "       -"  # type: ignore[arg-type]
    inner = f" {float(r['in_process']):9.2f} s" if "in_process" in r else ""  # type: ignore[arg-type]
    return f"{name:<36} {s:9.2f} s {to_floor} {to_cold} {rss} MB{inner}"


def _empty_cache_run(run: Callable[[str, dict[str, object]], dict[str, object]], label: str,
                     rerun: dict[str, object], cache: str) -> dict[str, object]:
    """``rerun`` with a cache folder of its own, removed afterwards: what the sources hold, nothing reused."""
    fresh = f"{cache}-empty"
    try:
        return run(label, {**rerun, "cache": fresh})
    finally:
        shutil.rmtree(fresh, ignore_errors=True)


def _random_edits(run: Callable[[str, dict[str, object]], dict[str, object]], rerun: dict[str, object],
                  args: argparse.Namespace, cache: str, files: list[Path], expected: str) -> list[dict[str, object]]:
    """Time ``args.random_edits`` edits (:mod:`pbtlint.bench_edits`), each undone after its run: per
    edit its kind, where it went, the path its run took and its seconds (or the run's error), whether
    its findings equal those of a run with an empty cache (``--verify-edits``; else None), and whether
    the run after the undo found ``expected``, what the sources found before the edit."""
    from pbtlint import bench_edits  # here: the timed child processes import only what a check does

    out: list[dict[str, object]] = []
    for i, (path, line, kind) in enumerate(bench_edits.plan(files, args.random_edits, args.seed)):
        edit = bench_edits.apply(path, line, kind)
        try:
            r = run(f"random edit {i + 1} ({edit.describe()})", rerun)
            verified = None
            if args.verify_edits and "digest" in r:
                check = _empty_cache_run(run, f"random edit {i + 1}, empty cache", rerun, cache)
                verified = check.get("digest") == r["digest"]
        finally:
            bench_edits.undo(edit)
        back = run(f"random edit {i + 1} undone", rerun)
        record: dict[str, object] = {"kind": kind, "edit": edit.describe(), "verified": verified,
                                     "undone": back.get("digest") == expected}
        if "seconds" in r:
            record.update(path=str(((r.get("stats") or {}).get("path")) or "?"),  # type: ignore[union-attr]
                          seconds=r["seconds"])
        else:
            record.update(path="error", seconds=None, error=r.get("error"))
        out.append(record)
    return out


def _wrong(record: dict[str, object]) -> bool:
    """A random edit whose run failed, differed from an empty-cache run, or left other findings after its undo."""
    return record["path"] == "error" or record["verified"] is False or record["undone"] is False


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "--child":
        _child_main(argv[1:])
        return 0
    ap = argparse.ArgumentParser(prog="python -m pbtlint.bench", description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="+", help="the app(s) to analyze")
    ap.add_argument("--source-root", action="append", default=[], help="extra source root (dependencies)")
    ap.add_argument("--define", action="append", default=[], help="preprocessor symbol")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--full-jobs", type=int, default=None, help="processes for the full parse (default: --jobs)")
    ap.add_argument("--no-full", action="store_true", help="skip the full parse (and its findings check)")
    ap.add_argument("--ts-python", default=None, help="a Python that imports tree_sitter_al")
    ap.add_argument("--json", default=None, help="also write every figure to this JSON file")
    ap.add_argument("--random-edits", type=int, default=0, metavar="N",
                    help="also time N random one-line edits of parsed files (pbtlint.bench_edits)")
    ap.add_argument("--seed", type=int, default=1, help="where the random edits go")
    ap.add_argument("--verify-edits", action="store_true",
                    help="check each random edit's findings against a run with an empty cache")
    args = ap.parse_args(argv)

    global _SNAPSHOT
    sources = [Path(d).resolve() for d in [*args.dirs, *args.source_root]]
    work = Path(tempfile.mkdtemp(prefix="pbtlint-bench-"))
    report: dict[str, object] = {}
    signal.signal(signal.SIGTERM, _terminate)
    try:
        _SNAPSHOT = _snapshot(work / "code")
        mirror = _mirror(sources, work / "src")
        paths = [str(mirror[Path(d).resolve()]) for d in args.dirs]
        roots = [str(mirror[Path(d).resolve()]) for d in args.source_root]
        cache = str(work / "cache")
        base = {"cwd": str(work / "src"), "paths": paths, "roots": roots, "defines": args.define}
        print(f"corpus: {' + '.join(str(s) for s in sources)}  (mirror: {work / 'src'})", flush=True)

        def run(label: str, spec: dict[str, object]) -> dict[str, object]:
            print(f"  measuring {label} ...", file=sys.stderr, flush=True)
            start = time.perf_counter()
            out = _run_child({**base, **spec})
            report[label] = out
            shown = {k: v for k, v in out.items() if k not in ("parsed_files", "whole_files")}
            print(f"  {label}: {json.dumps(shown)} (wall {time.perf_counter() - start:.1f} s, "
                  f"load {os.getloadavg()[0]:.1f})", flush=True)
            return out

        floor = run("floor", {"kind": "floor"})
        rerun = {"kind": "demand", "cache": cache, "jobs": args.jobs}  # a run on what the runs before cached
        cold = run("cold", {"kind": "demand", "cache": cache, "jobs": args.jobs, "lists": True})
        warm = run("warm", rerun)
        parsed = set(cold.get("parsed_files", []))  # type: ignore[arg-type]
        files = [p for p, _ in _source_files(paths, roots, args.define)]
        own = [p for p in files if any(str(p).startswith(x + os.sep) for x in paths)]
        in_closure = next((p for p in own if str(p) in parsed and _BEGIN.search(
            p.read_text(encoding="utf-8-sig", errors="replace"))), None)
        whole = set(cold.get("whole_files", []))  # type: ignore[arg-type]
        in_reach = next((p for p in own if str(p) in whole and _BEGIN.search(
            p.read_text(encoding="utf-8-sig", errors="replace"))), None)
        edits: list[str] = []
        inc1: dict[str, object] = {"error": "no file to edit"}
        inc1b: dict[str, object] = {"error": "no file parsed whole to edit"}
        inc1c: dict[str, object] = {"error": "no file parsed whole with two bodies to edit"}
        inc2: dict[str, object] = {"error": "no file to edit"}
        expected = str(cold.get("digest"))  # what a run on the sources as they are now must find
        references: list[str] = []

        def settled(label: str, r: dict[str, object], may_change: bool = False) -> dict[str, object]:
            """Note what ``r`` (a run after an edit) must find. A comment at a line's end changes no
            finding: what the sources found before. A new statement may (the new call is an unresolved
            call, in background code of a small app): a run with an empty cache says, as it does for
            any run that differs from what was found before, or for every edit with --verify-edits."""
            nonlocal expected
            if "digest" in r and (may_change or r["digest"] != expected or args.verify_edits):
                reference = _empty_cache_run(run, f"{label}, empty cache", rerun, cache)
                if "digest" in reference:
                    expected = str(reference["digest"])
                    references.append(label)
            r["expected"] = expected
            return r

        if in_closure is not None:
            edits.append("parsed file, comment: " + edit_file(in_closure))
            inc1 = settled("comment", run("incremental (parsed file)", rerun))
        if in_reach is not None:  # every body of a file parsed whole is read: a new call changes what it sees
            edits.append("parsed file, new call: " + edit_file(in_reach, " PbtlintBenchEdit();"))
            inc1b = settled("new call", run("incremental (parsed file, new call)", rerun), may_change=True)
            # and a statement that calls and writes nothing, in its next body: a tree the rules read changes
            where = edit_file(in_reach, " if false then;")
            if not where.startswith("end of file"):
                edits.append("parsed file, read code: " + where)
                inc1c = settled("read code", run("incremental (parsed file, read code)", rerun), may_change=True)
        outside = _pick_unparsed(own, parsed)
        if outside is not None:
            edits.append("unparsed file: " + edit_file(outside))
            inc2 = settled("unparsed file", run("incremental (unparsed file)", rerun))
        randomly = _random_edits(run, rerun, args, cache, [p for p in own if str(p) in parsed
                                                             and p not in (in_closure, in_reach, outside)],
                                 expected)
        report["random edits"] = randomly
        full: dict[str, object] = {"error": "skipped (--no-full)"}
        if not args.no_full:
            full = run("full parse", {"kind": "full", "jobs": args.full_jobs or args.jobs})
            full["expected"] = expected
        ts_python = find_ts_python(args.ts_python)
        ts: dict[str, object] = ({"error": "tree-sitter-al is not importable by any Python found"}
                                 if ts_python is None else measure_tree_sitter(ts_python, [p.resolve() for p in files]))
        report["tree-sitter-al"] = ts

        f_s = float(floor["seconds"]) if "seconds" in floor else None  # type: ignore[arg-type]
        c_s = float(cold["seconds"]) if "seconds" in cold else None  # type: ignore[arg-type]
        print(f"files {floor.get('files')}, lines {floor.get('lines')}, tokens {floor.get('tokens')}, "
              f"jobs {args.jobs}, cpus {os.cpu_count()}, load {os.getloadavg()[0]:.1f}")
        print(f"{'':<36} {'time':>11} {'/floor':>9} {'/cold':>9} {'peak RSS':>11} {'in-process':>11}")
        for label, r in (("tokenize floor (1 process)", floor), ("cold (empty cache)", cold),
                         ("warm (nothing changed)", warm), ("incremental (parsed file, comment)", inc1),
                         ("incremental (parsed file, read code)", inc1c),
                         ("incremental (parsed file, new call)", inc1b),
                         ("incremental (unparsed file edited)", inc2), ("full parse", full),
                         ("tree-sitter-al parse (1 process)", ts)):
            print(_row(label, r, f_s, c_s))
        st = cold.get("stats") or {}
        print(f"cold parsed {st.get('parsed')} of {st.get('files')} files "  # type: ignore[union-attr]
              f"({st.get('parsed_lines')} of {cold.get('lines')} lines) and {st.get('bodies')} bodies "  # type: ignore[union-attr]
              f"on their own; the fixpoint followed {st.get('followed')} procedures by name and the background "
              f"walk reached {st.get('walked')}; "  # type: ignore[union-attr]
              f"the audit ran the closure {st.get('rounds')} more times"  # type: ignore[union-attr]
              + (f" and left {st.get('unmet')} needs unmet" if st.get("unmet") else ""))  # type: ignore[union-attr]
        for label, r in (("cold", cold), ("incremental (parsed file, comment)", inc1),
                         ("incremental (parsed file, read code)", inc1c),
                         ("incremental (parsed file, new call)", inc1b)):
            phases = (r.get("stats") or {}).get("phases") or []  # type: ignore[union-attr]
            if phases:
                order = ["index", "closure", "parse", "bodies", "model", "rules", "audit", "cache-read", "cache-write"]
                phases = sorted(phases, key=lambda p: order.index(p[0]) if p[0] in order else len(order))
                print(f"{label} phases (closure includes parse and bodies): "
                      + ", ".join(f"{name} {float(sec):.1f} s" for name, sec in phases))
        for e in edits:
            print(f"edit: {e}")
        if randomly:
            from pbtlint import bench_edits

            print(f"random edits (--seed {args.seed}), by the path each run took:")
            for line in bench_edits.summary([(str(r["path"]), float(r["seconds"]))  # type: ignore[arg-type]
                                             for r in randomly if r["seconds"] is not None], c_s):
                print(line)
            for r in randomly:
                took = f"{float(r['seconds']):6.2f} s" if r["seconds"] is not None else "  error"  # type: ignore[arg-type]
                print(f"  {took}  {r['path']!s:<17} {r['edit']}" + (f": {r['error']}" if "error" in r else ""))
        digests = {k: r.get("digest") for k, r in (("cold", cold), ("warm", warm), ("incremental (parsed)", inc1),
                                                     ("incremental (read code)", inc1c),
                                                     ("incremental (new call)", inc1b),
                                                     ("incremental (unparsed)", inc2), ("full parse", full))
                   if "digest" in r}
        counts = {k: r.get("findings") for k, r in (("cold", cold), ("full parse", full)) if "findings" in r}
        # every run finds what the sources it ran on hold: cold's findings until an edit changed them, then
        # an empty-cache run's (and the full parse, on the final sources, must agree with the last of those)
        same = all(r.get("digest") == r.get("expected", cold.get("digest"))
                   for r in (cold, warm, inc1, inc1b, inc1c, inc2, full) if "digest" in r)
        if len(set(digests.values())) > 1 or references:
            print(f"empty-cache runs of the edited sources, after: {', '.join(references) or 'none'}; "
                  f"each run equals the last of them before it (or cold): {'yes' if same else 'NO'}")
        wrong = [r for r in randomly if _wrong(r)]
        if randomly:
            checked = "equal a run with an empty cache and " if args.verify_edits else ""
            print(f"random edits' findings {checked}come back after the undo: "
                  f"{'yes' if not wrong else 'NO: ' + ', '.join(str(r['edit']) for r in wrong)}")
            same = same and not wrong
        identical = same and len(set(digests.values())) == 1
        print(f"findings identical across {', '.join(digests)}: {'yes' if identical else 'no'} {counts} {digests}")
        if args.json:
            Path(args.json).write_text(json.dumps(report, indent=1, default=str), encoding="utf-8")
        return 0 if same else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
