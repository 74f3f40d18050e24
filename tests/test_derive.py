"""The Oxigraph path derives the rules' edges in SPARQL; it must read claims exactly as Python does.

``kg.derive.claim_states`` (Python, for rdflib and endpoints) and
``kg.derive.in_store_edge_queries`` (SPARQL, inside Oxigraph) are two readings
of the same claims. These tests throw awkward claims at both (partial, invalid
and padded dates, several values where one is expected, denied and mixed
statuses, as-of dates on the boundaries) and require the same edges and the
same findings. Every entity is fictional.
"""

from __future__ import annotations

import json
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import RDF, XSD, BNode, Graph, Literal

from kg.vocab import AFFILIATION_KINDS, CLAIM_TYPES, RIVALRY_KINDS, STATUS_IRIS
from kg.conflicts.engine import find_conflicts
from kg.conflicts.report import findings_document
from kg.vocab import CLAIM, DATA, KG, SOURCE
from kg.derive import ControlGraph, claim_states, derive_facts, in_store_edge_queries
from kg.vocab import KGR
from kg.backends.base import Backend
from kg.backends.memory import MemoryBackend
from kg.backends.oxigraph import OxigraphBackend

AGENTS = [f"fictional-{name}" for name in ("a", "b", "c", "d", "e")]
DATE_TEXTS = [
    "2024", "2025", "2023-06", "2024-06", "2024-07", "2024-06-30", "2024-07-01", "2024-06-29", "2024-12-31",
    "2023-02-29", "2024-02-29", "2024-04-31", "2024-13", "2024-00", "0000", "0001", " 2024", "2024 ",
    "２０２４", "2024-6", "20245", "", "abcd", "2024-06-01T00:00:00", "2024-06-30Z",
    # dates with a time, as the reasoner profile of kg export writes them: read as their day
    "2024-06-30T23:59:59", "2024-07-01T00:00:00", "2024-12-31T23:59:59Z", "2024-06T00:00:00", "2024-02-30T00:00:00", "2024-06-30T",
]
AS_OF = [date(2024, 6, 30), date(2024, 7, 1), date(2024, 12, 31), date(2025, 1, 1), date(2024, 2, 29), date(2023, 6, 15)]
CLASSES = list(CLAIM_TYPES)


def a_date():
    """A date literal as data carries it: plain, or typed where the text fits the type."""
    return st.sampled_from(DATE_TEXTS).flatmap(
        lambda text: st.sampled_from(
            [Literal(text)] + ([Literal(text, datatype={4: XSD.gYear, 7: XSD.gYearMonth, 10: XSD.date, 19: XSD.dateTime}[len(text)])]
                               if len(text) in (4, 7, 10, 19) and text.strip() == text and text[:4].isascii() and text[:4].isdigit() else [])
        )
    )


@st.composite
def claims_graph(draw):
    graph = Graph()
    for index in range(draw(st.integers(1, 14))):
        cls = draw(st.sampled_from(CLASSES))
        claim_type = CLAIM_TYPES[cls]
        node = CLAIM[f"fictional-claim-{index}"]
        graph.add((node, RDF.type, cls))
        for role in (claim_type.subject_role, claim_type.object_role):
            for agent in draw(st.lists(st.sampled_from(AGENTS), min_size=1, max_size=2, unique=True)):
                graph.add((node, role, DATA[agent]))
        for prop in (KG.startDate, KG.endDate):
            for value in draw(st.lists(a_date(), max_size=2)):
                graph.add((node, prop, value))
        # Kinds decide kgr:directs (board seat, officer) and kgr:competesWith (no feud): none, one or two.
        kind_prop = {KG.Affiliation: KG.affiliationKind, KG.Rivalry: KG.rivalryKind}.get(cls)
        if kind_prop is not None:
            kinds = list(AFFILIATION_KINDS.values()) if cls == KG.Affiliation else list(RIVALRY_KINDS.values())
            for kind in draw(st.lists(st.sampled_from(kinds), max_size=2, unique=True)):
                graph.add((node, kind_prop, kind))
        for status in draw(st.lists(st.sampled_from(list(STATUS_IRIS.values())), max_size=3)):
            attestation = BNode()
            graph.add((node, KG.attestation, attestation))
            graph.add((attestation, KG.source, SOURCE["fictional-source"]))
            graph.add((attestation, KG.status, status))
    for agent in AGENTS:
        graph.add((DATA[agent], RDF.type, KG.Person if agent.endswith("e") else KG.AILab))
    return graph


def oxigraph_copy(graph: Graph) -> OxigraphBackend:
    source = OxigraphBackend()
    source.add_graph(graph)
    return source


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(claims_graph(), st.sampled_from(AS_OF), st.sampled_from(["rumored", "reported", "confirmed"]))
def test_sparql_edges_are_the_python_edges(graph, as_of, min_status):
    states = claim_states(MemoryBackend(graph), as_of=as_of, min_status=min_status)
    python_edges = {edge for edge in derive_facts(states, ControlGraph(states)) if edge[1] != KGR.controls}

    derived = oxigraph_copy(graph).constructed(in_store_edge_queries(as_of, min_status))
    store_triples = set(derived.select("SELECT ?s ?p ?o WHERE { ?s ?p ?o }")[1])
    assert {t for t in store_triples if t[1] not in (KGR.controls, RDF.type)} == python_edges
    # ... every agent of an edge controls itself, which the rules rely on ...
    agents = {node for s, _, o in python_edges for node in (s, o)}
    assert {t for t in store_triples if t[1] == KGR.controls} == {(a, KGR.controls, a) for a in agents}
    # ... and the agents' kg types come along (rules test ``?x a kg:AILab``), not the claims'.
    assert {t for t in store_triples if t[1] == RDF.type} == set(graph.triples((None, RDF.type, KG.AILab))) | set(
        graph.triples((None, RDF.type, KG.Person))
    )


class SparqlOnly(Backend):
    """The SPARQL reading endpoints get (VALUES blocks), run here on Oxigraph without HTTP."""

    name = "sparql-only"

    def __init__(self, store: OxigraphBackend) -> None:
        self.store = store

    def select(self, query: str):
        return self.store.select(query)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(claims_graph(), st.sampled_from(AS_OF), st.data())
def test_claims_read_for_some_agent_pairs_read_as_they_do_whole(graph, as_of, data):
    """The evidence read: a claim found through one of its pairs is the claim read whole,
    even with two subjects (its smallest subject first, not the pair that found it)."""
    combos = sorted(
        (cls, s, o)
        for cls, claim_type in CLAIM_TYPES.items()
        for claim in graph.subjects(RDF.type, cls)
        for s in graph.objects(claim, claim_type.subject_role)
        for o in graph.objects(claim, claim_type.object_role)
    )
    chosen = data.draw(st.lists(st.sampled_from(combos), unique=True) if combos else st.just([]))
    pairs: dict = {}
    for cls, s, o in chosen:
        pairs.setdefault(cls, set()).add((s, o))
    whole = {state.iri: state for state in claim_states(MemoryBackend(graph), as_of=as_of, min_status="rumored")}
    wanted = {(state.cls, state.subject, state.object) for state in whole.values()} & set(chosen)
    store = oxigraph_copy(graph)
    for source in (MemoryBackend(graph), store, SparqlOnly(store)):
        read = claim_states(source, as_of=as_of, min_status="rumored", pairs=pairs)
        assert all(state == whole[state.iri] for state in read), source.name
        assert wanted <= {(state.cls, state.subject, state.object) for state in read}, source.name


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(claims_graph(), st.sampled_from(AS_OF), st.sampled_from(["rumored", "reported"]))
def test_findings_are_the_same_in_memory_and_in_oxigraph(graph, as_of, min_status):
    def document(source):
        return json.dumps(findings_document(find_conflicts(source, as_of=as_of, min_status=min_status), as_of=as_of, min_status=min_status))

    assert document(oxigraph_copy(graph)) == document(MemoryBackend(graph))


def test_conflicts_leave_the_store_as_it_was(tmp_path):
    """A store on disk is the user's: kg conflicts only reads it."""
    from kg.backends.open import open_backend

    source = open_backend([], store="oxigraph", store_path=tmp_path / "store")
    before = set(source.store)
    assert find_conflicts(source, as_of="2026-01-01")
    assert set(source.store) == before


def test_change_dates_are_where_claims_begin_and_the_day_after_they_end():
    from graph_builder import GraphBuilder

    from kg.analysis.history import change_dates

    b = GraphBuilder()
    b.contract("fictional-lab", "fictional-cloud", start="2024", end="2024-06")  # 2024-01-01 .. 2024-06-30
    b.control("fictional-fund", "fictional-cloud", start="2023-03-15")
    b.rivalry("fictional-lab", "fictional-rival")  # undated: changes nothing
    b.contract("fictional-lab", "fictional-other", start="2022", status="denied")  # does not count
    expected = [date(2023, 3, 15), date(2024, 1, 1), date(2024, 7, 1)]
    assert change_dates(b.graph) == expected
    assert change_dates(oxigraph_copy(b.graph)) == expected
