"""The conflict rule pack against small fixtures, clause by clause (DESIGN section 4)."""

from __future__ import annotations

import json

import pytest
from conftest import REPO
from graph_builder import GraphBuilder

from kg.conflicts.engine import find_conflicts
from kg.conflicts.pack import load_rules
from kg.errors import UsageError
from kg.vocab import KG

AS_OF = "2025-06-30"
STATUSES = ["denied", "rumored", "reported", "confirmed"]
MIN_STATUSES = ["rumored", "reported", "confirmed"]


def keys(findings, rule=None):
    """Each finding as (rule, {role: id}) for easy comparison."""
    return sorted(
        (f.rule, tuple(sorted((role, e.id) for role, e in f.entities.items())))
        for f in findings
        if rule is None or f.rule == rule
    )


def run(builder, rule, **kw):
    kw.setdefault("as_of", AS_OF)
    return find_conflicts(builder.graph, rules=[rule], **kw)


def ccs_world(supplier_depth=1, rival_depth=1) -> GraphBuilder:
    """lab buys from supplier; boss controls supplier and rival-lab through chains of given depth."""
    b = GraphBuilder()
    b.agent("lab", "AILab")
    b.agent("rival-lab", "AILab")
    b.agent("boss", "Person")
    b.contract("lab", "supplier")
    b.rivalry("lab", "rival-lab")
    for target, depth in (("supplier", supplier_depth), ("rival-lab", rival_depth)):
        chain = ["boss"] + [f"hold-{target}-{i}" for i in range(1, depth)] + [target]
        for parent, child in zip(chain, chain[1:]):
            b.control(parent, child)
    return b


# --- the rule pack itself ---------------------------------------------------------------------

def test_the_bundled_pack_is_every_rule_file_with_its_metadata():
    rules = {rule.id: rule for rule in load_rules()}
    files = sorted((REPO / "queries" / "conflicts").glob("*.rq"))
    assert sorted(rules) == [path.stem for path in files]  # one rule per file, named by its id
    for rule in rules.values():
        assert rule.title and rule.description and rule.explain and rule.severity in ("high", "medium", "low")
        assert rule.roles and set(rule.key) <= set(rule.roles)
    assert rules["competitor-controlled-supplier"].key == ("customer", "supplier", "rival")


def test_unknown_rule_is_refused():
    with pytest.raises(UsageError, match="unknown rule 'nope'"):
        find_conflicts(GraphBuilder().graph, rules=["nope"])


# --- competitor-controlled-supplier -----------------------------------------------------------

@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_control_chain_of_any_depth_to_the_supplier_is_found(depth):
    findings = run(ccs_world(supplier_depth=depth), "competitor-controlled-supplier")
    assert keys(findings) == [
        ("competitor-controlled-supplier", (("controller", "boss"), ("customer", "lab"), ("rival", "rival-lab"), ("supplier", "supplier")))
    ]
    controls = [e for e in findings[0].evidence if e.type == "Control"]
    assert len(controls) == depth + 1  # the chain to the supplier plus the link to the rival


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_control_chain_of_any_depth_to_the_rival_is_found(depth):
    findings = run(ccs_world(rival_depth=depth), "competitor-controlled-supplier")
    assert [f.entities["controller"].id for f in findings] == ["boss"]


def test_explanation_names_intermediaries_of_a_chain():
    (finding,) = run(ccs_world(supplier_depth=3), "competitor-controlled-supplier")
    assert "which Boss controls (through Hold Supplier 1, Hold Supplier 2)," in finding.explanation


def test_control_cycle_terminates_and_still_finds_the_conflict():
    b = ccs_world()
    b.control("supplier", "boss")  # boss -> supplier -> boss
    b.control("rival-lab", "supplier")
    findings = run(b, "competitor-controlled-supplier")
    assert {(f.entities["customer"].id, f.entities["supplier"].id, f.entities["rival"].id) for f in findings} == {
        ("lab", "supplier", "rival-lab")
    }


@pytest.mark.parametrize("lab_first", [True, False])
def test_rivalry_counts_whichever_way_it_was_stated(lab_first):
    b = GraphBuilder()
    b.contract("lab", "supplier")
    b.control("boss", "supplier")
    b.control("boss", "rival-lab")
    if lab_first:
        b.rivalry("lab", "rival-lab")
    else:
        b.rivalry("rival-lab", "lab")
    assert len(run(b, "competitor-controlled-supplier")) == 1


def test_customer_under_the_same_controller_gives_no_finding():
    b = ccs_world()
    b.control("boss", "lab")
    assert run(b, "competitor-controlled-supplier") == []


def test_customer_under_the_same_controller_through_a_chain_gives_no_finding():
    b = ccs_world()
    b.control("boss", "group")
    b.control("group", "lab")
    assert run(b, "competitor-controlled-supplier") == []


def test_supplier_that_is_itself_the_rival_is_found():
    b = GraphBuilder()
    b.contract("lab", "rival-cloud")
    b.rivalry("rival-cloud", "lab")
    (finding,) = run(b, "competitor-controlled-supplier")
    assert finding.entities["supplier"].id == finding.entities["rival"].id == "rival-cloud"
    assert "rival" in finding.explanation


def test_no_rivalry_means_no_finding():
    b = GraphBuilder()
    b.contract("lab", "supplier")
    b.control("boss", "supplier")
    b.control("boss", "rival-lab")
    assert run(b, "competitor-controlled-supplier") == []


def test_several_controllers_and_duplicate_claims_give_one_finding():
    b = ccs_world(supplier_depth=2)
    b.control("boss", "supplier")  # a shorter path for boss
    b.control("boss", "supplier")  # a duplicate claim
    b.contract("lab", "supplier")  # a duplicate contract
    b.rivalry("rival-lab", "lab")  # the same rivalry stated the other way
    b.control("aaa-partner", "supplier")
    b.control("aaa-partner", "rival-lab")
    b.agent("aaa-partner", "Person")
    findings = run(b, "competitor-controlled-supplier")
    assert len(findings) == 1
    # Fewest links to supplier plus rival: both have 2; the tie goes to the smaller IRI.
    assert findings[0].entities["controller"].id == "aaa-partner"


def test_controller_with_fewest_links_is_reported():
    b = ccs_world(supplier_depth=3)
    b.control("zz-direct", "supplier")
    b.control("zz-direct", "rival-lab")
    (finding,) = run(b, "competitor-controlled-supplier")
    assert finding.entities["controller"].id == "zz-direct"


# --- dates ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "start,end,as_of,counts",
    [
        (None, "2024-12-31", "2025-06-30", False),  # ended before as-of
        ("2025-07-01", None, "2025-06-30", False),  # starts after as-of
        ("2025-06-30", "2025-06-30", "2025-06-30", True),  # both bounds inclusive
        ("2023", None, "2023-01-01", True),  # a year starts on its first day
        ("2023", None, "2022-12-31", False),
        (None, "2023", "2023-12-31", True),  # a year ends on its last day
        (None, "2023", "2024-01-01", False),
        ("2023-06", None, "2023-06-01", True),  # a year-month starts on its first day
        ("2023-06", None, "2023-05-31", False),
        (None, "2024-02", "2024-02-29", True),  # ... and ends on its last (leap year)
        (None, "2024-02", "2024-03-01", False),
        ("2020", "2030", "2024", True),  # a partial as-of means its last day
    ],
)
def test_contract_counts_only_while_in_force(start, end, as_of, counts):
    b = GraphBuilder()
    b.contract("lab", "supplier", start=start, end=end)
    b.control("boss", "supplier")
    b.control("boss", "rival-lab")
    b.rivalry("lab", "rival-lab")
    assert bool(run(b, "competitor-controlled-supplier", as_of=as_of)) is counts


def test_control_link_that_ended_breaks_the_chain():
    b = GraphBuilder()
    b.contract("lab", "supplier")
    b.rivalry("lab", "rival-lab")
    b.control("boss", "rival-lab")
    b.control("boss", "holding", end="2020")
    b.control("holding", "supplier")
    assert run(b, "competitor-controlled-supplier") == []
    assert len(run(b, "competitor-controlled-supplier", as_of="2019-05")) == 1


def test_malformed_as_of_is_refused():
    with pytest.raises(UsageError, match="2024-13"):
        find_conflicts(GraphBuilder().graph, as_of="2024-13")


# --- status -----------------------------------------------------------------------------------

@pytest.mark.parametrize("evidence_status", STATUSES)
@pytest.mark.parametrize("min_status", MIN_STATUSES)
def test_evidence_below_min_status_or_denied_is_ignored(evidence_status, min_status):
    b = GraphBuilder()
    b.contract("lab", "supplier", status=evidence_status)
    b.control("boss", "supplier", status="confirmed")
    b.control("boss", "rival-lab", status="confirmed")
    b.rivalry("lab", "rival-lab", status="confirmed")
    findings = run(b, "competitor-controlled-supplier", min_status=min_status)
    expected = evidence_status != "denied" and STATUSES.index(evidence_status) >= STATUSES.index(min_status)
    assert bool(findings) is expected
    if findings:
        assert findings[0].status == evidence_status  # the weakest evidence


def test_denied_attestation_does_not_count_but_another_source_does():
    b = GraphBuilder()
    b.contract("lab", "supplier", status=["denied", "rumored"])
    b.control("boss", "supplier")
    b.control("boss", "rival-lab")
    b.rivalry("lab", "rival-lab")
    (finding,) = run(b, "competitor-controlled-supplier")
    assert finding.status == "rumored"
    assert run(b, "competitor-controlled-supplier", min_status="reported") == []


def test_unknown_min_status_is_refused():
    with pytest.raises(UsageError, match="maybe"):
        find_conflicts(GraphBuilder().graph, min_status="maybe")


# --- investor-supplier-overlap ----------------------------------------------------------------

def test_investor_that_supplies_compute_is_found():
    b = GraphBuilder()
    b.investment("cloud", "lab")
    b.contract("lab", "cloud")
    assert keys(run(b, "investor-supplier-overlap")) == [
        ("investor-supplier-overlap", (("customer", "lab"), ("investor", "cloud"), ("supplier", "cloud")))
    ]


def test_investor_that_controls_the_supplier_through_a_chain_is_found():
    b = GraphBuilder()
    b.investment("fund", "lab")
    b.control("fund", "holding")
    b.control("holding", "cloud")
    b.contract("lab", "cloud")
    (finding,) = run(b, "investor-supplier-overlap")
    assert finding.entities["supplier"].id == "cloud"
    assert [e.type for e in finding.evidence] == ["Investment", "Control", "Control", "ComputeContract"]


def test_investor_unrelated_to_the_supplier_is_not_found():
    b = GraphBuilder()
    b.investment("fund", "lab")
    b.contract("lab", "cloud")
    assert run(b, "investor-supplier-overlap") == []


def test_investment_ended_before_as_of_is_not_found():
    b = GraphBuilder()
    b.investment("cloud", "lab", end="2021-03")
    b.contract("lab", "cloud")
    assert run(b, "investor-supplier-overlap") == []


# --- investor-controls-rival ------------------------------------------------------------------

def test_investor_controlling_a_rival_of_its_investee_is_found():
    b = GraphBuilder()
    b.investment("fund", "lab")
    b.control("fund", "other-lab")
    b.rivalry("other-lab", "lab")
    assert keys(run(b, "investor-controls-rival")) == [
        ("investor-controls-rival", (("investee", "lab"), ("investor", "fund"), ("rival", "other-lab")))
    ]


def test_investor_controlling_its_investee_too_is_not_found():
    b = GraphBuilder()
    b.investment("fund", "lab")
    b.control("fund", "lab")
    b.control("fund", "other-lab")
    b.rivalry("other-lab", "lab")
    assert run(b, "investor-controls-rival") == []


# --- founder-defection ------------------------------------------------------------------------

def defection_world(tie="founding", **departure) -> GraphBuilder:
    b = GraphBuilder()
    b.agent("founder", "Person")
    if tie == "founding":
        b.founding("founder", "old-lab", start="2015")
    else:
        b.affiliation("founder", "old-lab", start="2016", end="2020")
    b.departure("founder", "old-lab", **departure)
    b.founding("founder", "new-lab", start="2021")
    b.rivalry("new-lab", "old-lab")
    return b


@pytest.mark.parametrize("tie", ["founding", "affiliation"])
def test_person_who_left_and_founded_a_rival_is_found(tie):
    findings = run(defection_world(tie, start="2020"), "founder-defection")
    assert keys(findings) == [("founder-defection", (("former", "old-lab"), ("person", "founder"), ("rival", "new-lab")))]
    verb = "founded" if tie == "founding" else "worked for"
    assert findings[0].explanation.startswith(f"Founder {verb} Old Lab, departed it, and founded New Lab")


def test_ended_affiliation_still_counts_as_the_tie():
    # The affiliation ended in 2020; the finding is about having left.
    assert len(run(defection_world("affiliation"), "founder-defection", as_of="2024")) == 1


def test_tie_that_began_after_as_of_does_not_count():
    assert run(defection_world("affiliation"), "founder-defection", as_of="2015-12") == []


def test_departure_after_as_of_does_not_count():
    assert run(defection_world(start="2026-01"), "founder-defection", as_of="2025") == []


def test_person_controlling_the_rival_is_found():
    b = GraphBuilder()
    b.agent("founder", "Person")
    b.founding("founder", "old-lab")
    b.departure("founder", "old-lab")
    b.control("founder", "holding")
    b.control("holding", "new-lab")
    b.rivalry("old-lab", "new-lab")
    (finding,) = run(b, "founder-defection")
    assert "and controls New Lab (through Holding), a rival of Old Lab." in finding.explanation


def test_organization_that_departs_is_not_a_founder_defection():
    b = GraphBuilder()
    b.founding("parent-co", "old-lab")
    b.departure("parent-co", "old-lab")
    b.founding("parent-co", "new-lab")
    b.rivalry("new-lab", "old-lab")
    assert run(b, "founder-defection") == []


# --- single-supplier-dependency ---------------------------------------------------------------

def test_lab_with_one_supplier_is_found_once_even_with_two_contracts():
    b = GraphBuilder()
    b.agent("lab", "AILab")
    b.contract("lab", "cloud", status="rumored")
    b.contract("lab", "cloud", status="confirmed")
    (finding,) = run(b, "single-supplier-dependency")
    assert finding.entities["supplier"].id == "cloud"
    assert finding.status == "confirmed"  # the best-supported of the duplicate contracts


def test_lab_with_two_suppliers_is_not_found():
    b = GraphBuilder()
    b.agent("lab", "AILab")
    b.contract("lab", "cloud")
    b.contract("lab", "other-cloud")
    assert run(b, "single-supplier-dependency") == []


def test_lab_whose_second_contract_ended_depends_on_one_supplier():
    b = GraphBuilder()
    b.agent("lab", "AILab")
    b.contract("lab", "cloud")
    b.contract("lab", "other-cloud", end="2024")
    assert len(run(b, "single-supplier-dependency")) == 1


def test_customer_that_is_not_an_ai_lab_is_not_found():
    b = GraphBuilder()
    b.agent("shop", "Organization")
    b.contract("shop", "cloud")
    assert run(b, "single-supplier-dependency") == []


# --- investor-in-rivals -----------------------------------------------------------------------

def test_one_finding_per_investor_and_pair_of_rivals():
    b = GraphBuilder()
    for lab in ("lab-a", "lab-b", "lab-c"):
        b.investment("fund", lab)
    b.rivalry("lab-a", "lab-b")
    b.rivalry("lab-b", "lab-a")  # stated twice, both ways
    b.rivalry("lab-c", "lab-a")
    b.investment("fund", "lab-a")  # a second round in lab-a
    b.investment("other-fund", "lab-b")
    pairs = sorted((f.entities["investee"].id, f.entities["rival"].id) for f in run(b, "investor-in-rivals"))
    assert pairs == [("lab-a", "lab-b"), ("lab-a", "lab-c")]


# --- the bundled data -------------------------------------------------------------------------

def test_person_is_never_the_rival_in_a_founder_defection():
    b = GraphBuilder()
    b.agent("founder", "Person")
    b.founding("founder", "old-lab")
    b.departure("founder", "old-lab")
    b.claim(KG.Rivalry, "founder", "old-lab")  # the founder feuds with the lab itself
    assert run(b, "founder-defection") == []


def test_bundled_data_shows_the_conflicts_of_the_source_analysis(bundled_graph):
    found = keys(find_conflicts(bundled_graph))
    expected = [
        ("competitor-controlled-supplier", (("controller", "elon-musk"), ("customer", "anthropic"), ("rival", "xai"), ("supplier", "spacex"))),
        ("investor-supplier-overlap", (("customer", "anthropic"), ("investor", "aws"), ("supplier", "aws"))),
        ("founder-defection", (("former", "openai"), ("person", "elon-musk"), ("rival", "xai"))),
        ("founder-defection", (("former", "openai"), ("person", "dario-amodei"), ("rival", "anthropic"))),
        ("founder-defection", (("former", "openai"), ("person", "daniela-amodei"), ("rival", "anthropic"))),
    ]
    assert found == sorted(expected)  # these, and nothing else


def test_every_piece_of_bundled_evidence_names_its_source(bundled_graph):
    findings = find_conflicts(bundled_graph)
    assert findings
    for finding in findings:
        assert finding.explanation.endswith(".")
        for evidence in finding.evidence:
            assert evidence.sources, evidence
            assert all(source.title for source in evidence.sources)


def test_bundled_spacex_finding_has_the_whole_chain_of_evidence(bundled_graph):
    (finding,) = find_conflicts(bundled_graph, rules=["competitor-controlled-supplier"])
    assert [(e.type, e.subject.id, e.object.id) for e in finding.evidence] == [
        ("ComputeContract", "anthropic", "spacex"),
        ("Control", "elon-musk", "spacex"),
        ("Control", "elon-musk", "xai"),
        ("Rivalry", "xai", "anthropic"),
    ]
    assert finding.explanation == (
        "Anthropic buys compute from SpaceX, which Elon Musk controls, while Elon Musk also controls xAI, a rival of Anthropic."
    )


def test_findings_are_the_same_after_a_reasoner_has_run(bundled_graph):
    import owlrl
    from rdflib import Graph

    reasoned = Graph()
    for triple in bundled_graph:
        reasoned.add(triple)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(reasoned)
    assert len(reasoned) > len(bundled_graph) + 100  # the reasoner did add shortcuts and types
    before = [f.to_dict() for f in find_conflicts(bundled_graph, as_of="2025")]
    after = [f.to_dict() for f in find_conflicts(reasoned, as_of="2025")]
    assert after == before


def test_findings_do_not_depend_on_loading_the_ontology(bundled_graph, bundled_data_only):
    with_ontology = [f.to_dict() for f in find_conflicts(bundled_graph)]
    assert [f.to_dict() for f in find_conflicts(bundled_data_only)] == with_ontology


# --- command line -----------------------------------------------------------------------------

def test_cli_json_has_the_documented_shape(invoke):
    result = invoke("conflicts", "--format", "json", "--as-of", "2025-01-01", "--min-status", "reported")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["as_of"] == "2025-01-01" and document["min_status"] == "reported"
    finding = next(f for f in document["findings"] if f["rule"] == "competitor-controlled-supplier")
    assert set(finding) == {"rule", "title", "severity", "status", "entities", "explanation", "evidence"}
    assert finding["entities"]["controller"] == {
        "id": "elon-musk",
        "iri": "https://w3id.org/ai-compute-kg/data/elon-musk",
        "label": "Elon Musk",
    }
    assert set(finding["evidence"][0]) == {"claim", "type", "subject", "object", "start", "end", "status", "sources", "stage"}


def test_cli_table_groups_by_rule_most_severe_first_within_100_columns(invoke):
    result = invoke("conflicts")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 100
    headers = [line for line in lines if line.startswith(("HIGH", "MEDIUM", "LOW"))]
    assert headers[0].startswith("HIGH  competitor-controlled-supplier")
    severities = [h.split()[0] for h in headers]
    assert severities == sorted(severities, key=["HIGH", "MEDIUM", "LOW"].index)
    assert "Detailed Analysis" in result.stdout  # sources are shown


def test_cli_markdown_and_csv(invoke):
    md = invoke("conflicts", "--format", "md")
    assert md.exit_code == 0 and md.stdout.startswith("# Conflicts as of")
    csv_out = invoke("conflicts", "--format", "csv", "--rule", "investor-supplier-overlap")
    rows = csv_out.stdout.splitlines()
    assert rows[0] == "rule,severity,status,entities,explanation,evidence,sources,source_titles"
    assert len(rows) == 2 and rows[1].startswith("investor-supplier-overlap,medium,reported,")


def test_cli_fail_on_findings_exits_1_only_when_there_are_findings(invoke):
    assert invoke("conflicts", "--fail-on-findings").exit_code == 1
    assert invoke("conflicts", "--fail-on-findings", "--as-of", "2025", "--min-status", "confirmed").exit_code == 0


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--as-of", "yesterday"], "yesterday"),
        (["--min-status", "denied"], "denied"),
        (["--rule", "no-such-rule"], "no-such-rule"),
    ],
)
def test_cli_bad_options_give_one_error_line_and_exit_2(runner, args, needle):
    from kg.cli import cli

    result = runner.invoke(cli, ["conflicts", *args])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error:") and needle in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


# --- evidence: every claim behind each link ------------------------------------------------------

def test_evidence_lists_every_claim_in_force_behind_each_link_by_date(tmp_path):
    """Two investments of one investor in one lab (2024, then 2023) and two control claims on one
    link: all four are evidence, each link's claims in the order they began; the finding's status is
    its weakest link's strongest claim, not its weakest claim."""
    b = GraphBuilder()
    b.agent("lab", "AILab")
    b.agent("cloud", "CloudProvider")
    b.agent("fund", "Investor")
    b.agent("hold", "Organization")
    late = b.investment("fund", "lab", start="2024-03", status="rumored")
    early = b.investment("fund", "lab", start="2023-09", status="confirmed")
    b.control("fund", "hold", start="2020", status="reported")
    first_link = b.control("hold", "cloud", start="2022", status="rumored")
    second_link = b.control("hold", "cloud", start="2021", status="reported")
    ended = b.control("hold", "cloud", start="2015", end="2016", status="confirmed")  # not in force
    contract = b.contract("lab", "cloud", status="confirmed")
    (finding,) = run(b, "investor-supplier-overlap")
    claims = [e.claim for e in finding.evidence]
    assert claims[:2] == [str(early), str(late)]  # one link, both investments, by date
    assert claims.index(str(second_link)) < claims.index(str(first_link))
    assert str(ended) not in claims and str(contract) in claims
    assert finding.status == "reported"  # investments: confirmed; control links: reported and reported; contract: confirmed
    # the same on Oxigraph
    from kg.backends.oxigraph import OxigraphBackend

    store = OxigraphBackend()
    store.add_graph(b.graph)
    (in_store,) = find_conflicts(store, as_of=AS_OF, rules=["investor-supplier-overlap"])
    assert in_store == finding
