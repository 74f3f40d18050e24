"""What the interactive graph draws: agents and claims read from the graph, cut to a focus or a size.

Every choice here is deterministic (sorted ids, no clock), so the same input
gives the same page byte for byte.
"""

from __future__ import annotations

import heapq
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Sequence

from rdflib import RDF, RDFS, Graph, URIRef

from kg.claims import read_claim
from kg.conflicts.engine import find_conflicts
from kg.dates import parse_as_of
from kg.entities import label_of, local_name, resolve_entity, short_id
from kg.errors import UsageError, arg
from kg.render.palette import KIND_BY_CLASS, KINDS, OTHER_KIND, Kind
from kg.vocab import CLAIM_TYPES, DCTERMS_DESCRIPTION, KG

if TYPE_CHECKING:  # pragma: no cover
    from kg.conflicts.model import Finding
    from kg.conflicts.pack import Rule

#: Agents drawn at most, unless the caller asks for more (keeps a browser responsive).
DEFAULT_MAX_NODES = 2000



@dataclass
class DrawnAgent:
    id: str
    iri: str
    label: str
    kind: Kind
    types: tuple[str, ...]
    description: str | None


@dataclass
class DrawnClaim:
    id: str
    iri: str
    type: str
    verb: str
    source: str  # agent id
    target: str  # agent id
    tooltip: str
    style: str = ""  # "feud": a personal or legal rivalry (no rivals for the rules); "" otherwise


@dataclass
class View:
    agents: dict[str, DrawnAgent]
    claims: list[DrawnClaim]
    findings: list["Finding"]
    notes: list[str] = field(default_factory=list)
    agents_total: int = 0
    claims_total: int = 0
    collapsed: dict[str, tuple[str, list[DrawnAgent], list[DrawnClaim]]] = field(default_factory=dict)


def build_view(
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
    min_stage: str = "proposed",
    control_threshold=50,
    pack: Sequence["Rule"] | None = None,
) -> View:
    if depth < 0:
        raise UsageError(f"{arg('depth')} must be 0 or more, not {depth}")
    if max_nodes is not None and max_nodes < 1:
        raise UsageError(f"{arg('max_nodes')} must be 1 or more, not {max_nodes}")
    if collapse_hubs is not None and collapse_hubs < 1:
        raise UsageError(f"{arg('collapse_hubs')} must be 1 or more, not {collapse_hubs}")

    agents = _read_agents(graph)
    claims = _read_claims(graph, agents)
    view = View(agents=agents, claims=claims, findings=[], agents_total=len(agents), claims_total=len(claims))

    if findings is not None:
        view.findings = list(findings)
    elif conflicts:
        view.findings = list(
            find_conflicts(
                graph, as_of=as_of, min_status=min_status, min_stage=min_stage, control_threshold=control_threshold, pack=pack
            )
        )
    if conflicts and (as_of is not None or min_status != "rumored"):
        when = f"as of {parse_as_of(as_of).isoformat()}" if as_of is not None else "as of the day it was written"
        view.notes.append(f"Conflict findings {when}, from evidence at least {min_status}.")
    protected = {ref.id for f in view.findings for ref in f.entities.values()}

    keep = set(agents)
    focus_id = None
    if focus is not None:
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
            f"Left out {left_agents:,} of {len(keep):,} agents and {left_claims:,} claims to draw at most "
            f"{max_nodes:,} agents; kept the most connected part (focus on one entity, or raise the limit)."
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
    found = {KIND_BY_CLASS[t] for t in types if t in KIND_BY_CLASS}
    for kind in KINDS:
        if kind in found:
            return kind
    return OTHER_KIND


def _read_agents(graph: Graph) -> dict[str, DrawnAgent]:
    """Every instance of an agent class plus everything that plays a role in a claim."""
    iris: set[URIRef] = set()
    for cls in KIND_BY_CLASS:
        iris.update(s for s in graph.subjects(RDF.type, cls) if isinstance(s, URIRef))
    for claim_type in CLAIM_TYPES.values():
        for role in (claim_type.subject_role, claim_type.object_role):
            iris.update(o for o in graph.objects(None, role) if isinstance(o, URIRef))
    agents = {}
    for iri in iris:
        types = [t for t in graph.objects(iri, RDF.type) if isinstance(t, URIRef)]
        description = graph.value(iri, DCTERMS_DESCRIPTION) or graph.value(iri, RDFS.comment)
        agent_id = short_id(iri)
        agents[agent_id] = DrawnAgent(
            id=agent_id,
            iri=str(iri),
            label=label_of(graph, iri),
            kind=_kind_of(types),
            types=tuple(sorted(label_of(graph, t) if (t, RDFS.label, None) in graph else local_name(t) for t in types)),
            description=str(description) if description is not None else None,
        )
    return agents


#: Verbs for the affiliations the interlock rules read, and the rivalry kinds that are feuds.
_DIRECTING_VERBS = {KG.BoardSeat: "sits on the board of", KG.Officer: "is an officer of"}
_FEUDS = frozenset({KG.PersonalRivalry, KG.LegalRivalry})


def _verb_and_style(graph: Graph, node, cls, verb: str) -> tuple[str, str]:
    """A board seat or officer's role says so; a feud (personal or legal, and not also market) is drawn apart."""
    if cls == KG.Affiliation:
        kinds = set(graph.objects(node, KG.affiliationKind))
        for kind, words in _DIRECTING_VERBS.items():
            if kind in kinds:
                return words, ""
    if cls == KG.Rivalry:
        kinds = set(graph.objects(node, KG.rivalryKind))
        if kinds & _FEUDS and KG.MarketRivalry not in kinds:
            return "feuds with", "feud"
    return verb, ""


def _read_claims(graph: Graph, agents: dict[str, DrawnAgent]) -> list[DrawnClaim]:
    claims = []
    for cls, claim_type in CLAIM_TYPES.items():
        for node in set(graph.subjects(RDF.type, cls)):
            record = read_claim(graph, node)
            if record.subject is None or record.object is None:
                continue  # validate reports it; nothing to draw
            source, target = short_id(record.subject), short_id(record.object)
            if source not in agents or target not in agents:
                continue
            verb, style = _verb_and_style(graph, node, cls, claim_type.verb)
            lines = [f"{agents[source].label} {verb} {agents[target].label}", f"claim: {record.type}"]
            if record.start or record.end:
                lines.append(f"dates: {record.start or '…'} – {record.end or '…'}")
            else:
                lines.append("dates: not given")
            lines += [f"{name}: {text}" for name, text in record.qualities]
            statuses = sorted({a.status for a in record.attestations})
            lines.append(f"status: {', '.join(statuses) or 'no source'}")
            for att in record.attestations:
                lines.append(f"source ({att.status}): {att.source_title or att.source}")
            if record.note:
                lines.append(f"note: {record.note}")
            claims.append(
                DrawnClaim(
                    id=short_id(node),
                    iri=str(node),
                    type=record.type,
                    verb=verb,
                    source=source,
                    target=target,
                    tooltip="\n".join(lines),
                    style=style,
                )
            )
    claims.sort(key=lambda c: (c.source, c.target, c.type, c.id))
    return claims


def _adjacency(nodes: set[str], claims: list[DrawnClaim]) -> dict[str, set[str]]:
    adjacent: dict[str, set[str]] = {n: set() for n in nodes}
    for c in claims:
        if c.source in adjacent and c.target in adjacent and c.source != c.target:
            adjacent[c.source].add(c.target)
            adjacent[c.target].add(c.source)
    return adjacent


def _neighbourhood(start: str, claims: list[DrawnClaim], depth: int) -> set[str]:
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


def _most_connected(nodes: set[str], claims: list[DrawnClaim], limit: int, *, first: str | None) -> set[str]:
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


def _collapse_hubs(view: View, threshold: int, protected: set[str]) -> None:
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
        f"Collapsed {len(folded):,} leaf agents of {len(view.collapsed):,} hub(s) with more than {threshold:,} leaves into summary nodes."
    )

