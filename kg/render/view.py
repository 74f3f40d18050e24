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
from kg.backends.open import as_backend
from kg.derive import Reading
from kg.entities import label_of, local_name, resolve_entity, short_id
from kg.errors import UsageError, arg
from kg.render.palette import KIND_BY_CLASS, KINDS, OTHER_KIND, Kind
from kg.render.slider import Stop, slider_stops, with_unsourced
from kg.vocab import CLAIM_TYPES, DCTERMS_DESCRIPTION, KG

if TYPE_CHECKING:  # pragma: no cover
    from kg.conflicts.model import Finding
    from kg.conflicts.pack import Rule

#: Agents drawn at most, unless the caller asks for more (keeps a browser responsive).
DEFAULT_MAX_NODES = 2000
#: The date slider's stops at most: the rules run once for each (about 0.15 s each at 300
#: organisations in memory), and past a hundred a slider step is finer than a reader moves it.
DEFAULT_MAX_DATES = 100



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
    cls: URIRef | None = None
    start: str | None = None
    end: str | None = None
    unsourced: bool = False  # no attestation at all: drawn by its dates, never read by the rules


@dataclass
class View:
    agents: dict[str, DrawnAgent]
    claims: list[DrawnClaim]
    findings: list["Finding"]  # at the as-of date, the stop the page opens on
    notes: list[str] = field(default_factory=list)
    agents_total: int = 0
    claims_total: int = 0
    collapsed: dict[str, tuple[str, list[DrawnAgent], list[DrawnClaim]]] = field(default_factory=dict)
    #: The date slider's stops (at least the as-of date) and the index of the as-of one.
    stops: list[Stop] = field(default_factory=list)
    start: int = 0
    #: Said on the command line but not on the page, where it depends on the slider's date.
    start_notes: list[str] = field(default_factory=list)


def build_view(
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
) -> View:
    """What the page draws: ``graph`` is an rdflib graph or a backend (Oxigraph, an endpoint).

    Claims are read from the graph; which of them are in force at each of the slider's
    dates, and the findings there, are read by the backend as the rules read them.
    """
    if depth < 0:
        raise UsageError(f"{arg('depth')} must be 0 or more, not {depth}")
    if max_nodes is not None and max_nodes < 1:
        raise UsageError(f"{arg('max_nodes')} must be 1 or more, not {max_nodes}")
    if collapse_hubs is not None and collapse_hubs < 1:
        raise UsageError(f"{arg('collapse_hubs')} must be 1 or more, not {collapse_hubs}")
    if max_dates is not None and max_dates < 1:
        raise UsageError(f"{arg('max_dates')} must be 1 or more, not {max_dates}")
    reading = Reading.of(as_of, min_status, min_stage, control_threshold)
    backend = as_backend(graph)
    rdf = graph if isinstance(graph, Graph) else backend.to_graph()

    stops, start, changes = slider_stops(
        backend,
        as_of=reading.as_of,
        min_status=reading.min_status,
        min_stage=reading.min_stage,
        control_threshold=reading.control_threshold,
        pack=pack,
        conflicts=conflicts,
        findings=findings,
        timeline=timeline,
        max_dates=max_dates,
    )
    agents = _read_agents(rdf)
    every_claim = _read_claims(rdf, agents)
    unsourced = {c.iri: (c.cls, c.start, c.end) for c in every_claim if c.unsourced}
    if unsourced:
        stops = with_unsourced(stops, unsourced)
    ever_drawn = frozenset().union(*(stop.drawn for stop in stops))
    claims = [c for c in every_claim if c.iri in ever_drawn]
    view = View(
        agents=agents,
        claims=claims,
        findings=list(stops[start].findings),
        agents_total=len(agents),
        claims_total=len(every_claim),
        stops=stops,
        start=start,
    )
    if len(claims) < len(every_claim):
        view.notes.append(
            f"{len(every_claim) - len(claims):,} claim(s) count on none of the dates shown (denied, terminated, "
            "below the minimum status or stage, or not in force on them) and are not drawn."
        )
    if max_dates is not None and changes > max_dates:
        view.notes.append(
            f"The date slider shows {max_dates:,} of the {changes:,} dates on which a claim begins or ends, evenly "
            "spread; findings may change between two of them (raise the limit, or run the rules on the date you need)."
        )
    if reading.min_status != "rumored" or reading.min_stage != "proposed":
        view.notes.append(f"Claims and findings from evidence at least {reading.min_status}, deals at least {reading.min_stage}.")
    # The findings' agents, those of the as-of date first, are kept before any other when the graph is cut.
    by_iri = {c.iri: c for c in claims}
    protected = list(
        dict.fromkeys(a for stop in (stops[start], *stops) for f in stop.findings for a in _finding_agents(f, by_iri) if a in agents)
    )

    keep = set(agents)
    focus_id = None
    if focus is not None:
        focus_id = short_id(resolve_entity(rdf, focus))
        if focus_id not in agents:
            raise UsageError(f"{focus!r} is not an agent drawn in the graph (a person or an organization)")
        keep = _neighbourhood(focus_id, claims, depth)
        view.notes.append(f"Showing the neighbourhood of {agents[focus_id].label} within {depth} step(s).")
    if max_nodes is not None and len(keep) > max_nodes:
        first = ([focus_id] if focus_id else []) + [a for a in protected if a in keep and a != focus_id]
        kept = _most_connected(keep, claims, max_nodes, first=first)
        left = keep - kept
        left_claims = sum(1 for c in claims if c.source in keep and c.target in keep) - sum(
            1 for c in claims if c.source in kept and c.target in kept
        )
        evidence_kept = len(kept.intersection(protected))
        degree = {n: len(adj) for n, adj in _adjacency(keep, claims).items()}
        named = sorted(left, key=lambda n: (-degree[n], agents[n].label, n))
        shown = ", ".join(agents[n].label for n in named[:LEFT_OUT_NAMED])
        more = f" and {len(named) - LEFT_OUT_NAMED:,} more" if len(named) > LEFT_OUT_NAMED else ""
        view.notes.append(
            f"Left out {len(left):,} of {len(keep):,} agents and {left_claims:,} claims to draw at most "
            f"{max_nodes:,} agents; kept "
            + (f"the {evidence_kept:,} agents of the findings first, then " if evidence_kept else "")
            + "the most connected part (focus on one entity, or raise the limit)."
        )
        view.notes.append(f"Left out, most connected first: {shown}{more}.")
        keep = kept
    view.agents = {aid: agents[aid] for aid in sorted(keep)}
    view.claims = [c for c in claims if c.source in keep and c.target in keep]
    if collapse_hubs is not None:
        _collapse_hubs(view, collapse_hubs, set(protected) | ({focus_id} if focus_id else set()))
    drawn_claims = {c.iri for c in view.claims}
    missing = sum(1 for f in view.findings if not any(e.claim in drawn_claims for e in f.evidence))
    if missing:
        view.start_notes.append(
            f"{missing} finding(s) on {reading.as_of.isoformat()} have no evidence among the claims drawn."
        )
    return view


#: How many of the agents a cut leaves out the page names.
LEFT_OUT_NAMED = 12


def _finding_agents(finding: "Finding", claims: dict[str, DrawnClaim]) -> list[str]:
    """The agents in a finding's roles, then those at either end of its evidence, in order."""
    ids = [ref.id for _, ref in sorted(finding.entities.items())]
    for evidence in finding.evidence:
        claim = claims.get(evidence.claim)
        if claim is not None:
            ids += [claim.source, claim.target]
    return list(dict.fromkeys(ids))


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
            lines.append(f"status: {', '.join(statuses) or 'no source (the rules never read this claim)'}")
            for att in record.attestations:
                lines.append(f"source ({att.status}): {att.source_name}")
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
                    cls=cls,
                    start=record.start,
                    end=record.end,
                    unsourced=not record.attestations,
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


def _most_connected(nodes: set[str], claims: list[DrawnClaim], limit: int, *, first: Sequence[str] = ()) -> set[str]:
    """Keep ``first`` (in order, as many as fit), then grow, always adding the best-connected neighbour.

    The result stays connected where the graph is, so a cut graph reads as one
    piece rather than as scattered hubs; other components follow by size.
    """
    adjacent = _adjacency(nodes, claims)
    degree = {n: len(adjacent[n]) for n in nodes}
    kept: set[str] = set()
    queued: set[str] = set()
    heap: list[tuple[int, int, str]] = []  # (0, rank, node) for ``first``, then (1, -degree, node)

    def grow() -> None:
        while heap and len(kept) < limit:
            *_, node = heapq.heappop(heap)
            kept.add(node)
            for neighbour in adjacent[node]:
                if neighbour not in queued:
                    queued.add(neighbour)
                    heapq.heappush(heap, (1, -degree[neighbour], neighbour))

    for rank, node in enumerate(first):
        if len(queued) >= limit:
            break
        if node in nodes and node not in queued:
            queued.add(node)
            heapq.heappush(heap, (0, rank, node))
    grow()
    for seed in sorted(nodes, key=lambda n: (-degree[n], n)):
        if len(kept) >= limit:
            break
        if seed in queued:
            continue
        heap = [(1, -degree[seed], seed)]
        queued.add(seed)
        grow()
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

