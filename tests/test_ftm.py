"""FollowTheMoney in and out (kg.io.ownership.ftm, issue 17): the public sample files read to the claims
written out below by hand, percentages and their bands, relationships and the agents they point to, the
provenance each claim keeps, a kg → FtM → kg round trip, ``ftm validate`` on what kg writes, one error line
for a malformed file, and ``kg conflicts`` over a sheet and an FtM file on rdflib and Oxigraph.
Every entity is fictional but for the public sample files' own.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import warnings
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

import servers
from graph_builder import GraphBuilder
from kg.errors import InputError, KgWarning, UsageError
from kg.export import export_graph
from kg.io.load import load_graph
from kg.io.ownership import reader_for
from kg.io.ownership.ftm import READER, WRITER
from kg.io.walk import DataFile, walk
from kg.vocab import CLAIM, DATA, KG, SOURCE

followthemoney = pytest.importorskip("followthemoney")

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ownership" / "ftm"
DOCS = FIXTURES / "ftm-docs-examples.ftm.json"
YENTE = FIXTURES / "yente-donations-excerpt.ijson"
LEI = {"kite": "5299000FTMKITEAI0136", "harbor": "5299000FTMHARBOR0189", "ivy": "5299000FTMIVYPARK116"}

loopback_only = pytest.fixture(autouse=True)(servers.loopback_only)


def read(path) -> tuple[Graph, list[str]]:
    """The graph kg reads from ``path`` (data only) and the warnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        graph = load_graph([path], include_ontology=False)
    return graph, [str(w.message) for w in caught if issubclass(w.category, KgWarning)]


def entities_file(tmp_path, *entities, name="entities.ftm.json") -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(e) + "\n" for e in entities), encoding="utf-8")
    return path


def entity(entity_id, schema, **properties) -> dict:
    return {"id": entity_id, "schema": schema, "properties": {k: v if isinstance(v, list) else [v] for k, v in properties.items()}}


def company(entity_id, name, **properties) -> dict:
    return entity(entity_id, "Company", name=name, **properties)


def only(graph, subject, predicate):
    values = list(graph.objects(subject, predicate))
    assert len(values) == 1, (subject, predicate, values)
    return values[0]


# --- the public sample files ----------------------------------------------------------------------

def test_the_documentation_examples_read_as_a_person_owning_51_percent_of_a_company():
    graph, caught = read(DOCS)
    john, holdings = DATA["1b38214f88d139897bbd13eabde464043d84bbf9"], DATA["company-entity-id"]
    claim, source = CLAIM["ownership-entity-id"], SOURCE["ftm/ownership-entity-id"]
    assert set(graph.objects(john, RDF.type)) == {KG.Person}
    assert only(graph, john, RDFS.label) == Literal("John Doe")
    assert (john, KG.country, None) not in graph  # a nationality is not where one is based
    assert set(graph.objects(holdings, RDF.type)) == {KG.Organization}
    assert only(graph, holdings, RDFS.label) == Literal("Example Holdings Ltd")
    assert only(graph, holdings, KG.country) == Literal("GB")  # from its jurisdiction
    identifier = only(graph, holdings, KG.identifier)
    assert (only(graph, identifier, KG.identifierScheme), only(graph, identifier, KG.identifierValue)) == (
        Literal("XI-LEI"), Literal("5493001KJTIIGC8Y1R12"))
    assert set(graph.objects(claim, RDF.type)) == {KG.Ownership}
    assert (only(graph, claim, KG.owner), only(graph, claim, KG.ownedEntity)) == (john, holdings)
    assert only(graph, claim, KG.startDate) == Literal("2020-01-01", datatype=XSD.date)
    assert only(graph, claim, KG.shareExact).toPython() == Decimal(51)
    assert (claim, KG.endDate, None) not in graph and (claim, RDFS.comment, None) not in graph
    attestation = only(graph, claim, KG.attestation)
    assert only(graph, attestation, KG.status) == KG.Reported  # the data says no more
    assert only(graph, attestation, KG.source) == source
    assert only(graph, source, KG.recordId) == Literal("ownership-entity-id")
    assert only(graph, source, DCTERMS.title) == Literal("FollowTheMoney (Ownership ownership-entity-id)")
    assert (passport := DATA["passport-entity-id"], None, None) not in graph, passport
    assert any("1 Passport" in message for message in caught)


def test_the_yente_excerpt_reads_an_organization_and_a_person_and_names_what_it_leaves_out():
    assert walk([YENTE]) == [DataFile(YENTE, "ftm")]  # .ijson is FtM whatever its content
    graph, caught = read(YENTE)
    mlpd, lina = DATA["6d03aec76fdeec8f9697d8b19954ab6fc2568bc8"], DATA["f9c295f21b233ac878fbac4d271bb6fd13d7952a"]
    assert set(graph.objects(mlpd, RDF.type)) == {KG.Organization}
    assert only(graph, mlpd, RDFS.label) == Literal("MLPD")
    assert set(graph.objects(lina, RDF.type)) == {KG.Person}
    assert only(graph, lina, RDFS.label) == Literal("Frau Lina Dachner")
    assert only(graph, lina, KG.country) == Literal("DE")
    assert (None, KG.attestation, None) not in graph  # a payment is no claim kg has
    assert len(graph) == 5
    assert [m for m in caught if "no counterpart" in m] == [f"{YENTE}: kg has no counterpart for 1 Address, 1 Payment entities; not read"]


def test_an_ftm_json_file_is_told_from_json_ld_and_bods_by_its_first_line(tmp_path):
    assert READER.sniff(DOCS.read_bytes()) and READER.sniff(b"\xef\xbb\xbf\n" + YENTE.read_bytes())
    assert not READER.sniff(b'{"@context": "https://schema.org/", "@id": "x", "name": "X"}\n')
    assert not READER.sniff(b'{"statementId": "1", "recordType": "entity", "recordDetails": {}}\n')
    assert not READER.sniff(b'[{"id": "x", "schema": "Company", "properties": {}}]')
    cut = b'{"id": "x", "schema": "Company", "properties": {"name": ["' + b"A" * 70000
    assert READER.sniff(cut[:65536])  # a first line longer than the head: judged by its keys
    path = tmp_path / "entities.json"
    path.write_bytes(DOCS.read_bytes())
    assert reader_for(path) is READER


# --- percentages ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "percentage, share",
    [
        ("51%", {KG.shareExact: 51}),
        ("12.5", {KG.shareExact: Decimal("12.5")}),
        ("25–50%", {KG.shareMinimum: 25, KG.shareMaximum: 50}),  # the UK band, with an en dash
        ("25-50%", {KG.shareMinimum: 25, KG.shareMaximum: 50}),
        ("75% to 100%", {KG.shareMinimum: 75, KG.shareMaximum: 100}),
        (">50%", {KG.shareExclusiveMinimum: 50}),
        ("more than 25% but not more than 50%", {KG.shareExclusiveMinimum: 25, KG.shareMaximum: 50}),
        ("at least 10%, less than 20%", {KG.shareMinimum: 10, KG.shareExclusiveMaximum: 20}),
    ],
)
def test_a_percentage_is_read_as_an_exact_share_a_band_or_bounds(tmp_path, percentage, share):
    path = entities_file(
        tmp_path, company("owner-co", "Owner Co"), company("asset-co", "Asset Co"),
        entity("own-1", "Ownership", owner="owner-co", asset="asset-co", percentage=percentage),
    )
    graph, caught = read(path)
    found = {prop: value.toPython() for prop, value in graph.predicate_objects(CLAIM["own-1"]) if str(prop).startswith(str(KG.share))}
    assert found == {prop: Decimal(value) for prop, value in share.items()}
    assert caught == [] and (CLAIM["own-1"], RDFS.comment, None) not in graph


def test_a_percentage_kg_cannot_read_is_kept_in_the_note_with_a_warning_naming_the_entity(tmp_path):
    path = entities_file(
        tmp_path, company("owner-co", "Owner Co"), company("asset-co", "Asset Co"),
        entity("own-1", "Ownership", owner="owner-co", asset="asset-co", percentage="about half", description="Per the filing."),
    )
    graph, caught = read(path)
    assert not [p for p in graph.predicates(CLAIM["own-1"], None) if str(p).startswith(str(KG.share))]
    assert only(graph, CLAIM["own-1"], RDFS.comment) == Literal("Per the filing.; percentage: about half")
    assert caught == [f"{path}: Ownership own-1: its percentage 'about half' is no share kg reads; kept as text in the claim's note"]


# --- relationships, the agents they point to, provenance --------------------------------------------

def test_directorships_employments_memberships_and_controls_become_affiliations_and_control_claims(tmp_path):
    path = entities_file(
        tmp_path,
        company("kite-ai", "Kite AI (fictional)"), entity("sam", "Person", name="Sam Lee (fictional)"),
        entity("holdco", "LegalEntity", name="Holdco (fictional)"),
        entity("d-1", "Directorship", director="sam", organization="kite-ai", role="Director", startDate="2021-03", endDate="2024"),
        entity("d-2", "Directorship", director="sam", organization="kite-ai", role="Secretary"),
        entity("e-1", "Employment", employee="sam", employer="kite-ai", role="CEO", status="confirmed"),
        entity("e-2", "Employment", employee="sam", employer="kite-ai", role="Research engineer", status="resigned"),
        entity("m-1", "Membership", member="sam", organization="kite-ai", role="Fellow"),
        entity("c-1", "Control", controller="holdco", controlled="kite-ai", controlType="voting"),
        entity("c-2", "Control", controller="holdco", controlled="kite-ai", controlType=["trust", "indirect"]),
        entity("d-3", "Directorship", director="holdco", organization="kite-ai"),  # a legal entity of no stated kind
        entity("d-4", "Directorship", director="kite-ai", organization="kite-ai"),  # a corporate director
    )
    graph, caught = read(path)

    def affiliation(claim_id):
        claim = CLAIM[claim_id]
        return (graph.value(claim, KG.affiliate), graph.value(claim, KG.affiliationKind), str(graph.value(claim, KG.roleTitle)))

    assert affiliation("d-1") == (DATA.sam, KG.BoardSeat, "Director")
    assert (only(graph, CLAIM["d-1"], KG.startDate), only(graph, CLAIM["d-1"], KG.endDate)) == (
        Literal("2021-03", datatype=XSD.gYearMonth), Literal("2024", datatype=XSD.gYear))
    assert affiliation("d-2") == (DATA.sam, KG.Officer, "Secretary")
    assert affiliation("e-1") == (DATA.sam, KG.Officer, "CEO")
    assert only(graph, only(graph, CLAIM["e-1"], KG.attestation), KG.status) == KG.Confirmed
    assert affiliation("e-2") == (DATA.sam, KG.Employee, "Research engineer")
    assert only(graph, CLAIM["e-2"], RDFS.comment) == Literal("status: resigned")  # the tie's status, not the evidence's
    assert affiliation("m-1") == (DATA.sam, None, "Fellow")
    assert only(graph, CLAIM["c-1"], KG.controlBasis) == KG.VotingRights
    assert only(graph, CLAIM["c-2"], KG.controlBasis) == KG.OtherInfluence
    assert only(graph, CLAIM["c-2"], KG.direct) == Literal(False)
    assert only(graph, CLAIM["c-2"], RDFS.comment) == Literal("control type: trust")
    assert set(graph.objects(DATA.holdco, RDF.type)) == {KG.Agent, KG.Person}  # a director is a person to kg
    assert (CLAIM["d-4"], None, None) not in graph
    assert f"{path}: Directorship d-4: its director kite-ai is a Company, which kg's affiliate (a person) cannot be; not read" in caught


def test_a_relationship_to_an_entity_the_file_does_not_hold_keeps_an_agent_of_that_id(tmp_path):
    path = entities_file(
        tmp_path, company("asset-co", "Asset Co"),
        entity("own-1", "Ownership", owner="somebody", asset="asset-co"),
        entity("own-2", "Ownership", owner="somebody", asset="elsewhere"),
    )
    graph, caught = read(path)
    assert set(graph.objects(DATA.somebody, RDF.type)) == {KG.Agent}
    assert set(graph.objects(DATA.elsewhere, RDF.type)) == {KG.Organization}  # an owned entity is an organization
    assert (DATA.somebody, RDFS.label, None) not in graph  # named by its id; kg validate asks for a name
    assert only(graph, CLAIM["own-2"], KG.ownedEntity) == DATA.elsewhere
    assert caught == [f"{path}: 2 entities its relationships point to are not in the file (somebody, elsewhere); "
                      "kept as agents with that id and no name"]


def test_each_claim_keeps_its_entity_s_provenance_on_its_source(tmp_path):
    provenance = {"publisher": "Fictional Companies Registry", "sourceUrl": "https://example.org/register/own-1",
                  "retrievedAt": "2024-07-01", "recordId": "PSC-0042", "startDate": "2020"}
    path = entities_file(
        tmp_path, company("owner-co", "Owner Co", registrationNumber="01234567", jurisdiction="gb"),
        company("asset-co", "Asset Co", registrationNumber="987", jurisdiction="us", wikidataId="Q999999901"),
        {**entity("own-1", "Ownership", owner="owner-co", asset="asset-co", **provenance), "datasets": ["fictional_psc"]},
    )
    graph, caught = read(path)
    source = only(graph, only(graph, CLAIM["own-1"], KG.attestation), KG.source)
    assert source == SOURCE["ftm/own-1"]
    assert only(graph, source, DCTERMS.title) == Literal("Fictional Companies Registry, dataset fictional_psc (Ownership own-1)")
    assert only(graph, source, DCTERMS.publisher) == Literal("Fictional Companies Registry")
    assert only(graph, source, DCTERMS.source) == URIRef("https://example.org/register/own-1")
    assert only(graph, source, KG.retrievedOn) == Literal("2024-07-01", datatype=XSD.date)
    assert only(graph, source, KG.recordId) == Literal("PSC-0042")
    schemes = {(str(graph.value(i, KG.identifierScheme)), str(graph.value(i, KG.identifierValue)))
               for i in graph.objects(None, KG.identifier)}
    assert schemes == {("GB-COH", "01234567"), ("WIKIDATA", "Q999999901")}
    # no national register for a US registration number: kept in words on the agent
    assert only(graph, DATA["asset-co"], RDFS.comment) == Literal("registration number 987 (US)")
    assert caught == []


def test_progress_hears_of_every_byte_read(tmp_path):
    path = entities_file(tmp_path, *(company(f"co-{i}", f"Company {i}") for i in range(50)))
    heard = []
    triples = list(READER.read(path, progress=heard.append))
    assert sum(heard) == path.stat().st_size and len(triples) == 100


# --- kg -> FtM -> kg ------------------------------------------------------------------------------

def cite(graph: Graph, claim, source, status: str, **facts) -> None:
    """Replace the builder's attestation of ``claim`` by one citing ``source`` with ``facts`` (title, publisher, url, retrieved)."""
    for attestation in list(graph.objects(claim, KG.attestation)):
        graph.remove((attestation, None, None))
    graph.remove((claim, KG.attestation, None))
    attestation = URIRef(f"{claim}-attestation")
    graph.add((claim, KG.attestation, attestation))
    graph.add((attestation, RDF.type, KG.Attestation))
    graph.add((attestation, KG.source, source))
    graph.add((attestation, KG.status, KG[status.capitalize()]))
    graph.add((source, RDF.type, KG.Source))
    for key, prop in (("title", DCTERMS.title), ("publisher", DCTERMS.publisher)):
        if key in facts:
            graph.add((source, prop, Literal(facts[key])))
    if "retrieved" in facts:
        graph.add((source, KG.retrievedOn, Literal(facts["retrieved"], datatype=XSD.date)))
    if "url" in facts:
        graph.add((source, DCTERMS.source, URIRef(facts["url"])))


def fictional_graph() -> Graph:
    b = GraphBuilder()
    g = b.graph
    b.agent("ivy-park", "Person")
    b.agent("sam-lee", "Person")
    kite = b.agent("kite-ai", "AILab")
    harbor = b.agent("harbor-cloud", "CloudProvider", "ComputeProvider")
    b.agent("holdco", "Organization")
    b.agent("nova_labs", "Organization")  # an id FtM refuses ("_"): written as its encoded IRI
    acme = URIRef("http://example.org/acme")  # an agent outside kg's namespace
    g.add((acme, RDF.type, KG.Organization))
    g.add((acme, RDFS.label, Literal("Acme (fictional)")))
    g.add((kite, KG.country, Literal("US")))
    g.add((kite, KG.foundingDate, Literal("2019-03", datatype=XSD.gYearMonth)))
    g.add((kite, KG.homepage, URIRef("https://example.org/kite")))
    g.add((kite, DCTERMS.description, Literal("A fictional AI lab.")))
    g.add((DATA["ivy-park"], KG.country, Literal("GB")))
    g.add((harbor, KG.country, Literal("GB")))  # without it, kg would read the register's country back as harbor's
    for node, scheme, value in ((kite, "XI-LEI", LEI["kite"]), (kite, "WIKIDATA", "Q999999901"), (harbor, "GB-COH", "01234567")):
        identifier = URIRef(f"{DATA}identifier/{scheme}/{value}")
        g.add((node, KG.identifier, identifier))
        g.add((identifier, RDF.type, KG.Identifier))
        g.add((identifier, KG.identifierScheme, Literal(scheme)))
        g.add((identifier, KG.identifierValue, Literal(value)))
    own1 = b.ownership("ivy-park", "holdco", start="2021", end="2024-06-30", share={"exact": 60}, claim_id="own-1")
    g.add((own1, KG.direct, Literal(True)))
    g.add((own1, RDFS.comment, Literal("Per the fictional register.")))
    b.ownership("holdco", "harbor-cloud", start="2022-05", share={"minimum": 25, "maximum": 50}, claim_id="own-2")
    own3 = b.ownership("kite-ai", "acme", share={"exclusiveMinimum": 25}, claim_id="own-3")
    g.remove((own3, KG.ownedEntity, None))
    g.remove((DATA.acme, None, None))
    g.add((own3, KG.ownedEntity, acme))
    b.ownership("holdco", "kite-ai", share={"minimum": 10, "exclusiveMaximum": 20}, claim_id="own-4")
    ctl1 = b.control("ivy-park", "kite-ai", start="2020-01-15", claim_id="ctl-1")
    g.add((ctl1, KG.controlBasis, KG.VotingRights))
    g.add((ctl1, KG.direct, Literal(False)))
    ctl2 = b.control("kite-ai", "harbor-cloud", claim_id="ctl-2")
    g.add((ctl2, KG.controlBasis, KG.BoardAppointment))
    for claim_id, kind, title in (("aff-1", "board_seat", "Chair"), ("aff-2", "officer", "CEO"), ("aff-3", "employee", "Research engineer"),
                                  ("aff-4", "advisor", "Advisor"), ("sam-lee", None, "Fellow")):  # the last id is also an agent's
        claim = b.affiliation("sam-lee", "kite-ai", start="2023", kind=kind, claim_id=claim_id)
        g.add((claim, KG.roleTitle, Literal(title)))
    b.contract("kite-ai", "harbor-cloud", start="2024")  # FtM has no compute contract
    cite(g, own1, SOURCE.register, "confirmed", title="Fictional register extract", publisher="Fictional Companies Registry",
         url="https://example.org/register/own-1", retrieved="2024-07-01")
    cite(g, CLAIM["own-2"], URIRef("https://example.org/news/1"), "rumored", title="Fictional Gazette: Holdco buys in")
    cite(g, ctl1, SOURCE.gazette, "denied", title="The Fictional Gazette")
    return g


def claim_facts(graph: Graph) -> dict:
    """What FtM can hold of each ownership, control and affiliation, as comparable values."""
    facts = {}
    for cls in (KG.Ownership, KG.Control, KG.Affiliation):
        for claim in graph.subjects(RDF.type, cls):
            citations = set()
            for attestation in graph.objects(claim, KG.attestation):
                source = graph.value(attestation, KG.source)
                urls = {str(u) for u in graph.objects(source, DCTERMS.source)}
                if str(source).startswith("https://example.org/"):
                    urls.add(str(source))
                names = {str(p) for p in graph.objects(source, DCTERMS.publisher)}
                if not names and (source, KG.recordId, None) not in graph:
                    names = {str(t) for t in graph.objects(source, DCTERMS.title)}
                retrieved = {str(r) for r in graph.objects(source, KG.retrievedOn)}
                citations.add((graph.value(attestation, KG.status), frozenset(urls), frozenset(names), frozenset(retrieved)))
            facts[claim] = {
                "type": cls,
                **{str(p): set(graph.objects(claim, p)) for p in (
                    KG.owner, KG.ownedEntity, KG.controller, KG.controlledEntity, KG.affiliate, KG.affiliatedOrganization,
                    KG.startDate, KG.endDate, KG.controlBasis, KG.direct, KG.affiliationKind)},
                "shares": {str(p): v.toPython() for p, v in graph.predicate_objects(claim) if str(p).startswith(str(KG.share))},
                "title": {str(t) for t in graph.objects(claim, KG.roleTitle)},
                "note": {str(n) for n in graph.objects(claim, RDFS.comment)},
                "citations": citations,
            }
    return facts


def agent_facts(graph: Graph) -> dict:
    agents = {a for cls in (KG.Person, KG.Organization, KG.AILab, KG.CloudProvider) for a in graph.subjects(RDF.type, cls)}
    return {
        agent: {
            "types": set(graph.objects(agent, RDF.type)),
            "label": {str(v) for v in graph.objects(agent, RDFS.label)},
            **{str(p): {(str(v), getattr(v, "datatype", None)) for v in graph.objects(agent, p)}
               for p in (KG.country, KG.foundingDate, KG.homepage, DCTERMS.description)},
            "identifiers": {(str(graph.value(i, KG.identifierScheme)), str(graph.value(i, KG.identifierValue)))
                            for i in graph.objects(agent, KG.identifier)},
        }
        for agent in agents
    }


def round_trip(tmp_path, graph: Graph) -> tuple[Graph, list[str], Path]:
    path = tmp_path / "out.ftm.json"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        export_graph(graph, path, "ftm")
    back, _ = read(path)
    return back, [str(w.message) for w in caught if issubclass(w.category, KgWarning)], path


def test_kg_to_ftm_to_kg_keeps_every_agent_claim_share_date_and_source_ftm_can_hold(tmp_path):
    graph = fictional_graph()
    back, caught, _ = round_trip(tmp_path, graph)
    assert agent_facts(back) == agent_facts(graph)
    before, after = claim_facts(graph), claim_facts(back)
    assert set(after) == set(before) and len(after) == 11
    for claim in before:
        assert after[claim] == before[claim], claim
    # by hand, a few of what the comparison covers
    assert only(back, CLAIM["own-2"], KG.shareMinimum).toPython() == 25 and only(back, CLAIM["own-2"], KG.shareMaximum).toPython() == 50
    assert only(back, CLAIM["own-3"], KG.ownedEntity) == URIRef("http://example.org/acme")
    assert (DATA["nova_labs"], RDFS.label, Literal("Nova_Labs")) in back
    assert only(back, CLAIM["aff-2"], KG.affiliationKind) == KG.Officer
    assert only(back, CLAIM["sam-lee"], KG.affiliate) == DATA["sam-lee"]  # a claim and an agent of one id both come back
    assert only(back, only(back, CLAIM["ctl-1"], KG.attestation), KG.status) == KG.Denied
    assert caught == ["FtM cannot hold these, left out of the file: 1 ComputeContract claims"]


def test_what_kg_writes_is_what_ftm_validate_gives_back(tmp_path):
    _, _, path = round_trip(tmp_path, fictional_graph())
    ftm = Path(sys.executable).with_name("ftm")
    cleaned = tmp_path / "validated.ftm.json"
    result = subprocess.run([str(ftm), "validate", "-i", str(path), "-o", str(cleaned)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    written = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    validated = [json.loads(line) for line in cleaned.read_text("utf-8").splitlines()]
    assert [(e["id"], e["schema"], e["properties"]) for e in validated] == [(e["id"], e["schema"], e["properties"]) for e in written]
    for data in written:
        schema = followthemoney.model.get(data["schema"])
        assert schema.validate(data) is None
        assert set(schema.required) <= set(data["properties"]), data


def test_the_bundled_graph_exports_through_the_cli_and_reads_back(invoke, tmp_path):
    path = tmp_path / "bundled.ftm.json"
    result = invoke("export", "--format", "ftm", "-o", path)
    assert result.exit_code == 0, result.stderr
    assert "FtM cannot hold these, left out of the file: 2 ComputeContract claims" in result.stderr
    stats = invoke("stats", "--data", path, "--format", "json")
    assert stats.exit_code == 0, stats.stderr
    classes = json.loads(stats.stdout)["classes"]
    assert classes["Control"] == 3 and classes["Affiliation"] == 2 and classes["Person"] == 3


# --- errors -----------------------------------------------------------------------------------------

GOOD = json.dumps(company("kite-ai", "Kite AI")) + "\n"


@pytest.mark.parametrize(
    "name, content, where, needle",
    [
        ("broken.ftm.json", GOOD + '{"id": "x", "schema": "Company", "properties": {\n' + GOOD, 2, "not valid JSON"),
        ("schema.ftm.json", GOOD + "\n" + json.dumps(entity("y", "Spaceship")) + "\n", 3, "unknown schema 'Spaceship' (entity y)"),
        ("truncated.ftm.json", GOOD + GOOD[:30], 2, "not valid JSON"),
        ("array.ftm.json", GOOD + "[1, 2]\n", 2, "not a JSON object"),
        ("noid.ftm.json", GOOD + '{"schema": "Company", "properties": {}}\n', 2, "it has no id"),
        ("abstract.ftm.json", GOOD + json.dumps(entity("z", "Thing")) + "\n", 2, "Thing is an abstract schema"),
        ("first.json", '{"id": "x", "schema": "Company", "properties": {"name": ["X"]\n', 1, "not valid JSON"),
        ("first.ftm", "not json at all\n", 1, "not valid JSON"),
    ],
)
def test_a_malformed_file_is_one_error_line_naming_the_file_and_line(invoke, tmp_path, name, content, where, needle):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    result = invoke("stats", "--data", path)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"Error: {path}:{where}: not a FollowTheMoney entity: ")
    assert needle in result.stderr and "Traceback" not in result.stderr


def test_without_the_followthemoney_package_reading_and_writing_say_so_in_one_line(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "followthemoney", None)
    with pytest.raises(InputError, match=r"need the followthemoney package .*pip install 'kg-compute\[ftm\]'") as raised:
        load_graph([DOCS])
    assert "\n" not in str(raised.value)
    with pytest.raises(UsageError, match="followthemoney"):
        WRITER.write(fictional_graph(), io.BytesIO())


# --- conflicts over a sheet and an FtM file -----------------------------------------------------------

SHEET_ENTITIES = f"""id,name,type,identifiers
kite-ai,Kite AI (fictional),AILab,lei:{LEI['kite']}
sable-ai,Sable AI (fictional),AILab,
harbor-cloud,Harbor Cloud (fictional),CloudProvider,lei:{LEI['harbor']}
ivy-park,Ivy Park Capital (fictional),Investor,lei:{LEI['ivy']}
"""
SHEET_RELATIONS = """subject,relation,object,start,status,source
kite-ai,buys_compute_from,harbor-cloud,2024,reported,https://example.org/fictional/deal
sable-ai,competes_with,kite-ai,2023,reported,https://example.org/fictional/rivals
ivy-park,controls,sable-ai,2022,reported,https://example.org/fictional/control
"""


@pytest.mark.parametrize("store", ["memory", "oxigraph"])
def test_conflicts_find_a_control_chain_that_only_the_ftm_file_holds(invoke, tmp_path, store):
    sheet = tmp_path / "sheet"
    sheet.mkdir()
    (sheet / "entities.csv").write_text(SHEET_ENTITIES, encoding="utf-8")
    (sheet / "relations.csv").write_text(SHEET_RELATIONS, encoding="utf-8")
    # The register names the two companies by its own ids; their LEIs make them the sheet's.
    register = entities_file(
        tmp_path, company("reg-ivy", "IVY PARK CAPITAL LTD", leiCode=LEI["ivy"], jurisdiction="gb"),
        company("reg-harbor", "HARBOR CLOUD LTD", leiCode=LEI["harbor"], jurisdiction="gb"),
        entity("reg-own-1", "Ownership", owner="reg-ivy", asset="reg-harbor", percentage="75-100%", startDate="2023-02-01",
               publisher="Fictional Companies Registry"),
        name="register.ftm.json",
    )
    options = ["--as-of", "2025-06-30", "--format", "json", "--store", store]
    both = invoke("conflicts", "--data", sheet, "--data", register, *options)
    assert both.exit_code == 0, both.stderr
    findings = [f for f in json.loads(both.stdout)["findings"] if f["rule"] == "competitor-controlled-supplier"]
    assert len(findings) == 1
    finding = findings[0]
    assert finding["entities"]["customer"]["iri"] == str(DATA["kite-ai"])
    assert finding["entities"]["rival"]["iri"] == str(DATA["sable-ai"])
    assert finding["entities"]["controller"]["iri"] in (str(DATA["ivy-park"]), str(DATA["reg-ivy"]))
    evidence = json.dumps(finding["evidence"])
    assert str(CLAIM["reg-own-1"]) in evidence and "example.org/fictional/control" in evidence
    sheet_only = invoke("conflicts", "--data", sheet, *options)
    assert sheet_only.exit_code == 0, sheet_only.stderr
    assert not [f for f in json.loads(sheet_only.stdout)["findings"] if f["rule"] == "competitor-controlled-supplier"]


def test_what_ftm_cannot_hold_is_left_out_with_warnings_and_several_sources_become_one(tmp_path):
    b = GraphBuilder()
    b.agent("ivy-park", "Person")
    b.agent("kite-ai", "Organization")
    g = b.graph
    g.add((DATA["kite-ai"], KG.country, Literal("Ruritania (fictional)")))
    identifier = URIRef(f"{DATA}identifier/US-EIN/12-3456789")
    g.add((DATA["kite-ai"], KG.identifier, identifier))
    g.add((identifier, KG.identifierScheme, Literal("US-EIN")))
    g.add((identifier, KG.identifierValue, Literal("12-3456789")))
    officer = b.affiliation("ivy-park", "kite-ai", kind="officer", claim_id="aff-1")
    g.add((officer, KG.roleTitle, Literal("Chief Scientist")))
    owns = b.ownership("ivy-park", "kite-ai", share={"exact": 30}, status=["confirmed", "rumored"], stage="agreed", claim_id="own-1")
    for attestation, url in zip(sorted(g.objects(owns, KG.attestation)), ("https://example.org/a", "https://example.org/b")):
        source = URIRef(url)
        g.set((attestation, KG.source, source))
        g.add((source, RDF.type, KG.Source))
    back, caught, path = round_trip(tmp_path, g)
    assert sorted(caught) == sorted([
        "agent kite-ai: FtM's country cannot hold 'Ruritania (fictional)'; left out",
        "agent kite-ai: its identifier US-EIN:12-3456789 is not written to FtM (no FtM property for its scheme)",
        "claim aff-1: FtM would read the title 'Chief Scientist' as another kind of affiliation; left it out",
        "FtM cannot hold these, left out of the file: 1 claims whose sources give different statuses (which source gave which), "
        "1 country values FtM does not accept, 1 deal stages, 1 identifiers, 1 role titles of affiliations",
    ])
    assert only(back, CLAIM["aff-1"], KG.affiliationKind) == KG.Officer  # the kind kept, the title not
    assert only(back, CLAIM["aff-1"], KG.roleTitle) == Literal("officer")
    attestation = only(back, CLAIM["own-1"], KG.attestation)
    assert only(back, attestation, KG.status) == KG.Confirmed
    source = only(back, attestation, KG.source)
    assert set(back.objects(source, DCTERMS.source)) == {URIRef("https://example.org/a"), URIRef("https://example.org/b")}
    assert (CLAIM["own-1"], KG.stage, None) not in back
