"""Every IRI kg mints or reads, and the ontology's terms the code relies on, defined once.

Data, queries and code agree because they all take their namespaces, claim
types and statuses from here.
"""

from __future__ import annotations

from typing import NamedTuple

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS

ONTOLOGY_IRI = "https://w3id.org/ai-compute-kg/ontology"
KG = Namespace(ONTOLOGY_IRI + "#")
#: The derived vocabulary the conflict rules read (kg.derive computes it; never mixed into data).
KGR = Namespace("https://w3id.org/ai-compute-kg/derived#")
#: Entities are ``DATA + id``; claims ``CLAIM + slug``; sources ``SOURCE + slug``.
DATA = Namespace("https://w3id.org/ai-compute-kg/data/")
CLAIM = Namespace(str(DATA) + "claim/")
SOURCE = Namespace(str(DATA) + "source/")
#: The published address of kg's JSON-LD context; resolved to the bundled file, never fetched.
CONTEXT_IRI = "https://w3id.org/ai-compute-kg/context.jsonld"
#: Where blank nodes pushed to a server get their IRIs (what rdflib's skolemize gives).
GENID = "https://w3id.org/ai-compute-kg/genid/"

#: The named graphs kg keeps apart from the user's data in a store.
ONTOLOGY_GRAPH = "urn:kg:ontology"
DERIVED_GRAPH = "urn:kg:derived"
#: kg's record of a store's last load (what, when, whether it completed); never read as data.
LOAD_GRAPH = "urn:kg:load"
#: The ontology's shortcut properties inferred from the claims (``--infer``), kept out of the data.
SHORTCUTS_GRAPH = "urn:kg:shortcuts"
#: Where ``kg push`` keeps its locks and the temporary graphs it swaps in, on a server.
PUSH = "urn:kg:push:"

DCTERMS_TITLE = DCTERMS.title
DCTERMS_DESCRIPTION = DCTERMS.description

PREFIXES = {
    "kg": KG,
    "kgd": DATA,
    "claim": CLAIM,
    "src": SOURCE,
}
#: The prefixes a query may use without declaring them (kg's own and the W3C ones).
QUERY_PREFIXES = {
    **{prefix: str(namespace) for prefix, namespace in PREFIXES.items()},
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
}


def bind_prefixes(graph) -> None:
    """Give a graph kg's prefixes so its serializations read well."""
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True)
    graph.bind("dcterms", "http://purl.org/dc/terms/")


class ClaimType(NamedTuple):
    """A claim class with its two roles: who does it (subject) to whom (object)."""

    cls: URIRef
    subject_role: URIRef
    object_role: URIRef
    verb: str  # reads "subject VERB object" in explanations


CLAIM_TYPES = {
    KG.Founding: ClaimType(KG.Founding, KG.founder, KG.foundedOrganization, "founded"),
    KG.Control: ClaimType(KG.Control, KG.controller, KG.controlledEntity, "controls"),
    KG.Investment: ClaimType(KG.Investment, KG.investor, KG.investee, "invests in"),
    KG.Ownership: ClaimType(KG.Ownership, KG.owner, KG.ownedEntity, "owns part of"),
    KG.ComputeContract: ClaimType(KG.ComputeContract, KG.customer, KG.supplier, "buys compute from"),
    KG.Rivalry: ClaimType(KG.Rivalry, KG.partyA, KG.partyB, "competes with"),
    KG.Affiliation: ClaimType(KG.Affiliation, KG.affiliate, KG.affiliatedOrganization, "works for"),
    KG.Departure: ClaimType(KG.Departure, KG.departingAgent, KG.departedOrganization, "departed"),
}
#: Claims that happen on a date (and never end) rather than hold over a period.
EVENT_TYPES = frozenset({KG.Founding, KG.Departure})

#: Statuses from weakest to strongest; a denied claim is never evidence.
STATUS_ORDER = ("denied", "rumored", "reported", "confirmed")
STATUS_IRIS = {name: KG[name.capitalize()] for name in STATUS_ORDER}
STATUS_NAMES = {iri: name for name, iri in STATUS_IRIS.items()}


def status_rank(name: str) -> int:
    return STATUS_ORDER.index(name)


#: Deal stages from the earliest to the furthest; a terminated deal never counts, whatever else.
STAGE_ORDER = ("proposed", "agreed", "active", "completed")
TERMINATED = "terminated"
STAGE_IRIS = {name: KG[name.capitalize()] for name in (*STAGE_ORDER, TERMINATED)}
STAGE_NAMES = {iri: name for name, iri in STAGE_IRIS.items()}

#: A share as BODS gives it: exact, or between inclusive or exclusive bounds (percentages).
SHARE_PROPERTIES = {
    "exact": KG.shareExact,
    "minimum": KG.shareMinimum,
    "maximum": KG.shareMaximum,
    "exclusiveMinimum": KG.shareExclusiveMinimum,
    "exclusiveMaximum": KG.shareExclusiveMaximum,
}
#: The claims a share may qualify; an ownership or investment is a control link when its share reaches the threshold.
SHARE_CLASSES = (KG.Ownership, KG.Control, KG.Investment)
#: What a share is known to reach at least: its exact value (a stake is one), its minimum or its exclusive minimum.
SHARE_FLOOR_PROPERTIES = (KG.shareExact, KG.stake, KG.shareMinimum, KG.shareExclusiveMinimum)
#: Every property that gives a share, with the BODS key it stands for (an investment's stake is an exact share).
SHARE_KEYS = {**{prop: key for key, prop in SHARE_PROPERTIES.items()}, KG.stake: "exact"}
DEFAULT_CONTROL_THRESHOLD = 50

#: The kinds of an affiliation; board seats and officers' posts are the ties the interlock rules read.
AFFILIATION_KINDS = {"board_seat": KG.BoardSeat, "officer": KG.Officer, "employee": KG.Employee, "advisor": KG.Advisor}
#: What the ``kind`` of a claim row names: an affiliation's kind, or a rivalry's (a feud is personal or legal).
RIVALRY_KINDS = {"market": KG.MarketRivalry, "personal": KG.PersonalRivalry, "legal": KG.LegalRivalry}
CLAIM_KIND_NAMES = {iri: name for name, iri in {**AFFILIATION_KINDS, **RIVALRY_KINDS}.items()}
FEUD_KINDS = frozenset({"personal", "legal"})
#: The affiliations that place a person at the head of an organization: a board seat or an officer's role.
DIRECTING_KINDS = frozenset({"board_seat", "officer"})
#: How an affiliation of a kind reads in a sentence ("works for" when it is of none of these).
AFFILIATION_VERBS = {"board_seat": "sits on the board of", "officer": "is an officer of", "advisor": "advises"}


def claim_verb(claim_type: str, kinds=()) -> str:
    """How a claim reads, "subject VERB object": an affiliation by its kind (a board seat never
    reads as employment), and a feud that is no market rivalry as a feud."""
    if claim_type == "Affiliation":
        for kind, verb in AFFILIATION_VERBS.items():
            if kind in kinds:
                return verb
    if claim_type == "Rivalry" and set(kinds) & FEUD_KINDS and "market" not in kinds:
        return "feuds with"
    return CLAIM_TYPES[KG[claim_type]].verb


#: The qualifiers an amount may carry, as kg:amountQualifier holds them, and the words that say them.
AMOUNT_QUALIFIERS = {"upTo": "up to", "about": "about", "atLeast": "at least"}

#: The agent types of the model, in the order kg writes them (spreadsheets, legends).
AGENT_TYPE_NAMES = (
    "Person", "Organization", "AILab", "CloudProvider", "ComputeProvider", "ChipMaker", "Investor",
    "LaunchProvider", "SatelliteOperator", "EnergyProvider", "SovereignWealthFund", "TelecomCompany",
)
#: Classes whose instances are agents, the ontology's root class included.
AGENT_CLASSES = (KG.Agent, *(KG[name] for name in AGENT_TYPE_NAMES))
#: Ontology individuals that are terms of the model (statuses, control bases...), not data.
TERM_CLASS_NAMES = ("ClaimStatus", "ControlBasis", "RivalryKind", "DepartureManner", "InterestType", "AffiliationKind", "DealStage")
