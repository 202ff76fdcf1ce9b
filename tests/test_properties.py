"""Property tests: AL fixtures mutated at the token level never make pbtlint raise.

Tokens of a fixture (words, numbers, texts, quoted names, comments, punctuation; whitespace kept
apart) are deleted, duplicated, swapped, inserted, preprocessor directives are inserted, and the
text is truncated. Whatever comes out, the front end and the whole analysis must only ever answer
with findings: PBT0000 for what cannot be read, preprocessed or parsed, never an exception, and
never an "internal error" finding (the runner's last line of defence, which means a stage crashed).

Profiles: ``ci`` (the default: derandomized, 60 examples, no example database written) and
``explore`` (random, 500 examples): ``PBTLINT_HYPOTHESIS_PROFILE=explore pytest tests/test_properties.py``.
scripts/fuzz.py runs the same properties for minutes at a time.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pbtlint.findings import SYNTAX_ERROR
from pbtlint.frontend import parse_text
from pbtlint.rule import all_rules
from pbtlint.runner import analyze

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

settings.register_profile(
    "ci", derandomize=True, max_examples=60, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "explore", max_examples=500, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = settings.get_profile(os.environ.get("PBTLINT_HYPOTHESIS_PROFILE", "ci"))

TOKEN = re.compile(
    r"""\s+                                   # whitespace (kept, never mutated)
      | //[^\n]* | /\*.*?\*/                  # comments
      | @'(?:[^']|'')*' | '(?:[^'\n]|'')*'    # texts
      | "(?:[^"\n]|"")*"                      # quoted names
      | \#[A-Za-z]+                           # directive words
      | \d+(?:\.\d+)?[A-Za-z]*                # numbers, dates, times
      | [^\W\d]\w*                            # words
      | :=|\+=|-=|\*=|/=|<>|<=|>=|\.\.|::     # two-character punctuation
      | .                                     # anything else, one character
    """,
    re.VERBOSE | re.DOTALL,
)

NAME = re.compile(r"[^\W\d]\w*|\"[^\"\n]+\"")
EXTRA_TOKENS = (
    "begin", "end", "end;", ";", "(", ")", "[", "]", "{", "}", "'", '"', "/*", "*/", "//", "@'", ":=", "::",
    "..", ".", ",", "if", "then", "else", "case", "of", "repeat", "until", "var", "procedure", "trigger",
    "codeunit", "page", "table", "Rec", "CurrPage", "EnqueueBackgroundTask", "Codeunit::", "Modify()",
    "Commit();", "exit", "not", "temporary", "#if", "#else", "#endif", "#region", "#endregion", "\u00a0",
    "\ufeff", "\x00", "\u2028", "\t", "0", "2147483648", "99999999999999999999", "1.5", "0D", "0T", "0DT",
)
DIRECTIVES = (
    "#if", "#if DEBUG", "#if not (A and B)", "#if (", "#elif X", "#else", "#endif", "#define X", "#undef X",
    "#region", "#region Name", "#endregion", "#pragma warning disable AL0432", "#pragma implicitwith disable",
    "#pragma", "#bogus", "#",
)


@cache
def fixture_files() -> tuple[Path, ...]:
    """Small AL fixtures: the single-file rule cases and app sources (each under 4 kB)."""
    files = [p for p in sorted(FIXTURES.rglob("*.al")) if p.is_file() and p.stat().st_size < 4096]
    assert files, "no AL fixtures found"
    return tuple(files)


@cache
def fixture_tokens(path: Path) -> tuple[str, ...]:
    text = path.read_bytes().decode("utf-8", errors="replace").replace("\r\n", "\n")
    return tuple(TOKEN.findall(text))


def _apply(tokens: list[str], op: tuple) -> list[str]:
    """One mutation of the token list (whitespace tokens are left where they are)."""
    words = [i for i, t in enumerate(tokens) if not t.isspace()]
    kind = op[0]
    if kind == "truncate":
        text = "".join(tokens)
        return [text[: int(len(text) * op[1])]]
    if kind == "directive":
        lines = "".join(tokens).split("\n")
        at = int(len(lines) * op[1])
        return ["\n".join([*lines[:at], op[2], *lines[at:]])]
    if not words:
        return tokens
    i = words[int(len(words) * op[1]) % len(words)]
    if kind == "delete":
        return tokens[:i] + tokens[i + 1:]
    if kind == "duplicate":
        return tokens[:i] + [tokens[i], " ", tokens[i]] + tokens[i + 1:]
    if kind == "swap":
        j = words[int(len(words) * op[2]) % len(words)]
        out = list(tokens)
        out[i], out[j] = out[j], out[i]
        return out
    if kind == "insert":
        return tokens[:i] + [op[2], " "] + tokens[i:]
    if kind == "repeat":
        if op[2][0] in ".[":  # a chain: after a name that is a receiver or called, where it parses
            names = [k for k in words if NAME.fullmatch(tokens[k]) and tokens[k + 1:k + 2] in (["."], ["("])]
            names = names or words
            i = names[int(len(names) * op[1]) % len(names)] + 1
        return tokens[:i] + [op[2] * op[3]] + tokens[i:]
    return tokens  # pragma: no cover


fractions = st.floats(min_value=0.0, max_value=0.999, allow_nan=False)
operations = st.one_of(
    st.tuples(st.just("delete"), fractions),
    st.tuples(st.just("duplicate"), fractions),
    st.tuples(st.just("swap"), fractions, fractions),
    st.tuples(st.just("insert"), fractions, st.sampled_from(EXTRA_TOKENS)),
    st.tuples(st.just("directive"), fractions, st.sampled_from(DIRECTIVES)),
    st.tuples(st.just("truncate"), fractions),
)


# Deep nesting and long chains (scripts/fuzz.py --deep): a unit repeated up to 3,000 times in place.
REPEATED = ("(", ")", ".Value", ".Value()", "[1]", "not ", "- ", " + 1", "begin ", "end; ", "if X then ",
            "else if X then ", "Rec.", "#if A\n", "#endif\n", "'", "/*")
repeat_operation = st.tuples(st.just("repeat"), fractions, st.sampled_from(REPEATED),
                             st.sampled_from((2, 50, 400, 1_000, 3_000)))


@st.composite
def mutated_sources(draw: st.DrawFn, deep: bool = False) -> tuple[str, str]:
    """A fixture's name and its text after 1 to 6 token-level mutations (``deep``: repeats too)."""
    path = draw(st.sampled_from(fixture_files()))
    tokens = list(fixture_tokens(path))
    ops = draw(st.lists(operations, min_size=0 if deep else 1, max_size=2 if deep else 6))
    if deep:
        ops.insert(draw(st.integers(0, len(ops))), draw(repeat_operation))
    for op in ops:
        tokens = _apply(tokens, op)
    return path.relative_to(ROOT).as_posix(), "".join(tokens)


def check_front_end(text: str) -> None:
    """Preprocess, parse and transform ``text``: only PBT0000 findings, at places inside the text."""
    parsed = parse_text(text, "Mutated.al")
    lines = text.count("\n") + 1
    for f in parsed.findings:
        assert f.rule_id == SYNTAX_ERROR, f
        assert f.location.path == "Mutated.al"
        span = f.location.span
        assert 1 <= span.line <= span.end_line <= lines + 1, (f, lines)
        assert span.column >= 1 and span.end_column >= 1, f
        assert "internal error" not in f.message, f


def check_whole_analysis(text: str) -> None:
    """Analyze ``text`` as the one file of an app: findings of known rules only, no internal error,
    and the JSON and SARIF reports render."""
    from pbtlint.check import CheckOptions, run_check

    known = {r.meta.id for r in all_rules()}
    with tempfile.TemporaryDirectory() as tmp:
        app = Path(tmp)
        (app / "app.json").write_text(json.dumps(
            {"id": "3f0d2b7e-0000-4000-8000-00000000f022", "name": "Mutated", "publisher": "pbtlint tests",
             "version": "1.0.0.0"}), encoding="utf-8")
        (app / "Mutated.al").write_text(text, encoding="utf-8", errors="surrogatepass")
        result = analyze([app])
        for f in result.findings:
            assert f.rule_id in known, f
            assert "internal error" not in f.message, f.message
        for fmt in ("json", "sarif"):
            json.loads(run_check(CheckOptions(paths=(str(app),), fmt=fmt)).report)


@settings(PROFILE)
@given(mutated_sources())
def test_mutated_fixture_front_end_never_raises(source: tuple[str, str]) -> None:
    check_front_end(source[1])


@settings(PROFILE)
@given(mutated_sources())
def test_mutated_fixture_whole_analysis_never_raises(source: tuple[str, str]) -> None:
    check_whole_analysis(source[1])


@settings(PROFILE)
@given(st.text(alphabet=st.sampled_from("begin end;()[]{}'\"/*@#ifx:=.\n "), max_size=200))
def test_random_punctuation_soup(text: str) -> None:
    check_front_end(text)


def test_mutations_change_the_text() -> None:
    """The mutator really mutates (a guard against a property that tests nothing)."""
    path = fixture_files()[0]
    tokens = list(fixture_tokens(path))
    original = "".join(tokens)
    assert original == path.read_text(encoding="utf-8").replace("\r\n", "\n")
    for op in (("delete", 0.5), ("duplicate", 0.1), ("swap", 0.1, 0.9), ("insert", 0.3, "begin"),
               ("directive", 0.5, "#if X"), ("truncate", 0.5), ("repeat", 0.5, "(", 3)):
        assert "".join(_apply(tokens, op)) != original, op
