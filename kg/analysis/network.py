"""``kg analyze``: network metrics over the agent-level projection of the graph.

The projection is a networkx ``MultiDiGraph`` whose nodes are agents (keyed by
IRI) and whose edges are claims, keyed by claim IRI, pointing from the claim's
subject role to its object role (customer → supplier, controller → controlled,
investor → investee, partyA → partyB for a rivalry, which is symmetric whatever
the direction). Whether a claim is *active* is decided by ``kg.derive.claim_states``,
so "active" here means exactly what it means to the conflict rules: its best
non-denied attestation reaches ``min_status`` and the as-of date lies within its
dates (events count from their date on).

Metrics:

- **supply concentration**: per AI lab, its active compute suppliers and the
  Herfindahl–Hirschman index of its supply, on the usual 0–10,000 scale (the sum
  of squared percentage shares: one supplier is 10,000; two at 60/40 are 5,200).
  Shares are over contracted capacity (``kg:capacityMW``) when every active
  contract of the lab states it; else over contract value (``kg:contractValue``)
  when every active contract states one, in one currency; else each supplier
  weighs the same (mixing known and unknown quantities would invent numbers).
  The basis is reported. Several contracts with one supplier (an expansion) are
  one supplier, their capacity or value summed;
- **key controllers**: agents with at least one active control link, ranked by
  the compute suppliers they reach through the control closure (a controller
  that is itself a supplier is said so, not counted as reaching itself);
- **conflict brokers**: betweenness centrality (unnormalized: the number of
  agent pairs whose shortest connections pass through the agent, split between
  equal paths) on the undirected graph made of the findings' evidence edges;
- **control/money paths**: the shortest chain of active control and investment
  claims between two agents, walked in either direction (common owners and
  shared investors are how two firms are tied), each step keeping its claim's
  real direction.
"""

from __future__ import annotations

import json
from collections import defaultdict, deque
from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING, Sequence

from rdflib import RDF, Graph, URIRef

from kg.claims import read_claim
from kg.conflicts.engine import find_conflicts
from kg.derive import Reading, claim_states, is_control_link
from kg.identity import Identity
from kg.entities import label_of, local_name, resolve_entity, short_id
from kg.errors import UsageError
from kg.vocab import AGENT_CLASSES, CLAIM_TYPES, DEFAULT_CONTROL_THRESHOLD, KG, STATUS_ORDER, status_rank

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

    from kg.conflicts.model import Finding
    from kg.conflicts.pack import Rule

#: Edge attributes read from the claim node when present (GraphML/GEXF get "" when absent).
QUALITIES = {"capacity_mw": KG.capacityMW, "value": KG.contractValue, "amount": KG.amount, "currency": KG.currency, "stake": KG.stake}
PATH_TYPES = ("Control", "Ownership", "Investment")


@dataclass(frozen=True)
class Agent:
    id: str  # what a user types: "anthropic", or the IRI outside kg's data namespace
    iri: str
    label: str


@dataclass(frozen=True)
class SupplierShare:
    supplier: Agent
    share: float  # percent of the lab's supply, 0–100
    contracts: int
    capacity_mw: float | None  # summed over its contracts when the basis is capacity
    value: float | None = None  # summed contract value when the basis is value


@dataclass(frozen=True)
class SupplyConcentration:
    lab: Agent
    suppliers: int  # distinct active compute suppliers
    hhi: float | None  # 0–10,000; None when the lab has no active supplier
    basis: str  # "capacity", "value", "suppliers" (each the same weight) or "none"
    shares: tuple[SupplierShare, ...]  # largest first
    currency: str | None = None  # of the values, when the basis is value


@dataclass(frozen=True)
class ControllerReach:
    controller: Agent
    suppliers: tuple[Agent, ...]  # compute suppliers it controls through active links (not itself)
    controlled: int  # agents it controls through active links, itself excluded
    is_supplier: bool = False  # the controller itself sells compute


@dataclass(frozen=True)
class Broker:
    agent: Agent
    betweenness: float  # unnormalized betweenness on the findings' evidence graph
    findings: int  # findings whose evidence names the agent


@dataclass(frozen=True)
class PathStep:
    claim: str
    type: str  # Control or Investment
    subject: Agent  # the claim's own direction, whichever way the path walks it
    object: Agent
    status: str


@dataclass(frozen=True)
class NetworkReport:
    """What ``kg analyze`` prints."""

    as_of: str
    min_status: str
    supply: tuple[SupplyConcentration, ...]
    controllers: tuple[ControllerReach, ...]
    brokers: tuple[Broker, ...]
    path: tuple[PathStep, ...] | None  # None when no path was asked for or none exists
    path_ends: tuple[Agent, Agent] | None
    min_stage: str = "proposed"
    control_threshold: float = float(DEFAULT_CONTROL_THRESHOLD)

    def to_dict(self) -> dict:
        return asdict(self)


# --- the projection ---------------------------------------------------------------------------


def agent_graph(
    graph: Graph,
    *,
    as_of: str | date | None = None,
    min_status: str = "rumored",
    min_stage: str = "proposed",
    control_threshold=DEFAULT_CONTROL_THRESHOLD,
    active_only: bool = False,
) -> "nx.MultiDiGraph":
    """Agents as nodes, claims as typed, dated edges (key: claim IRI) with ``status`` and ``active``.

    Node attributes: ``id``, ``label``, ``types`` (kg class names joined by ``;``).
    Edge attributes: ``claim``, ``type``, ``relation`` (the verb), ``start``/``end``
    (lexical dates or None), ``status`` (best non-denied status, ``denied`` when
    every source denies it), ``active`` (counts for the rules at ``as_of``),
    ``control`` (active and a control link: a control claim, or an ownership or
    investment whose share reaches ``control_threshold``) and the claim's
    qualities (``capacity_mw``, ``value``, ``amount``, ``currency``, ``stake``).
    With ``active_only`` inactive claims are left out. Agents that share an identifier are one
    node, the IRI ``kg.identity`` keeps, with an ``aliases`` attribute naming the others.
    """
    import networkx as nx

    reading = Reading.of(as_of, min_status, min_stage, control_threshold)
    identity = Identity.of(graph)
    states = claim_states(graph, as_of=reading.as_of, min_status=reading.min_status, min_stage=reading.min_stage, identity=identity)
    active = {state.iri for state in states if state.holds}
    links = {state.iri for state in states if is_control_link(state, reading.control_threshold)}
    network = nx.MultiDiGraph(as_of=reading.as_of.isoformat(), min_status=reading.min_status)
    for iri in sorted({identity(iri) for iri in _agent_iris(graph)}, key=str):
        network.add_node(str(iri), **_node_attributes(graph, iri, identity))
    for cls, claim_type in CLAIM_TYPES.items():
        for node in sorted(set(graph.subjects(RDF.type, cls)), key=str):
            record = read_claim(graph, node)
            if record.subject is None or record.object is None:
                continue  # `kg validate` reports a claim missing a role
            if active_only and node not in active:
                continue
            subject, obj = (str(identity(URIRef(end))) for end in (record.subject, record.object))
            for end in (subject, obj):
                if end not in network:
                    network.add_node(end, **_node_attributes(graph, URIRef(end), identity))
            statuses = [a.status for a in record.attestations if a.status in STATUS_ORDER]
            live = [s for s in statuses if s != "denied"]
            attributes = {
                "claim": record.iri,
                "type": record.type,
                "relation": claim_type.verb,
                "start": record.start,
                "end": record.end,
                "status": max(live, key=status_rank) if live else ("denied" if statuses else "unknown"),
                "active": node in active,
                "control": node in links,
            }
            for name, prop in QUALITIES.items():
                value = graph.value(node, prop)
                attributes[name] = None if value is None else (_number(value) if name != "currency" else str(value))
            network.add_edge(subject, obj, key=record.iri, **attributes)
    return network


def _agent_iris(graph: Graph) -> set[URIRef]:
    iris = {s for cls in AGENT_CLASSES for s in graph.subjects(RDF.type, cls) if isinstance(s, URIRef)}
    # The ontology's own class declarations are not agents.
    return {iri for iri in iris if not str(iri).startswith(str(KG))}


def _node_attributes(graph: Graph, iri: URIRef, identity: Identity) -> dict:
    members = identity.members_of(iri)
    types = sorted({local_name(t) for member in members for t in graph.objects(member, RDF.type) if str(t).startswith(str(KG))})
    attributes = {"id": short_id(iri), "label": label_of(graph, iri), "types": ";".join(types)}
    if len(members) > 1:
        attributes["aliases"] = ";".join(str(member) for member in members[1:])
    return attributes


def _number(value) -> float | str:
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def _agent(network: "nx.MultiDiGraph", node: str) -> Agent:
    data = network.nodes[node]
    return Agent(id=data.get("id", short_id(node)), iri=node, label=data.get("label", short_id(node)))


def _active_edges(network: "nx.MultiDiGraph", claim_type: str):
    for subject, obj, data in network.edges(data=True):
        if data["active"] and data["type"] == claim_type:
            yield subject, obj, data


# --- metrics ----------------------------------------------------------------------------------


def herfindahl(weights: Sequence[float]) -> float:
    """HHI on the 0–10,000 scale of the shares that ``weights`` make: 60/40 → 5,200."""
    total = float(sum(weights))
    if total <= 0:
        raise UsageError("HHI needs at least one positive weight")
    return sum((100.0 * w / total) ** 2 for w in weights)


def supply_concentration(network: "nx.MultiDiGraph") -> list[SupplyConcentration]:
    """Per AI lab (an agent typed ``kg:AILab``), its active suppliers and HHI; most concentrated first."""
    contracts: dict[str, list[tuple[str, dict]]] = defaultdict(list)
    for customer, supplier, data in _active_edges(network, "ComputeContract"):
        contracts[customer].append((supplier, data))
    results = []
    for lab in network.nodes:
        if "AILab" not in network.nodes[lab].get("types", "").split(";"):
            continue
        deals = contracts.get(lab, [])
        if not deals:
            results.append(SupplyConcentration(_agent(network, lab), 0, None, "none", ()))
            continue
        basis, currency = _supply_basis([data for _, data in deals])
        weight: dict[str, float] = defaultdict(float)
        count: dict[str, int] = defaultdict(int)
        for supplier, data in deals:
            weight[supplier] += {"capacity": data["capacity_mw"], "value": data["value"]}.get(basis, 0.0)
            count[supplier] += 1
        if basis == "suppliers":  # one relationship, however many contracts (expansions) it took
            weight = defaultdict(float, {supplier: 1.0 for supplier in count})
        total = sum(weight.values())
        shares = sorted(
            (
                SupplierShare(
                    supplier=_agent(network, supplier),
                    share=100.0 * w / total,
                    contracts=count[supplier],
                    capacity_mw=w if basis == "capacity" else None,
                    value=w if basis == "value" else None,
                )
                for supplier, w in weight.items()
            ),
            key=lambda s: (-s.share, s.supplier.label.casefold(), s.supplier.iri),
        )
        results.append(
            SupplyConcentration(
                lab=_agent(network, lab),
                suppliers=len(weight),
                hhi=herfindahl(list(weight.values())),
                basis=basis,
                shares=tuple(shares),
                currency=currency,
            )
        )
    return sorted(results, key=lambda r: (-(r.hhi if r.hhi is not None else -1), r.lab.label.casefold(), r.lab.iri))


def _supply_basis(contracts: list[dict]) -> tuple[str, str | None]:
    """What a lab's supply is measured in: capacity, else value in one currency, else suppliers."""
    capacities = [data.get("capacity_mw") for data in contracts]
    if all(isinstance(c, float) for c in capacities) and sum(capacities) > 0:
        return "capacity", None
    values = [data.get("value") for data in contracts]
    currencies = {data.get("currency") for data in contracts}
    if all(isinstance(v, float) for v in values) and sum(values) > 0 and len(currencies) == 1:
        return "value", currencies.pop()
    return "suppliers", None


def _control_links(network: "nx.MultiDiGraph") -> dict[str, set[str]]:
    links: dict[str, set[str]] = defaultdict(set)
    for controller, controlled, data in network.edges(data=True):
        if data.get("control"):
            links[controller].add(controlled)
    return links


def key_controllers(network: "nx.MultiDiGraph") -> list[ControllerReach]:
    """Agents with an active control link, by the compute suppliers their control closure reaches."""
    import networkx as nx

    links = _control_links(network)
    control = nx.DiGraph([(parent, child) for parent, children in links.items() for child in children])
    suppliers = {supplier for _, supplier, _ in _active_edges(network, "ComputeContract")}
    results = []
    for controller in links:
        reach = nx.descendants(control, controller)
        reached = sorted((_agent(network, s) for s in reach & suppliers), key=lambda a: (a.label.casefold(), a.iri))
        results.append(ControllerReach(_agent(network, controller), tuple(reached), len(reach), controller in suppliers))
    return sorted(results, key=lambda r: (-len(r.suppliers), -r.controlled, r.controller.label.casefold(), r.controller.iri))


def conflict_brokers(network: "nx.MultiDiGraph", findings: Sequence["Finding"]) -> list[Broker]:
    """Agents on the findings' evidence paths, by betweenness (unnormalized), then findings named in."""
    import networkx as nx

    evidence = nx.Graph()
    named: dict[str, set[int]] = defaultdict(set)
    for number, finding in enumerate(findings):
        for item in finding.evidence:
            evidence.add_edge(item.subject.iri, item.object.iri)
            named[item.subject.iri].add(number)
            named[item.object.iri].add(number)
    scores = nx.betweenness_centrality(evidence, normalized=False)
    brokers = []
    for node in evidence.nodes:
        agent = _agent(network, node) if node in network else Agent(short_id(node), node, short_id(node))
        brokers.append(Broker(agent, round(scores.get(node, 0.0), 6), len(named[node])))
    return sorted(brokers, key=lambda b: (-b.betweenness, -b.findings, b.agent.label.casefold(), b.agent.iri))


def control_money_path(network: "nx.MultiDiGraph", source: str, target: str) -> list[PathStep] | None:
    """Shortest chain of active control and investment claims from ``source`` to ``target`` (IRIs).

    Links are walked in either direction; ties go to the path whose claims come
    first by IRI, so the answer does not depend on load order. [] when source is
    target, None when no chain joins them.
    """
    if source == target:
        return []
    adjacency: dict[str, list[tuple[str, str, dict]]] = defaultdict(list)
    for claim_type in PATH_TYPES:
        for subject, obj, data in _active_edges(network, claim_type):
            adjacency[subject].append((data["claim"], obj, data))
            adjacency[obj].append((data["claim"], subject, data))
    previous: dict[str, tuple[str, str, dict]] = {}
    seen, queue = {source}, deque([source])
    while queue:
        node = queue.popleft()
        for claim, neighbour, data in sorted(adjacency.get(node, ()), key=lambda item: (item[0], item[1])):
            if neighbour in seen:
                continue
            seen.add(neighbour)
            previous[neighbour] = (node, claim, data)
            if neighbour == target:
                steps = []
                while neighbour != source:
                    before, _, data = previous[neighbour]
                    steps.append(data)
                    neighbour = before
                return [_step(network, data) for data in reversed(steps)]
            queue.append(neighbour)
    return None


def _step(network: "nx.MultiDiGraph", data: dict) -> PathStep:
    subject, obj = _claim_ends(network, data["claim"])
    return PathStep(data["claim"], data["type"], _agent(network, subject), _agent(network, obj), data["status"])


def _claim_ends(network: "nx.MultiDiGraph", claim: str) -> tuple[str, str]:
    for subject, obj, key in network.edges(keys=True):
        if key == claim:
            return subject, obj
    raise KeyError(claim)  # pragma: no cover - every step comes from an edge


# --- the report ---------------------------------------------------------------------------------


def analyze(
    graph: Graph,
    *,
    as_of: str | date | None = None,
    min_status: str = "rumored",
    min_stage: str = "proposed",
    control_threshold=DEFAULT_CONTROL_THRESHOLD,
    path: tuple[str, str] | None = None,
    top: int | None = 10,
    findings: Sequence["Finding"] | None = None,
    pack: Sequence["Rule"] | None = None,
) -> NetworkReport:
    """Everything ``kg analyze`` prints, for one reading of the claims (as-of date, minimum
    status and stage, control threshold: as the conflict rules read them).

    ``path`` names two entities (id, prefix:name, IRI or exact label) to join by
    control, ownership and investment claims; ``top`` limits the controller and
    broker lists; ``findings`` reuses findings the caller already computed for
    the same reading, else the rules of ``pack`` run (default: the bundled pack;
    ``load_pack`` adds a user's folders).
    """
    reading = Reading.of(as_of, min_status, min_stage, control_threshold)
    ends = tuple(str(resolve_entity(graph, ref)) for ref in path) if path else None
    network = agent_graph(graph, **vars(reading))
    if findings is None:
        findings = find_conflicts(graph, **vars(reading), pack=pack)
    controllers = key_controllers(network)
    brokers = conflict_brokers(network, findings)
    steps = control_money_path(network, *ends) if ends else None
    return NetworkReport(
        as_of=reading.as_of.isoformat(),
        min_status=reading.min_status,
        min_stage=reading.min_stage,
        control_threshold=float(reading.control_threshold),
        supply=tuple(supply_concentration(network)),
        controllers=tuple(controllers[:top] if top else controllers),
        brokers=tuple(brokers[:top] if top else brokers),
        path=tuple(steps) if steps is not None else None,
        path_ends=tuple(_agent(network, e) if e in network else Agent(short_id(e), e, label_of(graph, URIRef(e))) for e in ends)
        if ends
        else None,
    )


def format_report(report: NetworkReport, output_format: str = "table") -> str:
    """``table`` for people, ``json`` (the dataclasses as nested objects) for programs."""
    if output_format == "json":
        return json.dumps(report.to_dict(), indent=2, ensure_ascii=False)
    from tabulate import tabulate

    lines = [
        f"Network metrics as of {report.as_of}, evidence at least {report.min_status}, deals at least "
        f"{report.min_stage}, control from {report.control_threshold:g}% of shares.",
        "",
    ]
    lines.append("Supply concentration (HHI 0–10,000; basis: capacity in MW where every contract gives it, else")
    lines.append("contract value where every contract gives one in one currency, else each supplier the same)")
    rows = [
        [
            s.lab.label,
            s.suppliers,
            "—" if s.hhi is None else f"{s.hhi:,.0f}",
            f"value ({s.currency})" if s.basis == "value" and s.currency else s.basis,
            ", ".join(f"{share.supplier.label} {share.share:.0f}%" for share in s.shares) or "no active supplier",
        ]
        for s in report.supply
    ]
    lines.append(tabulate(rows, headers=["lab", "suppliers", "HHI", "basis", "mix"], tablefmt="simple") if rows else "(no AI lab)")
    lines += ["", "Key controllers (compute suppliers reached through active control links; * sells compute itself)"]
    rows = [
        [c.controller.label + (" *" if c.is_supplier else ""), len(c.suppliers), ", ".join(a.label for a in c.suppliers) or "—", c.controlled]
        for c in report.controllers
    ]
    lines.append(tabulate(rows, headers=["controller", "suppliers", "reached", "controls"], tablefmt="simple") if rows else "(no active control link)")
    lines += ["", "Conflict brokers (betweenness on the findings' evidence graph)"]
    rows = [[b.agent.label, f"{b.betweenness:g}", b.findings] for b in report.brokers]
    lines.append(tabulate(rows, headers=["agent", "betweenness", "findings"], tablefmt="simple") if rows else "(no finding)")
    if report.path_ends:
        start, goal = report.path_ends
        lines += ["", f"Control/money path from {start.label} to {goal.label}"]
        if report.path is None:
            lines.append("(no chain of active control or investment claims joins them)")
        elif not report.path:
            lines.append("(the same entity)")
        for step in report.path or ():
            verb = CLAIM_TYPES[KG[step.type]].verb
            lines.append(f"- {step.subject.label} {verb} {step.object.label} [{step.status}]")
    return "\n".join(lines)
