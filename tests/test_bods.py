"""BODS 0.4 in and out (issue 17, items 1 and 4): Open Ownership's sample files and the
``bods-v04-fixtures`` pack read into the claims a reader of BODS expects; statement life cycles
(replaced, confirmed, closed); sources and statuses; one error line for a file kg cannot read;
kg's graph written as BODS that passes the BODS 0.4 JSON Schema and reads back the same.

Every company and person the tests write is fictional; the LEIs are invented (valid check
digits, no real entity). Nothing here reaches the network (``loopback_only``).
"""

from __future__ import annotations

import io
import json
import warnings
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

import servers
from conftest import FIXTURES
from graph_builder import GraphBuilder
from kg.dates import date_bound
from kg.errors import InputError, KgWarning
from kg.io.ownership import read_into, reader_for, reader_named, writers
from kg.io.ownership.bods import READER, WRITER
from kg.io.ownership.bods_write import write_bods
from kg.vocab import CLAIM, DATA, KG, SHARE_PROPERTIES, SOURCE

loopback_only = pytest.fixture(autouse=True)(servers.loopback_only)

BODS = FIXTURES / "ownership" / "bods"
BODS_04_FILES = sorted(path for path in BODS.glob("*.json") if not path.name.startswith("v0.3"))
ATLAS_LEI, MERIDIAN_LEI, HARBOR_LEI = "999900ATLASCAPITAL23", "999900MERIDIANHOLD72", "999900HARBORCLOUD037"


# --- helpers ---------------------------------------------------------------------------------


def read(path: Path) -> Graph:
    graph = Graph()
    read_into(graph, READER, path)
    return graph


def write_statements(path: Path, statements: list, form: str = "lines") -> Path:
    if form == "lines":
        path.write_text("".join(json.dumps(s) + "\n" for s in statements), encoding="utf-8")
    else:
        path.write_text(json.dumps(statements, indent=1), encoding="utf-8")
    return path


def sid(number: int) -> str:
    """A statement id of BODS's 32 to 64 characters."""
    return f"{number:08d}-fic0-4000-8000-000000000000"


def statement(number, record_id, record_type, details, *, status="new", date="2024-03-01", source=None, **extra) -> dict:
    value = {
        "statementId": sid(number),
        "declarationSubject": "fic-harbor",
        "statementDate": date,
        "publicationDetails": {"publicationDate": "2024-03-02", "bodsVersion": "0.4", "publisher": {"name": "Fictional Register"}},
        "recordId": record_id,
        "recordStatus": status,
        "recordType": record_type,
        "recordDetails": details,
        **extra,
    }
    if source is not None:
        value["source"] = source
    return value


def entity(number, record_id, name, lei=None, **kw) -> dict:
    details = {"isComponent": False, "entityType": {"type": "registeredEntity"}, "name": name}
    if lei:
        details["identifiers"] = [{"scheme": "XI-LEI", "id": lei}]
    details.update(kw.pop("details", {}))
    return statement(number, record_id, "entity", details, **kw)


def person(number, record_id, name, **kw) -> dict:
    details = {"isComponent": False, "personType": "knownPerson", "names": [{"type": "legal", "fullName": name}]}
    details.update(kw.pop("details", {}))
    return statement(number, record_id, "person", details, **kw)


def relationship(number, record_id, subject, party, *interests, **kw) -> dict:
    details = {"isComponent": False, "subject": subject, "interestedParty": party, "interests": list(interests)}
    details.update(kw.pop("details", {}))
    return statement(number, record_id, "relationship", details, **kw)


def shareholding(share: dict | None = None, **kw) -> dict:
    return {"type": "shareholding", "directOrIndirect": "direct", **({"share": share} if share else {}), **kw}


def claims_of(graph: Graph, cls=None) -> list:
    classes = [cls] if cls else [KG.Ownership, KG.Control]
    return sorted((c for k in classes for c in graph.subjects(RDF.type, k)), key=str)


def label(graph: Graph, node) -> str:
    return str(graph.value(node, RDFS.label))


def share(graph: Graph, claim) -> dict:
    return {key: Decimal(str(graph.value(claim, prop))) for key, prop in SHARE_PROPERTIES.items() if graph.value(claim, prop) is not None}


def edge(graph: Graph, claim) -> tuple:
    """(type, owner or controller's name, owned or controlled entity's name) of a claim."""
    if (claim, RDF.type, KG.Ownership) in graph:
        return "Ownership", label(graph, graph.value(claim, KG.owner)), label(graph, graph.value(claim, KG.ownedEntity))
    return "Control", label(graph, graph.value(claim, KG.controller)), label(graph, graph.value(claim, KG.controlledEntity))


def sources_of(graph: Graph, claim) -> list[tuple]:
    """(statement id, status) of each attestation of a claim."""
    found = []
    for attestation in graph.objects(claim, KG.attestation):
        source = graph.value(attestation, KG.source)
        found.append((str(graph.value(source, KG.recordId)), str(graph.value(attestation, KG.status)).rsplit("#", 1)[-1]))
    return sorted(found)


# --- recognising BODS ------------------------------------------------------------------------


@pytest.mark.parametrize("path", [*BODS_04_FILES, BODS / "v0.3-1-single-direct.json"], ids=lambda p: p.name)
def test_a_bods_file_is_recognised_by_its_content_whatever_its_name(path, tmp_path):
    for name in (path.name, "extract.jsonl", "extract"):
        copy = tmp_path / name
        copy.write_bytes(path.read_bytes())
        assert reader_for(copy) is READER
    lines = tmp_path / "lines.jsonl"
    write_statements(lines, json.loads(path.read_text("utf-8")))
    assert reader_for(lines) is READER


@pytest.mark.parametrize(
    "content",
    [
        '{"@context": {"name": "http://schema.org/name"}, "@id": "http://example.org/a", "name": "A"}',
        '[{"@id": "http://example.org/a", "http://schema.org/name": "A"}]',
        '{"id": "fic-1", "schema": "Company", "properties": {"name": ["Fictional Ltd"]}}\n',
        "@prefix kg: <https://w3id.org/ai-compute-kg/ontology#> .\n# statementId recordType\n",
    ],
    ids=["json-ld", "json-ld-array", "ftm", "turtle"],
)
def test_other_json_and_rdf_is_not_taken_for_bods(content, tmp_path):
    path = tmp_path / "data.json"
    path.write_text(content, encoding="utf-8")
    assert not READER.sniff(path.read_bytes())


def test_the_registry_knows_the_bods_reader_and_writer():
    assert reader_named("bods") is READER
    assert WRITER in writers()


# --- Open Ownership's sample files -----------------------------------------------------------


def test_bods_package_is_a_person_owning_all_of_an_entity():
    graph = read(BODS / "bods-package.json")
    (claim,) = claims_of(graph)
    assert edge(graph, claim) == ("Ownership", "Jennifer Hewitson-Smith", "Profitech Ltd")
    assert share(graph, claim) == {"exact": Decimal(100)}
    assert graph.value(claim, KG.interestType) == KG.Shareholding
    assert graph.value(claim, KG.startDate) == Literal("2016-04-06", datatype=XSD.date)
    assert graph.value(claim, KG.direct) == Literal(True)
    assert claim == CLAIM["bods/93b53022ae6a"]  # named after the relationship's record id
    profitech = graph.value(claim, KG.ownedEntity)
    assert (profitech, RDF.type, KG.Organization) in graph
    assert graph.value(profitech, KG.foundingDate) == Literal("2019-09-03", datatype=XSD.date)
    (identifier,) = graph.objects(profitech, KG.identifier)
    assert (str(graph.value(identifier, KG.identifierScheme)), str(graph.value(identifier, KG.identifierValue))) == ("GB-COH", "2063384560")
    jennifer = graph.value(claim, KG.owner)
    assert (jennifer, RDF.type, KG.Person) in graph
    assert graph.value(jennifer, KG.country) is None  # a service address is not where she lives
    assert sources_of(graph, claim) == [("fbfd0547-d0c6-4a00-b559-5c5e91c34f5c", "Reported")]  # no source type: reported
    source = SOURCE["bods/fbfd0547-d0c6-4a00-b559-5c5e91c34f5c"]
    assert str(graph.value(source, DCTERMS.publisher)) == "Profitech Ltd"
    assert graph.value(source, DCTERMS.date) == Literal("2020-03-04", datatype=XSD.date)


def test_an_entity_owning_an_entity_keeps_its_share_range():
    graph = read(BODS / "bods-package-entity-owning-entity.json")
    (claim,) = claims_of(graph)
    assert edge(graph, claim) == ("Ownership", "MVJ LIMITED", "JENEX LIMITED")
    assert share(graph, claim) == {"minimum": Decimal(75), "exclusiveMaximum": Decimal(100)}
    assert (graph.value(claim, KG.owner), RDF.type, KG.Organization) in graph


def test_an_indirect_interest_keeps_its_chain_of_component_claims():
    graph = read(BODS / "indirect-ownership.json")
    indirect = CLAIM["bods/d8d75ccf40e4"]
    assert edge(graph, indirect) == ("Ownership", "Person 1", "Company A")
    assert graph.value(indirect, KG.direct) == Literal(False)
    assert share(graph, indirect) == {"exact": Decimal(30)}
    parts = sorted(graph.subjects(KG.componentOf, indirect), key=str)
    assert [edge(graph, part) for part in parts] == [
        ("Control", "Person 1", "Company B"),  # an interest of no stated type: control, basis not said
        ("Ownership", "Company B", "Company A"),
    ]
    control, holding = parts
    assert graph.value(control, KG.controlBasis) == KG.OtherInfluence
    assert graph.value(control, KG.direct) is None  # directOrIndirect "unknown" says nothing
    assert share(graph, holding) == {"exact": Decimal(60)} and graph.value(holding, KG.direct) == Literal(True)
    assert set(graph.subjects(RDF.type, KG.Ownership)) | set(graph.subjects(RDF.type, KG.Control)) == {indirect, *parts}


@pytest.mark.parametrize("path", BODS_04_FILES, ids=lambda p: p.name)
def test_what_the_reader_gives_passes_kgs_own_shapes(path):
    from kg.validate import validate_graph

    report = validate_graph(read(path))
    assert report.conforms, [str(result) for result in report.results]


@pytest.mark.parametrize("path", BODS_04_FILES, ids=lambda p: p.name)
def test_one_file_always_gives_the_same_triples_as_an_array_or_as_json_lines(path, tmp_path):
    first, again = read(path), read(path)
    assert set(first) == set(again)  # blank attestations included: they are named by what they say
    lines = write_statements(tmp_path / "same.jsonl", json.loads(path.read_text("utf-8")))
    assert set(read(lines)) == set(first)


# --- the bods-v04-fixtures pack --------------------------------------------------------------


def check_direct_ownership(graph: Graph) -> None:
    # One person holding 75% of the shares and 75% of the votes: two claims, never collapsed into one.
    claims = claims_of(graph)
    assert sorted((edge(graph, c), graph.value(c, KG.interestType)) for c in claims) == [
        (("Ownership", "Jane Smith", "Acme Holdings Ltd"), KG.Shareholding),
        (("Ownership", "Jane Smith", "Acme Holdings Ltd"), KG.VotingRights),
    ]
    assert claims == [CLAIM["bods/rec-rel-jane-acme"], CLAIM["bods/rec-rel-jane-acme/interest-2"]]
    for claim in claims:
        assert share(graph, claim) == {"exact": Decimal(75)}
        assert graph.value(claim, KG.startDate) == Literal("2010-01-01", datatype=XSD.date)
        assert sources_of(graph, claim) == [("f01-r1-3b88-4cbb-bb4f-72e9c7c4d201", "Reported")]  # primary research reports
    source = SOURCE["bods/f01-r1-3b88-4cbb-bb4f-72e9c7c4d201"]
    assert graph.value(source, DCTERMS.license) == URIRef("https://creativecommons.org/licenses/by-sa/4.0/")
    assert str(graph.value(source, DCTERMS.publisher)) == "bods-fixtures"
    assert str(graph.value(source, KG.sourceType)) == "primaryResearch"
    assert str(graph.value(source, DCTERMS.title)) == "Synthetic fixture for conformance testing"
    acme = DATA["bods/rec-acme-holdings-ltd"]
    assert str(graph.value(acme, KG.country)) == "GB"


def check_circular_ownership(graph: Graph) -> None:
    # Alpha owns Beta and Beta owns Alpha, each 100%: both edges kept, nobody invented at the top.
    assert sorted(edge(graph, c) for c in claims_of(graph)) == [
        ("Ownership", "Alpha Corp Ltd", "Beta Corp Ltd"),
        ("Ownership", "Beta Corp Ltd", "Alpha Corp Ltd"),
    ]
    assert all(share(graph, c) == {"exact": Decimal(100)} for c in claims_of(graph))
    assert not list(graph.subjects(RDF.type, KG.Person))


def check_anonymous_person(graph: Graph) -> None:
    # The subject declares it cannot identify its beneficial owner: the relationship is kept, with a
    # party that has the reason and description, and no person is made up.
    (claim,) = claims_of(graph)
    assert edge(graph, claim) == ("Control", "unspecified party (subjectUnableToConfirmOrIdentifyBeneficialOwner)", "Opaque Holdings SA")
    party = graph.value(claim, KG.controller)
    assert set(graph.objects(party, RDF.type)) == {KG.Agent}  # neither a person nor an entity: BODS does not say
    assert str(graph.value(party, KG.unspecifiedReason)) == "subjectUnableToConfirmOrIdentifyBeneficialOwner"
    assert str(graph.value(party, DCTERMS.description)).startswith("The subject entity has reported that it is unable")
    assert graph.value(claim, KG.controlBasis) == KG.OtherInfluence
    assert not list(graph.subjects(RDF.type, KG.Person))
    assert not list(graph.objects(party, KG.identifier))


EXPECTED = {
    "core/01-direct-ownership": check_direct_ownership,
    "edge-cases/10-circular-ownership": check_circular_ownership,
    "edge-cases/11-anonymous-person": check_anonymous_person,
}


def fixture_cases() -> list[str]:
    from bods_fixtures import list_cases

    return list_cases()


def test_every_fixture_of_the_pack_has_a_hand_written_expectation():
    assert fixture_cases() and set(fixture_cases()) <= set(EXPECTED), "a new fixture of bods-v04-fixtures needs its expectation here"


@pytest.mark.parametrize("name", fixture_cases())
@pytest.mark.parametrize("form", ["array", "lines"])
def test_each_fixture_of_the_pack_reads_to_what_its_expected_md_says(name, form, tmp_path):
    from bods_fixtures import load

    path = write_statements(tmp_path / ("case.json" if form == "array" else "case.jsonl"), load(name).statements, form)
    assert reader_for(path) is READER
    EXPECTED[name](read(path))


# --- a record's life: replaced, confirmed, closed ---------------------------------------------


def register(*statements) -> list:
    """Harbor Cloud (fictional) and Atlas Capital (fictional), then the statements given."""
    return [entity(1, "fic-harbor", "Harbor Cloud (fictional)", HARBOR_LEI), entity(2, "fic-atlas", "Atlas Capital (fictional)", ATLAS_LEI), *statements]


def test_the_latest_statement_of_a_record_wins_and_the_replaced_one_attests_nothing(tmp_path):
    path = write_statements(tmp_path / "r.jsonl", register(
        relationship(3, "fic-rel", "fic-harbor", "fic-atlas", shareholding({"exact": 30}, startDate="2021-01-01")),
        entity(4, "fic-other", "Unrelated Ltd (fictional)"),
        relationship(5, "fic-rel", "fic-harbor", "fic-atlas", shareholding({"exact": 40}, startDate="2021-01-01"), status="updated"),
    ))
    graph = read(path)
    (claim,) = claims_of(graph)
    assert share(graph, claim) == {"exact": Decimal(40)}
    assert sources_of(graph, claim) == [(sid(5), "Reported")]
    assert SOURCE[f"bods/{sid(3)}"] not in set(graph.subjects())  # nothing stays of what was replaced


def test_a_statement_that_confirms_a_record_is_one_more_attestation(tmp_path):
    holding = shareholding({"exact": 30}, startDate="2021-01-01")
    path = write_statements(tmp_path / "r.jsonl", register(
        relationship(3, "fic-rel", "fic-harbor", "fic-atlas", holding, source={"type": ["selfDeclaration"]}),
        relationship(4, "fic-rel", "fic-harbor", "fic-atlas", holding, status="updated", source={"type": ["officialRegister"]}),
    ))
    graph = read(path)
    (claim,) = claims_of(graph)
    assert sources_of(graph, claim) == [(sid(3), "Reported"), (sid(4), "Confirmed")]


@pytest.mark.parametrize(
    "closing, end",
    [
        ([shareholding({"exact": 30}, startDate="2021-01-01", endDate="2023-06-30")], "2023-06-30"),  # its own end date
        ([shareholding({"exact": 30}, startDate="2021-01-01")], "2024-02-01"),  # no end date: the closing statement's date
        ([], "2024-02-01"),  # no interest repeated: those the record held end
    ],
    ids=["end-date", "statement-date", "no-interests"],
)
def test_a_closed_record_ends_its_claims(closing, end, tmp_path):
    path = write_statements(tmp_path / "r.jsonl", register(
        relationship(3, "fic-rel", "fic-harbor", "fic-atlas", shareholding({"exact": 30}, startDate="2021-01-01")),
        relationship(4, "fic-rel", "fic-harbor", "fic-atlas", *closing, status="closed", date="2024-02-01"),
    ))
    graph = read(path)
    (claim,) = claims_of(graph)
    assert edge(graph, claim) == ("Ownership", "Atlas Capital (fictional)", "Harbor Cloud (fictional)")
    assert graph.value(claim, KG.endDate) == Literal(end, datatype=XSD.date)
    assert share(graph, claim) == {"exact": Decimal(30)}
    assert (sid(4), "Reported") in sources_of(graph, claim)


def test_an_agent_renamed_later_has_its_latest_name_only(tmp_path):
    path = write_statements(tmp_path / "r.jsonl", register(
        entity(3, "fic-harbor", "Harbor Cloud Inc (fictional)", HARBOR_LEI, status="updated"),
    ))
    graph = read(path)
    assert [str(n) for n in graph.objects(DATA["bods/fic-harbor"], RDFS.label)] == ["Harbor Cloud Inc (fictional)"]


# --- interests, sources, parties, identifiers ------------------------------------------------


def test_interest_types_become_ownership_or_control_with_a_basis(tmp_path):
    path = write_statements(tmp_path / "r.jsonl", register(
        person(3, "fic-ivy", "Ivy Park (fictional)", details={"addresses": [{"type": "residence", "country": {"name": "United Kingdom", "code": "GB"}}]}),
        relationship(
            4, "fic-rel", "fic-harbor", "fic-ivy",
            {"type": "votingRights", "directOrIndirect": "indirect", "share": {"exclusiveMinimum": 25, "maximum": 50}},
            {"type": "appointmentOfBoard", "directOrIndirect": "direct", "details": "appoints the board (fictional)"},
            {"type": "otherInfluenceOrControl", "startDate": "2022-05"},
            {"type": "seniorManagingOfficial"},
            {"type": "boardMember", "startDate": "2021"},
        ),
    ))
    graph = read(path)
    ivy = DATA["bods/fic-ivy"]
    assert str(graph.value(ivy, KG.country)) == "GB"
    voting, board, other, official = (CLAIM["bods/fic-rel"], *(CLAIM[f"bods/fic-rel/interest-{n}"] for n in (2, 3, 4)))
    assert graph.value(voting, KG.interestType) == KG.VotingRights and graph.value(voting, KG.direct) == Literal(False)
    assert share(graph, voting) == {"exclusiveMinimum": Decimal(25), "maximum": Decimal(50)}
    assert graph.value(board, KG.controlBasis) == KG.BoardAppointment
    assert str(graph.value(board, RDFS.comment)) == "appoints the board (fictional)"
    assert graph.value(other, KG.controlBasis) == KG.OtherInfluence
    assert graph.value(other, KG.startDate) == Literal("2022-05", datatype=XSD.gYearMonth)
    # A senior managing official and a board member hold a post, not control: affiliations, which the
    # interlock rules read, never control links.
    member = CLAIM["bods/fic-rel/interest-5"]
    assert (official, RDF.type, KG.Affiliation) in graph and (official, RDF.type, KG.Control) not in graph
    assert graph.value(official, KG.affiliationKind) == KG.Officer and str(graph.value(official, KG.roleTitle)) == "senior managing official"
    assert graph.value(official, KG.affiliate) == ivy and graph.value(official, KG.affiliatedOrganization) == DATA["bods/fic-harbor"]
    assert graph.value(member, KG.affiliationKind) == KG.BoardSeat and graph.value(member, KG.startDate) == Literal("2021", datatype=XSD.gYear)
    assert {edge(graph, c)[1] for c in (board, other)} == {"Ivy Park (fictional)"}


@pytest.mark.parametrize(
    "types, status",
    [(["officialRegister"], "Confirmed"), (["thirdParty", "verified"], "Confirmed"), (["selfDeclaration"], "Reported"), ([], "Reported")],
)
def test_official_register_and_verified_statements_confirm_and_the_others_report(types, status, tmp_path):
    source = {"type": types, "description": "Fictional register extract", "url": "https://register.example.org/fic-harbor",
              "retrievedAt": "2024-03-05T10:00:00Z"}
    path = write_statements(tmp_path / "r.jsonl", register(
        relationship(3, "fic-rel", "fic-harbor", "fic-atlas", shareholding({"exact": 51}), source=source),
    ))
    graph = read(path)
    (claim,) = claims_of(graph)
    assert sources_of(graph, claim) == [(sid(3), status)]
    iri = SOURCE[f"bods/{sid(3)}"]
    assert str(graph.value(iri, DCTERMS.title)) == "Fictional register extract"
    assert graph.value(iri, DCTERMS.source) == URIRef("https://register.example.org/fic-harbor")
    assert graph.value(iri, KG.retrievedOn) == Literal("2024-03-05T10:00:00Z", datatype=XSD.dateTime)
    assert sorted(str(t) for t in graph.objects(iri, KG.sourceType)) == sorted(types)


def test_anonymous_and_unknown_persons_are_kept_with_their_reason_and_no_name_made_up(tmp_path):
    path = write_statements(tmp_path / "r.jsonl", register(
        statement(3, "fic-anon", "person", {"isComponent": False, "personType": "anonymousPerson",
                                            "unspecifiedPersonDetails": {"reason": "interestedPartyExemptFromDisclosure"}}),
        statement(4, "fic-unknown", "person", {"isComponent": False, "personType": "unknownPerson"}),
        relationship(5, "fic-rel-1", "fic-harbor", "fic-anon", shareholding({"exclusiveMinimum": 25})),
        relationship(6, "fic-rel-2", "fic-atlas", "fic-unknown", {"type": "unknownInterest"}),
    ))
    graph = read(path)
    anon, unknown = DATA["bods/fic-anon"], DATA["bods/fic-unknown"]
    assert (label(graph, anon), str(graph.value(anon, KG.unspecifiedReason))) == (
        "anonymous person (interestedPartyExemptFromDisclosure)", "interestedPartyExemptFromDisclosure")
    assert (label(graph, unknown), str(graph.value(unknown, KG.unspecifiedReason))) == ("unknown person", "unknown")
    assert {(anon, RDF.type, KG.Person), (unknown, RDF.type, KG.Person)} <= set(graph)
    assert len(claims_of(graph)) == 2


def test_identifiers_are_normalised_and_those_kg_cannot_check_are_left_out_with_a_warning(tmp_path):
    identifiers = [
        {"scheme": "XI-LEI", "id": HARBOR_LEI.lower()},  # kept, upper case
        {"scheme": "XI-LEI", "id": "999900HARBORCLOUD099"},  # wrong check digits
        {"schemeName": "Fictional national register", "id": "123"},  # no scheme code
        {"scheme": "GB-COH", "id": "09999999"},
    ]
    path = write_statements(tmp_path / "r.jsonl", [entity(1, "fic-harbor", "Harbor Cloud (fictional)", details={"identifiers": identifiers})])
    with pytest.warns(KgWarning, match=r"2 identifier\(s\) left out.*999900HARBORCLOUD099"):
        graph = read(path)
    pairs = {(str(graph.value(i, KG.identifierScheme)), str(graph.value(i, KG.identifierValue))) for i in graph.subjects(RDF.type, KG.Identifier)}
    assert pairs == {("XI-LEI", HARBOR_LEI), ("GB-COH", "09999999")}


def test_a_party_the_file_does_not_hold_is_kept_with_a_warning(tmp_path):
    path = write_statements(tmp_path / "r.jsonl", register(relationship(3, "fic-rel", "fic-harbor", "fic-elsewhere", shareholding({"exact": 10}))))
    with pytest.warns(KgWarning, match=r"1 reference\(s\) to records the file does not hold.*'fic-elsewhere'"):
        graph = read(path)
    assert graph.value(CLAIM["bods/fic-rel"], KG.owner) == DATA["bods/fic-elsewhere"]


def test_the_progress_callback_is_told_every_byte_once_over_both_passes(tmp_path):
    statements = register(*(relationship(n, f"fic-rel-{n}", "fic-harbor", "fic-atlas", shareholding({"exact": 1})) for n in range(3, 200)))
    for form in ("lines", "array"):
        path = write_statements(tmp_path / f"big.{form}", statements, form)
        told: list[int] = []
        graph = Graph()
        for triple in READER.read(path, progress=told.append):
            graph.add(triple)
        assert sum(told) == path.stat().st_size and len(claims_of(graph)) == 197


def test_record_ids_that_share_a_hash_are_told_apart(tmp_path, monkeypatch):
    from kg.io.ownership import bods_read

    path = write_statements(tmp_path / "r.jsonl", [
        *json.loads((BODS / "indirect-ownership.json").read_text("utf-8")),
        *register(
            relationship(3, "fic-rel", "fic-harbor", "fic-atlas", shareholding({"exact": 30})),
            relationship(4, "fic-rel", "fic-harbor", "fic-atlas", shareholding({"exact": 40}), status="updated"),
        ),
    ])
    expected = set(read(path))
    monkeypatch.setattr(bods_read, "record_key", lambda record_id: 7)  # every id one hash: every statement waits for the last
    assert set(read(path)) == expected


def test_a_component_stated_after_its_primary_still_joins_its_chain(tmp_path):
    statements = json.loads((BODS / "indirect-ownership.json").read_text("utf-8"))
    primary = statements.pop()
    path = write_statements(tmp_path / "r.jsonl", [*statements[:3], primary, *statements[3:]])
    graph = read(path)
    assert len(set(graph.subjects(KG.componentOf, CLAIM["bods/d8d75ccf40e4"]))) == 2


def test_a_byte_order_mark_is_no_data(tmp_path):
    for form in ("lines", "array"):
        path = write_statements(tmp_path / f"bom-{form}.json", register(), form)
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
        assert reader_for(path) is READER and len(set(read(path).subjects(RDF.type, KG.Organization))) == 2


@pytest.mark.parametrize("form", ["lines", "array"])
def test_a_statement_nested_thousands_deep_is_refused_before_it_costs_memory(form, tmp_path):
    # ijson's items() spelled out each value's path: 10^5 levels took it 24 GB. 5,000 show the limit safely.
    deep = register(entity(3, "fic-deep", "Deep Ltd (fictional)", details={"alternateNames": "x"}))
    path = write_statements(tmp_path / f"deep-{form}.json", deep, form)
    path.write_text(path.read_text("utf-8").replace('"x"', "[" * 5000 + "]" * 5000), encoding="utf-8")
    assert reader_for(path) is READER  # the first statement still shows what the file is
    where = ":3" if form == "lines" else ": statement 3"
    with pytest.raises(InputError, match=f"{where}: nested more than 32 deep, which no BODS statement is"):
        read(path)


@pytest.mark.parametrize("content", ["[]", "\n\n", "[\n]\n"])
def test_a_file_named_bods_that_holds_no_statement_is_an_error_not_an_empty_graph(invoke, content, tmp_path):
    path = tmp_path / "empty.json"
    path.write_text(content, encoding="utf-8")
    result = invoke("stats", "--data", f"bods:{path}")
    said = "holds no BODS statement" if "[" in content else "not BODS: a BODS file is a JSON array of statements, or JSON Lines (one statement per line)"
    assert result.exit_code == 2 and result.stderr.strip().splitlines() == [f"Error: {path}: {said}"]


# --- what kg cannot read ---------------------------------------------------------------------


def bad_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    good = [json.dumps(s) for s in register(relationship(3, "fic-rel", "fic-harbor", "fic-atlas", shareholding({"exact": 30})))]
    files = {
        "bods-0.3": (BODS / "v0.3-1-single-direct.json", r"BODS 0\.3 is not supported; kg reads BODS 0\.4"),
        "truncated-lines": ("\n".join(good)[:-25], r":3: the file ends in the middle of a statement \(cut short\?\)"),
        "truncated-array": ("[" + ",\n".join(good)[:-25], r"the file ends after statement 2, in the middle of its array"),
        "not-json": (good[0] + "\n{statementId: 1}\n", r":2: not valid JSON"),
        "share-over-100": ("\n".join(good).replace('"exact": 30', '"exact": 130'),
                           rf":3: statement '{sid(3)}': interests/0: share exact 130 is not a percentage from 0 to 100"),
        "no-record-id": ("\n".join(good).replace('"recordId": "fic-atlas", ', ""), rf":2: statement '{sid(2)}': needs a recordId"),
        "bad-date": ("\n".join(good).replace('"exact": 30}', '"exact": 30}, "startDate": "1 March 2024"'),
                     rf":3: statement '{sid(3)}': interests/0: startDate '1 March 2024' is not a date \(YYYY-MM-DD\)"),
        "bods-0.5": ("\n".join(good).replace('"bodsVersion": "0.4"', '"bodsVersion": "0.5"'), r"BODS 0\.5 is not supported"),
    }
    found = {}
    for name, (content, message) in files.items():
        if isinstance(content, Path):
            found[name] = (content, message)
            continue
        path = tmp_path / f"{name}.{'json' if name.endswith('array') else 'jsonl'}"
        path.write_text(content, encoding="utf-8")
        found[name] = (path, message)
    return found


BAD = ["bods-0.3", "truncated-lines", "truncated-array", "not-json", "share-over-100", "no-record-id", "bad-date", "bods-0.5"]


@pytest.mark.parametrize("name", BAD)
def test_a_file_kg_cannot_read_is_one_input_error_naming_the_file_and_the_statement(name, tmp_path):
    path, message = bad_files(tmp_path)[name]
    with pytest.raises(InputError, match=message) as raised:
        read(path)
    assert str(raised.value).startswith(str(path))


@pytest.mark.parametrize("store", [[], ["--store", "oxigraph"]], ids=["memory", "oxigraph"])
@pytest.mark.parametrize("name", ["bods-0.3", "truncated-lines", "not-json", "truncated-array"])
def test_the_cli_shows_one_error_line_naming_the_file_and_exits_2(invoke, name, store, tmp_path):
    path, message = bad_files(tmp_path)[name]
    forced = [] if reader_for(path) is READER else ["bods:"]  # a file cut before its first statement cannot be told by content
    result = invoke("stats", "--data", "".join(forced) + str(path), *store)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and str(path) in lines[0], result.stderr
    assert "Traceback" not in result.output + result.stderr


# --- a register extract beside the analyst's own sheet --------------------------------------


SHEET_ENTITIES = f"""id,name,type,identifiers
kite-ai,Kite AI (fictional),AILab,
sable-ai,Sable AI (fictional),AILab,
harbor-cloud,Harbor Cloud (fictional),CloudProvider,lei:{HARBOR_LEI}
atlas-capital,Atlas Capital (fictional),Investor,lei:{ATLAS_LEI}
"""
SHEET_RELATIONS = """subject,relation,object,start,status,source
kite-ai,buys_compute_from,harbor-cloud,2024,reported,Kite AI press release (fictional)
sable-ai,competes_with,kite-ai,2023,reported,Trade press (fictional)
atlas-capital,controls,sable-ai,2022,confirmed,Trade press (fictional)
"""


def register_extract() -> list:
    """Atlas Capital holds 80% of Meridian Holdings, which holds 70% of Harbor Cloud: a chain the sheet does not know."""
    return [
        entity(1, "reg-atlas", "ATLAS CAPITAL LTD (fictional)", ATLAS_LEI),
        entity(2, "reg-meridian", "MERIDIAN HOLDINGS LTD (fictional)", MERIDIAN_LEI),
        entity(3, "reg-harbor", "HARBOR CLOUD INC (fictional)", HARBOR_LEI),
        relationship(4, "reg-rel-1", "reg-meridian", "reg-atlas", shareholding({"exact": 80}, startDate="2022-01-10"),
                     source={"type": ["officialRegister"], "description": "Fictional company register, 2024 extract"}),
        relationship(5, "reg-rel-2", "reg-harbor", "reg-meridian", shareholding({"exact": 70}, startDate="2023-04-01"),
                     source={"type": ["officialRegister"], "description": "Fictional company register, 2024 extract"}),
    ]


@pytest.fixture
def sheet_and_register(tmp_path):
    sheet = tmp_path / "sheet"
    sheet.mkdir()
    (sheet / "entities.csv").write_text(SHEET_ENTITIES, encoding="utf-8")
    (sheet / "relations.csv").write_text(SHEET_RELATIONS, encoding="utf-8")
    return sheet, write_statements(tmp_path / "register.jsonl", register_extract())


@pytest.mark.parametrize("store", [[], ["--store", "oxigraph"]], ids=["memory", "oxigraph"])
def test_a_register_extract_completes_the_chain_the_sheet_misses(invoke, sheet_and_register, store):
    sheet, extract = sheet_and_register
    result = invoke("conflicts", "--data", sheet, "--data", extract, "--as-of", "2025-06", "--format", "json", *store)
    assert result.exit_code == 0, result.output
    (finding,) = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "competitor-controlled-supplier"]
    sources = {source["title"] for evidence in finding["evidence"] for source in evidence["sources"]}
    assert {"Kite AI press release (fictional)", "Fictional company register, 2024 extract"} <= sources
    owned = [e["object"]["label"] for e in finding["evidence"] if e["type"] == "Ownership"]
    assert "MERIDIAN HOLDINGS LTD (fictional)" in owned
    for alone in ([sheet], [extract]):
        result = invoke("conflicts", *(x for path in alone for x in ("--data", path)), "--as-of", "2025-06", "--format", "json", *store)
        assert result.exit_code == 0, result.output
        assert not [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "competitor-controlled-supplier"]


def test_stats_reads_a_json_lines_file_as_bods_not_as_json_ld(invoke, sheet_and_register):
    _, extract = sheet_and_register
    result = invoke("stats", "--data", extract, "--format", "json")
    assert result.exit_code == 0, result.output
    classes = json.loads(result.stdout)["classes"]
    assert (classes["Organization"], classes["Ownership"], classes["Source"]) == (3, 2, 2)


def test_kg_ingest_writes_a_bods_file_as_the_same_sorted_turtle_every_time(invoke, sheet_and_register, tmp_path):
    _, extract = sheet_and_register
    outputs = [tmp_path / "first.ttl", tmp_path / "second.ttl"]
    for output in outputs:
        result = invoke("ingest", extract, "-o", output)
        assert result.exit_code == 0, result.output
    assert outputs[0].read_bytes() == outputs[1].read_bytes()
    assert set(Graph().parse(outputs[0])) and len(claims_of(Graph().parse(outputs[0]))) == 2


# --- writing BODS ----------------------------------------------------------------------------

TODAY = __import__("datetime").date(2025, 7, 1)


def bods_problems(path: Path) -> list:
    """What the BODS 0.4 JSON Schema (and libcovebods's checks that need no network) say of a file."""
    import libcovebods.config
    import libcovebods.data_reader
    import libcovebods.jsonschemavalidate
    import libcovebods.run_tasks
    import libcovebods.schema
    from libcovebods.base_task import AdditionalCheck
    from libcovebods.tasks.checks import record_based_checks

    reader = libcovebods.data_reader.DataReader(str(path))
    config = libcovebods.config.LibCoveBODSConfig()
    schema = libcovebods.schema.SchemaBODS(reader, config)
    assert schema.schema_version == "0.4"
    problems = [error.json() for error in libcovebods.jsonschemavalidate.JSONSchemaValidator(schema).validate(reader)]
    offline = [  # the known-scheme check downloads org-id.guide's list: left out
        check for check in vars(record_based_checks).values()
        if isinstance(check, type) and issubclass(check, AdditionalCheck) and check is not AdditionalCheck
        and check is not record_based_checks.CheckStatementEntityIdentifiersHaveKnownScheme
    ]
    checks = libcovebods.run_tasks.process_additional_checks(reader, config, schema, task_classes=offline)
    return problems + checks["additional_checks"]


def export(graph: Graph, path: Path) -> Path:
    buffer = io.BytesIO()
    write_bods(graph, buffer, today=TODAY)
    path.write_bytes(buffer.getvalue())
    return path


def fictional_graph() -> Graph:
    """A small world with every kind of thing BODS can hold, and some it cannot."""
    b = GraphBuilder()
    g = b.graph
    b.agent("kite-ai", "AILab")
    b.agent("harbor-cloud", "CloudProvider")
    b.agent("atlas-capital", "Investor")
    b.agent("ivy-park", "Person")
    for agent, scheme, value in (("harbor-cloud", "XI-LEI", HARBOR_LEI), ("atlas-capital", "XI-LEI", ATLAS_LEI), ("atlas-capital", "GB-COH", "09999999")):
        node = DATA[f"identifier/{scheme}/{value}"]
        g.add((DATA[agent], KG.identifier, node))
        g.add((node, RDF.type, KG.Identifier))
        g.add((node, KG.identifierScheme, Literal(scheme)))
        g.add((node, KG.identifierValue, Literal(value)))
    g.add((DATA["kite-ai"], KG.country, Literal("US-DE")))
    g.add((DATA["ivy-park"], KG.country, Literal("GB")))
    g.add((DATA["harbor-cloud"], KG.foundingDate, Literal("2019-09-03", datatype=XSD.date)))
    anonymous = DATA["anonymous-owner"]
    g.add((anonymous, RDF.type, KG.Person))
    g.add((anonymous, RDFS.label, Literal("anonymous person (interestedPartyExemptFromDisclosure)")))
    g.add((anonymous, KG.unspecifiedReason, Literal("interestedPartyExemptFromDisclosure")))
    nobody = DATA["no-owner"]
    g.add((nobody, RDF.type, KG.Agent))
    g.add((nobody, RDFS.label, Literal("unspecified party (noBeneficialOwners)")))
    g.add((nobody, KG.unspecifiedReason, Literal("noBeneficialOwners")))
    g.add((nobody, DCTERMS.description, Literal("Kite AI (fictional) declares no beneficial owner.")))
    registry, article = SOURCE["fictional-register-2024"], URIRef("https://news.example.org/atlas-harbor")
    g.add((registry, RDF.type, KG.Source))
    g.add((registry, DCTERMS.title, Literal("Fictional company register, 2024 extract")))
    g.add((registry, DCTERMS.source, URIRef("https://register.example.org/harbor-cloud")))
    g.add((registry, DCTERMS.publisher, Literal("Fictional Register")))
    g.add((registry, DCTERMS.license, URIRef("https://creativecommons.org/publicdomain/zero/1.0/")))
    g.add((registry, KG.retrievedOn, Literal("2024-05-01", datatype=XSD.date)))
    g.add((registry, DCTERMS.date, Literal("2024-04-30", datatype=XSD.date)))
    g.add((article, RDF.type, KG.Source))
    g.add((article, DCTERMS.title, Literal("Atlas buys into Harbor (fictional article)", lang="en")))

    def cite(claim, source, status):
        node = BNode()
        g.add((claim, KG.attestation, node))
        g.add((node, RDF.type, KG.Attestation))
        g.add((node, KG.source, source))
        g.add((node, KG.status, KG[status]))

    holding = b.ownership("atlas-capital", "harbor-cloud", start="2023-03", end="2025", share={"exact": "62.5"}, claim_id="atlas-holds-harbor")
    g.remove((holding, KG.attestation, None))
    cite(holding, registry, "Confirmed")
    cite(holding, article, "Reported")
    g.add((holding, KG.interestType, KG.Shareholding))
    g.add((holding, KG.direct, Literal(True)))
    votes = b.ownership("ivy-park", "atlas-capital", start="2021-06-01", share={"minimum": 25, "maximum": 50}, claim_id="ivy-votes-atlas")
    g.add((votes, KG.interestType, KG.VotingRights))
    board = b.control("ivy-park", "kite-ai", start="2022", claim_id="ivy-board-kite")
    g.add((board, KG.controlBasis, KG.BoardAppointment))
    g.add((board, RDFS.comment, Literal("appoints the board (fictional)", lang="en")))
    b.control("no-owner", "kite-ai", claim_id="nobody-controls-kite")
    b.ownership("anonymous-owner", "harbor-cloud", share={"exclusiveMinimum": 25}, claim_id="anonymous-holds-harbor")
    through = b.ownership("ivy-park", "harbor-cloud", share={"exact": 15}, claim_id="ivy-holds-harbor-indirectly")
    g.add((through, KG.direct, Literal(False)))
    for part in (votes, holding):
        g.add((part, KG.componentOf, through))
    # What BODS cannot hold: other claim types, a rumour, a deal not done.
    b.contract("kite-ai", "harbor-cloud", start="2024", claim_id="kite-buys-from-harbor")
    b.investment("atlas-capital", "kite-ai", start="2024", claim_id="atlas-invests-in-kite")
    b.ownership("kite-ai", "harbor-cloud", share={"exact": 5}, status="rumored", claim_id="rumoured-stake")
    b.control("atlas-capital", "kite-ai", stage="proposed", claim_id="proposed-takeover")
    return g


WRITTEN_CLAIMS = {"atlas-holds-harbor", "ivy-votes-atlas", "ivy-board-kite", "nobody-controls-kite", "anonymous-holds-harbor", "ivy-holds-harbor-indirectly"}


def canonical(graph: Graph) -> dict:
    """What BODS can hold of a graph, with no IRI of a source or of a party BODS names inline."""

    def agent(node):
        types = {t for t in graph.objects(node, RDF.type)}
        kind = "person" if KG.Person in types else "party" if types == {KG.Agent} else "entity"
        identifiers = frozenset((str(graph.value(i, KG.identifierScheme)), str(graph.value(i, KG.identifierValue))) for i in graph.objects(node, KG.identifier))
        facts = (graph.value(node, KG.country), graph.value(node, KG.unspecifiedReason), graph.value(node, DCTERMS.description), graph.value(node, KG.foundingDate))
        return (kind, str(graph.value(node, RDFS.label)), identifiers, tuple(str(f) if f is not None else None for f in facts))

    def source(attestation):
        node = graph.value(attestation, KG.source)
        url = graph.value(node, DCTERMS.source) or (node if str(node).startswith("https://news.") else None)
        facts = [graph.value(node, p) for p in (DCTERMS.title, DCTERMS.publisher, DCTERMS.license, KG.retrievedOn)]
        # What BODS asks for and the source did not say: an untitled statement is titled by its id (the first
        # statement's, which the description of a statement kg writes keeps), its publisher is kg.
        if str(facts[0]).startswith("BODS statement "):
            facts[0] = None
        if str(facts[1]) == "kg":
            facts[1] = None
        return (str(graph.value(attestation, KG.status)), str(url), *(str(f) if f is not None else None for f in facts))

    claims = {}
    for claim in claims_of(graph):
        cls = KG.Ownership if (claim, RDF.type, KG.Ownership) in graph else KG.Control
        roles = (KG.owner, KG.ownedEntity) if cls == KG.Ownership else (KG.controller, KG.controlledEntity)
        start, end = graph.value(claim, KG.startDate), graph.value(claim, KG.endDate)
        claims[str(claim)] = (
            str(cls), agent(graph.value(claim, roles[0])), agent(graph.value(claim, roles[1])), tuple(sorted(share(graph, claim).items())),
            date_bound(str(start), end=False) if start else None, date_bound(str(end), end=True) if end else None,
            # An ownership that does not say what it is a part of is written as a shareholding (README).
            graph.value(claim, KG.direct), graph.value(claim, KG.interestType) or (KG.Shareholding if cls == KG.Ownership else None),
            graph.value(claim, KG.controlBasis) or (KG.OtherInfluence if cls == KG.Control else None),  # so is a control of no basis
            str(graph.value(claim, RDFS.comment)), frozenset(source(a) for a in graph.objects(claim, KG.attestation)),
            frozenset(str(whole) for whole in graph.objects(claim, KG.componentOf)),
        )
    agents = {agent(a) for a in set(graph.subjects(RDF.type, None)) if set(graph.objects(a, RDF.type)) & {KG.Person, KG.Agent, KG.Organization, KG.AILab, KG.CloudProvider, KG.Investor}}
    return {"claims": claims, "agents": agents}


def test_kgs_graph_written_as_bods_passes_the_bods_04_schema(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KgWarning)
        path = export(fictional_graph(), tmp_path / "out.json")
    assert bods_problems(path) == []
    statements = json.loads(path.read_text("utf-8"))
    assert {s["publicationDetails"]["bodsVersion"] for s in statements} == {"0.4"}
    assert [s["recordType"] for s in statements].index("relationship") == sum(s["recordType"] != "relationship" for s in statements)


def test_kg_reads_its_bods_back_to_every_agent_claim_share_date_and_source_bods_can_hold(tmp_path):
    original = fictional_graph()
    with pytest.warns(KgWarning) as said:
        path = export(original, tmp_path / "out.json")
    back = read(path)
    before, after = canonical(original), canonical(back)
    assert set(after["claims"]) == {str(CLAIM[c]) for c in WRITTEN_CLAIMS}  # kg's own IRIs come back
    for claim in after["claims"]:
        assert after["claims"][claim] == before["claims"][claim], claim
    assert after["agents"] == before["agents"]
    for agent in ("kite-ai", "harbor-cloud", "atlas-capital", "ivy-park", "anonymous-owner"):
        assert (DATA[agent], RDFS.label, None) in back
    warned = " | ".join(str(w.message) for w in said)
    assert "2 claim(s) left out, BODS holds ownership and control only (ComputeContract 1, Investment 1)" in warned
    assert "1 ownership or control claim(s) only rumored or denied left out" in warned
    assert "1 ownership or control claim(s) of a deal only proposed, agreed or terminated left out" in warned


def test_a_partial_date_is_written_as_the_day_it_starts_or_ends(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KgWarning)
        statements = json.loads(export(fictional_graph(), tmp_path / "out.json").read_text("utf-8"))
    (holding,) = {s["recordId"]: s for s in statements if s["recordId"].endswith("/atlas-holds-harbor")}.values()
    assert holding["recordDetails"]["interests"] == [
        {"type": "shareholding", "directOrIndirect": "direct", "share": {"exact": 62.5}, "startDate": "2023-03-01", "endDate": "2025-12-31"}
    ]


def test_each_source_of_a_claim_is_one_statement_of_its_record(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KgWarning)
        statements = json.loads(export(fictional_graph(), tmp_path / "out.json").read_text("utf-8"))
    holding = [s for s in statements if s["recordId"] == str(CLAIM["atlas-holds-harbor"])]
    assert [s["recordStatus"] for s in holding] == ["new", "updated"]
    register, article = sorted(holding, key=lambda s: s["source"]["description"], reverse=True)
    assert register["source"] == {
        "type": ["verified"], "description": "Fictional company register, 2024 extract",
        "url": "https://register.example.org/harbor-cloud", "retrievedAt": "2024-05-01",
    }
    assert register["publicationDetails"] == {
        "publicationDate": "2025-07-01", "bodsVersion": "0.4", "publisher": {"name": "Fictional Register"},
        "license": "https://creativecommons.org/publicdomain/zero/1.0/",
    }
    assert register["statementDate"] == "2024-04-30"
    assert article["source"] == {"type": ["thirdParty"], "description": "Atlas buys into Harbor (fictional article)", "url": "https://news.example.org/atlas-harbor"}
    assert article["publicationDetails"]["publisher"] == {"name": "kg"} and article["statementDate"] == "2025-07-01"
    (indirect,) = [s for s in statements if s["recordId"] == str(CLAIM["ivy-holds-harbor-indirectly"])]
    assert indirect["recordDetails"]["componentRecords"] == sorted([str(CLAIM["atlas-holds-harbor"]), str(CLAIM["ivy-votes-atlas"])])
    nobody = [s for s in statements if s["recordId"] == str(CLAIM["nobody-controls-kite"])][0]
    assert nobody["recordDetails"]["interestedParty"] == {"reason": "noBeneficialOwners", "description": "Kite AI (fictional) declares no beneficial owner."}


def test_the_same_graph_is_written_the_same_byte_for_byte(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KgWarning)
        first, second = export(fictional_graph(), tmp_path / "a.json"), export(fictional_graph(), tmp_path / "b.json")
    assert first.read_bytes() == second.read_bytes()


def test_a_control_through_shares_comes_back_as_an_ownership_as_the_readme_says(tmp_path):
    b = GraphBuilder()
    claim = b.control("ivy-park", "kite-ai", start="2022", share={"exact": 60}, claim_id="ivy-controls-kite")
    b.graph.add((claim, KG.controlBasis, KG.Shareholding))
    back = read(export(b.graph, tmp_path / "out.json"))
    assert (claim, RDF.type, KG.Ownership) in back and share(back, claim) == {"exact": Decimal(60)}


@pytest.mark.parametrize("name", [*(p.name for p in BODS_04_FILES), *fixture_cases()])
def test_bods_read_and_written_again_reads_to_the_same_claims(name, tmp_path):
    if name.endswith(".json"):
        path = BODS / name
    else:
        from bods_fixtures import load

        path = write_statements(tmp_path / "case.json", load(name).statements, "array")
    first = read(path)
    again = read(export(first, tmp_path / "again.json"))
    assert bods_problems(tmp_path / "again.json") == []
    assert canonical(again) == canonical(first)


def test_the_bundled_example_exports_to_valid_bods_through_the_cli(invoke, tmp_path):
    out = tmp_path / "bundled.json"
    result = invoke("export", "--format", "bods", "-o", out)
    assert result.exit_code == 0, result.output
    assert "Warning: BODS export:" in result.stderr and "left out, BODS holds ownership and control only" in result.stderr
    assert bods_problems(out) == []
    again = invoke("stats", "--data", out, "--format", "json")
    assert json.loads(again.stdout)["classes"]["Control"] >= 1


# Names and notes anyone can write (quotes, control characters, other scripts; no lone surrogate,
# which no RDF store holds); shares as BODS gives them; dates of every precision.
names = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40).filter(str.strip)
percent = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)
shares = st.one_of(
    st.builds(lambda v: {"exact": v}, percent),
    st.tuples(percent, percent).map(lambda pair: {"minimum": min(pair), "maximum": max(pair)}),
    st.builds(lambda key, v: {key: v}, st.sampled_from(["exclusiveMinimum", "exclusiveMaximum", "minimum", "maximum"]), percent),
    st.just({}),
)
dates = st.one_of(st.none(), st.dates(min_value=__import__("datetime").date(1990, 1, 1), max_value=__import__("datetime").date(2030, 12, 31)).flatmap(
    lambda day: st.sampled_from([day.isoformat(), day.isoformat()[:7], day.isoformat()[:4]])))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(owner=names, owned=names, note=names, share_given=shares, start=dates, end=dates, direct=st.sampled_from([None, True, False]),
       status=st.sampled_from(["reported", "confirmed"]))
def test_any_ownership_survives_a_round_trip_through_bods(tmp_path, owner, owned, note, share_given, start, end, direct, status):
    b = GraphBuilder()
    b.agent("owner", "Person")
    b.agent("owned", "AILab")
    b.graph.set((DATA["owner"], RDFS.label, Literal(owner)))
    b.graph.set((DATA["owned"], RDFS.label, Literal(owned)))
    claim = b.ownership("owner", "owned", start=start, end=end, share=share_given, status=status, claim_id="the-holding")
    b.graph.add((claim, RDFS.comment, Literal(note)))
    if direct is not None:
        b.graph.add((claim, KG.direct, Literal(direct)))
    path = export(b.graph, tmp_path / "any.json")
    assert canonical(read(path)) == canonical(b.graph)
