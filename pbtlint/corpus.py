"""Parse every .al file of a folder and report the files that do not parse.

    python -m pbtlint.corpus DIR [--symbols A,B] [--jobs N] [--limit N] [--strip-markers]

Each file is read (pbtlint.source), preprocessed with the given symbols or, without ``--symbols``, with
the ``preprocessorSymbols`` of the nearest app.json above it (pbtlint.preprocessor), then parsed
(pbtlint.parser). Prints each failure as ``path(line,col): message`` and a summary; exits 0 when every
file parses, 1 otherwise.
"""

from __future__ import annotations

import argparse
import functools
import json
import multiprocessing
import os
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pbtlint.findings import Finding
from pbtlint.frontend import parse_text
from pbtlint.parser import get_parser
from pbtlint.source import read_source


@dataclass(frozen=True)
class FileOutcome:
    path: str
    lines: int
    findings: tuple[Finding, ...]


def al_files(root: Path) -> list[Path]:
    """Every ``*.al`` file under ``root`` (any case of the suffix), sorted."""
    found = []
    for folder, _dirs, files in os.walk(root):
        for name in files:
            if name.lower().endswith(".al"):
                found.append(Path(folder) / name)
    return sorted(found)


@functools.cache
def app_symbols(folder: Path) -> tuple[str, ...]:
    """``preprocessorSymbols`` of the nearest app.json in ``folder`` or above it."""
    candidate = folder / "app.json"
    if candidate.is_file():
        try:
            data = json.loads(candidate.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError):
            return ()
        symbols = data.get("preprocessorSymbols") if isinstance(data, dict) else None
        return tuple(str(s) for s in symbols) if isinstance(symbols, list) else ()
    if folder.parent == folder:
        return ()
    return app_symbols(folder.parent)


def strip_markers(text: str) -> str:
    """Remove LinterCop's ``[|`` and ``|]`` span markers."""
    return text.replace("[|", "").replace("|]", "")


def parse_file(path: Path, symbols: tuple[str, ...] | None, markers: bool) -> FileOutcome:
    """Read, preprocess, parse and transform one file, as ``pbtlint check`` does."""
    shown = str(path)
    source = read_source(str(path))
    if source.text is None:
        return FileOutcome(shown, 0, source.findings)
    text = strip_markers(source.text) if markers else source.text
    lines = text.count("\n") + 1
    used = symbols if symbols is not None else app_symbols(path.parent.resolve())
    parsed = parse_text(text, shown, used)  # the front end's own path, typed AST included
    return FileOutcome(shown, lines, tuple(source.findings) + parsed.findings)


def _worker(args: tuple[Path, tuple[str, ...] | None, bool]) -> FileOutcome:
    return parse_file(*args)


def run(paths: Sequence[Path], symbols: tuple[str, ...] | None, jobs: int, markers: bool
        ) -> Iterator[FileOutcome]:
    """Parse ``paths``, in ``jobs`` processes when ``jobs > 1``; outcomes come in completion order."""
    work = [(p, symbols, markers) for p in paths]
    if jobs <= 1:
        yield from map(_worker, work)
        return
    get_parser()  # build or load the tables once, before the workers start
    context = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
    with context.Pool(jobs) as pool:
        yield from pool.imap_unordered(_worker, work, chunksize=16)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pbtlint.corpus", description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--symbols", help="preprocessor symbols, comma-separated (default: app.json's)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--limit", type=int, default=0, help="parse only the first N files")
    parser.add_argument("--strip-markers", action="store_true", help="remove LinterCop [| |] markers")
    args = parser.parse_args(argv)

    paths = al_files(args.folder)
    if args.limit > 0:
        paths = paths[: args.limit]
    symbols = None
    if args.symbols is not None:
        symbols = tuple(s.strip() for s in args.symbols.split(",") if s.strip())

    started = time.perf_counter()
    files = lines = failures = 0
    for outcome in run(paths, symbols, max(args.jobs, 1), args.strip_markers):
        files += 1
        lines += outcome.lines
        if outcome.findings:
            failures += 1
            for finding in outcome.findings:
                span = finding.location.span
                print(f"{outcome.path}({span.line},{span.column}): {finding.message}", flush=True)
    elapsed = time.perf_counter() - started
    rate = lines / elapsed if elapsed > 0 else 0.0
    print(f"files: {files}  lines: {lines}  failures: {failures}  "
          f"time: {elapsed:.1f}s  lines/s: {rate:,.0f}")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
