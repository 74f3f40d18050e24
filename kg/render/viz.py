"""``kg viz``: the graph as one interactive HTML page that works offline and runs no data.

The page loads nothing from the network and is the same, byte for byte, for
the same input: nodes and edges are sorted, layouts are seeded, and nothing
depends on the clock. ``kg.render.view`` chooses what is drawn,
``kg.render.page`` writes the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from kg.errors import InputError
from kg.io.atomic import write_atomically
from kg.render.page import html_page
from kg.render.view import DEFAULT_MAX_DATES, DEFAULT_MAX_NODES, build_view

if TYPE_CHECKING:  # pragma: no cover
    from kg.conflicts.model import Finding
    from kg.conflicts.pack import Rule


@dataclass(frozen=True)
class VizSummary:
    """What a drawing holds and what it left out (the CLI prints it)."""

    nodes: int  # on the page, over every date of the slider
    edges: int
    findings: int  # at the as-of date, where the page opens
    agents_total: int
    claims_total: int
    notes: tuple[str, ...] = ()
    as_of: str = ""  # the date the page opens on, YYYY-MM-DD
    dates: int = 1  # the slider's stops
    nodes_as_of: int = 0  # drawn on the as-of date
    edges_as_of: int = 0


def render_html(
    graph,
    *,
    focus: str | None = None,
    depth: int = 2,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    collapse_hubs: int | None = None,
    conflicts: bool = True,
    findings: Sequence["Finding"] | None = None,
    as_of: str | None = None,
    min_status: str = "rumored",
    min_stage: str = "proposed",
    control_threshold=50,
    pack: Sequence["Rule"] | None = None,
    timeline: bool = True,
    max_dates: int | None = DEFAULT_MAX_DATES,
    title: str = "kg — AI compute graph",
) -> str:
    """The page as a string: for notebooks, web apps and ``write_html``.

    ``graph`` is an rdflib graph or a backend (``open_backend``: Oxigraph, an
    endpoint). The page opens on ``as_of`` (default today) and draws the claims in
    force that day; its date slider steps through every day on which a claim
    begins or ends (``kg.analysis.history.change_dates``), with the claims and findings of each
    (without ``timeline``, the as-of date only). Findings are computed with
    ``min_status``, ``min_stage`` and ``control_threshold`` by the rules of ``pack``
    (default: the bundled pack; ``load_pack`` adds a user's folders) unless
    ``conflicts`` is false; ``findings`` lets a caller reuse those it already has
    for the as-of date. With more than ``max_dates`` change dates, that many of
    them, evenly spread, are the slider's stops (the page says so).
    """
    html, _ = _render(graph, **_options(locals()))
    return html


def write_html(graph, path: str | Path, **options) -> VizSummary:
    """Write the page to ``path``; an existing file is replaced only once the new one is complete.

    Takes the keyword options of ``render_html``.
    """
    path = Path(path)
    if not (path.parent if str(path.parent) else Path(".")).is_dir():
        raise InputError(f"{path}: folder {path.parent} does not exist")
    html, summary = _render(graph, **options)
    write_atomically(path, html.encode("utf-8"))
    return summary


def show(graph, *, height: int = 650, **options):
    """Display the page inline in Jupyter, isolated in a sandboxed iframe; writes no file.

    The iframe's ``srcdoc`` holds the whole page and ``sandbox="allow-scripts"``
    keeps its scripts away from the notebook's own page and cookies.
    """
    import html as html_lib

    from IPython.display import HTML

    page = render_html(graph, **options)
    return HTML(  # the <div> keeps IPython from suggesting its IFrame, which needs a URL
        f'<div><iframe srcdoc="{html_lib.escape(page, quote=True)}" sandbox="allow-scripts" '
        f'style="width:100%;height:{int(height)}px;border:1px solid #ddd" title="kg graph"></iframe></div>'
    )


def _options(local_vars: dict) -> dict:
    return {k: v for k, v in local_vars.items() if k != "graph"}


def _render(graph, **options) -> tuple[str, VizSummary]:
    view = build_view(graph, **{k: v for k, v in options.items() if k != "title"})
    html = html_page(view, title=options.get("title", "kg — AI compute graph"))
    opening = view.stops[view.start]
    edges_as_of = [c for c in view.claims if c.iri in opening.drawn]
    # As the page draws them: an agent while one of its claims is, or always when it has none on the page.
    ends = {n for c in view.claims for n in (c.source, c.target)}
    drawn_agents = {n for c in edges_as_of for n in (c.source, c.target)} | (set(view.agents) - ends)
    for cluster_id, (hub, _, claims) in view.collapsed.items():
        if any(c.iri in opening.drawn for c in claims):
            drawn_agents |= {cluster_id, hub}
    summary = VizSummary(
        nodes=len(view.agents) + len(view.collapsed),
        edges=len(view.claims),
        findings=len(view.findings),
        agents_total=view.agents_total,
        claims_total=view.claims_total,
        notes=tuple(view.notes + view.start_notes),
        as_of=opening.day.isoformat(),
        dates=len(view.stops),
        nodes_as_of=len(drawn_agents),
        edges_as_of=len(edges_as_of),
    )
    return html, summary
