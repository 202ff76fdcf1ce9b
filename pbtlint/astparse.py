"""Parse AL text straight into the typed AST, in one pass.

The plain front end is two passes: Lark parses into a parse tree, with ``propagate_positions``
giving every tree node its place, and :class:`pbtlint.transform.AstBuilder` turns that tree into
:mod:`pbtlint.nodes`. Building the tree and tracking positions through Lark's wrappers cost more
than the parse itself, so this module runs the same LALR tables with the same lexer, and at each
reduction calls the builder's method for the rule directly, with the span that Lark's position
propagation would have given the node. No parse tree is built.

The result equals ``AstBuilder(text).transform(parse_source(text).tree)``; tests/test_astparse.py
checks it on every fixture file. Text that does not parse is handed to
:func:`pbtlint.parser.parse_source`, so syntax errors read exactly as before.

How a node's span is found (what ``propagate_positions`` does): a node starts where the first of
its children that has a place starts and ends where the last one ends, counting the tokens the tree
drops (``(``, ``;``) and the extent of rules inlined into it (``_rule``, ``?rule``). So every entry
on the value stack carries its extent beside it. In this grammar a ``?rule`` never passes a bare
token or a placeholder up; if one ever did, Lark would use the token's own place, not the rule's
extent; :func:`_check_handed_up` sends such text to the plain parser.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from typing import Any

from lark import Lark, Token, Tree
from lark.parse_tree_builder import ChildFilterLALR, ChildFilterLALR_NoPlaceholders, ExpandSingleChild, ParseTreeBuilder
from lark.parsers.lalr_analysis import Shift

from pbtlint.findings import Finding
from pbtlint.parser import ALLexer, get_parser, parse_source
from pbtlint.transform import AstBuilder, rule_methods

Extent = tuple[int, int, int, int]
"""line and column of the start, line and column of the end (exclusive): what
:func:`pbtlint.transform.meta_span` turns into the node's span."""


_Reduction = tuple[int, Callable[[list[Any]], Any], str, int | None]
"""A rule to reduce by: its length, the callback building its value, its name, and which child it may
hand up after dropping others (see :func:`_hands_up`)."""

_SHIFT, _PASS, _REDUCE = 0, 1, 2
"""What the driver's table says to do: shift to a state; reduce by a rule that passes its one child up
unchanged (``?rule: child``: only the state changes, to the goto of the rule's name); reduce by any
other rule (a :data:`_Reduction`)."""


RulePlan = tuple[bool, list[tuple[int, bool, int]] | None, int]
"""What a rule's reduction does before its builder method (see :func:`_plan`)."""


class _Cursor:
    """What :class:`pbtlint.parser.ALLexer` reads of the parser: the state on top of the stack."""

    __slots__ = ("stack",)

    def __init__(self, stack: list[int]) -> None:
        self.stack = stack

    @property
    def position(self) -> int:
        return self.stack[-1]


class _Context:
    """The builder and the current reduction's extent, read by the rule callbacks."""

    __slots__ = ("builder", "extent")

    def __init__(self) -> None:
        self.builder: AstBuilder | None = None
        self.extent: Extent | None = None


_END = Token("$END", "")


class _NoParse(Exception):
    """The fast path met something it does not handle; the plain parser takes over."""


class AstParser:
    """The LALR driver over a built Lark parser's tables, calling the builder at each reduction."""

    def __init__(self, lark: Lark) -> None:
        frontend = lark.parser
        table = frontend.parser.parser.parse_table
        lexer = frontend.lexer
        assert isinstance(lexer, ALLexer)
        self._begin(lexer, table.start_states, table.end_states)
        methods = rule_methods()
        tree_builder = ParseTreeBuilder(lark.rules, Tree, propagate_positions=False, ambiguous=False,
                                        maybe_placeholders=lark.options.maybe_placeholders)
        plans = {rule: _plan(wrappers) for rule, wrappers in tree_builder.rule_builders}
        own = all(plan is not None for plan in plans.values())  # else Lark's wrappers, over trees
        # with our own callbacks only, the tables can be saved and the callbacks built again from the
        # rules' names and plans (pbtlint.parser_tables)
        self.rule_plans: list[tuple[str, RulePlan]] | None = [] if own else None
        reductions: dict[Any, tuple[int, Any]] = {}
        for rule, wrappers in tree_builder.rule_builders:
            name = rule.alias or rule.options.template_source or rule.origin.name
            plan = plans[rule]
            if self.rule_plans is not None and plan is not None:
                callback = self._callback(name, methods.get(name), *plan)
                self.rule_plans.append((name, plan))
                self.callbacks.append(callback)
            else:
                callback = self._leaf(name, methods.get(name))
                for wrap in wrappers:
                    callback = wrap(callback)
            reductions[rule] = ((_PASS, rule.origin.name) if _passes_through(rule, callback) else
                                (_REDUCE, (len(rule.expansion), callback, rule.origin.name, _hands_up(rule, callback))))
        # the table with each reduce action's rule replaced by what the driver needs of it; its keys
        # per state are what the lexer asks of the state (which terminals it accepts)
        self.actions: dict[int, dict[str, tuple[int, Any]]] = {
            state: {symbol: (_SHIFT, arg) if action is Shift else reductions[arg]
                    for symbol, (action, arg) in row.items()}
            for state, row in table.states.items()
        }
        self.gotos: dict[int, dict[str, int]] = {
            state: {symbol: arg for symbol, (action, arg) in row.items() if action is Shift}
            for state, row in table.states.items()
        }

    @classmethod
    def from_plans(cls, lexer: ALLexer, start_states: dict[str, int], end_states: dict[str, int],
                   rule_plans: list[tuple[str, RulePlan]]) -> AstParser:
        """A parser whose callbacks are built from ``rule_plans`` (another's :attr:`rule_plans`), in
        the same order as :attr:`callbacks`; its :attr:`actions` and :attr:`gotos` are for the caller
        to set (:mod:`pbtlint.parser_tables`)."""
        parser = cls.__new__(cls)
        parser._begin(lexer, start_states, end_states)
        parser.rule_plans = rule_plans
        methods = rule_methods()
        parser.callbacks = [parser._callback(name, methods.get(name), *plan) for name, plan in rule_plans]
        return parser

    def _begin(self, lexer: ALLexer, start_states: dict[str, int], end_states: dict[str, int]) -> None:
        self.lexer = lexer
        self.start_states = start_states
        self.end_states = end_states
        self.context = _Context()
        self.callbacks: list[Callable[[list[Any]], Any]] = []

    def _callback(self, name: str, method: Callable[..., Any] | None, expand_single: bool,
                  include: list[tuple[int, bool, int]] | None, trailing: int) -> Callable[[list[Any]], Any]:
        """The reduction of a rule as one function: Lark's child filtering and inlining (``include``,
        ``trailing`` Nones for missing optionals, ``expand_single`` for a ``?rule``), then the rule's
        builder method. An inlined ``_rule`` is the list of its kept children, which the parent
        splices in; a rule without a method stays a Lark tree, as under Lark's transformer."""
        context = self.context
        pick = _picker(include, trailing)
        kept = pick or _same
        leaf: Callable[[list[Any]], Any] | None
        if name.startswith("_"):
            leaf = None  # the kept children themselves
        elif method is None:
            def leaf(children: list[Any]) -> Any:
                return Tree(name, children)
        else:
            def leaf(children: list[Any]) -> Any:
                return method(context.builder, context.extent, children)
        if expand_single:
            whole = leaf or _same

            def single(children: list[Any]) -> Any:
                children = kept(children)
                return children[0] if len(children) == 1 else whole(children)
            return single
        if leaf is None or pick is None:
            return leaf or kept
        build = leaf
        return lambda children: build(pick(children))

    def _leaf(self, name: str, method: Callable[..., Any] | None) -> Callable[[list[Any]], Any]:
        context = self.context
        if name.startswith("_") or method is None:
            # inlined rules stay trees for their parent to unpack; a rule with no method stays a tree
            # as in Lark's transformer
            def tree(children: list[Any]) -> Any:
                return Tree(name, children)
            return tree

        def build(children: list[Any]) -> Any:
            return method(context.builder, context.extent, children)
        return build

    def parse(self, text: str, builder: AstBuilder, start: str) -> Any:
        """The node for ``text`` from ``start``; raises _NoParse when the text does not parse."""
        context = self.context
        context.builder = builder
        actions, gotos = self.actions, self.gotos
        state_stack = [self.start_states[start]]
        end_state = self.end_states[start]
        values: list[Any] = []
        extents: list[Extent | None] = []
        try:
            for token in itertools.chain(self.lexer.tokens_for(text, actions, _Cursor(state_stack)), (_END,)):
                kind = token.type
                while True:
                    what, arg = actions[state_stack[-1]][kind]
                    if what == _SHIFT:
                        if token is _END:
                            raise _NoParse
                        state_stack.append(arg)
                        values.append(token)
                        extents.append((token.line, token.column, token.end_line, token.end_column))
                        break
                    if what == _PASS:  # `?rule: child`: the child is the value, its extent stays
                        state_stack[-1] = gotos[state_stack[-2]][arg]
                    else:
                        size, callback, origin, hands_up = arg
                        extent: Extent | None = None
                        spans: list[Extent | None] = []
                        if size == 1:  # the commonest reduction: no slices
                            children = [values.pop()]
                            extent = extents.pop()
                            state_stack.pop()
                            if hands_up is not None:
                                spans = [extent]
                        elif size:
                            children = values[-size:]
                            first, last = extents[-size], extents[-1]
                            if first is not None and last is not None:
                                extent = (first[0], first[1], last[2], last[3])
                                if hands_up is not None:
                                    spans = extents[-size:]
                            else:
                                spans = extents[-size:]
                                extent = _extent_of(spans)
                            del state_stack[-size:]
                            del values[-size:]
                            del extents[-size:]
                        else:
                            children = []
                        context.extent = extent
                        value = callback(children)
                        if hands_up is not None:
                            _check_handed_up(hands_up, value, children, spans)
                        values.append(value)
                        extents.append(extent)
                        state_stack.append(gotos[state_stack[-1]][origin])
                    if token is _END and state_stack[-1] == end_state:
                        return values[-1]
            raise _NoParse  # pragma: no cover - the table always ends the parse at $END
        except _NoParse:
            raise
        except Exception as exc:  # a syntax error (KeyError, the lexer's error) or a builder failure
            raise _NoParse from exc
        finally:
            context.builder = None


def _same(children: list[Any]) -> list[Any]:
    return children


def _extent_of(spans: list[Extent | None]) -> Extent | None:
    """From the first to the last of ``spans`` that have a place (None when none has)."""
    placed = [span for span in spans if span is not None]
    return (placed[0][0], placed[0][1], placed[-1][2], placed[-1][3]) if placed else None


def _plan(wrappers: list[Any]) -> RulePlan | None:
    """What Lark's wrappers of a rule do, read off them: whether a single child is handed up (``?rule``),
    which children are kept, each with whether it is an inlined ``_rule`` and how many Nones (missing
    ``[optional]`` parts) go before it, and how many Nones go after. None for a wrapper this module
    does not know."""
    expand_single = False
    include: list[tuple[int, bool, int]] | None = None
    trailing = 0
    for wrap in wrappers:
        func = getattr(wrap, "func", None)
        if wrap is ExpandSingleChild and include is None:
            expand_single = True
        elif func is ChildFilterLALR_NoPlaceholders:
            include = [(i, expand, 0) for i, expand in wrap.args[0]]
        elif func is ChildFilterLALR:
            include, trailing = list(wrap.args[0]), wrap.args[1]
        else:
            return None
    return expand_single, include, trailing


def _picker(include: list[tuple[int, bool, int]] | None, trailing: int) -> Callable[[list[Any]], list[Any]] | None:
    """The children a rule keeps, as Lark's LALR child filter gives them (None: all, as they are)."""
    if include is None:
        return None
    if not trailing and not any(expand or nones for _, expand, nones in include):
        keep = tuple(i for i, _, _ in include)
        if len(keep) == 1:
            only = keep[0]
            return lambda children: [children[only]]
        return lambda children: [children[i] for i in keep]

    def pick(children: list[Any]) -> list[Any]:
        out: list[Any] = []
        for i, expand, nones in include:
            if nones:
                out += [None] * nones
            if not expand:
                out.append(children[i])
            elif out:
                out += children[i]
            else:  # a left-recursive list: go on with the inlined rule's own list
                out = children[i]
        if trailing:
            out += [None] * trailing
        return out
    return pick


def _hands_up(rule: Any, callback: Callable[[list[Any]], Any]) -> int | None:
    """For a ``?rule`` of several symbols that may hand one child up after dropping the others
    (``?primary: "(" expression ")"``): which child (tried on stand-ins), or -1 when the stand-ins
    cannot tell (an inlined ``_rule`` among them). None for every other rule."""
    if len(rule.expansion) < 2 or not rule.options.expand1 or rule.alias:
        return None
    stand_ins = [object() for _ in rule.expansion]
    try:
        value = callback(stand_ins)
    except Exception:  # noqa: BLE001 - an inlined rule's stand-in has no children
        return -1
    return next((i for i, s in enumerate(stand_ins) if s is value), None)


def _check_handed_up(index: int, value: Any, children: list[Any], spans: list[Extent | None]) -> None:
    """Where Lark's positions would differ from the extent the driver gives a handed-up child, leave
    the text to the plain parser: Lark places a handed-up token by itself, not by the dropped
    ``(`` and ``)``, and gives a handed-up node without a place the place of the whole rule. This
    grammar never does either; the check keeps it so if the grammar changes."""
    if index < 0:
        if value is None or isinstance(value, Token):
            raise _NoParse
    elif value is children[index] and (isinstance(value, Token) or spans[index] is None):
        raise _NoParse


def _passes_through(rule: Any, callback: Callable[[list[Any]], Any]) -> bool:
    """Whether reducing ``rule`` always hands its one child up unchanged (a ``?rule`` with one kept
    child and no placeholder): tried on a stand-in child."""
    if len(rule.expansion) != 1 or not rule.options.expand1 or rule.alias:
        return False
    stand_in = object()
    try:
        return callback([stand_in]) is stand_in
    except Exception:  # noqa: BLE001 - a callback that cannot take the stand-in builds a node
        return False


@functools.cache
def get_ast_parser() -> AstParser:
    """The process-wide one-pass parser: its tables loaded from the user cache, or else derived from
    :func:`pbtlint.parser.get_parser`'s and saved there (:mod:`pbtlint.parser_tables`)."""
    from pbtlint import parser_tables

    return parser_tables.cached_parser(lambda: AstParser(get_parser()))


def parse_to_ast(text: str, path: str, source_text: str | None = None, start: str = "compilation_unit",
                 builder: AstBuilder | None = None) -> tuple[Any, tuple[Finding, ...]]:
    """The typed AST of ``text`` parsed from ``start`` (None when it does not parse) and its syntax
    errors. ``source_text`` is the text the builder copies property values from, when ``text`` is a
    skeleton of it (default: ``text``), or ``builder`` one already made for it (several bodies of one
file); ``path`` is only used in findings.

    Like the plain front end, a failure inside the builder propagates to the caller."""
    if builder is None:
        builder = AstBuilder(text if source_text is None else source_text)
    try:
        return get_ast_parser().parse(text, builder, start), ()
    except _NoParse:
        pass
    result = parse_source(text, path, start)
    if result.tree is None:
        return None, result.findings
    return builder.transform(result.tree), result.findings
