"""The state of the fixpoint that chooses the files of a demand-driven run (:mod:`pbtlint.closure`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pbtlint.closure_lookups import Key
from pbtlint.summaries import ObjectSummary, ProcSummary


@dataclass(slots=True)
class FixpointState:
    """What the fixpoint (:mod:`pbtlint.closure`) has included, parsed, wanted and followed so far."""

    included: list[Key] = field(default_factory=list)
    included_set: set[Key] = field(default_factory=set)
    to_parse: list[Key] = field(default_factory=list)
    parsed: dict[Key, list[ObjectSummary]] = field(default_factory=dict)
    all_procs: set[Key] = field(default_factory=set)
    wants: dict[Key, set[str]] = field(default_factory=dict)
    run: set[Key] = field(default_factory=set)
    ops: dict[Key, set[str]] = field(default_factory=dict)
    links: dict[Key, set[Key]] = field(default_factory=dict)
    forced: set[tuple[Key, str]] = field(default_factory=set)
    reached: set[int] = field(default_factory=set)
    foreground: set[int] = field(default_factory=set)  # followed as foreground code (:meth:`reach_foreground`)
    fg_wants: dict[Key, set[str]] = field(default_factory=dict)  # names foreground code calls, per file
    followed: set[int] = field(default_factory=set)  # processed in full
    work: list[tuple[Key, ObjectSummary, ProcSummary]] = field(default_factory=list)
    pending: list[tuple[Key, ProcSummary]] = field(default_factory=list)
    full: set[Key] = field(default_factory=set)
    callers: set[int] = field(default_factory=set)  # reached as callers of a background-task page
    caller_work: list[tuple[Key, ObjectSummary, ProcSummary]] = field(default_factory=list)
    shallow: dict[Key, set[str]] = field(default_factory=dict)  # names whose bodies callers need
    caller_wants: dict[Key, set[str]] = field(default_factory=dict)  # names callers call in their objects
    bodies_only: set[int] = field(default_factory=set)
    readers: dict[int, bool] = field(default_factory=dict)  # read for a watched global (not followed): whole?
    id_readers: dict[int, ProcSummary] = field(default_factory=dict)  # assign an Integer global, body to come
    id_functions: set[str] = field(default_factory=set)  # their values may be codeunit ids (id_functions)
    returning: dict[str, list[ProcSummary]] = field(default_factory=dict)  # followed functions by name
    read_names: set[tuple[Key, str]] = field(default_factory=set)  # (file, global) looked up
    reader_names: dict[Key, set[tuple[str, str]]] = field(default_factory=dict)  # to look up once parsed
    # object base names -> the family's files, and (how many of them were parsed, their globals) then
    family_globals: dict[tuple[str, ...],
                         tuple[frozenset[Key], tuple[int, dict[str, frozenset[str]], dict[str, str]]]] = \
        field(default_factory=dict)
