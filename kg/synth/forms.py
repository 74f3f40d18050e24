"""What every planter shares: the settings the planted findings are known for, the forms control links
are written in, the links and chains themselves, and what a planter is."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable, NamedTuple

from rdflib import Literal, URIRef

from kg.synth.writer import Writer, minority, percent
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


EVERYWHERE = frozenset(SETTINGS)
_A_MAJORITY = (("shareExact", MAJORITY),)
FORMS = {
    form.name: form
    for form in (
        Form("plain", EVERYWHERE, cls=KG.Control),  # a structure without control links, its deal in force
        Form("control", EVERYWHERE, cls=KG.Control),
        Form("exact-50", EVERYWHERE, share=(("shareExact", "50"),)),  # the boundary: 50 reaches 50
        Form("two-hop", EVERYWHERE, share=_A_MAJORITY, hops=1),
        Form("over-50", EVERYWHERE, share=(("shareExclusiveMinimum", "50"),)),
        Form("majority", EVERYWHERE, share=_A_MAJORITY),
        Form("stake", EVERYWHERE, cls=KG.Investment, share=(("stake", MAJORITY),)),
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
#: The form near misses are planted in: control claims, in force everywhere (a near miss must stay silent anyway).
NEAR_MISS_FORM = FORMS["control"]


def iri(agent: str) -> str:
    """The agent's IRI as the rules compare it (tie-breaks are by IRI, not by id)."""
    return str(DATA[agent])


def link(w: Writer, rng: random.Random, parent: str, child: str, form: Form, *, years=(2015, 2020)) -> None:
    """One control link in ``form``: a control claim, or an ownership (or investment) with the form's share and stage.

    An ownership or investment is a money edge too (parent pays child), whether or not it reaches the threshold."""
    start = w.year(*years)
    if form.cls == KG.Control:
        w.claim(KG.Control, parent, child, start=start, controlBasis=rng.choice((KG.Shareholding, KG.VotingRights, KG.BoardAppointment)))
        return
    share = {prop: percent(rng.randint(51, 100) if value == MAJORITY else value) for prop, value in form.share}
    if form.cls == KG.Investment:
        w.claim(KG.Investment, parent, child, start=start, amount=Literal(rng.randint(1, 500) * 1_000_000), currency="USD", stage=form.stage, **share)
    else:
        interest = KG.Shareholding if rng.random() < 0.8 else KG.VotingRights
        w.claim(KG.Ownership, parent, child, start=start, interestType=interest, stage=form.stage, **share)


def chain(w: Writer, rng: random.Random, top: str, target: str, prefix: str, form: Form, *, min_hops: int = 0, years=(2015, 2020)) -> list[str]:
    """``top`` controls ``target`` through holdings in between, every link in ``form``; returns
    [top, holdings..., target], so ``len - 1`` links. Money, where the links carry any, flows down the chain."""
    hops = form.hops if form.hops is not None else rng.randint(min_hops, 3)
    nodes = [top] + [w.agent(f"{prefix}-link-{d}", "Organization", f"{prefix} link {d}") for d in range(hops)] + [target]
    for parent, child in zip(nodes, nodes[1:]):
        link(w, rng, parent, child, form, years=years)
    return nodes


def stake_in(w: Writer, rng: random.Random, investor: str, investee: str, *, stage: URIRef | None = None) -> None:
    """Money put in: an investment, or an ownership below 25% (the rules read it as an investment, never as control)."""
    if rng.random() < 0.3:
        w.claim(KG.Ownership, investor, investee, start=w.year(), interestType=KG.Shareholding, stage=stage, **minority(rng))
    else:
        w.claim(KG.Investment, investor, investee, start=w.year(), stage=stage)


def best(candidates):
    """The rules' tie-break over (links, IRIs..., report) candidates: fewest links, then IRIs in order."""
    return min(candidates, key=lambda candidate: candidate[:-1])[-1]


#: What a planter returns: role -> agent id, the entities the rule reports for the finding.
Report = dict[str, str]


class Planter(NamedTuple):
    """Adds one small structure, in a given form, that makes one finding of its rule (and of no other)
    under the settings the form fires under, and returns what the rule reports for it; or, given one of
    its ``near`` variants, a near miss that makes no finding of any rule under any setting (and returns
    what its rule would have reported)."""

    plant: Callable[..., Report]
    #: The forms it plants in turn: those that fire with the default options, and the others.
    forms: tuple[tuple[str, ...], tuple[str, ...]]
    #: The roles that make a finding's key (its rule's ``key:`` header), in the rule's order.
    key: tuple[str, ...]
    #: Shapes of the structure, planted in turn (the structure's form decides where it fires).
    variants: tuple[str, ...] = ("",)
    #: Near misses it can plant.
    near: tuple[str, ...] = ()

    def key_of(self, report: Report) -> tuple[str, ...]:
        return tuple(report[role] for role in self.key if role in report)
