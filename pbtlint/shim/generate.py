"""Plan the runtime verification shim of one app: which tests to generate for which enqueue sites.

:func:`plan_shim` analyzes the app(s) under a path with the ordinary pipeline and returns a
:class:`ShimPlan`: one :class:`SitePlan` per enqueue site and task codeunit it runs, with the
parameter keys the task reads (and the site passes) and the result keys the page's completion
trigger reads, each with the places it is read. :func:`pbtlint.shim.al_writer.render` turns a plan
into files; :func:`write_output` writes them. Only the two ends do I/O: the analysis reads the
sources, :func:`write_output` writes the folder.

Locations in the plan (and the manifest) are relative to the analyzed folder (the ``PATH`` given,
or the folder of a file given), with ``/``.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pbtlint.analysis import AnalyzedProject
from pbtlint.dictionaries import keys_read, lookups, track_parameters, track_results
from pbtlint.dictionary_keys import site_parameter_keys
from pbtlint.enqueue import EnqueueSite, TaskCodeunit
from pbtlint.model import ObjectInfo
from pbtlint.project import AppManifest, Dependency, discover
from pbtlint.runner import analyze_projects, display_path
from pbtlint.shim.manifest import SourceLocation
from pbtlint.span import Span
from pbtlint.task_filters import TaskFilter, site_id_vars, task_filter

DEFAULT_ID_RANGE = (99900, 99999)
"""The top of the per-tenant extension range (50000-99999): unlikely to clash with the analyzed app."""

MAX_NAME = 30
"""The AL limit on object names."""

SHIM_NAMESPACE = uuid.UUID("8a3c1f52-6a0e-4f57-9d1e-5b2f0c7e4a10")
"""uuid5 namespace of shim app ids: the same analyzed app always gets the same test app id."""

LIBRARY_ASSERT = Dependency(id="dd0be2ea-f733-4d65-bb34-a28f4624fb14", name="Library Assert",
                            publisher="Microsoft", version="")
"""Microsoft's "Library Assert" app (microsoft/BCApps, Tools/Test Framework), codeunit 130002."""

DEFAULT_RUNTIME = "4.0"
"""The first runtime with TestPage.RunPageBackgroundTask; used when the analyzed app names none."""

REASONS = {
    "not-constant": "the task codeunit id is not a constant the analysis can follow",
    "from-data": "the task codeunit id is read from data (a field or setup record)",
    "no-callers": "the task codeunit id is a parameter of a procedure nothing calls",
    "namespace": "the task codeunit is outside the analyzed sources and named with a namespace",
    "none": "the enqueue call names no task codeunit",
}


class ShimError(Exception):
    """Bad input: no app, several apps, a bad or too small id range. The message says what to do."""


class NothingToGenerate(Exception):
    """The app has no enqueue site (or none whose task codeunit is known): nothing was written."""


@dataclass(frozen=True, slots=True)
class KeyUse:
    """A dictionary key and the places in the analyzed app that read it (``reads``) or put it in
    the parameters (``passes``)."""

    key: str
    reads: tuple[SourceLocation, ...] = ()
    passes: tuple[SourceLocation, ...] = ()
    passed: bool = True
    """False for a key the task reads that the enqueue site is known not to pass (its keys are all known)."""


@dataclass(frozen=True, slots=True)
class SitePlan:
    """The test codeunit of one enqueue site and one task codeunit it runs."""

    number: int
    codeunit_id: int
    codeunit_name: str
    file_name: str
    page_ref: str
    """The page to open as a TestPage, as an AL name (quoted)."""
    page_display: str
    task_ref: str
    """The codeunit id argument as AL: ``Codeunit::"Name"`` or an integer."""
    task_name: str
    task_in_sources: bool
    site: SourceLocation
    task_location: SourceLocation | None
    completion: SourceLocation | None
    parameter_keys: tuple[KeyUse, ...]
    keys_complete: bool
    result_keys: tuple[KeyUse, ...]
    usings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SkippedSite:
    site: SourceLocation
    page_display: str
    reason: str


@dataclass(frozen=True, slots=True)
class AppInfo:
    """What the test app needs of the analyzed app's app.json."""

    id: str
    name: str
    publisher: str
    version: str
    dependencies: tuple[Dependency, ...]
    runtime: str | None
    platform: str | None
    application: str | None


@dataclass(frozen=True, slots=True)
class ShimPlan:
    app: AppInfo
    test_app_id: str
    test_app_name: str
    id_range: tuple[int, int]
    guard_id: int
    sites: tuple[SitePlan, ...]
    skipped: tuple[SkippedSite, ...]
    tool_version: str


# --------------------------------------------------------------------------- id range


def parse_id_range(text: str) -> tuple[int, int]:
    """``"50100..50149"`` (also ``-``) -> ``(50100, 50149)``; :class:`ShimError` when malformed."""
    m = re.fullmatch(r"\s*(\d{1,10})\s*(?:\.\.|-)\s*(\d{1,10})\s*", text)
    if m is None:
        raise ShimError(f"bad --id-range {text!r}: expected FROM..TO, for example 50100..50149")
    start, end = int(m.group(1)), int(m.group(2))
    if start < 1 or end > 2_147_483_647 or start > end:
        raise ShimError(f"bad --id-range {text!r}: FROM must be at least 1 and not above TO")
    return start, end


def _check_range(id_range: tuple[int, int], needed: int, app: AppManifest) -> None:
    start, end = id_range
    size = end - start + 1
    if size < needed:
        raise ShimError(f"--id-range {start}..{end} holds {size} object id{'s' if size != 1 else ''}, the shim "
                        f"needs {needed} (a write guard and {needed - 1} test codeunit{'s' if needed != 2 else ''}): "
                        "give a larger range")
    for low, high in app.id_ranges:
        if start <= high and low <= end:
            raise ShimError(f"--id-range {start}..{end} overlaps the analyzed app's idRanges ({low}..{high}): "
                            "the test app's objects would clash with the app's own; give another range")


# --------------------------------------------------------------------------- names


def ascii_name(text: str) -> str:
    """``text`` with everything but ASCII letters, digits, spaces, ``.``, ``-`` and ``_`` dropped."""
    return re.sub(r"\s+", " ", re.sub(r"[^A-Za-z0-9 ._-]", "", text)).strip()


def object_name(prefix: str, name: str) -> str:
    """``prefix`` + ``name``, cut to the AL limit of 30 characters (at a word when one is near)."""
    full = f"{prefix} {ascii_name(name)}".strip()
    if len(full) <= MAX_NAME:
        return full
    cut = full[:MAX_NAME]
    space = cut.rfind(" ")
    if space >= len(prefix) + 8:
        cut = cut[:space]
    return cut.rstrip(" .-_")


def shim_app_name(app_name: str) -> str:
    """``"<app name> PBT Shim"``; the app name is cut at a word so that the whole stays within 30
    characters (the limit AppSource sets for app names)."""
    suffix = " PBT Shim"
    base = re.sub(r"\s+", " ", re.sub(r'[^\x20-\x7e]|"', "", app_name)).strip() or "App"
    room = MAX_NAME - len(suffix)
    if len(base) > room:
        cut = base[:room]
        space = cut.rfind(" ")
        base = (cut[:space] if space >= room // 2 else cut).rstrip(" .-_:")
    return base + suffix


def file_stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", name) or "Codeunit"


# --------------------------------------------------------------------------- locations


class _Locator:
    """Display paths of the analysis (relative to the working directory) to paths relative to the
    analyzed folder."""

    def __init__(self, base: Path) -> None:
        self.base = os.path.realpath(base)
        self.cwd = Path.cwd()

    def path(self, shown: str) -> str:
        p = Path(shown)
        real = os.path.realpath(p if p.is_absolute() else self.cwd / p)
        return Path(os.path.relpath(real, self.base)).as_posix()

    def at(self, shown: str, span: Span) -> SourceLocation:
        return SourceLocation(self.path(shown), span.line, span.column)


def _sorted_locations(items: set[SourceLocation]) -> tuple[SourceLocation, ...]:
    return tuple(sorted(items, key=lambda loc: (loc.path, loc.line, loc.column)))


# --------------------------------------------------------------------------- planning


@dataclass(frozen=True, slots=True)
class _Task:
    """One (enqueue site, task codeunit) pair to test, before ids and names are given."""

    site: EnqueueSite
    task: TaskCodeunit
    page: ObjectInfo
    page_ref: str
    task_ref: str
    task_name: str


def _page_ref(site: EnqueueSite) -> str:
    """The page a TestPage opens, as AL: the page itself, or for a page extension the page it extends
    (as written in ``extends`` when that page is not in the sources)."""
    page = site.base_page
    if page.kind == "page":
        return _quote(page.name)
    extends = page.node.extends or page.name
    return extends if '"' in extends else _quote(extends)


def _quote(name: str) -> str:
    return '"' + name.replace('"', "") + '"'


def _task_ref(task: TaskCodeunit) -> tuple[str, str] | str:
    """``(AL reference, display name)`` of a task codeunit, or the key of :data:`REASONS` why not."""
    if task.codeunit is not None:
        return f"Codeunit::{_quote(task.codeunit.name)}", task.codeunit.name
    written = task.written
    if written is None:
        return task.reason or "not-constant"
    if written.isdigit():
        return written, f"codeunit {written}"
    if "." in written:
        return "namespace"
    return f"Codeunit::{_quote(written)}", written


def _page_display(page: ObjectInfo) -> str:
    return f'{page.kind} {page.id if page.id is not None else ""} "{page.name}"'.replace("  ", " ")


def _usings(objs: Sequence[ObjectInfo | None]) -> tuple[str, ...]:
    return tuple(sorted({o.namespace for o in objs if o is not None and o.namespace}))


class _Planner:
    def __init__(self, project: AnalyzedProject, own_paths: set[str], locator: _Locator) -> None:
        self.project = project
        self.own = own_paths
        self.loc = locator
        self._param_reads: dict[str, dict[str, set[SourceLocation]]] | None = None

    def tasks(self) -> tuple[list[_Task], list[SkippedSite]]:
        todo: list[_Task] = []
        skipped: list[SkippedSite] = []
        sites = [s for s in self.project.enqueue.sites if s.path in self.own]
        sites.sort(key=lambda s: (self.loc.path(s.path), s.span.line, s.span.column))
        for site in sites:
            where = self.loc.at(site.path, site.span)
            page_ref = _page_ref(site)
            display = _page_display(site.page)
            if not site.task_codeunits:
                skipped.append(SkippedSite(where, display, REASONS["none"]))
            seen: set[str] = set()
            for task in site.task_codeunits:
                ref = _task_ref(task)
                if isinstance(ref, str):
                    reason = REASONS.get(ref, REASONS["not-constant"])
                    if reason not in seen:
                        seen.add(reason)
                        skipped.append(SkippedSite(where, display, reason))
                    continue
                if ref[0] in seen:
                    continue
                seen.add(ref[0])
                todo.append(_Task(site, task, site.page, page_ref, ref[0], ref[1]))
        return todo, skipped

    # ------------------------------------------------------------------ parameter keys

    def _reads_by_proc(self) -> dict[str, dict[str, set[SourceLocation]]]:
        """For each procedure, the constant parameter keys read there and where."""
        if self._param_reads is None:
            out: dict[str, dict[str, set[SourceLocation]]] = {}
            for lookup in keys_read(lookups(track_parameters(self.project))):
                at = self.loc.at(lookup.path, lookup.call.span)
                for key in lookup.key_texts or ():
                    out.setdefault(lookup.proc.key, {}).setdefault(key, set()).add(at)
            self._param_reads = out
        return self._param_reads

    def parameter_keys(self, site: EnqueueSite, codeunit: ObjectInfo | None) -> tuple[tuple[KeyUse, ...], bool]:
        reads: dict[str, set[SourceLocation]] = {}
        root = codeunit.triggers.get("onrun") if codeunit is not None else None
        if root is not None:
            by_proc = self._reads_by_proc()
            for key in sorted(self.project.graph.reachable_from(root.key)):
                for text, places in by_proc.get(key, {}).items():
                    reads.setdefault(text, set()).update(places)
        passes: dict[str, set[SourceLocation]] = {}
        for k in site.parameter_keys:
            if k.key is not None:
                passes.setdefault(k.key, set()).add(self.loc.at(k.path, k.expr.span))
        passed, complete = site_parameter_keys(self.project, site)
        for key in passed:
            passes.setdefault(key, set())
        keys = sorted(set(reads) | set(passes))
        uses = tuple(KeyUse(k, _sorted_locations(reads.get(k, set())), _sorted_locations(passes.get(k, set())),
                            k in passes or not complete) for k in keys)
        return uses, complete

    # ------------------------------------------------------------------ result keys

    def result_keys(self, site: EnqueueSite) -> tuple[tuple[KeyUse, ...], SourceLocation | None]:
        project = self.project
        ids = site_id_vars(project, site)
        reads: dict[str, set[SourceLocation]] = {}
        first: SourceLocation | None = None
        for trigger in project.enqueue.completion_for(site.page):
            if trigger.results is None:
                continue
            if first is None:
                first = self.loc.at(trigger.proc.path, trigger.proc.node.name_span)
            tracking = track_results(project, trigger)
            for lookup in keys_read(lookups(tracking)):
                admits = (task_filter(tracking.scope(lookup.proc), trigger.task_id, lookup.site.facts)
                          if lookup.proc is trigger.proc else TaskFilter())
                if not admits.admits(site, ids):
                    continue
                at = self.loc.at(lookup.path, lookup.call.span)
                for key in lookup.key_texts or ():
                    reads.setdefault(key, set()).add(at)
        uses = tuple(KeyUse(k, _sorted_locations(reads[k])) for k in sorted(reads))
        return uses, first


def _app_info(manifest: AppManifest) -> AppInfo:
    return AppInfo(manifest.id, manifest.name, manifest.publisher, manifest.version or "1.0.0.0",
                   manifest.dependencies, manifest.runtime, manifest.platform, manifest.application)


def _test_app_id(app_id: str) -> str:
    return str(uuid.uuid5(SHIM_NAMESPACE, app_id.strip().lower()))


def plan_shim(
    path: str | Path,
    id_range: tuple[int, int] = DEFAULT_ID_RANGE,
    defines: Sequence[str] = (),
    extra_roots: Sequence[str | Path] = (),
    tool_version: str = "",
) -> ShimPlan:
    """Analyze the app under ``path`` and plan its shim; see the module doc.

    :class:`ShimError` when ``path`` holds no app with an app.json, several apps with enqueue sites,
    or when ``id_range`` is too small or overlaps the app's own ids; :class:`NothingToGenerate`
    when the app has no enqueue site whose task codeunit is known.
    """
    given = Path(path)
    base = given if given.is_dir() else given.parent
    locator = _Locator(base)
    workspace = discover([given], [Path(r) for r in extra_roots], defines)
    if not workspace.apps:
        raise ShimError(f"{given}: no AL app found (no app.json and no .al files)")
    found: list[tuple[AppManifest | None, Path, AnalyzedProject, set[str]]] = []
    for app, own, project in analyze_projects(workspace):
        own_paths = {f.path for f in own}
        if any(s.path in own_paths for s in project.enqueue.sites):
            found.append((app.manifest, app.root, project, own_paths))
    if not found:
        raise NothingToGenerate(f"{given}: no page background task enqueue site "
                                "(CurrPage.EnqueueBackgroundTask) found: nothing to generate")
    if len(found) > 1:
        roots = ", ".join(display_path(root) for _m, root, _p, _o in found)
        raise ShimError(f"{given} holds {len(found)} apps with page background tasks ({roots}): "
                        "run pbtlint shim on one app folder at a time")
    manifest, root, project, own_paths = found[0]
    if manifest is None or not manifest.id or not manifest.name:
        raise ShimError(f"{display_path(root)}: the app has no app.json with an id and a name, and the test "
                        "app must depend on it; point pbtlint shim at an app folder")
    planner = _Planner(project, own_paths, locator)
    tasks, skipped = planner.tasks()
    if not tasks:
        why = "; ".join(f"{s.site.path}({s.site.line},{s.site.column}): {s.reason}" for s in skipped)
        raise NothingToGenerate(f"{given}: no enqueue site whose task codeunit is known ({why}): nothing to generate")
    _check_range(id_range, len(tasks) + 1, manifest)
    plans: list[SitePlan] = []
    for number, t in enumerate(tasks, start=1):
        name = object_name(f"PBT Shim {number}", t.task_name)
        cu = t.task.codeunit
        params, complete = planner.parameter_keys(t.site, cu)
        results, completion = planner.result_keys(t.site)
        plans.append(SitePlan(
            number=number, codeunit_id=id_range[0] + number, codeunit_name=name,
            file_name=f"src/{file_stem(name)}.Codeunit.al", page_ref=t.page_ref,
            page_display=_page_display(t.page), task_ref=t.task_ref, task_name=t.task_name,
            task_in_sources=cu is not None, site=locator.at(t.site.path, t.site.span),
            task_location=locator.at(cu.path, cu.node.name_span) if cu is not None else None,
            completion=completion, parameter_keys=params, keys_complete=complete, result_keys=results,
            usings=_usings([t.site.base_page if t.site.base_page.kind == "page" else None, cu]),
        ))
    return ShimPlan(
        app=_app_info(manifest), test_app_id=_test_app_id(manifest.id), test_app_name=shim_app_name(manifest.name),
        id_range=id_range, guard_id=id_range[0], sites=tuple(plans), skipped=tuple(skipped),
        tool_version=tool_version,
    )


# --------------------------------------------------------------------------- output

GENERATED_MARK = "// Generated by pbtlint shim"
"""The first line of every generated .al file: files that start with it may be replaced."""


def write_output(out: Path, files: dict[str, str]) -> list[Path]:
    """Write ``files`` (relative path -> text) under ``out``; return the paths written, sorted.

    ``out`` must be missing, empty, or a folder this command generated before (it has the shim
    manifest); generated .al files that the new plan no longer has are removed, so that a
    regenerated folder holds exactly what the plan says. :class:`ShimError` otherwise.
    """
    from pbtlint.shim.manifest import MANIFEST_NAME

    if out.exists() and not out.is_dir():
        raise ShimError(f"{out}: not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST_NAME).is_file():
        raise ShimError(f"{out}: the folder is not empty and was not generated by pbtlint shim "
                        f"(no {MANIFEST_NAME}); give an empty or new folder")
    if out.is_dir():
        for old in sorted(out.rglob("*.al")):
            rel = old.relative_to(out).as_posix()
            if rel not in files and _generated(old):
                old.unlink()
    written: list[Path] = []
    for rel in sorted(files):
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(files[rel])
        written.append(target)
    return written


def _generated(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.readline().startswith(GENERATED_MARK)
    except OSError:
        return False
