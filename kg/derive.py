"""Facts derived from claim nodes for one as-of date and minimum status.

The conflict rules must not depend on a reasoner, on dates compared in SPARQL,
or on how long a control chain is. So before querying, kg derives, into a graph
of its own (never mixed into the data), binary edges between agents for the
claims that count, each from claims whose best non-denied attestation reaches
the minimum status:

- ``kgr:buysComputeFrom``, ``kgr:investsIn``, ``kgr:competesWith`` (both
  directions): contracts, investments and rivalries in force at the as-of date;
- ``kgr:founded``, ``kgr:workedFor``, ``kgr:departed``: foundings, affiliations
  and departures that had begun by then (an affiliation that has ended since
  still counts: founder-defection is about having left);
- ``kgr:controls``: the reflexive-transitive closure of the control claims in
  force, computed once in Python, so cycles terminate and no query walks a
  path (Oxigraph joins ``controls+`` super-linearly; bench/results.md).

The rules join these edges; ``kg.conflicts`` then finds the claims behind each
edge for the evidence. Dates: a year or year-month is its first day as a start
and its last day as an end; a missing bound, or one that is not exactly
``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` in ASCII digits (a time after the
day, ``YYYY-MM-DDT...``, is ignored), is open. Events
(founding, departure) count from their date on and never end.

There are two readings of the claims, held to the same edges by
tests/test_derive.py: ``claim_states`` in Python (rdflib graphs),
and ``in_store_edge_queries``, SPARQL that Oxigraph or an endpoint runs on its own data so
that 10^6 claims never become Python objects.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass
from typing import NamedTuple
from datetime import date
from decimal import Decimal, InvalidOperation

from rdflib import Graph, URIRef

from kg.backends.open import as_backend
from kg.claims import decimal_value
from kg.dates import date_bound, parse_as_of
from kg.errors import UsageError, arg
from kg.identity import Identity
from kg.vocab import (
    CLAIM_KIND_NAMES,
    CLAIM_TYPES,
    DIRECTING_KINDS,
    FEUD_KINDS,
    DEFAULT_CONTROL_THRESHOLD,
    EVENT_TYPES,
    KG,
    KGR,
    STAGE_IRIS,
    STAGE_NAMES,
    STAGE_ORDER,
    STATUS_NAMES,
    STATUS_ORDER,
    TERMINATED,
    status_rank,
)


def check_min_status(value: str | None) -> str:
    name = (value or "rumored").strip().lower()
    if name not in STATUS_ORDER or name == "denied":
        allowed = ", ".join(s for s in STATUS_ORDER if s != "denied")
        raise UsageError(f"unknown {arg('min_status')} {value!r}; expected one of {allowed}")
    return name


def check_min_stage(value: str | None) -> str:
    name = (value or STAGE_ORDER[0]).strip().lower()
    if name not in STAGE_ORDER:
        raise UsageError(f"unknown {arg('min_stage')} {value!r}; expected one of {', '.join(STAGE_ORDER)}")
    return name


def check_control_threshold(value) -> Decimal:
    """The control threshold, a percentage in (0, 100]: an ownership whose share reaches it is control."""
    try:
        threshold = Decimal(str(DEFAULT_CONTROL_THRESHOLD if value is None else value).strip())
    except InvalidOperation:
        threshold = None
    if threshold is None or not threshold.is_finite() or not 0 < threshold <= 100:
        raise UsageError(f"invalid {arg('control_threshold')} {value!r}; expected a percentage above 0 and at most 100")
    return threshold


@dataclass(frozen=True)
class Reading:
    """What decides which claims count: the as-of date, the weakest status, the earliest deal
    stage, and the share from which an ownership is control (docs/rules.md says how the rules read them)."""

    as_of: date
    min_status: str = "rumored"
    min_stage: str = STAGE_ORDER[0]
    control_threshold: Decimal = Decimal(DEFAULT_CONTROL_THRESHOLD)

    @classmethod
    def of(cls, as_of=None, min_status=None, min_stage=None, control_threshold=None) -> "Reading":
        """A reading from what a user gives, each value checked (an error names the one that is wrong)."""
        return cls(parse_as_of(as_of), check_min_status(min_status), check_min_stage(min_stage), check_control_threshold(control_threshold))




@dataclass(frozen=True)
class ClaimState:
    """A claim as the rules see it at one as-of date."""

    iri: URIRef
    cls: URIRef
    subject: URIRef | None
    object: URIRef | None
    status: str  # best non-denied status
    begun: bool
    holds: bool
    start: str | None = None  # as written in the data
    end: str | None = None
    stage: str | None = None  # the earliest stage its data gives, None when it gives none
    #: The least the claim's share is known to reach: its exact share, its minimum or its exclusive
    #: minimum (the greatest of those given); None without one. Decides whether it is a control link.
    share_floor: Decimal | None = None
    #: An affiliation's kinds (board_seat, officer, employee, advisor) or a rivalry's (market, personal,
    #: legal): kg.vocab.CLAIM_KIND_NAMES; empty when the data gives none.
    kinds: frozenset = frozenset()


def claim_states(
    backend, *, as_of: date, min_status: str, min_stage: str = STAGE_ORDER[0], classes=None, pairs=None, identity=None
) -> list[ClaimState]:
    """Every claim that counts: its best non-denied attestation reaches ``min_status``, and its
    deal stage is not terminated nor earlier than ``min_stage``; with its timing and share.

    ``backend`` is an rdflib graph or any backend; every backend answers the
    same claim rows, so every backend sees the same claims.
    ``classes`` limits the claim classes read; ``pairs`` (class -> (subject,
    object) pairs) reads only the claims between those agents, for evidence.
    Agents that share an identifier are one agent (``kg.identity``): each claim
    names the agent kept; ``identity`` is the one to use (default: the backend's).
    """
    backend = as_backend(backend)
    identity = Identity.of(backend) if identity is None else identity
    minimum = status_rank(min_status)
    earliest = STAGE_ORDER.index(check_min_stage(min_stage))
    states = []
    for cls in classes or CLAIM_TYPES:
        claim_type = CLAIM_TYPES[cls]
        if pairs is None:
            rows = backend.claim_rows(cls, claim_type.subject_role, claim_type.object_role)
        elif pairs.get(cls):
            wanted = identity.expand_pairs(pairs[cls]) if identity else pairs[cls]
            rows = backend.claim_rows(cls, claim_type.subject_role, claim_type.object_role, pairs=wanted)
        else:
            continue
        states += _states_from_rows(cls, identity.rows(rows), as_of, minimum, earliest)
    return sorted(states, key=lambda state: str(state.iri))


def _states_from_rows(cls, rows, as_of: date, minimum: int, earliest: int = 0) -> list[ClaimState]:
    """Group claim rows (one per attestation) into states; ``in_store_edges`` mirrors this in SPARQL."""
    claims: dict[URIRef, dict] = {}
    for claim, subject, obj, start, end, status, stage, share, kind in rows:
        entry = claims.setdefault(
            claim,
            {"subject": set(), "object": set(), "start": set(), "end": set(), "ranks": set(), "stages": set(), "shares": set(), "kinds": set()},
        )
        entry["subject"].add(subject)
        entry["object"].add(obj)
        if start is not None:
            entry["start"].add(str(start))
        if end is not None:
            entry["end"].add(str(end))
        if status in STATUS_NAMES and STATUS_NAMES[status] != "denied":
            entry["ranks"].add(status_rank(STATUS_NAMES[status]))
        if stage in STAGE_NAMES:
            entry["stages"].add(STAGE_NAMES[stage])
        if (value := decimal_value(share)) is not None:
            entry["shares"].add(value)
        if kind in CLAIM_KIND_NAMES:
            entry["kinds"].add(CLAIM_KIND_NAMES[kind])
    states = []
    for claim, entry in claims.items():
        if not entry["ranks"] or max(entry["ranks"]) < minimum:
            continue
        # A terminated deal never counts; one stage earlier than the minimum makes it too early.
        if TERMINATED in entry["stages"] or any(STAGE_ORDER.index(stage) < earliest for stage in entry["stages"]):
            continue
        # Several values where one is expected (SHACL flags them): take the smallest, stably.
        start_text, end_text = _first(entry["start"]), _first(entry["end"])
        start = date_bound(start_text, end=False) if start_text else None
        end = date_bound(end_text, end=True) if end_text else None
        # An unreadable date is treated as open here; `kg validate` reports it.
        begun = start is None or start <= as_of
        holds = begun and (cls in EVENT_TYPES or end is None or as_of <= end)
        states.append(
            ClaimState(
                iri=claim,
                cls=cls,
                subject=min(entry["subject"], key=str),
                object=min(entry["object"], key=str),
                status=STATUS_ORDER[max(entry["ranks"])],
                begun=begun,
                holds=holds,
                start=start_text,
                end=end_text,
                stage=min(entry["stages"], key=STAGE_ORDER.index) if entry["stages"] else None,
                share_floor=max(entry["shares"]) if entry["shares"] else None,
                kinds=frozenset(entry["kinds"]),
            )
        )
    return states


def _first(values: set[str]) -> str | None:
    return min(values) if values else None


#: Claims that are a control link when their share reaches the control threshold.
THRESHOLD_LINKS = frozenset({KG.Ownership, KG.Investment})
#: The claims that may be control links: read whole before the closure is computed.
LINK_CLASSES = frozenset({KG.Control} | THRESHOLD_LINKS)


def is_control_link(state: ClaimState, control_threshold: Decimal) -> bool:
    """A control claim in force, whatever its share; an ownership or investment in force whose share
    (exact, minimum or exclusive minimum) reaches the threshold."""
    if not state.holds or state.subject is None or state.object is None:
        return False
    if state.cls == KG.Control:
        return True
    return state.cls in THRESHOLD_LINKS and state.share_floor is not None and state.share_floor >= control_threshold


class ControlGraph:
    """The control links that hold, for closures and for explaining chains."""

    def __init__(self, states: list[ClaimState], control_threshold=DEFAULT_CONTROL_THRESHOLD):
        threshold = check_control_threshold(control_threshold)
        self.links: dict[URIRef, dict[URIRef, ClaimState]] = defaultdict(dict)
        #: Every claim in force behind each link, for the evidence: a link may rest on several.
        self.claims: dict[tuple[URIRef, URIRef], list[ClaimState]] = defaultdict(list)
        # Control claims first: of a control and an ownership behind one link, chains show the control.
        for state in sorted(states, key=lambda s: (s.cls != KG.Control, -status_rank(s.status), str(s.iri))):
            if is_control_link(state, threshold):
                # Chains walk the best-supported claim of each link: strongest status, then IRI.
                self.links[state.subject].setdefault(state.object, state)
                self.claims[(state.subject, state.object)].append(state)

    def reachable(self, start: URIRef) -> dict[URIRef, int]:
        """Everything ``start`` controls (itself included) with the fewest links to it."""
        distance = {start: 0}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for child in self.links.get(node, ()):
                if child not in distance:
                    distance[child] = distance[node] + 1
                    queue.append(child)
        return distance

    def chain(self, start: URIRef, goal: URIRef) -> list[ClaimState] | None:
        """The claims of a shortest control path (ties broken by IRI); [] when start is goal."""
        if start == goal:
            return []
        previous: dict[URIRef, ClaimState] = {}
        seen = {start}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for child in sorted(self.links.get(node, ()), key=str):
                if child in seen:
                    continue
                seen.add(child)
                previous[child] = self.links[node][child]
                if child == goal:
                    path = []
                    while child != start:
                        path.append(previous[child])
                        child = previous[child].subject
                    return path[::-1]
                queue.append(child)
        return None


def closure_edges(control: ControlGraph) -> list[tuple[URIRef, URIRef, URIRef]]:
    """``kgr:controls`` from each controller to all it controls through chains, itself left out."""
    controls = KGR.controls
    return [(top, controls, below) for top in control.links for below in control.reachable(top) if below != top]


class DerivedEdge(NamedTuple):
    """An edge of the derived vocabulary: made by each claim of ``cls`` that is in force (``holds``) or
    has begun (``begun``), and of the right kind where ``kinds`` says (see ``kind_ok``)."""

    cls: URIRef
    edge: URIRef
    needs: str  # "holds" or "begun"
    kinds: str = ""  # "directing": a board seat or an officer's role; "market": a rivalry that is no feud


DERIVED_EDGES = (
    DerivedEdge(KG.ComputeContract, KGR.buysComputeFrom, "holds"),
    DerivedEdge(KG.ComputeContract, KGR.pays, "holds"),
    DerivedEdge(KG.Investment, KGR.investsIn, "holds"),
    DerivedEdge(KG.Investment, KGR.pays, "holds"),
    DerivedEdge(KG.Ownership, KGR.investsIn, "holds"),
    DerivedEdge(KG.Ownership, KGR.pays, "holds"),
    DerivedEdge(KG.Rivalry, KGR.competesWith, "holds", "market"),
    DerivedEdge(KG.Founding, KGR.founded, "begun"),
    DerivedEdge(KG.Affiliation, KGR.workedFor, "begun"),
    DerivedEdge(KG.Affiliation, KGR.directs, "holds", "directing"),
    DerivedEdge(KG.Departure, KGR.departed, "begun"),
)
#: Edges that hold both ways, whichever party the claim names first.
SYMMETRIC_EDGES = frozenset({KGR.competesWith})


#: The kind names each ``DerivedEdge.kinds`` asks for.
EDGE_KINDS = {"": frozenset(), "directing": DIRECTING_KINDS, "market": frozenset({"market"})}


def kind_ok(kinds: str, state_kinds: frozenset) -> bool:
    """Whether a claim of these kinds makes an edge that asks for ``kinds``: a board seat or officer's
    role for "directing"; for "market", a rivalry that is not a feud (no kind given, or market)."""
    return kinds_match(EDGE_KINDS[kinds], state_kinds)


def kinds_match(wanted: frozenset, state_kinds: frozenset) -> bool:
    """Whether a claim of kinds ``state_kinds`` is of one of the ``wanted`` kinds (any, when none is wanted).

    A rivalry with no kind is a market rivalry, and one that is both a feud and a market rivalry is
    one too; evidence specs (``Affiliation[board_seat,officer](a,b)``) match claims the same way.
    """
    if not wanted:
        return True
    if "market" in wanted and (not (state_kinds & FEUD_KINDS) or "market" in state_kinds):
        return True
    return bool(state_kinds & wanted)


def derive_facts(states: list[ClaimState], control: ControlGraph) -> list[tuple[URIRef, URIRef, URIRef]]:
    """The derived triples the rule queries read beside the data (kept apart from it)."""
    derived: set[tuple[URIRef, URIRef, URIRef]] = set()
    agents: set[URIRef] = set()
    for state in states:
        if state.subject is None or state.object is None:
            continue
        agents.update((state.subject, state.object))
        for cls, edge, needs, kinds in DERIVED_EDGES:
            if cls == state.cls and (state.holds if needs == "holds" else state.begun) and kind_ok(kinds, state.kinds):
                derived.add((state.subject, edge, state.object))
                if edge in SYMMETRIC_EDGES:
                    derived.add((state.object, edge, state.subject))
    for agent in agents:
        for controlled in control.reachable(agent):
            derived.add((agent, KGR.controls, controlled))
    return list(derived)  # order does not matter: findings are grouped and sorted afterwards


#: A readable date (what ``date_bound`` accepts), tested in SPARQL on a plain string ``{x}``.
_SPARQL_READABLE_DATE = (
    'REGEX({x}, "^[0-9]{{4}}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$") && {x} >= "0001" '
    "&& (STRLEN({x}) != 10 || COALESCE(DATATYPE(xsd:date({x})) = xsd:date, false))"
)


#: ``kind_ok`` in SPARQL (one pattern per EXISTS: Oxigraph is slow on more).
_SPARQL_KINDS = {
    "": "",
    "directing": "?claim kg:affiliationKind ?kind . FILTER (?kind IN (kg:BoardSeat, kg:Officer))",
    "market": "FILTER (NOT EXISTS { ?claim kg:rivalryKind ?feud FILTER (?feud IN (kg:PersonalRivalry, kg:LegalRivalry)) } "
    "|| EXISTS { ?claim kg:rivalryKind kg:MarketRivalry })",
}


def in_store_edge_queries(as_of: date, min_status: str, *, min_stage: str = STAGE_ORDER[0], agent_types: bool = True) -> list[str]:
    """SPARQL CONSTRUCTs giving ``derive_facts``'s edges inside a store, but for the control closure.

    Each also gives ``kgr:controls`` from every agent of an edge to itself (the
    reflexive part of the closure the rules need; Python adds the rest), and,
    with ``agent_types``, a last one gives the agents' kg types, which rules
    test (``?x a kg:AILab``), for a store that lacks the data.

    The same reading of claims as ``claim_states``, without moving them to Python:
    a claim counts if one of its attestations reaches ``min_status`` and none of its
    stages is terminated or earlier than ``min_stage``; of several subjects, objects
    or dates the smallest is taken; a partial date is compared
    by its prefix (``2024-06`` has begun by ``2024-06-30`` and lasts until it),
    which is what first and last days give; an unreadable date is open. No
    aggregate and no EXISTS over two patterns: Oxigraph is slow on both.
    """
    allowed = ", ".join(f"kg:{name.capitalize()}" for name in STATUS_ORDER[status_rank(min_status):] if name != "denied")
    day = as_of.isoformat()
    too_early = [STAGE_IRIS[TERMINATED], *(STAGE_IRIS[name] for name in STAGE_ORDER[: STAGE_ORDER.index(check_min_stage(min_stage))])]
    stage_ok = f"FILTER NOT EXISTS {{ ?claim kg:stage ?stage FILTER (?stage IN ({', '.join(iri.n3() for iri in too_early)})) }}"
    start_ok = f'?start = "" || !({_SPARQL_READABLE_DATE.format(x="?start")}) || ?start <= SUBSTR("{day}", 1, STRLEN(?start))'
    end_ok = f'?end = "" || !({_SPARQL_READABLE_DATE.format(x="?end")}) || SUBSTR("{day}", 1, STRLEN(?end)) <= ?end'
    queries = []
    groups: dict[tuple, list[URIRef]] = {}  # one query per claim class, need and kind: its edges in one template
    for cls, edge, needs, kinds in DERIVED_EDGES:
        groups.setdefault((cls, needs, kinds), []).append(edge)
    for (cls, needs, kinds), edges in groups.items():
        claim_type = CLAIM_TYPES[cls]
        subject_role, object_role = claim_type.subject_role.n3(), claim_type.object_role.n3()
        template = " ".join(
            f"?subject {edge.n3()} ?object ." + (f" ?object {edge.n3()} ?subject ." if edge in SYMMETRIC_EDGES else "") for edge in edges
        )
        template += f" ?subject {KGR.controls.n3()} ?subject . ?object {KGR.controls.n3()} ?object ."
        queries.append(
            f"""PREFIX kg: <{KG}>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
CONSTRUCT {{ {template} }}
WHERE {{
  ?claim a {cls.n3()} ; {subject_role} ?subject ; {object_role} ?object ; kg:attestation ?attestation .
  ?attestation kg:status ?status .
  FILTER (?status IN ({allowed}))
  {stage_ok}
  {_SPARQL_KINDS[kinds]}
  FILTER NOT EXISTS {{ ?claim {subject_role} ?otherSubject FILTER (STR(?otherSubject) < STR(?subject)) }}
  FILTER NOT EXISTS {{ ?claim {object_role} ?otherObject FILTER (STR(?otherObject) < STR(?object)) }}
  OPTIONAL {{ ?claim kg:startDate ?startValue FILTER NOT EXISTS {{ ?claim kg:startDate ?earlier FILTER (STR(?earlier) < STR(?startValue)) }} }}
  OPTIONAL {{ ?claim kg:endDate ?endValue FILTER NOT EXISTS {{ ?claim kg:endDate ?earlier FILTER (STR(?earlier) < STR(?endValue)) }} }}
  BIND (COALESCE(STR(?startValue), "") AS ?startText)
  BIND (COALESCE(STR(?endValue), "") AS ?endText)
  BIND (IF(SUBSTR(?startText, 11, 1) = "T", SUBSTR(?startText, 1, 10), ?startText) AS ?start)
  BIND (IF(SUBSTR(?endText, 11, 1) = "T", SUBSTR(?endText, 1, 10), ?endText) AS ?end)
  FILTER ({start_ok})
  {f"FILTER ({end_ok})" if needs == "holds" else ""}
}}"""
        )
    if not agent_types:
        return queries
    not_agents = ", ".join(
        cls.n3() for cls in [*CLAIM_TYPES, KG.Claim, KG.Attestation, KG.Source, KG.ClaimStatus, KG.Identifier, KG.DealStage]
    )
    queries.append(
        f"""CONSTRUCT {{ ?agent a ?type }}
WHERE {{ ?agent a ?type . FILTER (STRSTARTS(STR(?type), "{KG}") && ?type NOT IN ({not_agents})) }}"""
    )
    return queries


def derived_graph(triples) -> Graph:
    """The derived triples as an rdflib graph (for rdflib's engine, or to push)."""
    graph = Graph()
    graph.bind("kgr", KGR)
    for triple in triples:
        graph.add(triple)
    return graph
