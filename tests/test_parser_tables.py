"""The one-pass parser's saved tables (pbtlint.parser_tables): a parser loaded from them builds the
same trees as one derived from Lark's, and a missing, damaged or unwritable file costs only time."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pbtlint import astparse, parser_tables
from pbtlint.astparse import AstParser
from pbtlint.elide import body_ranges, elide
from pbtlint.parser import get_parser
from pbtlint.preprocessor import preprocess
from pbtlint.source import read_source
from pbtlint.transform import AstBuilder

ROOT = Path(__file__).resolve().parent.parent
AL_FILES = sorted(p for p in (ROOT / "fixtures").rglob("*.al"))


def _derived() -> AstParser:
    return AstParser(get_parser())


def _texts() -> list[str]:
    out = []
    for path in AL_FILES:
        source = read_source(path, path.name)
        if source.text is not None:
            out.append(preprocess(source.text, (), path.name).text)
    return out


def _parse(parser: AstParser, text: str, start: str = "compilation_unit") -> object:
    try:
        return parser.parse(text, AstBuilder(text), start)
    except astparse._NoParse:
        return "no parse"


def test_a_loaded_parser_builds_the_trees_the_derived_one_builds(tmp_path: Path) -> None:
    path = str(tmp_path / "t.tables")
    derived = _derived()
    parser_tables.save(derived, path)
    loaded = parser_tables.load(path)
    assert loaded is not None and loaded is not derived
    assert loaded.callbacks and loaded.callbacks[0] is not derived.callbacks[0]
    texts = _texts()
    assert len(texts) > 50
    parsed = 0
    for text in texts:
        want = _parse(derived, text)
        parsed += want != "no parse"
        assert _parse(loaded, text) == want
        skeleton = elide(text, body_ranges(text))  # skeletons too: their elided bodies are their own rule
        assert _parse(loaded, skeleton) == _parse(derived, skeleton)
    assert parsed > 50
    assert _parse(loaded, "a := b + c;", "statements") == _parse(derived, "a := b + c;", "statements")


def test_a_damaged_file_is_derived_again_and_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "t.tables"
    path.write_bytes(b"not a pickle")
    assert parser_tables.load(str(path)) is None
    calls = []

    def derive() -> AstParser:
        calls.append(1)
        return _derived()

    parser = parser_tables.cached_parser(derive, str(path))
    assert calls == [1]
    assert _parse(parser, "codeunit 1 X\n{\n}\n") != "no parse"
    again = parser_tables.cached_parser(derive, str(path))  # the rewritten file loads
    assert calls == [1] and again is not parser
    truncated = path.read_bytes()[: len(path.read_bytes()) // 2]
    path.write_bytes(truncated)
    assert parser_tables.load(str(path)) is None


def test_an_unwritable_place_still_gives_a_parser(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    path = str(blocker / "sub" / "t.tables")  # its folder cannot be made: a file is in the way
    parser = parser_tables.cached_parser(_derived, path)
    assert _parse(parser, "codeunit 1 X\n{\n}\n") != "no parse"
    assert not os.path.exists(path)
    assert sorted(os.listdir(tmp_path)) == ["file"]


def test_a_parser_with_larks_own_wrappers_is_not_saved(tmp_path: Path) -> None:
    derived = _derived()
    derived.rule_plans = None  # as when a rule has a wrapper the driver does not know
    path = tmp_path / "t.tables"
    parser_tables.save(derived, str(path))
    assert not path.exists()


def test_the_file_is_named_by_the_tool_and_the_grammar(monkeypatch: pytest.MonkeyPatch) -> None:
    first = parser_tables.tables_file()
    monkeypatch.setattr(parser_tables, "tool_version", lambda: "another pbtlint")
    assert parser_tables.tables_file() != first
    monkeypatch.undo()
    monkeypatch.setattr(parser_tables, "grammar_hash", lambda: "another grammar")
    assert parser_tables.tables_file() != first


def test_saving_keeps_only_the_latest_few_tables_files(tmp_path: Path) -> None:
    derived = _derived()
    for i in range(5):
        old = tmp_path / f"astparse-old{i}.tables"
        old.write_bytes(b"x")
        os.utime(old, ns=(i * 10**9, i * 10**9))
    (tmp_path / "al-other.lark-cache").write_bytes(b"x")  # not ours to remove
    parser_tables.save(derived, str(tmp_path / "astparse-new.tables"))
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert kept == ["al-other.lark-cache", "astparse-new.tables", "astparse-old3.tables", "astparse-old4.tables"]
    assert parser_tables.load(str(tmp_path / "astparse-new.tables")) is not None
