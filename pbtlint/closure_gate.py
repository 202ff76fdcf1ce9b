"""The walk gate of the fixpoint (on by default; ``PBTLINT_WALK_GATE=0`` turns it off; see ``docs/performance.md``).

By name, the fixpoint (:mod:`pbtlint.closure`) follows far more than background code runs: on the
Base Application 30,301 procedures, where the background walk reaches 2,100, because only the walk
knows which records are temporary along a call path. With the gate, a procedure that background code
reaches by name is held, not followed. Between rounds the background walk runs on what is parsed so
far (:mod:`pbtlint.walk_planner`), and the held procedures it reaches are released and followed. What
other code wants (task roots, foreground code, callers, the readers of watched globals) is never held,
nor is a procedure that other code also wants by name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from pbtlint.closure_lookups import RUN_TRIGGER_KINDS

if TYPE_CHECKING:
    from pbtlint.audit import Extra
    from pbtlint.closure_lookups import Key
    from pbtlint.summaries import ObjectSummary, ProcSummary

GateKey = tuple["Key", int]
"""A procedure at the gate: its file and its first line."""
Plan = Callable[[list["Key"], bool], tuple[set[GateKey], "Extra"]]
"""What the background walk reaches among the files chosen so far, by file and first line, and the
left-out bodies it read that could have told it something (as an audit would add them); with the flag,
on a project built afresh rather than one grown in place."""


class Gate:
    """The gate's state and hooks, mixed into the fixpoint (its ``reach`` and ``want`` call them)."""

    allowed: set[GateKey] | None  # None: no gate; else what the walk reached (kept across audit rounds)
    gated: dict[GateKey, tuple[Key, ObjectSummary, ProcSummary]]
    gated_in: dict[Key, dict[GateKey, None]]  # the same, by file (in the same order)
    following: bool  # True while the fixpoint follows background code: what it reaches then is held
    open_wants: dict[Key, set[str]]  # names other code wants, per file (never held)
    open_run: set[Key]
    passed: set[GateKey]  # every procedure followed (held or not), for the next run's replay check

    reach: Callable[[Key, ObjectSummary, ProcSummary], None]  # the fixpoint's

    def gate_init(self, allowed: set[GateKey] | None) -> None:
        self.allowed = allowed
        self.gated = {}
        self.gated_in = {}
        self.following = False
        self.open_wants = {}
        self.open_run = set()
        self.passed = set()

    def held(self, key: Key, obj: ObjectSummary, proc: ProcSummary) -> bool:
        """Whether reaching ``proc`` now is held at the gate (it is then kept for :meth:`release`); one
        that is not is noted as followed (:attr:`passed`)."""
        if self.allowed is None:
            return False
        gate_key = (key, proc.lines[0])
        if self.following and gate_key not in self.allowed:
            if gate_key not in self.gated:
                self.gated[gate_key] = (key, obj, proc)
                self.gated_in.setdefault(key, {})[gate_key] = None
            return True
        self.passed.add(gate_key)
        return False

    def wanted_openly(self, key: Key, names: set[str], run: bool) -> None:
        """Other code than background code wants ``names`` of ``key`` (and runs it): never held."""
        if self.allowed is None or self.following:
            return
        self.open_wants.setdefault(key, set()).update(names)
        if run:
            self.open_run.add(key)
        for gate_key in list(self.gated_in.get(key, ())):
            item = self.gated.get(gate_key)  # None: released meanwhile (by what releasing another reached)
            if item is None:
                continue
            _, obj, proc = item
            if proc.name in names if not proc.trigger else run and obj.kind in RUN_TRIGGER_KINDS:
                self.release([gate_key])

    def release(self, keys: Iterable[GateKey]) -> None:
        """Let these procedures pass (the background walk reached them): they are followed."""
        assert self.allowed is not None
        for gate_key in keys:
            self.allowed.add(gate_key)
            item = self.gated.pop(gate_key, None)
            if item is not None:
                del self.gated_in[gate_key[0]][gate_key]
                following, self.following = self.following, False
                self.reach(*item)
                self.following = following
