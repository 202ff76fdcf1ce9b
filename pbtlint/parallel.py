"""Run a function over many items with every core: ``jobs - 1`` forked workers take chunks of items from
the front of the list while the calling process takes items one at a time from the back, until they
meet. Chunks shrink as the work left does (each about a quarter of a process's share of what is left,
by weight), so the calling process never waits long for a worker's last chunk. Small inputs (and
``jobs=1``, and platforms without ``fork``) run serially in the calling process.

The function receives ``in_worker``: a worker's result travels back pickled, so a function may return
something cheaper to send (already pickled bytes, for instance) when it runs in a worker.
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import itertools
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")

SERIAL_BELOW = 8
"""Fewer items than this run serially: starting a worker costs more than it saves."""


def _run_chunk(fn: Callable[[Any, bool], Any], chunk: Sequence[Any]) -> list[Any]:
    return [fn(item, True) for item in chunk]


def _same(result: Any) -> Any:
    return result


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity where the platform tells it, else all of them)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def can_fork() -> bool:
    import multiprocessing as mp  # here: a run that reuses the previous result starts no process

    return "fork" in mp.get_all_start_methods()


def fork_pool(processes: int) -> Any:
    """A pool of ``processes`` forked workers (multiprocessing is imported here: a run that reuses the
    previous result starts no process)."""
    import multiprocessing as mp

    return mp.get_context("fork").Pool(processes)


@contextlib.contextmanager
def worker_pool(jobs: int) -> Iterator[Any]:
    """``jobs - 1`` forked workers to reuse across many :func:`run_parallel` calls (None when there is
    nothing to fork): a run that goes in many small rounds then forks once. Workers see the module
    state of the moment they are forked."""
    if jobs <= 1 or not can_fork():
        yield None
        return
    pool = fork_pool(jobs - 1)
    try:
        yield pool
    finally:
        pool.terminate()
        pool.join()


def run_parallel(fn: Callable[[T, bool], Any], items: Sequence[T], jobs: int = 1,
                 chunk_size: int = 8, weights: Sequence[int] | None = None, pool: Any = None,
                 receive: Callable[[Any], Any] | None = None, meanwhile: Callable[[], None] | None = None
                 ) -> list[Any]:
    """``[fn(item, in_worker) for item in items]``, in order, with ``jobs`` processes (those of
    ``pool`` when given, see :func:`worker_pool`).

    With ``weights`` (e.g. file sizes) the heaviest items go first (to the workers) and chunks are sized
    by weight; without, every item weighs the same and a chunk holds at most ``chunk_size`` of them.
    ``receive`` turns each result, a worker's as soon as its chunk is back, into what is returned (to
    unpickle what a worker sent while the workers still have work, not after the last chunk).
    ``meanwhile`` is called once, in this process, after the workers got their first chunks and before
    it takes items itself (work it would do later anyway, done while they are busy); not when the items
    run serially.
    """
    turn = receive or _same
    if jobs <= 1 or len(items) < SERIAL_BELOW or not can_fork():
        return [turn(fn(item, False)) for item in items]
    if weights is None:
        order: list[int] = list(range(len(items)))
        cost = [1] * len(items)
        most = max(1, chunk_size)
    else:
        order = sorted(range(len(items)), key=lambda i: -weights[i])
        cost = [max(1, weights[i]) for i in order]
        most = len(items)
    before = [0, *itertools.accumulate(cost)]  # the weight of order[:k] is before[k]
    results: list[Any] = [None] * len(items)
    workers = jobs - 1
    front, back = 0, len(order)  # workers' chunks come from the front, the calling process's items from the back
    pending: dict[Any, tuple[int, int]] = {}
    with contextlib.ExitStack() as stack:
        if pool is None:
            pool = fork_pool(workers)
            stack.callback(pool.join)
            stack.callback(pool.terminate)

        def submit() -> None:
            nonlocal front
            while len(pending) < 2 * workers and front < back:
                share = (before[back] - before[front]) // (4 * jobs)  # a quarter of a process's share of what is left
                end = bisect.bisect_right(before, before[front] + share, front + 1, back + 1) - 1
                end = min(max(end, front + 1), front + most, back)
                pending[pool.apply_async(_run_chunk, (fn, [items[i] for i in order[front:end]]))] = (front, end)
                front = end

        def collect(block: bool) -> None:
            for task in [t for t in pending if block or t.ready()]:
                lo, hi = pending.pop(task)
                for index, result in zip(order[lo:hi], task.get(), strict=True):
                    results[index] = turn(result)

        try:
            submit()
            if meanwhile is not None:
                meanwhile()
                collect(False)
                submit()
            while back > front:
                back -= 1
                results[order[back]] = turn(fn(items[order[back]], False))
                collect(False)
                submit()
            collect(True)
        except Exception:  # let the workers finish what they hold before the error goes up
            for task in pending:
                task.wait()
            raise
    return results


class RunMemo(Generic[K, V]):
    """What each process keeps for the length of a run: :attr:`kept` is a dict inside :meth:`keeping`
    and None outside. Entered before the workers are forked, each worker fills its own copy."""

    def __init__(self) -> None:
        self.kept: dict[K, V] | None = None

    @contextlib.contextmanager
    def keeping(self) -> Iterator[None]:
        """Keep from here to the end of the block, then forget (what was kept before comes back)."""
        saved, self.kept = self.kept, {}
        try:
            yield
        finally:
            self.kept = saved


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
            # Moved to the oldest generation, it waits for a full collection like any long-lived data
            # (not when the host froze objects itself: unfreezing would release those too).
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()
