"""What a rule is: metadata from the catalogue, a doc (the module docstring) and a check.

Each module in ``pbtlint.rules`` defines one subclass of :class:`Rule`; the registry
(:func:`all_rules`) imports every module of the package and takes the subclass it defines. The module
docstring is the
rule's documentation: a one-line summary, then "What it does", "Why is this bad?", "Example" and
"Use instead" sections with AL code. Rules see a read-only context and yield findings; they never
print.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar

from pbtlint.findings import Finding, Location, Severity


@dataclass(frozen=True, slots=True)
class RuleMeta:
    """A rule's catalogue entry: stable id, kebab-case name, default severity and a one-line summary."""

    id: str
    name: str
    severity: Severity
    summary: str
    precision: str = "high"
    tags: tuple[str, ...] = ("page-background-task",)


class Rule:
    """Base class of every rule. Subclasses set ``meta`` and implement :meth:`check`."""

    meta: ClassVar[RuleMeta]

    @classmethod
    def doc(cls) -> str:
        """The rule's documentation: its module's docstring."""
        module = inspect.getmodule(cls)
        return inspect.cleandoc(module.__doc__ or "") if module else ""

    @classmethod
    def doc_section(cls, title: str) -> str:
        """One section of the doc ("What it does", "Example", ...), without its heading."""
        match = re.search(
            rf"^#+\s*{re.escape(title)}\s*$\n(.*?)(?=^#+\s|\Z)", cls.doc(), re.MULTILINE | re.DOTALL
        )
        return match.group(1).strip() if match else ""

    def check(self, context: Any) -> Iterator[Finding]:  # pragma: no cover - abstract
        raise NotImplementedError

    def finding(
        self,
        message: str,
        location: Location,
        related: tuple[Location, ...] = (),
        call_path: tuple[Location, ...] = (),
    ) -> Finding:
        """A finding of this rule at its default severity (configuration may change it later)."""
        return Finding(self.meta.id, self.meta.severity, message, location, related, call_path)


@cache
def all_rules() -> tuple[type[Rule], ...]:
    """Every rule class of ``pbtlint.rules``, ordered by id."""
    import pbtlint.rules as package

    found: list[type[Rule]] = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, Rule)
                and value is not Rule
                and value.__module__ == module.__name__
            ):
                found.append(value)
    return tuple(sorted(found, key=lambda r: r.meta.id))


def rule_by_id(rule_id: str) -> type[Rule] | None:
    """The rule with this id (case-insensitive), or None."""
    wanted = rule_id.upper()
    return next((r for r in all_rules() if r.meta.id == wanted), None)
