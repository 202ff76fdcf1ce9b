#!/usr/bin/env python3
"""Fuzz pbtlint's front end and whole analysis with token-level mutations of the AL fixtures.

    python scripts/fuzz.py --minutes 5              # fuzz for five minutes
    python scripts/fuzz.py --replay fuzz-crashes     # re-run saved crashes: how many are fixed now

The mutations and the properties are those of tests/test_properties.py (delete, duplicate, swap and
insert tokens, insert preprocessor directives, truncate; with ``--deep`` also a unit such as ``(`` or
``.Value()`` repeated up to 3,000 times), plus byte flips of the encoded text fed
through the decoder. Every example goes through the front end; every ``--whole-every``-th one also
through the whole analysis (model, resolution, call graph, rules, JSON and SARIF reports). A crash is
any exception, or an "internal error" finding (a stage failed and the runner caught it). Hypothesis
shrinks each crash to a small input, which is saved (``.al`` and ``.txt`` with the traceback) under
``--out``; crashes are told apart by exception type and the innermost pbtlint frame.

Prints the figures at the end: executions, crashes found (distinct), and with ``--replay``, crashes
fixed. Exit code: 0 when no crash was found (or all replayed crashes are fixed), 1 otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from test_properties import check_front_end, check_whole_analysis, mutated_sources  # noqa: E402

from pbtlint.source import decode_source  # noqa: E402


@dataclass
class Campaign:
    deadline: float
    whole_every: int
    out: Path
    deep: bool = False
    executions: int = 0
    whole: int = 0
    crashes: dict[str, Path] = field(default_factory=dict)
    failing: tuple[bytes, str] | None = None


def signature(exc: BaseException) -> str:
    """Exception type and the innermost pbtlint frame: what tells two crashes apart."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:  # e.g. hypothesis's FlakyFailure
        exc = exc.exceptions[0]
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if any(part in ("pbtlint", "rules") for part in Path(f.filename).parts)]
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
    text = str(exc).split("\n", 1)[0][:120]
    if isinstance(exc, AssertionError) and "internal error" in text:
        where = text[text.find("internal error"):][:80]
    return f"{type(exc).__name__} at {where}"


def run_one(data: bytes, whole: bool) -> None:
    """All properties on one input (``data``: the bytes of a file)."""
    text, findings = decode_source(data, "Mutated.al")
    if text is None:
        assert findings and all(f.rule_id == "PBT0000" for f in findings), findings
        return
    check_front_end(text)
    if whole:
        check_whole_analysis(text)


def flip_bytes(data: bytes, rng: random.Random, count: int) -> bytes:
    out = bytearray(data)
    for _ in range(count):
        if out:
            out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def batch(campaign: Campaign, first_seed: int, examples: int) -> None:
    """One hypothesis run of ``examples`` examples; a crash is shrunk, saved, and the run goes on."""

    @seed(first_seed)
    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              phases=(Phase.generate, Phase.shrink),
              suppress_health_check=list(HealthCheck))
    @given(mutated_sources(deep=campaign.deep), st.integers(0, 3), st.integers(0, 2**32 - 1))
    def body(source: tuple[str, str], flips: int, flip_seed: int) -> None:
        campaign.executions += 1
        data = source[1].encode("utf-8", errors="surrogatepass")
        if flips:
            data = flip_bytes(data, random.Random(flip_seed), flips)
        whole = campaign.executions % campaign.whole_every == 0
        campaign.whole += whole
        try:
            run_one(data, whole)
        except BaseException:
            campaign.failing = (data, source[0])
            raise

    try:
        body()
    except Exception as exc:  # noqa: BLE001 - a crash: record it and fuzz on
        save(campaign, exc)


def save(campaign: Campaign, exc: BaseException) -> None:
    sig = signature(exc)
    if sig in campaign.crashes or campaign.failing is None:
        return
    data, origin = campaign.failing
    name = hashlib.sha256(sig.encode()).hexdigest()[:12]
    campaign.out.mkdir(parents=True, exist_ok=True)
    (campaign.out / f"{name}.al").write_bytes(data)
    tb = "".join(traceback.format_exception(exc))
    (campaign.out / f"{name}.txt").write_text(f"{sig}\nmutated from {origin}\n\n{tb}", encoding="utf-8")
    campaign.crashes[sig] = campaign.out / f"{name}.al"
    print(f"crash: {sig} (from {origin}); saved {campaign.out / name}.al", flush=True)


def replay(folder: Path) -> int:
    files = sorted(folder.glob("*.al"))
    fixed = 0
    for path in files:
        try:
            run_one(path.read_bytes(), whole=True)
            fixed += 1
            print(f"fixed:   {path.name}")
        except BaseException as exc:  # noqa: BLE001
            print(f"crashes: {path.name}: {signature(exc)}")
    print(f"replayed {len(files)} crashes, {fixed} fixed, {len(files) - fixed} still crash")
    return 0 if fixed == len(files) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="how long to fuzz (default 5)")
    parser.add_argument("--seed", type=int, default=None, help="first hypothesis seed (default: random)")
    parser.add_argument("--whole-every", type=int, default=4,
                        help="run the whole analysis on every Nth example (default 4)")
    parser.add_argument("--batch", type=int, default=200, help="examples per hypothesis run (default 200)")
    parser.add_argument("--out", type=Path, default=None,
                        help="where crash reproducers go (default: a new temporary folder)")
    parser.add_argument("--deep", action="store_true",
                        help="also repeat a unit up to 3,000 times in place (deep nesting, long chains)")
    parser.add_argument("--replay", type=Path, default=None, help="re-run the reproducers saved in this folder")
    args = parser.parse_args(argv)
    if args.replay is not None:
        return replay(args.replay)

    out = args.out or Path(tempfile.mkdtemp(prefix="pbtlint-fuzz-"))
    started = time.monotonic()
    campaign = Campaign(started + args.minutes * 60, max(1, args.whole_every), out, args.deep)
    start_seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    print(f"fuzzing for {args.minutes:g} min from seed {start_seed}; crashes go to {out}", flush=True)
    runs = 0
    while time.monotonic() < campaign.deadline:
        batch(campaign, start_seed + runs, args.batch)
        runs += 1
        elapsed = time.monotonic() - started
        print(f"  {elapsed:7.1f} s  {campaign.executions} executions ({campaign.whole} whole analyses), "
              f"{len(campaign.crashes)} crashes", flush=True)
    elapsed = time.monotonic() - started
    print(f"executions: {campaign.executions} in {elapsed:.0f} s ({campaign.executions / elapsed:.1f}/s), "
          f"whole analyses: {campaign.whole}, hypothesis runs: {runs}")
    print(f"crashes found: {len(campaign.crashes)}")
    for sig, path in sorted(campaign.crashes.items()):
        print(f"  {sig}: {path}")
    return 1 if campaign.crashes else 0


if __name__ == "__main__":
    sys.exit(main())
