"""Planters for the rules about people: ``founder-defection`` (a person who left an
organization and then founded, controls or directs a rival of it) and ``interlocking-directorate`` (a
person with a board seat or an officer's role at two organizations that compete)."""

from __future__ import annotations

from kg.synth.forms import DEAL_FORMS, EVERYWHERE, NEAR_MISS_FORM, chain, iri
from kg.synth.writer import OFFICER_TITLES
from kg.vocab import AFFILIATION_KINDS, KG, RIVALRY_KINDS

#: The tie to the rival: a chain of control links in the form, or (where the form fires everywhere, so the
#: finding does not hang on the chain) a founding, a board seat or an officer's role.
DEFECTION_VARIANTS = ("chain", "founding", "board_seat", "officer")
_DIRECT_TIES = DEFECTION_VARIANTS[1:]
#: The rival tie began before the tie to the former organization; a feud, no rivalry; a mere job at the rival.
DEFECTION_NEAR = ("rival-first", "feud", "employee-at-rival")

#: The two posts of an interlock; "sisters": two seats at rival labs that one parent controls (neither controls the other).
INTERLOCK_VARIANTS = ("two-seats", "seat-and-officer", "two-officers", "sisters")
#: The second post's stage is the form: in force, proposed or terminated.
INTERLOCK_FORMS = DEAL_FORMS
#: The second seat ended; the second post is a job; one lab controls the other (through a chain); the labs'
#: only rivalry is one lab's subsidiary's; the labs only feud.
INTERLOCK_NEAR = ("seat-ended", "employee", "subsidiary", "subsidiary-rivalry", "feud")


def _post(w, rng, person, org, kind, *, start, end=None, stage=None):
    """An affiliation of ``kind`` (a key of AFFILIATION_KINDS), titled as a source would word it."""
    title = {"board_seat": "board member", "officer": rng.choice(OFFICER_TITLES), "employee": "engineer", "advisor": "advisor"}[kind]
    w.claim(KG.Affiliation, person, org, start=start, end=end, stage=stage, roleTitle=title, affiliationKind=AFFILIATION_KINDS[kind])


def _market(rng):
    """A market rivalry, said so or left unsaid (both are rivalries for the rules; a feud is not)."""
    return rng.choice((RIVALRY_KINDS["market"], None))


def _feud(rng):
    return RIVALRY_KINDS[rng.choice(("personal", "legal"))]


def plant_founder_defection(w, rng, tag, form, clouds, variant):
    """The person founded or held a post (of any kind, ended since) at the former lab from 2015–2017, left it
    on bad terms in 2019, and from 2019 on controls the new lab through a chain, or founded it, or holds a
    board seat or an officer's role there: the tie to the rival does not begin before the tie to the former
    lab. Near misses: the tie to the rival came first (2015–2016, the tie to the former 2017–2018); the two
    labs only feud; the person merely works at the rival."""
    p = f"fd-{tag}"
    former, rival = w.agent(f"{p}-former", "AILab", f"FD former lab {tag}"), w.agent(f"{p}-new", "AILab", f"FD new lab {tag}")
    person = w.agent(f"{p}-person", "Person", f"FD person {tag}")
    first = variant == "rival-first"
    if first:
        _rival_tie(w, rng, person, rival, rng.choice(_DIRECT_TIES), start=w.year(2015, 2016))
    if not first and rng.random() < 0.4:
        # A founding without a date is an undated tie, which always passes the order of ties.
        w.claim(KG.Founding, person, former, start=w.year(2015, 2017) if rng.random() < 0.8 else None)
    else:
        # Ended, so that no post at the former lab is in force beside one at its rival (an interlock).
        kind = rng.choice(tuple(AFFILIATION_KINDS))
        _post(w, rng, person, former, kind, start=w.year(2017, 2018) if first else w.year(2015, 2017), end="2019")
    w.claim(KG.Departure, person, former, start="2019", departureManner=KG.Acrimonious)
    if variant == "employee-at-rival":
        _post(w, rng, person, rival, "employee", start=w.year(2019, 2023))
    elif not first and variant in _DIRECT_TIES and form.fires == EVERYWHERE:
        _rival_tie(w, rng, person, rival, variant, start=w.year(2019, 2023))
    elif not first:
        chain(w, rng, person, rival, p, form, years=(2019, 2022))
    w.claim(KG.Rivalry, rival, former, start="2020", rivalryKind=_feud(rng) if variant == "feud" else _market(rng))
    return {"person": person, "former": former, "rival": rival}


def _rival_tie(w, rng, person, rival, kind, *, start):
    if kind == "founding":
        w.claim(KG.Founding, person, rival, start=start)
    else:
        _post(w, rng, person, rival, kind, start=start)


def plant_interlocking_directorate(w, rng, tag, form, clouds, variant):
    """Two rival labs and one person with a board seat or an officer's role at each, both in force; the
    second post in the form's stage. Near misses in ``INTERLOCK_NEAR``."""
    p = f"idr-{tag}"
    a, b = w.agent(f"{p}-a", "AILab", f"IDR lab A {tag}"), w.agent(f"{p}-b", "AILab", f"IDR lab B {tag}")
    person = w.agent(f"{p}-person", "Person", f"IDR director {tag}")
    kinds = {"two-seats": ("board_seat", "board_seat"), "seat-and-officer": ("board_seat", "officer"), "two-officers": ("officer", "officer")}
    first, second = kinds.get(variant) or (rng.choice(("board_seat", "officer")), rng.choice(("board_seat", "officer")))
    _post(w, rng, person, a, first, start=w.year(2016, 2023))
    if variant == "seat-ended":
        _post(w, rng, person, b, "board_seat", start=w.year(2016, 2021), end="2022")
    elif variant == "employee":
        _post(w, rng, person, b, "employee", start=w.year(2016, 2023))
    else:
        _post(w, rng, person, b, second, start=w.year(2016, 2023), stage=form.stage)
    if variant == "sisters":
        parent = w.agent(f"{p}-parent", "Organization", f"IDR parent {tag}")
        for lab in (a, b):
            w.claim(KG.Control, parent, lab, start=w.year(2015, 2020), controlBasis=KG.Shareholding)
    if variant == "subsidiary":
        chain(w, rng, *rng.sample((a, b), 2), p, NEAR_MISS_FORM)
    if variant == "subsidiary-rivalry":
        unit = w.agent(f"{p}-a-unit", "AILab", f"IDR lab A unit {tag}")
        w.claim(KG.Control, a, unit, start=w.year(2015, 2020), controlBasis=KG.Shareholding)
        w.claim(KG.Rivalry, unit, b, start=w.year(), rivalryKind=_market(rng))
    else:
        w.claim(KG.Rivalry, a, b, start=w.year(), rivalryKind=_feud(rng) if variant == "feud" else _market(rng))
    org, rival = sorted((a, b), key=iri)
    return {"person": person, "org": org, "rival": rival}
