"""The HTML page: pyvis builds it through kg's own template, with every script inlined and the data as JSON.

pyvis 0.3.2's templates fetch Bootstrap and tom-select from CDNs, so kg sets its
own (``kg/templates/viz.html``) with pyvis's template hook, inlines
vis-network's script and style from the pyvis package, embeds the data as JSON
with ``<``, ``>`` and ``&`` escaped (a label holding ``</script>`` cannot end the
script block) and shows every name, tooltip and finding as text, never as HTML.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from kg.errors import KgError
from kg.render.layout import LAYOUT_SEED, layout
from kg.render.palette import COLLAPSED_KIND, EDGE_COLOR, KINDS, SEVERITY_RANK, SEVERITY_STYLE
from kg.render.slider import Stop
from kg.render.view import DrawnClaim, View

if TYPE_CHECKING:  # pragma: no cover
    from kg.conflicts.model import Finding

#: Above this many nodes physics is off and positions come from Python.
PHYSICS_MAX_NODES = 200
#: Above this many edges, edge labels are left out (they cost more than they tell).
EDGE_LABEL_MAX_EDGES = 600
#: Above this many claims, an edge's label shows only while it, or an agent at either end, is pointed
#: at or chosen (a box on the page shows them all): overlapping labels made 118 claims unreadable.
HOVER_LABELS_ABOVE = 50
#: The relation layers the page can hide, and the claim types each holds (an ownership is in both
#: control and money, and is hidden only when both are).
LAYERS = (
    ("control", "Control", frozenset({"Control", "Ownership"})),
    ("money", "Money", frozenset({"Investment", "Ownership", "ComputeContract"})),
    ("rivalry", "Rivalry", frozenset({"Rivalry"})),
    ("people", "People", frozenset({"Founding", "Affiliation", "Departure"})),
)
#: Control links pull their ends closer than other claims do, so a control group sits together.
SHORT_SPRING_TYPES = frozenset({"Control", "Ownership"})
SHORT_SPRING = 70


def html_page(view: View, *, title: str) -> str:
    from pyvis.network import Network

    drawn_claims = {c.iri: c for c in view.claims}
    # Every distinct finding on any of the slider's stops, once; each stop lists its own by index. The
    # as-of stop's come first, in the panel's order, so the page opens on findings 0..n-1.
    findings_payload: list[dict] = []
    seen: dict[str, int] = {}
    stop_findings: dict[int, list[int]] = {}
    for i in [view.start] + [i for i in range(len(view.stops)) if i != view.start]:
        numbers = []
        for finding in _sorted_findings(view.stops[i].findings):
            payload = _finding_payload(finding, view, drawn_claims)
            key = json.dumps(payload, sort_keys=True)
            if key not in seen:
                seen[key] = len(findings_payload)
                findings_payload.append(payload)
            numbers.append(seen[key])
        stop_findings[i] = numbers

    # The page opens on the as-of stop: its findings colour the nodes and edges they name.
    finding_edges: dict[str, list[int]] = defaultdict(list)
    node_severity: dict[str, str] = {}
    opening = [findings_payload[n] for n in stop_findings[view.start]]
    for number, finding in enumerate(opening):
        for edge_id in finding["edges"]:
            finding_edges[edge_id].append(number)
        for node_id in finding["nodes"]:
            node_severity[node_id] = _most_severe(node_severity.get(node_id), finding["severity"])

    node_ids = list(view.agents) + sorted(view.collapsed)
    links = [(c.source, c.target) for c in view.claims] + [(cid, hub) for cid, (hub, _, _) in view.collapsed.items()]
    positions = layout(sorted(node_ids), links)
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
            severity = _most_severe(severity, opening[mark]["severity"])
        color, width = _severity_style(severity) if marks else (EDGE_COLOR, 1.5)
        edge = {
            "id": claim.id,
            "from": claim.source,
            "to": claim.target,
            "title": claim.tooltip,
            "claimType": claim.type,
            "arrows": "" if claim.type == "Rivalry" else "to",
            "dashes": [2, 6] if claim.style == "feud" else claim.type == "Rivalry",
            "color": {"color": color, "highlight": color if marks else "#343a40", "hover": color if marks else "#343a40"},
            "width": width,
            "conflict": 3 - SEVERITY_RANK.get(severity, 3) if marks else 0,
            "at": _spans(view.stops, lambda stop: claim.iri in stop.drawn),
        }
        ended = _spans(view.stops, lambda stop: claim.iri in stop.ended)
        if ended:
            edge["ended"] = ended
        if claim.type in SHORT_SPRING_TYPES:
            edge["length"] = SHORT_SPRING
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
        iris = {c.iri for c in claims}
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
                "at": _spans(view.stops, lambda stop: not iris.isdisjoint(stop.drawn)),
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
        "notes": view.notes,
        "legend": legend,
        "rules": _rules_on_page(opening),
        "findings": findings_payload,
        "stops": [
            {"date": stop.day.isoformat(), "findings": stop_findings[i]} for i, stop in enumerate(view.stops)
        ],
        "start": view.start,
        "layers": [[name, label, sorted(types)] for name, label, types in LAYERS],
        "hoverLabels": edge_labels and len(view.claims) > HOVER_LABELS_ABOVE,
        "physics": physics,
        "severityColors": [[name, style[0], style[1]] for name, style in SEVERITY_STYLE.items()],
        "edgeColor": EDGE_COLOR,
    }

    network = Network(height="100%", width="100%", directed=True, cdn_resources="in_line")
    network.nodes = nodes  # add_node/add_edge check for duplicates: O(N²) in pyvis 0.3.2
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
    return min(ranks, key=lambda x: SEVERITY_RANK.get(x, 9)) if ranks else None


def _sorted_findings(findings: Sequence["Finding"]) -> list["Finding"]:
    severity = {"high": 0, "medium": 1, "low": 2}
    return sorted(
        findings,
        key=lambda f: (severity.get(f.severity, 3), f.rule, tuple(sorted((r, e.id) for r, e in f.entities.items()))),
    )


def _parallel_offsets(claims: list[DrawnClaim]) -> dict[str, dict | None]:
    """Curve edges that share both ends so each label stays readable."""
    groups: dict[tuple[str, str], list[DrawnClaim]] = defaultdict(list)
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


def _rules_on_page(findings: list[dict]) -> list[list]:
    """[rule id, severity, title, count] for each rule with a finding on the page, most severe first."""
    counts: dict[tuple, int] = {}
    for finding in findings:
        key = (SEVERITY_RANK.get(finding["severity"], 3), finding["rule"], finding["severity"], finding["title"])
        counts[key] = counts.get(key, 0) + 1
    return [[rule, severity, title, count] for (_, rule, severity, title), count in sorted(counts.items())]


def _finding_payload(finding: "Finding", view: View, drawn_claims: dict[str, DrawnClaim]) -> dict:
    drawn = [drawn_claims[e.claim] for e in finding.evidence if e.claim in drawn_claims]
    return {
        "rule": finding.rule,
        "identity": list(finding.identity),
        "title": finding.title,
        "severity": finding.severity,
        "status": finding.status,
        "explanation": finding.explanation,
        "roles": [[role, ref.label] for role, ref in sorted(finding.entities.items())],
        "nodes": sorted({ref.id for ref in finding.entities.values() if ref.id in view.agents} | {n for c in drawn for n in (c.source, c.target)}),
        "edges": sorted({c.id for c in drawn}),
        "color": _severity_style(finding.severity)[0],
    }


def _spans(stops: list[Stop], drawn_at) -> list[list[int]]:
    """The stops at which ``drawn_at(stop)`` holds, as [first, last] index pairs: [[0, 3], [7, 9]]."""
    spans: list[list[int]] = []
    for i, stop in enumerate(stops):
        if not drawn_at(stop):
            continue
        if spans and spans[-1][1] == i - 1:
            spans[-1][1] = i
        else:
            spans.append([i, i])
    return spans
