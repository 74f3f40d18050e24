"""``kg viz``: the graph as one interactive HTML page that works offline and runs no data.

pyvis builds the page through kg's own template (``kg/templates/viz.html``, set with
pyvis's template hook) because pyvis 0.3.2's templates fetch Bootstrap and tom-select
from CDNs. The page inlines vis-network's script and style from the pyvis package,
embeds the data as JSON with ``<``, ``>`` and ``&`` escaped (a label holding
``</script>`` cannot end the script block) and shows every name, tooltip and finding
as text, never as HTML. The same input gives the same bytes: nodes and edges are
sorted, layouts are seeded, and nothing depends on the clock.
"""

from __future__ import annotations

import heapq
import json
import math
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from rdflib import RDF, RDFS, Graph, URIRef

from kg.claims import CLAIM_TYPES, label_of, local_name, read_claim, short_id
from kg.errors import KgError, UsageError
from kg.namespaces import KG

if TYPE_CHECKING:  # pragma: no cover
    from kg.conflicts import Finding

#: Agents drawn at most, unless the caller asks for more (keeps a browser responsive).
DEFAULT_MAX_NODES = 2000
#: Above this many nodes physics is off and positions come from Python.
PHYSICS_MAX_NODES = 200
#: Above this many edges, edge labels are left out (they cost more than they tell).
EDGE_LABEL_MAX_EDGES = 600
LAYOUT_SEED = 7

DCTERMS_DESCRIPTION = URIRef("http://purl.org/dc/terms/description")


@dataclass(frozen=True)
class Kind:
    """How one kind of agent is drawn: the legend shows the same shape and colour."""

    key: str
    label: str
    classes: tuple[str, ...]  # kg class local names, any of which makes an agent this kind
    shape: str  # vis-network shape with the label below it
    color: str
    glyph: str  # the legend's symbol for the shape


#: First match wins, so an AI lab that also invests is drawn as an AI lab.
KINDS = (
    Kind("person", "Person", ("Person",), "dot", "#f4a261", "●"),
    Kind("ai-lab", "AI lab", ("AILab",), "hexagon", "#8e6cef", "⬢"),
    Kind("chip-maker", "Chip maker", ("ChipMaker",), "diamond", "#e0b000", "◆"),
    Kind("cloud", "Cloud / compute provider", ("CloudProvider", "ComputeProvider"), "square", "#2a9d8f", "■"),
    Kind("space", "Launch / satellite", ("LaunchProvider", "SatelliteOperator"), "star", "#3a86ff", "★"),
    Kind("telecom", "Telecom", ("TelecomCompany",), "triangleDown", "#b5838d", "▼"),
    Kind("energy", "Energy provider", ("EnergyProvider",), "triangleDown", "#fb8500", "▼"),
    Kind("investor", "Investor", ("Investor", "SovereignWealthFund"), "triangle", "#43aa8b", "▲"),
    Kind("organization", "Other organization", ("Organization", "Agent"), "dot", "#9aa5b1", "●"),
)
OTHER_KIND = KINDS[-1]
COLLAPSED_KIND = Kind("collapsed", "Collapsed leaves", (), "box", "#e9ecef", "▭")
_KIND_BY_CLASS = {KG[name]: kind for kind in KINDS for name in kind.classes}

EDGE_COLOR = "#8d99ae"
#: Evidence edges take the colour and width of the most severe finding they support.
SEVERITY_STYLE = {"high": ("#d62828", 6), "medium": ("#f77f00", 4), "low": ("#c9a227", 3)}
CONFLICT_COLOR = SEVERITY_STYLE["high"][0]
_SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITY_STYLE)}
#: Quality properties shown in an edge's tooltip, in this order.
_QUALITIES = (
    ("amount", KG.amount),
    ("currency", KG.currency),
    ("stake (%)", KG.stake),
    ("capacity (MW)", KG.capacityMW),
    ("accelerator", KG.accelerator),
    ("contract value", KG.contractValue),
    ("role", KG.roleTitle),
    ("basis", KG.controlBasis),
    ("kind", KG.rivalryKind),
    ("manner", KG.departureManner),
)


@dataclass(frozen=True)
class VizSummary:
    """What a drawing holds and what it left out (the CLI prints it)."""

    nodes: int
    edges: int
    findings: int
    agents_total: int
    claims_total: int
    notes: tuple[str, ...] = ()


@dataclass
class _Agent:
    id: str
    iri: str
    label: str
    kind: Kind
    types: tuple[str, ...]
    description: str | None


@dataclass
class _Claim:
    id: str
    iri: str
    type: str
    verb: str
    source: str  # agent id
    target: str  # agent id
    tooltip: str


@dataclass
class _View:
    agents: dict[str, _Agent]
    claims: list[_Claim]
    findings: list["Finding"]
    notes: list[str] = field(default_factory=list)
    agents_total: int = 0
    claims_total: int = 0
    collapsed: dict[str, tuple[str, list[_Agent], list[_Claim]]] = field(default_factory=dict)


# ---------------------------------------------------------------------------
# Public API


def render_html(
    graph: Graph,
    *,
    focus: str | None = None,
    depth: int = 2,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    collapse_hubs: int | None = None,
    conflicts: bool = True,
    findings: Sequence["Finding"] | None = None,
    as_of: str | None = None,
    min_status: str = "rumored",
    title: str = "kg — AI compute graph",
) -> str:
    """The page as a string: for notebooks, web apps and ``write_html``.

    ``findings`` lets a caller reuse findings it already has; otherwise they are
    computed with ``as_of`` and ``min_status`` unless ``conflicts`` is false.
    """
    html, _ = _render(graph, **_options(locals()))
    return html


def write_html(graph: Graph, path: str | Path, **options) -> VizSummary:
    """Write the page to ``path``; an existing file is replaced only once the new one is complete.

    Takes the keyword options of ``render_html``.
    """
    from kg.export import write_atomically

    path = Path(path)
    if not (path.parent if str(path.parent) else Path(".")).is_dir():
        from kg.errors import InputError

        raise InputError(f"{path}: folder {path.parent} does not exist")
    html, summary = _render(graph, **options)
    write_atomically(path, html.encode("utf-8"))
    return summary


def show(graph: Graph, *, height: int = 650, **options):
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


# ---------------------------------------------------------------------------
# What is drawn


def _options(local_vars: dict) -> dict:
    return {k: v for k, v in local_vars.items() if k != "graph"}


def _render(graph: Graph, **options) -> tuple[str, VizSummary]:
    view = _build_view(graph, **{k: v for k, v in options.items() if k != "title"})
    html = _page(view, title=options.get("title", "kg — AI compute graph"))
    summary = VizSummary(
        nodes=len(view.agents) + len(view.collapsed),
        edges=len(view.claims),
        findings=len(view.findings),
        agents_total=view.agents_total,
        claims_total=view.claims_total,
        notes=tuple(view.notes),
    )
    return html, summary


def _build_view(
    graph: Graph,
    *,
    focus: str | None = None,
    depth: int = 2,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    collapse_hubs: int | None = None,
    conflicts: bool = True,
    findings: Sequence["Finding"] | None = None,
    as_of: str | None = None,
    min_status: str = "rumored",
) -> _View:
    if depth < 0:
        raise UsageError(f"--depth must be 0 or more, not {depth}")
    if max_nodes is not None and max_nodes < 1:
        raise UsageError(f"--max-nodes must be 1 or more, not {max_nodes}")
    if collapse_hubs is not None and collapse_hubs < 1:
        raise UsageError(f"--collapse-hubs must be 1 or more, not {collapse_hubs}")

    agents = _read_agents(graph)
    claims = _read_claims(graph, agents)
    view = _View(agents=agents, claims=claims, findings=[], agents_total=len(agents), claims_total=len(claims))

    if findings is not None:
        view.findings = list(findings)
    elif conflicts:
        from kg.conflicts import find_conflicts

        view.findings = list(find_conflicts(graph, as_of=as_of, min_status=min_status))
    if conflicts and (as_of is not None or min_status != "rumored"):
        from kg.rules import parse_as_of

        when = f"as of {parse_as_of(as_of).isoformat()}" if as_of is not None else "as of the day it was written"
        view.notes.append(f"Conflict findings {when}, from evidence at least {min_status}.")
    protected = {ref.id for f in view.findings for ref in f.entities.values()}

    keep = set(agents)
    focus_id = None
    if focus is not None:
        from kg.summary import resolve_entity

        focus_id = short_id(resolve_entity(graph, focus))
        if focus_id not in agents:
            raise UsageError(f"{focus!r} is not an agent drawn in the graph (a person or an organization)")
        keep = _neighbourhood(focus_id, claims, depth)
        view.notes.append(f"Showing the neighbourhood of {agents[focus_id].label} within {depth} step(s).")
    if max_nodes is not None and len(keep) > max_nodes:
        kept = _most_connected(keep, claims, max_nodes, first=focus_id)
        left_agents = len(keep) - len(kept)
        left_claims = sum(1 for c in claims if c.source in keep and c.target in keep) - sum(
            1 for c in claims if c.source in kept and c.target in kept
        )
        view.notes.append(
            f"Left out {left_agents:,} of {len(keep):,} agents and {left_claims:,} claims to stay under "
            f"--max-nodes {max_nodes:,}; kept the most connected part (use --focus ID or raise --max-nodes)."
        )
        keep = kept
    view.agents = {aid: agents[aid] for aid in sorted(keep)}
    view.claims = [c for c in claims if c.source in keep and c.target in keep]
    if collapse_hubs is not None:
        _collapse_hubs(view, collapse_hubs, protected | ({focus_id} if focus_id else set()))
    drawn_claims = {c.iri for c in view.claims}
    missing = sum(1 for f in view.findings if not any(e.claim in drawn_claims for e in f.evidence))
    if missing:
        view.notes.append(f"{missing} finding(s) have no evidence among the claims drawn.")
    return view


def _kind_of(types: Iterable[URIRef]) -> Kind:
    found = {_KIND_BY_CLASS[t] for t in types if t in _KIND_BY_CLASS}
    for kind in KINDS:
        if kind in found:
            return kind
    return OTHER_KIND


def _read_agents(graph: Graph) -> dict[str, _Agent]:
    """Every instance of an agent class plus everything that plays a role in a claim."""
    iris: set[URIRef] = set()
    for cls in _KIND_BY_CLASS:
        iris.update(s for s in graph.subjects(RDF.type, cls) if isinstance(s, URIRef))
    for claim_type in CLAIM_TYPES.values():
        for role in (claim_type.subject_role, claim_type.object_role):
            iris.update(o for o in graph.objects(None, role) if isinstance(o, URIRef))
    agents = {}
    for iri in iris:
        types = [t for t in graph.objects(iri, RDF.type) if isinstance(t, URIRef)]
        description = graph.value(iri, DCTERMS_DESCRIPTION) or graph.value(iri, RDFS.comment)
        agent_id = short_id(iri)
        agents[agent_id] = _Agent(
            id=agent_id,
            iri=str(iri),
            label=label_of(graph, iri),
            kind=_kind_of(types),
            types=tuple(sorted(label_of(graph, t) if (t, RDFS.label, None) in graph else local_name(t) for t in types)),
            description=str(description) if description is not None else None,
        )
    return agents


def _read_claims(graph: Graph, agents: dict[str, _Agent]) -> list[_Claim]:
    claims = []
    for cls, claim_type in CLAIM_TYPES.items():
        for node in set(graph.subjects(RDF.type, cls)):
            record = read_claim(graph, node)
            if record.subject is None or record.object is None:
                continue  # validate reports it; nothing to draw
            source, target = short_id(record.subject), short_id(record.object)
            if source not in agents or target not in agents:
                continue
            lines = [f"{agents[source].label} {claim_type.verb} {agents[target].label}", f"claim: {record.type}"]
            if record.start or record.end:
                lines.append(f"dates: {record.start or '…'} – {record.end or '…'}")
            else:
                lines.append("dates: not given")
            for name, prop in _QUALITIES:
                value = graph.value(node, prop)
                if value is not None:
                    lines.append(f"{name}: {label_of(graph, value) if isinstance(value, URIRef) else value}")
            statuses = sorted({a.status for a in record.attestations})
            lines.append(f"status: {', '.join(statuses) or 'no source'}")
            for att in record.attestations:
                lines.append(f"source ({att.status}): {att.source_title or att.source}")
            if record.note:
                lines.append(f"note: {record.note}")
            claims.append(
                _Claim(
                    id=short_id(node),
                    iri=str(node),
                    type=record.type,
                    verb=claim_type.verb,
                    source=source,
                    target=target,
                    tooltip="\n".join(lines),
                )
            )
    claims.sort(key=lambda c: (c.source, c.target, c.type, c.id))
    return claims


def _adjacency(nodes: set[str], claims: list[_Claim]) -> dict[str, set[str]]:
    adjacent: dict[str, set[str]] = {n: set() for n in nodes}
    for c in claims:
        if c.source in adjacent and c.target in adjacent and c.source != c.target:
            adjacent[c.source].add(c.target)
            adjacent[c.target].add(c.source)
    return adjacent


def _neighbourhood(start: str, claims: list[_Claim], depth: int) -> set[str]:
    nodes = {c.source for c in claims} | {c.target for c in claims} | {start}
    adjacent = _adjacency(nodes, claims)
    seen = {start}
    frontier = deque([(start, 0)])
    while frontier:
        node, distance = frontier.popleft()
        if distance == depth:
            continue
        for neighbour in sorted(adjacent[node]):
            if neighbour not in seen:
                seen.add(neighbour)
                frontier.append((neighbour, distance + 1))
    return seen


def _most_connected(nodes: set[str], claims: list[_Claim], limit: int, *, first: str | None) -> set[str]:
    """Grow from the best-connected agent, always adding the best-connected neighbour.

    The result stays connected where the graph is, so a cut graph reads as one
    piece rather than as scattered hubs; other components follow by size.
    """
    adjacent = _adjacency(nodes, claims)
    degree = {n: len(adjacent[n]) for n in nodes}
    order = sorted(nodes, key=lambda n: (n != first, -degree[n], n))
    kept: set[str] = set()
    queued: set[str] = set()
    for seed in order:
        if len(kept) >= limit:
            break
        if seed in kept:
            continue
        heap = [(-degree[seed], seed)]
        queued.add(seed)
        while heap and len(kept) < limit:
            _, node = heapq.heappop(heap)
            kept.add(node)
            for neighbour in adjacent[node]:
                if neighbour not in queued:
                    queued.add(neighbour)
                    heapq.heappush(heap, (-degree[neighbour], neighbour))
    return kept


def _collapse_hubs(view: _View, threshold: int, protected: set[str]) -> None:
    """Fold the leaves of each agent with more than ``threshold`` of them into one summary node."""
    adjacent = _adjacency(set(view.agents), view.claims)
    leaves_of: dict[str, list[str]] = defaultdict(list)
    for node in view.agents:
        if len(adjacent[node]) == 1 and node not in protected:
            (hub,) = adjacent[node]
            if len(adjacent[hub]) > 1:
                leaves_of[hub].append(node)
    folded: set[str] = set()
    for hub in sorted(leaves_of):
        leaves = sorted(leaves_of[hub])
        if len(leaves) <= threshold:
            continue
        folded.update(leaves)
        cluster_id = f"collapsed:{hub}"
        view.collapsed[cluster_id] = (hub, [view.agents[leaf] for leaf in leaves], [])
    if not folded:
        return
    kept_claims = []
    for claim in view.claims:
        leaf = claim.source if claim.source in folded else claim.target if claim.target in folded else None
        if leaf is None:
            kept_claims.append(claim)
            continue
        hub = claim.target if leaf == claim.source else claim.source
        view.collapsed[f"collapsed:{hub}"][2].append(claim)
    view.claims = kept_claims
    for leaf in folded:
        del view.agents[leaf]
    view.notes.append(
        f"Collapsed {len(folded):,} leaf agents of {len(view.collapsed):,} hub(s) into summary nodes (--collapse-hubs {threshold})."
    )


# ---------------------------------------------------------------------------
# Layout


def _layout(node_ids: list[str], links: list[tuple[str, str]], *, seed: int = LAYOUT_SEED) -> dict[str, tuple[float, float]]:
    """Seeded positions in pixels; the same graph always gets the same picture.

    Small graphs use networkx's spring layout. Larger ones use a Fruchterman–Reingold
    variant whose repulsion is estimated from a seeded sample of nodes each round
    (numpy only, O(N·S) per round), because networkx needs scipy past 500 nodes
    and is quadratic in time and memory.
    """
    n = len(node_ids)
    if n == 0:
        return {}
    if n == 1:
        return {node_ids[0]: (0.0, 0.0)}
    index = {node: i for i, node in enumerate(node_ids)}
    pairs = sorted({(min(index[a], index[b]), max(index[a], index[b])) for a, b in links if a != b})
    if n <= 300:
        import networkx as nx

        nx_graph = nx.Graph()
        nx_graph.add_nodes_from(range(n))
        nx_graph.add_edges_from(pairs)
        raw = nx.spring_layout(nx_graph, seed=seed, k=2.2 / math.sqrt(n), iterations=200)
        coords = [(float(raw[i][0]), float(raw[i][1])) for i in range(n)]
    else:
        coords = _sampled_force_layout(n, pairs, seed=seed)
    scale = 140.0 * math.sqrt(n)
    xs = [c[0] for c in coords]
    ys = [c[1] for c in coords]
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    return {
        node: (round((x - cx) / span * scale, 1), round((y - cy) / span * scale, 1)) for node, (x, y) in zip(node_ids, coords)
    }


def _sampled_force_layout(n: int, pairs: list[tuple[int, int]], *, seed: int, iterations: int = 60, sample: int = 400):
    import numpy as np

    rng = np.random.default_rng(seed)
    x, y = rng.random(n), rng.random(n)
    k2 = 1.0 / n  # ideal distance k = sqrt(area / n), squared
    k = math.sqrt(k2)
    src = np.array([p[0] for p in pairs], dtype=np.int64)
    dst = np.array([p[1] for p in pairs], dtype=np.int64)
    temperature = 0.1
    cooling = temperature / (iterations + 1)
    for _ in range(iterations):
        if n <= sample:
            ax, ay, weight = x, y, 1.0
        else:
            chosen = rng.choice(n, size=sample, replace=False)
            ax, ay, weight = x[chosen], y[chosen], n / sample
        dx = x[:, None] - ax[None, :]
        dy = y[:, None] - ay[None, :]
        force = dx * dx
        force += dy * dy
        np.maximum(force, 1e-6, out=force)
        np.divide(k2 * weight, force, out=force)  # repulsion k²/d along (dx, dy)/d
        push_x = (dx * force).sum(axis=1)
        push_y = (dy * force).sum(axis=1)
        if len(pairs):
            ex, ey = x[src] - x[dst], y[src] - y[dst]
            pull = np.sqrt(ex * ex + ey * ey) / k  # attraction d²/k along (ex, ey)/d
            np.add.at(push_x, src, -ex * pull)
            np.add.at(push_y, src, -ey * pull)
            np.add.at(push_x, dst, ex * pull)
            np.add.at(push_y, dst, ey * pull)
        length = np.maximum(np.sqrt(push_x * push_x + push_y * push_y), 1e-9)
        step = np.minimum(length, temperature) / length
        x += push_x * step
        y += push_y * step
        temperature -= cooling
    return [(float(a), float(b)) for a, b in zip(x, y)]


# ---------------------------------------------------------------------------
# The page


def _page(view: _View, *, title: str) -> str:
    from pyvis.network import Network

    finding_edges: dict[str, list[int]] = defaultdict(list)
    node_severity: dict[str, str] = {}
    drawn_claims = {c.iri: c for c in view.claims}
    findings_payload = []
    sorted_findings = _sorted_findings(view.findings)
    for number, finding in enumerate(sorted_findings):
        edge_ids = sorted({drawn_claims[e.claim].id for e in finding.evidence if e.claim in drawn_claims})
        node_ids = sorted(
            {ref.id for ref in finding.entities.values() if ref.id in view.agents}
            | {n for e in finding.evidence if e.claim in drawn_claims for n in (drawn_claims[e.claim].source, drawn_claims[e.claim].target)}
        )
        for edge_id in edge_ids:
            finding_edges[edge_id].append(number)
        for node_id in node_ids:
            node_severity[node_id] = _most_severe(node_severity.get(node_id), finding.severity)
        findings_payload.append(
            {
                "rule": finding.rule,
                "title": finding.title,
                "severity": finding.severity,
                "status": finding.status,
                "explanation": finding.explanation,
                "roles": [[role, ref.label] for role, ref in sorted(finding.entities.items())],
                "nodes": node_ids,
                "edges": edge_ids,
                "color": _severity_style(finding.severity)[0],
            }
        )

    node_ids = list(view.agents) + sorted(view.collapsed)
    links = [(c.source, c.target) for c in view.claims] + [(cid, hub) for cid, (hub, _, _) in view.collapsed.items()]
    positions = _layout(sorted(node_ids), links)
    degree = Counter(n for link in links for n in link)
    physics = len(node_ids) <= PHYSICS_MAX_NODES
    edge_labels = len(links) <= EDGE_LABEL_MAX_EDGES

    nodes = []
    for agent in view.agents.values():
        lines = [agent.label, f"kind: {agent.kind.label}"]
        if agent.types:
            lines.append(f"types: {', '.join(agent.types)}")
        lines.append(f"id: {agent.id}")
        if agent.description:
            lines.append(agent.description)
        severity = node_severity.get(agent.id)
        node = {
            "id": agent.id,
            "label": agent.label,
            "title": "\n".join(lines),
            "shape": agent.kind.shape,
            "kind": agent.kind.key,
            "size": round(12 + 5 * math.sqrt(degree[agent.id]), 1),
            "color": {
                "background": agent.kind.color,
                "border": _severity_style(severity)[0] if severity else "#495057",
                "highlight": {"background": agent.kind.color, "border": _severity_style(severity)[0] if severity else "#000000"},
            },
            "borderWidth": 4 if severity else 1,
            "x": positions[agent.id][0],
            "y": positions[agent.id][1],
        }
        nodes.append(node)
    for cluster_id in sorted(view.collapsed):
        hub, leaves, claims = view.collapsed[cluster_id]
        names = [leaf.label for leaf in leaves]
        kinds = Counter(leaf.kind.label for leaf in leaves)
        lines = [f"{len(leaves):,} agents tied only to {view.agents[hub].label}"]
        lines += [f"{kind}: {count:,}" for kind, count in sorted(kinds.items())]
        lines += names[:40] + ([f"… and {len(names) - 40:,} more"] if len(names) > 40 else [])
        nodes.append(
            {
                "id": cluster_id,
                "label": f"+{len(leaves):,} more",
                "title": "\n".join(lines),
                "shape": COLLAPSED_KIND.shape,
                "kind": COLLAPSED_KIND.key,
                "color": {"background": COLLAPSED_KIND.color, "border": "#868e96"},
                "x": positions[cluster_id][0],
                "y": positions[cluster_id][1],
            }
        )

    parallel = _parallel_offsets(view.claims)
    edges = []
    for claim in view.claims:
        marks = finding_edges.get(claim.id, [])
        severity = None
        for mark in marks:
            severity = _most_severe(severity, sorted_findings[mark].severity)
        color, width = _severity_style(severity) if marks else (EDGE_COLOR, 1.5)
        edge = {
            "id": claim.id,
            "from": claim.source,
            "to": claim.target,
            "title": claim.tooltip + ("\n\nevidence of finding(s) " + ", ".join(f"#{m + 1}" for m in marks) if marks else ""),
            "claimType": claim.type,
            "arrows": "" if claim.type == "Rivalry" else "to",
            "dashes": claim.type == "Rivalry",
            "color": {"color": color, "highlight": color if marks else "#343a40", "hover": color if marks else "#343a40"},
            "width": width,
            "conflict": 3 - _SEVERITY_RANK.get(severity, 3) if marks else 0,
        }
        if edge_labels:
            edge["label"] = claim.verb
            if marks:
                edge["font"] = {"color": color, "strokeWidth": 4}
        if physics or parallel[claim.id]:
            edge["smooth"] = parallel[claim.id] or {"enabled": True, "type": "continuous", "roundness": 0.2}
        edges.append(edge)
    for cluster_id in sorted(view.collapsed):
        hub, leaves, claims = view.collapsed[cluster_id]
        verbs = Counter(c.verb for c in claims)
        edges.append(
            {
                "id": f"{cluster_id}:edge",
                "from": cluster_id,
                "to": hub,
                "title": f"{len(claims):,} claims between {view.agents[hub].label} and these agents\n"
                + "\n".join(f"{verb}: {count:,}" for verb, count in sorted(verbs.items())),
                "label": f"{len(claims):,} claims" if edge_labels else None,
                "color": {"color": "#adb5bd"},
                "width": 1.5,
                "dashes": True,
            }
        )
        if edges[-1]["label"] is None:
            del edges[-1]["label"]
    edges.sort(key=lambda e: (e.get("conflict", 0), e["id"]))  # vis draws in order: evidence on top

    options = _vis_options(physics=physics, large=not edge_labels)
    kinds_present = {node["kind"] for node in nodes}
    legend = [
        {"label": kind.label, "color": kind.color, "glyph": kind.glyph}
        for kind in (*KINDS, COLLAPSED_KIND)
        if kind.key in kinds_present
    ]
    payload = {
        "title": title,
        "summary": f"{len(view.agents) + len(view.collapsed):,} nodes · {len(view.claims):,} claims · "
        f"{len(findings_payload)} finding(s)",
        "notes": view.notes,
        "legend": legend,
        "findings": findings_payload,
        "physics": physics,
        "severityColors": [[name, style[0], style[1]] for name, style in SEVERITY_STYLE.items()],
        "edgeColor": EDGE_COLOR,
    }

    network = Network(height="100%", width="100%", directed=True, cdn_resources="in_line")
    network.nodes = nodes  # add_node/add_edge are O(N²) in pyvis 0.3.2 (DESIGN 9)
    network.edges = edges
    network.options = options
    network.set_template_dir(str(_templates_dir()) + "/", "viz.html")
    environment = network.templateEnv
    environment.filters["kg_json"] = _script_json
    environment.filters["kg_json_text"] = _script_json_text
    script, style = _vis_network_assets()
    environment.globals.update(kg=payload, kg_vis_script=script, kg_vis_style=style, kg_title=title)
    return network.generate_html(name="graph.html", notebook=False)


def _severity_style(severity: str | None) -> tuple[str, int]:
    return SEVERITY_STYLE.get(severity or "low", SEVERITY_STYLE["low"])


def _most_severe(a: str | None, b: str | None) -> str | None:
    ranks = [x for x in (a, b) if x is not None]
    return min(ranks, key=lambda x: _SEVERITY_RANK.get(x, 9)) if ranks else None


def _sorted_findings(findings: Sequence["Finding"]) -> list["Finding"]:
    severity = {"high": 0, "medium": 1, "low": 2}
    return sorted(
        findings,
        key=lambda f: (severity.get(f.severity, 3), f.rule, tuple(sorted((r, e.id) for r, e in f.entities.items()))),
    )


def _parallel_offsets(claims: list[_Claim]) -> dict[str, dict | None]:
    """Curve edges that share both ends so each label stays readable."""
    groups: dict[tuple[str, str], list[_Claim]] = defaultdict(list)
    for claim in claims:
        groups[tuple(sorted((claim.source, claim.target)))].append(claim)
    smooth: dict[str, dict | None] = {}
    for (low, _high), group in groups.items():
        if len(group) == 1:
            smooth[group[0].id] = None
            continue
        for i, claim in enumerate(sorted(group, key=lambda c: (c.type, c.id))):
            side = 1 if i % 2 == 0 else -1
            roundness = 0.25 * (i // 2 + 1) if len(group) > 1 else 0
            if claim.source != low:
                side = -side  # the curve's side is relative to the edge's direction
            smooth[claim.id] = {
                "enabled": True,
                "type": "curvedCW" if side > 0 else "curvedCCW",
                "roundness": round(roundness, 2),
            }
    return smooth


def _vis_options(*, physics: bool, large: bool) -> dict:
    options: dict = {
        "autoResize": True,
        "interaction": {
            "hover": True,
            "tooltipDelay": 120,
            "navigationButtons": False,
            "keyboard": {"enabled": True, "bindToWindow": False},
            "hideEdgesOnDrag": large,
            "hideEdgesOnZoom": large,
        },
        "nodes": {
            "font": {"size": 16, "face": "system-ui, sans-serif", "strokeWidth": 4, "strokeColor": "#ffffff"},
        },
        "edges": {
            "font": {"size": 12, "face": "system-ui, sans-serif", "align": "middle", "strokeWidth": 3, "strokeColor": "#ffffff"},
            "selectionWidth": 2,
            "smooth": physics and {"enabled": True, "type": "continuous", "roundness": 0.2} or False,
            "arrowStrikethrough": False,
        },
        "layout": {"randomSeed": LAYOUT_SEED, "improvedLayout": False},
    }
    if physics:
        options["physics"] = {
            "enabled": True,
            "solver": "forceAtlas2Based",
            "forceAtlas2Based": {"gravitationalConstant": -120, "springLength": 170, "springConstant": 0.04, "avoidOverlap": 0.6},
            "stabilization": {"enabled": True, "iterations": 400, "fit": True},
        }
    else:
        options["physics"] = {"enabled": False}
    return options


def _templates_dir() -> Path:
    return Path(resources.files("kg").joinpath("templates"))


def _vis_network_assets() -> tuple[str, str]:
    """vis-network's script and style as pyvis 0.3.2 ships them (Apache-2.0 or MIT)."""
    lib = Path(resources.files("pyvis").joinpath("templates", "lib", "vis-9.1.2"))
    try:
        script = (lib / "vis-network.min.js").read_text("utf-8")
        style = (lib / "vis-network.css").read_text("utf-8")
    except OSError as exc:
        raise KgError(f"pyvis's copy of vis-network is missing ({exc}); reinstall pyvis==0.3.2") from None
    # Inlined text must not be able to close its own element early.
    if "</script" in script.lower() or "</style" in style.lower():
        raise KgError("vis-network's files contain a closing tag; refusing to inline them")
    return script, style


def _script_json(value) -> str:
    """JSON safe inside a <script> block: sorted keys, and <, >, & as \\u escapes."""
    return _script_json_text(json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")))


def _script_json_text(text: str) -> str:
    # These characters only ever occur inside JSON strings, where the escapes mean the same.
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
