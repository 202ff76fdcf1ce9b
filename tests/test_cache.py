"""The analysis cache: corrupt entries are ignored and rewritten, and a changed tool version or
preprocessor symbols invalidate what was computed with the old ones."""

from __future__ import annotations

import multiprocessing as mp
import pickle
import shutil
from pathlib import Path

import pytest

from pbtlint import cache as cache_mod
from pbtlint import demand, demand_files
from pbtlint.cache import Cache, file_key
from pbtlint.runner import analyze

APP = Path(__file__).resolve().parent.parent / "fixtures" / "demand" / "app"


@pytest.fixture
def app(tmp_path: Path) -> Path:
    copy = tmp_path / "app"
    shutil.copytree(APP, copy)
    return copy


def _garble(path: Path) -> None:
    path.write_bytes(b"\x80\x04not a pickle at all")


def test_corrupt_cache_files_are_ignored_and_rewritten(app: Path, tmp_path: Path) -> None:
    store = tmp_path / "cache"
    expected = analyze([app]).findings
    assert demand.analyze_demand([app], cache_dir=store).findings == expected
    base = store / "v1"
    corrupted = [base / "index.pickle", base / "index-delta.pickle", base / "stats.pickle", *base.glob("run/*.pickle"), *base.glob("ast/*/*.pickle")]
    assert len(corrupted) > 4
    for path in corrupted:
        _garble(path)
    again = demand.analyze_demand([app], cache_dir=store)
    assert again.findings == expected
    assert demand.last_stats is not None and demand.last_stats.path == "closure"
    # rewritten: the next run is warm again and every entry loads
    assert demand.analyze_demand([app], cache_dir=store).findings == expected
    assert demand.last_stats.path == "warm"
    assert Cache(store).load_indexes()


def test_truncated_and_foreign_entries(tmp_path: Path) -> None:
    c = Cache(tmp_path)
    (tmp_path / "v1").mkdir(parents=True)
    (tmp_path / "v1" / "index.pickle").write_bytes(pickle.dumps(["a list, not a dict"]))
    (tmp_path / "v1" / "stats.pickle").write_bytes(pickle.dumps({"version": c.version})[:5])
    assert c.load_indexes() == {}
    assert c.load_stats() == {}
    assert c.get_ast("0" * 32) is None


def test_tool_version_change_invalidates(app: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "cache"
    demand.analyze_demand([app], cache_dir=store)
    demand.analyze_demand([app], cache_dir=store)
    assert demand.last_stats is not None and demand.last_stats.path == "warm"
    monkeypatch.setattr(cache_mod, "tool_version", lambda: "another version")
    monkeypatch.setattr(demand_files, "tool_version", lambda: "another version")
    result = demand.analyze_demand([app], cache_dir=store)
    assert demand.last_stats.path == "closure"
    assert demand.last_stats.indexed == demand.last_stats.files
    assert demand.last_stats.parsed_from_cache == 0
    assert result.findings == analyze([app]).findings


def test_symbols_change_invalidates(app: Path, tmp_path: Path) -> None:
    store = tmp_path / "cache"
    page = app / "src" / "DemandHelper.Codeunit.al"
    page.write_text(page.read_text(encoding="utf-8").replace(
        "        Commit();", "#if not NOCOMMIT\n        Commit();\n#endif"), encoding="utf-8")
    plain = demand.analyze_demand([app], cache_dir=store)
    assert plain.findings == analyze([app]).findings
    defined = demand.analyze_demand([app], ["NOCOMMIT"], cache_dir=store)
    assert demand.last_stats is not None and demand.last_stats.path == "closure"
    assert demand.last_stats.indexed == demand.last_stats.files
    assert defined.findings == analyze([app], ["NOCOMMIT"]).findings
    assert len(defined.findings) == len(plain.findings) - 1
    assert file_key("d", ["A"]) != file_key("d", ["B"])
    assert file_key("d", ["A", "B"]) == file_key("d", ["B", "A"])


def test_size_bound_prunes_least_recently_used(tmp_path: Path) -> None:
    c = Cache(tmp_path, max_bytes=2500)
    for i in range(5):
        c.put_ast_bytes(f"{i:02d}" + "0" * 30, b"x" * 1000)
    c.prune()
    left = list((tmp_path / "v1" / "ast").glob("*/*.pickle"))
    assert len(left) == 2


def test_unwritable_location_is_not_an_error(app: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x", encoding="utf-8")
    result = demand.analyze_demand([app], cache_dir=blocker / "cache")
    assert result.findings == analyze([app]).findings


class _Planted:
    """A pickle that would create ``marker`` when loaded: what a hostile cache folder could hold."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        import os

        return os.mkdir, (str(self.marker),)


def test_entries_not_signed_with_the_users_key_are_never_unpickled(app: Path, tmp_path: Path) -> None:
    store = tmp_path / "cache"
    expected = analyze([app]).findings
    demand.analyze_demand([app], cache_dir=store)
    marker = tmp_path / "planted-code-ran"
    planted = pickle.dumps(_Planted(marker))
    base = store / "v1"
    entries = [base / "index.pickle", base / "index-delta.pickle", base / "stats.pickle", *base.glob("run/*.pickle"), *base.glob("ast/*/*.pickle")]
    assert len(entries) > 4
    for path in entries:
        path.write_bytes(planted)  # a plain pickle, as a repository could carry it
    assert demand.analyze_demand([app], cache_dir=store).findings == expected
    assert not marker.exists()
    forged = tmp_path / "forged"
    forged.write_bytes(b"\0" * 32 + planted)  # a signature made without the key
    assert Cache(tmp_path / "other")._read(forged) is None and not marker.exists()


def test_signed_entries_round_trip_and_tampering_is_detected() -> None:
    blob = cache_mod.sign(b"payload")
    assert cache_mod.verified(blob) == b"payload"
    assert cache_mod.verified(blob[:-1] + b"X") is None
    assert cache_mod.verified(b"short") is None


def test_a_forked_worker_writes_its_entries_where_the_parent_reads_them(tmp_path: Path) -> None:
    store = Cache(tmp_path / "cache")
    child = mp.get_context("fork").Process(target=store.put_ast_bytes, args=("ef56", pickle.dumps("child")))
    child.start()
    child.join(10)
    assert child.exitcode == 0
    assert store.get_ast("ef56") == "child"


def test_the_latest_few_runs_are_kept_and_a_warm_hit_is_the_latest_again(tmp_path: Path) -> None:
    """Runs from two working folders (their keys differ) both stay warm; the one read last is where the
    next edit's incremental run starts from."""
    import os

    from pbtlint.cache import KEPT_RUNS

    cache = Cache(tmp_path)
    keys = [f"run{i}" for i in range(KEPT_RUNS + 1)]
    for i, key in enumerate(keys):
        cache.put_run(key, {"n": i})
        os.utime(cache.base / "run" / f"{key}.pickle", (1_000_000 + i, 1_000_000 + i))  # written in this order
    assert cache.get_run(keys[0]) is None  # the oldest went
    assert [cache.get_run(k) for k in keys[1:]] == [{"n": i} for i in range(1, KEPT_RUNS + 1)]
    for i, key in enumerate(keys[1:]):  # file times are coarse: make the order plain again
        os.utime(cache.base / "run" / f"{key}.pickle", (1_000_000 + i, 1_000_000 + i))
    assert cache.latest_run() == {"n": KEPT_RUNS}
    assert cache.get_run(keys[1]) == {"n": 1} and cache.latest_run() == {"n": 1}


def test_a_run_written_again_under_its_key_keeps_the_others(tmp_path: Path) -> None:
    from pbtlint.cache import KEPT_RUNS

    cache = Cache(tmp_path)
    for i in range(KEPT_RUNS):
        cache.put_run(f"run{i}", {"n": i})
    cache.put_run(f"run{KEPT_RUNS - 1}", {"n": "again"})
    assert [cache.get_run(f"run{i}") for i in range(KEPT_RUNS)] == [*({"n": i} for i in range(KEPT_RUNS - 1)),
                                                                     {"n": "again"}]


class _Counted:
    """A cache entry that counts how often it is unpickled."""

    loads = 0

    def __init__(self, value: int) -> None:
        self.value = value

    def __setstate__(self, state: dict) -> None:
        _Counted.loads += 1
        self.__dict__.update(state)


def test_index_entries_are_read_one_by_one_when_asked_for(tmp_path: Path) -> None:
    c = Cache(tmp_path)
    c.save_indexes({f"k{i}": _Counted(i) for i in range(50)})
    _Counted.loads = 0
    stored = Cache(tmp_path).load_indexes()
    assert len(stored) == 50 and "k7" in stored and "k50" not in stored and _Counted.loads == 0
    assert stored["k7"].value == 7 and stored["k7"] is stored["k7"] and _Counted.loads == 1
    assert stored.get("missing") is None
    stored["new"] = _Counted(99)
    assert sorted(stored) == sorted([*(f"k{i}" for i in range(50)), "new"]) and len(stored) == 51
    # written again: unread entries as they were read, new ones pickled; nothing is lost
    c.save_indexes(stored.only(["k1", "k7", "new", "gone"]))
    again = Cache(tmp_path).load_indexes()
    assert {k: again[k].value for k in again} == {"k1": 1, "k7": 7, "new": 99}
    del again["k1"]
    assert "k1" not in again and len(again) == 2
    with pytest.raises(KeyError):
        del again["k1"]


def test_a_same_trees_edit_reads_only_the_changed_files_entries(app: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "cache"
    demand.analyze_demand([app], cache_dir=store)
    target = app / "src" / "DemandHelper.Codeunit.al"
    target.write_text("// a comment on top\n" + target.read_text(encoding="utf-8"), encoding="utf-8")
    read: list[str] = []
    original = cache_mod.StoredEntries.__getitem__

    def counted(self: cache_mod.StoredEntries, key: str) -> object:
        read.append(key)
        return original(self, key)

    monkeypatch.setattr(cache_mod.StoredEntries, "__getitem__", counted)
    after = demand.analyze_demand([app], cache_dir=store)
    assert demand.last_stats is not None and demand.last_stats.path == "same-trees"
    assert after.findings == analyze([app]).findings
    assert len(set(read)) <= 1 < len(list(app.rglob("*.al")))  # the old content's entry, if any


def test_tree_entries_are_written_in_place(tmp_path: Path) -> None:
    """A parsed file's entry is written without a temporary file: read back whole, written over, and
    taken for missing (then removed) when a reader meets it half written."""
    c = Cache(tmp_path)
    key = "ab" + "0" * 30
    c.put_ast_bytes(key, pickle.dumps({"tree": 1}))
    assert c.get_ast(key) == {"tree": 1}
    c.put_ast_bytes(key, pickle.dumps({"tree": 2}))
    assert c.get_ast(key) == {"tree": 2}
    path = next((tmp_path / "v1" / "ast").glob("*/*.pickle"))
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left beside it
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])  # what a reader sees while a writer is halfway
    assert c.get_ast(key) is None and not path.exists()
    blocked = Cache(tmp_path / "file")
    (tmp_path / "file").write_text("x", encoding="utf-8")
    blocked.put_ast_bytes(key, b"data")  # a place that cannot hold a cache: not an error, not used again
    assert blocked.writable is False
