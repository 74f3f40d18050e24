"""Ownership as control (issue 15): the control threshold's boundaries, chains of holdings and deal
stages, read alike in rdflib, in Oxigraph and on an Oxigraph server. Every entity is fictional.

The scene: Kite AI buys compute from Harbor Cloud; Ivy Park controls Sable AI, a rival of Kite AI,
and holds a share of Harbor Cloud (directly or through Holdco). ``competitor-controlled-supplier``
fires exactly when that share makes Ivy Park Harbor Cloud's controller.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from rdflib import Literal

import servers
from graph_builder import GraphBuilder
from kg.backends.endpoint import EndpointBackend
from kg.backends.memory import MemoryBackend
from kg.backends.oxigraph import OxigraphBackend
from kg.conflicts.engine import find_conflicts
from kg.conflicts.report import findings_document
from kg.derive import ControlGraph, Reading, claim_states
from kg.errors import UsageError
from kg.push import push
from kg.vocab import DATA, KG

AS_OF = "2025-06-30"
RULE = "competitor-controlled-supplier"

loopback_only = pytest.fixture(autouse=True)(servers.loopback_only)


def scene(*holdings: tuple[str, str, dict], stage: str | None = None) -> GraphBuilder:
    """The scene above, with Ivy Park's holdings given as (owner, asset, share) ownership claims."""
    b = GraphBuilder()
    b.agent("kite-ai", "AILab")
    b.agent("sable-ai", "AILab")
    b.agent("harbor-cloud", "CloudProvider")
    b.agent("holdco", "Organization")
    b.agent("ivy-park", "Person")
    b.contract("kite-ai", "harbor-cloud", start="2024", stage=stage)
    b.rivalry("sable-ai", "kite-ai", start="2023")
    b.control("ivy-park", "sable-ai", start="2022")
    for owner, asset, share in holdings:
        b.ownership(owner, asset, start="2023", share=share)
    return b


def fires(findings) -> bool:
    return any(f.rule == RULE and f.entities["controller"].iri == str(DATA["ivy-park"]) for f in findings)


# Each boundary of DESIGN section 4: a share counts when its exact value, minimum or exclusive
# minimum reaches the threshold; a maximum alone never does.
BOUNDARIES = [
    pytest.param({"exact": 50}, 50, True, id="exact-50-at-50"),
    pytest.param({"exact": Decimal("49.99")}, 50, False, id="exact-49.99-at-50"),
    pytest.param({"exclusiveMinimum": 50}, 50, True, id="more-than-50-at-50"),
    pytest.param({"exclusiveMinimum": 50}, Decimal("50.01"), False, id="more-than-50-at-50.01"),
    pytest.param({"minimum": 25, "maximum": 50}, 25, True, id="range-25-50-at-25"),
    pytest.param({"minimum": 25, "maximum": 50}, 50, False, id="range-25-50-at-50"),
    pytest.param({"maximum": 100}, 1, False, id="at-most-100-at-1"),
    pytest.param({"exact": 100}, 100, True, id="exact-100-at-100"),
    pytest.param({}, 1, False, id="no-share"),
]


@pytest.mark.parametrize("share, threshold, expected", BOUNDARIES)
def test_an_ownership_is_a_control_link_when_its_share_reaches_the_threshold(share, threshold, expected):
    graph = scene(("ivy-park", "harbor-cloud", share)).graph
    for source in (MemoryBackend(graph), oxigraph_copy(graph)):
        assert fires(find_conflicts(source, as_of=AS_OF, control_threshold=threshold)) is expected


@pytest.mark.parametrize("threshold, expected", [(50, True), (51, True), (Decimal("51.01"), False), (60, False)])
def test_a_two_hop_ownership_chain_reaches_control_when_every_link_does(threshold, expected):
    # Ivy Park holds 60% of Holdco, which holds 51% of Harbor Cloud: control runs down the chain
    # of majorities (not the 30.6% look-through share, which is what `kg owners` reports).
    graph = scene(("ivy-park", "holdco", {"exact": 60}), ("holdco", "harbor-cloud", {"exact": 51})).graph
    findings = find_conflicts(MemoryBackend(graph), as_of=AS_OF, control_threshold=threshold)
    assert fires(findings) is expected
    if expected:
        (finding,) = [f for f in findings if f.rule == RULE]
        assert "(through Holdco)" in finding.explanation
        assert [(e.type, e.subject.label, e.object.label) for e in finding.evidence if e.type == "Ownership"] == [
            ("Ownership", "Ivy Park", "Holdco"),
            ("Ownership", "Holdco", "Harbor Cloud"),
        ]


def test_an_investments_stake_is_a_share_too():
    b = scene()
    node = b.investment("ivy-park", "harbor-cloud", start="2023")
    b.graph.add((node, KG.stake, Literal(Decimal(50))))
    assert fires(find_conflicts(b.graph, as_of=AS_OF))
    assert not fires(find_conflicts(b.graph, as_of=AS_OF, control_threshold=75))


def test_a_control_claim_is_a_link_whatever_share_it_carries():
    b = scene()
    b.claim(KG.Control, "ivy-park", "harbor-cloud", start="2023", share={"exact": 10})
    assert fires(find_conflicts(b.graph, as_of=AS_OF, control_threshold=90))


def test_an_ownership_below_the_threshold_still_counts_as_an_investment():
    # Harbor Cloud owns 2% of Kite AI, its customer: far from control, but a stake all the same.
    b = scene()
    b.ownership("harbor-cloud", "kite-ai", start="2023", share={"exact": 2})
    findings = find_conflicts(b.graph, as_of=AS_OF)
    overlap = [f for f in findings if f.rule == "investor-supplier-overlap"]
    assert [(f.entities["investor"].label, f.entities["customer"].label) for f in overlap] == [("Harbor Cloud", "Kite Ai")]
    assert "Ownership" in {e.type for e in overlap[0].evidence}


@pytest.mark.parametrize("value", ["0", "-5", "100.5", "abc", "nan", "inf"])
def test_a_threshold_outside_0_to_100_is_an_error(value):
    with pytest.raises(UsageError, match="control_threshold"):
        find_conflicts(scene().graph, as_of=AS_OF, control_threshold=value)


# --- deal stages -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stage, min_stage, expected",
    [
        (None, "completed", True),  # a claim with no stage counts at every minimum
        ("proposed", "proposed", True),
        ("proposed", "agreed", False),
        ("active", "agreed", True),
        ("completed", "completed", True),
        ("terminated", "proposed", False),  # never counts
    ],
)
def test_deal_stages_count_from_the_minimum_and_a_terminated_deal_never(stage, min_stage, expected):
    graph = scene(("ivy-park", "harbor-cloud", {"exact": 80}), stage=stage).graph
    for source in (MemoryBackend(graph), oxigraph_copy(graph)):
        assert fires(find_conflicts(source, as_of=AS_OF, min_stage=min_stage)) is expected


def test_a_proposed_deal_is_said_to_be_proposed_in_the_explanation_and_the_evidence():
    findings = find_conflicts(scene(("ivy-park", "harbor-cloud", {"exact": 80}), stage="proposed").graph, as_of=AS_OF)
    (finding,) = [f for f in findings if f.rule == RULE]
    assert finding.explanation.endswith('The deal "Kite Ai buys compute from Harbor Cloud" is only proposed (a letter of intent or memorandum).')
    (contract,) = [e for e in finding.evidence if e.type == "ComputeContract"]
    assert contract.stage == "proposed"
    completed = find_conflicts(scene(("ivy-park", "harbor-cloud", {"exact": 80}), stage="completed").graph, as_of=AS_OF)
    assert "proposed" not in next(f for f in completed if f.rule == RULE).explanation


def test_a_terminated_ownership_is_no_control_link():
    b = scene()
    b.ownership("ivy-park", "harbor-cloud", start="2023", share={"exact": 80}, stage="terminated")
    states = claim_states(b.graph, as_of=Reading.of(AS_OF).as_of, min_status="rumored")
    assert DATA["harbor-cloud"] not in ControlGraph(states).reachable(DATA["ivy-park"])


# --- every backend alike, a server included ----------------------------------------------------


def oxigraph_copy(graph) -> OxigraphBackend:
    store = OxigraphBackend()
    store.add_graph(graph)
    return store


@pytest.fixture(scope="module")
def server(oxigraph_server):
    return oxigraph_server


CASES = {
    "exact-50": [("ivy-park", "harbor-cloud", {"exact": 50})],
    "more-than-50": [("ivy-park", "harbor-cloud", {"exclusiveMinimum": 50})],
    "range-25-50": [("ivy-park", "harbor-cloud", {"minimum": 25, "maximum": 50})],
    "two-hop": [("ivy-park", "holdco", {"exact": 60}), ("holdco", "harbor-cloud", {"exact": 51})],
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("threshold", [25, 50])
def test_findings_are_the_same_in_memory_in_oxigraph_and_on_a_server(case, threshold, server, tmp_path):
    graph = scene(*CASES[case]).graph
    data = tmp_path / "scene.ttl"
    graph.serialize(data, format="turtle")
    name = f"urn:test:{case}:{threshold}"
    push([data], server, graph=name, control_threshold=threshold, as_of=AS_OF)

    def document(source) -> str:
        findings = find_conflicts(source, as_of=AS_OF, control_threshold=threshold)
        return json.dumps(findings_document(findings, as_of=AS_OF, min_status="rumored", control_threshold=threshold), sort_keys=True)

    in_memory = document(MemoryBackend(graph))
    assert json.loads(in_memory)["control_threshold"] == threshold
    assert document(oxigraph_copy(graph)) == in_memory
    assert document(EndpointBackend(server, graph=name)) == in_memory
    expected = case != "range-25-50" or threshold == 25
    assert (f'"rule": "{RULE}"' in in_memory) is expected
