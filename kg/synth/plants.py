"""What ``kg synth`` plants: for each bundled conflict rule, small structures that make one finding
of it (and of no other) under known settings, their control links written in one of several forms;
and near misses, which make none. The rules about compute and rivals are planted here; money rules
in ``kg.synth.money``, people in ``kg.synth.people``. ``PLANTERS`` lists them all."""

from __future__ import annotations

from kg.synth.forms import CONTROL_FORMS, DEAL_FORMS, Planter, chain, iri, stake_in
from kg.synth.money import (
    CUSTOMER_STAKE_NEAR, CYCLE_NEAR, CYCLE_VARIANTS, RELATED_PARTY_NEAR, SUPPLIES_RIVAL_NEAR, plant_circular_financing,
    plant_customer_stake_in_supplier, plant_investor_supplies_rival, plant_related_party_deal,
)
from kg.synth.people import (
    DEFECTION_NEAR, DEFECTION_VARIANTS, INTERLOCK_FORMS, INTERLOCK_NEAR, INTERLOCK_VARIANTS, plant_founder_defection,
    plant_interlocking_directorate,
)
from kg.vocab import KG


def _plant_competitor_controlled_supplier(w, rng, tag, form, clouds, variant):
    p = f"ccs-{tag}"
    lab, rival = w.agent(f"{p}-lab", "AILab", f"CCS lab {tag}"), w.agent(f"{p}-rival", "AILab", f"CCS rival {tag}")
    supplier = w.agent(f"{p}-cloud", "CloudProvider", f"CCS cloud {tag}")
    boss = w.agent(f"{p}-boss", "Person", f"CCS owner {tag}")
    chain(w, rng, boss, supplier, f"{p}-s", form)
    chain(w, rng, boss, rival, f"{p}-r", form)
    w.claim(KG.ComputeContract, lab, supplier, start=w.year())
    w.claim(KG.ComputeContract, lab, rng.choice(clouds), start=w.year())
    w.claim(KG.Rivalry, rival, lab, start=w.year())
    return {"customer": lab, "supplier": supplier, "controller": boss, "rival": rival}


def _plant_investor_supplier_overlap(w, rng, tag, form, clouds, variant):
    p = f"iso-{tag}"
    lab = w.agent(f"{p}-lab", "AILab", f"ISO lab {tag}")
    investor = w.agent(f"{p}-investor", "Investor", f"ISO investor {tag}")
    supplier = w.agent(f"{p}-cloud", "CloudProvider", f"ISO cloud {tag}")
    chain(w, rng, investor, supplier, p, form)
    stake_in(w, rng, investor, lab)
    w.claim(KG.ComputeContract, lab, supplier, start=w.year())
    w.claim(KG.ComputeContract, lab, rng.choice(clouds), start=w.year())
    return {"investor": investor, "customer": lab, "supplier": supplier}


def _plant_investor_controls_rival(w, rng, tag, form, clouds, variant):
    p = f"icr-{tag}"
    lab, rival = w.agent(f"{p}-lab", "AILab", f"ICR lab {tag}"), w.agent(f"{p}-rival", "AILab", f"ICR rival {tag}")
    investor = w.agent(f"{p}-investor", "Investor", f"ICR investor {tag}")
    # Owning the rival directly would also be investing in it, and so in two rivals: a second finding.
    chain(w, rng, investor, rival, p, form, min_hops=0 if form.cls == KG.Control else 1)
    stake_in(w, rng, investor, lab)
    w.claim(KG.Rivalry, lab, rival, start=w.year())
    return {"investor": investor, "investee": lab, "rival": rival}


def _plant_single_supplier(w, rng, tag, form, clouds, variant):
    lab = w.agent(f"ssd-{tag}-lab", "AILab", f"SSD lab {tag}")
    cloud = rng.choice(clouds)
    w.claim(KG.ComputeContract, lab, cloud, start=w.year(), stage=form.stage)
    w.claim(KG.ComputeContract, lab, cloud, start=w.year(), stage=form.stage)  # a second contract, same supplier
    return {"customer": lab, "supplier": cloud}


def _plant_investor_in_rivals(w, rng, tag, form, clouds, variant):
    p = f"iir-{tag}"
    a, b = w.agent(f"{p}-a", "AILab", f"IIR lab A {tag}"), w.agent(f"{p}-b", "AILab", f"IIR lab B {tag}")
    investor = w.agent(f"{p}-investor", "Investor", f"IIR investor {tag}")
    stake_in(w, rng, investor, a)
    stake_in(w, rng, investor, b, stage=form.stage)
    w.claim(KG.Rivalry, b, a, start=w.year())
    investee, rival = sorted((a, b), key=iri)
    return {"investor": investor, "investee": investee, "rival": rival}


#: For each bundled conflict rule, its planter. Planted in this order, so a seed's graph stays the same.
PLANTERS = {
    "competitor-controlled-supplier": Planter(_plant_competitor_controlled_supplier, CONTROL_FORMS, ("customer", "supplier", "rival")),
    "investor-supplier-overlap": Planter(_plant_investor_supplier_overlap, CONTROL_FORMS, ("investor", "customer", "supplier")),
    "investor-controls-rival": Planter(_plant_investor_controls_rival, CONTROL_FORMS, ("investor", "investee", "rival")),
    "founder-defection": Planter(plant_founder_defection, CONTROL_FORMS, ("person", "former", "rival"), DEFECTION_VARIANTS, DEFECTION_NEAR),
    "single-supplier-dependency": Planter(_plant_single_supplier, DEAL_FORMS, ("customer", "supplier")),
    "investor-in-rivals": Planter(_plant_investor_in_rivals, DEAL_FORMS, ("investor", "investee", "rival")),
    "customer-stake-in-supplier": Planter(
        plant_customer_stake_in_supplier, CONTROL_FORMS, ("customer", "supplier"), near=CUSTOMER_STAKE_NEAR
    ),
    "circular-financing": Planter(
        plant_circular_financing, (("plain",) + CONTROL_FORMS[0], CONTROL_FORMS[1]), ("a", "b", "c", "d"), CYCLE_VARIANTS, CYCLE_NEAR
    ),
    "related-party-deal": Planter(plant_related_party_deal, CONTROL_FORMS, ("payer", "payee"), near=RELATED_PARTY_NEAR),
    "investor-supplies-rival": Planter(
        plant_investor_supplies_rival, CONTROL_FORMS, ("investor", "investee", "rival"), near=SUPPLIES_RIVAL_NEAR
    ),
    "interlocking-directorate": Planter(
        plant_interlocking_directorate, INTERLOCK_FORMS, ("person", "org", "rival"), INTERLOCK_VARIANTS, INTERLOCK_NEAR
    ),
}
