"""Rule pack 2.0 (issue 16): the five new rules and the refined founder-defection, clause by clause.

Every expectation below is written by hand from DESIGN section 4 and checked on
rdflib and on Oxigraph alike; every entity is fictional.
"""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES
from graph_builder import GraphBuilder

from kg.backends.endpoint import EndpointBackend
from kg.backends.memory import MemoryBackend
from kg.backends.oxigraph import OxigraphBackend
from kg.conflicts.engine import find_conflicts
from kg.conflicts.report import findings_document
from kg.io.load import load_graph
from kg.push import push
from kg.vocab import DATA

AS_OF = "2025-06-30"


def oxigraph_copy(graph) -> OxigraphBackend:
    store = OxigraphBackend()
    store.add_graph(graph)
    return store


def findings(builder: GraphBuilder, rule: str, **kw):
    """The rule's findings on rdflib, after checking that Oxigraph gives exactly the same document."""
    kw.setdefault("as_of", AS_OF)
    in_memory = find_conflicts(MemoryBackend(builder.graph), rules=[rule], **kw)
    in_store = find_conflicts(oxigraph_copy(builder.graph), rules=[rule], **kw)
    assert [f.to_dict() for f in in_store] == [f.to_dict() for f in in_memory]
    return in_memory


def roles(builder: GraphBuilder, rule: str, **kw) -> list[dict]:
    """Each finding as {role: id}."""
    return [{role: entity.id for role, entity in f.entities.items()} for f in findings(builder, rule, **kw)]


def evidence(finding) -> list[tuple]:
    return [(e.type, e.subject.id, e.object.id) for e in finding.evidence]


# --- customer-stake-in-supplier ----------------------------------------------------------------


def test_customer_stake_fires_when_the_customer_owns_part_of_its_supplier():
    b = GraphBuilder()
    b.contract("lab", "chipco")
    b.ownership("lab", "chipco", share={"maximum": 10})
    assert roles(b, "customer-stake-in-supplier") == [{"customer": "lab", "supplier": "chipco", "investor": "lab", "investee": "chipco"}]


def test_customer_stake_reads_through_the_controllers_of_both_sides():
    b = GraphBuilder()
    b.contract("lab", "chipco")
    b.control("parent", "lab")
    b.investment("parent", "chip-holding")
    b.control("chip-holding", "chipco")
    [finding] = findings(b, "customer-stake-in-supplier")
    assert {r: e.id for r, e in finding.entities.items()} == {"customer": "lab", "supplier": "chipco", "investor": "parent", "investee": "chip-holding"}
    assert evidence(finding) == [
        ("ComputeContract", "lab", "chipco"), ("Control", "parent", "lab"), ("Investment", "parent", "chip-holding"),
        ("Control", "chip-holding", "chipco"),
    ]
    assert finding.explanation == (
        "Lab buys compute from Chipco, while Parent, which controls Lab, holds a stake in Chip Holding, which controls Chipco."
    )


def test_customer_stake_is_none_when_the_investor_controls_the_supplier():
    b = GraphBuilder()
    b.contract("lab", "chipco")
    b.ownership("lab", "chipco", share={"exact": 60})  # a control link at the default threshold of 50
    assert roles(b, "customer-stake-in-supplier") == []
    assert roles(b, "customer-stake-in-supplier", control_threshold=75)[0]["investee"] == "chipco"


def test_customer_stake_reports_the_fewest_links_then_the_smaller_iris():
    b = GraphBuilder()
    b.contract("lab", "chipco")
    b.control("parent", "lab")
    b.investment("parent", "chipco")  # 1 link
    b.investment("lab", "holding-b")  # 1 link
    b.investment("lab", "holding-a")  # 1 link, smaller investee IRI than holding-b, and investor lab < parent
    b.control("holding-a", "chipco")
    b.control("holding-b", "chipco")
    assert roles(b, "customer-stake-in-supplier") == [{"customer": "lab", "supplier": "chipco", "investor": "lab", "investee": "holding-a"}]
    b.investment("lab", "chipco")  # 0 links: one finding still, now the direct stake
    assert roles(b, "customer-stake-in-supplier") == [{"customer": "lab", "supplier": "chipco", "investor": "lab", "investee": "chipco"}]


def test_customer_stake_ignores_a_terminated_contract():
    b = GraphBuilder()
    b.contract("lab", "chipco", stage="terminated")
    b.investment("lab", "chipco")
    assert roles(b, "customer-stake-in-supplier") == []


# --- circular-financing -------------------------------------------------------------------------


def test_a_three_cycle_of_money_is_one_finding_written_from_the_smallest_iri():
    b = GraphBuilder()
    b.contract("charlie", "alpha")  # written in no particular order
    b.investment("alpha", "bravo")
    b.ownership("bravo", "charlie")
    [finding] = findings(b, "circular-financing")
    assert {r: e.id for r, e in finding.entities.items()} == {"a": "alpha", "b": "bravo", "c": "charlie"}
    assert evidence(finding) == [("Investment", "alpha", "bravo"), ("Ownership", "bravo", "charlie"), ("ComputeContract", "charlie", "alpha")]
    assert finding.explanation == (
        "Money goes round between separately controlled parties: Alpha invests in Bravo, Bravo owns part of Charlie, Charlie buys compute from Alpha."
    )


def test_a_two_cycle_is_no_circular_financing():
    b = GraphBuilder()
    b.investment("alpha", "bravo")
    b.contract("bravo", "alpha")
    assert roles(b, "circular-financing") == []


def test_a_cycle_inside_one_control_group_is_none():
    b = GraphBuilder()
    b.investment("alpha", "bravo")
    b.ownership("bravo", "charlie")
    b.contract("charlie", "alpha")
    b.control("alpha", "bravo")
    b.control("charlie", "alpha")
    assert roles(b, "circular-financing") == []
    b2 = GraphBuilder()  # two of three in one group: the group cycle has two steps, no finding either
    b2.investment("alpha", "bravo")
    b2.ownership("bravo", "charlie")
    b2.contract("charlie", "alpha")
    b2.control("bravo", "charlie")
    assert roles(b2, "circular-financing") == []


def test_a_four_cycle_meets_through_a_control_link_and_shows_it():
    b = GraphBuilder()
    b.investment("alpha", "bravo-unit")
    b.control("bravo", "bravo-unit")  # bravo-unit is in bravo's group; bravo pays on
    b.contract("bravo", "charlie")
    b.investment("charlie", "delta")
    b.contract("delta", "alpha")
    [finding] = findings(b, "circular-financing")
    assert {r: e.id for r, e in finding.entities.items()} == {"a": "alpha", "b": "bravo", "c": "charlie", "d": "delta"}
    assert evidence(finding) == [
        ("Investment", "alpha", "bravo-unit"), ("Control", "bravo", "bravo-unit"), ("ComputeContract", "bravo", "charlie"),
        ("Investment", "charlie", "delta"), ("ComputeContract", "delta", "alpha"),
    ]
    assert "Alpha invests in Bravo Unit (in Bravo's control group), Bravo buys compute from Charlie" in finding.explanation


def test_cycles_are_directed_and_each_is_one_finding_with_the_smallest_edges():
    b = GraphBuilder()
    for payer, payee in (("alpha", "bravo"), ("bravo", "charlie"), ("charlie", "alpha")):
        b.investment(payer, payee)
    for payer, payee in (("alpha", "charlie"), ("charlie", "bravo"), ("bravo", "alpha")):
        b.contract(payer, payee)
    b.control("alpha", "alpha-unit")
    b.contract("alpha-unit", "bravo")  # a second way from alpha's group to bravo's: alpha < alpha-unit
    found = roles(b, "circular-financing")
    assert sorted(tuple(f.values()) for f in found) == [("alpha", "bravo", "charlie"), ("alpha", "charlie", "bravo")]


def test_an_ended_money_edge_breaks_the_cycle():
    b = GraphBuilder()
    b.investment("alpha", "bravo")
    b.ownership("bravo", "charlie")
    b.contract("charlie", "alpha", start="2020", end="2024")
    assert roles(b, "circular-financing") == []
    assert len(roles(b, "circular-financing", as_of="2023-01-01")) == 1


def test_the_circular_deals_fixture_gives_the_findings_expected_by_hand():
    graph = load_graph([FIXTURES / "circular-deals"])
    found = find_conflicts(MemoryBackend(graph), as_of="2026-01-01")
    assert [f.to_dict() for f in find_conflicts(oxigraph_copy(graph), as_of="2026-01-01")] == [f.to_dict() for f in found]
    by_rule = sorted((f.rule, tuple(e.id for e in f.entities.values())) for f in found)
    assert by_rule == [
        ("circular-financing", ("northwind-labs", "orbital-data", "vertex-silicon")),
        ("customer-stake-in-supplier", ("northwind-labs", "halcyon-chips", "northwind-labs", "halcyon-chips")),
        ("customer-stake-in-supplier", ("vertex-silicon", "cumulus-cloud", "vertex-silicon", "cumulus-cloud")),
        ("investor-supplier-overlap", ("vertex-silicon", "northwind-labs", "vertex-silicon")),
    ]
    for finding in found:
        for item in finding.evidence:
            assert [s.title for s in item.sources] == ["The Fictional Ledger (invented for kg's tests)"], (finding.rule, item)
    cycle = next(f for f in found if f.rule == "circular-financing")
    assert "is only proposed (a letter of intent or memorandum)" in cycle.explanation


# --- related-party-deal -------------------------------------------------------------------------


def test_a_deal_between_two_companies_one_person_controls_is_a_related_party_deal():
    b = GraphBuilder()
    b.agent("owner", "Person")
    b.control("owner", "rocketco")
    b.control("owner", "labco")
    b.investment("rocketco", "labco")
    [finding] = findings(b, "related-party-deal")
    assert {r: e.id for r, e in finding.entities.items()} == {"controller": "owner", "payer": "rocketco", "payee": "labco"}
    assert finding.explanation == "Owner controls both Rocketco and Labco, and money goes from Rocketco to Labco."


def test_no_related_party_deal_when_the_payer_controls_the_payee():
    b = GraphBuilder()
    b.control("owner", "rocketco")
    b.control("rocketco", "labco")
    b.investment("rocketco", "labco")
    assert roles(b, "related-party-deal") == []


def test_related_party_reports_the_controller_with_fewest_links_then_smallest_iri():
    b = GraphBuilder()
    b.control("owner", "rocketco")
    b.control("owner", "labco")
    b.control("aa-trust", "aa-holding")
    b.control("aa-holding", "rocketco")  # aa-trust: 2 + 2 links, more than owner's 1 + 1
    b.control("aa-holding", "labco")  # aa-holding: 1 + 1 links, as owner, and a smaller IRI
    b.contract("rocketco", "labco")
    b.investment("rocketco", "labco")  # a contract and an investment: still one finding
    assert roles(b, "related-party-deal") == [{"controller": "aa-holding", "payer": "rocketco", "payee": "labco"}]


# --- investor-supplies-rival --------------------------------------------------------------------


def test_an_investors_cloud_selling_to_the_investees_rival():
    b = GraphBuilder()
    b.investment("bigcorp", "lab-a")
    b.rivalry("lab-a", "lab-b")
    b.control("bigcorp", "cloud")
    b.contract("lab-b", "cloud")
    [finding] = findings(b, "investor-supplies-rival")
    assert {r: e.id for r, e in finding.entities.items()} == {"investor": "bigcorp", "investee": "lab-a", "supplier": "cloud", "rival": "lab-b"}
    assert finding.explanation == "Bigcorp invests in Lab A and controls Cloud, which sells compute to Lab B, a rival of Lab A."


def test_investor_supplies_rival_exclusions():
    def world(**extra) -> GraphBuilder:
        b = GraphBuilder()
        b.investment("bigcorp", "lab-a")
        b.rivalry("lab-a", "lab-b", kind=extra.get("kind"))
        b.contract("lab-b", "bigcorp")
        for controller, controlled in extra.get("controls", ()):
            b.control(controller, controlled)
        return b

    assert roles(world(), "investor-supplies-rival") == [{"investor": "bigcorp", "investee": "lab-a", "supplier": "bigcorp", "rival": "lab-b"}]
    assert roles(world(controls=[("bigcorp", "lab-a")]), "investor-supplies-rival") == []  # it controls the investee
    assert roles(world(controls=[("bigcorp", "lab-b")]), "investor-supplies-rival") == []  # it controls the rival
    assert roles(world(kind="legal"), "investor-supplies-rival") == []  # a lawsuit makes no rivals


def test_investor_supplies_rival_reports_the_nearest_supplier_then_the_smaller_iri():
    b = GraphBuilder()
    b.investment("bigcorp", "lab-a")
    b.rivalry("lab-a", "lab-b")
    b.control("bigcorp", "cloud-holding")
    b.control("cloud-holding", "cloud-deep")  # 2 links
    b.control("bigcorp", "cloud-z")  # 1 link
    b.control("bigcorp", "cloud-y")  # 1 link, smaller IRI
    for supplier in ("cloud-deep", "cloud-z", "cloud-y"):
        b.contract("lab-b", supplier)
    assert roles(b, "investor-supplies-rival") == [{"investor": "bigcorp", "investee": "lab-a", "supplier": "cloud-y", "rival": "lab-b"}]


# --- interlocking-directorate -------------------------------------------------------------------


def interlock(**kw) -> GraphBuilder:
    b = GraphBuilder()
    b.agent("ann", "Person")
    b.affiliation("ann", "org-b", kind=kw.get("kind_b", "board_seat"), end=kw.get("end_b"))
    b.affiliation("ann", "org-a", kind=kw.get("kind_a", "officer"))
    b.rivalry("org-b", "org-a")
    return b


def test_one_person_directing_two_competitors_is_an_interlock_with_the_smaller_iri_as_org():
    [finding] = findings(interlock(), "interlocking-directorate")
    assert {r: e.id for r, e in finding.entities.items()} == {"person": "ann", "org": "org-a", "rival": "org-b"}
    assert evidence(finding) == [("Affiliation", "ann", "org-a"), ("Affiliation", "ann", "org-b"), ("Rivalry", "org-b", "org-a")]
    assert finding.severity == "high"


def test_no_interlock_for_an_ended_board_seat_or_an_employee():
    assert roles(interlock(end_b="2024-12"), "interlocking-directorate") == []
    assert roles(interlock(kind_b="employee"), "interlocking-directorate") == []
    assert roles(interlock(kind_a="advisor"), "interlocking-directorate") == []


def test_no_interlock_when_one_controls_the_other_or_only_a_subsidiary_competes():
    b = interlock()
    b.control("org-a", "org-b")
    assert roles(b, "interlocking-directorate") == []
    b = GraphBuilder()
    b.affiliation("ann", "org-a", kind="board_seat")
    b.affiliation("ann", "org-b", kind="board_seat")
    b.control("org-b", "org-c")
    b.rivalry("org-a", "org-c")  # the rivalry is the subsidiary's, not org-b's
    assert roles(b, "interlocking-directorate") == []


def test_several_seats_give_one_interlock_per_person_and_pair():
    b = interlock()
    b.affiliation("ann", "org-a", kind="board_seat")
    b.affiliation("ann", "org-b", kind="officer")
    b.rivalry("org-a", "org-b")
    assert roles(b, "interlocking-directorate") == [{"person": "ann", "org": "org-a", "rival": "org-b"}]


# --- founder-defection, refined -----------------------------------------------------------------


def defection(former_tie: dict, rival_ties: list[tuple]) -> GraphBuilder:
    """person's tie to lab-one (``former_tie``), a departure, ties to lab-two; lab-one competes with lab-two."""
    b = GraphBuilder()
    b.agent("person", "Person")
    b.affiliation("person", "lab-one", **former_tie)
    b.departure("person", "lab-one", start="2025-02")
    for kind, kw in rival_ties:
        getattr(b, kind)("person", "lab-two", **kw)
    b.rivalry("lab-one", "lab-two")
    return b


def test_founding_the_rival_years_before_joining_the_former_is_no_defection():
    # The Schulman-like case, fictional: lab-two founded in 2015, lab-one joined in 2024 and left in 2025.
    b = defection({"start": "2024-08", "end": "2025-02"}, [("founding", {"start": "2015-12"})])
    assert roles(b, "founder-defection") == []
    b.affiliation("person", "lab-two", start="2015-12", end="2024-08", kind="employee")  # and worked there before
    b.departure("person", "lab-two", start="2024-08")
    assert roles(b, "founder-defection") == []  # an employee's tie to lab-one is no tie to a rival


def test_founding_the_rival_after_leaving_is_a_defection():
    b = defection({"start": "2016", "end": "2025-02"}, [("founding", {"start": "2025-03"})])
    [finding] = findings(b, "founder-defection")
    assert {r: e.id for r, e in finding.entities.items()} == {"person": "person", "former": "lab-one", "rival": "lab-two"}


def test_a_board_seat_or_officer_role_at_the_rival_counts_an_employees_does_not():
    b = defection({"start": "2016"}, [("affiliation", {"start": "2025-04", "kind": "board_seat"})])
    [finding] = findings(b, "founder-defection")
    assert finding.explanation == (
        "Person worked for Lab One, departed it, and holds a board seat or an officer's role at Lab Two, a rival of Lab One."
    )
    assert roles(defection({"start": "2016"}, [("affiliation", {"start": "2025-04", "kind": "employee"})]), "founder-defection") == []
    ended = defection({"start": "2016"}, [("affiliation", {"start": "2025-04", "end": "2025-05", "kind": "officer"})])
    assert roles(ended, "founder-defection") == []


@pytest.mark.parametrize(
    "former_start, rival_start, fires",
    [
        ("2020", "2020-06", True),  # partial dates compare by their first day: 2020-01-01 <= 2020-06-01
        ("2020-06", "2020", False),  # 2020-01-01 is before 2020-06-01
        ("2020-06-01", "2020-06-01", True),  # the same day is not before
        (None, "2010", True),  # an undated tie always passes
        ("2020", None, True),
    ],
)
def test_the_order_of_the_two_ties(former_start, rival_start, fires):
    b = defection({"start": former_start}, [("founding", {"start": rival_start})])
    assert bool(roles(b, "founder-defection")) is fires


def test_with_several_ties_any_pair_in_order_will_do():
    b = defection({"start": "2022"}, [("founding", {"start": "2015"})])
    assert roles(b, "founder-defection") == []
    b.affiliation("person", "lab-one", start="2010", end="2012")  # an earlier stint: 2010 <= 2015
    assert len(roles(b, "founder-defection")) == 1


def test_a_control_chain_starts_with_its_latest_link():
    b = defection({"start": "2014"}, [])
    b.control("person", "holding", start="2012")
    b.control("holding", "lab-two", start="2013")  # the chain starts in 2013, before 2014: no defection
    assert roles(b, "founder-defection") == []
    b2 = defection({"start": "2014"}, [])
    b2.control("person", "holding", start="2012")
    b2.control("holding", "lab-two", start="2016")
    assert len(roles(b2, "founder-defection")) == 1


# --- feuds are no rivalries, for every rule -----------------------------------------------------


@pytest.mark.parametrize("kind, count", [(None, 1), ("market", 1), ("personal", 0), ("legal", 0)])
def test_only_a_market_rivalry_makes_rivals(kind, count):
    b = GraphBuilder()
    b.agent("boss", "Person")
    b.contract("lab", "supplier")
    b.control("boss", "supplier")
    b.control("boss", "rival-lab")
    b.rivalry("lab", "rival-lab", kind=kind)
    assert len(roles(b, "competitor-controlled-supplier")) == count


# --- a server gives the same findings and kg push writes the edges the new rules read -----------


def every_new_rule() -> GraphBuilder:
    b = GraphBuilder()
    b.contract("lab", "chipco")
    b.ownership("lab", "chipco", share={"maximum": 10})
    b.investment("alpha", "bravo")
    b.ownership("bravo", "charlie")
    b.contract("charlie", "alpha")
    b.agent("owner", "Person")
    b.control("owner", "rocketco")
    b.control("owner", "labco")
    b.investment("rocketco", "labco")
    b.investment("bigcorp", "lab-a")
    b.rivalry("lab-a", "lab-b")
    b.contract("lab-b", "bigcorp")
    b.agent("ann", "Person")
    b.affiliation("ann", "org-a", kind="officer")
    b.affiliation("ann", "org-b", kind="board_seat")
    b.rivalry("org-a", "org-b")
    return b


def test_the_new_rules_give_the_same_findings_on_a_server_after_kg_push(oxigraph_server, tmp_path):
    graph = every_new_rule().graph
    data = tmp_path / "world.ttl"
    graph.serialize(data, format="turtle")
    push([data], oxigraph_server, graph="urn:test:pack2", as_of=AS_OF)
    derived = EndpointBackend(oxigraph_server, graph="urn:test:pack2/derived")
    _, rows = derived.select(
        "PREFIX kgr: <https://w3id.org/ai-compute-kg/derived#> SELECT ?s ?p ?o WHERE { VALUES ?p { kgr:pays kgr:directs } ?s ?p ?o }"
    )
    edges = {(str(s).rsplit("/", 1)[-1], str(p).rsplit("#", 1)[-1], str(o).rsplit("/", 1)[-1]) for s, p, o in rows}
    assert {("charlie", "pays", "alpha"), ("rocketco", "pays", "labco"), ("ann", "directs", "org-a"), ("ann", "directs", "org-b")} <= edges

    def document(source) -> str:
        return json.dumps(findings_document(find_conflicts(source, as_of=AS_OF), as_of=AS_OF, min_status="rumored"), sort_keys=True)

    in_memory = document(MemoryBackend(graph))
    rules = {f["rule"] for f in json.loads(in_memory)["findings"]}
    assert {"customer-stake-in-supplier", "circular-financing", "related-party-deal", "investor-supplies-rival", "interlocking-directorate"} <= rules
    assert document(oxigraph_copy(graph)) == in_memory
    assert document(EndpointBackend(oxigraph_server, graph="urn:test:pack2")) == in_memory


def test_a_finding_keeps_its_identity_when_its_evidence_changes():
    b = every_new_rule()
    before = {f.identity for f in findings(b, "related-party-deal")}
    b.contract("rocketco", "labco", status="confirmed")  # more evidence for the same deal between the same parties
    after = findings(b, "related-party-deal")
    assert {f.identity for f in after} == before == {("related-party-deal", str(DATA["rocketco"]), str(DATA["labco"]))}
    assert "key" not in after[0].to_dict()  # the JSON contract is unchanged
