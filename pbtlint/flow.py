"""What is known to hold where: the conditions that dominate each point of a procedure body.

Rules ask "is this ``Get`` dominated by a true ``ContainsKey``?", "is this ``Message`` under
``GuiAllowed()``?", "is this use of ``Results`` after ``if TaskId <> Id then exit;``?". This module
answers them once for all rules: :func:`evaluation_sites` walks a body and yields every expression the
code evaluates, with the facts (conditions known true or false) that hold when it is evaluated.

Facts come from
- ``if C then S`` (``C`` in ``S``) and its ``else`` (``not C``);
- ``if C then <always exits>;`` (``not C`` in every later statement of the same block), and
  ``if C then S else <always exits>`` (``C`` later);
- ``while C do S`` (``C`` in ``S``);
- ``case E of V1, V2: S`` (``E = V1 or E = V2`` in ``S``; for ``case true of`` the labels themselves);
- conjunctions are split: ``if A and B then`` gives ``A`` and ``B``; ``not (A or B)`` gives ``not A``
  and ``not B``.
AL evaluates both operands of ``and``/``or`` (no short-circuit), so a condition's own operands are
evaluated under the outer facts only.

A statement always exits when it is ``exit``, a call of ``Error(...)``, a block whose statements
include one that always exits, or an ``if`` whose two branches both always exit.
Iterative: bodies and expressions of any depth are walked without recursion.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pbtlint import nodes as n
from pbtlint.pickling import fast_init
from pbtlint.walk import iter_nodes


@dataclass(frozen=True, slots=True)
class Fact:
    """``expr`` is known to be true (``holds``) or false (not ``holds``)."""

    expr: n.Expr
    holds: bool

    def negated(self) -> Fact:
        return Fact(self.expr, not self.holds)


@dataclass(frozen=True, slots=True)
class Site:
    """An expression evaluated by ``statement`` while ``facts`` hold."""

    expr: n.Expr
    facts: tuple[Fact, ...]
    statement: n.Stmt


def facts_of(condition: n.Expr, holds: bool = True) -> tuple[Fact, ...]:
    """The atomic facts implied by ``condition`` being ``holds`` (conjunctions and negations split)."""
    out: list[Fact] = []
    stack: list[tuple[n.Expr, bool]] = [(condition, holds)]
    while stack:
        expr, value = stack.pop()
        if isinstance(expr, n.Unary) and expr.op == "not":
            stack.append((expr.operand, not value))
        elif isinstance(expr, n.Binary) and ((expr.op == "and" and value) or (expr.op == "or" and not value)):
            stack.append((expr.right, value))
            stack.append((expr.left, value))
        else:
            out.append(Fact(expr, value))
    return tuple(out)


def always_exits(stmt: n.Stmt | None) -> bool:
    """Does control never reach the statement after ``stmt``? (See the module doc.)"""
    stack: list[n.Stmt] = [stmt] if stmt is not None else []
    # Pre-order collection, then children before parents (reversed), so nothing recurses.
    results: dict[int, bool] = {}
    order: list[n.Stmt] = []
    while stack:
        s = stack.pop()
        order.append(s)
        if isinstance(s, n.Block):
            stack.extend(s.statements)
        elif isinstance(s, n.If):
            stack.append(s.then)
            if s.else_ is not None:
                stack.append(s.else_)
    for s in reversed(order):
        if isinstance(s, n.Exit):
            value = True
        elif isinstance(s, n.ExprStmt):
            value = _is_error_call(s.expr)
        elif isinstance(s, n.Block):
            value = any(results[id(c)] for c in s.statements)
        elif isinstance(s, n.If):
            value = s.else_ is not None and results[id(s.then)] and results[id(s.else_)]
        else:
            value = False
        results[id(s)] = value
    return results.get(id(stmt), False) if stmt is not None else False


def _is_error_call(expr: n.Expr) -> bool:
    return (
        isinstance(expr, n.Call)
        and isinstance(expr.callee, n.Identifier)
        and not expr.callee.quoted
        and expr.callee.name.lower() == "error"
    )


def _case_facts(case: n.Case, branch: n.CaseBranch) -> tuple[Fact, ...]:
    subject = case.expr
    if isinstance(subject, n.LiteralValue) and subject.kind == "boolean" and subject.value.lower() == "true":
        if len(branch.values) == 1:
            return facts_of(branch.values[0])
        return ()
    if len(branch.values) == 1 and not isinstance(branch.values[0], n.Range):
        value = branch.values[0]
        return (Fact(n.Binary(branch.span, "=", subject, value), True),)
    # Several labels: the subject is one of them (`in`).
    return (Fact(n.Binary(branch.span, "in", subject, n.SetLiteral(branch.span, branch.values)), True),)


def evaluation_sites(body: n.Stmt | None, initial: tuple[Fact, ...] = ()) -> Iterator[Site]:
    """Every expression that ``body`` evaluates directly (conditions, values, call statements), each
    with the facts that hold there. Nested expressions are not yielded separately: walk a site's
    ``expr`` (e.g. :func:`pbtlint.walk.iter_calls`) to find calls inside it."""
    if body is None:
        return
    # Work items: ("stmt", statement, facts) or ("seq", statements, index, facts)
    stack: list[tuple] = [("stmt", body, initial)]
    while stack:
        item = stack.pop()
        if item[0] == "seq":
            _, statements, index, facts = item
            if index >= len(statements):
                continue
            stmt = statements[index]
            after = facts
            if isinstance(stmt, n.If):
                if always_exits(stmt.then) and not (stmt.else_ is not None and always_exits(stmt.else_)):
                    after = facts + facts_of(stmt.condition, False)
                elif stmt.else_ is not None and always_exits(stmt.else_):
                    after = facts + facts_of(stmt.condition, True)
            stack.append(("seq", statements, index + 1, after))
            stack.append(("stmt", stmt, facts))
            continue
        _, stmt, facts = item
        if isinstance(stmt, n.Block):
            stack.append(("seq", stmt.statements, 0, facts))
        elif isinstance(stmt, n.If):
            if stmt.else_ is not None:
                stack.append(("stmt", stmt.else_, facts + facts_of(stmt.condition, False)))
            stack.append(("stmt", stmt.then, facts + facts_of(stmt.condition, True)))
            yield Site(stmt.condition, facts, stmt)
        elif isinstance(stmt, n.Case):
            if stmt.else_ is not None:
                stack.append(("seq", stmt.else_, 0, facts))
            for branch in reversed(stmt.branches):
                stack.append(("stmt", branch.body, facts + _case_facts(stmt, branch)))
            yield Site(stmt.expr, facts, stmt)
            for branch in stmt.branches:
                for value in branch.values:
                    yield Site(value, facts, stmt)
        elif isinstance(stmt, n.While):
            stack.append(("stmt", stmt.body, facts + facts_of(stmt.condition, True)))
            yield Site(stmt.condition, facts, stmt)
        elif isinstance(stmt, n.Repeat):
            yield Site(stmt.condition, facts, stmt)
            stack.append(("seq", stmt.body, 0, facts))
        elif isinstance(stmt, n.For):
            stack.append(("stmt", stmt.body, facts))
            for e in (stmt.variable, stmt.start, stmt.end):
                yield Site(e, facts, stmt)
        elif isinstance(stmt, n.Foreach):
            stack.append(("stmt", stmt.body, facts))
            yield Site(stmt.variable, facts, stmt)
            yield Site(stmt.iterable, facts, stmt)
        elif isinstance(stmt, n.With):
            stack.append(("stmt", stmt.body, facts))
            yield Site(stmt.record, facts, stmt)
        elif isinstance(stmt, n.AssertError):
            stack.append(("stmt", stmt.body, facts))
        elif isinstance(stmt, n.Assign):
            yield Site(stmt.value, facts, stmt)
            yield Site(stmt.target, facts, stmt)
        elif isinstance(stmt, n.ExprStmt):
            yield Site(stmt.expr, facts, stmt)
        elif isinstance(stmt, n.Exit) and stmt.value is not None:
            yield Site(stmt.value, facts, stmt)


def calls_with_facts(body: n.Stmt | None, initial: tuple[Fact, ...] = ()) -> Iterator[tuple[n.Call, Site]]:
    """Every call in ``body`` with the site (and so the facts) it is evaluated at."""
    for site in evaluation_sites(body, initial):
        for node in iter_nodes(site.expr):
            if isinstance(node, n.Call):
                yield node, site


def atom(fact: Fact) -> tuple[n.Expr, bool]:
    """``X = true`` / ``X <> false`` as ``X``: the boolean expression a fact is about, and its value."""
    expr, holds = fact.expr, fact.holds
    while isinstance(expr, n.Binary) and expr.op in ("=", "<>"):
        lit, other = (expr.right, expr.left) if is_bool_literal(expr.right) else (expr.left, expr.right)
        if not is_bool_literal(lit):
            break
        assert isinstance(lit, n.LiteralValue)
        value = lit.value.casefold() == "true"
        holds = holds == value if expr.op == "=" else holds != value
        expr = other
    while isinstance(expr, n.Unary) and expr.op == "not":
        holds = not holds
        expr = expr.operand
    return expr, holds


def is_bool_literal(expr: n.Expr) -> bool:
    """``true`` or ``false``, written as such."""
    return isinstance(expr, n.LiteralValue) and expr.kind == "boolean"


fast_init(globals())
