"""run_parallel: results in order, from every process, each turned by ``receive`` exactly once."""

from __future__ import annotations

import os

import pytest

from pbtlint import parallel


def _square_and_pid(item: int, in_worker: bool) -> tuple[int, int, bool]:
    return item * item, os.getpid(), in_worker


@pytest.mark.skipif(not parallel.can_fork(), reason="no fork on this platform: run_parallel is serial here")
def test_receive_turns_every_result_once_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "SERIAL_BELOW", 1)
    seen: list[int] = []

    def receive(result: tuple[int, int, bool]) -> tuple[int, int, bool, str]:
        seen.append(result[0])
        return (*result, "received")

    items = list(range(60))
    out = parallel.run_parallel(_square_and_pid, items, jobs=2, weights=[1 + i % 7 for i in items], receive=receive)
    assert [r[0] for r in out] == [i * i for i in items]
    assert all(r[3] == "received" for r in out)
    assert sorted(seen) == sorted(i * i for i in items)  # once each, whichever process computed it
    assert any(r[2] for r in out), "a worker should have taken some of the items"
    assert any(not r[2] and r[1] == os.getpid() for r in out), "the calling process should have taken some"


def test_receive_in_the_serial_path() -> None:
    out = parallel.run_parallel(_square_and_pid, [1, 2, 3], jobs=2, receive=lambda r: r[0] + 1)
    assert out == [2, 5, 10]


def _sleep_then_pid(item: int, in_worker: bool) -> tuple[int, bool]:
    import time

    time.sleep(0.002)
    return os.getpid(), in_worker


@pytest.mark.skipif(not parallel.can_fork(), reason="no fork on this platform: run_parallel is serial here")
def test_meanwhile_runs_once_here_while_the_worker_starts() -> None:
    """``meanwhile`` runs once in the calling process, before it takes an item itself: the worker has
    begun by then (it took items while this process was busy)."""
    calls: list[int] = []

    def meanwhile() -> None:
        calls.append(os.getpid())
        import time

        time.sleep(0.2)  # longer than the worker's first chunks take

    out = parallel.run_parallel(_sleep_then_pid, list(range(40)), jobs=2, meanwhile=meanwhile)
    assert calls == [os.getpid()]
    assert out[0][1], "the first chunk should be the worker's, done while the calling process waited"
    assert len(out) == 40


def test_meanwhile_is_not_called_when_the_items_run_serially() -> None:
    calls: list[int] = []
    out = parallel.run_parallel(_square_and_pid, [1, 2, 3], jobs=2, meanwhile=lambda: calls.append(1))
    assert [r[0] for r in out] == [1, 4, 9] and calls == []
