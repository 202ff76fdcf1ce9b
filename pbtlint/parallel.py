"""Run a function over many items with every core: the calling process and ``jobs - 1`` forked workers
share the work chunk by chunk, so that a slow chunk never leaves a core idle. Small inputs (and
``jobs=1``, and platforms without ``fork``) run serially in the calling process.

The function receives ``in_worker``: a worker's result travels back pickled, so a function may return
something cheaper to send (already pickled bytes, for instance) when it runs in a worker.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing as mp
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

SERIAL_BELOW = 8
"""Fewer items than this run serially: starting a worker costs more than it saves."""


def _run_chunk(fn: Callable[[Any, bool], Any], chunk: Sequence[Any]) -> list[Any]:
    return [fn(item, True) for item in chunk]


def can_fork() -> bool:
    return "fork" in mp.get_all_start_methods()


@contextlib.contextmanager
def worker_pool(jobs: int) -> Iterator[Any]:
    """``jobs - 1`` forked workers to reuse across many :func:`run_parallel` calls (None when there is
    nothing to fork): a run that goes in many small rounds then forks once. Workers see the module
    state of the moment they are forked."""
    if jobs <= 1 or not can_fork():
        yield None
        return
    pool = mp.get_context("fork").Pool(jobs - 1)
    try:
        yield pool
    finally:
        pool.terminate()
        pool.join()


def run_parallel(fn: Callable[[T, bool], Any], items: Sequence[T], jobs: int = 1,
                 chunk_size: int = 8, weights: Sequence[int] | None = None, pool: Any = None) -> list[Any]:
    """``[fn(item, in_worker) for item in items]``, in order, with ``jobs`` processes (those of
    ``pool`` when given, see :func:`worker_pool`).

    ``weights`` (e.g. file sizes) make chunks of similar cost: items are chunked so that each chunk
    holds about ``chunk_size`` average items' weight.
    """
    if jobs <= 1 or len(items) < SERIAL_BELOW or not can_fork():
        return [fn(item, False) for item in items]
    chunks = _chunks(len(items), chunk_size, weights)
    results: list[list[Any] | None] = [None] * len(chunks)
    workers = jobs - 1
    with contextlib.ExitStack() as stack:
        if pool is None:
            pool = stack.enter_context(mp.get_context("fork").Pool(workers))
        pending: dict[int, Any] = {}
        nxt = 0
        while nxt < len(chunks) or pending:
            while nxt < len(chunks) and len(pending) < 2 * workers:
                lo, hi = chunks[nxt]
                pending[nxt] = pool.apply_async(_run_chunk, (fn, items[lo:hi]))
                nxt += 1
            if nxt < len(chunks):
                lo, hi = chunks[nxt]
                results[nxt] = [fn(item, False) for item in items[lo:hi]]
                nxt += 1
            else:
                first = min(pending)
                pending[first].wait()
            for i in [i for i, r in pending.items() if r.ready()]:
                results[i] = pending.pop(i).get()
    out: list[Any] = []
    for r in results:
        assert r is not None
        out.extend(r)
    return out


def _chunks(count: int, chunk_size: int, weights: Sequence[int] | None) -> list[tuple[int, int]]:
    if weights is None:
        return [(i, min(i + chunk_size, count)) for i in range(0, count, chunk_size)]
    target = max(1, sum(weights) * chunk_size // max(count, 1))
    out: list[tuple[int, int]] = []
    lo = acc = 0
    for i, w in enumerate(weights):
        acc += w
        if acc >= target:
            out.append((lo, i + 1))
            lo, acc = i + 1, 0
    if lo < count:
        out.append((lo, count))
    return out


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block (and in the workers it forks).

    An analysis allocates millions of small objects that all stay alive until it ends (trees, summaries,
    the model), and each full collection walks all of them again: on npcore-partners that was a fifth
    of a cold run and almost half of a re-run. Reference counting still frees everything that is not in
    a cycle, and peak memory measured the same with and without the collector.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
