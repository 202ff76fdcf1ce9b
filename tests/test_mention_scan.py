"""The mention scan finds the same groups whichever way it searches: word by word, or (from
``AUTOMATON_WORDS`` words on) in one Aho-Corasick pass."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pbtlint import demand_work as work

# few letters, so that words overlap, nest in each other and share prefixes and suffixes
_WORD = st.text(alphabet="abé\" .", min_size=1, max_size=5)
_GROUP = st.tuples(st.lists(_WORD, min_size=1, max_size=3).map(tuple), st.lists(_WORD, min_size=1, max_size=3).map(tuple))


def _expected(text: str, groups: list[tuple[tuple[str, ...], tuple[str, ...]]]) -> tuple[int, ...]:
    folded = text.lower()
    return tuple(i for i, (names, procs) in enumerate(groups)
                 if any(x.lower() in folded for x in names) and any(x.lower() in folded for x in procs))


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet="aAbBéÉ\" .\n", max_size=80), groups=st.lists(_GROUP, min_size=1, max_size=12))
def test_both_searches_find_what_a_search_per_word_finds(tmp_path_factory, text: str, groups: list) -> None:
    path = tmp_path_factory.mktemp("scan") / "File.al"
    path.write_bytes(text.encode("utf-8"))
    needles = work.needles(groups)
    for threshold in (1, 10**9):  # every scan through the automaton, then none
        saved, work.AUTOMATON_WORDS = work.AUTOMATON_WORDS, threshold
        try:
            assert work.mention_hits((str(path), needles), False) == _expected(text, groups), threshold
        finally:
            work.AUTOMATON_WORDS = saved


def test_the_automaton_is_used_for_many_words_and_finds_nested_words(tmp_path: Path) -> None:
    path = tmp_path / "Caller.Codeunit.al"
    path.write_text('codeunit 50100 Caller\n{\n    var Mgt: Codeunit "Sales-Post Mgt.";\n'
                    "    trigger OnRun() begin Mgt.PostDocuments(); end;\n}\n", encoding="utf-8")
    filler = [(f"Object {i}", f"Proc{i}") for i in range(work.AUTOMATON_WORDS)]
    groups = [*(((a,), (b,)) for a, b in filler),
              (("Sales-Post Mgt.",), ("PostDocument",)),  # a prefix of the called name
              (("post",), ("Documents",)),  # inside other words
              (("Sales-Post Mgt.",), ("Unposted",))]  # one half only
    needles = work.needles(groups)
    assert len(needles.words) >= work.AUTOMATON_WORDS
    n = len(filler)
    assert work.mention_hits((str(path), needles), False) == (n, n + 1)
