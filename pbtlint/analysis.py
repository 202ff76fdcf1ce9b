"""One entry point from parsed files to everything the rules read: model, call sites, call graph,
and the page background tasks declared in the code."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pbtlint.call_sites import Resolution
from pbtlint.callgraph import CallGraph
from pbtlint.enqueue import EnqueueIndex, find_enqueue
from pbtlint.model import Model, ParsedLike, build_model
from pbtlint.resolve import resolve


@dataclass(frozen=True, slots=True)
class AnalyzedProject:
    """A project after analysis; read-only."""

    model: Model
    resolution: Resolution
    graph: CallGraph
    enqueue: EnqueueIndex


def build_project(units: Iterable[ParsedLike], every_event: bool = False) -> AnalyzedProject:
    """Build the model, resolve every call, build the call graph and find the enqueue sites.

    ``units`` are parsed files (anything with ``path`` and ``unit``); files that failed to parse
    (``unit`` is None) are skipped: their PBT0000 findings are the front end's. ``every_event`` as in
    :func:`pbtlint.resolve.resolve` (for a project grown in place: :mod:`pbtlint.walk_planner`).
    """
    model = build_model(units)
    res = resolve(model, every_event)
    graph = CallGraph(model, res)
    return AnalyzedProject(model, res, graph, find_enqueue(model, res))
