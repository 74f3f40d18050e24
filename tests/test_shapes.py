"""SHACL shapes (ontology/shapes.ttl) through kg.validate and `kg validate`.

Each file under tests/fixtures/shapes/ holds one small graph with one defect (or none,
for the accepted cases); the tests check that the defect is reported on the right node
and property, and that nothing else is.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import RDF, RDFS, BNode, Graph, Literal, Namespace, URIRef

from kg import resources
from kg.entities import short_id
from kg.vocab import CLAIM_TYPES
from kg.vocab import CLAIM, DATA, KG, SOURCE
from kg.validate import validate_graph

SHAPES_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "shapes"
SH = Namespace("http://www.w3.org/ns/shacl#")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(resources.shapes_path(), format="turtle")


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(resources.ontology_path(), format="turtle")


def validate_fixture(name: str, shapes: Graph, ontology: Graph):
    data = Graph().parse(SHAPES_FIXTURES / f"{name}.ttl", format="turtle")
    return validate_graph(data, shapes=shapes, ontology=ontology)


# --- the shapes themselves ------------------------------------------------------------------


def test_pyshacl_accepts_the_shapes_graph_against_shacl_for_shacl(shapes, ontology):
    import pyshacl

    data = Graph().parse(SHAPES_FIXTURES / "partial-dates.ttl", format="turtle")
    conforms, _, text = pyshacl.validate(data, shacl_graph=shapes, ont_graph=ontology, meta_shacl=True)
    assert conforms, text


def test_every_constraint_has_an_english_message(shapes):
    constraints = set(shapes.objects(None, SH.property)) | set(shapes.objects(None, SH.sparql))
    assert len(constraints) > 30
    unexplained = [c for c in constraints if not any(m.language == "en" for m in shapes.objects(c, SH.message))]
    assert unexplained == []


def role_constraints(shapes: Graph, cls: URIRef) -> dict[URIRef, dict[str, set]]:
    """For the shapes targeting ``cls``: per property path, its counts and sh:class values."""
    found: dict[URIRef, dict[str, set]] = {}
    for shape in shapes.subjects(SH.targetClass, cls):
        for prop in shapes.objects(shape, SH.property):
            path = shapes.value(prop, SH.path)
            entry = found.setdefault(path, {"min": set(), "max": set(), "class": set()})
            entry["min"].update(int(v) for v in shapes.objects(prop, SH.minCount))
            entry["max"].update(int(v) for v in shapes.objects(prop, SH.maxCount))
            entry["class"].update(shapes.objects(prop, SH["class"]))
    return found


@pytest.mark.parametrize("claim_type", CLAIM_TYPES.values(), ids=lambda t: short_id(t.cls).rsplit("#", 1)[-1])
def test_each_claim_type_requires_both_roles_once_typed_by_the_role_range_in_the_ontology(
    claim_type, shapes, ontology
):
    constraints = role_constraints(shapes, claim_type.cls)
    for role in (claim_type.subject_role, claim_type.object_role):
        expected_range = ontology.value(role, RDFS.range)
        assert expected_range is not None, f"{role} has no rdfs:range in kg.ttl"
        assert constraints[role] == {"min": {1}, "max": {1}, "class": {expected_range}}


# --- the bundled data and the accepted fixtures -----------------------------------------------


def test_bundled_data_conforms_without_warnings(bundled_data_only):
    report = validate_graph(bundled_data_only)
    assert report.conforms
    assert report.results == ()


def test_a_year_a_year_month_and_a_day_are_accepted_as_dates(shapes, ontology):
    report = validate_fixture("partial-dates", shapes, ontology)
    assert report.conforms, report.results
    assert report.results == ()


def test_ownership_shares_board_seats_stages_and_identifiers_are_accepted(shapes, ontology):
    report = validate_fixture("ownership-shares-identifiers", shapes, ontology)
    assert report.conforms, report.results
    assert report.results == ()


@pytest.mark.parametrize(
    "lei, valid",
    [("5493001KJTIIGC8Y1R12", True), ("529900T8BM49AURSDO55", True), ("HWUPKR0MPOU8FGXBT394", True),
     ("5493001KJTIIGC8Y1R13", False), ("529900T8BM49AURSDO56", False), ("ABCDEFGHIJKLMNOPQR00", False)],
)
def test_the_lei_check_digits_are_computed_as_iso_17442_says(lei, valid, shapes, ontology):
    """The SPARQL constraint carries ISO 7064 MOD 97-10 without a modulo operator: held to Python's arithmetic."""
    graph = Graph()
    node = DATA["identifier"]
    graph.add((node, RDF.type, KG.Identifier))
    graph.add((node, KG.identifierScheme, Literal("XI-LEI")))
    graph.add((node, KG.identifierValue, Literal(lei)))
    assert (int("".join(str(int(c, 36)) for c in lei)) % 97 == 1) is valid
    assert validate_graph(graph, shapes=shapes, ontology=ontology).conforms is valid


def test_a_claim_whose_only_source_is_a_sheet_row_conforms_with_a_warning(shapes, ontology):
    report = validate_fixture("sheet-row-only", shapes, ontology)
    assert report.conforms
    assert report.violations == ()
    [warning] = report.warnings
    assert (warning.severity, warning.focus, warning.path) == ("Warning", "claim/deal", str(KG.attestation))
    assert "spreadsheet row" in warning.message
    assert warning.value == f"{SOURCE['relations-csv']} line 7"


def test_a_claim_with_a_sheet_row_and_an_article_has_no_warning(shapes, ontology):
    report = validate_fixture("sheet-row-and-article", shapes, ontology)
    assert report.conforms
    assert report.results == ()


# --- one defect per fixture -------------------------------------------------------------------

DEFECTS = [
    # fixture, focus node, path, words the message must contain
    ("missing-role", "claim/deal", KG.supplier, "exactly one supplier"),
    ("two-customers", "claim/deal", KG.customer, "exactly one customer"),
    ("person-as-compute-customer", "claim/deal", KG.customer, "must be an organization"),
    ("organization-as-affiliate", "claim/job", KG.affiliate, "must be a person"),
    ("untyped-role", "claim/deal", KG.supplier, "must be an organization"),
    ("date-plain-string", "claim/deal", KG.startDate, "xsd:date"),
    ("date-ill-formed", "claim/deal", KG.startDate, "valid xsd:date"),
    ("two-start-dates", "claim/deal", KG.startDate, "at most one start date"),
    ("end-before-start", "claim/deal", KG.endDate, "before the start date (2024-05)"),
    ("negative-amount", "claim/round", KG.amount, "non-negative"),
    ("amount-as-string", "claim/round", KG.amount, "xsd:decimal"),
    ("negative-contract-value", "claim/deal", KG.contractValue, "non-negative"),
    ("negative-capacity", "claim/deal", KG.capacityMW, "non-negative"),
    ("currency-lowercase", "claim/round", KG.currency, "ISO 4217"),
    ("currency-two-letters", "claim/round", KG.currency, "ISO 4217"),
    ("stake-over-100", "claim/round", KG.stake, "from 0 to 100"),
    ("no-attestation", "claim/deal", KG.attestation, "at least one attestation"),
    ("attestation-without-status", "claim/att", KG.status, "exactly one status"),
    ("two-statuses", "claim/att", KG.status, "exactly one status"),
    ("unknown-status", "claim/att", KG.status, "must be one of kg:Rumored"),
    ("attestation-without-source", "claim/att", KG.source, "exactly one source"),
    ("source-as-literal", "claim/att", KG.source, "must be an IRI"),
    ("unknown-control-basis", "claim/ctl", KG.controlBasis, "kg:Shareholding"),
    ("unknown-rivalry-kind", "claim/feud", KG.rivalryKind, "kg:MarketRivalry"),
    ("unknown-departure-manner", "claim/exit", KG.departureManner, "kg:Amicable"),
    ("agent-without-label", "cloud", RDFS.label, "must have a name"),
    ("share-over-100", "claim/own", KG.shareExact, "from 0 to 100"),
    ("share-minimum-above-maximum", "claim/ctl", KG.shareMinimum, "above the maximum share"),
    ("ownership-without-owner", "claim/own", KG.owner, "exactly one owner"),
    ("unknown-interest-type", "claim/own", KG.interestType, "kg:Shareholding, kg:VotingRights"),
    ("unknown-affiliation-kind", "claim/seat", KG.affiliationKind, "kg:BoardSeat"),
    ("unknown-stage", "claim/deal", KG.stage, "kg:Proposed"),
    ("lei-check-digits", "identifier-lei", KG.identifierValue, "check digits of the LEI 5493001KJTIIGC8Y1R13 are wrong"),
    ("lei-malformed", "identifier-lei", KG.identifierValue, "18 capital letters or digits"),
    ("wikidata-not-a-qid", "identifier-wd", KG.identifierValue, "a Q followed by digits"),
    ("unknown-identifier-scheme", "identifier-x", KG.identifierScheme, "org-id.guide code"),
]


@pytest.mark.parametrize("fixture, focus, path, words", DEFECTS, ids=[d[0] for d in DEFECTS])
def test_defect_is_reported_on_its_node_and_property_and_nothing_else(fixture, focus, path, words, shapes, ontology):
    report = validate_fixture(fixture, shapes, ontology)
    assert not report.conforms
    assert report.violations, "expected a violation"
    assert {(v.focus, v.path) for v in report.results} == {(focus, str(path))}, report.results
    assert any(words in v.message for v in report.violations), [v.message for v in report.violations]


def test_every_defect_fixture_is_tested_and_every_accepted_one_too():
    tested = {d[0] for d in DEFECTS} | {"partial-dates", "sheet-row-only", "sheet-row-and-article", "ownership-shares-identifiers"}
    assert {p.stem for p in SHAPES_FIXTURES.glob("*.ttl")} == tested


# --- every claim type, built in memory --------------------------------------------------------


def claims_of_every_type(ontology: Graph, *, drop_role: str | None = None, mistype_role: str | None = None) -> Graph:
    """One valid claim per claim type; then one role dropped, or given a node of the wrong type.

    ``drop_role`` / ``mistype_role`` is "subject" or "object".
    """
    graph = Graph()
    person, organization, stranger = DATA["ada"], DATA["lab"], DATA["stranger"]
    graph.add((person, RDF.type, KG.Person))
    graph.add((person, RDFS.label, Literal("Ada")))
    graph.add((organization, RDF.type, KG.AILab))
    graph.add((organization, RDFS.label, Literal("Lab")))
    graph.add((SOURCE.article, RDF.type, KG.Source))
    for claim_type in CLAIM_TYPES.values():
        claim = CLAIM[claim_type.cls.rsplit("#", 1)[-1]]
        graph.add((claim, RDF.type, claim_type.cls))
        attestation = BNode()
        graph.add((claim, KG.attestation, attestation))
        graph.add((attestation, KG.source, SOURCE.article))
        graph.add((attestation, KG.status, KG.Reported))
        for side, role in (("subject", claim_type.subject_role), ("object", claim_type.object_role)):
            if side == drop_role:
                continue
            # The role's range in the ontology decides who may fill it; an agent may be either.
            agent = person if ontology.value(role, RDFS.range) == KG.Person else organization
            if side == mistype_role:
                agent = stranger  # an IRI with no type is neither an agent, a person nor an organization
            graph.add((claim, role, agent))
    return graph


def test_one_claim_of_every_type_with_both_roles_conforms(shapes, ontology):
    report = validate_graph(claims_of_every_type(ontology), shapes=shapes, ontology=ontology)
    assert report.conforms, report.results
    assert report.results == ()


def every_claim_role(side: str) -> set[tuple[str, str]]:
    """(focus, path) of the subject or object role of the one claim of each type."""
    return {
        (f"claim/{t.cls.rsplit('#', 1)[-1]}", str(t.subject_role if side == "subject" else t.object_role))
        for t in CLAIM_TYPES.values()
    }


@pytest.mark.parametrize("side", ["subject", "object"])
def test_a_missing_role_is_reported_for_every_claim_type(side, shapes, ontology):
    report = validate_graph(claims_of_every_type(ontology, drop_role=side), shapes=shapes, ontology=ontology)
    assert {(v.focus, v.path) for v in report.violations} == every_claim_role(side)
    assert all("exactly one" in v.message for v in report.violations)


@pytest.mark.parametrize("side", ["subject", "object"])
def test_a_role_filled_by_a_node_of_the_wrong_type_is_reported_for_every_claim_type(side, shapes, ontology):
    report = validate_graph(claims_of_every_type(ontology, mistype_role=side), shapes=shapes, ontology=ontology)
    assert {(v.focus, v.path) for v in report.violations} == every_claim_role(side)
    assert all(v.value == str(DATA["stranger"]) for v in report.violations)


# --- the command line -------------------------------------------------------------------------


def test_cli_validate_exits_0_and_says_conforms_on_the_bundled_data(invoke):
    result = invoke("validate")
    assert result.exit_code == 0, result.output
    assert "Conforms: 0 violation(s), 0 warning(s)." in result.output


def test_cli_validate_exits_1_and_prints_the_violation_on_broken_data(invoke):
    result = invoke("validate", "--data", SHAPES_FIXTURES / "person-as-compute-customer.ttl")
    assert result.exit_code == 1, result.output
    assert (
        f"Violation: claim/deal {KG.customer}: The customer of a compute contract (kg:customer) "
        f"must be an organization (kg:Organization). (value: {DATA['ada']})"
    ) in result.output
    assert "Does not conform: 1 violation(s)" in result.output


def test_cli_validate_exits_0_and_prints_the_warning_for_a_sheet_row_source(invoke):
    result = invoke("validate", "--data", SHAPES_FIXTURES / "sheet-row-only.ttl")
    assert result.exit_code == 0, result.output
    assert f"Warning: claim/deal {KG.attestation}: The only source of this claim is a spreadsheet row" in result.output
    assert "Conforms: 0 violation(s), 1 warning(s)." in result.output


# --- kg runs the shapes' SPARQL constraints once per graph; pySHACL would run them per node ----------


def pyshacl_results(data: Graph, shapes: Graph, ontology: Graph) -> set[tuple]:
    """What pySHACL alone reports, every constraint run its own way."""
    import pyshacl
    from rdflib import Namespace as NS

    sh = NS("http://www.w3.org/ns/shacl#")
    _, report, _ = pyshacl.validate(data, shacl_graph=shapes, ont_graph=ontology, inference="none", allow_warnings=True)
    return {
        (
            str(report.value(r, sh.resultSeverity)).rsplit("#", 1)[-1],
            short_id(report.value(r, sh.focusNode)),
            short_id(report.value(r, sh.resultPath)) if report.value(r, sh.resultPath) is not None else None,
            str(report.value(r, sh.value)) if report.value(r, sh.value) is not None else None,
            str(report.value(r, sh.resultMessage)),
        )
        for r in report.subjects(RDF.type, sh.ValidationResult)
    }


@pytest.mark.parametrize("fixture", sorted(p.stem for p in SHAPES_FIXTURES.glob("*.ttl")))
def test_kg_validate_reports_exactly_what_pyshacl_alone_reports(fixture, shapes, ontology):
    data = Graph().parse(SHAPES_FIXTURES / f"{fixture}.ttl", format="turtle")
    shapes_before = set(shapes)
    report = validate_graph(data, shapes=shapes, ontology=ontology)
    assert set(shapes) == shapes_before  # the caller's shapes are left whole
    assert {(v.severity, v.focus, v.path, v.value, v.message) for v in report.results} == pyshacl_results(data, shapes + Graph(), ontology)
