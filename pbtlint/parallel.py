"""Run a function over many items with every core: the calling process and ``jobs - 1`` forked workers
take the next items from one shared counter until none is left, so no process waits while another
still has a queue of work (the end of a round costs at most one item). Small inputs (and ``jobs=1``,
and platforms without ``fork``) run serially in the calling process.

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


def can_fork() -> bool:
    return "fork" in mp.get_all_start_methods()


_counter: Any = None
"""The claim counter of the workers of this process (inherited when they are forked)."""


def _forked_pool(workers: int) -> Any:
    """A pool of forked workers sharing a new claim counter with the calling process."""
    global _counter
    context = mp.get_context("fork")
    _counter = counter = context.Value("q", 0)
    pool = context.Pool(workers)
    pool.pbtlint_counter = counter
    return pool


def _claim(counter: Any, step: int) -> int:
    with counter.get_lock():
        first = counter.value
        counter.value = first + step
    return first


def _worker_share(fn: Callable[[Any, bool], Any], items: Sequence[Any], order: Sequence[int], step: int,
                  limit: int) -> list[tuple[int, Any]]:
    """In a worker: claim ``step`` items of ``order`` at a time and run them, until none is left or
    ``limit`` are done (their results then travel back while the next share goes on)."""
    out: list[tuple[int, Any]] = []
    while len(out) < limit and (first := _claim(_counter, step)) < len(order):
        for index in order[first:first + step]:
            out.append((index, fn(items[index], True)))
    return out


@contextlib.contextmanager
def worker_pool(jobs: int) -> Iterator[Any]:
    """``jobs - 1`` forked workers to reuse across many :func:`run_parallel` calls (None when there is
    nothing to fork): a run that goes in many small rounds then forks once. Workers see the module
    state of the moment they are forked."""
    if jobs <= 1 or not can_fork():
        yield None
        return
    pool = _forked_pool(jobs - 1)
    try:
        yield pool
    finally:
        pool.terminate()
        pool.join()


def run_parallel(fn: Callable[[T, bool], Any], items: Sequence[T], jobs: int = 1,
                 chunk_size: int = 8, weights: Sequence[int] | None = None, pool: Any = None) -> list[Any]:
    """``[fn(item, in_worker) for item in items]``, in order, with ``jobs`` processes (those of
    ``pool`` when given, see :func:`worker_pool`).

    With ``weights`` (e.g. file sizes) the items are taken one at a time, heaviest first, so that the
    last ones to finish are small; without, ``chunk_size`` at a time in their order.
    """
    if jobs <= 1 or len(items) < SERIAL_BELOW or not can_fork():
        return [fn(item, False) for item in items]
    if weights is None:
        order: list[int] = list(range(len(items)))
        step = max(1, chunk_size)
    else:
        order = sorted(range(len(items)), key=lambda i: -weights[i])
        step = 1
    results: list[Any] = [None] * len(items)
    workers = jobs - 1
    limit = max(16, len(items) // (8 * workers))  # a worker's results come back in about eight parts
    with contextlib.ExitStack() as stack:
        if pool is None:
            pool = _forked_pool(workers)
            stack.callback(pool.join)
            stack.callback(pool.terminate)
        counter = pool.pbtlint_counter
        counter.value = 0  # every task of the previous round has finished
        shares: list[Any] = []

        def collect(block: bool) -> None:
            for share in [s for s in shares if block or s.ready()]:
                shares.remove(share)
                for index, result in share.get():
                    results[index] = result
            while len(shares) < 2 * workers and counter.value < len(order):  # two shares queued per worker
                shares.append(pool.apply_async(_worker_share, (fn, items, order, step, limit)))

        try:
            collect(False)
            while (first := _claim(counter, step)) < len(order):
                for index in order[first:first + step]:
                    results[index] = fn(items[index], False)
                collect(False)
        except BaseException:  # let the workers stop before the error goes up
            counter.value = len(order)
            for share in shares:
                share.wait()
            raise
        collect(True)
    return results


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
            # everything allocated meanwhile sits in the youngest generation: turned back on, the
            # collector would walk it all at the next allocation (2 s after a Base Application run).
            # Moved to the oldest generation, it waits for a full collection like any long-lived data.
            gc.freeze()
            gc.unfreeze()
            gc.enable()
