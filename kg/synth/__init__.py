"""``kg synth``: fictional industry graphs of realistic shape with planted conflicts.

The background is built so that none of the bundled conflict rules can fire on it, by
its structure rather than by luck. Its control groups are of four sorts, never joined:
trees of holdings over clouds and chip makers (the supply side), separate trees of holdings
over some labs, and funds and people, who control nothing and whom nothing controls. Money
(every investment, ownership and compute contract) flows one way through three tiers:
funds pay labs and the supply side, labs pay clouds, and the supply side pays no one; the
only other money is a supply tree's majority ownerships, each paid by the holding that
controls its payee (lab trees hold by control claims only). Hence:

- ``circular-financing``: between two groups money only climbs the tiers (fund, lab,
  supply), so it goes round no cycle, of 3, 4 or any number of groups;
- ``related-party-deal``: money inside a tree is paid by a controller of its payee, and
  money between trees joins agents no one agent controls;
- ``customer-stake-in-supplier``: the customers are labs, and no lab or lab holding
  invests in anything;
- ``investor-supplies-rival``, ``investor-controls-rival``, ``investor-in-rivals``,
  ``investor-supplier-overlap``: only labs have rivals, only in their market; labs'
  investors are funds, which control nothing, sell no compute and back at most one lab
  per market; supply holdings invest only in their own tree, where no one has a rival;
- ``competitor-controlled-supplier``: no agent controls both a cloud and a lab;
- ``interlocking-directorate``: only labs of one market compete, and nobody holds board
  seats or officers' posts (in any mix) at two labs of one market;
- ``founder-defection``: people who leave a lab then only work (as employees) elsewhere:
  they found, control and direct nothing; founders stay;
- ``single-supplier-dependency``: every lab has two or more suppliers in force.

On top of it, a known number of small structures are planted (``kg.synth.plants``), each
making exactly one finding of one rule under known settings, and near misses that make
none. Each is made of agents of its own; it touches the background only by contracts from
its labs to background clouds, which pay no one and have no rival, so it adds nothing to
the background's findings nor they to its. So a back-end that reports anything other than
the planted findings is wrong, at any size.

A planted structure writes its control links in one *form* (``FORMS``): a control
claim, or an ownership whose share reaches 50% (exactly 50, more than 50, 51 to 100,
an investment's stake, two hops of majorities), which fire; or a form that must not
fire with the default options: a share just under 50 or a 25–50 band (both fire at a
control threshold of 25), a maximum alone or a terminated deal (never), a proposed
deal (fires until the minimum stage is agreed). So the findings are known for each of
``SETTINGS``, and planted.json states them, with the entities the rules report (the
rules' tie-breaks decide them where several would do: fewest links, then IRIs in order).

Dates are in 2015–2024 and contracts either stay open or ended before 2024,
so the planted findings are the findings for any as-of date from 2025 on.
Every entity and source is fictional and labelled so; organizations carry LEIs
that begin with FICTIONAL (valid check digits, no real entity's), and no
Wikidata ids (a Q-id would name a real item).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field

from rdflib import RDF, RDFS, BNode, Graph, Literal

from kg.errors import UsageError, arg
from kg.export import export_graph
from kg.io.atomic import atomic_output, write_atomically
from kg.synth.forms import AGREED_ONLY, DEFAULT_SETTING, FORMS, LOWER_THRESHOLD, NEAR_MISS_FORM, SETTINGS, Form, Setting
from kg.synth.plants import PLANTERS
from kg.synth.writer import OFFICER_TITLES, NTriplesSink, Writer, fictional_lei, minority, percent
from kg.vocab import CLAIM, DATA, KG, SOURCE

__all__ = [
    "AGREED_ONLY", "DEFAULT_SETTING", "FORMS", "LOWER_THRESHOLD", "PLANTERS", "SETTINGS", "SYNTH_AS_OF", "Form", "Setting",
    "SyntheticGraph", "fictional_lei", "generate", "hub_graph", "planted_document", "planted_rules", "write_synthetic",
]

#: A valid as-of date for the planted findings.
SYNTH_AS_OF = "2025-06-30"


@dataclass
class SyntheticGraph:
    graph: Graph
    #: rule id -> set of key-role tuples (entity ids) of the findings planted, with the default options
    planted: dict[str, set[tuple[str, ...]]] = field(default_factory=dict)
    #: the same for each of SETTINGS (the default's is ``planted``)
    findings: dict[Setting, dict[str, set[tuple[str, ...]]]] = field(default_factory=dict)
    #: rule id -> key -> role -> entity id: what the rule reports for each planted structure (in any setting it fires in)
    reported: dict[str, dict[tuple[str, ...], dict[str, str]]] = field(default_factory=dict)
    #: (rule, form name, variant, key) of every planted structure, those that fire nowhere included
    plants: list[tuple[str, str, str, tuple[str, ...]]] = field(default_factory=list)
    #: (rule, variant, key) of every near miss planted: the key its rule would have, and never finds
    near_misses: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)


def generate(orgs: int, *, seed: int = 0, sink=None) -> SyntheticGraph:
    """A fictional industry of about ``orgs`` organizations with planted conflicts.

    The triples go to an rdflib graph, or to ``sink`` (anything with ``add``) as
    they are made; the same seed gives the same triples either way.
    """
    if orgs < 20:
        raise UsageError(f"{arg('orgs')} must be at least 20")
    rng = random.Random(seed)
    w = Writer(rng, sink=sink)
    rules = planted_rules()
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

    # Control: holdings own clouds and chip makers through chains up to depth 4 (by control claims
    # or majority ownerships), and separate holdings control some labs (by control claims only: an
    # ownership is also an investment, and a holding owning two rival labs would invest in rivals);
    # the two trees never share a controller.
    supply_side = clouds + chips
    split = max(1, len(holdings) // 2)
    supply_holdings, lab_holdings = holdings[:split], holdings[split:] or holdings[:1]
    if lab_holdings == supply_holdings:
        lab_holdings = []
    _chains(w, rng, supply_side, supply_holdings, owned=0.4)
    _chains(w, rng, [lab for lab in labs if rng.random() < 0.3], lab_holdings, owned=0)

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
                accelerator="synthetic accelerator", stage=KG.Active if rng.random() < 0.3 else None,
            )
        if rng.random() < 0.3:
            w.claim(KG.ComputeContract, lab, rng.choice(clouds), start="2016", end=str(rng.randint(2017, 2023)))
        # A denied claim, and a terminated deal, that would make a conflict if they counted.
        if rng.random() < 0.05:
            w.claim(KG.ComputeContract, lab, rng.choice(supply_side), status="denied")
        if rng.random() < 0.05:
            w.claim(KG.ComputeContract, lab, rng.choice(supply_side), start=w.year(), stage=KG.Terminated)

    # Investment: each fund backs at most one lab per market (an investment, or a minority ownership,
    # which the rules read as one), may hold a minority of a supplier, and may have had a deal for a
    # rival of a lab it backs terminated.
    for fund in funds:
        chosen: dict[int, str] = {}
        for lab in rng.sample(labs, min(len(labs), rng.randint(1, 4))):
            chosen.setdefault(market_of[lab], lab)
        for lab in chosen.values():
            if rng.random() < 0.25:
                w.claim(KG.Ownership, fund, lab, start=w.year(), interestType=KG.Shareholding, **minority(rng))
            else:
                w.claim(
                    KG.Investment, fund, lab, start=w.year(), amount=Literal(rng.randint(1, 500) * 1_000_000),
                    currency="USD", stake=Literal(rng.randint(1, 20)), stage=KG.Completed if rng.random() < 0.3 else None,
                )
        if rng.random() < 0.3:
            w.claim(KG.Ownership, fund, rng.choice(supply_side), start=w.year(), interestType=KG.Shareholding, **minority(rng))
        if chosen and rng.random() < 0.1:
            lab = rng.choice(sorted(chosen.values()))
            members = by_market[market_of[lab]]
            neighbour = members[(members.index(lab) + 1) % len(members)]  # its rival in the ring
            if neighbour != lab:
                w.claim(KG.Investment, fund, neighbour, start=w.year(2021, 2023), stage=KG.Terminated)

    # People: founders stay, some as officers; employees leave and found nothing. Some who stay
    # hold board seats, never two (with an officer's post) at labs of one market.
    seat_orgs = labs + clouds + chips + funds + holdings
    for person in people:
        lab = rng.choice(labs)
        markets_held = {market_of[lab]}
        stays = True
        if rng.random() < 0.3:
            founded = w.year(2015, 2018)
            w.claim(KG.Founding, person, lab, start=founded)
            if rng.random() < 0.5:
                w.claim(KG.Affiliation, person, lab, start=founded, roleTitle=rng.choice(OFFICER_TITLES), affiliationKind=KG.Officer)
        else:
            start = w.year(2015, 2019)
            w.claim(KG.Affiliation, person, lab, start=start, roleTitle="engineer", affiliationKind=KG.Employee)
            if rng.random() < 0.4:
                stays = False
                other = rng.choice(labs)
                w.claim(KG.Departure, person, lab, start="2020", departureManner=KG.Amicable)
                w.claim(KG.Affiliation, person, other, start="2021", roleTitle="engineer", affiliationKind=KG.Employee)
        if stays and rng.random() < 0.3:
            for org in rng.sample(seat_orgs, 2):
                if org in market_of:
                    if market_of[org] in markets_held:
                        continue
                    markets_held.add(market_of[org])
                w.claim(KG.Affiliation, person, org, start=w.year(2016, 2023), roleTitle="board member", affiliationKind=KG.BoardSeat)

    # --- planted conflicts -------------------------------------------------------------------
    synthetic = SyntheticGraph(graph=w.graph, findings={setting: {rule: set() for rule in rules} for setting in SETTINGS})
    synthetic.planted = synthetic.findings[DEFAULT_SETTING]
    synthetic.reported = {rule: {} for rule in rules}
    per_rule = max(1, orgs // 100)
    for i in range(per_rule):
        # Each rule gets a structure that fires with the default options, and every other time one that
        # may not (a quarter of the graph would otherwise be planted); each rule starts its forms
        # elsewhere in the cycle, so that all forms appear from a few hundred organizations on. Its
        # variants come in turn, and its near misses, every other time, are spread so that each appears at any size.
        for offset, rule in enumerate(rules):  # in PLANTERS' order: the same seed gives the same graph
            planter = PLANTERS[rule]
            firing, other = planter.forms
            names = [firing[(i + offset) % len(firing)]] + ([other[(i // 2 + offset) % len(other)]] if i % 2 == 0 else [])
            for n, form in enumerate(FORMS[name] for name in names):
                variant = planter.variants[(i + n) % len(planter.variants)]
                report = planter.plant(w, rng, f"{i}-{form.name}", form, clouds, variant)
                key = planter.key_of(report)
                synthetic.plants.append((rule, form.name, variant, key))
                synthetic.reported[rule][key] = report
                for setting in form.fires:
                    synthetic.findings[setting][rule].add(key)
            for variant in _near_misses(planter.near, i // 2, (per_rule + 1) // 2) if i % 2 == 0 else ():
                synthetic.near_misses.append((rule, variant, planter.key_of(planter.plant(w, rng, f"{i}-{variant}", NEAR_MISS_FORM, clouds, variant))))
    return synthetic


def _near_misses(near: tuple[str, ...], i: int, rounds: int) -> list[str]:
    """The near misses of round ``i`` of ``rounds``: one each round, or all of them spread over the rounds when there are fewer."""
    if rounds < len(near):
        return [variant for j, variant in enumerate(near) if j % rounds == i]
    return [near[i % len(near)]] if near else []


def _chains(w: Writer, rng: random.Random, targets: list[str], holdings: list[str], *, owned: float) -> None:
    """Give each target a controlling chain of 1–4 links through holdings (a tree per top); a share
    ``owned`` of the links are majority ownerships rather than control claims."""
    if not holdings:
        return
    for target in targets:
        depth = rng.randint(1, 4)
        chain = rng.sample(holdings, min(depth, len(holdings)))
        chain.sort(key=lambda h: int(h.rsplit("-", 1)[1]))  # parent index below child: no cycles
        for parent, child in zip(chain, chain[1:] + [target]):
            if rng.random() < owned:
                share = {"shareExact": percent(rng.randint(51, 100))} if rng.random() < 0.7 else {"shareExclusiveMinimum": percent(50)}
                w.claim(KG.Ownership, parent, child, start=w.year(2015, 2020), interestType=KG.Shareholding, **share)
            else:
                w.claim(KG.Control, parent, child, start=w.year(2015, 2020), controlBasis=KG.Shareholding)


def planted_rules() -> list[str]:
    """The ids of the rules ``generate`` plants findings of: every rule of the bundled pack,
    in the order they are planted."""
    return list(PLANTERS)


def _keys(findings: dict[str, set[tuple[str, ...]]]) -> dict[str, list[list[str]]]:
    return {rule: sorted(list(key) for key in keys) for rule, keys in findings.items()}


def _entities(synthetic: SyntheticGraph, findings: dict[str, set[tuple[str, ...]]]) -> dict[str, list[dict[str, str]]]:
    return {rule: [synthetic.reported[rule][key] for key in sorted(keys)] for rule, keys in findings.items()}


def planted_document(synthetic: SyntheticGraph) -> dict:
    """What planted.json holds: the findings with the default options and with each other setting, each
    rule's as a list of keys (its key roles' entity ids, in the rule's order) and, in the same order, the
    entities the rule reports (role -> entity id)."""
    return {
        "as_of": SYNTH_AS_OF,
        "control_threshold": DEFAULT_SETTING.control_threshold,
        "min_stage": DEFAULT_SETTING.min_stage,
        "planted": _keys(synthetic.planted),
        "entities": _entities(synthetic, synthetic.planted),
        "other_settings": [
            {
                "control_threshold": setting.control_threshold,
                "min_stage": setting.min_stage,
                "findings": _keys(synthetic.findings[setting]),
                "entities": _entities(synthetic, synthetic.findings[setting]),
            }
            for setting in SETTINGS
            if setting != DEFAULT_SETTING
        ],
    }


def write_synthetic(orgs: int, *, seed: int, output, planted_path=None) -> dict[str, int]:
    """Generate, write the graph (atomically) and optionally the planted findings as JSON."""
    if str(output).endswith(".nt"):  # streamed: the size that needs it is the size people bench
        with atomic_output(output) as handle:
            synthetic = generate(orgs, seed=seed, sink=NTriplesSink(handle))
    else:
        synthetic = generate(orgs, seed=seed)
        export_graph(synthetic.graph, output)
    if planted_path is not None:
        write_atomically(planted_path, json.dumps(planted_document(synthetic), indent=2).encode("utf-8"))
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
