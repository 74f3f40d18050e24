"""``kg synth``: fictional industry graphs of realistic shape with planted conflicts.

The background is built so that no rule can fire on it (clouds and labs sit in
separate control trees, funds control nothing and back at most one lab per
market, every lab has two or more suppliers in force, people who leave found
nothing). On top of it, a known number of small structures are planted, each
making exactly one finding of one rule. So a back-end that reports anything
other than the planted findings is wrong, at any size.

Dates are in 2015–2024 and contracts either stay open or ended before 2024,
so the planted findings are the findings for any as-of date from 2025 on.
Every entity and source is fictional and labelled so.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field

from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef

from kg.dates import date_literal
from kg.conflicts.pack import load_rules
from kg.errors import UsageError, arg
from kg.export import export_graph
from kg.io.atomic import atomic_output, write_atomically
from kg.vocab import CLAIM, CLAIM_TYPES, DATA, DCTERMS_TITLE, KG, SOURCE, STATUS_IRIS, bind_prefixes

#: A valid as-of date for the planted findings.
SYNTH_AS_OF = "2025-06-30"


@dataclass
class SyntheticGraph:
    graph: Graph
    #: rule id -> set of key-role tuples (entity ids) of the findings planted
    planted: dict[str, set[tuple[str, ...]]] = field(default_factory=dict)


class _NTriplesSink:
    """Writes each triple as an N-Triples line as it comes, so 10^7 triples need no graph in memory."""

    def __init__(self, handle) -> None:
        self.handle, self.count = handle, 0

    def add(self, triple) -> None:
        line = " ".join(term.n3() for term in triple)
        if "\n" in line or "\r" in line:  # n3() would write a long literal, which N-Triples lacks
            raise UsageError(f"synthetic literal with a line break: {line!r}")
        self.handle.write(f"{line} .\n".encode("utf-8"))
        self.count += 1

    def __len__(self) -> int:
        return self.count


class _Writer:
    """Adds fictional agents and claims with attestations, with stable ids."""

    def __init__(self, rng: random.Random, sources: int = 20, sink=None) -> None:
        self.rng = rng
        self.graph = Graph() if sink is None else sink
        if sink is None:
            bind_prefixes(self.graph)
        self.claims = 0
        self.sources = [SOURCE[f"synthetic-{i:03d}"] for i in range(sources)]
        for i, source in enumerate(self.sources):
            self.graph.add((source, RDF.type, KG.Source))
            self.graph.add((source, DCTERMS_TITLE, Literal(f"Synthetic source {i} (fictional)")))

    def agent(self, agent_id: str, kind: str, label: str) -> str:
        node = DATA[agent_id]
        self.graph.add((node, RDF.type, KG[kind]))
        self.graph.add((node, RDFS.label, Literal(f"{label} (fictional)")))
        return agent_id

    def claim(self, cls: URIRef, subject: str, obj: str, *, start=None, end=None, status=None, **values) -> URIRef:
        self.claims += 1
        claim_type = CLAIM_TYPES[cls]
        node = CLAIM[f"synthetic-{self.claims}"]
        add = self.graph.add
        add((node, RDF.type, cls))
        add((node, claim_type.subject_role, DATA[subject]))
        add((node, claim_type.object_role, DATA[obj]))
        if start:
            add((node, KG.startDate, date_literal(start)))
        if end:
            add((node, KG.endDate, date_literal(end)))
        for prop, value in values.items():
            add((node, KG[prop], value if isinstance(value, (URIRef, Literal)) else Literal(value)))
        for index in range(1 if self.rng.random() < 0.8 else 2):
            attestation = URIRef(f"{node}/attestation/{index + 1}")
            add((node, KG.attestation, attestation))
            add((attestation, RDF.type, KG.Attestation))
            add((attestation, KG.source, self.rng.choice(self.sources)))
            chosen = status or self.rng.choices(("rumored", "reported", "confirmed"), (1, 3, 2))[0]
            add((attestation, KG.status, STATUS_IRIS[chosen]))
        return node

    def year(self, low=2015, high=2023) -> str:
        year = self.rng.randint(low, high)
        pick = self.rng.random()
        if pick < 0.4:
            return str(year)
        if pick < 0.7:
            return f"{year}-{self.rng.randint(1, 12):02d}"
        return f"{year}-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}"


def generate(orgs: int, *, seed: int = 0, sink=None) -> SyntheticGraph:
    """A fictional industry of about ``orgs`` organizations with planted conflicts.

    The triples go to an rdflib graph, or to ``sink`` (anything with ``add``) as
    they are made; the same seed gives the same triples either way.
    """
    if orgs < 20:
        raise UsageError(f"{arg('orgs')} must be at least 20")
    rng = random.Random(seed)
    w = _Writer(rng, sink=sink)
    rules = planted_rules()
    planted: dict[str, set[tuple[str, ...]]] = {rule: set() for rule in rules}

    # --- background -----------------------------------------------------------------------
    n_labs = max(4, orgs // 8)
    n_clouds = max(3, orgs // 16)
    n_chips = max(1, orgs // 40)
    n_funds = max(2, orgs // 10)
    n_holdings = max(1, orgs - n_labs - n_clouds - n_chips - n_funds)
    markets = max(2, n_labs // 6)

    labs = [w.agent(f"lab-{i}", "AILab", f"Lab {i}") for i in range(n_labs)]
    market_of = {lab: i % markets for i, lab in enumerate(labs)}
    clouds = [w.agent(f"cloud-{i}", "CloudProvider", f"Cloud {i}") for i in range(n_clouds)]
    chips = [w.agent(f"chip-{i}", "ChipMaker", f"Chips {i}") for i in range(n_chips)]
    funds = [w.agent(f"fund-{i}", "Investor", f"Fund {i}") for i in range(n_funds)]
    holdings = [w.agent(f"holding-{i}", "Organization", f"Holding {i}") for i in range(n_holdings)]
    people = [w.agent(f"person-{i}", "Person", f"Person {i}") for i in range(max(4, orgs // 3))]

    # Control: holdings own clouds and chip makers through chains up to depth 4, and
    # separate holdings own some labs; the two trees never share a controller.
    supply_side = clouds + chips
    split = max(1, len(holdings) // 2)
    supply_holdings, lab_holdings = holdings[:split], holdings[split:] or holdings[:1]
    if lab_holdings == supply_holdings:
        lab_holdings = []
    _chains(w, rng, supply_side, supply_holdings)
    _chains(w, rng, [lab for lab in labs if rng.random() < 0.3], lab_holdings)

    # Rivalry inside each market (a ring plus random chords), never across markets.
    by_market: dict[int, list[str]] = {}
    for lab in labs:
        by_market.setdefault(market_of[lab], []).append(lab)
    for members in by_market.values():
        for a, b in zip(members, members[1:] + members[:1]):
            if a != b:
                w.claim(KG.Rivalry, a, b, start=w.year(), rivalryKind=KG.MarketRivalry)
        for _ in range(len(members) // 2):
            a, b = rng.sample(members, 2) if len(members) > 1 else (members[0], members[0])
            if a != b:
                w.claim(KG.Rivalry, a, b, start=w.year(), rivalryKind=KG.MarketRivalry)

    # Compute: each lab has two or three open contracts and maybe an expired one.
    for lab in labs:
        for cloud in rng.sample(clouds, min(len(clouds), rng.randint(2, 3))):
            w.claim(
                KG.ComputeContract, lab, cloud, start=w.year(), capacityMW=Literal(rng.randint(5, 500)),
                accelerator="synthetic accelerator"
            )
        if rng.random() < 0.3:
            w.claim(KG.ComputeContract, lab, rng.choice(clouds), start="2016", end=str(rng.randint(2017, 2023)))
        # A denied claim that would make a conflict if it counted.
        if rng.random() < 0.05:
            w.claim(KG.ComputeContract, lab, rng.choice(supply_side), status="denied")

    # Investment: each fund backs at most one lab per market.
    for fund in funds:
        chosen: dict[int, str] = {}
        for lab in rng.sample(labs, min(len(labs), rng.randint(1, 4))):
            chosen.setdefault(market_of[lab], lab)
        for lab in chosen.values():
            w.claim(
                KG.Investment, fund, lab, start=w.year(), amount=Literal(rng.randint(1, 500) * 1_000_000),
                currency="USD", stake=Literal(rng.randint(1, 20))
            )

    # People: founders stay; employees leave and found nothing.
    for person in people:
        lab = rng.choice(labs)
        if rng.random() < 0.3:
            w.claim(KG.Founding, person, lab, start=w.year(2015, 2018))
        else:
            start = w.year(2015, 2019)
            w.claim(KG.Affiliation, person, lab, start=start, roleTitle="engineer")
            if rng.random() < 0.4:
                other = rng.choice(labs)
                w.claim(KG.Departure, person, lab, start="2020", departureManner=KG.Amicable)
                w.claim(KG.Affiliation, person, other, start="2021", roleTitle="engineer")

    # --- planted conflicts -------------------------------------------------------------------
    per_rule = max(1, orgs // 100)
    for i in range(per_rule):
        for rule in rules:  # in PLANTERS' order: the same seed gives the same graph
            planted[rule].add(PLANTERS[rule](w, rng, i, clouds))
    return SyntheticGraph(graph=w.graph, planted=planted)


def _chains(w: _Writer, rng: random.Random, targets: list[str], holdings: list[str]) -> None:
    """Give each target a controlling chain of 1–4 links through holdings (a tree per top)."""
    if not holdings:
        return
    for target in targets:
        depth = rng.randint(1, 4)
        chain = rng.sample(holdings, min(depth, len(holdings)))
        chain.sort(key=lambda h: int(h.rsplit("-", 1)[1]))  # parent index below child: no cycles
        for parent, child in zip(chain, chain[1:] + [target]):
            w.claim(KG.Control, parent, child, start=w.year(2015, 2020), controlBasis=KG.Shareholding)


def _two_safe_suppliers(w: _Writer, rng: random.Random, lab: str, clouds: list[str]) -> None:
    for cloud in rng.sample(clouds, 2):
        w.claim(KG.ComputeContract, lab, cloud, start=w.year())


def _chain(w: _Writer, rng: random.Random, top: str, target: str, prefix: str) -> None:
    nodes = [top] + [w.agent(f"{prefix}-link-{d}", "Organization", f"{prefix} link {d}") for d in range(rng.randint(0, 3))]
    for parent, child in zip(nodes, nodes[1:] + [target]):
        w.claim(KG.Control, parent, child, start=w.year(2015, 2020))


def _plant_competitor_controlled_supplier(w, rng, i, clouds) -> tuple[str, ...]:
    p = f"ccs-{i}"
    lab, rival = w.agent(f"{p}-lab", "AILab", f"CCS lab {i}"), w.agent(f"{p}-rival", "AILab", f"CCS rival {i}")
    supplier = w.agent(f"{p}-cloud", "CloudProvider", f"CCS cloud {i}")
    boss = w.agent(f"{p}-boss", "Person", f"CCS owner {i}")
    _chain(w, rng, boss, supplier, f"{p}-s")
    _chain(w, rng, boss, rival, f"{p}-r")
    w.claim(KG.ComputeContract, lab, supplier, start=w.year())
    w.claim(KG.ComputeContract, lab, rng.choice(clouds), start=w.year())
    w.claim(KG.Rivalry, rival, lab, start=w.year())
    return (lab, supplier, rival)


def _plant_investor_supplier_overlap(w, rng, i, clouds) -> tuple[str, ...]:
    p = f"iso-{i}"
    lab = w.agent(f"{p}-lab", "AILab", f"ISO lab {i}")
    investor = w.agent(f"{p}-investor", "Investor", f"ISO investor {i}")
    supplier = w.agent(f"{p}-cloud", "CloudProvider", f"ISO cloud {i}")
    _chain(w, rng, investor, supplier, p)
    w.claim(KG.Investment, investor, lab, start=w.year())
    w.claim(KG.ComputeContract, lab, supplier, start=w.year())
    w.claim(KG.ComputeContract, lab, rng.choice(clouds), start=w.year())
    return (investor, lab, supplier)


def _plant_investor_controls_rival(w, rng, i, clouds) -> tuple[str, ...]:
    p = f"icr-{i}"
    lab, rival = w.agent(f"{p}-lab", "AILab", f"ICR lab {i}"), w.agent(f"{p}-rival", "AILab", f"ICR rival {i}")
    investor = w.agent(f"{p}-investor", "Investor", f"ICR investor {i}")
    _chain(w, rng, investor, rival, p)
    w.claim(KG.Investment, investor, lab, start=w.year())
    w.claim(KG.Rivalry, lab, rival, start=w.year())
    return (investor, lab, rival)


def _plant_founder_defection(w, rng, i, clouds) -> tuple[str, ...]:
    p = f"fd-{i}"
    former, rival = w.agent(f"{p}-former", "AILab", f"FD former lab {i}"), w.agent(f"{p}-new", "AILab", f"FD new lab {i}")
    person = w.agent(f"{p}-person", "Person", f"FD person {i}")
    if rng.random() < 0.5:
        w.claim(KG.Founding, person, former, start="2015")
    else:
        w.claim(KG.Affiliation, person, former, start="2015", end="2019", roleTitle="executive")
    w.claim(KG.Departure, person, former, start="2019", departureManner=KG.Acrimonious)
    w.claim(KG.Founding, person, rival, start="2020")
    w.claim(KG.Rivalry, rival, former, start="2020", rivalryKind=KG.MarketRivalry)
    return (person, former, rival)


def _plant_single_supplier(w, rng, i, clouds) -> tuple[str, ...]:
    lab = w.agent(f"ssd-{i}-lab", "AILab", f"SSD lab {i}")
    cloud = rng.choice(clouds)
    w.claim(KG.ComputeContract, lab, cloud, start=w.year())
    w.claim(KG.ComputeContract, lab, cloud, start=w.year())  # a second contract, same supplier
    return (lab, cloud)


def _plant_investor_in_rivals(w, rng, i, clouds) -> tuple[str, ...]:
    p = f"iir-{i}"
    a, b = w.agent(f"{p}-a", "AILab", f"IIR lab A {i}"), w.agent(f"{p}-b", "AILab", f"IIR lab B {i}")
    investor = w.agent(f"{p}-investor", "Investor", f"IIR investor {i}")
    w.claim(KG.Investment, investor, a, start=w.year())
    w.claim(KG.Investment, investor, b, start=w.year())
    w.claim(KG.Rivalry, b, a, start=w.year())
    pair = tuple(sorted((a, b), key=lambda agent: str(DATA[agent])))
    return (investor, *pair)


#: For each rule, a planter: it adds one small structure that makes exactly one finding of that rule
#: (and of no other) and returns the finding's key. Planted in this order, so a seed's graph stays the same.
PLANTERS = {
    "competitor-controlled-supplier": _plant_competitor_controlled_supplier,
    "investor-supplier-overlap": _plant_investor_supplier_overlap,
    "investor-controls-rival": _plant_investor_controls_rival,
    "founder-defection": _plant_founder_defection,
    "single-supplier-dependency": _plant_single_supplier,
    "investor-in-rivals": _plant_investor_in_rivals,
}


def planted_rules() -> list[str]:
    """The ids of the bundled rules that ``generate`` plants findings of (those with a planter)."""
    bundled = {rule.id for rule in load_rules()}
    return [rule for rule in PLANTERS if rule in bundled]


def write_synthetic(orgs: int, *, seed: int, output, planted_path=None) -> dict[str, int]:
    """Generate, write the graph (atomically) and optionally the planted findings as JSON."""
    if str(output).endswith(".nt"):  # streamed: the size that needs it is the size people bench
        with atomic_output(output) as handle:
            synthetic = generate(orgs, seed=seed, sink=_NTriplesSink(handle))
    else:
        synthetic = generate(orgs, seed=seed)
        export_graph(synthetic.graph, output)
    if planted_path is not None:
        document = {
            "as_of": SYNTH_AS_OF,
            "planted": {rule: sorted(list(key) for key in keys) for rule, keys in synthetic.planted.items()},
        }
        write_atomically(planted_path, json.dumps(document, indent=2).encode("utf-8"))
    return {"triples": len(synthetic.graph), "planted": sum(len(keys) for keys in synthetic.planted.values())}


def hub_graph(agents: int, *, seed: int = 1) -> Graph:
    """Fictional agents of six kinds, about two claims each, most pointing at a few hubs.

    No planted conflicts: a graph of a given size for layout and rendering benchmarks
    (``kg viz``), where ``generate`` would spend its time on realistic structure.
    """
    rng = random.Random(seed)
    kinds = [KG.AILab, KG.CloudProvider, KG.ChipMaker, KG.Investor, KG.Person, KG.LaunchProvider]
    graph = Graph()
    source = SOURCE["synthetic"]
    graph.add((source, RDF.type, KG.Source))
    ids = [DATA[f"agent-{i:05d}"] for i in range(agents)]
    for i, iri in enumerate(ids):
        graph.add((iri, RDF.type, kinds[i % len(kinds)]))
        graph.add((iri, RDFS.label, Literal(f"Fictional {i:05d}")))
    claim_kinds = [
        (KG.ComputeContract, KG.customer, KG.supplier),
        (KG.Investment, KG.investor, KG.investee),
        (KG.Control, KG.controller, KG.controlledEntity),
        (KG.Rivalry, KG.partyA, KG.partyB),
    ]
    hubs = ids[: max(5, agents // 50)]
    for n in range(agents * 2):
        cls, subject_role, object_role = claim_kinds[n % len(claim_kinds)]
        a = ids[n % agents] if n < agents else rng.choice(ids)
        b = rng.choice(hubs) if rng.random() < 0.6 else rng.choice(ids)
        if a == b:
            continue
        claim = CLAIM[f"synthetic-{n:06d}"]
        attestation = BNode(f"att{n}")
        graph.add((claim, RDF.type, cls))
        graph.add((claim, subject_role, a))
        graph.add((claim, object_role, b))
        graph.add((claim, KG.attestation, attestation))
        graph.add((attestation, KG.source, source))
        graph.add((attestation, KG.status, KG.Reported))
    return graph
