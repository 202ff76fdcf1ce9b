"""The mention scan (one Aho-Corasick pass for the groups' names, then a search per procedure word
where a name was found) finds the same groups as a plain search per word."""

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
def test_the_scan_finds_what_a_search_per_word_finds(tmp_path_factory, text: str, groups: list) -> None:
    path = tmp_path_factory.mktemp("scan") / "File.al"
    path.write_bytes(text.encode("utf-8"))
    needles = work.needles(groups)
    expected = _expected(text, groups)
    assert work.mention_hits((str(path), needles), False) == expected
    assert work.mentions((str(path), needles), False) == bool(expected)


def test_names_overlapping_and_nested_in_other_words_are_all_found(tmp_path: Path) -> None:
    path = tmp_path / "Caller.Codeunit.al"
    path.write_text('codeunit 50100 Caller\n{\n    var Mgt: Codeunit "Sales-Post Mgt.";\n'
                    "    trigger OnRun() begin Mgt.PostDocuments(); end;\n}\n", encoding="utf-8")
    filler = [(f"Object {i}", f"Proc{i}") for i in range(20)]
    groups = [*(((a,), (b,)) for a, b in filler),
              (("Sales-Post Mgt.",), ("PostDocument",)),  # a prefix of the called name
              (("post",), ("Documents",)),  # inside other words, and inside the name above
              (("sales-post",), ("Documents",)),  # overlaps "post": an overlapping match is reported too
              (("Sales-Post Mgt.",), ("Unposted",))]  # one half only
    needles = work.needles(groups)
    n = len(filler)
    assert work.mention_hits((str(path), needles), False) == (n, n + 1, n + 2)


def test_a_run_scans_each_file_from_what_it_read_before(tmp_path: Path) -> None:
    """Within :func:`keeping_scans` a file is read once, however many scans look in it (another scan
    finds the same groups in what was kept); outside it, every scan reads the file."""
    path = tmp_path / "Caller.Codeunit.al"
    path.write_text("codeunit 50100 Caller { trigger OnRun() begin Mgt.PostDocuments(); end; }\n", encoding="utf-8")
    first = work.needles([(("caller",), ("onrun",))])
    second = work.needles([(("mgt",), ("postdocuments",)), (("mgt",), ("unposted",))])
    with work.keeping_scans():
        assert work.mention_hits((str(path), first), False) == (0,)
        path.write_text("codeunit 50101 Other { }\n", encoding="utf-8")  # what this run read stays
        assert work.mention_hits((str(path), second), False) == (0,)
    assert work.mention_hits((str(path), first), False) == ()  # read again: the file changed
    assert work.mention_hits((str(path), second), False) == ()
