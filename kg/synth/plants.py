"""What ``kg synth`` plants: for each rule, small structures that make one finding of it (and of no
other) under known settings, their control links written in one of several forms; and board
interlocks for a rule kg does not bundle yet."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable, NamedTuple

from rdflib import Literal, URIRef

from kg.synth.writer import OFFICER_TITLES, Writer, minority, percent
from kg.vocab import DATA, DEFAULT_CONTROL_THRESHOLD, KG, STAGE_ORDER


class Setting(NamedTuple):
    """Options of ``kg conflicts`` (beside the as-of date) that the planted findings are known for."""

    control_threshold: int
    min_stage: str


DEFAULT_SETTING = Setting(DEFAULT_CONTROL_THRESHOLD, STAGE_ORDER[0])
#: Wakes the ownerships just under a majority.
LOWER_THRESHOLD = Setting(25, STAGE_ORDER[0])
#: Drops the proposed deals.
AGREED_ONLY = Setting(DEFAULT_CONTROL_THRESHOLD, "agreed")
SETTINGS = (DEFAULT_SETTING, LOWER_THRESHOLD, AGREED_ONLY)

#: In a form's share: a percentage drawn from 51 to 100.
MAJORITY = "majority"


@dataclass(frozen=True)
class Form:
    """How a planted structure writes its control links (a structure without any: its deal's stage),
    and the settings under which it makes its finding."""

    name: str
    fires: frozenset[Setting]
    cls: URIRef = KG.Ownership
    share: tuple[tuple[str, str], ...] = ()  # (kg property, percentage or MAJORITY)
    stage: URIRef | None = None
    hops: int | None = None  # holdings between the top and the target; None: 0 to 3 at random


_EVERYWHERE = frozenset(SETTINGS)
_A_MAJORITY = (("shareExact", MAJORITY),)
FORMS = {
    form.name: form
    for form in (
        Form("plain", _EVERYWHERE, cls=KG.Control),  # a structure without control links, its deal in force
        Form("control", _EVERYWHERE, cls=KG.Control),
        Form("exact-50", _EVERYWHERE, share=(("shareExact", "50"),)),  # the boundary: 50 reaches 50
        Form("two-hop", _EVERYWHERE, share=_A_MAJORITY, hops=1),
        Form("over-50", _EVERYWHERE, share=(("shareExclusiveMinimum", "50"),)),
        Form("majority", _EVERYWHERE, share=_A_MAJORITY),
        Form("stake", _EVERYWHERE, cls=KG.Investment, share=(("stake", MAJORITY),)),
        Form("proposed", frozenset({DEFAULT_SETTING, LOWER_THRESHOLD}), share=_A_MAJORITY, stage=KG.Proposed),
        Form("just-under", frozenset({LOWER_THRESHOLD}), share=(("shareExact", "49.99"),)),
        Form("maximum-only", frozenset(), share=(("shareMaximum", "100"),)),  # up to 100% says nothing of a floor
        Form("terminated", frozenset(), share=_A_MAJORITY, stage=KG.Terminated),
        Form("band-25-50", frozenset({LOWER_THRESHOLD}), share=(("shareMinimum", "25"), ("shareMaximum", "50"))),
    )
}
#: The forms of structures with control links: those that fire with the default options, then the others.
CONTROL_FORMS = (("control", "exact-50", "two-hop", "over-50", "majority", "stake"), ("proposed", "just-under", "maximum-only", "terminated", "band-25-50"))
#: The forms of structures without: the deal in force, or proposed, or terminated.
DEAL_FORMS = (("plain",), ("proposed", "terminated"))


def _link(w: Writer, rng: random.Random, parent: str, child: str, form: Form) -> None:
    """One control link in ``form``: a control claim, or an ownership (or investment) with the form's share and stage."""
    start = w.year(2015, 2020)
    if form.cls == KG.Control:
        w.claim(KG.Control, parent, child, start=start, controlBasis=rng.choice((KG.Shareholding, KG.VotingRights, KG.BoardAppointment)))
        return
    share = {prop: percent(rng.randint(51, 100) if value == MAJORITY else value) for prop, value in form.share}
    if form.cls == KG.Investment:
        w.claim(KG.Investment, parent, child, start=start, amount=Literal(rng.randint(1, 500) * 1_000_000), currency="USD", stage=form.stage, **share)
    else:
        interest = KG.Shareholding if rng.random() < 0.8 else KG.VotingRights
        w.claim(KG.Ownership, parent, child, start=start, interestType=interest, stage=form.stage, **share)


def _chain(w: Writer, rng: random.Random, top: str, target: str, prefix: str, form: Form, *, min_hops: int = 0) -> None:
    """``top`` controls ``target`` through holdings in between, every link in ``form``."""
    hops = form.hops if form.hops is not None else rng.randint(min_hops, 3)
    nodes = [top] + [w.agent(f"{prefix}-link-{d}", "Organization", f"{prefix} link {d}") for d in range(hops)]
    for parent, child in zip(nodes, nodes[1:] + [target]):
        _link(w, rng, parent, child, form)


def _stake_in(w: Writer, rng: random.Random, investor: str, investee: str, *, stage: URIRef | None = None) -> None:
    """Money put in: an investment, or an ownership below 25% (the rules read it as an investment, never as control)."""
    if rng.random() < 0.3:
        w.claim(KG.Ownership, investor, investee, start=w.year(), interestType=KG.Shareholding, stage=stage, **minority(rng))
    else:
        w.claim(KG.Investment, investor, investee, start=w.year(), stage=stage)


def _plant_competitor_controlled_supplier(w, rng, tag, form, clouds) -> tuple[str, ...]:
    p = f"ccs-{tag}"
    lab, rival = w.agent(f"{p}-lab", "AILab", f"CCS lab {tag}"), w.agent(f"{p}-rival", "AILab", f"CCS rival {tag}")
    supplier = w.agent(f"{p}-cloud", "CloudProvider", f"CCS cloud {tag}")
    boss = w.agent(f"{p}-boss", "Person", f"CCS owner {tag}")
    _chain(w, rng, boss, supplier, f"{p}-s", form)
    _chain(w, rng, boss, rival, f"{p}-r", form)
    w.claim(KG.ComputeContract, lab, supplier, start=w.year())
    w.claim(KG.ComputeContract, lab, rng.choice(clouds), start=w.year())
    w.claim(KG.Rivalry, rival, lab, start=w.year())
    return (lab, supplier, rival)


def _plant_investor_supplier_overlap(w, rng, tag, form, clouds) -> tuple[str, ...]:
    p = f"iso-{tag}"
    lab = w.agent(f"{p}-lab", "AILab", f"ISO lab {tag}")
    investor = w.agent(f"{p}-investor", "Investor", f"ISO investor {tag}")
    supplier = w.agent(f"{p}-cloud", "CloudProvider", f"ISO cloud {tag}")
    _chain(w, rng, investor, supplier, p, form)
    _stake_in(w, rng, investor, lab)
    w.claim(KG.ComputeContract, lab, supplier, start=w.year())
    w.claim(KG.ComputeContract, lab, rng.choice(clouds), start=w.year())
    return (investor, lab, supplier)


def _plant_investor_controls_rival(w, rng, tag, form, clouds) -> tuple[str, ...]:
    p = f"icr-{tag}"
    lab, rival = w.agent(f"{p}-lab", "AILab", f"ICR lab {tag}"), w.agent(f"{p}-rival", "AILab", f"ICR rival {tag}")
    investor = w.agent(f"{p}-investor", "Investor", f"ICR investor {tag}")
    # Owning the rival directly would also be investing in it, and so in two rivals: a second finding.
    _chain(w, rng, investor, rival, p, form, min_hops=0 if form.cls == KG.Control else 1)
    _stake_in(w, rng, investor, lab)
    w.claim(KG.Rivalry, lab, rival, start=w.year())
    return (investor, lab, rival)


def _plant_founder_defection(w, rng, tag, form, clouds) -> tuple[str, ...]:
    """The person founded or worked for the former lab, left it on bad terms, and founded the new one,
    or (in any form but control) owns it."""
    p = f"fd-{tag}"
    former, rival = w.agent(f"{p}-former", "AILab", f"FD former lab {tag}"), w.agent(f"{p}-new", "AILab", f"FD new lab {tag}")
    person = w.agent(f"{p}-person", "Person", f"FD person {tag}")
    if rng.random() < 0.5:
        w.claim(KG.Founding, person, former, start="2015")
    else:
        w.claim(KG.Affiliation, person, former, start="2015", end="2019", roleTitle="executive", affiliationKind=KG.Officer)
    w.claim(KG.Departure, person, former, start="2019", departureManner=KG.Acrimonious)
    if form.cls == KG.Control:
        w.claim(KG.Founding, person, rival, start="2020")
    else:
        _chain(w, rng, person, rival, p, form)
    w.claim(KG.Rivalry, rival, former, start="2020", rivalryKind=KG.MarketRivalry)
    return (person, former, rival)


def _plant_single_supplier(w, rng, tag, form, clouds) -> tuple[str, ...]:
    lab = w.agent(f"ssd-{tag}-lab", "AILab", f"SSD lab {tag}")
    cloud = rng.choice(clouds)
    w.claim(KG.ComputeContract, lab, cloud, start=w.year(), stage=form.stage)
    w.claim(KG.ComputeContract, lab, cloud, start=w.year(), stage=form.stage)  # a second contract, same supplier
    return (lab, cloud)


def _plant_investor_in_rivals(w, rng, tag, form, clouds) -> tuple[str, ...]:
    p = f"iir-{tag}"
    a, b = w.agent(f"{p}-a", "AILab", f"IIR lab A {tag}"), w.agent(f"{p}-b", "AILab", f"IIR lab B {tag}")
    investor = w.agent(f"{p}-investor", "Investor", f"IIR investor {tag}")
    _stake_in(w, rng, investor, a)
    _stake_in(w, rng, investor, b, stage=form.stage)
    w.claim(KG.Rivalry, b, a, start=w.year())
    pair = tuple(sorted((a, b), key=lambda agent: str(DATA[agent])))
    return (investor, *pair)


class Planter(NamedTuple):
    """Adds one small structure, in a given form, that makes one finding of its rule (and of no other)
    under the settings the form fires under, and returns the finding's key."""

    plant: Callable[..., tuple[str, ...]]
    #: The forms it plants in turn: those that fire with the default options, and the others.
    forms: tuple[tuple[str, ...], tuple[str, ...]]


#: For each rule, its planter. Planted in this order, so a seed's graph stays the same.
PLANTERS = {
    "competitor-controlled-supplier": Planter(_plant_competitor_controlled_supplier, CONTROL_FORMS),
    "investor-supplier-overlap": Planter(_plant_investor_supplier_overlap, CONTROL_FORMS),
    "investor-controls-rival": Planter(_plant_investor_controls_rival, CONTROL_FORMS),
    "founder-defection": Planter(_plant_founder_defection, CONTROL_FORMS),
    "single-supplier-dependency": Planter(_plant_single_supplier, DEAL_FORMS),
    "investor-in-rivals": Planter(_plant_investor_in_rivals, DEAL_FORMS),
}

#: Interlocks: one person holds board seats (or a seat and an officer's post) at two labs that compete.
INTERLOCKS = ("two-seats", "seat-and-officer")
#: Near misses: the second seat has ended, the second post is an employee's, or one lab controls the other.
NEAR_INTERLOCKS = ("seat-ended", "employee", "subsidiary")


def plant_interlock(w: Writer, rng: random.Random, tag: str, variant: str) -> tuple[str, str, str]:
    """Two rival labs and one person at both, for the ``interlocking-directorate`` rule of DESIGN section 4,
    which kg does not bundle yet; returns (person, org, rival), org the smaller IRI."""
    p = f"idr-{tag}"
    a, b = w.agent(f"{p}-a", "AILab", f"IDR lab A {tag}"), w.agent(f"{p}-b", "AILab", f"IDR lab B {tag}")
    person = w.agent(f"{p}-person", "Person", f"IDR director {tag}")
    w.claim(KG.Affiliation, person, a, start=w.year(2016, 2023), roleTitle="board member", affiliationKind=KG.BoardSeat)
    if variant == "seat-and-officer":
        w.claim(KG.Affiliation, person, b, start=w.year(2016, 2023), roleTitle=rng.choice(OFFICER_TITLES), affiliationKind=KG.Officer)
    elif variant == "employee":
        w.claim(KG.Affiliation, person, b, start=w.year(2016, 2023), roleTitle="engineer", affiliationKind=KG.Employee)
    else:
        end = "2022" if variant == "seat-ended" else None
        w.claim(KG.Affiliation, person, b, start=w.year(2016, 2021), end=end, roleTitle="board member", affiliationKind=KG.BoardSeat)
    if variant == "subsidiary":
        w.claim(KG.Control, a, b, start=w.year(2015, 2020), controlBasis=KG.Shareholding)
    w.claim(KG.Rivalry, a, b, start=w.year(), rivalryKind=KG.MarketRivalry)
    org, rival = sorted((a, b), key=lambda agent: str(DATA[agent]))
    return (person, org, rival)
