"""Pictures of page background tasks for ``pbtlint graph``: for each enqueue site, the tree of what
its task codeunit reaches (shortest-path tree of the call graph), with database writes to
non-temporary records, commits, locks, UI calls and opaque nodes marked.

Pure functions returning Mermaid (``flowchart``) or Graphviz DOT text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pbtlint.analysis import AnalyzedProject
from pbtlint.enqueue import EnqueueSite
from pbtlint.model import TEMPORARY
from pbtlint.reach import Reach, background_reach

DEFAULT_MAX_NODES = 150
MARKS = ("write", "commit", "lock", "ui", "opaque")


@dataclass(frozen=True, slots=True)
class TreeNode:
    id: str
    key: str
    label: str
    marks: tuple[str, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TaskTree:
    """One enqueue site's picture: a title, nodes, and parent -> child edges (with edge kinds)."""

    title: str
    nodes: tuple[TreeNode, ...]
    edges: tuple[tuple[str, str, str], ...]
    omitted: int


def task_trees(project: AnalyzedProject, sites: Sequence[EnqueueSite] | None = None,
               max_nodes: int = DEFAULT_MAX_NODES) -> list[TaskTree]:
    """The tree of each enqueue site (all sites of the project by default)."""
    chosen = project.enqueue.sites if sites is None else sites
    return [_tree(project, i, s, max_nodes) for i, s in enumerate(chosen, 1)]


def _tree(project: AnalyzedProject, index: int, site: EnqueueSite, max_nodes: int) -> TaskTree:
    graph = project.graph
    prefix = f"s{index}_"
    title = f"{site.page.display} {site.procedure.name} ({site.path}:{site.span.line})"
    root_id = f"{prefix}0"
    nodes = [TreeNode(root_id, site.procedure.key, f"{site.page.display}.{site.procedure.name}\nEnqueueBackgroundTask",
                      (), ())]
    edges: list[tuple[str, str, str]] = []
    ids: dict[str, str] = {}
    omitted = 0
    for t in site.task_codeunits:
        if t.root is None:
            what = t.written or "?"
            reason = t.reason or "no OnRun trigger"
            nid = f"{prefix}{len(nodes)}"
            nodes.append(TreeNode(nid, "", f"codeunit {what}\n({reason})", ("opaque",), ()))
            edges.append((root_id, nid, "task"))
            continue
        ids.setdefault(t.root.key, "")
    reach = background_reach(graph, [k for k in ids if k in graph.graph])
    order = list(reach.frames_of)
    for added, key in enumerate(order):
        if len(nodes) >= max_nodes:
            omitted = len(order) - added
            break
        nid = f"{prefix}{len(nodes)}"
        ids[key] = nid
        marks, notes = _marks(project, reach, key)
        nodes.append(TreeNode(nid, key, graph.label(key), marks, notes))
        path = reach.path(key)
        if not path:
            edges.append((root_id, nid, "task"))
        elif ids.get(path[-1].source):
            edges.append((ids[path[-1].source], nid, path[-1].kind))
    return TaskTree(title, tuple(nodes), tuple(edges), omitted)


def _marks(project: AnalyzedProject, reach: Reach, key: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    data = project.graph.node(key)
    if data.get("kind") == "opaque":
        return ("opaque",), (f"opaque: {data.get('reason')}",)
    marks: list[str] = []
    notes: list[str] = []
    frames = reach.frames(key)
    for site in project.resolution.sites_in(key):
        category = site.category
        if category is None:
            continue
        recv = site.receiver
        if (category in ("write", "lock") and recv is not None and recv.kind in ("record", "recordref")
                and all(reach.temp_of(site, f) == TEMPORARY for f in frames)):
            continue
        if category not in marks:
            marks.append(category)
        notes.append(f"{category}: {site.name} (line {site.span.line})")
    return tuple(m for m in MARKS if m in marks), tuple(notes[:4]) + (("...",) if len(notes) > 4 else ())


# --------------------------------------------------------------------------- mermaid

_MERMAID_CLASSES = {
    "write": "fill:#fdd,stroke:#c00,color:#000",
    "commit": "fill:#fdd,stroke:#c00,color:#000",
    "lock": "fill:#fdd,stroke:#c00,color:#000",
    "ui": "fill:#ffe9b3,stroke:#c80,color:#000",
    "opaque": "fill:#eee,stroke:#777,stroke-dasharray:4 2,color:#000",
}


def _mermaid_text(text: str) -> str:
    return (text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
            .replace("\n", "<br/>"))


def render_mermaid(project: AnalyzedProject, sites: Sequence[EnqueueSite] | None = None,
                   max_nodes: int = DEFAULT_MAX_NODES) -> str:
    """A Mermaid flowchart with one subgraph per enqueue site."""
    lines = ["flowchart LR"]
    for name, style in _MERMAID_CLASSES.items():
        lines.append(f"    classDef {name} {style}")
    for i, tree in enumerate(task_trees(project, sites, max_nodes), 1):
        lines.append(f'    subgraph task{i}["{_mermaid_text(tree.title)}"]')
        lines.append("    direction LR")
        for node in tree.nodes:
            label = node.label + "".join(f"\n{n}" for n in node.notes)
            lines.append(f'    {node.id}["{_mermaid_text(label)}"]')
            if node.marks:
                lines.append(f"    class {node.id} {node.marks[0]}")
        for src, dst, kind in tree.edges:
            lines.append(f"    {src} -->|{_mermaid_text(kind)}| {dst}")
        if tree.omitted:
            lines.append(f'    task{i}_more["... {tree.omitted} more reachable nodes"]')
        lines.append("    end")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- dot

_DOT_STYLES = {
    "write": 'style=filled, fillcolor="#ffdddd", color="#cc0000"',
    "commit": 'style=filled, fillcolor="#ffdddd", color="#cc0000"',
    "lock": 'style=filled, fillcolor="#ffdddd", color="#cc0000"',
    "ui": 'style=filled, fillcolor="#ffe9b3", color="#cc8800"',
    "opaque": 'style="filled,dashed", fillcolor="#eeeeee", color="#777777"',
}


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render_dot(project: AnalyzedProject, sites: Sequence[EnqueueSite] | None = None,
               max_nodes: int = DEFAULT_MAX_NODES) -> str:
    """A Graphviz digraph with one cluster per enqueue site."""
    lines = ["digraph pbtlint {", "    rankdir=LR;", '    node [shape=box, fontname="Helvetica", fontsize=10];',
             '    edge [fontname="Helvetica", fontsize=9];']
    for i, tree in enumerate(task_trees(project, sites, max_nodes), 1):
        lines.append(f"    subgraph cluster_task{i} {{")
        lines.append(f'        label="{_dot_text(tree.title)}";')
        for node in tree.nodes:
            label = node.label + "".join(f"\n{n}" for n in node.notes)
            style = f", {_DOT_STYLES[node.marks[0]]}" if node.marks else ""
            lines.append(f'        {node.id} [label="{_dot_text(label)}"{style}];')
        for src, dst, kind in tree.edges:
            lines.append(f'        {src} -> {dst} [label="{_dot_text(kind)}"];')
        if tree.omitted:
            lines.append(f'        task{i}_more [label="... {tree.omitted} more reachable nodes", shape=plaintext];')
        lines.append("    }")
    lines.append("}")
    return "\n".join(lines) + "\n"
