"""One readable sentence per finding: from the rule's ``explain:`` template, or a registered explainer.

A template names roles as ``{role}`` (the entity's label) and control chains as
``{a>b}`` (" (through X, Y)" when the chain passes through other agents, else
nothing). The few bundled rules whose sentence depends on which roles coincide
(a supplier that is itself the rival) have a Python explainer in
``EXPLAINERS``; it applies to the bundled rule only, never to a user's rule
that takes its id.
"""

from __future__ import annotations

import re
from typing import Callable

from kg.conflicts.model import EntityRef
from kg.vocab import claim_verb
from kg.conflicts.pack import BUNDLED, Rule

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def explain(
    rule: Rule, entities: dict[str, EntityRef], evidence, chains: dict[str, list[str]] | None = None, texts: dict[str, str] | None = None
) -> str:
    """One readable sentence saying why the finding matters.

    ``chains`` maps an evidence chain such as ``controller>supplier`` to the
    labels of the intermediaries it passes through; ``texts`` gives other
    placeholders (a cycle rule's ``{cycle}``).
    """
    names = {role: entity.label for role, entity in entities.items()} | (texts or {})

    def via(chain: str) -> str:
        hops = (chains or {}).get(chain) or []
        return f" (through {', '.join(hops)})" if hops else ""

    explainer = EXPLAINERS.get(rule.id) if rule.origin == BUNDLED else None
    if explainer is not None:
        sentence = explainer(names, entities, evidence, via)
    elif rule.explain:
        sentence = _PLACEHOLDER.sub(lambda match: names.get(match.group(1), "") if ">" not in match.group(1) else via(match.group(1)), rule.explain)
    else:
        sentence = f"{rule.title}: " + ", ".join(f"{role} {name}" for role, name in names.items()) + "."
    return sentence + "".join(_stage_note(item) for item in evidence)


#: What a deal not yet in force is, in a finding's sentence ("confirmed" says the evidence is sure, not the deal).
_UNFINISHED = {"proposed": "only proposed (a letter of intent or memorandum)", "agreed": "agreed but not yet active"}


def _stage_note(evidence) -> str:
    """" The deal X verb Y is only proposed ..." for a claim whose stage says it is not in effect yet."""
    words = _UNFINISHED.get(getattr(evidence, "stage", None) or "")
    if words is None:
        return ""
    verb = claim_verb(evidence.type, evidence.kinds)
    return f" The deal \"{evidence.subject.label} {verb} {evidence.object.label}\" is {words}."


def _competitor_controlled_supplier(n, ent, ev, via) -> str:
    customer, supplier, controller, rival = n["customer"], n["supplier"], n["controller"], n["rival"]
    if ent["supplier"].iri == ent["rival"].iri:
        if ent["controller"].iri == ent["supplier"].iri:
            return f"{customer} buys compute from {supplier}, which is itself a rival of {customer}."
        return f"{customer} buys compute from {supplier}, a rival of {customer} controlled by {controller}."
    if ent["controller"].iri == ent["supplier"].iri:
        return f"{customer} buys compute from {supplier}, which also controls {rival}{via('controller>rival')}, a rival of {customer}."
    if ent["controller"].iri == ent["rival"].iri:
        return f"{customer} buys compute from {supplier}, which its rival {rival} controls{via('controller>supplier')}."
    return (
        f"{customer} buys compute from {supplier}, which {controller} controls{via('controller>supplier')}, "
        f"while {controller} also controls {rival}{via('controller>rival')}, a rival of {customer}."
    )


def _investor_supplier_overlap(n, ent, ev, via) -> str:
    if ent["investor"].iri == ent["supplier"].iri:
        return f"{n['investor']} invests in {n['customer']} and also supplies its compute."
    return (
        f"{n['investor']} invests in {n['customer']} and controls {n['supplier']}{via('investor>supplier')}, "
        f"which supplies {n['customer']}'s compute."
    )


def _investor_controls_rival(n, ent, ev, via) -> str:
    if ent["investor"].iri == ent["rival"].iri:
        return f"{n['investor']} invests in its own rival {n['investee']}."
    return f"{n['investor']} invests in {n['investee']} and controls {n['rival']}{via('investor>rival')}, a rival of {n['investee']}."


def _founder_defection(n, ent, ev, via) -> str:
    person, former, rival = ent["person"].iri, ent["former"].iri, ent["rival"].iri
    tie = "founded" if any(e.type == "Founding" and e.subject.iri == person and e.object.iri == former for e in ev) else "worked for"
    founded = any(e.type == "Founding" and e.subject.iri == person and e.object.iri == rival for e in ev)
    directs = any(e.type == "Affiliation" and e.subject.iri == person and e.object.iri == rival for e in ev)
    if founded:
        link = f"founded {n['rival']}"
    elif directs:
        link = f"holds a board seat or an officer's role at {n['rival']}"
    else:
        link = f"controls {n['rival']}{via('person>rival')}"
    return f"{n['person']} {tie} {n['former']}, departed it, and {link}, a rival of {n['former']}."


def _customer_stake_in_supplier(n, ent, ev, via) -> str:
    customer, supplier, investor, investee = (n[role] for role in ("customer", "supplier", "investor", "investee"))
    holder = customer if ent["investor"].iri == ent["customer"].iri else f"{investor}, which controls {customer}{via('investor>customer')},"
    if ent["investee"].iri == ent["supplier"].iri:
        return f"{customer} buys compute from {supplier}, while {holder} holds a stake in {supplier}."
    return f"{customer} buys compute from {supplier}, while {holder} holds a stake in {investee}, which controls {supplier}{via('investee>supplier')}."


def _investor_supplies_rival(n, ent, ev, via) -> str:
    investor, investee, supplier, rival = (n[role] for role in ("investor", "investee", "supplier", "rival"))
    if ent["investor"].iri == ent["supplier"].iri:
        return f"{investor} invests in {investee} and sells compute to {rival}, a rival of {investee}."
    return f"{investor} invests in {investee} and controls {supplier}{via('investor>supplier')}, which sells compute to {rival}, a rival of {investee}."


#: Explanations a template cannot give (they depend on which roles coincide), by bundled rule id.
EXPLAINERS: dict[str, Callable] = {
    "competitor-controlled-supplier": _competitor_controlled_supplier,
    "investor-supplier-overlap": _investor_supplier_overlap,
    "investor-controls-rival": _investor_controls_rival,
    "founder-defection": _founder_defection,
    "customer-stake-in-supplier": _customer_stake_in_supplier,
    "investor-supplies-rival": _investor_supplies_rival,
}
