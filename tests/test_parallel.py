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
