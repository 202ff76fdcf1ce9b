"""The calls of a resolution grown in place that an object added later may answer
(:func:`pbtlint.resolve.resolve_more`, for :mod:`pbtlint.walk_planner`).

A call is open when a new object could make it resolve otherwise: its receiver's object is not in
the model yet, no procedure of the receiver's object answered it (an extension may add one), or no
procedure answered a bare name (a new object may declare it). :class:`StaleIndex` keeps the open calls
by what would answer them, so that each round finds the procedures to resolve again without looking
at every call.
"""

from __future__ import annotations

from pbtlint.call_sites import CallSite, Resolution
from pbtlint.model import ObjectInfo, ProcInfo
from pbtlint.nodes import norm

OpenKey = tuple[str, object]
"""What a new object would have to be to answer a call: ``("object", name)`` (the receiver's type,
not loaded), ``("extends", id(object))`` (a member no procedure of the receiver's object answered), or
``("declares", name)`` (a bare name nothing answered)."""


def open_key(site: CallSite) -> OpenKey | None:
    """What a new object would have to be for ``site`` to resolve otherwise."""
    recv = site.receiver
    if recv is not None and recv.obj is None:
        return ("object", norm(recv.object_name)) if recv.object_name is not None else None
    if any(t.proc is not None for t in site.targets):
        return None
    return ("declares", norm(site.name)) if recv is None else ("extends", id(recv.obj))


def answered_by(objects: list[ObjectInfo]) -> set[OpenKey]:
    """The open calls that ``objects`` (new in the model) may answer (see :func:`open_key`)."""
    return ({("object", norm(obj.name)) for obj in objects}
            | {("extends", id(obj.target)) for obj in objects if obj.target is not None}
            | {("declares", name) for obj in objects for name in obj.procedures})


class StaleIndex:
    """The open calls of a resolution grown in place, by what would answer them (see
    :func:`pbtlint.resolve.resolve_more`); each site is indexed once, as it is added."""

    def __init__(self) -> None:
        self.seen = 0  # the sites of ``res.sites`` indexed so far
        self.by_key: dict[OpenKey, dict[str, ProcInfo]] = {}

    def find(self, res: Resolution, objects: list[ObjectInfo]) -> list[ProcInfo]:
        """The procedures of ``res`` with an open call that ``objects`` may answer, in ``res.by_proc``'s
        order (which does not depend on hashing)."""
        for site in res.sites[self.seen:]:
            key = open_key(site)
            if key is not None:
                self.by_key.setdefault(key, {})[site.caller.key] = site.caller
        self.seen = len(res.sites)
        found: dict[str, ProcInfo] = {}
        for key in answered_by(objects):
            found.update(self.by_key.pop(key, {}))
        return [found[key] for key in res.by_proc if key in found] if found else []
