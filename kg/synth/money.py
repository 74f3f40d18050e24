"""Planters for the rules about where money goes: ``customer-stake-in-supplier``,
``circular-financing``, ``related-party-deal`` and ``investor-supplies-rival``.

Every investment, ownership and compute contract is a money edge (payer -> payee), so each structure
here is drawn so that its money makes no finding but its own: no cycle of 3 or 4 control groups but
the one planted (chain ownerships flow down, towards the agent money comes into), no money between two
agents under one controller but the deal planted, and no investment beside a contract between the same
two groups (that would be a customer's stake in its supplier). An AI lab that pays for compute always
has a second supplier, a background cloud, which pays no one."""

from __future__ import annotations

from rdflib import Literal

from kg.synth.forms import EVERYWHERE, NEAR_MISS_FORM, best, chain, iri, link, stake_in
from kg.synth.writer import minority
from kg.vocab import KG, RIVALRY_KINDS

CUSTOMER_STAKE_NEAR = ("reverse-stake", "ended-contract")
CYCLE_VARIANTS = ("3", "4")
#: Money that goes round two groups, round one group, round five groups: none is a finding.
CYCLE_NEAR = ("two-cycle", "one-group", "five-cycle")
RELATED_PARTY_NEAR = ("payee-controls-payer", "common-investor")
SUPPLIES_RIVAL_NEAR = ("feud", "ended-contract")

_CYCLE_KINDS = ("AILab", "CloudProvider", "ChipMaker", "Investor", "Organization")
#: Names of a cycle's agents, drawn at random so that the cycle's reported start (the group with the
#: smallest IRI) falls anywhere on it.
_CYCLE_NAMES = ("amber", "birch", "cedar", "delta", "ember", "fjord", "grove", "heath")


def _pay(w, rng, payer, payee, kind, *, end=None):
    """A money edge: an investment, a minority ownership (below 25%: never control) or a compute contract."""
    start = w.year(2016, 2021) if end else w.year()
    if kind == "investment":
        w.claim(KG.Investment, payer, payee, start=start, end=end, amount=Literal(rng.randint(1, 500) * 1_000_000), currency="USD")
    elif kind == "ownership":
        w.claim(KG.Ownership, payer, payee, start=start, end=end, interestType=KG.Shareholding, **minority(rng))
    else:
        w.claim(KG.ComputeContract, payer, payee, start=start, end=end, capacityMW=Literal(rng.randint(5, 500)))


def _other_suppliers(w, rng, lab, clouds, count=1):
    """Contracts with background clouds, so that a lab is never dependent on one supplier by accident."""
    for cloud in rng.sample(clouds, count):
        w.claim(KG.ComputeContract, lab, cloud, start=w.year())


def plant_customer_stake_in_supplier(w, rng, tag, form, clouds, variant):
    """A lab buys compute from a cloud; the lab's parent (or the lab) holds a stake in the cloud's owner (or
    the cloud). At times the parent's own subsidiary holds a stake too (fewer links: it is reported), or
    the parent holds one in the cloud itself. Near misses: the stake goes the other way, the contract ended."""
    p = f"css-{tag}"
    lab, cloud = w.agent(f"{p}-lab", "AILab", f"CSS lab {tag}"), w.agent(f"{p}-cloud", "CloudProvider", f"CSS cloud {tag}")
    sides = ("customer", "supplier") if variant in CUSTOMER_STAKE_NEAR else rng.choice((("customer", "supplier"), ("customer",), ("supplier",)))
    customer_side = [lab]
    if "customer" in sides:
        customer_side = chain(w, rng, w.agent(f"{p}-parent", "Organization", f"CSS lab parent {tag}"), lab, f"{p}-c", form)
    supplier_side = [cloud]
    if "supplier" in sides:
        supplier_side = chain(w, rng, w.agent(f"{p}-owner", "Organization", f"CSS cloud owner {tag}"), cloud, f"{p}-s", form)
    investor, investee = customer_side[0], supplier_side[0]
    if variant == "reverse-stake":
        stake_in(w, rng, investee, investor)
    else:
        stake_in(w, rng, investor, investee)
    w.claim(KG.ComputeContract, lab, cloud, start=w.year(2016, 2020) if variant == "ended-contract" else w.year(), end="2022" if variant == "ended-contract" else None)
    _other_suppliers(w, rng, lab, clouds, 2 if variant == "ended-contract" else 1)
    # (links investor -> lab + investee -> cloud, investor IRI, investee IRI, report)
    links = len(customer_side) + len(supplier_side) - 2
    candidates = [(links, iri(investor), iri(investee), (investor, investee))]
    if variant not in CUSTOMER_STAKE_NEAR and len(customer_side) > 2 and rng.random() < 0.35:
        stake_in(w, rng, customer_side[1], investee)
        candidates.append((links - 1, iri(customer_side[1]), iri(investee), (customer_side[1], investee)))
    if variant not in CUSTOMER_STAKE_NEAR and len(customer_side) > 1 and len(supplier_side) > 1 and rng.random() < 0.35:
        stake_in(w, rng, investor, cloud)
        candidates.append((len(customer_side) - 1, iri(investor), iri(cloud), (investor, cloud)))
    investor, investee = best(candidates)
    return {"customer": lab, "supplier": cloud, "investor": investor, "investee": investee}


def plant_circular_financing(w, rng, tag, form, clouds, variant):
    """Money round 3 or 4 control groups: each group a single agent but one (none in the plain form),
    whose money comes into a subsidiary and goes out from its parent, the chain between them in the
    form (so the cycle is there only where the chain is control). Control claims carry no money, so in
    that form the chain may point either way; an ownership chain points towards the agent money comes
    into, so that, where it is no control, money runs into a dead end rather than round a longer cycle.
    Each step is one kind of money edge (two kinds between two groups would be a customer's stake in its
    supplier); at times a second edge of the step's kind comes from, or goes to, a holding of the chain:
    another realisation of the same cycle."""
    if variant in CYCLE_NEAR:
        return _near_cycle(w, rng, f"cf-{tag}", tag, variant)
    p = f"cf-{tag}"
    k = int(variant)
    names = rng.sample(_CYCLE_NAMES, k + 2)  # the groups' agents, the grouped one's subsidiary and its holdings
    grouped = -1 if form.name == "plain" else rng.randrange(k)
    groups, entries, exits, labs = [], [], [], set()
    for j, name in enumerate(names[:k]):
        kind = rng.choice(_CYCLE_KINDS)
        node = w.agent(f"{p}-{name}", kind, f"CF {name} {tag}")
        if kind == "AILab":
            labs.add(node)
        if j != grouped:
            groups.append([node])
            entries.append(node)
            exits.append(node)
            continue
        unit = w.agent(f"{p}-{names[k]}", rng.choice(_CYCLE_KINDS[1:]), f"CF {names[k]} unit {tag}")
        members = chain(w, rng, node, unit, f"{p}-{names[k + 1]}", form)
        groups.append(members)
        if form.cls == KG.Control and rng.random() < 0.5:
            entries.append(node)
            exits.append(unit)
        else:
            entries.append(unit)
            exits.append(node)
    holdings = groups[grouped][1:-1] if grouped >= 0 else []
    parallel = rng.choice((None, "out", "in")) if holdings else None
    edges = []
    for j in range(k):
        kind = rng.choice(("investment", "ownership", "contract"))
        payers, payees = [exits[j]], [entries[(j + 1) % k]]
        if parallel == "out" and j == grouped:
            payers.append(rng.choice(holdings))
        if parallel == "in" and (j + 1) % k == grouped:
            payees.append(rng.choice(holdings))
        for payer in payers:
            for payee in payees:
                _pay(w, rng, payer, payee, kind)
                edges.append((payer, payee))
            if kind == "contract" and payer in labs:
                _other_suppliers(w, rng, payer, clouds)
    return cycle_report(groups, edges)


def cycle_report(groups: list[list[str]], edges: list[tuple[str, str]]) -> dict[str, str]:
    """What ``circular-financing`` reports for money ``edges`` round ``groups`` (in the cycle's order):
    the cycle from the group holding the smallest IRI, and of the edges of each step the one with the
    smallest (payer, payee) IRIs (the steps are independent, so this is the smallest sequence); roles
    a, b, c, d are the payers."""
    group_of = {member: j for j, members in enumerate(groups) for member in members}
    k = len(groups)
    start = min(range(k), key=lambda j: min(iri(member) for member in groups[j]))
    report = {}
    for step in range(k):
        j = (start + step) % k
        steps = [(iri(payer), iri(payee), payer) for payer, payee in edges if group_of[payer] == j and group_of[payee] == (j + 1) % k]
        report["abcd"[step]] = min(steps)[2]
    return report


def _near_cycle(w, rng, p, tag, variant):
    """Investments only (a contract beside them could make another rule's finding)."""
    size = {"two-cycle": 2, "one-group": 3, "five-cycle": 5}[variant]
    nodes = [w.agent(f"{p}-{n}", rng.choice(_CYCLE_KINDS[1:]), f"CF near {n} {tag}") for n in range(size)]
    if variant == "one-group":  # a chain of control: the money never leaves the group
        for parent, child in zip(nodes, nodes[1:]):
            w.claim(KG.Control, parent, child, start=w.year(2015, 2020), controlBasis=KG.Shareholding)
    for payer, payee in zip(nodes, nodes[1:] + nodes[:1]):
        _pay(w, rng, payer, payee, rng.choice(("investment", "ownership")))
    return dict(zip("abcde", nodes))


def plant_related_party_deal(w, rng, tag, form, clouds, variant):
    """One controller (a person or a group) holds a payer and a payee through chains in the form, and the
    payer pays the payee: a contract (only in the control form: an owner of the payer that controls the
    supplier would be an investor-supplier overlap), an investment, a minority ownership, or both of the
    last two (one finding). At times a holding between controls both with fewer links: it is reported.
    Near misses: the payee controls the payer; the two share only a minority investor."""
    p = f"rpd-{tag}"
    money = rng.choice(("contract", "investment", "ownership", "both") if form.cls == KG.Control else ("investment", "ownership", "both"))
    if variant in RELATED_PARTY_NEAR:
        money = "investment"
    payer = w.agent(f"{p}-payer", "AILab" if money == "contract" else rng.choice(("Organization", "Investor")), f"RPD payer {tag}")
    payee = w.agent(f"{p}-payee", "CloudProvider" if money == "contract" else rng.choice(("AILab", "Organization", "ChipMaker")), f"RPD payee {tag}")
    controller = w.agent(f"{p}-group", rng.choice(("Person", "Organization")), f"RPD group {tag}")
    if variant == "payee-controls-payer":
        chain(w, rng, payee, payer, f"{p}-p", NEAR_MISS_FORM)
    elif variant == "common-investor":
        stake_in(w, rng, controller, payer)
        stake_in(w, rng, controller, payee)
    elif rng.random() < 0.4:
        mid = w.agent(f"{p}-mid", "Organization", f"RPD holding {tag}")
        chain(w, rng, controller, mid, f"{p}-m", form)
        link(w, rng, mid, payer, form)
        link(w, rng, mid, payee, form)
        controller = mid
    else:
        chain(w, rng, controller, payer, f"{p}-p", form)
        chain(w, rng, controller, payee, f"{p}-q", form)
    for kind in ("investment", "ownership") if money == "both" else (money,):
        _pay(w, rng, payer, payee, kind)
    if money == "contract":
        _other_suppliers(w, rng, payer, clouds)
    return {"controller": controller, "payer": payer, "payee": payee}


def plant_investor_supplies_rival(w, rng, tag, form, clouds, variant):
    """An investor holds a stake in a lab and controls (through a chain in the form) a cloud that sells to
    the lab's rival. At times it controls a second cloud that sells to the rival, by one link in the form,
    or (in the forms in force everywhere) sells to the rival itself: the supplier with the fewest links is
    reported. Near misses: the two labs only feud; the rival's contract ended."""
    p = f"isr-{tag}"
    investor = w.agent(f"{p}-investor", rng.choice(("CloudProvider", "ChipMaker", "Organization")), f"ISR investor {tag}")
    investee, rival = w.agent(f"{p}-lab", "AILab", f"ISR lab {tag}"), w.agent(f"{p}-rival", "AILab", f"ISR rival {tag}")
    supplier = w.agent(f"{p}-cloud", "CloudProvider", f"ISR cloud {tag}")
    nodes = chain(w, rng, investor, supplier, p, form)
    stake_in(w, rng, investor, investee)
    ended = variant == "ended-contract"
    w.claim(KG.ComputeContract, rival, supplier, start=w.year(2016, 2020) if ended else w.year(), end="2022" if ended else None)
    _other_suppliers(w, rng, rival, clouds, 2 if ended else 1)
    candidates = [(len(nodes) - 1, iri(supplier), supplier)]
    if variant not in SUPPLIES_RIVAL_NEAR and rng.random() < 0.3:
        second = w.agent(f"{p}-cloud-2", "CloudProvider", f"ISR second cloud {tag}")
        link(w, rng, investor, second, form)
        w.claim(KG.ComputeContract, rival, second, start=w.year())
        candidates.append((1, iri(second), second))
    if variant not in SUPPLIES_RIVAL_NEAR and form.fires == EVERYWHERE and rng.random() < 0.2:
        w.claim(KG.ComputeContract, rival, investor, start=w.year())
        candidates.append((0, iri(investor), investor))
    feud = RIVALRY_KINDS[rng.choice(("personal", "legal"))]
    w.claim(KG.Rivalry, rival, investee, start=w.year(), rivalryKind=feud if variant == "feud" else rng.choice((RIVALRY_KINDS["market"], None)))
    return {"investor": investor, "investee": investee, "supplier": best(candidates), "rival": rival}
